/*
 * Batches of the request statements (see request_db.h). A gathering is one statement being
 * filled during this loop turn: its parameters as PostgreSQL array text, and the callbacks of
 * its requests. Sending it hands the callbacks (a struct batch) to the pool and empties the
 * gathering for the next turn. Begin statements are gathered per pool connection, chosen by
 * subscriber key, so that a subscriber's requests stay on one connection (see
 * itin_db_pool_exec_keyed); lookups write nothing and go to the least busy connection.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "common/log.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/db_lookup.h"
#include "db/db_pool.h"
#include "db/db_replica.h"
#include "db/db_sql.h"
#include "db/pg_array.h"
#include "db/request_db.h"
#include "db/request_inputs.h"

#define BEGIN_BATCH_PARAMS 14
#define LOOKUP_BATCH_PARAMS 3

static const struct itin_db_statement statements[] = {
	{ "begin", "SELECT request_id, action, lang FROM itin_requests_begin($1, $2, $3, $4, $5, $6, "
		   "$7, $8, $9, make_interval(secs => $10), $11, make_interval(secs => $12), "
		   "make_interval(secs => $13), $14)", BEGIN_BATCH_PARAMS },
	{ "lookup", itin_sql_lookup_batch, LOOKUP_BATCH_PARAMS },
	{ "sent", "SELECT itin_requests_sent($1, $2, $3, $4, now())", 4 },
	{ "reopen", "SELECT itin_request_reopen($1, $2, $3, $4, $5, $6, $7, $8, $9)", 9 },
	{ "incomplete", "SELECT itin_audit_incomplete($1, $2, to_timestamp($3))", 3 },
	{ "unrecorded", "SELECT itin_audit_unrecorded($1, $2, $3, $4, $5, $6, $7)", 7 },
	{ "freshness", itin_sql_freshness, 0 },
	{ "risks", itin_sql_risks, 0 },
	{ "pending_bound", "SELECT itin_pending_bound()", 0 },
	{ "pending", "SELECT * FROM itin_instance_pending($1, $2, $3, "
		     OSMO_STRINGIFY_VAL(ITIN_PENDING_BATCH) ")", 3 },
	{ "link_hold", "SELECT itin_link_hold($1, $2, $3)", 3 },
	{ "take_over", "SELECT * FROM itin_instance_take_over($1, $2, "
		       OSMO_STRINGIFY_VAL(ITIN_PENDING_BATCH) ")", 2 },
	{ "orphans", "SELECT * FROM itin_instance_orphans($1, $2, $3, "
		     OSMO_STRINGIFY_VAL(ITIN_PENDING_BATCH) ")", 3 },
	/* db/verify_db.c */
	{ "verify_issue_batch", "SELECT itin_verify_issue_batch($1, $2, $3, "
				"make_interval(secs => $4), $5)", 5 },
	{ "verify_check", "SELECT outcome, extract(epoch FROM issued_at)::bigint, shown FROM "
			  "itin_verify_check($1, $2, $3, to_timestamp($4), $5, "
			  "make_interval(secs => $6))", 6 },
	{ "verify_void", "SELECT itin_verify_void($1, $2)", 2 },
	/* db/dispute_db.c */
	{ "dispute_open", "SELECT itin_dispute_open($1, $2, to_timestamp($3), $4, $5, $6)", 6 },
};
const struct itin_db_statement *const itin_request_statements = statements;
const unsigned itin_num_request_statements = ARRAY_SIZE(statements);

/* The array parameters, with the longest text of one element. */
enum { BEGIN_KEY, BEGIN_CHANNEL, BEGIN_INTENT, BEGIN_AT, BEGIN_MESSAGE, BEGIN_REPLY_TO,
       BEGIN_CONSENT, BEGIN_ARRAYS };
enum { LOOKUP_KEY, LOOKUP_FIRST_DAY, LOOKUP_PREVIOUS_KEY, LOOKUP_ARRAYS };
static const size_t begin_element_max[BEGIN_ARRAYS] = {
	2 * ITIN_SUBSCRIBER_KEY_LEN, 10, 10, 20, 2 * 32, 2 * ITIN_SEALED_MAX, 1,
};
static const size_t lookup_element_max[LOOKUP_ARRAYS] = {
	2 * ITIN_SUBSCRIBER_KEY_LEN, 15, 2 * ITIN_SUBSCRIBER_KEY_LEN,
};

/* The requests of one statement sent, waiting for its result. */
struct batch {
	struct llist_head list;		/* in unsent, when the pool did not take it */
	bool lookup;
	unsigned num;
	struct {
		itin_begun_cb begun;
		itin_looked_up_cb looked_up;
		void *arg;
	} waiter[ITIN_REQUEST_BATCH_MAX];
};

