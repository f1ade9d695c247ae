/*
 * What the request service reads besides its requests: the deployment-wide inputs of every
 * reply (data freshness, the risk list), re-read every minute; at start the requests a
 * previous run of the same instance recorded and did not answer; the instance's lease, and the
 * requests of instances whose lease ran out (migration 100). Results come decoded, through
 * callbacks.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/feed_times.h"
#include "engine/itinerary.h"

struct itin_db_pool;

/* Each callback comes only with a result: after a failure the previous values stay. The risks
 * are talloc children of ctx, for the callback to keep. */
typedef void (*itin_freshness_cb)(void *arg, const struct itin_feed_times *t);
typedef void (*itin_risks_cb)(void *arg, struct itin_risk *risks, unsigned num);
void itin_request_inputs_read(struct itin_db_pool *db, void *ctx, itin_freshness_cb freshness,
			      itin_risks_cb risks, void *arg);

/* A request a previous run recorded and did not answer. */
struct itin_pending {
	int64_t id;
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];
	unsigned channel, intent, action;	/* enum itin_channel, itin_intent, itin_action */
	bool english;
	int64_t received_at;			/* Unix s */
	uint8_t sealed[ITIN_SEALED_MAX];	/* the sealed reply address */
	int sealed_len;				/* < 0: the row could not be read */
};

/* The highest pending id now; bound < 0 when it could not be read (why says why). */
typedef void (*itin_pending_bound_cb)(void *arg, int64_t bound, const char *why);
void itin_request_pending_bound(struct itin_db_pool *db, itin_pending_bound_cb cb, void *arg);

/* The pending requests of instance owner with after < id <= bound, in order, at most
 * ITIN_PENDING_BATCH of them (rows NULL: failed, why says why); ask again after the last for
 * more. */
#define ITIN_PENDING_BATCH 500
typedef void (*itin_pending_cb)(void *arg, const struct itin_pending *rows, unsigned num,
				const char *why);
void itin_request_pending_read(struct itin_db_pool *db, const char *owner, int64_t after,
			       int64_t bound, itin_pending_cb cb, void *arg);

/* Whether db has a connection up; how many times its connections were made again since it
 * started (a statement in flight on a lost one may have been committed or not). */
bool itin_request_db_is_up(const struct itin_db_pool *db);
unsigned long long itin_request_db_reconnects(const struct itin_db_pool *db);

/* Up to ITIN_PENDING_BATCH pending requests of owner received before the Unix second before
 * whose ids are none of held[0 .. num_held - 1], in order: rows that no part of the process
 * answers (a recording whose commit was in doubt when its connection broke, a request left
 * when the lease was lost). Reads only: the caller makes sure no done mark is in flight. */
void itin_request_orphans_read(struct itin_db_pool *db, const char *owner, int64_t before,
			       const int64_t *held, unsigned num_held, itin_pending_cb cb,
			       void *arg);

/* Up to ITIN_PENDING_BATCH pending requests of instances whose lease ran out, now owner's (if
 * owner's lease with token runs): given once the move is committed, to be answered. */
void itin_request_take_over(struct itin_db_pool *db, const char *owner, uint64_t token,
			    itin_pending_cb cb, void *arg);

typedef void (*itin_lease_cb)(void *arg, int rc, const char *why);

/* The statements of itin_instance_renew() and itin_instance_release(), for a connection of
 * their own: the lease is renewed while the pool's connections wait on a lock or a slow
 * statement (the database is up: no peer should take this instance's requests). */
struct itin_db_statement;
extern const struct itin_db_statement *const itin_lease_statements;
extern const unsigned itin_num_lease_statements;

/* Who holds an instance's name: the token and pid of its process. */
struct itin_lease_holder {
	uint64_t token;
	int pid;
};

/* Takes or renews owner's lease for lease_s from the database's now, recording pid (db: a
 * pool of the itin_lease_statements); takes it also from the process of token stale (0:
 * none), which the caller knows to be gone. rc 0: held; -EBUSY: another process holds the
 * name and its lease runs (holder: which); else failed (why). */
typedef void (*itin_renewed_cb)(void *arg, int rc, const struct itin_lease_holder *holder,
				const char *why);
void itin_instance_renew(struct itin_db_pool *db, const char *owner, uint64_t token,
			 unsigned lease_s, int pid, uint64_t stale, itin_renewed_cb cb, void *arg);

/* Whether owner (its lease with token running) holds link, taking it if its holder's lease
 * ran out: rc 0 held, -EBUSY another instance holds it, else failed (why). */
void itin_instance_hold_link(struct itin_db_pool *db, const char *link, const char *owner,
			     uint64_t token, itin_lease_cb cb, void *arg);

/* Ends owner's lease now (a clean stop; db as for the renewal): peers take over what it left and the links it held. */
void itin_instance_release(struct itin_db_pool *db, const char *owner, uint64_t token,
			   itin_lease_cb cb, void *arg);
