/*
 * SMS requests. A deliver_sm's sender is normalised to E.164 (one outside the answered country
 * codes is acknowledged and dropped), its user data header (esm_class 0x40) taken off, and a
 * part of a concatenated message (UDH or SAR TLVs) held until its message is whole
 * (engine/sms_concat.h): a held part is acknowledged at once, the whole message is one request.
 * The text is decoded (GSM 03.38 one code per octet as osmo-msc sends it, UCS2, Latin-1),
 * whatever its length, and its keyword parsed; the request module then records it, and only
 * then does the SMSC get deliver_sm_resp for the message's last part (a temporary error when
 * it could not be recorded, so the SMSC retries). A message that never completes is answered
 * on its first part's keyword, if that part came and starts with one, else only counted and
 * logged. Delivery receipts are counted and acknowledged, never treated as queries. A reply's parts are submitted on the link the request came in on
 * if it is still bound, else on any bound link (with none bound, a link keeps them until it
 * binds). A reply whose parts are all written at once is marked sent in the same loop turn
 * (service/request.h), else once every part was accepted; a part an SMSC throttles or refuses
 * after that puts the request back pending, to be answered again at the next start should this
 * process stop before the part is taken.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "common/log.h"
#include "common/msisdn.h"
#include "service/request.h"
#include "engine/gsm_text.h"
#include "engine/keyword.h"
#include "sms/sms_channel.h"
#include "engine/sms_concat.h"
#include "engine/sms_segment.h"
#include "engine/verify_code.h"
#include "smpp/smpp_link.h"

#include <smpp34.h>

#define MAX_PARTS 16
#define ESM_UDHI 0x40

struct itin_sms_channel {
	struct event_base *base;
	const struct itin_service_config *service;	/* replaced on SIGHUP */
	const struct itin_keywords_config *keywords;	/* replaced on SIGHUP */
	struct smpp_link *links[ITIN_MAX_SMPP_LINKS];
	unsigned num_links;
	unsigned stopped_links;
	bool stopping;			/* new deliver_sm get a temporary error */
	bool unbinding;
	uint8_t next_ref;		/* concatenation reference of the next multi-part reply */
	struct itin_concat *concat;	/* incoming parts held until their message is whole */
	struct event *concat_tick;	/* hands back the messages that timed out */
	struct itin_log_limit foreign_log;
	struct itin_sms_channel_stats stats;
};

/* A request's SMS side: where it came from and how its reply parts fare. */
struct sms_request {
	struct itin_sms_channel *ch;
	struct smpp_link *link;
	uint64_t token;			/* answers the deliver_sm */
	unsigned parts, parts_done, parts_failed;
	bool deferred;			/* a part not written at once, or throttled */
};

static void sms_accepted(struct itin_request *req, bool ok);
static void sms_reply(struct itin_request *req, const struct itin_reply *reply);

static const struct itin_request_ops sms_request_ops = {
	.accepted = sms_accepted,
	.reply = sms_reply,
};

static struct itin_sms_channel *the_channel;	/* for requests recovered after a restart */

/* The text of msg as UTF-8, NUL-terminated, allocated under ctx; NULL when it cannot be
 * decoded. Any length: an octet gives at most 3 octets of UTF-8 (a GSM code, a UCS2 code
 * unit), 4 for a surrogate pair's 4 octets. */
static char *decode_text(void *ctx, uint8_t data_coding, const uint8_t *msg, size_t len, size_t *text_len)
{
	size_t max = 3 * len + 1;
	char *text = talloc_size(ctx, max);
	int rc;

	if (!text)
		return NULL;
	switch (data_coding) {
	case 0x00:	/* SMSC default alphabet: GSM 03.38 at osmo-msc */
	case 0x01:	/* IA5; osmo-msc marks MO GSM 7-bit text so, one code per octet */
	case 0xf0:
		rc = itin_text_decode_gsm_unpacked(msg, len, text, max);
		break;
	case 0x03:
		rc = itin_text_decode_latin1(msg, len, text, max);
		break;
	case 0x08:
		rc = itin_text_decode_ucs2(msg, len, text, max);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc < 0) {
		talloc_free(text);
		return NULL;
	}
	*text_len = rc;
	return text;
}

