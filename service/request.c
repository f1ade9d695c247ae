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
 * Verification codes, disputes and the recovery of pending requests are in request_verify.c,
 * request_dispute.c and request_recovery.c (service/request_internal.h). No PDU and no SQL
 * text other than statement names and parameters live here.
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
#include "db/verify_db.h"
#include "engine/reply_text.h"
#include "engine/subscriber_reply.h"
#include "service/instance_lease.h"
#include "service/request.h"
#include "service/request_internal.h"

#define DEDUP_S 30			/* an SMSC redelivering within this is not a new request */
#define REFRESH_S 60			/* data freshness and risk list are re-read this often */

struct request_service *g_requests;

/* A wait for req's statement, in *slot (&req->begin or &req->lookup); NULL when out of
 * memory. */
struct itin_request_wait *itin_request_wait_start(struct itin_request *req,
						  struct itin_request_wait **slot)
{
	*slot = talloc_zero(g_requests, struct itin_request_wait);
	if (*slot)
		(*slot)->req = req;
	return *slot;
}

/* The end of a wait, its statement answered or never sent: its request, which waits no more
 * (NULL when the request is gone). */
struct itin_request *itin_request_wait_end(struct itin_request_wait *wait)
{
	struct itin_request *req = wait->req;

	if (req && req->begin == wait)
		req->begin = NULL;
	if (req && req->lookup == wait)
		req->lookup = NULL;
	talloc_free(wait);
	return req;
}

/* The last four digits: enough to follow a request in the log, not to identify anyone. */
const char *itin_request_masked(const struct itin_request *req)
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
	g_requests->stats.latency[req->channel][b]++;
	g_requests->stats.latency_sum[req->channel] += s;
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
	if (req->lease_epoch != itin_lease_epoch(g_requests->lease))
		g_requests->old_epoch_live--;
	talloc_free(req->issuing);
	if (req->reopened)
		llist_del(&req->reopened_entry);
	g_requests->in_flight--;
	return 0;
}

enum itin_text itin_request_text_of(enum itin_action action)
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
unsigned itin_period_events(struct period_count *c, const struct itin_rate *max)
{
	if (c->count && monotonic_ms() - c->start_ms >= max->period_s * 1000LL)
		c->count = 0;
	return c->count;
}

void itin_period_count_one(struct period_count *c)
{
	if (c->count++ == 0)
		c->start_ms = monotonic_ms();
}

static bool reply_capped(void)
{
	const struct itin_rate *max = &g_requests->service->max_replies;

	if (max->count == 0)
		return false;
	if (itin_period_events(&g_requests->cap, max) < max->count) {
		itin_period_count_one(&g_requests->cap);
		return false;
	}
	g_requests->stats.capped++;
	LOGP_LIMITED(&g_requests->cap.log, DREQ, LOGL_NOTICE, "max_replies reached (%u per %u s): SMS "
		     "reply not sent", max->count, max->period_s);
	return true;
}

/* Whether req's row is still this instance's: held since the request came, without a loss. */
static bool lease_covers(const struct itin_request *req)
{
	return itin_lease_valid(g_requests->lease) &&
	       req->lease_epoch == itin_lease_epoch(g_requests->lease);
}

/* Hands the reply (NULL: silence) to the channel, once; the deadline or the answer, first wins. */
void itin_request_deliver(struct itin_request *req, const struct itin_reply *reply)
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
void itin_request_reply_text(struct itin_request *req, enum itin_text text)
{
	struct itin_reply_args args = { .updated_at = g_requests->updated_at, .now = req->received_at };
	struct itin_reply *reply = itin_reply_render(req, g_requests->service, g_requests->templates,
						     text, req->lang, &args);

	if (!reply) {
		LOGPREQ(req, LOGL_ERROR, "rendering %s failed\n", itin_text_name(text));
		reply = itin_reply_render(req, g_requests->service, g_requests->templates,
					  ITIN_TEXT_BUSY, req->lang, &args);
	}
	itin_request_deliver(req, reply);
}

