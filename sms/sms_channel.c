/*
 * SMS requests. A deliver_sm is decoded (GSM 03.38 one code per octet as osmo-msc sends it,
 * UCS2, Latin-1), its sender normalised to E.164 (one outside the answered country codes is
 * acknowledged and dropped) and its keyword parsed; the request module then records it, and
 * only then does the SMSC get deliver_sm_resp (a temporary error when it could not be
 * recorded, so the SMSC retries). Delivery receipts are counted and acknowledged,
 * never treated as queries. A reply's parts are submitted on the link the request came in on
 * if it is still bound, else on any bound link (with none bound, a link keeps them until it
 * binds); the request is done when every part was accepted by an SMSC, and left pending
 * (answered again at the next start) otherwise.
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
#include "engine/sms_segment.h"
#include "sms/smpp_link.h"

#include <smpp34.h>

#define MAX_PARTS 16
#define TEXT_MAX 1024

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
	struct itin_log_limit foreign_log;
	struct itin_sms_channel_stats stats;
};

/* A request's SMS side: where it came from and how its reply parts fare. */
struct sms_request {
	struct itin_sms_channel *ch;
	struct smpp_link *link;
	uint64_t token;			/* answers the deliver_sm */
	unsigned parts, parts_done, parts_failed;
};

static void sms_accepted(struct itin_request *req, bool ok);
static void sms_reply(struct itin_request *req, const struct itin_reply *reply);

static const struct itin_request_ops sms_request_ops = {
	.accepted = sms_accepted,
	.reply = sms_reply,
};

static struct itin_sms_channel *the_channel;	/* for requests recovered after a restart */

static int decode_text(const struct smpp_deliver *d, char *text, size_t max)
{
	switch (d->data_coding) {
	case 0x00:	/* SMSC default alphabet: GSM 03.38 at osmo-msc */
	case 0x01:	/* IA5; osmo-msc marks MO GSM 7-bit text so, one code per octet */
	case 0xf0:
		return itin_text_decode_gsm_unpacked(d->msg, d->msg_len, text, max);
	case 0x03:
		return itin_text_decode_latin1(d->msg, d->msg_len, text, max);
	case 0x08:
		return itin_text_decode_ucs2(d->msg, d->msg_len, text, max);
	default:
		return -EINVAL;
	}
}

static void link_deliver(struct smpp_link *link, const struct smpp_deliver *d)
{
	struct itin_sms_channel *ch = smpp_link_priv(link);
	struct itin_request *req;
	struct sms_request *sr;
	char text[TEXT_MAX];
	int rc;

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
	req = itin_request_alloc(ch);
	sr = req ? talloc_zero(req, struct sms_request) : NULL;
	if (!sr) {
		talloc_free(req);
		smpp_link_deliver_resp(link, d->token, ESME_RX_T_APPN);
		return;
	}
	*sr = (struct sms_request){ .ch = ch, .link = link, .token = d->token };
	req->channel = ITIN_CHANNEL_SMS;
	req->identity_kind = ITIN_IDENTITY_MSISDN;
	req->received_at = time(NULL);
	req->ops = &sms_request_ops;
	req->channel_data = sr;
	req->message = d->msg;
	req->message_len = d->msg_len;
	req->has_message_ref = d->has_msg_ref;
	req->message_ref = d->msg_ref;
	if (itin_msisdn_normalize(d->src, d->src_ton, ch->service->country_code, req->identity) < 0) {
		/* Nobody to answer: acknowledge, so the SMSC does not retry it forever. */
		LOGP(DSMPP, LOGL_NOTICE, "%s: deliver_sm from an address that is not a number "
		     "(TON %u): ignored\n", smpp_link_name(link), d->src_ton);
		ch->stats.undecodable++;
		itin_request_replied(req, true, 0);
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		return;
	}
	if (!itin_config_answers_number(ch->service, req->identity)) {
		/* Replies to foreign numbers are what SMS pumping is after (the operator pays the
		 * termination); the subscribers are the home network's. Acknowledged, so that the
		 * SMSC does not retry, and not recorded: a flood of them costs no database write. */
		ch->stats.foreign++;
		LOGP_LIMITED(&ch->foreign_log, DSMPP, LOGL_NOTICE,
			     "deliver_sm from a number outside the answered country codes: not answered");
		talloc_free(req);
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		return;
	}
	rc = decode_text(d, text, sizeof(text));
	req->intent = rc < 0 ? ITIN_INTENT_UNKNOWN :
		itin_keyword_parse(text, strlen(text), &ch->keywords->query);
	if (rc < 0)
		ch->stats.undecodable++;
	itin_request_accept(req);
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
};

struct itin_sms_channel *itin_sms_channel_alloc(void *ctx, struct event_base *base,
						const struct itin_smpp_config *smpp,
						const struct itin_service_config *service,
						const struct itin_keywords_config *keywords)
{
	struct itin_sms_channel *ch = talloc_zero(ctx, struct itin_sms_channel);

	if (!ch)
		return NULL;
	ch->base = base;
	ch->service = service;
	ch->keywords = keywords;
	for (unsigned i = 0; i < smpp->num; i++) {
		ch->links[i] = smpp_link_alloc(ch, base, &smpp->link[i], service->short_code,
					       &link_ops, ch);
		if (!ch->links[i]) {
			talloc_free(ch);
			return NULL;
		}
	}
	ch->num_links = smpp->num;
	the_channel = ch;
	itin_requests_register_channel(ITIN_CHANNEL_SMS, &sms_request_ops);
	return ch;
}

int itin_sms_channel_start(struct itin_sms_channel *ch)
{
	for (unsigned i = 0; i < ch->num_links; i++) {
		if (smpp_link_start(ch->links[i]) < 0)
			return -1;
	}
	return 0;
}

void itin_sms_channel_stop(struct itin_sms_channel *ch)
{
	ch->stopping = true;
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
	*st = ch->stats;
}

void itin_sms_channel_set_config(struct itin_sms_channel *ch,
				 const struct itin_service_config *service,
				 const struct itin_keywords_config *keywords)
{
	ch->service = service;
	ch->keywords = keywords;
}

unsigned itin_sms_channel_num_links(const struct itin_sms_channel *ch)
{
	return ch->num_links;
}

struct smpp_link *itin_sms_channel_link(const struct itin_sms_channel *ch, unsigned i)
{
	return i < ch->num_links ? ch->links[i] : NULL;
}