static bool is_space(int32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0x3000 || cp == 0xa0;
}

/* What follows the keyword, which the keyword parser found followed by a space: YZ 123456789
 * 0001, JC 北京不对. NULL for invalid UTF-8. */
static const char *argument(const char *text, size_t len)
{
	const char *s = text, *end = text + len, *at;
	bool in_word = false;

	for (at = s; s < end; at = s) {
		int32_t cp = itin_utf8_next(&s, end);

		if (cp < 0)
			return NULL;
		if (!is_space(cp))
			in_word = true;
		else if (in_word)
			break;
	}
	return at;
}

static int verify_argument(const char *text, size_t len, char input[ITIN_VERIFY_INPUT_DIGITS + 1])
{
	const char *at = argument(text, len);

	return at ? itin_verify_input_parse(at, len - (at - text), input) : -EINVAL;
}

/* A dispute's words, at most max octets, cut before a character that would not fit whole. */
static char *dispute_words(void *ctx, const char *text, size_t len, size_t max)
{
	const char *at = argument(text, len);
	size_t n = at ? len - (at - text) : 0;

	while (n && at && (*at == ' '))
		at++, n--;
	if (n > max) {
		n = max;
		while (n && ((unsigned char)at[n] & 0xc0) == 0x80)
			n--;
	}
	return at ? talloc_strndup(ctx, at, n) : NULL;
}

/* Starts the request of a whole message (its parts joined) from the subscriber identity;
 * link and token name the deliver_sm to answer once it is recorded (link NULL: none, the
 * parts were acknowledged as they came). text NULL: it could not be decoded. message_ref: the handset's TP-MR of a single message
 * (NULL for a whole of parts: each part has its own, and the parts joined tell a redelivery). */
static void request_start(struct itin_sms_channel *ch, struct smpp_link *link, uint64_t token,
			  const char *identity, const char *text, size_t text_len,
			  const uint8_t *msg, size_t msg_len, const uint16_t *message_ref)
{
	struct itin_request *req = itin_request_alloc(ch);
	struct sms_request *sr = req ? talloc_zero(req, struct sms_request) : NULL;

	if (!sr) {
		talloc_free(req);
		if (link)
			smpp_link_deliver_resp(link, token, ESME_RX_T_APPN);
		return;
	}
	*sr = (struct sms_request){ .ch = ch, .link = link, .token = token };
	req->channel = ITIN_CHANNEL_SMS;
	req->identity_kind = ITIN_IDENTITY_MSISDN;
	req->received_at = time(NULL);
	req->ops = &sms_request_ops;
	req->channel_data = sr;
	req->message = msg;
	req->message_len = msg_len;
	req->has_message_ref = message_ref != NULL;
	req->message_ref = message_ref ? *message_ref : 0;
	snprintf(req->identity, sizeof(req->identity), "%s", identity);
	req->intent = text ? itin_keyword_parse(text, text_len, &ch->keywords->query) : ITIN_INTENT_UNKNOWN;
	if (req->intent == ITIN_INTENT_VERIFY && verify_argument(text, text_len, req->verify_input) < 0)
		req->verify_input[0] = '\0';	/* mistyped: answered "not valid" */
	if (req->intent == ITIN_INTENT_DISPUTE)
		req->dispute = dispute_words(req, text, text_len, 1000);
	if (!text)
		ch->stats.undecodable++;
	itin_request_accept(req);
}

/* A whole concatenated message: its parts' texts joined, decoded in one piece when they share
 * a coding (a character may straddle two parts), else part by part. */
static void concat_whole(struct itin_sms_channel *ch, struct smpp_link *link, uint64_t token,
			 struct itin_concat_msg *m)
{
	size_t msg_len = 0, text_len = 0, n = 0;
	uint8_t *msg;
	char *text = NULL, *piece;
	bool same = true;

