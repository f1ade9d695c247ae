/*
 * Requests from accept to reply. One request is: the "begin" statement (records it and decides
 * the action, sql/migrations/051_request_rules.sql), for an itinerary the lookup (both shared
 * with the other requests of the same loop turn, db/request_db.c; a query that will most
 * likely get its itinerary sends its lookup with its begin, not after it), then the engine renders
 * the reply and the channel sends it; "sent" moves the pending row to the audit in the loop
 * turn the reply is written to the SMSC (migration 160). A reply deadline turns a slow
 * database into the busy text instead of silence. After a restart, pending rows are answered
 * again from their recorded action and sealed address.
 *
 * Several processes may share the database (migration 100): each is an instance with a name
 * and a lease (service/instance_lease.c). It answers at start the pending rows of its own name
 * only, and takes over the rows of instances whose lease ran out. An instance whose lease ran
 * out sends no more SMS replies of the requests it holds (a peer may be answering them) and
 * refuses new ones, until it holds its lease again; then it answers those of its rows that no
 * peer took (the sweep below).
 *
 * The sweep answers the instance's own pending rows that nothing in this process will answer:
 * a recording whose connection broke before its commit was known (a primary that died, with
 * the commit on the standby it failed over to), a request whose reply could not be sent, and,
 * after a loss of the lease, the requests held back. It runs after the pool reconnected and
 * when the lease is held again, once the requests from before the loss are gone, and leaves
 * out the rows of the requests alive and of the done marks not yet committed (their ids) and
 * any row newer than the oldest recording still in flight: what it answers, nothing else
 * does.
 * No PDU and no SQL text other than statement names and parameters live here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/log.h"
#include "common/reply_address.h"
#include "db/request_db.h"
#include "db/request_done.h"
#include "db/request_unrecorded.h"
#include "db/request_inputs.h"
#include "db/dispute_db.h"
#include "db/verify_db.h"
#include "engine/reply_text.h"
#include "engine/subscriber_reply.h"
#include "service/instance_lease.h"
#include "service/request.h"

#define DEDUP_S 30			/* an SMSC redelivering within this is not a new request */
#define REFRESH_S 60
#define SWEEP_CHECK_MS 200		/* a sweep waiting for its moment looks this often */			/* data freshness and risk list are re-read this often */

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

static struct request_service *svc;

/* A statement in flight for a request: the request may be answered (the busy text at the
 * deadline) and freed before the result comes; then a lookup's result finds req NULL, and a
 * begin's finds the stand-in that takes it over (stand_in()). */
struct itin_request_wait {
	struct itin_request *req;
};

/* A wait for req's statement, in *slot (&req->begin or &req->lookup); NULL when out of
 * memory. */
static struct itin_request_wait *wait_start(struct itin_request *req,
					    struct itin_request_wait **slot)
{
	*slot = talloc_zero(svc, struct itin_request_wait);
	if (*slot)
		(*slot)->req = req;
	return *slot;
}

/* The end of a wait, its statement answered or never sent: its request, which waits no more
 * (NULL when the request is gone). */
static struct itin_request *wait_end(struct itin_request_wait *wait)
{
	struct itin_request *req = wait->req;

	if (req && req->begin == wait)
		req->begin = NULL;
	if (req && req->lookup == wait)
		req->lookup = NULL;
	talloc_free(wait);
	return req;
}

