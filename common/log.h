/*
 * Logging of itinerad's programs, by subsystem and level, on libosmocore's logging (its
 * stderr and syslog targets write synchronously; no select loop is involved). Phone numbers
 * never appear in clear: log a request with its masked number or its key prefix.
 */
#pragma once

#include <stdbool.h>

#include <osmocom/core/logging.h>

enum itin_log_subsys {
	DMAIN,		/* start, stop, signals, config */
	DDB,		/* database pool, statements */
	DREQ,		/* requests: one line per outcome */
	DSMPP,		/* SMPP links */
	DGSUP,		/* GSUP/IPA link to osmo-hlr */
	DUSSD,		/* USSD sessions */
	DADMIN,		/* admin HTTP endpoint */
};

/* Sets up logging to stderr (and syslog when use_syslog) at level (LOGL_*). */
int itin_log_init(void *ctx, const char *program, bool use_syslog, int level);

/* A line about events that come as fast as a peer sends them (one per PDU: a flood would fill
 * the disk): written for the first event, then at most once per ITIN_LOG_LIMIT_S with the
 * number of events since the last line. */
#define ITIN_LOG_LIMIT_S 10
struct itin_log_limit {
	long long last_ms;		/* monotonic time of the last line */
	unsigned long long count;	/* events not in a line yet */
	bool written;
};
/* Counts one event. True when its line is due now: *count then holds the events it reports
 * (this one included), and the count starts again. */
bool itin_log_limit_due(struct itin_log_limit *l, unsigned long long *count);
