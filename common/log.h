/*
 * Logging of itinerad's programs, by subsystem and level, on libosmocore's logging (its
 * stderr and syslog targets write synchronously; no select loop is involved). Phone numbers
 * never appear in clear: log a request with its masked number or its key prefix.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include <osmocom/core/logging.h>

enum itin_log_subsys {
	DMAIN,		/* start, stop, signals, config */
	DDB,		/* database pool, statements */
	DREQ,		/* requests: one line per outcome */
	DSMPP,		/* SMPP links */
	DGSUP,		/* GSUP/IPA link to osmo-hlr */
	DUSSD,		/* USSD sessions */
	DADMIN,		/* admin HTTP endpoint */
	DLOAD,		/* itinerad-db: loads, migrations, retention, keys, operator queries */
};

/* Sets up logging to stderr (and syslog when use_syslog) at level (LOGL_*); 0 or -ENOMEM. On
 * the journal's stream ($JOURNAL_STREAM) each line starts with its priority (<3> error ...
 * <7> debug). */
int itin_log_init(void *ctx, const char *program, bool use_syslog, int level);
/* itinerad-db's logging: NOTICE and above on stderr as plain lines, without timestamp,
 * category or level (an operator or a cron mail reads them; the tests compare them). Safe
 * from the event loader's writer thread. */
int itin_log_init_tool(void *ctx);

/* Sets category ("DSMPP", "all"; any case) to level ("debug", "info", "notice", "error",
 * "fatal") on every target, or only checks them when !apply: 0, -ENOENT for an unknown
 * category, -EINVAL for an unknown level. */
int itin_log_set_level(const char *category, const char *level, bool apply);
/* Each category with its level (stderr's), in the order of enum itin_log_subsys. */
void itin_log_levels(void (*print)(void *arg, const char *category, const char *level), void *arg);

/* A line a peer can make us write once per message it sends: the first of each
 * ITIN_LOG_LIMIT_S seconds is logged, the others only counted, and the next line logged says
 * how many were left out. Zero-initialised before use. */
#define ITIN_LOG_LIMIT_S 60
struct itin_log_limit {
	time_t since;			/* monotonic seconds: when the current interval began */
	unsigned skipped;		/* lines left out since the last one logged */
	bool started;
};

/* Whether to log this line; if so, *skipped is how many were left out before it. */
bool itin_log_limit_pass(struct itin_log_limit *lim, unsigned *skipped);
/* How many were left out since the last line logged, and starts counting again. */
unsigned itin_log_limit_take(struct itin_log_limit *lim);

/* LOGP through a limit; fmt without the final newline. */
#define LOGP_LIMITED(lim, ss, level, fmt, args...) \
	do { \
		unsigned _skipped; \
		if (itin_log_limit_pass(lim, &_skipped)) { \
			if (_skipped) \
				LOGP(ss, level, fmt " (%u more like it not logged)\n", ##args, _skipped); \
			else \
				LOGP(ss, level, fmt "\n", ##args); \
		} \
	} while (0)