#define LOGPREQ(req, level, fmt, args...) \
	LOGP(DREQ, level, "%s %s %s: " fmt, itin_channel_name((req)->channel), \
	     (req)->identity_kind == ITIN_IDENTITY_MSISDN ? "msisdn" : "imsi", masked(req), ##args)

/* The last four digits: enough to follow a request in the log, not to identify anyone. */
static const char *masked(const struct itin_request *req)
{
	static char buf[12];
	size_t len = strlen(req->identity);

	snprintf(buf, sizeof(buf), "***%s", len > 4 ? req->identity + len - 4 : "");
	return buf;
}

const double itin_latency_bounds[ITIN_LATENCY_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

static void count_latency(const struct itin_request *req)
{
	struct timespec now;
	double s;
	unsigned b = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = (now.tv_sec - req->started.tv_sec) + (now.tv_nsec - req->started.tv_nsec) / 1e9;
	while (b < ITIN_LATENCY_BUCKETS && s > itin_latency_bounds[b])
		b++;
	svc->stats.latency[req->channel][b]++;
	svc->stats.latency_sum[req->channel] += s;
}

/* However a request goes (answered, refused, or still in flight at exit), with its memory. */
static int request_destructor(struct itin_request *req)
{
	if (req->deadline)
		event_free(req->deadline);
	if (req->lookup)
		req->lookup->req = NULL;
	if (req->begin)
		req->begin->req = NULL;
	llist_del(&req->live);
	if (req->lease_epoch != itin_lease_epoch(svc->lease))
		svc->old_epoch_live--;
	talloc_free(req->issuing);
	if (req->reopened)
		llist_del(&req->reopened_entry);
	svc->in_flight--;
	return 0;
}

static enum itin_text text_of(enum itin_action action)
{
	switch (action) {
	case ITIN_ACTION_CONSENT_PROMPT:
		return ITIN_TEXT_CONSENT_PROMPT;
	case ITIN_ACTION_CONSENT_EXPIRED:
		return ITIN_TEXT_CONSENT_EXPIRED;
	case ITIN_ACTION_CANCELLED:
		return ITIN_TEXT_CANCELLED;
	case ITIN_ACTION_RATE_LIMITED:
		return ITIN_TEXT_RATE_LIMITED;
	case ITIN_ACTION_HELP:
		return ITIN_TEXT_HELP;
	case ITIN_ACTION_LANG_SWITCHED:
		return ITIN_TEXT_LANG_SWITCHED;
	case ITIN_ACTION_SHUTDOWN:
		return ITIN_TEXT_SHUTDOWN;
	case ITIN_ACTION_ITINERARY:
		return ITIN_TEXT_ITINERARY;
	case ITIN_ACTION_VERIFY_INVALID:
		return ITIN_TEXT_VERIFY_INVALID;
	case ITIN_ACTION_VERIFY_LIMITED:
		return ITIN_TEXT_VERIFY_LIMITED;
	case ITIN_ACTION_CODES_VOIDED:
		return ITIN_TEXT_CODES_VOIDED;
	case ITIN_ACTION_DISPUTE_LIMITED:
		return ITIN_TEXT_DISPUTE_LIMITED;
	default:
		return ITIN_TEXT_BUSY;
	}
}

/* The global reply cap, a fuse against the service being made to send SMS in bulk (SMS
 * pumping: many spoofed senders, each within its own rate limit). Counted per process in fixed
 * periods, each starting with the first reply after the previous one ended. A reply over the
 * cap is not sent: its request was recorded and acknowledged already, and a temporary error
 * cannot be given any more; the subscriber can ask again (doc/manual/operator.md, Security). */
static long long monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

/* The events of c's current period of max->period_s; 0 once it ended. */
static unsigned period_events(struct period_count *c, const struct itin_rate *max)
{
	if (c->count && monotonic_ms() - c->start_ms >= max->period_s * 1000LL)
		c->count = 0;
	return c->count;
}

static void period_count_one(struct period_count *c)
{
	if (c->count++ == 0)
		c->start_ms = monotonic_ms();
}

static bool reply_capped(void)
{
	const struct itin_rate *max = &svc->service->max_replies;

	if (max->count == 0)
		return false;
	if (period_events(&svc->cap, max) < max->count) {
		period_count_one(&svc->cap);
		return false;
	}
	svc->stats.capped++;
	LOGP_LIMITED(&svc->cap.log, DREQ, LOGL_NOTICE, "max_replies reached (%u per %u s): SMS "
		     "reply not sent", max->count, max->period_s);
	return true;
}

/* The lease ran out (or was ended): the requests alive are of the old epoch. None of them is
 * answered here any more (a peer may be answering it), and the sweep answers their rows once
 * the lease is held again (those no peer took). */
static void lease_lost(void *arg)
{
	svc->old_epoch_live = svc->in_flight;
}

/* Whether req's row is still this instance's: held since the request came, without a loss. */
static bool lease_covers(const struct itin_request *req)
{
	return itin_lease_valid(svc->lease) && req->lease_epoch == itin_lease_epoch(svc->lease);
}

/* Hands the reply (NULL: silence) to the channel, once; the deadline or the answer, first wins. */
static void deliver(struct itin_request *req, const struct itin_reply *reply)
{
	if (req->replying)
		return;
	req->replying = true;
	if (req->deadline)
		evtimer_del(req->deadline);
	if (req->id && req->channel == ITIN_CHANNEL_SMS && !lease_covers(req)) {
		/* A peer may be answering it (it took over the row): no reply, no done. */
		LOGPREQ(req, LOGL_NOTICE, "request %lld left to the instance that holds it: this "
			"one's lease ran out\n", (long long)req->id);
		req->fenced = true;
		req->ops->reply(req, NULL);
		return;
	}
	if (reply && req->channel == ITIN_CHANNEL_SMS && reply_capped()) {
		req->action = ITIN_ACTION_CAPPED;
		reply = NULL;
	}
	LOGPREQ(req, LOGL_INFO, "%s -> %s\n", itin_intent_name(req->intent),
		itin_action_name(req->action));
	req->ops->reply(req, reply);
}

/* A reply that only needs the request's language: prompts, notices, the busy text. */
static void reply_text(struct itin_request *req, enum itin_text text)
{
	struct itin_reply_args args = { .updated_at = svc->updated_at, .now = req->received_at };
	struct itin_reply *reply = itin_reply_render(req, svc->service, svc->templates, text,
						     req->lang, &args);

	if (!reply) {
		LOGPREQ(req, LOGL_ERROR, "rendering %s failed\n", itin_text_name(text));
		reply = itin_reply_render(req, svc->service, svc->templates, ITIN_TEXT_BUSY,
					  req->lang, &args);
	}
	deliver(req, reply);
}

/* A request the database did not record: the busy text, which asks the subscriber to try
 * again, is its answer, and the peer is told it was taken, so that it does not deliver it again:
 * an SMSC that re-sends would otherwise give the subscriber a busy text per attempt, and an
 * itinerary for the attempt that gets through besides the one the subscriber asked again for
 * (doc/SPEC.md section 5). Nothing is kept: nothing is left to answer later. */
static void answer_unrecorded(struct itin_request *req)
{
	svc->stats.unrecorded[req->channel]++;
	req->action = ITIN_ACTION_BUSY;
	req->lang = svc->service->default_lang;	/* the subscriber's own is in the database */
	req->audit_apart = true;
	req->ops->accepted(req, true);
	reply_text(req, ITIN_TEXT_BUSY);
}

/* The request as its begin statement's result needs it, without the channel's state: the
 * request itself is answered with the busy text, and if the begin commits after all, this
 * copy answers what it recorded, like a pending request after a restart. */
static struct itin_request *stand_in(const struct itin_request *req)
{
	struct itin_request *late = itin_request_alloc(svc);

	if (!late)
		return NULL;
	late->channel = req->channel;
	late->identity_kind = req->identity_kind;
	memcpy(late->identity, req->identity, sizeof(late->identity));
	late->intent = req->intent;
	late->received_at = req->received_at;
	late->ops = req->ops;
	memcpy(late->key, req->key, sizeof(late->key));
	late->busy_answered = true;
	return late;
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_request *req = arg;

	if (!req->recorded) {
		/* The peer must not wait on a slow database (osmo-msc gives up on a deliver_sm
		 * after 5 s). */
		struct itin_request *late = stand_in(req);

		LOGPREQ(req, LOGL_NOTICE, "not recorded within the reply deadline: busy text\n");
		if (late) {
			late->begin = req->begin;
			late->begin->req = late;
		} else {
			LOGPREQ(req, LOGL_ERROR, "out of memory: if it is recorded after all, it is "
				"answered at the next start\n");
			req->begin->req = NULL;
		}
		req->begin = NULL;
		answer_unrecorded(req);
		return;
	}
	LOGPREQ(req, LOGL_NOTICE, "no answer within the reply deadline: busy text\n");
	req->action = ITIN_ACTION_BUSY;
	reply_text(req, ITIN_TEXT_BUSY);
}

static void issued_cb(void *arg, int rc, const char *why)
{
	struct itin_request *req = wait_end(arg);
	struct itin_reply *reply;

	if (!req)
		return;
	reply = req->issuing;
	req->issuing = NULL;
	if (req->replying) {
		talloc_free(reply);
		return;
	}
	if (rc < 0) {
		/* A code that would not verify must not be shown. */
		LOGPREQ(req, LOGL_ERROR, "storing the verification code failed: %s", why);
		talloc_free(reply);
		req->action = ITIN_ACTION_BUSY;
		reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	svc->stats.codes_issued++;
	talloc_steal(req, reply);
	deliver(req, reply);
}

/* Stores the code of reply (its check: input) with the reply sealed, then delivers it. */
static int issue_code(struct itin_request *req, struct itin_reply *reply, const char *input)
{
	uint8_t hash[ITIN_SUBSCRIBER_KEY_LEN];
	char *text = itin_reply_pack(reply, reply);
	uint8_t *sealed = text ? talloc_array(reply, uint8_t, ITIN_SEALED_LEN(strlen(text))) : NULL;
	int sealed_len, rc;

	if (!sealed)
		return -ENOMEM;
	sealed_len = itin_seal_text(svc->sealer, ITIN_SEAL_VERIFY_SHOWN, text, sealed);
	if (sealed_len < 0 || itin_verify_key(svc->keyer, input, hash) < 0)
		return -EIO;
	if (!wait_start(req, &req->lookup))
		return -ENOMEM;
	rc = itin_verify_db_issue(svc->issuer, hash, req->key, req->received_at,
				  svc->service->verify_validity_s, sealed, sealed_len, issued_cb,
				  req->lookup);
	if (rc < 0) {
		wait_end(req->lookup);
		return rc;
	}
	req->issuing = reply;
	talloc_steal(svc, reply);	/* the reply outlives a request answered meanwhile */
	return 0;
}

/* The request a statement of the "lookup" stage answered for, NULL when there is nothing more
 * to do: the request is gone or answered already (its deadline), or the statement failed
 * (logged as what, why) and the request got the busy text. */
static struct itin_request *looked_up(struct itin_request_wait *wait, bool done, const char *what,
				      const char *why)
{
	struct itin_request *req = wait_end(wait);

	if (!req || req->replying)
		return NULL;
	if (done)
		return req;
	LOGPREQ(req, LOGL_ERROR, "%s: %s", what, why);
	req->action = ITIN_ACTION_BUSY;
	reply_text(req, ITIN_TEXT_BUSY);
	return NULL;
}

static void dispute_opened_cb(void *arg, int opened, const char *why)
{
	struct itin_request *req = looked_up(arg, opened >= 0, "dispute not recorded", why);
	char case_no[12];
	struct itin_reply *reply;

	if (!req)
		return;
	if (!opened) {
		req->action = ITIN_ACTION_DISPUTE_LIMITED;
		reply_text(req, ITIN_TEXT_DISPUTE_LIMITED);
		return;
	}
	LOGPREQ(req, LOGL_NOTICE, "dispute case %u opened\n", req->case_no);
	req->action = ITIN_ACTION_DISPUTE_OPENED;
	snprintf(case_no, sizeof(case_no), "%u", req->case_no);
	reply = itin_reply_render(req, svc->service, svc->templates, ITIN_TEXT_DISPUTE_OPENED,
				  req->lang, &(struct itin_reply_args){ .now = req->received_at,
									.case_no = case_no });
	if (!reply) {
		req->action = ITIN_ACTION_BUSY;
		reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	deliver(req, reply);
}

/* A case with the subscriber's words and the itinerary as it stands (reply), both sealed, under
 * a random 8-digit case number (a collision only shows two cases under one number to care). */
static int dispute_open(struct itin_request *req, struct itin_reply *reply)
{
	const char *words = req->dispute ? req->dispute : "";
	char *shown = itin_reply_flatten(reply, reply);
	uint8_t *said = talloc_array(reply, uint8_t, ITIN_SEALED_LEN(strlen(words)));
	uint8_t *sealed = shown ? talloc_array(reply, uint8_t, ITIN_SEALED_LEN(strlen(shown))) : NULL;
	uint32_t random;
	int said_len, sealed_len, rc;

	if (!said || !sealed)
		return -ENOMEM;
	said_len = itin_seal_text(svc->sealer, ITIN_SEAL_DISPUTE, words, said);
	sealed_len = itin_seal_text(svc->sealer, ITIN_SEAL_DISPUTE, shown, sealed);
	if (said_len < 0 || sealed_len < 0 ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, &random, sizeof(random)) < 0)
		return -EIO;
	req->case_no = 10000000 + random % 90000000;
	if (!wait_start(req, &req->lookup))
		return -ENOMEM;
	rc = itin_dispute_db_open(svc->db, req->case_no, req->key, req->received_at, said, said_len,
				  sealed, sealed_len, svc->service->dispute_limit, dispute_opened_cb,
				  req->lookup);
	if (rc < 0)
		wait_end(req->lookup);
	return rc;
}

static void lookup_cb(void *arg, const struct itin_lookup *lookup, const char *why)
{
	struct itin_request *req = looked_up(arg, lookup, "lookup failed", why);
	struct itin_subscriber who;
	struct itin_reply *reply;
	struct itin_reply_code code, *with_code = NULL;
	uint8_t random[ITIN_VERIFY_RANDOM_LEN];
	bool mask_lost;
	int rc;

	if (!req)
		return;
	if (svc->service->verify_validity_s && req->intent != ITIN_INTENT_DISPUTE) {
		if (gnutls_rnd(GNUTLS_RND_RANDOM, random, sizeof(random)) < 0) {
			LOGPREQ(req, LOGL_ERROR, "no random octets for a verification code\n");
			req->action = ITIN_ACTION_BUSY;
			reply_text(req, ITIN_TEXT_BUSY);
			return;
		}
		itin_verify_code_make(random, code.code);
		with_code = &code;
	}
	who = (struct itin_subscriber){
		.e164 = req->identity_kind == ITIN_IDENTITY_MSISDN ? req->identity : NULL,
		.mask_sealed = lookup->mask_sealed, .mask_sealed_len = lookup->mask_sealed_len,
		.rows = lookup->rows, .num_rows = lookup->num_rows };
	reply = itin_subscriber_reply(req, svc->service, svc->templates, &who,
				      &(struct itin_reply_inputs){
		.risks = svc->risks, .num_risks = svc->num_risks, .updated_at = svc->updated_at,
		.sealer = svc->sealer, .code = with_code }, req->received_at, req->lang, &mask_lost);
	if (mask_lost)
		LOGPREQ(req, LOGL_ERROR, "the stored mask cannot be unsealed (its key is not in "
			"the secret file?): replying without it\n");
	if (!reply) {
		LOGPREQ(req, LOGL_ERROR, "building the reply failed\n");
		req->action = ITIN_ACTION_BUSY;
		reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	if (req->intent == ITIN_INTENT_DISPUTE) {
		rc = dispute_open(req, reply);
		talloc_free(reply);	/* sealed and sent */
		if (rc < 0) {
			LOGPREQ(req, LOGL_ERROR, "opening the dispute failed: %s\n", strerror(-rc));
			req->action = ITIN_ACTION_BUSY;
			reply_text(req, ITIN_TEXT_BUSY);
		}
		return;
	}
	if (!with_code || !code.input[0]) {
		deliver(req, reply);
		return;
	}
	rc = issue_code(req, reply, code.input);
	if (rc < 0) {
		LOGPREQ(req, LOGL_ERROR, "issuing the verification code failed: %s\n", strerror(-rc));
		talloc_free(reply);
		req->action = ITIN_ACTION_BUSY;
		reply_text(req, ITIN_TEXT_BUSY);
	}
}

/* The lookup with the subscriber's key, and during a key rotation its key under the previous
 * secret, which the database probes only when the current key finds nobody (sql/lookup.sql);
 * its result to cb(req->lookup). */
static int lookup_to(struct itin_request *req, itin_looked_up_cb cb)
{
	uint8_t previous[ITIN_SUBSCRIBER_KEY_LEN];
	char first_day[16];

	if (svc->previous_keyer &&
	    (req->identity_kind == ITIN_IDENTITY_MSISDN ?
	     itin_subscriber_key_msisdn(svc->previous_keyer, req->identity, previous) :
	     itin_subscriber_key_imsi(svc->previous_keyer, req->identity, previous)) < 0)
		return -EIO;
	itin_lookup_first_day(svc->service, req->received_at, first_day);
	return itin_request_db_lookup(svc->rdb, req->key, svc->previous_keyer ? previous : NULL,
				      first_day, cb, req->lookup);
}

static int lookup(struct itin_request *req)
{
	return lookup_to(req, lookup_cb);
}

/* The lookup sent with the begin: answered after the begin, it goes on as any lookup (or to
 * nothing, the request gone or not an itinerary); before it, its rows are kept for it. */
static void early_lookup_cb(void *arg, const struct itin_lookup *lookup, const char *why)
{
	struct itin_request_wait *wait = arg;
	struct itin_request *req = wait->req;
	struct itin_lookup *kept;

	if (!req || req->recorded || req->replying) {
		lookup_cb(arg, lookup, why);
		return;
	}
	talloc_free(wait);
	req->lookup = NULL;
	if (!lookup)
		return;		/* looked up again after the begin */
	kept = talloc_memdup(req, lookup, sizeof(*lookup));
	if (kept && lookup->num_rows) {
		kept->rows = talloc_memdup(kept, lookup->rows, lookup->num_rows * sizeof(*lookup->rows));
		if (!kept->rows)
			TALLOC_FREE(kept);
	}
	req->looked_up_early = kept;
}

/* A query that will most likely get its itinerary (no consent to ask; not a repeat nor over a
 * limit, which only its begin can tell) has it looked up at once, beside its begin: the reply
 * then waits for one round of statements before it instead of two. Out of memory, it is not. */
static void lookup_early(struct itin_request *req, bool ask_consent, bool shutdown)
{
	if (req->intent != ITIN_INTENT_QUERY || ask_consent || shutdown)
		return;
	req->lookup = talloc_zero(svc, struct itin_request_wait);
	if (!req->lookup)
		return;
	req->lookup->req = req;
	if (lookup_to(req, early_lookup_cb) < 0)
		TALLOC_FREE(req->lookup);
}

static void act(struct itin_request *req)
{

	switch (req->action) {
	case ITIN_ACTION_DUPLICATE:
	case ITIN_ACTION_SILENT:
		deliver(req, NULL);
		return;
	case ITIN_ACTION_ITINERARY:
		if (!wait_start(req, &req->lookup)) {
			LOGPREQ(req, LOGL_ERROR, "out of memory for the lookup\n");
			req->action = ITIN_ACTION_BUSY;
			reply_text(req, ITIN_TEXT_BUSY);
			return;
		}
		if (lookup(req) < 0)
			lookup_cb(req->lookup, NULL, "out of memory\n");
		return;
	default:
		reply_text(req, text_of(req->action));
		return;
	}
}

/* (Re)starts the reply deadline: from the accept for the recording, then for the reply. */
static void start_deadline(struct itin_request *req)
{
	struct timeval tv = { svc->service->reply_deadline_ms / 1000,
			      (svc->service->reply_deadline_ms % 1000) * 1000 };

	if (!req->deadline)
		req->deadline = evtimer_new(svc->base, deadline_cb, req);
	if (req->deadline)
		evtimer_add(req->deadline, &tv);
}

/* Not even sent to the database (no memory, no key): the channel refuses the PDU with a
 * temporary error, so that the peer retries. */
static void refuse(struct itin_request *req, const char *why)
{
	LOGPREQ(req, LOGL_ERROR, "not recorded: %s\n", why);
	svc->stats.refused[req->channel]++;
	req->ops->accepted(req, false);
	talloc_free(req);
}

/* The request a statement of the "begin" stage answered for, NULL when there is nothing more
 * to do: the request is gone, or the statement failed (logged as what, why) and the request
 * got the busy text, now or from its deadline. */
static struct itin_request *begun(struct itin_request_wait *wait, bool done, const char *what,
				  const char *why)
{
	struct itin_request *req = wait_end(wait);

	if (!req)
		return NULL;
	if (done)
		return req;
	LOGPREQ(req, LOGL_ERROR, "%s: %s", what, why);
	if (req->busy_answered)
		talloc_free(req);
	else
		answer_unrecorded(req);
	return NULL;
}

/* The action decided: an itinerary from the lookup sent with the begin (its rows here, or
 * its result to come to lookup_cb), anything else as act() does it. */
static void act_after_begin(struct itin_request *req)
{
	struct itin_lookup *early = req->looked_up_early;

	if (req->action == ITIN_ACTION_ITINERARY && req->lookup)
		return;
	if (req->lookup) {
		req->lookup->req = NULL;	/* its result goes nowhere */
		req->lookup = NULL;
	}
	req->looked_up_early = NULL;
	if (req->action == ITIN_ACTION_ITINERARY && early) {
		req->lookup = talloc_zero(svc, struct itin_request_wait);
		if (req->lookup) {
			req->lookup->req = req;
			talloc_steal(svc, early);	/* req may be freed by its reply */
			lookup_cb(req->lookup, early, NULL);
			talloc_free(early);
			return;
		}
	}
	talloc_free(early);
	act(req);
}

static void begin_cb(void *arg, const struct itin_request_row *row, const char *why)
{
	struct itin_request *req = begun(arg, row, "not recorded", why);

	if (!req)
		return;
	req->recorded = true;
	req->id = row->id;
	req->action = row->action;
	req->lang = row->english ? ITIN_LANG_EN : ITIN_LANG_ZH;
	if (req->action <= ITIN_ACTION_BUSY && req->intent <= ITIN_INTENT_UNKNOWN)
		svc->stats.actions[req->channel][req->intent][req->action]++;
	if (req->busy_answered) {
		/* No deadline: a second busy text would tell the subscriber nothing new. */
		LOGPREQ(req, LOGL_NOTICE, "recorded after its busy text: answered\n");
	} else {
		req->ops->accepted(req, true);
		start_deadline(req);
	}
	act_after_begin(req);
}

struct itin_request *itin_request_alloc(void *ctx)
{
	struct itin_request *req = talloc_zero(ctx, struct itin_request);

	if (req) {
		talloc_set_destructor(req, request_destructor);
		llist_add_tail(&req->live, &svc->live);
		svc->in_flight++;
		req->lease_epoch = itin_lease_epoch(svc->lease);
		clock_gettime(CLOCK_MONOTONIC, &req->started);
	}
	return req;
}

/* What tells an SMSC's redelivery from a new message: the begin statement compares it with
 * the subscriber's last one within DEDUP_S. The text, and the handset's message reference when
 * the SMSC passes it: a redelivery keeps it, a new message (the same text sent again) has
 * another. Without it, the same text within DEDUP_S is taken for a redelivery. */
static int message_digest(const struct itin_request *req, uint8_t digest[32])
{
	const uint8_t ref[7] = { 'T', 'P', '-', 'M', 'R', req->message_ref >> 8,
				 req->message_ref & 0xff };
	gnutls_hash_hd_t h;
	int rc;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -EIO;
	rc = req->has_message_ref ? gnutls_hash(h, ref, sizeof(ref)) : 0;
	if (rc == 0)
		rc = gnutls_hash(h, req->message, req->message_len);
	gnutls_hash_deinit(h, digest);
	return rc < 0 ? -EIO : 0;
}

/* [service] verify_max_failures, a fuse against guessing from many numbers at once (each
 * within verify_checker_limit): counted per process in fixed periods, each starting with the
 * first failure after the previous one ended. true: the cap is reached, checks are refused. */
static bool verify_capped(bool count_failure)
{
	const struct itin_rate *max = &svc->service->verify_max_failures;

	if (max->count == 0)
		return false;
	if (count_failure) {
		period_events(&svc->verify_cap, max);
		period_count_one(&svc->verify_cap);
		return false;
	}
	if (period_events(&svc->verify_cap, max) < max->count)
		return false;
	svc->stats.verify_capped++;
	LOGP_LIMITED(&svc->verify_cap.log, DREQ, LOGL_NOTICE, "verify_max_failures reached (%u per "
		     "%u s): checks refused", max->count, max->period_s);
	return true;
}

/* A check or a void that the database took: the checker's or holder's request is answered
 * from what it returned (it is not kept pending: nothing is left to answer after a restart,
 * the checker asks again). */
static bool verify_answered(struct itin_request *req, enum itin_action action)
{
	req->recorded = true;
	req->action = action;
	if (req->busy_answered) {
		talloc_free(req);	/* the stand-in: the busy text went out */
		return false;
	}
	req->ops->accepted(req, true);
	start_deadline(req);
	return true;
}

static void checked_cb(void *arg, const struct itin_verify_result *result, const char *why)
{
	struct itin_request *req = begun(arg, result, "check not made", why);
	struct itin_reply_args args;
	struct itin_reply *reply, *issued;
	char *shown;

	if (!req)
		return;
	if (result->outcome <= ITIN_VERIFY_SILENT)
		svc->stats.checks[result->outcome]++;
	if (result->outcome == ITIN_VERIFY_INVALID)
		verify_capped(true);
	if (!verify_answered(req, result->outcome == ITIN_VERIFY_VALID ? ITIN_ACTION_VERIFY_VALID :
			     result->outcome == ITIN_VERIFY_INVALID ? ITIN_ACTION_VERIFY_INVALID :
			     result->outcome == ITIN_VERIFY_LIMITED ? ITIN_ACTION_VERIFY_LIMITED :
			     ITIN_ACTION_SILENT))
		return;
	if (req->action == ITIN_ACTION_SILENT) {
		deliver(req, NULL);
		return;
	}
	if (req->action != ITIN_ACTION_VERIFY_VALID) {
		reply_text(req, text_of(req->action));
		return;
	}
	shown = talloc_array(req, char, result->shown_len + 1);
	if (!shown || itin_unseal(svc->sealer, ITIN_SEAL_VERIFY_SHOWN, result->shown,
				  result->shown_len, shown, result->shown_len + 1) < 0 ||
	    !(issued = itin_reply_unpack(req, shown))) {
		LOGPREQ(req, LOGL_ERROR, "the answer of a valid code cannot be unsealed (its key is "
			"not in the secret file?)\n");
		req->action = ITIN_ACTION_VERIFY_INVALID;
		reply_text(req, ITIN_TEXT_VERIFY_INVALID);
		return;
	}
	/* The holder's reply under the answer's first line, still in its parts: cut into SMS parts
	 * or pages like the holder's, it shows no place the holder's could not. */
	args = (struct itin_reply_args){ .updated_at = svc->updated_at, .now = req->received_at,
					 .shown = "", .issued_at = result->issued_at };
	reply = itin_reply_render(req, svc->service, svc->templates, ITIN_TEXT_VERIFY_VALID,
				  req->lang, &args);
	if (reply)
		issued->head = talloc_asprintf(issued, "%s%s", reply->head, issued->head);
	if (!reply || !issued->head) {
		LOGPREQ(req, LOGL_ERROR, "rendering the check's answer failed\n");
		req->action = ITIN_ACTION_BUSY;
		reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	talloc_free(reply);
	deliver(req, issued);
}

static void voided_cb(void *arg, int voided, const char *why)
{
	struct itin_request *req = begun(arg, voided >= 0, "codes not voided", why);

	if (!req)
		return;
	LOGPREQ(req, LOGL_INFO, "%d verification codes voided\n", voided);
	if (verify_answered(req, ITIN_ACTION_CODES_VOIDED))
		reply_text(req, ITIN_TEXT_CODES_VOIDED);
}

/* A checker's check or a holder's void, under the rules of migration 185 instead of the
 * request rules: a check is answered at once when it cannot match (mistyped, codes off) or
 * the global cap holds; else the database counts it against the checker's limit. */
static int verify_accept(struct itin_request *req)
{
	const struct itin_service_config *service = svc->service;
	uint8_t hash[ITIN_SUBSCRIBER_KEY_LEN], previous[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t holder_previous[ITIN_SUBSCRIBER_KEY_LEN];
	enum itin_action now = ITIN_ACTION_ITINERARY;	/* none: ask the database */
	int rc;

	req->lang = service->default_lang;
	req->message = NULL;
	req->audit_apart = true;
	if (req->intent == ITIN_INTENT_VERIFY &&
	    (!service->verify_validity_s || !req->verify_input[0]))
		now = ITIN_ACTION_VERIFY_INVALID;
	else if (req->intent == ITIN_INTENT_VERIFY && verify_capped(false))
		now = ITIN_ACTION_VERIFY_LIMITED;
	if (now != ITIN_ACTION_ITINERARY) {
		req->action = now;
		req->ops->accepted(req, true);
		reply_text(req, text_of(now));
		return 0;
	}
	if (!wait_start(req, &req->begin)) {
		refuse(req, "out of memory");
		return -ENOMEM;
	}
	if (req->intent == ITIN_INTENT_VOID_CODES) {
		rc = svc->previous_keyer &&
		     (req->identity_kind == ITIN_IDENTITY_MSISDN ?
		      itin_subscriber_key_msisdn(svc->previous_keyer, req->identity, holder_previous) :
		      itin_subscriber_key_imsi(svc->previous_keyer, req->identity, holder_previous)) < 0 ?
		     -EIO : 0;
		if (rc == 0)
			rc = itin_verify_db_void(svc->db, req->key,
						 svc->previous_keyer ? holder_previous : NULL,
						 voided_cb, req->begin);
	} else {
		rc = itin_verify_key(svc->keyer, req->verify_input, hash) < 0 ||
		     (svc->previous_keyer &&
		      itin_verify_key(svc->previous_keyer, req->verify_input, previous) < 0) ? -EIO : 0;
		if (rc == 0)
			rc = itin_verify_db_check(svc->db, req->key, hash,
						  svc->previous_keyer ? previous : NULL,
						  req->received_at, service->verify_checker_limit.count,
						  service->verify_checker_limit.period_s, checked_cb,
						  req->begin);
	}
	if (rc < 0) {
		wait_end(req->begin);
		refuse(req, rc == -EIO ? "keying failed" : "the database is not connected or too busy");
		return rc;
	}
	start_deadline(req);
	return 0;
}

/* A dispute: taken at once (no pending row: a case the database did not record gets the busy
 * text, and the subscriber sends it again), then the itinerary looked up as for a query, and
 * the case opened with it (lookup_cb, dispute_open) under its own per-day limit instead of
 * the request rules. */
static int dispute_accept(struct itin_request *req)
{
	req->lang = svc->service->default_lang;
	req->message = NULL;
	req->recorded = true;
	req->audit_apart = true;
	req->ops->accepted(req, true);
	start_deadline(req);
	if (!wait_start(req, &req->lookup)) {
		req->action = ITIN_ACTION_BUSY;
		reply_text(req, ITIN_TEXT_BUSY);
		return 0;
	}
	if (lookup(req) < 0)
		lookup_cb(req->lookup, NULL, "out of memory\n");
	return 0;
}

int itin_request_accept(struct itin_request *req)
{
	const struct itin_service_config *service = svc->service;
	uint8_t sealed[ITIN_SEALED_MAX], digest[32];
	struct itin_begin_rules rules = {
		.english = service->default_lang == ITIN_LANG_EN,
		.shutdown = service->shutdown_date[0] != '\0',
		.consent_timeout_s = service->consent_timeout_s,
		.rate_count = service->rate_limit.count,
		.rate_period_s = service->rate_limit.period_s,
		.dedup_s = DEDUP_S,
	};
	struct itin_begin_args args;
	int sealed_len, rc;

	if (req->channel == ITIN_CHANNEL_SMS && !itin_lease_valid(svc->lease)) {
		/* Its row might be a peer's to answer before this instance could. */
		refuse(req, "this instance's lease ran out, renewing it");
		return -EAGAIN;
	}
	rc = req->identity_kind == ITIN_IDENTITY_MSISDN ?
		itin_subscriber_key_msisdn(svc->keyer, req->identity, req->key) :
		itin_subscriber_key_imsi(svc->keyer, req->identity, req->key);
	sealed_len = itin_seal(svc->sealer, ITIN_SEAL_REPLY_ADDRESS, req->identity, sealed);
	if (rc < 0 || sealed_len < 0 ||
	    message_digest(req, digest) < 0) {
		refuse(req, "keying failed");
		return -EIO;
	}
	if (req->intent == ITIN_INTENT_VERIFY || req->intent == ITIN_INTENT_VOID_CODES)
		return verify_accept(req);
	if (req->intent == ITIN_INTENT_DISPUTE)
		return dispute_accept(req);
	args = (struct itin_begin_args){
		.key = req->key,
		.channel = req->channel,
		.intent = req->intent,
		.at = req->received_at,
		.digest = req->channel == ITIN_CHANNEL_SMS ? digest : NULL,
		.sealed = sealed,
		.sealed_len = sealed_len,
		.ask_consent = service->consent && !req->consent_given,
	};
	req->message = NULL;
	if (!wait_start(req, &req->begin)) {
		refuse(req, "out of memory");
		return -ENOMEM;
	}
	start_deadline(req);
	/* The begin statements of one turn go to one connection per subscriber (request_db.h). */
	rc = itin_request_db_begin(svc->rdb, &args, &rules, begin_cb, req->begin);
	if (rc == 0)
		lookup_early(req, args.ask_consent, rules.shutdown);
	if (rc < 0) {
		wait_end(req->begin);
		refuse(req, "out of memory");
	}
	return rc;
}

/* Marks the gathered answered requests done now, and sends again the batches that failed. */
void itin_requests_flush(void)
{
	itin_request_done_flush(svc->done);
	itin_request_unrecorded_flush(svc->unrecorded);
}

void itin_request_sent(struct itin_request *req, unsigned parts)
{
	if (!req->id || req->fenced || req->marked)
		return;
	if (itin_request_done_mark(svc->done, req->id, parts, req->action) < 0) {
		LOGPREQ(req, LOGL_ERROR, "out of memory: request %lld not marked sent now\n",
			(long long)req->id);
		return;
	}
	req->marked = true;
}

/* Puts a request marked sent back pending; its answer is then marked again (no second audit). */
static void reopen(struct itin_request *req)
{
	uint8_t sealed[ITIN_SEALED_MAX];
	int sealed_len = itin_seal(svc->sealer, ITIN_SEAL_REPLY_ADDRESS, req->identity, sealed);
	struct itin_reopen r = {
		.id = req->id, .key = req->key, .channel = req->channel, .intent = req->intent,
		.action = req->action, .lang = req->lang == ITIN_LANG_EN, .at = req->received_at,
		.sealed = sealed, .sealed_len = sealed_len,
	};

	if (sealed_len < 0 || itin_request_done_reopen(svc->done, &r) < 0) {
		LOGPREQ(req, LOGL_ERROR, "request %lld not put back pending: not answered again "
			"should this process stop before its reply is taken\n", (long long)req->id);
		return;
	}
	req->reopened = true;
	llist_add_tail(&req->reopened_entry, &svc->reopened);
}

void itin_request_deferred(struct itin_request *req)
{
	if (req->marked && !req->reopened)
		reopen(req);
}

void itin_request_replied(struct itin_request *req, bool ok, unsigned parts)
{
	if (!ok && req->audit_apart) {
		LOGPREQ(req, LOGL_NOTICE, "reply not sent (the request has no row: nothing is left "
			"to answer)\n");
	} else if (!ok) {
		LOGPREQ(req, LOGL_NOTICE, "reply not sent: left pending for the next start\n");
		svc->stats.left_pending[req->channel]++;
	} else {
		svc->stats.replied[req->channel]++;
		count_latency(req);
	}
	if (req->marked && !ok && !req->reopened)
		reopen(req);
	else if (req->id && !req->fenced && ok && (!req->marked || req->reopened))
		itin_request_done_mark(svc->done, req->id, parts, req->action);
	else if (ok && req->audit_apart)
		itin_request_unrecorded_add(svc->unrecorded, req->key, req->channel, req->intent,
					    req->action, req->received_at, time(NULL), parts);
	talloc_free(req);
}

void itin_request_audit_incomplete(const char *msisdn, int64_t at)
{
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];

	if (itin_subscriber_key_msisdn(svc->keyer, msisdn, key) < 0) {
		LOGP(DREQ, LOGL_ERROR, "keying failed: the audit row of an incomplete SMS not written\n");
		return;
	}
	itin_request_db_audit_incomplete(svc->rdb, key, ITIN_CHANNEL_SMS, at);
}

static void freshness_cb(void *arg, const struct itin_feed_times *t)
{
	svc->updated_at = t->updated_at;
	svc->loaded_at = t->loaded_at;
	svc->retention_at = t->retention_at;
	svc->kept_from = t->kept_from;
	memcpy(svc->feed_load, t->load, sizeof(svc->feed_load));
}

static void risks_cb(void *arg, struct itin_risk *risks, unsigned num)
{
	talloc_free(svc->risks);
	svc->risks = risks;
	svc->num_risks = num;
}

static void refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	itin_request_inputs_read(svc->db, svc, freshness_cb, risks_cb, NULL);
}

enum recovered_from {
	FROM_PREVIOUS_RUN,		/* at the start: the previous process's */
	FROM_PEER,			/* taken over from an instance whose lease ran out */
	FROM_SWEEP,			/* this process's, that nothing here answers */
};

/* Whether the pending row id is of a request in memory here, put back pending after it was
 * marked sent (its parts wait at the SMSC link): it is not answered twice. */
static bool reopened_here(int64_t id)
{
	struct itin_request *req;

	llist_for_each_entry(req, &svc->reopened, reopened_entry) {
		if (req->id == id)
			return true;
	}
	return false;
}

static void recover_one(const struct itin_pending *p, enum recovered_from from)
{
	static const char *const how[] = {
		[FROM_PREVIOUS_RUN] = "left pending by a previous run",
		[FROM_PEER] = "taken over from an instance whose lease ran out",
		[FROM_SWEEP] = ("that nothing else answers (a recording whose commit was in "
				"doubt, a reply not sent, or held back while the lease was lost)"),
	};
	struct itin_request *req = itin_request_alloc(svc);

	if (!req)
		return;
	req->id = p->id;
	req->channel = p->channel;
	req->identity_kind = p->channel == ITIN_CHANNEL_SMS ? ITIN_IDENTITY_MSISDN : ITIN_IDENTITY_IMSI;
	req->intent = p->intent;
	req->action = p->action;
	req->lang = p->english ? ITIN_LANG_EN : ITIN_LANG_ZH;
	req->received_at = p->received_at;
	req->recovered = true;
	req->recorded = true;
	req->ops = svc->channel_ops[p->channel == ITIN_CHANNEL_SMS ? 0 : 1];
	if (p->channel != ITIN_CHANNEL_SMS || !req->ops) {
		/* A USSD session does not outlive its process: nothing to answer. */
		itin_request_replied(req, true, 0);
		return;
	}
	memcpy(req->key, p->key, sizeof(req->key));
	if (from != FROM_PEER &&
	    (reopened_here(p->id) || itin_request_done_holds(svc->done, p->id))) {
		/* Its reply is with the SMSC link still, or was sent and its mark is on its way
		 * (held back while this instance's lease had run out): not answered again. */
		talloc_free(req);
		return;
	}
	if (p->sealed_len < 0 ||
	    itin_unseal(svc->sealer, ITIN_SEAL_REPLY_ADDRESS, p->sealed, p->sealed_len, req->identity,
			sizeof(req->identity)) < 0) {
		LOGP(DREQ, LOGL_ERROR, "pending request %lld cannot be unsealed (its key is not in "
		     "the secret file?)\n", (long long)req->id);
		talloc_free(req);
		return;
	}
	LOGPREQ(req, LOGL_NOTICE, "answering request %lld %s\n", (long long)req->id, how[from]);
	if (from == FROM_PEER)
		svc->stats.taken_over++;
	start_deadline(req);
	act(req);
}

/* Answers rows read from request_pending; false when the read failed (what failed, why). */
static bool recover_rows(const struct itin_pending *rows, unsigned num, enum recovered_from from,
			 const char *what, const char *why)
{
	if (!rows) {
		LOGP(DREQ, LOGL_ERROR, "%s failed: %s", what, why);
		return false;
	}
	for (unsigned i = 0; i < num; i++)
		recover_one(&rows[i], from);
	return true;
}

static void pending_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why)
{
	if (!recover_rows(rows, num, FROM_PREVIOUS_RUN, "recovering pending requests", why))
		return;
	if (num == ITIN_PENDING_BATCH)
		itin_request_pending_read(svc->db, itin_lease_name(svc->lease), rows[num - 1].id,
					  svc->recover_bound, pending_cb, NULL);
}

/* Every own pending row that exists before this instance takes requests under its lease is
 * not in memory: a previous run's, or held back during a loss of the lease. */
static void pending_bound_cb(void *arg, int64_t bound, const char *why)
{
	void (*ready)(void *arg) = svc->recovered;

	svc->recovered = NULL;
	if (bound < 0) {
		LOGP(DREQ, LOGL_ERROR, "reading pending requests failed: %s", why);
	} else {
		svc->recover_bound = bound;
		if (bound > 0)
			itin_request_pending_read(svc->db, itin_lease_name(svc->lease), 0, bound, pending_cb, NULL);
	}
	if (ready)
		ready(svc->recovered_arg);
}

static void taken_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why);

/* The pending rows of instances whose lease ran out, a batch at a time. */
static void take_over(void)
{
	svc->taking_over = true;
	itin_request_take_over(svc->db, itin_lease_name(svc->lease), itin_lease_token(svc->lease),
			       taken_cb, NULL);
}

static void taken_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why)
{
	svc->taking_over = false;
	if (!recover_rows(rows, num, FROM_PEER, "taking over the requests of lapsed instances", why))
		return;
	if (num == ITIN_PENDING_BATCH && itin_lease_valid(svc->lease))
		take_over();
}

static void sweep_want(void)
{
	struct timeval tv = { 0, SWEEP_CHECK_MS * 1000 };

	svc->sweep.wanted = true;
	if (!evtimer_pending(svc->sweep.timer, NULL))
		evtimer_add(svc->sweep.timer, &tv);
}

static void orphans_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why)
{
	svc->sweep.reading = false;
	/* A failed read leaves the sweep wanted: tried again. */
	if (!recover_rows(rows, num, FROM_SWEEP, "reading this instance's unanswered requests", why))
		return;
	if (num < ITIN_PENDING_BATCH) {
		svc->sweep.wanted = false;
		evtimer_del(svc->sweep.timer);
	}
}

