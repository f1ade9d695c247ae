/*
 * Log categories. Timestamps and category names are printed so that one grep follows one link
 * or one request; colours are off because logs usually go to a journal, not a terminal. Lines a
 * peer can repeat at will go through a limit, so that it cannot fill the journal.
 */
#include <errno.h>
#include <stdbool.h>
#include <syslog.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include "common/log.h"

static const struct log_info_cat itin_log_cats[] = {
	[DMAIN] = { .name = "DMAIN", .description = "start, stop, signals, config",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DDB] = { .name = "DDB", .description = "database pool and statements",
		  .enabled = 1, .loglevel = LOGL_NOTICE },
	[DREQ] = { .name = "DREQ", .description = "requests and their outcomes",
		   .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMPP] = { .name = "DSMPP", .description = "SMPP links to SMSCs",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DGSUP] = { .name = "DGSUP", .description = "GSUP/IPA link to osmo-hlr",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DUSSD] = { .name = "DUSSD", .description = "USSD sessions",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DADMIN] = { .name = "DADMIN", .description = "admin HTTP endpoint",
		     .enabled = 1, .loglevel = LOGL_NOTICE },
	[DLOAD] = { .name = "DLOAD", .description = "itinerad-db: loads, migrations, retention, keys",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
};

static const struct log_info itin_log_info = {
	.cat = itin_log_cats,
	.num_cat = ARRAY_SIZE(itin_log_cats),
};

int itin_log_init(void *ctx, const char *program, bool use_syslog, int level)
{
	struct log_target *t;

	if (osmo_init_logging2(ctx, &itin_log_info) < 0)
		return -ENOMEM;
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_timestamp(osmo_stderr_target, 1);
	for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++)
		log_set_category_filter(osmo_stderr_target, i, 1, level);
	if (use_syslog) {
		t = log_target_create_syslog(program, 0, LOG_DAEMON);
		if (!t)
			return -ENOMEM;
		log_add_target(t);
		for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++)
			log_set_category_filter(t, i, 1, level);
	}
	return 0;
}

int itin_log_init_tool(void *ctx)
{
	struct log_target *t;

	if (osmo_init_logging2(ctx, &itin_log_info) < 0)
		return -ENOMEM;
	log_enable_multithread();
	t = osmo_stderr_target;
	log_set_print_category(t, 0);
	log_set_print_category_hex(t, 0);
	log_set_print_level(t, 0);
	log_set_print_filename2(t, LOG_FILENAME_NONE);
	log_set_use_color(t, 0);
	log_set_print_timestamp(t, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++)
		log_set_category_filter(t, i, 1, LOGL_NOTICE);
	return 0;
}

bool itin_log_limit_pass(struct itin_log_limit *lim, unsigned *skipped)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (lim->started && ts.tv_sec - lim->since < ITIN_LOG_LIMIT_S) {
		lim->skipped++;
		return false;
	}
	lim->started = true;
	lim->since = ts.tv_sec;
	*skipped = itin_log_limit_take(lim);
	return true;
}

unsigned itin_log_limit_take(struct itin_log_limit *lim)
{
	unsigned n = lim->skipped;

	lim->skipped = 0;
	return n;
}
