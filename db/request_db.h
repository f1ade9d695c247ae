/*
 * The request module's two statements, each sent for many requests at once. The requests that
 * arrive during one turn of the event loop are recorded and decided by one "begin" statement
 * per database connection (sql/migrations/056_request_batches.sql), and the itineraries among
 * them are read by one "lookup" statement (sql/lookup.sql over an array of keys): the protocol
 * round, parse-analysis and executor start-up of a statement are paid once per batch instead
 * of once per request. A batch goes out at the end of the loop turn, or as soon as it is full;
 * each request gets its own row(s) back through its own callback. Knows the statements and
 * their parameters, not the rules.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "db/db_pool.h"

#define ITIN_REQUEST_BATCH_MAX 128	/* requests in one statement */

/* Their SQL, to prepare on the pool's connections as "begin" and "lookup". */
extern const char itin_sql_begin_batch[];
#define ITIN_BEGIN_BATCH_PARAMS 13
#define ITIN_LOOKUP_BATCH_PARAMS 3

struct itin_request_db;

struct itin_request_db *itin_request_db_alloc(void *ctx, struct event_base *base,
					      struct itin_db_pool *db);

/* One request to record. */
struct itin_begin_args {
	const uint8_t *key;		/* ITIN_SUBSCRIBER_KEY_LEN octets */
	unsigned channel, intent;
	int64_t at;			/* Unix s */
	const uint8_t *digest;		/* 32 octets of the message, NULL: no redelivery check */
	const uint8_t *sealed;		/* the sealed reply address */
	size_t sealed_len;
	bool ask_consent;
};

/* The deployment's rules; a batch takes those of its first request. */
struct itin_begin_rules {
	bool english;			/* the default language */
	bool shutdown;
	unsigned consent_timeout_s, rate_count, rate_period_s, dedup_s;
};

/* res holds the request's row (request id, action, language) as row; row is -1 when the
 * request was not recorded: res is then NULL (no database, or too busy) or the failure. */
typedef void (*itin_begun_cb)(void *arg, const PGresult *res, int row);

/* Rows first .. first + num - 1 of res are the request's lookup rows, each led by the
 * request's position in the batch (no row: unknown subscriber); res is NULL or not
 * PGRES_TUPLES_OK when the lookup failed. */
typedef void (*itin_looked_up_cb)(void *arg, const PGresult *res, int first, int num);

/* Return 0, then the callback comes later (never from within these calls), or -ENOMEM.
 * first_day is the window's first day as itin_lookup_first_day() writes it; previous_key the
 * subscriber's key under the previous secret during a key rotation, else NULL. */
int itin_request_db_begin(struct itin_request_db *rdb, const struct itin_begin_args *args,
			  const struct itin_begin_rules *rules, itin_begun_cb cb, void *arg);
int itin_request_db_lookup(struct itin_request_db *rdb, const uint8_t *key,
			   const uint8_t *previous_key, const char *first_day,
			   itin_looked_up_cb cb, void *arg);
