/*
 * A subscriber's request, from the moment a channel has decoded it to the moment its reply has
 * been handed back to that channel. Channels (sms/, ussd/) build a request from a PDU and call
 * itin_request_accept(); the request module records it durably, applies the service rules
 * (shutdown, rate limit, consent, language, lookup, rendering) through the database pool and
 * the engine, and calls the channel back. It knows no PDU; channels know no SQL.
 *
 * Life of a request:
 *   channel: req = itin_request_alloc(); fill; itin_request_accept(req)
 *   request: ... accepted(req, ok)          -> channel acknowledges the PDU (or refuses it
 *                                              with a temporary error when !ok: not sent to
 *                                              the database)
 *   request: ... reply(req, reply)          -> channel encodes and sends the reply
 *   channel: itin_request_sent(req, parts)  -> request marks it sent (SMS, parts written)
 *   channel: itin_request_replied(req, ok, parts) -> request marks it answered if not yet (or
 *                                              leaves or puts it back pending, to be answered
 *                                              again) and frees it
 *
 * The rules themselves run in the database (sql/migrations/051_request_rules.sql), in the same
 * statement that records the request, so that several itinerad processes share one state and a
 * request costs one round trip (two for an itinerary), shared with the other requests of its
 * event-loop turn (db/request_db.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <osmocom/core/linuxlist.h>

#include "common/config.h"
#include "common/subscriber_key.h"
#include "db/feed_times.h"
#include "engine/intent.h"
#include "engine/reply.h"
#include "engine/verify_code.h"

struct itin_db_pool;

enum itin_channel {
	ITIN_CHANNEL_SMS,
	ITIN_CHANNEL_USSD,
};

/* Who asks: the SMSC gives an MSISDN, osmo-hlr an IMSI. Kept in memory only. */
enum itin_identity_kind {
	ITIN_IDENTITY_MSISDN,	/* E.164 digits, no '+' */
	ITIN_IDENTITY_IMSI,
};


/* What the rules decided (the numbers are shared with the SQL function). */
enum itin_action {
	ITIN_ACTION_DUPLICATE = 0,	/* the SMSC delivered it again: no reply */
	ITIN_ACTION_ITINERARY = 1,
	ITIN_ACTION_CONSENT_PROMPT = 2,
	ITIN_ACTION_CONSENT_EXPIRED = 3,
	ITIN_ACTION_CANCELLED = 4,
	ITIN_ACTION_RATE_LIMITED = 5,	/* the one notice */
	ITIN_ACTION_SILENT = 6,		/* rate limited after the notice, or unknown text again */
	ITIN_ACTION_HELP = 7,
	ITIN_ACTION_LANG_SWITCHED = 8,
	ITIN_ACTION_SHUTDOWN = 9,
	ITIN_ACTION_BUSY = 10,		/* not decided before the reply deadline */
	ITIN_ACTION_CAPPED = 11,	/* an SMS reply held back by the global cap (daemon only) */
	ITIN_ACTION_INCOMPLETE = 12,	/* an SMS in parts never whole, no keyword: no reply (audit only) */
	/* Verification codes (migration 185): decided by the daemon, audited in verify_audit. */
	ITIN_ACTION_VERIFY_VALID = 13,
	ITIN_ACTION_VERIFY_INVALID = 14,
	ITIN_ACTION_VERIFY_LIMITED = 15,
	ITIN_ACTION_CODES_VOIDED = 16,
	ITIN_ACTION_DISPUTE_OPENED = 17,
	ITIN_ACTION_DISPUTE_LIMITED = 18,
};

struct itin_request;

struct itin_request_ops {
	/* The request is taken (ok): durably recorded, or, when the database did not record it
	 * within the reply deadline, answered with the busy text, which reply() brings next; or
	 * it could not even be sent to the database (!ok: refuse the PDU temporarily). Called
	 * once. */
	void (*accepted)(struct itin_request *req, bool ok);
	/* The reply to send; NULL when the rules say silence (rate limited after the one notice,
	 * unknown text within the help period) or the global reply cap holds an SMS reply back.
	 * The channel calls itin_request_replied() after. */
	void (*reply)(struct itin_request *req, const struct itin_reply *reply);
};

