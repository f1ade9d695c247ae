/*
 * Answered requests marked done: their rows leave request_pending and their audit rows get
 * the parts and the action, by itin_requests_done (sql/migrations/051_request_rules.sql).
 * Requests are gathered for a few milliseconds or up to a full batch and marked in one
 * statement and one commit; a batch the database does not take is sent again every second
 * until it does (the statement is idempotent), so that an outage does not leave answered
 * requests pending to be answered twice at the next start. Only a stop in between does that:
 * a reply may be sent twice, never zero times.
 */
#pragma once

#include <stdint.h>

#include <event2/event.h>

struct itin_db_pool;
struct itin_request_done;

struct itin_request_done *itin_request_done_alloc(void *ctx, struct event_base *base,
						  struct itin_db_pool *db);
void itin_request_done_mark(struct itin_request_done *d, int64_t id, unsigned parts,
			    unsigned action);
/* Sends what is gathered now, and again the batches that failed before (at shutdown). */
void itin_request_done_flush(struct itin_request_done *d);
/* fn for the id of each request marked and not yet committed done (gathered, in flight, or
 * failed and to be sent again): its row may still be pending. */
void itin_request_done_foreach(const struct itin_request_done *d,
			       void (*fn)(void *arg, int64_t id), void *arg);