/* A request the database did not record: the busy text, which asks the subscriber to try
 * again, is its answer, and the peer is told it was taken, so that it does not deliver it again:
 * an SMSC that re-sends would otherwise give the subscriber a busy text per attempt, and an
 * itinerary for the attempt that gets through besides the one the subscriber asked again for
 * (doc/SPEC.md section 5). Nothing is kept: nothing is left to answer later. */
static void answer_unrecorded(struct itin_request *req)
{
	g_requests->stats.unrecorded[req->channel]++;
	req->action = ITIN_ACTION_BUSY;
	req->lang = g_requests->service->default_lang;	/* the subscriber's own is in the database */
	req->audit_apart = true;
	req->ops->accepted(req, true);
	itin_request_reply_text(req, ITIN_TEXT_BUSY);
}

/* The request as its begin statement's result needs it, without the channel's state: the
 * request itself is answered with the busy text, and if the begin commits after all, this
 * copy answers what it recorded, like a pending request after a restart. */
static struct itin_request *stand_in(const struct itin_request *req)
{
	struct itin_request *late = itin_request_alloc(g_requests);

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
	itin_request_reply_text(req, ITIN_TEXT_BUSY);
}

/* The request a statement of the "lookup" stage answered for, NULL when there is nothing more
 * to do: the request is gone or answered already (its deadline), or the statement failed
 * (logged as what, why) and the request got the busy text. */
struct itin_request *itin_request_looked_up(struct itin_request_wait *wait, bool done,
					    const char *what, const char *why)
{
	struct itin_request *req = itin_request_wait_end(wait);

	if (!req || req->replying)
		return NULL;
	if (done)
		return req;
	LOGPREQ(req, LOGL_ERROR, "%s: %s", what, why);
	req->action = ITIN_ACTION_BUSY;
	itin_request_reply_text(req, ITIN_TEXT_BUSY);
	return NULL;
}

