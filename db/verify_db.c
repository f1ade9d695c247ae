/*
 * The verification statements (verify_db.h): parameters as text, bytea as \x hex, results
 * decoded here. Each call's callback and its argument travel in one talloc chunk that the
 * result frees.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/subscriber_key.h"
#include "db/db_pool.h"
#include "db/verify_db.h"

struct verify_call {
	union {
		itin_verify_issued_cb issued;
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

static void issued_cb(void *arg, const PGresult *res)
{
	struct verify_call *c = arg;

	if (tuples(res))
		c->cb.issued(c->arg, 0, NULL);
	else
		c->cb.issued(c->arg, -EIO, failure(res));
	talloc_free(c);
}

int itin_verify_db_issue(struct itin_db_pool *db, const uint8_t *hash, const uint8_t *holder,
			 int64_t at, unsigned valid_s, const uint8_t *shown, size_t shown_len,
			 itin_verify_issued_cb cb, void *arg)
{
	struct verify_call *c = call_alloc(arg);
	char at_text[24], valid_text[12];
	const char *values[5] = {
		c ? itin_db_bytea_text(c, hash, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		c ? itin_db_bytea_text(c, holder, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		at_text, valid_text,
		c ? itin_db_bytea_text(c, shown, shown_len) : NULL,
	};
	int rc;

	if (!values[0] || !values[1] || !values[4]) {
		talloc_free(c);
		return -ENOMEM;
	}
	c->cb.issued = cb;
	snprintf(at_text, sizeof(at_text), "%" PRId64, at);
	snprintf(valid_text, sizeof(valid_text), "%u", valid_s);
	rc = itin_db_pool_exec(db, "verify_issue", 5, values, issued_cb, c);
	if (rc < 0)
		talloc_free(c);
	return rc;
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
