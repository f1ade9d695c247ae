/*
 * The request service's side of the database: every statement a request needs, and the
 * decoding of their results into the types below, so that the service (service/request.c)
 * sees no SQL and no libpq. The two statements every request makes are sent for many requests
 * at once: the requests that arrive during one turn of the event loop are recorded and decided
 * by one "begin" statement per database connection (sql/migrations/056_request_batches.sql),
 * and the itineraries among them are read by one "lookup" statement (sql/lookup.sql over an
 * array of keys): the protocol round, parse-analysis and executor start-up of a statement are
 * paid once per batch instead of once per request. A batch goes out at the end of the loop
 * turn, or as soon as it is full; each request gets its own result back through its own
 * callback. The answered requests are marked sent in batches too (request_done.h); the
 * deployment's inputs and the requests a previous run left pending are read through
 * request_inputs.h. Knows the statements and their parameters, not the rules.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "db/lookup_result.h"
#include "engine/itinerary.h"

struct itin_db_pool;
struct itin_db_statement;

#define ITIN_REQUEST_BATCH_MAX 128	/* requests in one statement */

/* The statements of the request service, to prepare on the pool's connections. */
extern const struct itin_db_statement *const itin_request_statements;
extern const unsigned itin_num_request_statements;

struct itin_request_db;

/* owner: the instance's name (a string that outlives rdb), recorded with each request. */
struct itin_request_db *itin_request_db_alloc(void *ctx, struct event_base *base,
					      struct itin_db_pool *db, const char *owner);

/* The lookups on a hot standby from now on (db_replica.h), the rest on the pool. */
struct itin_db_replica;
void itin_request_db_set_replica(struct itin_request_db *rdb, struct itin_db_replica *replica);

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

/* What the rules decided for a recorded request. */
struct itin_request_row {
	int64_t id;			/* 0: not kept pending (nothing to mark done) */
	unsigned action;		/* enum itin_action */
	bool english;
};

/* row is NULL when the request was not recorded; why then says why (no database, too busy,
 * or the database's message). */
typedef void (*itin_begun_cb)(void *arg, const struct itin_request_row *row, const char *why);

/* lookup is NULL when the lookup failed (why); lookup->known is false for an unknown
 * subscriber. The rows live until the callback returns. */
typedef void (*itin_looked_up_cb)(void *arg, const struct itin_lookup *lookup, const char *why);

/* Return 0, then the callback comes later (never from within these calls), or -ENOMEM.
 * first_day is the window's first day as itin_lookup_first_day() writes it; previous_key the
 * subscriber's key under the previous secret during a key rotation, else NULL. */
int itin_request_db_begin(struct itin_request_db *rdb, const struct itin_begin_args *args,
			  const struct itin_begin_rules *rules, itin_begun_cb cb, void *arg);
/* The audit row of an incomplete SMS that is not answered (sql/migrations/110); a failure is
 * logged (the row is lost: there is no request to answer). */
int itin_request_db_audit_incomplete(struct itin_request_db *rdb, const uint8_t *key,
				     unsigned channel, int64_t at);
int itin_request_db_lookup(struct itin_request_db *rdb, const uint8_t *key,
			   const uint8_t *previous_key, const char *first_day,
			   itin_looked_up_cb cb, void *arg);

