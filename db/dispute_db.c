/*
 * Dispute cases (dispute_db.h): the daemon's statement, and the care tool's list and close.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <talloc.h>

#include "common/log.h"
#include "common/subscriber_key.h"
#include "db/db_pool.h"
#include "db/dispute_db.h"

struct dispute_call {
	itin_dispute_opened_cb cb;
	void *arg;
};

static void opened_cb(void *arg, const PGresult *res)
{
	struct dispute_call *c = arg;

	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		c->cb(c->arg, strcmp(PQgetvalue(res, 0, 0), "t") == 0, NULL);
	else
		c->cb(c->arg, -EIO, res ? PQresultErrorMessage(res) : "no database\n");
	talloc_free(c);
}

int itin_dispute_db_open(struct itin_db_pool *db, uint64_t case_no, const uint8_t *holder,
			 int64_t at, const uint8_t *said, size_t said_len, const uint8_t *shown,
			 size_t shown_len, unsigned max_per_day, itin_dispute_opened_cb cb, void *arg)
{
	struct dispute_call *c = talloc_zero(NULL, struct dispute_call);
	char case_text[24], at_text[24], max_text[12];
	const char *values[6] = {
		case_text, c ? itin_db_bytea_text(c, holder, ITIN_SUBSCRIBER_KEY_LEN) : NULL,
		at_text, c ? itin_db_bytea_text(c, said, said_len) : NULL,
		c ? itin_db_bytea_text(c, shown, shown_len) : NULL, max_text,
	};
	int rc;

	if (!values[1] || !values[3] || !values[4]) {
		talloc_free(c);
		return -ENOMEM;
	}
	c->cb = cb;
	c->arg = arg;
	snprintf(case_text, sizeof(case_text), "%" PRIu64, case_no);
	snprintf(at_text, sizeof(at_text), "%" PRId64, at);
	snprintf(max_text, sizeof(max_text), "%u", max_per_day);
	rc = itin_db_pool_exec(db, "dispute_open", 6, values, opened_cb, c);
	if (rc < 0)
		talloc_free(c);
	return rc;
}

/* The sealed bytea of row, column col, opened into a talloc string; NULL if it cannot be. */
static char *unsealed(void *ctx, struct itin_sealer *sealer, const PGresult *res, int row, int col)
{
	size_t len;
	unsigned char *sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), &len);
	char *text = sealed ? talloc_array(ctx, char, len + 1) : NULL;

	if (text && itin_unseal(sealer, ITIN_SEAL_DISPUTE, sealed, len, text, len + 1) < 0) {
		talloc_free(text);
		text = NULL;
	}
	PQfreemem(sealed);
	return text;
}

int itin_db_disputes_list(itin_db_conn *conn, struct itin_sealer *sealer, FILE *out)
{
	PGresult *res = PQexec(conn, "SELECT case_no, to_char(opened_at AT TIME ZONE 'UTC', "
			       "'YYYY-MM-DD HH24:MI:SS'), said, shown FROM dispute "
			       "WHERE closed_at IS NULL ORDER BY id");
	void *ctx;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		LOGP(DLOAD, LOGL_ERROR, "disputes: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -EIO;
	}
	ctx = talloc_new(NULL);
	fprintf(out, "%d open case%s\n", PQntuples(res), PQntuples(res) == 1 ? "" : "s");
	for (int i = 0; i < PQntuples(res); i++) {
		char *said = unsealed(ctx, sealer, res, i, 2), *shown = unsealed(ctx, sealer, res, i, 3);

		fprintf(out, "case %s opened %s UTC\n  said: %s\n  shown: %s\n", PQgetvalue(res, i, 0),
			PQgetvalue(res, i, 1), said ? said : "(cannot be opened: its key is not in the "
			"secret file)", shown ? shown : "(cannot be opened)");
	}
	talloc_free(ctx);
	PQclear(res);
	return 0;
}

int itin_db_dispute_close(itin_db_conn *conn, uint64_t case_no, FILE *out)
{
	char case_text[24];
	const char *values[1] = { case_text };
	PGresult *res;
	int rc = 0;

	snprintf(case_text, sizeof(case_text), "%" PRIu64, case_no);
	res = PQexecParams(conn, "UPDATE dispute SET closed_at = now() WHERE case_no = $1 "
			   "AND closed_at IS NULL", 1, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		LOGP(DLOAD, LOGL_ERROR, "disputes: %s", PQresultErrorMessage(res));
		rc = -EIO;
	} else if (strcmp(PQcmdTuples(res), "0") == 0) {
		fprintf(out, "case %s: no such open case\n", case_text);
		rc = -ENOENT;
	} else {
		fprintf(out, "case %s closed\n", case_text);
	}
	PQclear(res);
	return rc;
}
