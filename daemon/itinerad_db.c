/*
 * itinerad-db: the one command-line tool of operators and customer care.
 *
 *   itinerad-db --version
 *   itinerad-db [-c FILE] migrate
 *   itinerad-db [-c FILE] load cells|events|risk FILE|- [--at TIME]
 *   itinerad-db [-c FILE] retention [--at TIME]
 *   itinerad-db [-c FILE] retire-key ID
 *   itinerad-db [-c FILE] purge --yes
 *   itinerad-db [-c FILE] query --msisdn N|- | --imsi N|- [--at TIME] [--lang zh|en] [--parts]
 *
 * The config comes from -c, else $ITINERAD_CONFIG, else /etc/itinerad/itinerad.conf; the
 * database as db_connect.h says, as the command's role. query prints exactly what the
 * subscriber would read (the SMS reply; parts separated by a blank line). It takes the number
 * from stdin when given "-" (a number in argv still works, with a warning: ps and the shell's
 * history show it) and answers only once operator_audit holds who asked for which subscriber
 * key. This file only dispatches: the work is in the db_* modules and the engine.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "common/config.h"
#include "common/coredump.h"
#include "common/feed_csv.h"
#include "common/localtime.h"
#include "common/log.h"
#include "common/msisdn.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/db_connect.h"
#include "db/dispute_db.h"
#include "db/db_keys.h"
#include "db/db_load_events.h"
#include "db/db_load_record.h"
#include "db/db_load_registry.h"
#include "db/db_migrate.h"
#include "db/db_partitions.h"
#include "db/db_query.h"
#include "db/db_retention.h"
#include "db/db_schema.h"
#include "engine/sms_segment.h"
#include "engine/subscriber_reply.h"

#define DEFAULT_CONFIG "/etc/itinerad/itinerad.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itinerad-db [-c FILE] COMMAND | --version\n"
		"  migrate                          create or upgrade the schema, refresh reference data\n"
		"  load cells|events|risk FILE|-    load an operator feed (SPEC section 7)\n"
		"       [--batch-rows N]            events: folded rows per transaction (1048576)\n"
		"       [--at TIME]                 events: the clock that bounds event times\n"
		"  retention [--at TIME]            keep the window + 1 day of presence (run daily)\n"
		"  retire-key ID                    after a key rotation, delete what remains under an\n"
		"                                   older key once retention has dropped its presence\n"
		"  purge --yes                      delete all subscriber data (service shutdown)\n"
		"  query --msisdn N|- | --imsi N|- [--at TIME] [--lang zh|en] [--parts]\n"
		"                                   print the reply the subscriber would get (audited;\n"
		"                                   -: the number is the first line of stdin)\n"
		"  disputes [close CASE]            list the open dispute cases (JC / 纠错 / DISPUTE),\n"
		"                                   or close one by the case number the subscriber got\n"
		"TIME is Unix seconds or ISO 8601 with an offset. The config is -c, $ITINERAD_CONFIG\n"
		"or " DEFAULT_CONFIG "; $ITINERAD_CONNINFO overrides its database.\n");
}

/* The database role a command runs as (db_connect.h): the owner changes the schema and empties
 * it; loads and retention are the loader's; a query is what the daemon does for a subscriber. */
static const char *command_role(const char *cmd)
{
	if (strcmp(cmd, "load") == 0 || strcmp(cmd, "retention") == 0)
		return ITIN_DB_ROLE_LOADER;
	if (strcmp(cmd, "query") == 0)
		return ITIN_DB_ROLE_DAEMON;
	return ITIN_DB_ROLE_OWNER;
}

