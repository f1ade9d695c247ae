/*
 * The times an operator watches, read by the daemon from feed_state: the newest event, the
 * last event load, the last retention run and the first day it kept (/metrics, the replies'
 * "updated at"). Unix seconds; 0 when it never happened. No libpq here: service/ includes it.
 */
#pragma once

#include <stdint.h>

struct itin_feed_times {
	int64_t updated_at;		/* the newest event loaded */
	int64_t loaded_at;		/* the loader's last commit of events */
	int64_t retention_at;		/* the last retention run (its commit) */
	int64_t kept_from;		/* the first day that run kept, at local midnight */
};
