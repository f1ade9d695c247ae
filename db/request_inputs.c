/*
 * The request service's reads (request_inputs.h): freshness and risks through db_lookup.c's
 * parsers, pending requests decoded row by row (read-only statements, on any connection), and
 * the instance's lease and takeover, which write and are given once committed. The lease's
 * statements are the lease connection's (itin_lease_statements).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "db/db_lookup.h"
#include "db/db_pool.h"
#include "db/pg_array.h"
#include "db/request_inputs.h"

static const struct itin_db_statement lease_statements[] = {
	{ "renew", "SELECT lease_until IS NOT NULL, holder_token, holder_pid FROM "
		   "itin_instance_renew($1, $2, make_interval(secs => $3), $4, $5)", 5 },
	{ "release", "SELECT itin_instance_release($1, $2)", 2 },
};
const struct itin_db_statement *const itin_lease_statements = lease_statements;
const unsigned itin_num_lease_statements = ARRAY_SIZE(lease_statements);

struct inputs_read {
	void *ctx;
	itin_freshness_cb freshness;
	itin_risks_cb risks;
	void *arg;
};

static bool tuples(const PGresult *res)
{
	return res && PQresultStatus(res) == PGRES_TUPLES_OK;
}

static const char *failure(const PGresult *res)
{
	return res ? PQresultErrorMessage(res) : "no database\n";
}

static void freshness_cb(void *arg, const PGresult *res)
{
	struct inputs_read *r = arg;

	struct itin_feed_times t;

	if (tuples(res)) {
		itin_feed_times_from_result(res, &t);
		r->freshness(r->arg, &t);
	}
	talloc_free(r);
}

static void risks_cb(void *arg, const PGresult *res)
{
	struct inputs_read *r = arg;
	struct itin_risk *risks;
	unsigned num;

	if (tuples(res) && itin_risks_from_result(r->ctx, res, &risks, &num) == 0)
		r->risks(r->arg, risks, num);
	talloc_free(r);
}

void itin_request_inputs_read(struct itin_db_pool *db, void *ctx, itin_freshness_cb freshness,
			      itin_risks_cb risks, void *arg)
{
	/* One each: the two may come back on different connections, in either order. */
	struct inputs_read *f = talloc_zero(ctx, struct inputs_read);
	struct inputs_read *r = talloc_zero(ctx, struct inputs_read);

	if (!f || !r) {
		talloc_free(f);
		talloc_free(r);
		return;
	}
	*f = (struct inputs_read){ ctx, freshness, risks, arg };
	*r = *f;
	if (itin_db_pool_read(db, "freshness", 0, NULL, freshness_cb, f) < 0)
		talloc_free(f);
	if (itin_db_pool_read(db, "risks", 0, NULL, risks_cb, r) < 0)
		talloc_free(r);
}

struct pending_read {
	itin_pending_bound_cb bound;
	itin_pending_cb rows;
	void *arg;
};

static void pending_bound_cb(void *arg, const PGresult *res)
{
	struct pending_read *r = arg;

	if (tuples(res))
		r->bound(r->arg, strtoll(PQgetvalue(res, 0, 0), NULL, 10), NULL);
	else
		r->bound(r->arg, -1, failure(res));
	talloc_free(r);
}

void itin_request_pending_bound(struct itin_db_pool *db, itin_pending_bound_cb cb, void *arg)
{
	struct pending_read *r = talloc_zero(db, struct pending_read);

	if (!r) {
		cb(arg, -1, "out of memory\n");
		return;
	}
	*r = (struct pending_read){ .bound = cb, .arg = arg };
	if (itin_db_pool_read(db, "pending_bound", 0, NULL, pending_bound_cb, r) < 0)
		pending_bound_cb(r, NULL);
}

/* bytea text output ("\x0a1b...") into out; the octets, or -EINVAL. */
static int bytea(const char *text, uint8_t *out, size_t max)
{
	if (strncmp(text, "\\x", 2) != 0)
		return -EINVAL;
	return osmo_hexparse(text + 2, out, max);
}

