/*
 * The verification statements (verify_db.h): parameters as text, bytea as \x hex, results
 * decoded here. Each call's callback and its argument travel in one talloc chunk that the
 * result frees; the codes issued during one loop turn go as one statement.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "common/subscriber_key.h"
#include "db/db_pool.h"
#include "db/pg_array.h"
#include "db/verify_db.h"

struct verify_call {
	union {
		itin_verify_checked_cb checked;
		itin_verify_voided_cb voided;
	} cb;
	void *arg;
};

static const char *failure(const PGresult *res)
{
	return res ? PQresultErrorMessage(res) : "no database\n";
}

static bool tuples(const PGresult *res)
{
	return res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
}

static struct verify_call *call_alloc(void *arg)
{
	struct verify_call *c = talloc_zero(NULL, struct verify_call);

	if (c)
		c->arg = arg;
	return c;
}

/* The codes of one loop turn, stored by one itin_verify_issue_batch statement
 * (sql/migrations/187_verify_issue_batch.sql): a commit a turn, not one a reply. */
struct issue_batch {
	unsigned num;
	struct itin_pg_array hashes, holders, ats, shown;	/* the parameters, being written */
	struct {
		itin_verify_issued_cb cb;
		void *arg;
	} waiter[ITIN_VERIFY_ISSUE_BATCH_MAX];
};

struct itin_verify_issuer {
	struct itin_db_pool *db;
	unsigned valid_s;		/* of the batch being gathered: one validity a batch */
	struct issue_batch *gathering;	/* NULL: nothing this turn */
	struct event *send;		/* at the end of the loop turn */
};

static const struct timeval send_now = { 0, 0 };

static void issued_batch_cb(void *arg, const PGresult *res)
{
	struct issue_batch *b = arg;
	bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		  strtoul(PQgetvalue(res, 0, 0), NULL, 10) == b->num;

	for (unsigned i = 0; i < b->num; i++)
		b->waiter[i].cb(b->waiter[i].arg, ok ? 0 : -EIO,
				ok ? NULL : res && PQresultStatus(res) != PGRES_TUPLES_OK ?
				failure(res) : "not every code stored\n");
	talloc_free(b);
}

static void issue_send(struct itin_verify_issuer *v)
{
	struct issue_batch *b = v->gathering;
	char valid[12];
	const char *values[5] = {
		itin_pg_array_close(&b->hashes), itin_pg_array_close(&b->holders),
		itin_pg_array_close(&b->ats), valid, itin_pg_array_close(&b->shown),
	};

	v->gathering = NULL;
	evtimer_del(v->send);
	if (!values[0] || !values[1] || !values[2] || !values[4]) {
		issued_batch_cb(b, NULL);
		return;
	}
	snprintf(valid, sizeof(valid), "%u", v->valid_s);
	if (itin_db_pool_exec(v->db, "verify_issue_batch", 5, values, issued_batch_cb, b) < 0)
		issued_batch_cb(b, NULL);
}

static void issue_send_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_verify_issuer *v = arg;

	if (v->gathering)
		issue_send(v);
}

static int issuer_destructor(struct itin_verify_issuer *v)
{
	event_free(v->send);
	return 0;
}

struct itin_verify_issuer *itin_verify_issuer_alloc(void *ctx, struct event_base *base,
						    struct itin_db_pool *db)
{
	struct itin_verify_issuer *v = talloc_zero(ctx, struct itin_verify_issuer);

	if (!v)
		return NULL;
	v->db = db;
	v->send = evtimer_new(base, issue_send_cb, v);
	if (!v->send) {
		talloc_free(v);
		return NULL;
	}
	talloc_set_destructor(v, issuer_destructor);
	return v;
}