static int cmd_load(itin_db_conn *conn, const struct itin_config *cfg, const char *what, const char *path,
		    int64_t now, unsigned batch_rows)
{
	struct itin_load_stats st = { 0 };
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct timespec t0, t1;
	double secs;
	int rc;

	if (!f) {
		rc = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-rc));
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(what, "events") == 0)
		rc = itin_db_load_events(conn, &cfg->service, &cfg->feed, &cfg->keys, f, path, now,
					 batch_rows, &st);
	else if (strcmp(what, "cells") == 0)
		rc = itin_db_load_cells(conn, f, path, &st);
	else if (strcmp(what, "risk") == 0)
		rc = itin_db_load_risk(conn, f, path, &st);
	else {
		fprintf(stderr, "load: unknown feed %s (cells, events or risk)\n", what);
		rc = -EINVAL;
	}
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("load %s: %llu lines, %llu loaded, %llu skipped, %llu unknown, %llu rows written",
	       what, (unsigned long long)st.lines, (unsigned long long)st.loaded,
	       (unsigned long long)st.skipped, (unsigned long long)st.unknown,
	       (unsigned long long)st.rows);
	for (unsigned i = 0; i < st.num_reasons; i++)
		printf("%s %llu \"%s\"", i ? "," : "; refused:", (unsigned long long)st.reason[i].count,
		       st.reason[i].why);
	if (st.other_reasons)
		printf(", %llu of other reasons", (unsigned long long)st.other_reasons);
	printf("\n");
	fprintf(stderr, "load %s: %.2f s, %.0f lines/s\n", what, secs, secs > 0 ? st.lines / secs : 0);
	/* The counts an operator watches on the daemon's /metrics, good load or not. The data is
	 * committed by now: a database that cannot take them (a schema before migration 155) is
	 * said, and does not fail the load. */
	if (itin_db_load_record(conn, what, &st) < 0)
		fprintf(stderr, "load %s: warning: its counts are not recorded for /metrics\n", what);
	/* A feed of which nothing was usable is a failed delivery (a wrong file, a clock far
	 * off), which a cron job or timer must see, not a quiet success; so is one of which more
	 * than the configured share was refused (what was good is loaded all the same). */
	if (st.lines > 0 && st.loaded == 0) {
		fflush(stdout);
		if (st.skipped == st.lines)
			fprintf(stderr, "load %s: every one of the %llu data lines was refused: "
				"nothing loaded\n", what, (unsigned long long)st.lines);
		else
			fprintf(stderr, "load %s: none of the %llu data lines was loaded\n", what,
				(unsigned long long)st.lines);
		return -EINVAL;
	}
	if (st.skipped * 100 > st.lines * cfg->feed.max_refused_percent) {
		fflush(stdout);
		fprintf(stderr, "load %s: %llu of the %llu data lines were refused, more than "
			"max_refused_percent (%u%%)\n", what, (unsigned long long)st.skipped,
			(unsigned long long)st.lines, cfg->feed.max_refused_percent);
		return -EINVAL;
	}
	return 0;
}

/* The number to query: with "-" the first line of stdin, blanks around it removed, so that it is
 * in no argv (ps, /proc/PID/cmdline) and no shell history; in argv it is taken with a warning. */
static const char *query_number(const char *arg, char *buf, size_t max)
{
	size_t len;
	char *p = buf;

	if (strcmp(arg, "-") != 0) {
		fprintf(stderr, "query: warning: a number in the command line is seen by ps and kept in "
			"the shell's history; give - and the number on stdin\n");
		return arg;
	}
	if (!fgets(buf, max, stdin)) {
		fprintf(stderr, "query: no number on stdin\n");
		return NULL;
	}
	len = strlen(buf);
	if (len == max - 1 && buf[len - 1] != '\n') {
		fprintf(stderr, "query: the line on stdin is too long for a number\n");
		return NULL;
	}
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p) {
		fprintf(stderr, "query: no number on stdin\n");
		return NULL;
	}
	return p;
}

/* The audit row's OS user (and the sudo user, as sudo says); the database adds the time and
 * its own user. */
static void audit_users(char *uid, size_t uid_len, const char **os_user, const char **sudo_user)
{
	const struct passwd *pw = getpwuid(geteuid());
	const char *sudo = getenv("SUDO_USER");

	snprintf(uid, uid_len, "uid %u", (unsigned)geteuid());
	*os_user = pw ? pw->pw_name : uid;
	*sudo_user = sudo && *sudo ? sudo : NULL;
}

static void print_parts(const struct itin_reply *reply, unsigned max_parts)
{
	struct itin_sms_part parts[16];
	int n = itin_sms_segment(reply, max_parts, 1, parts, 16);

	for (int i = 0; i < n; i++) {
		printf("%spart %d/%d: data_coding %u, esm_class 0x%02x, %u octets\n", i ? "\n" : "",
		       i + 1, n, parts[i].data_coding, parts[i].udhi ? 0x40 : 0, parts[i].msg_len);
		for (unsigned j = 0; j < parts[i].msg_len; j++)
			printf("%02x%s", parts[i].msg[j], (j + 1) % 32 == 0 || j + 1 == parts[i].msg_len ? "\n" : " ");
	}
	if (n < 0)
		fprintf(stderr, "query: segmenting failed: %s\n", strerror(-n));
}

