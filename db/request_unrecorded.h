/*
 * The audit rows of replies to requests that have no row of their own: the busy text of a
 * request the database could not record (it was down, or did not answer within the reply
 * deadline), and the answers to verification checks, holders' voids and disputes, which are
 * never kept pending (migrations 185, 186). Every reply is audited, and these cannot be written
 * with their request. They are kept here, in memory and bounded, and written in bulk by
 * itin_audit_unrecorded (sql/migrations/230_audit_rowless_replies.sql) as soon as the database
 * takes them, tried again every second until it does. A stop or a crash before that loses
 * them (the state table of doc/manual/operator.md says so), as does a backlog past its bound
 * (counted, logged).
 */
#pragma once

#include <stdint.h>

#include <event2/event.h>

struct itin_db_pool;
struct itin_request_unrecorded;

struct itin_request_unrecorded_stats {
	unsigned long long held;	/* rows waiting for the database */
	unsigned long long lost;	/* rows dropped: the backlog was full */
};

struct itin_request_unrecorded *itin_request_unrecorded_alloc(void *ctx, struct event_base *base,
							      struct itin_db_pool *db);
/* One reply sent: key (ITIN_SUBSCRIBER_KEY_LEN bytes), channel, intent, action, when the
 * request came and when it was answered (Unix s), its SMS parts. */
void itin_request_unrecorded_add(struct itin_request_unrecorded *u, const uint8_t *key,
				 unsigned channel, unsigned intent, unsigned action,
				 int64_t received_at, int64_t answered_at, unsigned parts);
/* Sends what is held now (at shutdown: what the database does not take is lost, and logged). */
void itin_request_unrecorded_flush(struct itin_request_unrecorded *u);
void itin_request_unrecorded_get_stats(const struct itin_request_unrecorded *u,
				       struct itin_request_unrecorded_stats *st);