int itin_verify_db_issue(struct itin_verify_issuer *v, const uint8_t *hash,
			 const uint8_t *holder, int64_t at, unsigned valid_s, const uint8_t *shown,
			 size_t shown_len, itin_verify_issued_cb cb, void *arg)
{
	struct issue_batch *b;

	/* A full batch, or one of another validity (a reload), goes now: cb is never called
	 * before this returns. */
	if (v->gathering && (v->gathering->num == ITIN_VERIFY_ISSUE_BATCH_MAX ||
			     v->valid_s != valid_s))
		issue_send(v);
	if (!v->gathering) {
		b = talloc_zero(v, struct issue_batch);
		if (!b)
			return -ENOMEM;
		itin_pg_array_init(&b->hashes, b, 16 * (2 * ITIN_SUBSCRIBER_KEY_LEN + 1));
		itin_pg_array_init(&b->holders, b, 16 * (2 * ITIN_SUBSCRIBER_KEY_LEN + 1));
		itin_pg_array_init(&b->ats, b, 16 * 21);
		itin_pg_array_init(&b->shown, b, 16 * (2 * shown_len + 1));
		v->gathering = b;
		v->valid_s = valid_s;
		evtimer_add(v->send, &send_now);
	}
	b = v->gathering;
	itin_pg_array_add_hex(&b->hashes, hash, ITIN_SUBSCRIBER_KEY_LEN);
	itin_pg_array_add_hex(&b->holders, holder, ITIN_SUBSCRIBER_KEY_LEN);
	itin_pg_array_add_int(&b->ats, at);
	itin_pg_array_add_hex(&b->shown, shown, shown_len);
	b->waiter[b->num].cb = cb;
	b->waiter[b->num].arg = arg;
	b->num++;
	return 0;
}

static void checked_cb(void *arg, const PGresult *res)
{
	struct verify_call *c = arg;
	struct itin_verify_result r = { 0 };
	size_t len;
	uint8_t *shown = NULL;

	if (!tuples(res)) {
		c->cb.checked(c->arg, NULL, failure(res));
		talloc_free(c);
		return;
	}
	r.outcome = atoi(PQgetvalue(res, 0, 0));
	if (r.outcome == ITIN_VERIFY_VALID) {
		r.issued_at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		shown = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 2), &len);
		if (!shown) {
			c->cb.checked(c->arg, NULL, "out of memory\n");
			talloc_free(c);
			return;
		}
		r.shown = shown;
		r.shown_len = len;
	}
	c->cb.checked(c->arg, &r, NULL);
	PQfreemem(shown);
	talloc_free(c);
}

int itin_verify_db_check(struct itin_db_pool *db, const uint8_t *checker, const uint8_t *hash,
			 const uint8_t *previous, int64_t at, unsigned count, unsigned period_s,
			 itin_verify_checked_cb cb, void *arg)
{
	struct verify_call *c = call_alloc(arg);
	char at_text[24], count_text[12], period_text[12];
	const char *values[6] = {
		c ? itin_db_bytea_text(c, checker, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		c ? itin_db_bytea_text(c, hash, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		c && previous ? itin_db_bytea_text(c, previous, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		at_text, count_text, period_text,
	};
	int rc;

	if (!values[0] || !values[1] || (previous && !values[2])) {
		talloc_free(c);
		return -ENOMEM;
	}
	c->cb.checked = cb;
	snprintf(at_text, sizeof(at_text), "%" PRId64, at);
	snprintf(count_text, sizeof(count_text), "%u", count);
	snprintf(period_text, sizeof(period_text), "%u", period_s);
	rc = itin_db_pool_exec(db, "verify_check", 6, values, checked_cb, c);
	if (rc < 0)
		talloc_free(c);
	return rc;
}

static void voided_cb(void *arg, const PGresult *res)
{
	struct verify_call *c = arg;

	if (tuples(res))
		c->cb.voided(c->arg, atoi(PQgetvalue(res, 0, 0)), NULL);
	else
		c->cb.voided(c->arg, -EIO, failure(res));
	talloc_free(c);
}

int itin_verify_db_void(struct itin_db_pool *db, const uint8_t *holder, const uint8_t *previous,
			itin_verify_voided_cb cb, void *arg)
{
	struct verify_call *c = call_alloc(arg);
	const char *values[2] = {
		c ? itin_db_bytea_text(c, holder, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		c && previous ? itin_db_bytea_text(c, previous, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
	};
	int rc;

	if (!values[0] || (previous && !values[1])) {
		talloc_free(c);
		return -ENOMEM;
	}
	c->cb.voided = cb;
	rc = itin_db_pool_exec(db, "verify_void", 2, values, voided_cb, c);
	if (rc < 0)
		talloc_free(c);
	return rc;
}