static int cmd_query(void *ctx, itin_db_conn *conn, const struct itin_config *cfg,
		     const char *msisdn, const char *imsi, int64_t now, enum itin_lang lang,
		     bool parts, const char *command)
{
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN], previous[ITIN_SUBSCRIBER_KEY_LEN];
	const struct itin_service_config *service = &cfg->service;
	struct itin_subscriber_keyer *keyer = itin_subscriber_keyer_alloc(ctx, &cfg->keys.key[0]);
	struct itin_subscriber_keyer *previous_keyer =
		cfg->keys.num > 1 ? itin_subscriber_keyer_alloc(ctx, &cfg->keys.key[1]) : NULL;
	struct itin_sealer *sealer = itin_sealer_alloc(ctx, &cfg->keys);
	struct itin_db_query q = { .key = key, .previous_key = previous_keyer ? previous : NULL,
				   .now = now, .command = command };
	struct itin_db_query_result found;
	struct itin_reply *reply;
	bool mask_lost;
	char e164[16], uid[32];
	int rc;

	if (!keyer || !sealer || (cfg->keys.num > 1 && !previous_keyer))
		return -ENOMEM;
	if (msisdn) {
		if (itin_msisdn_normalize(msisdn[0] == '+' ? msisdn + 1 : msisdn, msisdn[0] == '+' ? 1 : 3,
					  service->country_code, e164) < 0) {
			fprintf(stderr, "query: not a phone number\n");
			return -EINVAL;
		}
		itin_subscriber_key_msisdn(keyer, e164, key);
		if (previous_keyer)
			itin_subscriber_key_msisdn(previous_keyer, e164, previous);
	} else {
		if (strlen(imsi) < 6 || strlen(imsi) > 15 || strspn(imsi, "0123456789") != strlen(imsi)) {
			fprintf(stderr, "query: not an IMSI (6 to 15 digits)\n");
			return -EINVAL;
		}
		itin_subscriber_key_imsi(keyer, imsi, key);
		if (previous_keyer)
			itin_subscriber_key_imsi(previous_keyer, imsi, previous);
	}
	audit_users(uid, sizeof(uid), &q.os_user, &q.sudo_user);
	rc = itin_db_query_subscriber(ctx, conn, service, &q, &found);
	if (rc == -ENOENT)
		fprintf(stderr, "query: no such subscriber\n");
	if (rc < 0)
		return rc;
	reply = itin_subscriber_reply(ctx, service, cfg->templates, &(struct itin_subscriber){
		.e164 = msisdn ? e164 : NULL, .mask_sealed = found.lookup.mask_sealed,
		.mask_sealed_len = found.lookup.mask_sealed_len, .rows = found.lookup.rows,
		.num_rows = found.lookup.num_rows }, &(struct itin_reply_inputs){
		.risks = found.risks, .num_risks = found.num_risks, .updated_at = found.updated_at,
		.sealer = sealer }, now, lang, &mask_lost);
	if (mask_lost)
		fprintf(stderr, "query: the stored mask cannot be unsealed (its key is not in the "
			"secret file?)\n");
	if (!reply) {
		fprintf(stderr, "query: building the reply failed\n");
		return -ENOMEM;
	}
	if (parts)
		print_parts(reply, service->max_parts);
	else
		printf("%s\n", itin_reply_flatten(ctx, reply));
	return 0;
}

/* Partition i of n migrated, and its requests numbered so that their ids name it. */
static int migrate_partition(itin_db_conn *conn, unsigned i, unsigned n)
{
	int rc = itin_db_migrate(conn, itin_db_data_dir());

	return rc < 0 ? rc : itin_db_partition_number_ids(conn, i, n);
}

/* migrate, retention and purge of a partitioned layout (issue 21) on each partition of the
 * proxy's map: migrate and purge after the proxy's own database (its cluster map, its global
 * tables), retention before it; a single node has none. *num (if num): the partitions, 0 for
 * a single node. */