/* The ids whose rows something in the process answers or marks done. */
struct held_ids {
	int64_t *id;
	unsigned num, max;
	bool failed;
};

static void hold_id(void *arg, int64_t id)
{
	struct held_ids *h = arg;

	if (h->num == h->max) {
		int64_t *more = talloc_realloc(svc, h->id, int64_t, h->max ? 2 * h->max : 256);

		if (!more) {
			h->failed = true;
			return;
		}
		h->id = more;
		h->max = talloc_array_length(more);
	}
	h->id[h->num++] = id;
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct held_ids held = { 0 };
	struct itin_request *req;
	int64_t before = time(NULL);

	if (!svc->sweep.wanted || svc->sweep.reading || itin_lease_released(svc->lease))
		return;
	/* A request from before a loss of the lease may still be fenced and left. */
	if (!itin_lease_valid(svc->lease) || svc->old_epoch_live || !itin_request_db_is_up(svc->db))
		return;
	llist_for_each_entry(req, &svc->live, live) {
		if (req->id)
			hold_id(&held, req->id);
		else if (req->received_at > 0 && req->received_at < before)
			before = req->received_at;	/* its row, once committed, is its own */
	}
	/* A done mark not yet committed leaves its row pending a while. */
	itin_request_done_foreach(svc->done, hold_id, &held);
	if (!held.failed) {
		svc->sweep.reading = true;
		itin_request_orphans_read(svc->db, itin_lease_name(svc->lease), before, held.id, held.num,
					  orphans_cb, NULL);
	}
	talloc_free(held.id);
}

