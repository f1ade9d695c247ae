/*
 * The times an operator watches, read by the daemon from feed_state: the newest event, the
 * last event load, the last retention run and the first day it kept (/metrics, the replies'
 * "updated at"), and each feed's last load with its counts. Unix seconds; 0 when it never
 * happened. No libpq here: service/ includes it.
 */
#pragma once

#include <stdint.h>

#include "db/load_stats.h"

/* The feeds whose last load is kept (migration 155), in the order of itin_feed_names. */
enum itin_feed { ITIN_FEED_CELLS, ITIN_FEED_EVENTS, ITIN_FEED_RISK, ITIN_FEEDS };
extern const char *const itin_feed_names[ITIN_FEEDS];

/* A feed's last load, as itinerad-db load recorded it. */
struct itin_feed_load {
	int64_t finished_at;		/* Unix s; 0: never loaded */
	uint64_t lines, loaded, refused, unknown;
	unsigned num_reasons;
	struct {
		char why[64];
		uint64_t lines;
	} reason[ITIN_LOAD_REASONS + 1];	/* + "other reasons" */
};

struct itin_feed_times {
	int64_t updated_at;		/* the newest event loaded */
	int64_t loaded_at;		/* the loader's last commit of events */
	int64_t retention_at;		/* the last retention run (its commit) */
	int64_t kept_from;		/* the first day that run kept, at local midnight */
	struct itin_feed_load load[ITIN_FEEDS];
};