void itin_request_lookup_cb(void *arg, const struct itin_lookup *lookup, const char *why)
{
	struct itin_request *req = itin_request_looked_up(arg, lookup, "lookup failed", why);
	struct itin_subscriber who;
	struct itin_reply *reply;
	struct itin_reply_code code, *with_code = NULL;
	uint8_t random[ITIN_VERIFY_RANDOM_LEN];
	bool mask_lost;
	int rc;

	if (!req)
		return;
	if (g_requests->service->verify_validity_s && req->intent != ITIN_INTENT_DISPUTE) {
		if (gnutls_rnd(GNUTLS_RND_RANDOM, random, sizeof(random)) < 0) {
			LOGPREQ(req, LOGL_ERROR, "no random octets for a verification code\n");
			req->action = ITIN_ACTION_BUSY;
			itin_request_reply_text(req, ITIN_TEXT_BUSY);
			return;
		}
		itin_verify_code_make(random, code.code);
		with_code = &code;
	}
	who = (struct itin_subscriber){
		.e164 = req->identity_kind == ITIN_IDENTITY_MSISDN ? req->identity : NULL,
		.mask_sealed = lookup->mask_sealed, .mask_sealed_len = lookup->mask_sealed_len,
		.rows = lookup->rows, .num_rows = lookup->num_rows };
	reply = itin_subscriber_reply(req, g_requests->service, g_requests->templates, &who,
				      &(struct itin_reply_inputs){
		.risks = g_requests->risks, .num_risks = g_requests->num_risks,
		.updated_at = g_requests->updated_at, .sealer = g_requests->sealer, .code = with_code },
		req->received_at, req->lang, &mask_lost);
	if (mask_lost)
		LOGPREQ(req, LOGL_ERROR, "the stored mask cannot be unsealed (its key is not in "
			"the secret file?): replying without it\n");
	if (!reply) {
		LOGPREQ(req, LOGL_ERROR, "building the reply failed\n");
		req->action = ITIN_ACTION_BUSY;
		itin_request_reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	if (req->intent == ITIN_INTENT_DISPUTE) {
		rc = itin_request_dispute_open(req, reply);
		talloc_free(reply);	/* sealed and sent */
		if (rc < 0) {
			LOGPREQ(req, LOGL_ERROR, "opening the dispute failed: %s\n", strerror(-rc));
			req->action = ITIN_ACTION_BUSY;
			itin_request_reply_text(req, ITIN_TEXT_BUSY);
		}
		return;
	}
	if (!with_code || !code.input[0]) {
		itin_request_deliver(req, reply);
		return;
	}
	rc = itin_request_issue_code(req, reply, code.input);
	if (rc < 0) {
		LOGPREQ(req, LOGL_ERROR, "issuing the verification code failed: %s\n", strerror(-rc));
		talloc_free(reply);
		req->action = ITIN_ACTION_BUSY;
		itin_request_reply_text(req, ITIN_TEXT_BUSY);
	}
}

/* The lookup with the subscriber's key, and during a key rotation its key under the previous
 * secret, which the database probes only when the current key finds nobody (sql/lookup.sql);
 * its result to cb(req->lookup). */
static int lookup_to(struct itin_request *req, itin_looked_up_cb cb)
{
	uint8_t previous[ITIN_SUBSCRIBER_KEY_LEN];
	char first_day[16];

	if (g_requests->previous_keyer &&
	    (req->identity_kind == ITIN_IDENTITY_MSISDN ?
	     itin_subscriber_key_msisdn(g_requests->previous_keyer, req->identity, previous) :
	     itin_subscriber_key_imsi(g_requests->previous_keyer, req->identity, previous)) < 0)
		return -EIO;
	itin_lookup_first_day(g_requests->service, req->received_at, first_day);
	return itin_request_db_lookup(g_requests->rdb, req->key,
				      g_requests->previous_keyer ? previous : NULL, first_day, cb,
				      req->lookup);
}

int itin_request_lookup(struct itin_request *req)
{
	return lookup_to(req, itin_request_lookup_cb);
}

/* The lookup sent with the begin: answered after the begin, it goes on as any lookup (or to
 * nothing, the request gone or not an itinerary); before it, its rows are kept for it. */
static void early_lookup_cb(void *arg, const struct itin_lookup *lookup, const char *why)
{
	struct itin_request_wait *wait = arg;
	struct itin_request *req = wait->req;
	struct itin_lookup *kept;

	if (!req || req->recorded || req->replying) {
		itin_request_lookup_cb(arg, lookup, why);
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
	req->lookup = talloc_zero(g_requests, struct itin_request_wait);
	if (!req->lookup)
		return;
	req->lookup->req = req;
	if (lookup_to(req, early_lookup_cb) < 0)
		TALLOC_FREE(req->lookup);
}

void itin_request_act(struct itin_request *req)
{

	switch (req->action) {
	case ITIN_ACTION_DUPLICATE:
	case ITIN_ACTION_SILENT:
		itin_request_deliver(req, NULL);
		return;
	case ITIN_ACTION_ITINERARY:
		if (!itin_request_wait_start(req, &req->lookup)) {
			LOGPREQ(req, LOGL_ERROR, "out of memory for the lookup\n");
			req->action = ITIN_ACTION_BUSY;
			itin_request_reply_text(req, ITIN_TEXT_BUSY);
			return;
		}
		if (itin_request_lookup(req) < 0)
			itin_request_lookup_cb(req->lookup, NULL, "out of memory\n");
		return;
	default:
		itin_request_reply_text(req, itin_request_text_of(req->action));
		return;
	}
}

/* (Re)starts the reply deadline: from the accept for the recording, then for the reply. */
void itin_request_start_deadline(struct itin_request *req)
{
	struct timeval tv = { g_requests->service->reply_deadline_ms / 1000,
			      (g_requests->service->reply_deadline_ms % 1000) * 1000 };

	if (!req->deadline)
		req->deadline = evtimer_new(g_requests->base, deadline_cb, req);
	if (req->deadline)
		evtimer_add(req->deadline, &tv);
}

/* Not even sent to the database (no memory, no key): the channel refuses the PDU with a
 * temporary error, so that the peer retries. */
void itin_request_refuse(struct itin_request *req, const char *why)
{
	LOGPREQ(req, LOGL_ERROR, "not recorded: %s\n", why);
	g_requests->stats.refused[req->channel]++;
	req->ops->accepted(req, false);
	talloc_free(req);
}

/* The request a statement of the "begin" stage answered for, NULL when there is nothing more
 * to do: the request is gone, or the statement failed (logged as what, why) and the request
 * got the busy text, now or from its deadline. */
struct itin_request *itin_request_begun(struct itin_request_wait *wait, bool done,
					const char *what, const char *why)
{
	struct itin_request *req = itin_request_wait_end(wait);

	if (!req)
		return NULL;
	if (done)
		return req;
	LOGPREQ(req, LOGL_ERROR, "%s: %s", what, why);
	/* A proxy's partitions commit their parts on their own: rows of a failed statement may
	 * exist, which nothing here answers (sql/proxy.sql). */
	itin_request_sweep_want();
	if (req->busy_answered)
		talloc_free(req);
	else
		answer_unrecorded(req);
	return NULL;
}

/* The action decided: an itinerary from the lookup sent with the begin (its rows here, or
 * its result to come to itin_request_lookup_cb), anything else as itin_request_act() does it. */
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
		req->lookup = talloc_zero(g_requests, struct itin_request_wait);
		if (req->lookup) {
			req->lookup->req = req;
			talloc_steal(g_requests, early);	/* req may be freed by its reply */
			itin_request_lookup_cb(req->lookup, early, NULL);
			talloc_free(early);
			return;
		}
	}
	talloc_free(early);
	itin_request_act(req);
}

