/*
 * The daemon's connections to PostgreSQL, on its libevent loop: libpq in non-blocking pipeline
 * mode (PQconnectStart, PQsocket events, prepared statements), several connections, each
 * carrying many statements in flight with one sync point per statement, so that one failure
 * never aborts another request's statement. Callers get each result in a callback; they never
 * see a connection. A lost connection fails its statements (callback with NULL) and is
 * re-established with backoff. Knows no request, no PDU.
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>
#include <libpq-fe.h>

struct itin_db_pool;

/* A statement prepared on every connection when it (re)connects. */
struct itin_db_statement {
	const char *name;
	const char *sql;
	int nparams;
};

/* res is NULL when the statement could not run (no connection, connection lost); it is freed
 * by the pool after the callback returns. */
typedef void (*itin_db_cb)(void *arg, const PGresult *res);

struct itin_db_pool *itin_db_pool_alloc(void *ctx, struct event_base *base, const char *conninfo,
					unsigned connections, const struct itin_db_statement *statements,
					unsigned num_statements);
int itin_db_pool_start(struct itin_db_pool *pool);

/* Queue a prepared statement; text parameters. Returns 0, or -EAGAIN when the queue is full
 * or -ENOTCONN when no connection is up (then cb is not called). cb may run before this
 * returns (with NULL, when the connection breaks while sending). */
int itin_db_pool_exec(struct itin_db_pool *pool, const char *statement, int nparams,
		      const char *const *values, const int *lengths, const int *formats,
		      itin_db_cb cb, void *arg);

bool itin_db_pool_is_up(const struct itin_db_pool *pool);

struct itin_db_pool_stats {
	unsigned connections_up;
	unsigned in_flight;		/* statements sent and not yet committed */
	unsigned long long executed, failed, reconnects;
};
void itin_db_pool_get_stats(const struct itin_db_pool *pool, struct itin_db_pool_stats *st);
