/*
 * Log categories. Timestamps and category names are printed so that one grep follows one link
 * or one request; colours are off because logs usually go to a journal, not a terminal. Lines a
 * peer can repeat at will go through a limit, so that it cannot fill the journal.
 *
 * Under systemd (stderr is the stream $JOURNAL_STREAM names) each line starts with its syslog
 * priority as sd-daemon(3) has it, "<3>" for an error, so that journalctl -p err finds errors;
 * the journal stamps the lines itself. Debian's libosmocore is built without its sd-journal
 * target (no log_target_create_systemd), hence an output function of our own for its stderr
 * target. The levels can be changed per category while running (itin_log_set_level, the
 * admin endpoint's /log).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/stat.h>

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

static const struct {
	const char *name;
	int level;
	int priority;		/* syslog(3) */
} levels[] = {
	{ "debug", LOGL_DEBUG, LOG_DEBUG },
	{ "info", LOGL_INFO, LOG_INFO },
	{ "notice", LOGL_NOTICE, LOG_NOTICE },
	{ "error", LOGL_ERROR, LOG_ERR },
	{ "fatal", LOGL_FATAL, LOG_CRIT },
};

/* stderr's target (libosmocore's or the journal's) and syslog's when --syslog: the targets
 * whose levels itin_log_set_level changes. */
static struct log_target *targets[2];
static unsigned num_targets;

/* Whether stderr is the journal's stream: $JOURNAL_STREAM is its "device:inode". */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	       st.st_dev == dev && st.st_ino == ino;
}

static int syslog_priority(unsigned int level)
{
	for (unsigned i = 0; i < ARRAY_SIZE(levels); i++)
		if (level <= (unsigned)levels[i].level)
			return levels[i].priority;
	return LOG_CRIT;
}

/* One write per line, so that lines of the process and of the embedded cluster's scripts do
 * not interleave inside a line. */
static void journal_output(struct log_target *target, unsigned int level, const char *string)
{
	fprintf(stderr, "<%d>%s", syslog_priority(level), string);
	fflush(stderr);
}

static int add_target(struct log_target *t, int level)
{
	if (!t)
		return -ENOMEM;
	log_set_print_category(t, 1);
	log_set_print_category_hex(t, 0);
	log_set_print_level(t, 1);
	log_set_use_color(t, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++)
		log_set_category_filter(t, i, 1, level);
	targets[num_targets++] = t;
	return 0;
}

int itin_log_init(void *ctx, const char *program, bool use_syslog, int level)
{
	bool journal = stderr_is_journal();
	struct log_target *t;

	if (osmo_init_logging2(ctx, &itin_log_info) < 0)
		return -ENOMEM;
	/* libosmocore's stderr target, written through our output function on the journal */
	if (journal)
		osmo_stderr_target->output = journal_output;
	log_set_print_timestamp(osmo_stderr_target, !journal);
	if (add_target(osmo_stderr_target, level) < 0)
		return -ENOMEM;
	if (use_syslog) {
		t = log_target_create_syslog(program, 0, LOG_DAEMON);
		if (!t)
			return -ENOMEM;
		log_add_target(t);
		if (add_target(t, level) < 0)
			return -ENOMEM;
	}
	return 0;
}

int itin_log_set_level(const char *category, const char *level, bool apply)
{
	int cat = -1, lvl = -1;

	for (unsigned i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcasecmp(level, levels[i].name) == 0)
			lvl = levels[i].level;
	if (strcasecmp(category, "all") != 0) {
		for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++)
			if (strcasecmp(category, itin_log_cats[i].name) == 0)
				cat = i;
		if (cat < 0)
			return -ENOENT;
	}
	if (lvl < 0)
		return -EINVAL;
	for (unsigned t = 0; apply && t < num_targets; t++)
		for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++)
			if (cat < 0 || (unsigned)cat == i)
				log_set_category_filter(targets[t], i, 1, lvl);
	return 0;
}

void itin_log_levels(void (*print)(void *arg, const char *category, const char *level), void *arg)
{
	for (unsigned i = 0; i < ARRAY_SIZE(itin_log_cats); i++) {
		const char *name = "?";

		for (unsigned l = 0; l < ARRAY_SIZE(levels); l++)
			if (num_targets && targets[0]->categories[i].loglevel == levels[l].level)
				name = levels[l].name;
		print(arg, itin_log_cats[i].name, name);
	}
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