static void begin_cb(void *arg, const struct itin_request_row *row, const char *why)
{
	struct itin_request *req = itin_request_begun(arg, row, "not recorded", why);

	if (!req)
		return;
	req->recorded = true;
	req->id = row->id;
	req->action = row->action;
	req->lang = row->english ? ITIN_LANG_EN : ITIN_LANG_ZH;
	if (req->action <= ITIN_ACTION_BUSY && req->intent <= ITIN_INTENT_UNKNOWN)
		g_requests->stats.actions[req->channel][req->intent][req->action]++;
	if (req->busy_answered) {
		/* No deadline: a second busy text would tell the subscriber nothing new. */
		LOGPREQ(req, LOGL_NOTICE, "recorded after its busy text: answered\n");
	} else {
		req->ops->accepted(req, true);
		itin_request_start_deadline(req);
	}
	act_after_begin(req);
}

struct itin_request *itin_request_alloc(void *ctx)
{
	struct itin_request *req = talloc_zero(ctx, struct itin_request);

	if (req) {
		talloc_set_destructor(req, request_destructor);
		llist_add_tail(&req->live, &g_requests->live);
		g_requests->in_flight++;
		req->lease_epoch = itin_lease_epoch(g_requests->lease);
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

int itin_request_accept(struct itin_request *req)
{
	const struct itin_service_config *service = g_requests->service;
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

	if (req->channel == ITIN_CHANNEL_SMS && !itin_lease_valid(g_requests->lease)) {
		/* Its row might be a peer's to answer before this instance could. */
		itin_request_refuse(req, "this instance's lease ran out, renewing it");
		return -EAGAIN;
	}
	rc = req->identity_kind == ITIN_IDENTITY_MSISDN ?
		itin_subscriber_key_msisdn(g_requests->keyer, req->identity, req->key) :
		itin_subscriber_key_imsi(g_requests->keyer, req->identity, req->key);
	sealed_len = itin_seal(g_requests->sealer, ITIN_SEAL_REPLY_ADDRESS, req->identity, sealed);
	if (rc < 0 || sealed_len < 0 ||
	    message_digest(req, digest) < 0) {
		itin_request_refuse(req, "keying failed");
		return -EIO;
	}
	if (req->intent == ITIN_INTENT_VERIFY || req->intent == ITIN_INTENT_VOID_CODES)
		return itin_request_verify_accept(req);
	if (req->intent == ITIN_INTENT_DISPUTE)
		return itin_request_dispute_accept(req);
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
	if (!itin_request_wait_start(req, &req->begin)) {
		itin_request_refuse(req, "out of memory");
		return -ENOMEM;
	}
	itin_request_start_deadline(req);
	/* The begin statements of one turn go to one connection per subscriber (request_db.h). */
	rc = itin_request_db_begin(g_requests->rdb, &args, &rules, begin_cb, req->begin);
	if (rc == 0)
		lookup_early(req, args.ask_consent, rules.shutdown);
	if (rc < 0) {
		itin_request_wait_end(req->begin);
		itin_request_refuse(req, "out of memory");
	}
	return rc;
}

/* Marks the gathered answered requests done now, and sends again the batches that failed. */
void itin_requests_flush(void)
{
	itin_request_done_flush(g_requests->done);
	itin_request_unrecorded_flush(g_requests->unrecorded);
}

void itin_request_sent(struct itin_request *req, unsigned parts)
{
	if (!req->id || req->fenced || req->marked)
		return;
	if (itin_request_done_mark(g_requests->done, req->id, parts, req->action) < 0) {
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
	int sealed_len = itin_seal(g_requests->sealer, ITIN_SEAL_REPLY_ADDRESS, req->identity, sealed);
	struct itin_reopen r = {
		.id = req->id, .key = req->key, .channel = req->channel, .intent = req->intent,
		.action = req->action, .lang = req->lang == ITIN_LANG_EN, .at = req->received_at,
		.sealed = sealed, .sealed_len = sealed_len,
	};

	if (sealed_len < 0 || itin_request_done_reopen(g_requests->done, &r) < 0) {
		LOGPREQ(req, LOGL_ERROR, "request %lld not put back pending: not answered again "
			"should this process stop before its reply is taken\n", (long long)req->id);
		return;
	}
	req->reopened = true;
	llist_add_tail(&req->reopened_entry, &g_requests->reopened);
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
		g_requests->stats.left_pending[req->channel]++;
	} else {
		g_requests->stats.replied[req->channel]++;
		count_latency(req);
	}
	if (req->marked && !ok && !req->reopened)
		reopen(req);
	else if (req->id && !req->fenced && ok && (!req->marked || req->reopened))
		itin_request_done_mark(g_requests->done, req->id, parts, req->action);
	else if (ok && req->audit_apart)
		itin_request_unrecorded_add(g_requests->unrecorded, req->key, req->channel, req->intent,
					    req->action, req->received_at, time(NULL), parts);
	talloc_free(req);
}

void itin_request_audit_incomplete(const char *msisdn, int64_t at)
{
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];

	if (itin_subscriber_key_msisdn(g_requests->keyer, msisdn, key) < 0) {
		LOGP(DREQ, LOGL_ERROR, "keying failed: the audit row of an incomplete SMS not written\n");
		return;
	}
	itin_request_db_audit_incomplete(g_requests->rdb, key, ITIN_CHANNEL_SMS, at);
}

static void freshness_cb(void *arg, const struct itin_feed_times *t)
{
	g_requests->updated_at = t->updated_at;
	g_requests->loaded_at = t->loaded_at;
	g_requests->retention_at = t->retention_at;
	g_requests->kept_from = t->kept_from;
	memcpy(g_requests->feed_load, t->load, sizeof(g_requests->feed_load));
}

static void risks_cb(void *arg, struct itin_risk *risks, unsigned num)
{
	talloc_free(g_requests->risks);
	g_requests->risks = risks;
	g_requests->num_risks = num;
}

static void refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	itin_request_inputs_read(g_requests->db, g_requests, freshness_cb, risks_cb, NULL);
}