void itin_requests_hold_link(const char *link, void (*cb)(void *arg, bool held), void *arg)
{
	itin_lease_hold_link(svc->lease, link, cb, arg);
}

/* Held the first time: every own pending row up to now is a previous run's; held again after a
 * loss: requests of before may still be in memory, the sweep waits for them. */
static void lease_renewed(void *arg, bool held_now, bool first)
{
	if (held_now && first)
		itin_request_pending_bound(svc->db, pending_bound_cb, NULL);
	else if (held_now)
		sweep_want();
	if (!svc->taking_over)
		take_over();
}

/* A connection lost and made again: what it was committing is in doubt. */
static void lease_tick(void *arg)
{
	unsigned long long reconnects = itin_request_db_reconnects(svc->db);

	if (reconnects != svc->sweep.reconnects) {
		svc->sweep.reconnects = reconnects;
		sweep_want();
	}
}

void itin_requests_set_lease_db(struct itin_db_pool *lease_db)
{
	itin_lease_set_db(svc->lease, lease_db);
}

void itin_requests_set_replica(struct itin_db_replica *replica)
{
	itin_request_db_set_replica(svc->rdb, replica);
}

void itin_requests_recover(void (*ready)(void *arg), void *arg)
{
	svc->recovered = ready;
	svc->recovered_arg = arg;
	refresh_cb(-1, 0, NULL);
	itin_lease_start(svc->lease);
}