struct itin_request {
	enum itin_channel channel;
	enum itin_identity_kind identity_kind;
	char identity[16];		/* digits; never logged in clear, never stored */
	enum itin_intent intent;
	bool consent_given;		/* USSD: the menu answer "1" is the consent itself */
	int64_t received_at;		/* Unix s: rules and window use this time */
	const uint8_t *message;		/* the text as received, to recognise a redelivery; */
	size_t message_len;		/* only read during itin_request_accept() */
	bool has_message_ref;		/* SMS: the handset's message reference (TP-MR) came */
	uint16_t message_ref;		/* with it: a redelivery has the same text and reference */
	const struct itin_request_ops *ops;
	void *channel_data;		/* the channel's own state for this request */
	char verify_input[ITIN_VERIFY_INPUT_DIGITS + 1];	/* VERIFY: the digits checked,
					   itin_verify_input_parse(); "" when mistyped */
	char *dispute;			/* DISPUTE: the words after the keyword (UTF-8, a talloc
					   child of the request), NULL when none */

	/* The request module's own. */
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];
	int64_t id;			/* its request_pending row, 0 if none */
	enum itin_action action;
	enum itin_lang lang;
	bool recovered;			/* answered again after a restart */
	bool recorded;			/* "begin" committed: the database has it */
	bool busy_answered;		/* a stand-in: the request, not recorded within the
					   reply deadline, got the busy text */
	bool replying;			/* the reply was handed to the channel */
	bool fenced;			/* not answered: the instance's lease ran out */
	bool marked;			/* marked sent: its row is (being) made its audit row */
	bool reopened;			/* marked, then put back pending (a part deferred) */
	struct llist_head reopened_entry;	/* in the service's list, when reopened */
	bool audit_apart;		/* no row of its own (a busy text for a request not recorded,
					 * a check, a void, a dispute): its reply is audited apart */
	unsigned lease_epoch;		/* the instance's lease epoch when it came */
	struct itin_request_wait *begin;	/* the begin in flight */
	struct itin_request_wait *lookup;	/* the lookup, then its code's issue, in flight */
	/* A query's lookup sent with its begin, answered before it (else NULL): its rows */
	struct itin_lookup *looked_up_early;
	struct itin_reply *issuing;	/* the reply waiting for its code to be stored */
	uint32_t case_no;		/* DISPUTE: the case being opened */
	struct event *deadline;
	struct timespec started;	/* monotonic, at alloc: the latency histogram's start */
	struct llist_head live;		/* in the service's list, from alloc to free */
};

/* The request service: call once, with the pool whose statements are itin_request_statements
 * (db/request_db.h). It keys and seals with keys (derived at once: they need not outlive the
 * call); service and templates ([zh], [en]) must outlive it, or the next set_config; instance
 * ([instance]: this process's name and lease) is read at once.
 */
int itin_requests_init(void *ctx, struct event_base *base,
		       const struct itin_service_config *service, const struct itin_templates *templates,
		       const struct itin_keys *keys, const struct itin_instance_config *instance,
		       struct itin_db_pool *db);
/* New rules and texts after SIGHUP (templates, limits, shutdown mode); the old ones may be
 * freed after. */
void itin_requests_set_config(const struct itin_service_config *service,
			      const struct itin_templates *templates);
/* The lease's own connection (a pool of the itin_lease_statements, db/request_inputs.h), set
 * before itin_requests_recover(): the renewals do not queue behind the requests' statements,
 * which a lock or a slow database may hold for longer than the lease. */
void itin_requests_set_lease_db(struct itin_db_pool *lease_db);
/* The lookups on a hot standby ([database] read_conninfo, db/db_replica.h). */
struct itin_db_replica;
void itin_requests_set_replica(struct itin_db_replica *replica);
/* Takes this instance's lease (waiting while another process holds its name), then answers
 * what a previous run of the instance accepted and did not answer, through the channel's ops,
 * and from then on, while renewing the lease, the requests of instances whose lease ran out.
 * ready() runs once the previous run's requests are known: start taking new ones then. */
