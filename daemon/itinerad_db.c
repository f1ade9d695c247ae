/*
 * itinerad-db: the one command-line tool of operators and customer care.
 *
 *   itinerad-db [-c FILE] migrate
 *   itinerad-db [-c FILE] load cells|events|risk FILE|-
 *   itinerad-db [-c FILE] retention [--at TIME]
 *   itinerad-db [-c FILE] purge --yes
 *   itinerad-db [-c FILE] query --msisdn N | --imsi N [--at TIME] [--lang zh|en] [--parts]
 *
 * The config comes from -c, else $ITINERAD_CONFIG, else /etc/itinerad/itinerad.conf; the
 * database as db_connect.h says, as the command's role. query prints exactly what the subscriber would read (the SMS
 * reply; parts separated by a blank line). This file only dispatches: the work is in the
 * db_* modules and the engine.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "daemon/config.h"
#include "daemon/db_connect.h"
#include "daemon/db_load_events.h"
#include "daemon/db_load_registry.h"
#include "daemon/db_lookup.h"
#include "daemon/db_migrate.h"
#include "daemon/db_retention.h"
#include "daemon/db_sql.h"
#include "daemon/feed_csv.h"
#include "daemon/itinerary.h"
#include "daemon/localtime.h"
#include "daemon/msisdn.h"
#include "daemon/reply_text.h"
#include "daemon/subscriber_key.h"
#include "sms/sms_segment.h"

#define DEFAULT_CONFIG "/etc/itinerad/itinerad.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: itinerad-db [-c FILE] COMMAND\n"
		"  migrate                          create or upgrade the schema, refresh reference data\n"
		"  load cells|events|risk FILE|-    load an operator feed (SPEC section 7)\n"
		"       [--batch-rows N]            events: folded rows per transaction (1048576)\n"
		"  retention [--at TIME]            keep the window + 1 day of presence (run daily)\n"
		"  purge --yes                      delete all subscriber data (service shutdown)\n"
		"  query --msisdn N | --imsi N [--at TIME] [--lang zh|en] [--parts]\n"
		"                                   print the reply the subscriber would get\n"
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

static int cmd_migrate(PGconn *conn)
{
	return itin_db_migrate(conn, itin_db_data_dir(), stderr) < 0 ? 1 : 0;
}

static int cmd_load(PGconn *conn, const struct itin_config *cfg, const char *what, const char *path,
		    unsigned batch_rows)
{
	struct itin_load_stats st = { 0 };
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct timespec t0, t1;
	double secs;
	int rc;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(what, "events") == 0)
		rc = itin_db_load_events(conn, cfg, f, path, batch_rows, &st, stderr);
	else if (strcmp(what, "cells") == 0)
		rc = itin_db_load_cells(conn, f, path, &st, stderr);
	else if (strcmp(what, "risk") == 0)
		rc = itin_db_load_risk(conn, f, path, &st, stderr);
	else {
		fprintf(stderr, "load: unknown feed %s (cells, events or risk)\n", what);
		rc = -1;
	}
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("load %s: %llu lines, %llu loaded, %llu skipped, %llu unknown, %llu rows written\n",
	       what, (unsigned long long)st.lines, (unsigned long long)st.loaded,
	       (unsigned long long)st.skipped, (unsigned long long)st.unknown,
	       (unsigned long long)st.rows);
	fprintf(stderr, "load %s: %.2f s, %.0f lines/s\n", what, secs, secs > 0 ? st.lines / secs : 0);
	return 0;
}

static PGresult *exec_params(PGconn *conn, const char *sql, int n, const char *const *values)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "query: %s", PQerrorMessage(conn));
	return res;
}

static void print_parts(const struct itin_reply *reply, const struct itin_config *cfg)
{
	struct itin_sms_part parts[16];
	int n = itin_sms_segment(reply, cfg->max_parts, 1, parts, 16);

	for (int i = 0; i < n; i++) {
		printf("%spart %d/%d: data_coding %u, esm_class 0x%02x, %u octets\n", i ? "\n" : "",
		       i + 1, n, parts[i].data_coding, parts[i].udhi ? 0x40 : 0, parts[i].msg_len);
		for (unsigned j = 0; j < parts[i].msg_len; j++)
			printf("%02x%s", parts[i].msg[j], (j + 1) % 32 == 0 || j + 1 == parts[i].msg_len ? "\n" : " ");
	}
	if (n < 0)
		fprintf(stderr, "query: segmenting failed: %s\n", strerror(-n));
}

static int cmd_query(void *ctx, PGconn *conn, const struct itin_config *cfg, const char *msisdn,
		     const char *imsi, int64_t now, enum itin_lang lang, bool parts)
{
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];
	struct itin_subscriber_keyer *keyer = itin_subscriber_keyer_alloc(ctx, cfg->hmac_secret);
	struct itin_lookup_params params;
	struct itin_lookup lookup;
	struct itin_itinerary itinerary;
	struct itin_risk *risks;
	unsigned num_risks;
	struct itin_reply_args args = { 0 };
	struct itin_reply *reply;
	PGresult *res;
	char e164[16];
	int64_t updated_at;

	if (!keyer)
		return 1;
	if (msisdn) {
		if (itin_msisdn_normalize(msisdn[0] == '+' ? msisdn + 1 : msisdn, msisdn[0] == '+' ? 1 : 3,
					  cfg->country_code, e164) < 0) {
			fprintf(stderr, "query: %s is not a phone number\n", msisdn);
			return 1;
		}
		itin_subscriber_key_msisdn(keyer, e164, key);
	} else {
		itin_subscriber_key_imsi(keyer, imsi, key);
	}
	itin_lookup_params_set(&params, cfg, key, now);
	res = exec_params(conn, itin_sql_lookup, 2, params.values);
	if (itin_lookup_from_result(ctx, res, &lookup) < 0) {
		PQclear(res);
		return 1;
	}
	PQclear(res);
	if (!lookup.known) {
		fprintf(stderr, "query: no such subscriber\n");
		return 2;
	}
	res = exec_params(conn, itin_sql_freshness, 0, NULL);
	updated_at = itin_freshness_from_result(res);
	PQclear(res);
	res = exec_params(conn, itin_sql_risks, 0, NULL);
	if (itin_risks_from_result(ctx, res, &risks, &num_risks) < 0) {
		PQclear(res);
		return 1;
	}
	PQclear(res);
	if (itin_itinerary_build(ctx, cfg, lookup.rows, lookup.num_rows, risks, num_risks, now,
				 &itinerary) < 0) {
		fprintf(stderr, "query: building the itinerary failed\n");
		return 1;
	}
	args.mask = lookup.mask;
	args.updated_at = updated_at;
	args.itinerary = &itinerary;
	reply = itin_reply_render(ctx, cfg, itinerary.num_visits ? ITIN_TEXT_ITINERARY : ITIN_TEXT_NO_DATA,
				  lang, &args);
	if (!reply) {
		fprintf(stderr, "query: rendering failed\n");
		return 1;
	}
	if (parts)
		print_parts(reply, cfg);
	else
		printf("%s\n", itin_reply_flatten(ctx, reply));
	return 0;
}

int main(int argc, char **argv)
{
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
		{ NULL, 0, NULL, 0 },
	};
	void *ctx = talloc_named_const(NULL, 0, "itinerad-db");
	const char *config_path = getenv("ITINERAD_CONFIG");
	const char *msisdn = NULL, *imsi = NULL, *cmd;
	struct itin_config *cfg;
	char err[512];
	char *conninfo;
	PGconn *conn;
	int64_t now = time(NULL);
	unsigned batch_rows = ITIN_LOAD_BATCH_ROWS;
	int lang = -1, opt, rc;
	bool parts = false, yes = false;

	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
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
	cfg = itin_config_load(ctx, config_path && *config_path ? config_path : DEFAULT_CONFIG, err,
			       sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (itin_localtime_init(cfg->time_zone) < 0) {
		fprintf(stderr, "unknown time zone %s\n", cfg->time_zone);
		return 1;
	}
	conninfo = itin_db_conninfo(ctx, cfg, command_role(cmd), err, sizeof(err));
	if (!conninfo || !(conn = itin_db_connect_blocking(conninfo, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (strcmp(cmd, "migrate") == 0) {
		rc = cmd_migrate(conn);
	} else if (strcmp(cmd, "load") == 0 && optind + 2 < argc) {
		rc = cmd_load(conn, cfg, argv[optind + 1], argv[optind + 2], batch_rows);
	} else if (strcmp(cmd, "retention") == 0) {
		rc = itin_db_retention(conn, cfg, now, stderr) < 0 ? 1 : 0;
	} else if (strcmp(cmd, "purge") == 0) {
		if (!yes) {
			fprintf(stderr, "purge deletes every subscriber's data: add --yes\n");
			rc = 1;
		} else {
			rc = itin_db_purge(conn, stderr) < 0 ? 1 : 0;
		}
	} else if (strcmp(cmd, "query") == 0 && (!msisdn != !imsi)) {
		rc = cmd_query(ctx, conn, cfg, msisdn, imsi, now,
			       lang < 0 ? cfg->default_lang : (enum itin_lang)lang, parts);
	} else {
		usage(stderr);
		rc = 1;
	}
	PQfinish(conn);
	talloc_free(ctx);
	return rc;
}
