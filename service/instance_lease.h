/*
 * The instance's lease (migration 100) and the link that one instance at a time may hold (the
 * USSD EUSE link to osmo-hlr). Each itinerad process is an instance, named "host/[instance]
 * name", with a lease it renews in the database every third of [instance] lease, over a
 * connection of its own: a lock or a slow database that holds the requests' statements does
 * not end the lease of an instance whose database is up. While the lease holds, the instance
 * answers the requests it holds. The moment it is found run out, by whoever looks first (a
 * reply, a new request, the renewal timer), is the loss: the epoch moves on, and what was
 * held before may be a peer's to answer. A renewal that comes back after that holds the lease
 * again in the new epoch (the database renews a lapsed lease of the same token).
 *
 * The request service (itin_request_lease_ops, service/request_recovery.c) is told of each loss,
 * of each renewal (and whether it made the lease held, the first time or again after a loss),
 * and of each run of the renewal timer.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

struct itin_db_pool;
struct itin_lease;

struct itin_lease_ops {
	/* The lease was found run out, or ended by itin_lease_release(). */
	void (*lost)(void *arg);
	/* Renewed. held_now: it was not held until now; first: never before in this process. */
	void (*renewed)(void *arg, bool held_now, bool first);
	/* Each run of the renewal timer, before it looks at the lease. */
	void (*tick)(void *arg);
};

/* instance: [instance] name; lease_s: [instance] lease; link_db: the pool whose connections ask
 * for the link. NULL on failure (logged). */
struct itin_lease *itin_lease_alloc(void *ctx, struct event_base *base, const char *instance,
				    unsigned lease_s, struct itin_db_pool *link_db,
				    const struct itin_lease_ops *ops, void *arg);
/* The lease's own connection (a pool of the itin_lease_statements, db/request_inputs.h). */
void itin_lease_set_db(struct itin_lease *l, struct itin_db_pool *lease_db);
/* Takes the lease now and renews it from then on. */
void itin_lease_start(struct itin_lease *l);
/* Whether the lease holds now; a lease found run out is lost here (ops->lost). */
bool itin_lease_valid(struct itin_lease *l);
/* + 1 at each loss: what was held before is left. */
unsigned itin_lease_epoch(const struct itin_lease *l);
const char *itin_lease_name(const struct itin_lease *l);
/* This process's token, among those that used the name. */
uint64_t itin_lease_token(const struct itin_lease *l);
/* Whether the lease was ended at a clean stop: never held again. */
bool itin_lease_released(const struct itin_lease *l);
/* Ends the lease now (a clean stop): peers may take what this instance held at once. */
void itin_lease_release(struct itin_lease *l);
/* cb(arg, held) whenever this instance starts or stops holding link, which it asks for each
 * time its lease is renewed. */
void itin_lease_hold_link(struct itin_lease *l, const char *link,
			  void (*cb)(void *arg, bool held), void *arg);
