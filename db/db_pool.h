/*
 * The daemon's connections to PostgreSQL, on its libevent loop: libpq in non-blocking pipeline
 * mode (PQconnectStart, PQsocket events, prepared statements), several connections, each
 * carrying many statements in flight. Statements sent close together share one transaction
 * (one commit for many), and a result is given only once its transaction is committed (a
 * read-only statement's as soon as it comes); when one statement of a transaction fails,
 * PostgreSQL rolls all of it back, and every statement of it gets that failure. Callers get each result in a callback; they never see a
 * connection. A lost connection fails its statements (callback with NULL) and is
 * re-established with backoff. Knows no request, no PDU.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

struct itin_db_pool;

/* A statement prepared on every connection when it (re)connects. */
struct itin_db_statement {
	const char *name;
	const char *sql;
	int nparams;
};

/* res is NULL when the statement could not run (no connection, connection lost); it may be
 * another statement's failure that rolled this one back; it is freed by the pool after the
 * callback returns. */
typedef void (*itin_db_cb)(void *arg, const PGresult *res);

struct itin_db_pool *itin_db_pool_alloc(void *ctx, struct event_base *base, const char *conninfo,
					unsigned connections, const struct itin_db_statement *statements,
					unsigned num_statements);
int itin_db_pool_start(struct itin_db_pool *pool);
/* name (a static string ending in a blank) in the pool's log lines, "db NAMEconn N: ...", to
 * tell it from the daemon's main pool. */
void itin_db_pool_set_name(struct itin_db_pool *pool, const char *name);

/* A bytea parameter in PostgreSQL's hex input form ("\\x" and 2 * len digits), a talloc child
 * of ctx; NULL when out of memory. */
char *itin_db_bytea_text(void *ctx, const uint8_t *in, size_t len);

/* Queue a prepared statement; text parameters. Returns 0, or -EAGAIN when the queue is full
 * or -ENOTCONN when no connection is up (then cb is not called). cb may run before this
 * returns (with NULL, when the connection breaks while sending). */
int itin_db_pool_exec(struct itin_db_pool *pool, const char *statement, int nparams,
		      const char *const *values, itin_db_cb cb, void *arg);

/* The same, on the connection that key chooses while it is up (else the least busy one).
 * Statements that lock the same rows, given the same key, then queue on one connection: two
 * connections' transactions, each holding a row the other waits for, would deadlock, and
 * PostgreSQL would roll one of them back with all its statements. */
int itin_db_pool_exec_keyed(struct itin_db_pool *pool, uint32_t key, const char *statement,
			    int nparams, const char *const *values, itin_db_cb cb, void *arg);

/* The same for a statement that writes nothing: its result is given as soon as it comes,
 * not when its transaction is committed (a failure still waits, as it fails the others). */
int itin_db_pool_read(struct itin_db_pool *pool, const char *statement, int nparams,
		      const char *const *values, itin_db_cb cb, void *arg);

bool itin_db_pool_is_up(const struct itin_db_pool *pool);
/* The number of connections (up or not): itin_db_pool_exec_keyed's key k < size chooses the
 * k-th. */
unsigned itin_db_pool_size(const struct itin_db_pool *pool);

struct itin_db_pool_stats {
	unsigned connections_up;
	unsigned in_flight;		/* statements sent and not yet committed */
	unsigned long long executed, failed, reconnects;
};
void itin_db_pool_get_stats(const struct itin_db_pool *pool, struct itin_db_pool_stats *st);
