/*
 * Answered requests marked sent (sql/migrations/160_requests_sent.sql): their pending rows,
 * if still this instance's, leave request_pending and become audit rows. An SMS reply is
 * marked in the loop turn its parts are written to the SMSC, not once the SMSC has answered:
 * a process killed after the commit sends nothing again, so only a kill within the commit's
 * round trip repeats a reply. The marks of one loop turn go in one statement and one commit; a
 * batch the database does not take is sent again every second until it does (the statement is
 * idempotent). A reply marked sent that the SMSC did not take is put back pending (reopen),
 * audited already. Marks and reopens go to one pool connection, in the order given, so that
 * a reopen never overtakes the mark before it, nor the mark after it the reopen.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

struct itin_db_pool;
struct itin_request_done;

/* owner: the instance's name (a string that outlives d). */
struct itin_request_done *itin_request_done_alloc(void *ctx, struct event_base *base,
						  struct itin_db_pool *db, const char *owner);
/* Marks request id answered with parts parts and action: -ENOMEM, else sent by the turn's end. */
int itin_request_done_mark(struct itin_request_done *d, int64_t id, unsigned parts,
			   unsigned action);
/* Whether request id is marked and its mark not yet committed: its row may still be pending,
 * yet its reply was sent. */
bool itin_request_done_holds(const struct itin_request_done *d, int64_t id);
/* Sends what is gathered now, and again the batches that failed before (at shutdown). */
void itin_request_done_flush(struct itin_request_done *d);
/* fn for the id of each request marked and not yet committed (gathered, in flight, or failed
 * and to be sent again): its row may still be pending. */
void itin_request_done_foreach(const struct itin_request_done *d,
			       void (*fn)(void *arg, int64_t id), void *arg);

/* A request marked sent, pending again (sql/migrations/160): its row as itin_requests_begin wrote
 * it. A failure is logged: the reply is then not answered again after a restart. */
struct itin_reopen {
	int64_t id;
	const uint8_t *key;		/* ITIN_SUBSCRIBER_KEY_LEN octets */
	unsigned channel, intent, action, lang;
	int64_t at;			/* Unix s */
	const uint8_t *sealed;		/* the sealed reply address */
	size_t sealed_len;
};
int itin_request_done_reopen(struct itin_request_done *d, const struct itin_reopen *r);
