/*
 * Logging of itinerad's programs, by subsystem and level, on libosmocore's logging (its
 * stderr and syslog targets write synchronously; no select loop is involved). Phone numbers
 * never appear in clear: log a request with its masked number or its key prefix.
 */
#pragma once

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
