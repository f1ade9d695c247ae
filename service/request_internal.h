/*
 * The request service's own parts, shared by the files that make it (service/request.c: a
 * request's life cycle; request_verify.c: verification codes; request_dispute.c: disputes;
 * request_recovery.c: pending requests answered after a restart, a take-over or a loss of the
 * lease). Nothing outside service/ includes this: the channels see service/request.h only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <osmocom/core/linuxlist.h>

#include "common/log.h"
#include "db/request_db.h"
#include "engine/reply_text.h"
#include "service/instance_lease.h"
#include "service/request.h"

/* Events counted in fixed periods, each starting with the first event after the previous one
 * ended: the process's fuses ([service] max_replies, verify_max_failures). */
struct period_count {
	long long start_ms;		/* monotonic */
	unsigned count;
	struct itin_log_limit log;
};

struct request_service {
	struct event_base *base;
	const struct itin_service_config *service;	/* replaced on SIGHUP */
	const struct itin_templates *templates;		/* [zh], [en]; replaced on SIGHUP */
	struct itin_db_pool *db;
	struct itin_request_db *rdb;	/* begin and lookup, batched */
	struct itin_subscriber_keyer *keyer;		/* the current secret's */
	struct itin_subscriber_keyer *previous_keyer;	/* during a key rotation, else NULL */
	struct itin_sealer *sealer;
	const struct itin_request_ops *channel_ops[2];
	int64_t updated_at;		/* the newest event loaded */
	int64_t loaded_at;		/* the loader's last commit */
	int64_t retention_at, kept_from;	/* the last retention run, its first day kept */
	struct itin_feed_load feed_load[ITIN_FEEDS];	/* each feed's last load */
	struct itin_risk *risks;
	unsigned num_risks;
	struct event *refresh;
	unsigned in_flight;
	struct itin_request_done *done;	/* answered requests, marked sent in batches */
	struct itin_verify_issuer *issuer;	/* the codes of a loop turn's replies */
	struct llist_head reopened;	/* requests marked sent, put back pending, in memory */
	struct itin_request_unrecorded *unrecorded;	/* audit rows of replies without a row */
	struct period_count cap;	/* [service] max_replies: SMS replies */
	struct period_count verify_cap;	/* [service] verify_max_failures: failed checks */
	struct itin_request_stats stats;
	struct llist_head live;		/* every request alive (struct itin_request) */
	unsigned old_epoch_live;	/* of them, those from before the lease's last loss */
	struct {			/* own rows that nothing here answers (the sweep) */
		bool wanted, reading;
		unsigned long long reconnects;	/* the pool's, when last looked at */
		struct event *timer;
	} sweep;
	int64_t recover_bound;		/* own pending rows up to this id are not in memory */
	void (*recovered)(void *arg);
	void *recovered_arg;
	struct itin_lease *lease;	/* this instance's (migration 100) */
	bool taking_over;		/* a take-over's read in flight */
};

/* The one request service of the process (itin_requests_init). */
extern struct request_service *g_requests;

/* A statement in flight for a request: the request may be answered (the busy text at the
 * deadline) and freed before the result comes; then a lookup's result finds req NULL, and a
 * begin's finds the stand-in that takes it over (stand_in()). */
struct itin_request_wait {
	struct itin_request *req;
};

#define LOGPREQ(req, level, fmt, args...) \
	LOGP(DREQ, level, "%s %s %s: " fmt, itin_channel_name((req)->channel), \
	     (req)->identity_kind == ITIN_IDENTITY_MSISDN ? "msisdn" : "imsi", itin_request_masked(req), ##args)

/* service/request.c */
/* A wait for req's statement, in *slot (&req->begin or &req->lookup); NULL when out of
 * memory. */
struct itin_request_wait *itin_request_wait_start(struct itin_request *req,
						  struct itin_request_wait **slot);
/* The end of a wait, its statement answered or never sent: its request, which waits no more
 * (NULL when the request is gone). */
struct itin_request *itin_request_wait_end(struct itin_request_wait *wait);
/* The last four digits of the request's identity, for the log (a static buffer). */
const char *itin_request_masked(const struct itin_request *req);
/* Hands the reply (NULL: silence) to the channel, once; the deadline or the answer, first wins. */
void itin_request_deliver(struct itin_request *req, const struct itin_reply *reply);
/* A reply that only needs the request's language: prompts, notices, the busy text. */
void itin_request_reply_text(struct itin_request *req, enum itin_text text);
/* The text that answers an action (the busy text for one that has none). */
enum itin_text itin_request_text_of(enum itin_action action);
/* (Re)starts the reply deadline: from the accept for the recording, then for the reply. */
void itin_request_start_deadline(struct itin_request *req);
/* Not even sent to the database: the channel refuses the PDU with a temporary error. */
void itin_request_refuse(struct itin_request *req, const char *why);
/* The request a statement of the "begin" stage answered for, NULL when there is nothing more to
 * do (gone, or failed: logged as what, why, and answered with the busy text). */
struct itin_request *itin_request_begun(struct itin_request_wait *wait, bool done,
					const char *what, const char *why);
/* The same for a statement of the "lookup" stage. */
struct itin_request *itin_request_looked_up(struct itin_request_wait *wait, bool done,
					    const char *what, const char *why);
/* The request's itinerary looked up, its result to itin_request_lookup_cb(req->lookup). */
int itin_request_lookup(struct itin_request *req);
void itin_request_lookup_cb(void *arg, const struct itin_lookup *lookup, const char *why);
/* The events of c's current period of max->period_s (0 once it ended); one more counted. */
unsigned itin_period_events(struct period_count *c, const struct itin_rate *max);
void itin_period_count_one(struct period_count *c);
/* Answers a request whose action is decided. */
void itin_request_act(struct itin_request *req);

/* service/request_verify.c */
/* Stores the code of reply (its check: input) with the reply sealed, then delivers it. */
int itin_request_issue_code(struct itin_request *req, struct itin_reply *reply,
			    const char *input);
/* A checker's check or a holder's void, accepted. */
int itin_request_verify_accept(struct itin_request *req);

/* service/request_dispute.c */
/* Opens a dispute case with the itinerary as it stands (reply), then answers with its number. */
int itin_request_dispute_open(struct itin_request *req, struct itin_reply *reply);
/* A dispute, accepted: its itinerary looked up, then the case opened. */
int itin_request_dispute_accept(struct itin_request *req);

/* service/request_recovery.c */
/* What the instance's lease tells the service: lost, renewed, a renewal's tick. */
extern const struct itin_lease_ops itin_request_lease_ops;
/* The sweep's timer: answers the instance's own rows that nothing in the process answers. */
void itin_request_sweep_cb(evutil_socket_t fd, short what, void *arg);
/* A sweep wanted, at its moment: a statement that recorded requests failed, so some rows may
 * have been committed (on a partitioned layout, by the partitions that took their part). */
void itin_request_sweep_want(void);
