/*
 * Loaders of the two small operator feeds (SPEC section 7): the cell registry
 * (`itinerad-db load cells`) and the risk list (`itinerad-db load risk`). Lines are checked one
 * by one (a region code must be in the reference table), then written with COPY and merged in
 * one transaction: a cell's city is updated in place; the risk list is replaced as a whole.
 */
#pragma once

#include <stdio.h>

#include "db/db_connect.h"
#include "db/load_stats.h"

int itin_db_load_cells(itin_db_conn *conn, FILE *f, const char *name, struct itin_load_stats *st);
int itin_db_load_risk(itin_db_conn *conn, FILE *f, const char *name, struct itin_load_stats *st);