	for (unsigned i = 0; i < m->total; i++) {
		msg_len += m->part[i].len;
		same = same && m->part[i].data_coding == m->part[0].data_coding;
	}
	msg = talloc_size(m, msg_len + 1);
	if (!msg) {
		smpp_link_deliver_resp(link, token, ESME_RX_T_APPN);
		return;
	}
	msg_len = 0;
	for (unsigned i = 0; i < m->total; i++) {
		memcpy(msg + msg_len, m->part[i].data, m->part[i].len);
		msg_len += m->part[i].len;
	}
	if (same) {
		text = decode_text(m, m->part[0].data_coding, msg, msg_len, &text_len);
	} else {
		text = talloc_strdup(m, "");
		for (unsigned i = 0; text && i < m->total; i++) {
			piece = decode_text(m, m->part[i].data_coding, m->part[i].data, m->part[i].len, &n);
			text = piece ? talloc_strndup_append(text, piece, n) : NULL;
			text_len += n;
		}
	}
	ch->stats.concat_whole++;
	request_start(ch, link, token, m->sender, text, text_len, msg, msg_len, NULL);
}

/* A message that did not complete in time, or that the bounds pushed out. Its first part, when
 * it came and starts with a keyword, is what the subscriber asked ("CXMYD" and a long text
 * whose end was lost is still a query); without it there is nothing to go on. */
static void concat_incomplete(struct itin_sms_channel *ch, struct itin_concat_msg *m)
{
	struct itin_concat_text *first = &m->part[0];
	char *text = NULL;
	size_t text_len = 0;
	enum itin_intent intent = ITIN_INTENT_UNKNOWN;

	if (first->data)
		text = decode_text(m, first->data_coding, first->data, first->len, &text_len);
	if (text)
		intent = itin_keyword_parse(text, text_len, &ch->keywords->query);
	LOGP(DSMPP, intent == ITIN_INTENT_UNKNOWN ? LOGL_NOTICE : LOGL_INFO,
	     "concatenated message from ...%s (reference %u) %s with %u of %u parts: %s\n",
	     m->sender + (strlen(m->sender) > 4 ? strlen(m->sender) - 4 : 0), m->ref,
	     m->evicted ? "pushed out by the bounds" : "timed out", m->held, m->total,
	     intent != ITIN_INTENT_UNKNOWN ? "answered on its first part" :
	     first->data ? "its first part has no keyword, not answered" :
	     "its first part never came, not answered");
	if (intent == ITIN_INTENT_UNKNOWN) {
		ch->stats.concat_dropped++;
		itin_request_audit_incomplete(m->sender, time(NULL));
		return;
	}
	ch->stats.concat_answered++;
	request_start(ch, NULL, 0, m->sender, text, text_len, first->data, first->len, NULL);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void concat_drain(struct itin_sms_channel *ch)
{
	struct itin_concat_msg *m;

	while ((m = itin_concat_expired(ch->concat, now_mono()))) {
		concat_incomplete(ch, m);
		talloc_free(m);
	}
}

static void concat_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_sms_channel *ch = arg;

	/* Stopping, the channel starts no request: what is held is lost (see the manual). */
	if (!ch->stopping)
		concat_drain(ch);
}

/* A part of a concatenated message: held (and acknowledged), or the last one, which makes the
 * whole message's request. */
static void concat_part(struct itin_sms_channel *ch, struct smpp_link *link, const struct smpp_deliver *d,
			const struct itin_concat_part *part)
{
	struct itin_concat_msg *whole;
	int rc;

	ch->stats.concat_parts++;
	rc = itin_concat_add(ch->concat, part, now_mono(), &whole);
	switch (rc) {
	case ITIN_CONCAT_WHOLE:
		concat_whole(ch, link, d->token, whole);
		talloc_free(whole);
		break;
	case ITIN_CONCAT_HELD:
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		break;
	case ITIN_CONCAT_REPEAT:
		LOGP(DSMPP, LOGL_INFO, "%s: part %u of %u from ...%s again: acknowledged, not used\n",
		     smpp_link_name(link), part->seq, part->total, d->src + (strlen(d->src) > 4 ? strlen(d->src) - 4 : 0));
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		break;
	case ITIN_CONCAT_TOO_BIG:
		LOGP(DSMPP, LOGL_NOTICE, "%s: a part of %zu octets, more than [sms] concat_sender_bytes: "
		     "dropped\n", smpp_link_name(link), part->len);
		ch->stats.concat_dropped++;
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		break;
	default:	/* out of memory: the SMSC delivers it again */
		smpp_link_deliver_resp(link, d->token, ESME_RX_T_APPN);
		break;
	}
	concat_drain(ch);
}

