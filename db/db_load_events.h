/*
 * The location-event loader (`itinerad-db load events`): reads the operator's event feed
 * (SPEC section 7), folds the events into per-day presence and writes it with COPY. Raw events
 * never reach the database: identities are replaced by their keyed hashes and events by
 * (subscriber, local day, place, first seen, last seen, count) before anything is sent.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "db/db_connect.h"
#include "db/load_stats.h"

#define ITIN_LOAD_BATCH_ROWS (1u << 20)	/* folded rows per transaction, by default */
/* The advisory lock an event load holds shared from start to end, and retention exclusive. */
#define ITIN_DB_LOAD_LOCK "7401003"

/* Loads f (named name in reports) into the database, batch_rows folded rows per transaction,
 * keyed with keys; returns 0 or a negative errno (logged in DLOAD). now: the loader's clock
 * (Unix seconds), which with service->window_days and feed->max_future_skew_s bounds the event
 * times accepted (feed_csv.h). */
int itin_db_load_events(itin_db_conn *conn, const struct itin_service_config *service,
			const struct itin_feed_config *feed, const struct itin_keys *keys, FILE *f,
			const char *name, int64_t now, unsigned batch_rows,
			struct itin_load_stats *st);