void itin_requests_release(void)
{
	itin_lease_release(svc->lease);
}

const char *itin_requests_instance(void)
{
	return itin_lease_name(svc->lease);
}

void itin_requests_register_channel(enum itin_channel channel, const struct itin_request_ops *ops)
{
	svc->channel_ops[channel] = ops;
}

static int service_destructor(struct request_service *s)
{
	if (s->refresh)
		event_free(s->refresh);
	if (s->sweep.timer)
		event_free(s->sweep.timer);
	return 0;
}

int itin_requests_init(void *ctx, struct event_base *base,
		       const struct itin_service_config *service, const struct itin_templates *templates,
		       const struct itin_keys *keys, const struct itin_instance_config *instance,
		       struct itin_db_pool *db)
{
	static const struct itin_lease_ops lease_ops = {
		.lost = lease_lost, .renewed = lease_renewed, .tick = lease_tick,
	};
	struct timeval tv = { REFRESH_S, 0 };

	svc = talloc_zero(ctx, struct request_service);
	if (!svc)
		return -ENOMEM;
	talloc_set_destructor(svc, service_destructor);
	svc->base = base;
	svc->service = service;
	svc->templates = templates;
	svc->db = db;
	svc->lease = itin_lease_alloc(svc, base, instance->name, instance->lease_s, db, &lease_ops,
				      NULL);
	if (!svc->lease)
		return -ENOMEM;
	svc->rdb = itin_request_db_alloc(svc, base, db, itin_lease_name(svc->lease));
	svc->keyer = itin_subscriber_keyer_alloc(svc, &keys->key[0]);
	if (keys->num > 1 && !(svc->previous_keyer = itin_subscriber_keyer_alloc(svc, &keys->key[1])))
		return -ENOMEM;
	svc->sealer = itin_sealer_alloc(svc, keys);
	svc->refresh = event_new(base, -1, EV_PERSIST, refresh_cb, NULL);
	svc->done = itin_request_done_alloc(svc, base, db, itin_lease_name(svc->lease));
	svc->issuer = itin_verify_issuer_alloc(svc, base, db);
	INIT_LLIST_HEAD(&svc->reopened);
	svc->unrecorded = itin_request_unrecorded_alloc(svc, base, db);
	svc->sweep.timer = event_new(base, -1, EV_PERSIST, sweep_cb, NULL);
	INIT_LLIST_HEAD(&svc->live);
	if (!svc->rdb || !svc->keyer || !svc->sealer || !svc->refresh || !svc->done ||
	    !svc->issuer || !svc->unrecorded ||
	    !svc->sweep.timer)
		return -ENOMEM;
	evtimer_add(svc->refresh, &tv);
	return 0;
}