void itin_requests_hold_link(const char *link, void (*cb)(void *arg, bool held), void *arg)
{
	itin_lease_hold_link(g_requests->lease, link, cb, arg);
}

void itin_requests_set_lease_db(struct itin_db_pool *lease_db)
{
	itin_lease_set_db(g_requests->lease, lease_db);
}

void itin_requests_set_replica(struct itin_db_replica *replica)
{
	itin_request_db_set_replica(g_requests->rdb, replica);
}

void itin_requests_recover(void (*ready)(void *arg), void *arg)
{
	g_requests->recovered = ready;
	g_requests->recovered_arg = arg;
	refresh_cb(-1, 0, NULL);
	itin_lease_start(g_requests->lease);
}

void itin_requests_release(void)
{
	itin_lease_release(g_requests->lease);
}

const char *itin_requests_instance(void)
{
	return itin_lease_name(g_requests->lease);
}

void itin_requests_register_channel(enum itin_channel channel, const struct itin_request_ops *ops)
{
	g_requests->channel_ops[channel] = ops;
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
	struct timeval tv = { REFRESH_S, 0 };

	g_requests = talloc_zero(ctx, struct request_service);
	if (!g_requests)
		return -ENOMEM;
	talloc_set_destructor(g_requests, service_destructor);
	g_requests->base = base;
	g_requests->service = service;
	g_requests->templates = templates;
	g_requests->db = db;
	g_requests->lease = itin_lease_alloc(g_requests, base, instance->name, instance->lease_s, db,
					     &itin_request_lease_ops, NULL);
	if (!g_requests->lease)
		return -ENOMEM;
	g_requests->rdb = itin_request_db_alloc(g_requests, base, db,
						itin_lease_name(g_requests->lease));
	g_requests->keyer = itin_subscriber_keyer_alloc(g_requests, &keys->key[0]);
	if (keys->num > 1 &&
	    !(g_requests->previous_keyer = itin_subscriber_keyer_alloc(g_requests, &keys->key[1])))
		return -ENOMEM;
	g_requests->sealer = itin_sealer_alloc(g_requests, keys);
	g_requests->refresh = event_new(base, -1, EV_PERSIST, refresh_cb, NULL);
	g_requests->done = itin_request_done_alloc(g_requests, base, db,
						   itin_lease_name(g_requests->lease));
	g_requests->issuer = itin_verify_issuer_alloc(g_requests, base, db);
	INIT_LLIST_HEAD(&g_requests->reopened);
	g_requests->unrecorded = itin_request_unrecorded_alloc(g_requests, base, db);
	g_requests->sweep.timer = event_new(base, -1, EV_PERSIST, itin_request_sweep_cb, NULL);
	INIT_LLIST_HEAD(&g_requests->live);
	if (!g_requests->rdb || !g_requests->keyer || !g_requests->sealer || !g_requests->refresh ||
	    !g_requests->done || !g_requests->issuer || !g_requests->unrecorded ||
	    !g_requests->sweep.timer)
		return -ENOMEM;
	evtimer_add(g_requests->refresh, &tv);
	return 0;
}

void itin_requests_set_config(const struct itin_service_config *service,
			      const struct itin_templates *templates)
{
	g_requests->service = service;
	g_requests->templates = templates;
}

void itin_requests_get_stats(struct itin_request_stats *st)
{
	struct itin_request_unrecorded_stats u;

	*st = g_requests->stats;
	st->in_flight = g_requests->in_flight;
	st->data_updated_at = g_requests->updated_at;
	st->data_loaded_at = g_requests->loaded_at;
	st->retention_at = g_requests->retention_at;
	st->kept_from = g_requests->kept_from;
	memcpy(st->feed_load, g_requests->feed_load, sizeof(st->feed_load));
	itin_request_unrecorded_get_stats(g_requests->unrecorded, &u);
	st->unaudited_held = u.held;
	st->unaudited_lost = u.lost;
}

unsigned itin_requests_in_flight(void)
{
	return g_requests ? g_requests->in_flight : 0;
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
