/*
 * Schema migrations and reference data. itin_db_migrate() brings a database to the newest
 * schema (each migration in its own transaction, recorded in schema_version, so a second run
 * does nothing) and then refreshes the reference tables from the CSV files of data/. Blocking: for
 * itinerad-db and tests, not for the daemon's loop.
 */
#pragma once


#include "db/db_connect.h"

/* Returns 0 or -EIO, the reason logged in DLOAD, as are the progress lines. */
int itin_db_migrate(itin_db_conn *conn, const char *data_dir);

/* The directory of the reference CSV files: ITINERAD_DATA_DIR, installed, or the source tree. */
const char *itin_db_data_dir(void);