void itin_requests_set_config(const struct itin_service_config *service,
			      const struct itin_templates *templates)
{
	svc->service = service;
	svc->templates = templates;
}

void itin_requests_get_stats(struct itin_request_stats *st)
{
	struct itin_request_unrecorded_stats u;

	*st = svc->stats;
	st->in_flight = svc->in_flight;
	st->data_updated_at = svc->updated_at;
	st->data_loaded_at = svc->loaded_at;
	st->retention_at = svc->retention_at;
	st->kept_from = svc->kept_from;
	memcpy(st->feed_load, svc->feed_load, sizeof(st->feed_load));
	itin_request_unrecorded_get_stats(svc->unrecorded, &u);
	st->unaudited_held = u.held;
	st->unaudited_lost = u.lost;
}

unsigned itin_requests_in_flight(void)
{
	return svc ? svc->in_flight : 0;
}

const char *itin_channel_name(enum itin_channel channel)
{
	return channel == ITIN_CHANNEL_SMS ? "sms" : "ussd";
}

const char *itin_intent_name(enum itin_intent intent)
{
	static const char *const names[] = { "query", "yes", "no", "help", "lang-en", "lang-zh",
					     "unknown", "verify", "void-codes", "dispute" };

	return intent <= ITIN_INTENT_DISPUTE ? names[intent] : "?";
}

const char *itin_action_name(enum itin_action action)
{
	static const char *const names[] = { "duplicate", "itinerary", "consent-prompt",
					     "consent-expired", "cancelled", "rate-limited", "silent",
					     "help", "lang-switched", "shutdown", "busy", "capped",
					     "incomplete", "verify-valid", "verify-invalid",
					     "verify-limited", "codes-voided", "dispute-opened",
					     "dispute-limited" };

	return action <= ITIN_ACTION_DISPUTE_LIMITED ? names[action] : "?";
}