static int on_every_partition(void *ctx, itin_db_conn *conn, const char *cmd,
			      const struct itin_config *cfg, int64_t now, unsigned *num)
{
	struct itin_partitions *parts;
	int rc;

	if (num)
		*num = 0;
	if ((rc = itin_db_partitions_open(ctx, conn, &parts)) < 0 || !parts)
		return rc;
	if (num)
		*num = parts->num;
	for (unsigned i = 0; i < parts->num && rc == 0; i++) {
		fprintf(stderr, "%s: partition %u\n", cmd, i);
		if (strcmp(cmd, "migrate") == 0)
			rc = migrate_partition(parts->conn[i], i, parts->num);
		else if (strcmp(cmd, "retention") == 0)
			rc = itin_db_retention(parts->conn[i], &cfg->service, &cfg->feed,
					       &cfg->privacy, now);
		else
			rc = itin_db_purge(parts->conn[i]);
	}
	talloc_free(parts);
	return rc;
}

/* Retention of a partitioned layout runs on the partitions first (each expires its own
 * subscribers, keys and request states, migration 270): the proxy's clamp of the feed's time
 * then asks them what presence their retention left (sql/proxy.sql), as a single node reads its
 * own tables after its swap. */
static int retention(void *ctx, itin_db_conn *conn, const struct itin_config *cfg, int64_t now)
{
	unsigned partitions;
	int rc = on_every_partition(ctx, conn, "retention", cfg, now, &partitions);

	if (rc < 0)
		return rc;
	if (partitions)
		fprintf(stderr, "retention: the proxy\n");
	return itin_db_retention(conn, &cfg->service, &cfg->feed, &cfg->privacy, now);
}

/* A command's result as its exit status, for cron jobs and scripts: 2 when it was refused for
 * now (a key still in use) or found nothing (no such subscriber), 1 for any other failure. */
static int exit_status(int rc)
{
	if (rc == 0)
		return 0;
	return rc == -EBUSY || rc == -ENOENT ? 2 : 1;
}

