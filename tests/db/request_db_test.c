/*
 * The request statements in batches (db/request_db.c) against a real PostgreSQL, run by
 * tests/db/request_db.sh after loading tests/db/events.csv; stdout must equal
 * tests/db/request_db.ok. Requests queued in one loop turn must go as one statement each
 * kind (on a pool of one connection), be decided in the order given (a repeat of a message in
 * the same batch is a duplicate), and each get its own rows back: an unknown subscriber's
 * lookup between two known ones gets none, and its neighbours theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "common/config.h"
#include "common/log.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/db_pool.h"
#include "db/request_db.h"
#include "tests/db/pool_steps.h"

static struct itin_db_pool *pool;
static struct itin_request_db *rdb;
static struct itin_subscriber_keyer *keyer;
static struct itin_sealer *sealer;

static void begun_cb(void *arg, const struct itin_request_row *row, const char *why)
{
	if (!row)
		printf("%s: not recorded: %s", (const char *)arg, why);
	else
		printf("%s: action %u, pending row %s\n", (const char *)arg, row->action,
		       row->id ? "yes" : "none");
	pool_steps_answered();
}

static void looked_up_cb(void *arg, const struct itin_lookup *lookup, const char *why)
{
	char mask[16];

	if (!lookup) {
		printf("%s: failed: %s", (const char *)arg, why);
		pool_steps_answered();
		return;
	}
	if (!lookup->known)
		printf("%s: unknown\n", (const char *)arg);
	/* The mask is stored sealed (migration 070): what it says is opened here. */
	if (itin_unseal(sealer, ITIN_SEAL_MASK, lookup->mask_sealed, lookup->mask_sealed_len, mask,
			sizeof(mask)) < 0)
		snprintf(mask, sizeof(mask), "(sealed?)");
	for (unsigned i = 0; i < lookup->num_rows; i++)
		printf("%s: %s day %d place %d\n", (const char *)arg, mask, lookup->rows[i].day,
		       lookup->rows[i].place);
	pool_steps_answered();
}

/* A query (intent 0) from an MSISDN with message digest 0xDD.., consent asked or not. */
static void begin(const char *msisdn, uint8_t digest_octet, bool ask_consent, const char *what)
{
	static const struct itin_begin_rules rules = {
		.consent_timeout_s = 600, .rate_count = 5, .rate_period_s = 3600, .dedup_s = 30,
	};
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN], digest[32], sealed[4] = { 1, 2, 3, 4 };
	struct itin_begin_args args = {
		.key = key, .channel = 0, .intent = 0, .at = 1795100000, .digest = digest,
		.sealed = sealed, .sealed_len = sizeof(sealed), .ask_consent = ask_consent,
	};

	memset(digest, digest_octet, sizeof(digest));
	pool_steps_sent();
	if (itin_subscriber_key_msisdn(keyer, msisdn, key) < 0 ||
	    itin_request_db_begin(rdb, &args, &rules, begun_cb, (void *)what) < 0)
		exit(1);
}

static void lookup(const char *msisdn, const char *what)
{
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];

	pool_steps_sent();
	if (itin_subscriber_key_msisdn(keyer, msisdn, key) < 0 ||
	    itin_request_db_lookup(rdb, key, NULL, "2026-11-01", looked_up_cb, (void *)what) < 0)
		exit(1);
}

static bool step(unsigned n)
{
	struct itin_db_pool_stats st;

	itin_db_pool_get_stats(pool, &st);
	if (n > 0)
		printf("statements so far: %llu\n", st.executed);
	switch (n) {
	case 0:
		printf("one turn: A asks, A's message again, B asks (consent on), A asks anew\n");
		begin("8613800000001", 0xdd, false, "A");
		begin("8613800000001", 0xdd, false, "A again");
		begin("8613800000002", 0xdd, true, "B");
		begin("8613800000001", 0xee, false, "A anew");
		break;
	case 1:
		printf("one turn: lookups of A, an unknown number, C\n");
		lookup("8613800000001", "A");
		lookup("8613800000099", "unknown");
		lookup("8613900000003", "C");
		break;
	default:
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "request_db_test");
	struct event_base *base;
	char err[256];
	struct itin_config *cfg;

	itin_log_init(ctx, "request_db_test", false, LOGL_ERROR);
	cfg = argc > 2 ? itin_config_load(ctx, argv[2], err, sizeof(err)) : NULL;
	if (!cfg) {
		fprintf(stderr, "usage: request_db_test CONNINFO CONFIG (%s)\n", argc > 2 ? err : "");
		return 1;
	}
	base = event_base_new();
	pool = itin_db_pool_alloc(ctx, base, argv[1], 1, itin_request_statements,
				  itin_num_request_statements);
	rdb = pool ? itin_request_db_alloc(ctx, base, pool, "test/rdb") : NULL;
	keyer = itin_subscriber_keyer_alloc(ctx, &cfg->keys.key[0]);
	sealer = itin_sealer_alloc(ctx, &cfg->keys);
	if (!base || !rdb || !keyer || !sealer || itin_db_pool_start(pool) < 0 ||
	    pool_steps_run(base, pool, step) < 0) {
		fprintf(stderr, "setting up failed\n");
		return 1;
	}
	talloc_free(ctx);
	event_base_free(base);
	return 0;
}