static void pending_row(const PGresult *res, int row, struct itin_pending *p)
{
	p->id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
	p->channel = atoi(PQgetvalue(res, row, 2));
	p->intent = atoi(PQgetvalue(res, row, 3));
	p->action = atoi(PQgetvalue(res, row, 4));
	p->english = atoi(PQgetvalue(res, row, 5)) == 1;
	p->received_at = strtoll(PQgetvalue(res, row, 6), NULL, 10);
	p->sealed_len = bytea(PQgetvalue(res, row, 7), p->sealed, sizeof(p->sealed));
	if (bytea(PQgetvalue(res, row, 1), p->key, sizeof(p->key)) != sizeof(p->key))
		p->sealed_len = -1;
}

static void pending_cb(void *arg, const PGresult *res)
{
	struct pending_read *r = arg;
	struct itin_pending *rows;
	int n;

	if (!tuples(res)) {
		r->rows(r->arg, NULL, 0, failure(res));
		talloc_free(r);
		return;
	}
	n = PQntuples(res);
	rows = talloc_zero_array(r, struct itin_pending, n ? n : 1);
	if (!rows) {
		r->rows(r->arg, NULL, 0, "out of memory\n");
		talloc_free(r);
		return;
	}
	for (int i = 0; i < n; i++)
		pending_row(res, i, &rows[i]);
	r->rows(r->arg, rows, n, NULL);
	talloc_free(r);
}

void itin_request_pending_read(struct itin_db_pool *db, const char *owner, int64_t after,
			       int64_t bound, itin_pending_cb cb, void *arg)
{
	struct pending_read *r = talloc_zero(db, struct pending_read);
	char after_text[24], bound_text[24];
	const char *values[3] = { owner, after_text, bound_text };

	if (!r) {
		cb(arg, NULL, 0, "out of memory\n");
		return;
	}
	*r = (struct pending_read){ .rows = cb, .arg = arg };
	snprintf(after_text, sizeof(after_text), "%lld", (long long)after);
	snprintf(bound_text, sizeof(bound_text), "%lld", (long long)bound);
	/* Not a read: it locks the rows, to wait for a takeover that moves them. */
	if (itin_db_pool_exec(db, "pending", 3, values, pending_cb, r) < 0)
		pending_cb(r, NULL);
}

bool itin_request_db_is_up(const struct itin_db_pool *db)
{
	return itin_db_pool_is_up(db);
}

unsigned long long itin_request_db_reconnects(const struct itin_db_pool *db)
{
	struct itin_db_pool_stats st;

	itin_db_pool_get_stats(db, &st);
	return st.reconnects;
}

void itin_request_orphans_read(struct itin_db_pool *db, const char *owner, int64_t before,
			       const int64_t *held, unsigned num_held, itin_pending_cb cb,
			       void *arg)
{
	struct pending_read *r = talloc_zero(db, struct pending_read);
	struct itin_pg_array held_ids;
	char before_text[24];
	const char *values[3] = { owner, before_text, NULL };

	if (r) {
		itin_pg_array_init(&held_ids, r, 21 * num_held);
		for (unsigned i = 0; i < num_held; i++)
			itin_pg_array_add_int(&held_ids, held[i]);
		values[2] = itin_pg_array_close(&held_ids);
	}
	if (!values[2]) {
		talloc_free(r);
		cb(arg, NULL, 0, "out of memory\n");
		return;
	}
	*r = (struct pending_read){ .rows = cb, .arg = arg };
	snprintf(before_text, sizeof(before_text), "%lld", (long long)before);
	if (itin_db_pool_read(db, "orphans", 3, values, pending_cb, r) < 0)
		pending_cb(r, NULL);
}

void itin_request_take_over(struct itin_db_pool *db, const char *owner, uint64_t token,
			    itin_pending_cb cb, void *arg)
{
	struct pending_read *r = talloc_zero(db, struct pending_read);
	char token_text[24];
	const char *values[2] = { owner, token_text };

	if (!r) {
		cb(arg, NULL, 0, "out of memory\n");
		return;
	}
	*r = (struct pending_read){ .rows = cb, .arg = arg };
	snprintf(token_text, sizeof(token_text), "%lld", (long long)token);
	if (itin_db_pool_exec(db, "take_over", 2, values, pending_cb, r) < 0)
		pending_cb(r, NULL);
}