void itin_requests_register_channel(enum itin_channel channel, const struct itin_request_ops *ops);
void itin_requests_recover(void (*ready)(void *arg), void *arg);
/* Holds link (a name shared by the instances, kept by the caller) while this instance's lease
 * runs and no other live instance holds it, asked at every renewal: cb(arg, true) when it is
 * this instance's, cb(arg, false) when it no longer is. Connect only while held (osmo-hlr
 * routes one connection per EUSE name). */
void itin_requests_hold_link(const char *link, void (*cb)(void *arg, bool held), void *arg);
/* At a clean stop, once the answered requests are marked sent (the pool idle): ends the lease,
 * so that peers take over what is left, and the link, at once. */
void itin_requests_release(void);
/* This process's instance name, "host/[instance] name" (see service/request_recovery.c). */
const char *itin_requests_instance(void);
unsigned itin_requests_in_flight(void);

struct itin_request *itin_request_alloc(void *ctx);
/* Always answers through ops->accepted(); on a negative return it has already called
 * accepted(req, false) and freed req, and the channel must not use req again. */
int itin_request_accept(struct itin_request *req);
void itin_request_replied(struct itin_request *req, bool ok, unsigned parts);
/* An SMS reply of parts parts was written to the SMSC, every part at once: its request is
 * marked sent now (sql/migrations/160_requests_sent.sql) rather than once the SMSC has
 * answered, so that a process killed meanwhile does not leave it pending to be sent again.
 * A reply not written at once is marked when itin_request_replied() comes. */
void itin_request_sent(struct itin_request *req, unsigned parts);
/* A part of a reply marked sent that the SMSC did not take yet (the link sends it again): the
 * request is put back pending, so that it is answered after a restart should this process stop
 * first. */
void itin_request_deferred(struct itin_request *req);
/* An SMS that is no request (a concatenated message never whole, whose first part gives no
 * keyword): not answered, only audited, under the sender's key (action incomplete). */
void itin_request_audit_incomplete(const char *msisdn, int64_t at);
/* Answered requests are marked sent in batches, at the end of the loop turn (a batch the
 * database did not take, again every second); at shutdown, send the last batch and those now
 * (then wait for the database pool to be idle). */
void itin_requests_flush(void);

/* Counters for the admin endpoint's /metrics. Latency is from the request's alloc (the PDU
 * decoded) to itin_request_replied(); bucket i counts replies within itin_latency_bounds[i]
 * seconds (not cumulative), the last bucket those slower than every bound. */
#define ITIN_LATENCY_BUCKETS 12
extern const double itin_latency_bounds[ITIN_LATENCY_BUCKETS];
struct itin_request_stats {
	unsigned long long actions[2][ITIN_INTENT_UNKNOWN + 1][ITIN_ACTION_BUSY + 1];
	unsigned long long refused[2];		/* not recorded: the PDU got a temporary error */
	unsigned long long unrecorded[2];	/* not recorded in time: the busy text */
	unsigned long long replied[2];		/* answered (or silent by the rules) */
	unsigned long long left_pending[2];	/* the reply could not be sent: answered later */
	unsigned long long taken_over;		/* SMS requests of lapsed instances answered */
	unsigned long long unaudited_held;	/* busy texts' audit rows waiting for the database */
	unsigned long long unaudited_lost;	/* ... and lost, the backlog full */
	unsigned long long capped;		/* SMS replies not sent: [service] max_replies */
	unsigned long long codes_issued;	/* verification codes stored with a reply */
	unsigned long long checks[4];		/* by enum itin_verify_outcome */
	unsigned long long verify_capped;	/* checks refused: [service] verify_max_failures */
	unsigned long long latency[2][ITIN_LATENCY_BUCKETS + 1];
	double latency_sum[2];
	unsigned in_flight;
	int64_t data_updated_at;		/* the newest event loaded, Unix s (0: unknown) */
	int64_t data_loaded_at;			/* the loader's last commit, Unix s (0: never) */
	int64_t retention_at;			/* the last retention run, Unix s (0: never) */
	int64_t kept_from;			/* its first day kept, local midnight, Unix s */
	struct itin_feed_load feed_load[ITIN_FEEDS];	/* each feed's last load */
};
void itin_requests_get_stats(struct itin_request_stats *st);

const char *itin_channel_name(enum itin_channel channel);
const char *itin_intent_name(enum itin_intent intent);
const char *itin_action_name(enum itin_action action);