static void link_deliver(struct smpp_link *link, const struct smpp_deliver *d)
{
	struct itin_sms_channel *ch = smpp_link_priv(link);
	struct itin_concat_part part = { .data_coding = d->data_coding };
	const uint8_t *msg = d->msg;
	size_t msg_len = d->msg_len, text_len = 0;
	char identity[16], *text = NULL;
	struct itin_udh udh = { 0 };
	bool decodable = true;

	if (d->is_receipt) {
		ch->stats.receipts++;
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		return;
	}
	if (ch->stopping) {
		smpp_link_deliver_resp(link, d->token, ESME_RX_T_APPN);
		return;
	}
	ch->stats.delivered++;
	if (itin_msisdn_normalize(d->src, d->src_ton, ch->service->country_code, identity) < 0) {
		/* Nobody to answer: acknowledge, so the SMSC does not retry it forever. */
		LOGP(DSMPP, LOGL_NOTICE, "%s: deliver_sm from an address that is not a number "
		     "(TON %u): ignored\n", smpp_link_name(link), d->src_ton);
		ch->stats.undecodable++;
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		return;
	}
	if (!itin_config_answers_number(ch->service, identity)) {
		/* Replies to foreign numbers are what SMS pumping is after (the operator pays the
		 * termination); the subscribers are the home network's. Acknowledged, so that the
		 * SMSC does not retry, and not recorded: a flood of them costs no database write. */
		ch->stats.foreign++;
		LOGP_LIMITED(&ch->foreign_log, DSMPP, LOGL_NOTICE,
			     "deliver_sm from a number outside the answered country codes: not answered");
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		return;
	}
	if (d->esm_class & ESM_UDHI) {
		if (itin_udh_parse(msg, msg_len, &udh) == 0) {
			msg += udh.len;
			msg_len -= udh.len;
		} else {
			decodable = false;
		}
	}
	part.sender = identity;
	part.data = msg;
	part.len = msg_len;
	if (udh.concat) {
		part.kind = udh.ref16 ? ITIN_CONCAT_UDH16 : ITIN_CONCAT_UDH8;
		part.ref = udh.ref;
		part.total = udh.total;
		part.seq = udh.seq;
		concat_part(ch, link, d, &part);
		return;
	}
	if (decodable && d->sar && d->sar_total && d->sar_seq && d->sar_seq <= d->sar_total) {
		part.kind = ITIN_CONCAT_SAR;
		part.ref = d->sar_ref;
		part.total = d->sar_total;
		part.seq = d->sar_seq;
		concat_part(ch, link, d, &part);
		return;
	}
	if (decodable)
		text = decode_text(ch, d->data_coding, msg, msg_len, &text_len);
	request_start(ch, link, d->token, identity, text, text_len, msg, msg_len,
		      d->has_msg_ref ? &d->msg_ref : NULL);
	talloc_free(text);
}

static void sms_accepted(struct itin_request *req, bool ok)
{
	struct sms_request *sr = req->channel_data;

	if (!ok)
		sr->ch->stats.refused++;
	if (sr->link)
		smpp_link_deliver_resp(sr->link, sr->token, ok ? ESME_ROK : ESME_RX_T_APPN);
}

/* The request's own link if bound, else any bound link, else (none bound yet, as for requests
 * recovered at start, or all down) the request's own or the first link, which holds the
 * submits until it binds. */