int main(int argc, char **argv)
{
	/* Before the config (and its secret) is read. */
	int no_dumps = itin_no_core_dumps();
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "msisdn", required_argument, NULL, 'm' },
		{ "imsi", required_argument, NULL, 'i' },
		{ "at", required_argument, NULL, 't' },
		{ "lang", required_argument, NULL, 'l' },
		{ "parts", no_argument, NULL, 'p' },
		{ "yes", no_argument, NULL, 'y' },
		{ "batch-rows", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	void *ctx = talloc_named_const(NULL, 0, "itinerad-db");
	const char *config_path = getenv("ITINERAD_CONFIG");
	const char *msisdn = NULL, *imsi = NULL, *cmd;
	struct itin_config *cfg;
	char err[512], number[64];
	char *conninfo, *command;
	itin_db_conn *conn;
	int64_t now = time(NULL);
	unsigned batch_rows = ITIN_LOAD_BATCH_ROWS;
	int lang = -1, opt, rc;
	bool parts = false, yes = false, at = false;

	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'm':
			msisdn = optarg;
			break;
		case 'i':
			imsi = optarg;
			break;
		case 't':
			if (itin_feed_parse_time(optarg, strlen(optarg), &now)) {
				fprintf(stderr, "--at %s: not Unix seconds nor ISO 8601 with an offset\n", optarg);
				return 1;
			}
			at = true;
			break;
		case 'l':
			if (strcmp(optarg, "zh") && strcmp(optarg, "en")) {
				fprintf(stderr, "--lang: zh or en\n");
				return 1;
			}
			lang = strcmp(optarg, "en") == 0 ? ITIN_LANG_EN : ITIN_LANG_ZH;
			break;
		case 'p':
			parts = true;
			break;
		case 'b':
			batch_rows = strtoul(optarg, NULL, 10);
			if (batch_rows == 0 || batch_rows > 2 * ITIN_LOAD_BATCH_ROWS) {
				fprintf(stderr, "--batch-rows: 1 to %u\n", 2 * ITIN_LOAD_BATCH_ROWS);
				return 1;
			}
			break;
		case 'y':
			yes = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("itinerad-db " PACKAGE_VERSION " (database schema %d)\n",
			       itin_db_schema_version());
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cmd = argv[optind];
	if (no_dumps < 0)
		fprintf(stderr, "itinerad-db: core dumps could not be disabled (%s): a core file would "
			"hold the keys\n", strerror(-no_dumps));
	/* The audit names the query's options (not the number): which day's window was seen. */
	command = NULL;
	if (strcmp(cmd, "query") == 0 && !msisdn != !imsi) {
		if (msisdn)
			msisdn = query_number(msisdn, number, sizeof(number));
		else
			imsi = query_number(imsi, number, sizeof(number));
		if (!msisdn && !imsi)
			return 1;
		command = talloc_asprintf(ctx, "query --%s%s%s%s%s", msisdn ? "msisdn" : "imsi",
					  at ? talloc_asprintf(ctx, " --at %lld", (long long)now) : "",
					  lang < 0 ? "" : " --lang ", lang < 0 ? "" : lang == ITIN_LANG_EN ? "en" : "zh",
					  parts ? " --parts" : "");
	}
	/* The db_* modules' reports (DLOAD), as plain lines on stderr. */
	if (itin_log_init_tool(ctx) < 0) {
		fprintf(stderr, "itinerad-db: cannot set up logging\n");
		return 1;
	}
	cfg = itin_config_load(ctx, config_path && *config_path ? config_path : DEFAULT_CONFIG, err,
			       sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (itin_localtime_init(cfg->service.time_zone) < 0) {
		fprintf(stderr, "unknown time zone %s\n", cfg->service.time_zone);
		return 1;
	}
	conninfo = itin_db_conninfo(ctx, &cfg->database, command_role(cmd), err, sizeof(err));
	if (!conninfo || !(conn = itin_db_connect_blocking(conninfo, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (strcmp(cmd, "migrate") == 0) {
		rc = itin_db_migrate(conn, itin_db_data_dir());
		if (rc == 0)
			rc = on_every_partition(ctx, conn, cmd, cfg, now, NULL);
	} else if (strcmp(cmd, "load") == 0 && optind + 2 < argc) {
		rc = cmd_load(conn, cfg, argv[optind + 1], argv[optind + 2], now, batch_rows);
	} else if (strcmp(cmd, "retention") == 0) {
		rc = retention(ctx, conn, cfg, now);
	} else if (strcmp(cmd, "retire-key") == 0 && optind + 1 < argc) {
		char *end;
		unsigned long id = strtoul(argv[optind + 1], &end, 10);

		if (*end || !*argv[optind + 1] || id > ITIN_KEY_ID_MAX) {
			fprintf(stderr, "retire-key: '%s' is not a key id (0 to %d)\n",
				argv[optind + 1], ITIN_KEY_ID_MAX);
			rc = -EINVAL;
		} else if ((rc = itin_db_is_proxy(conn)) != 0) {
			if (rc > 0)
				fprintf(stderr, "retire-key: a partitioned layout does not rotate keys\n");
			rc = rc > 0 ? -EINVAL : rc;
		} else {
			rc = itin_db_retire_key(conn, &cfg->keys, &cfg->service, id, stdout);
		}
	} else if (strcmp(cmd, "purge") == 0) {
		if (!yes) {
			fprintf(stderr, "purge deletes every subscriber's data: add --yes\n");
			rc = -EINVAL;
		} else {
			rc = itin_db_purge(conn);
			if (rc == 0)
				rc = on_every_partition(ctx, conn, cmd, cfg, now, NULL);
		}
	} else if (strcmp(cmd, "disputes") == 0 && optind + 1 == argc) {
		struct itin_sealer *sealer = itin_sealer_alloc(ctx, &cfg->keys);

		rc = sealer ? itin_db_disputes_list(conn, sealer, stdout) : -ENOMEM;
	} else if (strcmp(cmd, "disputes") == 0 && optind + 3 == argc &&
		   strcmp(argv[optind + 1], "close") == 0) {
		char *end;
		unsigned long long case_no = strtoull(argv[optind + 2], &end, 10);

		if (*end || !*argv[optind + 2]) {
			fprintf(stderr, "disputes close: '%s' is not a case number\n", argv[optind + 2]);
			rc = -EINVAL;
		} else {
			rc = itin_db_dispute_close(conn, case_no, stdout);
		}
	} else if (command) {
		rc = cmd_query(ctx, conn, cfg, msisdn, imsi, now,
			       lang < 0 ? cfg->service.default_lang : (enum itin_lang)lang, parts, command);
	} else {
		usage(stderr);
		rc = -EINVAL;
	}
	itin_db_disconnect(conn);
	talloc_free(ctx);
	return exit_status(rc);
}
