/*
 * USSD over SMPP 3.4 (ussd_service_op, 5.3.2.44). Each [smpp NAME] with ussd = yes is one
 * bind to a USSD gateway with its own sessions (its page sizes, timeout and dialect):
 *   deliver_sm op 1 (PSSR indication)  a new session; its text is the dialled string
 *   deliver_sm op 18 (USSR confirm)    the subscriber's answer to our last menu
 *   submit_sm op 2 (USSR request)      a menu, which expects an answer
 *   submit_sm op 17 (PSSR response)    the last screen; empty, it aborts the session
 * A session is the MSISDN in source_addr and, when the gateway sends its_session_info (and
 * ussd_session_info is on), that TLV's session number (its first octet). The gateway ends a
 * session (an abort, its own timeout) with the end-of-session bit of its_session_info, or, in
 * the dialect without that TLV, with op 17 or 16 of its own. A deliver_sm without
 * ussd_service_op or with a value we do not take is refused with an SMPP status (0xC3, 0xC4).
 * Our submit_sm goes to the source_addr as received, from the address the subscriber dialled
 * (the deliver_sm's destination_addr), with the its_session_info last received (whether or not
 * it correlates), its end-of-session bit set on a last screen. The deliver_sm is answered at once: a session
 * outlives no process, so there is nothing to record before the answer.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <osmocom/core/hashtable.h>	/* after utils.h: it uses ARRAY_SIZE */
#include <talloc.h>

#include <smpp34.h>

#include "common/log.h"
#include "common/msisdn.h"
#include "engine/gsm_text.h"
#include "smpp/smpp_link.h"
#include "ussd/ussd_session.h"
#include "ussd/ussd_smpp.h"

#define OP_PSSD_RESPONSE 16
#define OP_PSSR_INDICATION 1
#define OP_USSR_REQUEST 2
#define OP_PSSR_RESPONSE 17
#define OP_USSR_CONFIRM 18
#define SESSION_INFO_END 0x0001		/* its_session_info: the end-of-session indicator */
#define DCS_GSM7 0
#define DCS_UCS2 8
#define TEXT_MAX 1024			/* UTF-8 of a subscriber's input (at most 255 octets in) */

/* What a session's screens need of the deliver_sm that opened it. */
struct open_session {
	struct llist_head list;
	struct hlist_node by_key;	/* in ussd_link.open_by_key */
	char msisdn[16];
	uint32_t id;
	char addr[22];			/* source_addr as received: our destination_addr */
	char dialled[22];		/* its destination_addr: our source_addr */
	bool has_session_info;
	uint16_t session_info;		/* the last received */
};

struct ussd_link {
	struct itin_ussd_smpp *owner;
	const struct itin_smpp_link_config *cfg;
	struct smpp_link *link;
	struct ussd_sessions *sessions;
	struct llist_head open;
	DECLARE_HASHTABLE(open_by_key, 10);
	struct itin_ussd_smpp_stats stats;
	struct itin_log_limit log_refused;
	bool stopped;
};

struct itin_ussd_smpp {
	const struct itin_service_config *service;	/* replaced on SIGHUP */
	struct ussd_link *links[ITIN_MAX_SMPP_LINKS];
	unsigned num_links;
};