static struct smpp_link *pick_link(struct itin_sms_channel *ch, struct smpp_link *preferred)
{
	if (preferred && smpp_link_is_bound(preferred))
		return preferred;
	for (unsigned i = 0; i < ch->num_links; i++) {
		if (smpp_link_is_bound(ch->links[i]))
			return ch->links[i];
	}
	if (preferred)
		return preferred;
	return ch->num_links ? ch->links[0] : NULL;
}

static void part_done(struct itin_request *req)
{
	struct sms_request *sr = req->channel_data;

	if (sr->parts_done + sr->parts_failed < sr->parts)
		return;
	if (sr->parts_failed)
		sr->ch->stats.parts_failed += sr->parts_failed;
	itin_request_replied(req, sr->parts_failed == 0, sr->parts);
}

static void sms_reply(struct itin_request *req, const struct itin_reply *reply)
{
	struct sms_request *sr = req->channel_data;
	struct itin_sms_channel *ch = sr ? sr->ch : the_channel;
	struct itin_sms_part parts[MAX_PARTS];
	struct smpp_link *link;
	int n;

	if (!sr) {	/* recovered after a restart: no deliver_sm behind it */
		sr = talloc_zero(req, struct sms_request);
		if (!sr) {
			itin_request_replied(req, false, 0);
			return;
		}
		sr->ch = ch;
		req->channel_data = sr;
	}
	if (!reply) {
		itin_request_replied(req, true, 0);
		return;
	}
	n = itin_sms_segment(reply, ch->service->max_parts, ch->next_ref++, parts, MAX_PARTS);
	link = pick_link(ch, sr->link);
	if (n <= 0 || !link) {
		LOGP(DSMPP, LOGL_ERROR, "reply not sent: %s\n", n <= 0 ? "segmenting failed" :
		     "no SMSC link configured");
		itin_request_replied(req, false, 0);
		return;
	}
	ch->stats.replies++;
	sr->parts = n;
	for (int i = 0; i < n; i++) {
		struct smpp_submit s = {
			.dst = req->identity,
			.data_coding = parts[i].data_coding,
			.esm_class = parts[i].udhi ? 0x40 : 0x00,
			.msg = parts[i].msg,
			.msg_len = parts[i].msg_len,
		};
		if (smpp_link_submit(link, &s, req) < 0)
			sr->parts_failed++;
		else
			ch->stats.parts++;
	}
	/* Written to the SMSC in this loop turn: marked sent now, not once the SMSC answers, so
	 * that a kill meanwhile does not leave it to be sent again. */
	if (!sr->deferred && sr->parts_failed == 0)
		itin_request_sent(req, n);
	part_done(req);
}

static void link_submit_done(struct smpp_link *link, void *cookie, uint32_t status,
			     const char *message_id)
{
	struct itin_request *req = cookie;
	struct sms_request *sr = req->channel_data;

	if (status == ESME_ROK)
		sr->parts_done++;
	else
		sr->parts_failed++;
	part_done(req);
}

static void link_submit_deferred(struct smpp_link *link, void *cookie)
{
	struct itin_request *req = cookie;
	struct sms_request *sr = req->channel_data;

	sr->deferred = true;
	itin_request_deferred(req);
}

static void link_bound(struct smpp_link *link, bool up)
{
	LOGP(DSMPP, LOGL_NOTICE, "%s: %s\n", smpp_link_name(link), up ? "bound" : "not bound");
}

static void link_stopped(struct smpp_link *link, void *arg)
{
	struct itin_sms_channel *ch = arg;

	ch->stopped_links++;
}

static const struct smpp_link_ops link_ops = {
	.bound = link_bound,
	.deliver = link_deliver,
	.submit_done = link_submit_done,
	.submit_deferred = link_submit_deferred,
};

static int channel_destructor(struct itin_sms_channel *ch)
{
	if (ch->concat_tick)
		event_free(ch->concat_tick);
	return 0;
}

