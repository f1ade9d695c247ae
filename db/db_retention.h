/*
 * Retention and purge (SPEC section 8). Retention keeps the window plus one day of presence:
 * it rebuilds presence_history from the rows to keep, sorted by subscriber, swaps it in and
 * drops the old table, so expired presence disappears with a DROP, never a DELETE scan; run it
 * daily. In the same run, a subscriber with no presence left loses their row, keys and key
 * state (the audit keeps its own audit_days). Purge empties every table that holds subscriber
 * data (service shutdown).
 */
#pragma once

#include <stdint.h>

#include "common/config.h"
#include "db/db_connect.h"

/* Keeps service->window_days of presence (plus what feed->max_future_skew_s lets lie ahead) and
 * privacy->audit_days of audit. now: Unix seconds of "today" in service->time_zone. Returns 0,
 * or -EINVAL (an unknown zone) or -EIO (logged in DLOAD). itin_db_purge the same. */
int itin_db_retention(itin_db_conn *conn, const struct itin_service_config *service,
		      const struct itin_feed_config *feed, const struct itin_privacy_config *privacy,
		      int64_t now);
int itin_db_purge(itin_db_conn *conn);