struct lease_renewal {
	itin_lease_cb cb;
	void *arg;
	itin_renewed_cb renewed;
};

static void renew_cb(void *arg, const PGresult *res)
{
	struct lease_renewal *r = arg;
	struct itin_lease_holder holder = { 0 };

	if (!tuples(res) || PQntuples(res) != 1) {
		r->renewed(r->arg, -EIO, NULL, failure(res));
	} else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		if (!PQgetisnull(res, 0, 1) && !PQgetisnull(res, 0, 2)) {
			holder.token = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
			holder.pid = atoi(PQgetvalue(res, 0, 2));
		}
		r->renewed(r->arg, -EBUSY, &holder, "the name is held by another process\n");
	} else {
		r->renewed(r->arg, 0, NULL, NULL);
	}
	talloc_free(r);
}

void itin_instance_renew(struct itin_db_pool *db, const char *owner, uint64_t token,
			 unsigned lease_s, int pid, uint64_t stale, itin_renewed_cb cb, void *arg)
{
	struct lease_renewal *r = talloc_zero(db, struct lease_renewal);
	char token_text[24], lease_text[12], pid_text[12], stale_text[24];
	const char *values[5] = { owner, token_text, lease_text, pid_text, stale_text };

	if (!r) {
		cb(arg, -ENOMEM, NULL, "out of memory\n");
		return;
	}
	*r = (struct lease_renewal){ .renewed = cb, .arg = arg };
	snprintf(token_text, sizeof(token_text), "%lld", (long long)token);
	snprintf(lease_text, sizeof(lease_text), "%u", lease_s);
	snprintf(pid_text, sizeof(pid_text), "%d", pid);
	snprintf(stale_text, sizeof(stale_text), "%lld", (long long)stale);
	if (itin_db_pool_exec(db, "renew", 5, values, renew_cb, r) < 0)
		renew_cb(r, NULL);
}

static void link_hold_cb(void *arg, const PGresult *res)
{
	struct lease_renewal *r = arg;

	if (!tuples(res) || PQntuples(res) != 1)
		r->cb(r->arg, -EIO, failure(res));
	else if (PQgetisnull(res, 0, 0))
		r->cb(r->arg, -EBUSY, "another instance holds it\n");
	else
		r->cb(r->arg, 0, NULL);
	talloc_free(r);
}

void itin_instance_hold_link(struct itin_db_pool *db, const char *link, const char *owner,
			     uint64_t token, itin_lease_cb cb, void *arg)
{
	struct lease_renewal *r = talloc_zero(db, struct lease_renewal);
	char token_text[24];
	const char *values[3] = { link, owner, token_text };

	if (!r) {
		cb(arg, -ENOMEM, "out of memory\n");
		return;
	}
	*r = (struct lease_renewal){ cb, arg };
	snprintf(token_text, sizeof(token_text), "%lld", (long long)token);
	if (itin_db_pool_exec(db, "link_hold", 3, values, link_hold_cb, r) < 0)
		link_hold_cb(r, NULL);
}

static void released_cb(void *arg, const PGresult *res)
{
	struct lease_renewal *r = arg;

	if (!tuples(res))
		r->cb(r->arg, -EIO, failure(res));
	else
		r->cb(r->arg, 0, NULL);
	talloc_free(r);
}

void itin_instance_release(struct itin_db_pool *db, const char *owner, uint64_t token,
			   itin_lease_cb cb, void *arg)
{
	struct lease_renewal *r = talloc_zero(db, struct lease_renewal);
	char token_text[24];
	const char *values[2] = { owner, token_text };

	if (!r) {
		cb(arg, -ENOMEM, "out of memory\n");
		return;
	}
	*r = (struct lease_renewal){ cb, arg };
	snprintf(token_text, sizeof(token_text), "%lld", (long long)token);
	if (itin_db_pool_exec(db, "release", 2, values, released_cb, r) < 0)
		released_cb(r, NULL);
}
