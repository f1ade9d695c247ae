/*
 * The database pool's transactions, against a real PostgreSQL (run by tests/db/db_pool.sh,
 * which creates the table t (x integer) and compares stdout with tests/db/db_pool.ok).
 * Statements sent in one loop turn share one transaction: when one of them fails, the ones
 * answered before it were rolled back too, and their callbacks must see the failure, not
 * their own (successful-looking) results. A later transaction is not affected. A read-only
 * statement's result comes as soon as it is answered, before its transaction's commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <talloc.h>

#include "common/log.h"
#include "db/db_pool.h"
#include "tests/db/pool_steps.h"

static const struct itin_db_statement statements[] = {
	{ "insert", "INSERT INTO t VALUES ($1) RETURNING x", 1 },
	{ "divide", "SELECT 1 / $1::integer", 1 },
	{ "rows", "SELECT string_agg(x::text, ' ' ORDER BY x) FROM t", 0 },
};

static struct itin_db_pool *pool;

static void print_result(void *arg, const PGresult *res)
{
	const char *what = arg;

	if (!res)
		printf("%s: no database\n", what);
	else if (PQresultStatus(res) == PGRES_TUPLES_OK)
		printf("%s: ok, %s\n", what, PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0));
	else
		printf("%s: failed, %s %s\n", what, PQresultErrorField(res, PG_DIAG_SQLSTATE),
		       PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	pool_steps_answered();
}

static void exec(const char *statement, const char *value, const char *what)
{
	const char *values[1] = { value };
	int nparams = value ? 1 : 0;

	pool_steps_sent();
	if ((strcmp(statement, "rows") == 0 ?
	     itin_db_pool_read(pool, statement, nparams, values, print_result, (void *)what) :
	     itin_db_pool_exec(pool, statement, nparams, values, print_result, (void *)what)) < 0) {
		printf("%s: not sent\n", what);
		exit(1);
	}
}

/* "rows" is read-only (itin_db_pool_read), the others are not. */
static bool step(unsigned n)
{
	struct itin_db_pool_stats st;

	switch (n) {
	case 0:
		printf("one transaction: insert 1, divide by 0, insert 2\n");
		exec("insert", "1", "insert 1");
		exec("divide", "0", "divide by 0");
		exec("insert", "2", "insert 2");
		break;
	case 1:
		printf("the next: insert 3, divide by 1, rows\n");
		exec("insert", "3", "insert 3");
		exec("divide", "1", "divide by 1");
		exec("rows", NULL, "rows");
		break;
	case 2:
		printf("read-only rows answered before the commit: insert 4, rows\n");
		exec("insert", "4", "insert 4");
		exec("rows", NULL, "rows");
		break;
	case 3:
		printf("read-only rows, then a failure: rows, divide by 0\n");
		exec("rows", NULL, "rows");
		exec("divide", "0", "divide by 0");
		break;
	default:
		itin_db_pool_get_stats(pool, &st);
		printf("statements done %llu, failed %llu\n", st.executed, st.failed);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "db_pool_test");
	struct event_base *base;

	itin_log_init(ctx, "db_pool_test", false, LOGL_ERROR);
	base = event_base_new();
	pool = itin_db_pool_alloc(ctx, base, argc > 1 ? argv[1] : "", 1, statements,
				  sizeof(statements) / sizeof(statements[0]));
	if (!base || !pool || itin_db_pool_start(pool) < 0 || pool_steps_run(base, pool, step) < 0) {
		fprintf(stderr, "setting up failed\n");
		return 1;
	}
	talloc_free(ctx);
	event_base_free(base);
	return 0;
}