struct gathering {
	struct itin_request_db *rdb;
	const char *statement;		/* "begin" or "lookup" */
	unsigned connection;		/* begin: the pool connection (exec_keyed's key) */
	struct batch *batch;		/* NULL: nothing gathered this turn */
	struct itin_begin_rules rules;	/* begin: the first request's */
	struct itin_pg_array param[BEGIN_ARRAYS];
	unsigned num_arrays;
};

static const struct timeval send_now = { 0, 0 };

struct itin_request_db {
	struct itin_db_pool *db;
	struct itin_db_replica *replica;	/* NULL: the lookups on db too */
	const char *owner;		/* the instance's name, recorded with its requests */
	struct gathering *begins;	/* one per pool connection */
	unsigned num_begins;
	struct gathering lookups;
	struct llist_head unsent;	/* batches the pool did not take: failed at the turn's end */
	struct event *send;		/* at the end of this loop turn */
};

static int gathering_init(struct itin_request_db *rdb, struct gathering *g, const char *statement,
			  const size_t *element_max, unsigned num_arrays)
{
	g->rdb = rdb;
	g->statement = statement;
	g->num_arrays = num_arrays;
	for (unsigned i = 0; i < num_arrays; i++) {
		/* room for a full batch: adding never reallocates */
		itin_pg_array_init(&g->param[i], rdb, ITIN_REQUEST_BATCH_MAX * (element_max[i] + 1));
		if (g->param[i].failed)
			return -ENOMEM;
	}
	return 0;
}

/* Why a batch's statement gave no rows: the database's message, or that it was not sent. */
static const char *failure(const PGresult *res)
{
	return res ? PQresultErrorMessage(res) : "no database connection, or too busy\n";
}

static void begun_batch_cb(void *arg, const PGresult *res)
{
	struct batch *b = arg;
	bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
	const char *why = failure(res);

	if (ok && PQntuples(res) != (int)b->num) {
		LOGP(DDB, LOGL_ERROR, "begin: %d rows for %u requests\n", PQntuples(res), b->num);
		why = "the database gave a row count that is not the batch's\n";
		ok = false;
	}
	for (unsigned i = 0; i < b->num; i++) {
		struct itin_request_row row;

		if (!ok) {
			b->waiter[i].begun(b->waiter[i].arg, NULL, why);
			continue;
		}
		if (PQgetisnull(res, i, 1)) {
			/* a proxy's: the subscriber's partition is being moved (sql/proxy.sql) */
			b->waiter[i].begun(b->waiter[i].arg, NULL,
					   "the database decided nothing (a partition being moved)\n");
			continue;
		}
		row.id = PQgetisnull(res, i, 0) ? 0 : strtoll(PQgetvalue(res, i, 0), NULL, 10);
		row.action = atoi(PQgetvalue(res, i, 1));
		row.english = atoi(PQgetvalue(res, i, 2)) == 1;
		b->waiter[i].begun(b->waiter[i].arg, &row, NULL);
	}
	talloc_free(b);
}

/* Hands one request its rows (first .. first + num - 1 of res), decoded. */
static void hand_lookup(struct batch *b, unsigned i, const PGresult *res, int first, int num)
{
	struct itin_lookup lookup;
	void *rows = talloc_new(b);

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		b->waiter[i].looked_up(b->waiter[i].arg, NULL, failure(res));
	else if (!rows || itin_lookup_from_batch(rows, res, first, num, &lookup) < 0)
		b->waiter[i].looked_up(b->waiter[i].arg, NULL, "rows not readable, or out of memory\n");
	else
		b->waiter[i].looked_up(b->waiter[i].arg, &lookup, NULL);
	talloc_free(rows);
}

/* The rows come ordered by the request's position (1, 2, ...) in the first column. */
static void looked_up_batch_cb(void *arg, const PGresult *res)
{
	struct batch *b = arg;
	int rows = 0, row = 0;

	if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
		rows = PQntuples(res);
	for (unsigned i = 0; i < b->num; i++) {
		int first = row;

		while (row < rows && strtoul(PQgetvalue(res, row, 0), NULL, 10) == i + 1)
			row++;
		hand_lookup(b, i, res, first, row - first);
	}
	if (row != rows)
		LOGP(DDB, LOGL_ERROR, "lookup: %d rows not of any request\n", rows - row);
	talloc_free(b);
}