#define LOGPUL(ul, level, fmt, args...) \
	LOGP(DUSSD, level, "ussd-smpp %s: " fmt, (ul)->cfg->name, ##args)

static const char *tail4(const char *s)
{
	size_t n = strlen(s);

	return n > 4 ? s + n - 4 : s;
}

static struct open_session *open_find(struct ussd_link *ul, const char *msisdn, uint32_t id)
{
	struct open_session *o;

	hash_for_each_possible(ul->open_by_key, o, by_key, ussd_session_key(msisdn, id)) {
		if (o->id == id && strcmp(o->msisdn, msisdn) == 0)
			return o;
	}
	return NULL;
}

static void open_forget(struct open_session *o)
{
	llist_del(&o->list);
	hash_del(&o->by_key);
	talloc_free(o);
}

static void open_forget_all(struct ussd_link *ul)
{
	struct open_session *o, *tmp;

	llist_for_each_entry_safe(o, tmp, &ul->open, list)
		open_forget(o);
}

/* One submit_sm of a session; text NULL: the empty PSSR response that aborts it. */
static int send_screen(struct ussd_link *ul, struct open_session *o, const char *text, bool final)
{
	uint8_t msg[SMPP_LINK_MSG_MAX];
	struct smpp_submit sub = {
		.dst = o->addr,
		.src = o->dialled,
		.msg = msg,
		.has_ussd_op = true,
		.ussd_op = final ? OP_PSSR_RESPONSE : OP_USSR_REQUEST,
		.has_session_info = o->has_session_info,
		.session_info = final ? o->session_info | SESSION_INFO_END : o->session_info,
	};
	size_t septets;
	int rc = 0;

	if (text && itin_gsm_fits(text, strlen(text))) {
		sub.data_coding = DCS_GSM7;
		rc = ul->cfg->ussd_gsm7_packed ?
		     itin_text_encode_gsm_packed(text, strlen(text), msg, sizeof(msg), &septets) :
		     itin_text_encode(ITIN_CODING_GSM7, text, strlen(text), msg, sizeof(msg));
	} else if (text) {
		sub.data_coding = DCS_UCS2;
		rc = itin_text_encode(ITIN_CODING_UCS2, text, strlen(text), msg, sizeof(msg));
	}
	if (rc < 0) {
		LOGPUL(ul, LOGL_ERROR, "a screen of %zu octets does not encode: %s\n", strlen(text),
		       strerror(-rc));
		return rc;
	}
	sub.msg_len = rc;
	rc = smpp_link_submit(ul->link, &sub, NULL);
	if (rc < 0) {
		LOGPUL(ul, LOGL_NOTICE, "submit_sm to ...%s not queued: %s\n", tail4(o->addr),
		       strerror(-rc));
		return rc;
	}
	if (text)
		ul->stats.screens++;
	else
		ul->stats.aborts_sent++;
	return 0;
}

static int transport_send(void *transport, const char *msisdn, uint32_t id, const char *text, bool final)
{
	struct ussd_link *ul = transport;
	struct open_session *o = open_find(ul, msisdn, id);
	int rc;

	if (!o)
		return -ENOENT;
	rc = send_screen(ul, o, text, final);
	if (final || rc < 0)	/* the session ends either way */
		open_forget(o);
	return rc;
}

static void transport_release(void *transport, const char *msisdn, uint32_t id)
{
	struct ussd_link *ul = transport;
	struct open_session *o = open_find(ul, msisdn, id);

	if (!o)
		return;
	send_screen(ul, o, NULL, true);
	open_forget(o);
}

static const struct ussd_transport_ops transport_ops = {
	.send = transport_send,
	.release = transport_release,
};

/* The subscriber's text as UTF-8: data_coding 0 as the link's GSM 7-bit, 8 UCS2, and the
 * Latin-1 of data_coding 3 some gateways send. -EINVAL for anything else. */
static int decode_text(const struct ussd_link *ul, const struct smpp_deliver *d, char *out, size_t max)
{
	switch (d->data_coding) {
	case DCS_GSM7:
		return ul->cfg->ussd_gsm7_packed ? itin_text_decode_gsm_packed(d->msg, d->msg_len, out, max) :
		       itin_text_decode_gsm_unpacked(d->msg, d->msg_len, out, max);
	case DCS_UCS2:
		return itin_text_decode_ucs2(d->msg, d->msg_len, out, max);
	case 3:
		return itin_text_decode_latin1(d->msg, d->msg_len, out, max);
	default:
		return -EINVAL;
	}
}

static void refuse(struct ussd_link *ul, const struct smpp_deliver *d, uint32_t status, const char *why)
{
	LOGP_LIMITED(&ul->log_refused, DUSSD, LOGL_NOTICE, "ussd-smpp %s: deliver_sm %u from ...%s: %s: "
		     "refused with status 0x%02x", ul->cfg->name, d->seq, tail4(d->src), why, status);
	ul->stats.refused++;
	smpp_link_deliver_resp(ul->link, d->token, status);
}

/* An answer to a session we do not hold (timed out, begun before a restart): the gateway
 * learns it is over. */
static void abort_unknown(struct ussd_link *ul, const struct smpp_deliver *d, const char *msisdn,
			  uint32_t id)
{
	struct open_session o = { .id = id, .has_session_info = d->has_session_info,
				  .session_info = d->session_info };

	OSMO_STRLCPY_ARRAY(o.msisdn, msisdn);
	OSMO_STRLCPY_ARRAY(o.addr, d->src);
	OSMO_STRLCPY_ARRAY(o.dialled, d->dst);
	LOGPUL(ul, LOGL_INFO, "...%s session %u: no such session: aborted\n", tail4(msisdn), id);
	send_screen(ul, &o, NULL, true);
}

static void link_deliver(struct smpp_link *link, const struct smpp_deliver *d)
{
	struct ussd_link *ul = smpp_link_priv(link);
	bool with_info = d->has_session_info && ul->cfg->ussd_session_info;
	uint32_t id = with_info ? 0x100 | d->session_info >> 8 : 0;
	struct open_session *o;
	char msisdn[16], text[TEXT_MAX];
	int rc;

	if (d->is_receipt) {
		smpp_link_deliver_resp(link, d->token, ESME_ROK);
		return;
	}
	if (!d->has_ussd_op) {
		refuse(ul, d, ESME_RMISSINGOPTPARAM, "no ussd_service_op");
		return;
	}
	if (d->ussd_op_malformed || (d->ussd_op != OP_PSSR_INDICATION && d->ussd_op != OP_USSR_CONFIRM &&
				     d->ussd_op != OP_PSSR_RESPONSE && d->ussd_op != OP_PSSD_RESPONSE)) {
		refuse(ul, d, ESME_RINVOPTPARAMVAL, "a ussd_service_op we do not take");
		return;
	}
	if (itin_msisdn_normalize(d->src, d->src_ton, ul->owner->service->country_code, msisdn) < 0) {
		refuse(ul, d, ESME_RINVSRCADR, "source_addr is no MSISDN");
		return;
	}
	rc = decode_text(ul, d, text, sizeof(text));
	if (rc < 0) {
		refuse(ul, d, ESME_RX_P_APPN, "a text that does not decode");
		return;
	}
	smpp_link_deliver_resp(link, d->token, ESME_ROK);
	o = open_find(ul, msisdn, id);
	if ((d->has_session_info && (d->session_info & SESSION_INFO_END)) || d->ussd_op == OP_PSSR_RESPONSE ||
	    d->ussd_op == OP_PSSD_RESPONSE) {
		if (o) {
			LOGPUL(ul, LOGL_INFO, "...%s session %u: ended by the gateway\n", tail4(msisdn), id);
			ul->stats.ended_by_gateway++;
			ussd_session_end(ul->sessions, msisdn, id);
			open_forget(o);
		}
		return;
	}
	if (d->ussd_op == OP_USSR_CONFIRM) {
		if (!o || !ussd_session_exists(ul->sessions, msisdn, id)) {
			if (o)
				open_forget(o);
			abort_unknown(ul, d, msisdn, id);
			return;
		}
		o->has_session_info = d->has_session_info;
		o->session_info = d->session_info;
		ussd_session_continue(ul->sessions, msisdn, id, text);
		return;
	}
	/* A PSSR indication: a new session, even for one we still hold (the gateway let it go). */
	if (o)
		open_forget(o);
	o = talloc_zero(ul, struct open_session);
	if (!o) {
		abort_unknown(ul, d, msisdn, id);
		return;
	}
	OSMO_STRLCPY_ARRAY(o->msisdn, msisdn);
	OSMO_STRLCPY_ARRAY(o->addr, d->src);
	OSMO_STRLCPY_ARRAY(o->dialled, d->dst);
	o->id = id;
	o->has_session_info = d->has_session_info;
	o->session_info = d->session_info;
	llist_add_tail(&o->list, &ul->open);
	hash_add(ul->open_by_key, &o->by_key, ussd_session_key(o->msisdn, o->id));
	ul->stats.begun++;
	ussd_session_begin(ul->sessions, msisdn, id, text);
}

static void link_bound(struct smpp_link *link, bool up)
{
	struct ussd_link *ul = smpp_link_priv(link);

	LOGPUL(ul, LOGL_NOTICE, "%s\n", up ? "bound" : "not bound");
	if (up)
		return;
	ussd_sessions_drop_all(ul->sessions);
	open_forget_all(ul);
}

static void link_submit_done(struct smpp_link *link, void *cookie, uint32_t status, const char *message_id)
{
	/* A screen the gateway refused or never took: its session times out on the gateway's
	 * side; nothing to send again, the subscriber has moved on. */
}

static const struct smpp_link_ops link_ops = {
	.bound = link_bound,
	.deliver = link_deliver,
	.submit_done = link_submit_done,
};

struct itin_ussd_smpp *itin_ussd_smpp_alloc(void *ctx, struct event_base *base,
					    const struct itin_smpp_config *smpp,
					    const struct itin_service_config *service,
					    const struct itin_templates *templates, bool *oom)
{
	struct itin_ussd_smpp *u;
	unsigned n = 0;

	*oom = false;
	for (unsigned i = 0; i < smpp->num; i++)
		n += smpp->link[i].ussd;
	if (!n)
		return NULL;
	u = talloc_zero(ctx, struct itin_ussd_smpp);
	if (!u)
		goto oom;
	u->service = service;
	for (unsigned i = 0; i < smpp->num; i++) {
		const struct itin_smpp_link_config *cfg = &smpp->link[i];
		struct ussd_link *ul;

		if (!cfg->ussd)
			continue;
		ul = talloc_zero(u, struct ussd_link);
		if (!ul)
			goto oom;
		u->links[u->num_links++] = ul;
		ul->owner = u;
		ul->cfg = cfg;
		INIT_LLIST_HEAD(&ul->open);
		hash_init(ul->open_by_key);
		ul->link = smpp_link_alloc(ul, base, cfg, service->short_code, &link_ops, ul);
		ul->sessions = ussd_sessions_alloc(ul, base, &(struct ussd_session_params){
				.identity_kind = ITIN_IDENTITY_MSISDN,
				.pages = { .one_gsm = cfg->ussd_page_gsm, .one_ucs2 = cfg->ussd_page_ucs2,
					   .page_gsm = cfg->ussd_page_gsm, .page_ucs2 = cfg->ussd_page_ucs2 },
				.timeout_s = cfg->ussd_session_timeout_s,
				.timeout_screen = cfg->ussd_timeout_screen },
			service, templates, &transport_ops, ul);
		if (!ul->link || !ul->sessions)
			goto oom;
	}
	return u;
oom:
	talloc_free(u);
	*oom = true;
	return NULL;
}

int itin_ussd_smpp_start(struct itin_ussd_smpp *u)
{
	int rc;

	for (unsigned i = 0; i < u->num_links; i++) {
		if ((rc = smpp_link_start(u->links[i]->link)) < 0)
			return rc;
	}
	return 0;
}

static void link_stopped(struct smpp_link *link, void *arg)
{
	struct ussd_link *ul = arg;

	ul->stopped = true;
}

void itin_ussd_smpp_stop(struct itin_ussd_smpp *u)
{
	for (unsigned i = 0; i < u->num_links; i++) {
		struct ussd_link *ul = u->links[i];
		struct open_session *o, *tmp;

		/* The gateway learns at once that its sessions are over. */
		llist_for_each_entry_safe(o, tmp, &ul->open, list) {
			ussd_session_end(ul->sessions, o->msisdn, o->id);
			send_screen(ul, o, NULL, true);
			open_forget(o);
		}
		smpp_link_stop(ul->link, link_stopped, ul);
	}
}

bool itin_ussd_smpp_is_unbound(const struct itin_ussd_smpp *u)
{
	for (unsigned i = 0; i < u->num_links; i++) {
		if (!u->links[i]->stopped)
			return false;
	}
	return true;
}

void itin_ussd_smpp_set_config(struct itin_ussd_smpp *u, const struct itin_service_config *service,
			       const struct itin_templates *templates)
{
	u->service = service;
	for (unsigned i = 0; i < u->num_links; i++)
		ussd_sessions_set_config(u->links[i]->sessions, u->links[i]->cfg->ussd_session_timeout_s,
					 service, templates);
}

unsigned itin_ussd_smpp_num_links(const struct itin_ussd_smpp *u)
{
	return u ? u->num_links : 0;
}

const struct smpp_link *itin_ussd_smpp_link(const struct itin_ussd_smpp *u, unsigned i)
{
	return i < u->num_links ? u->links[i]->link : NULL;
}

void itin_ussd_smpp_get_stats(const struct itin_ussd_smpp *u, unsigned i, struct itin_ussd_smpp_stats *st)
{
	*st = u->links[i]->stats;
	st->sessions = ussd_sessions_count(u->links[i]->sessions);
}

struct walk_arg {
	void (*cb)(void *arg, const char *masked, uint32_t session_id, const char *state, long open_s);
	void *arg;
};

static void walk_one(void *arg, const char *msisdn, uint32_t id, const char *state, long open_s)
{
	struct walk_arg *w = arg;
	char masked[16];

	snprintf(masked, sizeof(masked), "***%s", tail4(msisdn));
	w->cb(w->arg, masked, id, state, open_s);
}

void itin_ussd_smpp_walk(const struct itin_ussd_smpp *u, unsigned i,
			 void (*cb)(void *arg, const char *masked, uint32_t session_id,
				    const char *state, long open_s), void *arg)
{
	struct walk_arg w = { cb, arg };

	ussd_sessions_walk(u->links[i]->sessions, walk_one, &w);
}
