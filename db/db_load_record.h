/*
 * A load's counts kept for /metrics (feed_load, feed_load_refused: migration 155): written by
 * itinerad-db load once its data is committed, read by the daemon with the feeds' times.
 */
#pragma once

#include "db/db_connect.h"
#include "db/load_stats.h"

/* Replaces feed's last load with st, at the database's clock. Returns 0, or -EIO (logged in
 * DLOAD; nothing of it written). */
int itin_db_load_record(itin_db_conn *conn, const char *feed, const struct itin_load_stats *st);