static void batch_failed(struct batch *b)
{
	if (b->lookup)
		looked_up_batch_cb(b, NULL);
	else
		begun_batch_cb(b, NULL);
}

static void gathering_send(struct gathering *g)
{
	const struct itin_begin_rules *r = &g->rules;
	struct batch *b = g->batch;
	const char *values[BEGIN_BATCH_PARAMS], **arrays = values + 1;
	char lang[2], timeout[12], count[12], period[12], dedup[12];
	int rc = 0;

	g->batch = NULL;
	if (g->num_arrays == LOOKUP_ARRAYS)
		arrays = values;
	else
		values[0] = g->rdb->owner;
	for (unsigned i = 0; i < g->num_arrays; i++) {
		arrays[i] = itin_pg_array_close(&g->param[i]);
		if (!arrays[i])
			rc = -ENOMEM;
	}
	if (!rc && g->num_arrays == LOOKUP_ARRAYS) {
		rc = g->rdb->replica ?
			itin_db_replica_lookup(g->rdb->replica, LOOKUP_BATCH_PARAMS, values,
					       looked_up_batch_cb, b) :
			itin_db_pool_read(g->rdb->db, g->statement, LOOKUP_BATCH_PARAMS, values,
					  looked_up_batch_cb, b);
	} else if (!rc) {
		snprintf(lang, sizeof(lang), "%d", r->english);
		snprintf(timeout, sizeof(timeout), "%u", r->consent_timeout_s);
		snprintf(count, sizeof(count), "%u", r->rate_count);
		snprintf(period, sizeof(period), "%u", r->rate_period_s);
		snprintf(dedup, sizeof(dedup), "%u", r->dedup_s);
		values[BEGIN_ARRAYS + 1] = lang;
		values[BEGIN_ARRAYS + 2] = timeout;
		values[BEGIN_ARRAYS + 3] = count;
		values[BEGIN_ARRAYS + 4] = period;
		values[BEGIN_ARRAYS + 5] = dedup;
		values[BEGIN_ARRAYS + 6] = r->shutdown ? "t" : "f";
		rc = itin_db_pool_exec_keyed(g->rdb->db, g->connection, g->statement,
					     BEGIN_BATCH_PARAMS, values, begun_batch_cb, b);
	}
	if (rc < 0) {
		LOGP(DDB, LOGL_ERROR, "%s of %u requests not sent: %s\n", g->statement, b->num,
		     rc == -EAGAIN ? "too many statements queued" :
		     rc == -ENOMEM ? "out of memory" : "no database connection");
		llist_add_tail(&b->list, &g->rdb->unsent);
		evtimer_add(g->rdb->send, &send_now);
	}
}

static void send_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_request_db *rdb = arg;
	struct batch *b, *tmp;
	LLIST_HEAD(unsent);

	llist_splice_init(&rdb->unsent, &unsent);
	llist_for_each_entry_safe(b, tmp, &unsent, list) {
		llist_del(&b->list);
		batch_failed(b);
	}

	for (unsigned i = 0; i < rdb->num_begins; i++) {
		if (rdb->begins[i].batch)
			gathering_send(&rdb->begins[i]);
	}
	if (rdb->lookups.batch)
		gathering_send(&rdb->lookups);
}

/* A place in g's batch for one more request, or NULL (out of memory). */
static struct batch *gathering_join(struct gathering *g)
{
	if (!g->batch) {
		g->batch = talloc_zero(g->rdb, struct batch);
		if (!g->batch)
			return NULL;
		g->batch->lookup = g->num_arrays == LOOKUP_ARRAYS;
		evtimer_add(g->rdb->send, &send_now);
	}
	return g->batch;
}

/* Sends g's batch now if it is full. */
static void gathering_joined(struct gathering *g)
{
	if (g->batch->num == ITIN_REQUEST_BATCH_MAX)
		gathering_send(g);
}