static void concat_limits_of(const struct itin_sms_config *sms, struct itin_concat_limits *l)
{
	*l = (struct itin_concat_limits){
		.timeout_s = sms->concat_timeout_s,
		.max_messages = sms->concat_max_messages,
		.max_bytes = sms->concat_max_bytes,
		.sender_messages = sms->concat_sender_messages,
		.sender_bytes = sms->concat_sender_bytes,
	};
}

struct itin_sms_channel *itin_sms_channel_alloc(void *ctx, struct event_base *base,
						const struct itin_smpp_config *smpp,
						const struct itin_service_config *service,
						const struct itin_sms_config *sms,
						const struct itin_keywords_config *keywords)
{
	struct itin_sms_channel *ch = talloc_zero(ctx, struct itin_sms_channel);
	struct itin_concat_limits concat_limits;

	if (!ch)
		return NULL;
	concat_limits_of(sms, &concat_limits);
	ch->base = base;
	ch->service = service;
	ch->keywords = keywords;
	ch->concat = itin_concat_alloc(ch, &concat_limits);
	ch->concat_tick = event_new(base, -1, EV_PERSIST, concat_tick_cb, ch);
	if (!ch->concat || !ch->concat_tick || event_add(ch->concat_tick, &(struct timeval){ 1, 0 }) < 0) {
		talloc_free(ch);
		return NULL;
	}
	talloc_set_destructor(ch, channel_destructor);
	for (unsigned i = 0; i < smpp->num; i++) {
		if (smpp->link[i].ussd)	/* a USSD gateway's bind: ussd/ussd_smpp.c */
			continue;
		ch->links[ch->num_links] = smpp_link_alloc(ch, base, &smpp->link[i], service->short_code,
							   &link_ops, ch);
		if (!ch->links[ch->num_links]) {
			talloc_free(ch);
			return NULL;
		}
		ch->num_links++;
	}
	the_channel = ch;
	itin_requests_register_channel(ITIN_CHANNEL_SMS, &sms_request_ops);
	return ch;
}

int itin_sms_channel_start(struct itin_sms_channel *ch)
{
	int rc;

	for (unsigned i = 0; i < ch->num_links; i++) {
		if ((rc = smpp_link_start(ch->links[i])) < 0)
			return rc;
	}
	return 0;
}

void itin_sms_channel_stop(struct itin_sms_channel *ch)
{
	struct itin_concat_stats cs;

	ch->stopping = true;
	itin_concat_get_stats(ch->concat, &cs);
	if (cs.messages)
		LOGP(DSMPP, LOGL_NOTICE, "stopping: %u incomplete concatenated messages held are lost "
		     "(their parts were acknowledged)\n", cs.messages);
}

void itin_sms_channel_unbind(struct itin_sms_channel *ch)
{
	if (ch->unbinding)
		return;
	ch->unbinding = true;
	for (unsigned i = 0; i < ch->num_links; i++)
		smpp_link_stop(ch->links[i], link_stopped, ch);
}

bool itin_sms_channel_is_unbound(const struct itin_sms_channel *ch)
{
	return ch->unbinding && ch->stopped_links == ch->num_links;
}

void itin_sms_channel_get_stats(const struct itin_sms_channel *ch, struct itin_sms_channel_stats *st)
{
	struct itin_concat_stats cs;

	*st = ch->stats;
	itin_concat_get_stats(ch->concat, &cs);
	st->concat_held = cs.messages;
}

void itin_sms_channel_set_config(struct itin_sms_channel *ch,
				 const struct itin_service_config *service,
				 const struct itin_sms_config *sms,
				 const struct itin_keywords_config *keywords)
{
	struct itin_concat_limits l;

	ch->service = service;
	ch->keywords = keywords;
	concat_limits_of(sms, &l);
	itin_concat_set_limits(ch->concat, &l);
}

unsigned itin_sms_channel_num_links(const struct itin_sms_channel *ch)
{
	return ch->num_links;
}

struct smpp_link *itin_sms_channel_link(const struct itin_sms_channel *ch, unsigned i)
{
	return i < ch->num_links ? ch->links[i] : NULL;
}