int itin_request_db_begin(struct itin_request_db *rdb, const struct itin_begin_args *args,
			  const struct itin_begin_rules *rules, itin_begun_cb cb, void *arg)
{
	uint32_t hash = (uint32_t)args->key[0] << 24 | args->key[1] << 16 | args->key[2] << 8 |
			args->key[3];
	struct gathering *g = &rdb->begins[hash % rdb->num_begins];
	struct batch *b = gathering_join(g);
	unsigned i;

	if (!b)
		return -ENOMEM;
	if (b->num == 0)
		g->rules = *rules;
	i = b->num++;
	b->waiter[i].begun = cb;
	b->waiter[i].arg = arg;
	itin_pg_array_add_hex(&g->param[BEGIN_KEY], args->key, ITIN_SUBSCRIBER_KEY_LEN);
	itin_pg_array_add_int(&g->param[BEGIN_CHANNEL], args->channel);
	itin_pg_array_add_int(&g->param[BEGIN_INTENT], args->intent);
	itin_pg_array_add_int(&g->param[BEGIN_AT], args->at);
	if (args->digest)
		itin_pg_array_add_hex(&g->param[BEGIN_MESSAGE], args->digest, 32);
	else
		itin_pg_array_add_text(&g->param[BEGIN_MESSAGE], "NULL");
	itin_pg_array_add_hex(&g->param[BEGIN_REPLY_TO], args->sealed, args->sealed_len);
	itin_pg_array_add_text(&g->param[BEGIN_CONSENT], args->ask_consent ? "t" : "f");
	gathering_joined(g);
	return 0;
}

int itin_request_db_lookup(struct itin_request_db *rdb, const uint8_t *key,
			   const uint8_t *previous_key, const char *first_day,
			   itin_looked_up_cb cb, void *arg)
{
	struct gathering *g = &rdb->lookups;
	struct batch *b = gathering_join(g);
	unsigned i;

	if (!b)
		return -ENOMEM;
	i = b->num++;
	b->waiter[i].looked_up = cb;
	b->waiter[i].arg = arg;
	itin_pg_array_add_hex(&g->param[LOOKUP_KEY], key, ITIN_SUBSCRIBER_KEY_LEN);
	itin_pg_array_add_text(&g->param[LOOKUP_FIRST_DAY], first_day);
	if (previous_key)
		itin_pg_array_add_hex(&g->param[LOOKUP_PREVIOUS_KEY], previous_key, ITIN_SUBSCRIBER_KEY_LEN);
	else
		itin_pg_array_add_text(&g->param[LOOKUP_PREVIOUS_KEY], "NULL");
	gathering_joined(g);
	return 0;
}

static void incomplete_cb(void *arg, const PGresult *res)
{
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		LOGP(DDB, LOGL_ERROR, "the audit row of an incomplete SMS not written: %s", failure(res));
}

int itin_request_db_audit_incomplete(struct itin_request_db *rdb, const uint8_t *key,
				     unsigned channel, int64_t at)
{
	char key_text[3 + 2 * ITIN_SUBSCRIBER_KEY_LEN], channel_text[12], at_text[24];
	const char *values[3] = { key_text, channel_text, at_text };
	int rc;

	memcpy(key_text, "\\x", 2);
	osmo_hexdump_buf(key_text + 2, sizeof(key_text) - 2, key, ITIN_SUBSCRIBER_KEY_LEN, "", false);
	snprintf(channel_text, sizeof(channel_text), "%u", channel);
	snprintf(at_text, sizeof(at_text), "%" PRId64, at);
	rc = itin_db_pool_exec(rdb->db, "incomplete", 3, values, incomplete_cb, NULL);
	if (rc < 0)
		LOGP(DDB, LOGL_ERROR, "the audit row of an incomplete SMS not written: %s\n",
		     rc == -ENOTCONN ? "no database connection" : "too busy");
	return rc;
}

static int request_db_destructor(struct itin_request_db *rdb)
{
	if (rdb->send)
		event_free(rdb->send);
	return 0;
}

struct itin_request_db *itin_request_db_alloc(void *ctx, struct event_base *base,
					      struct itin_db_pool *db, const char *owner)
{
	struct itin_request_db *rdb = talloc_zero(ctx, struct itin_request_db);

	if (!rdb)
		return NULL;
	talloc_set_destructor(rdb, request_db_destructor);
	rdb->db = db;
	rdb->owner = owner;
	INIT_LLIST_HEAD(&rdb->unsent);
	rdb->num_begins = itin_db_pool_size(db);
	rdb->begins = talloc_zero_array(rdb, struct gathering, rdb->num_begins);
	rdb->send = evtimer_new(base, send_cb, rdb);
	if (!rdb->begins || !rdb->send ||
	    gathering_init(rdb, &rdb->lookups, "lookup", lookup_element_max, LOOKUP_ARRAYS) < 0)
		goto fail;
	for (unsigned i = 0; i < rdb->num_begins; i++) {
		rdb->begins[i].connection = i;
		if (gathering_init(rdb, &rdb->begins[i], "begin", begin_element_max, BEGIN_ARRAYS) < 0)
			goto fail;
	}
	return rdb;
fail:
	talloc_free(rdb);
	return NULL;
}

void itin_request_db_set_replica(struct itin_request_db *rdb, struct itin_db_replica *replica)
{
	rdb->replica = replica;
}
