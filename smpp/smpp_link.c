/*
 * SMPP link internals. A link has one session (bind_transceiver) or two (bind_transmitter for
 * submits, bind_receiver for deliveries); each session is a TCP connection with its own state,
 * sequence numbers and timers. Submits live in the link's queue until a window slot is free,
 * then in its outstanding list until their response; a session that drops puts its outstanding
 * submits back at the head of the queue, so a re-bind re-sends them (at worst a subscriber gets
 * a part twice, never zero times). Deliveries carry a token naming their connection, so a late
 * answer never acknowledges a PDU of a newer connection. Whatever the SMSC sends, the link
 * answers or closes; it never trusts a length it has not checked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include <smpp34.h>
#include <smpp34_heap.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "common/log.h"
#include "smpp/smpp_link.h"

#define PDU_MIN 16
/* A deliver_sm with SMPP 3.4's longest message_payload (65,535 octets), the longest mandatory
 * fields and a few more TLVs. */
#define PDU_MAX (65536 + 1024)
#define BAD_PDUS_MAX 3			/* unparsable PDUs on one connection before we close it */
/* libsmpp34 (1.14) logs each field it unpacks into its 2,048-octet smpp34_strerror without
 * checking the end: a deliver_sm's mandatory fields take up to 570 octets of it, each TLV 54,
 * so from the 29th TLV on it writes past the buffer, over our own memory. PDUs with more TLVs
 * than this are refused before libsmpp34 sees them. */
#define TLVS_MAX 16
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define THROTTLE_MIN_MS 250
#define THROTTLE_MAX_MS 8000
#define UNBIND_WAIT_S 2			/* for unbind_resp, or for a last PDU to be written */
#define TLV_MESSAGE_PAYLOAD 0x0424
#define TLV_SAR_MSG_REF_NUM 0x020c
#define TLV_SAR_TOTAL_SEGMENTS 0x020e
#define TLV_SAR_SEGMENT_SEQNUM 0x020f

enum session_role { ROLE_TRX, ROLE_TX, ROLE_RX };
enum session_state {
	SESSION_DOWN, SESSION_CONNECTING, SESSION_BINDING, SESSION_BOUND, SESSION_UNBINDING,
	SESSION_CLOSING,		/* a last PDU is being written, then we close */
};

struct smpp_session {
	struct smpp_link *link;
	enum session_role role;
	enum session_state state;
	struct bufferevent *bev;
	uint32_t generation;		/* this connection, unique in the link: deliver tokens */
	uint32_t next_seq;
	double waiting_since;		/* connect, bind, enquire_link or unbind unanswered (0: none) */
	uint32_t waiting_seq;
	unsigned backoff_ms;
	unsigned bad_pdus;
	struct event *retry;		/* reconnect */
	struct event *tick;		/* enquire_link and response timeouts, once a second */
	double last_enquire;
	char closing_why[64];
};

struct submit {
	struct llist_head list;
	void *cookie;
	uint32_t seq;
	double sent_at;
	char dst[21];			/* libsmpp34's destination_addr */
	char src[21];			/* its source_addr; empty: the link's short code */
	uint8_t data_coding, esm_class;
	bool has_ussd_op, has_session_info;
	uint8_t ussd_op;
	uint16_t session_info;
	uint8_t msg[SMPP_LINK_MSG_MAX];
	uint16_t msg_len;
};

struct smpp_link {
	char *name;
	const struct itin_smpp_link_config *cfg;
	char *short_code;
	uint8_t src_ton, src_npi;
	const struct smpp_link_ops *ops;
	void *priv;
	struct event_base *base;
	struct smpp_session sessions[2];
	unsigned num_sessions;
	uint32_t generation;
	bool reported_up;
	uint8_t *pdu_buf;		/* one PDU, NUL-terminated for libsmpp34's strlen() */
	uint8_t *payload;		/* its message_payload, which libsmpp34 never sees */
	void *unpacked;			/* what libsmpp34 allocated for it (see smpp34_ctx) */
	struct llist_head queue, outstanding;
	unsigned num_queued, num_outstanding;
	struct event *pump;		/* resumes sending after throttling or the rate cap */
	double throttled_until;
	unsigned throttle_ms;
	double rate_window;		/* the second the rate cap counts in */
	unsigned rate_sent;
	bool stopping;
	void (*stopped)(struct smpp_link *, void *);
	void *stopped_arg;
	struct smpp_link_stats stats;
};

#define LOGPLINK(l, level, fmt, args...) LOGP(DSMPP, level, "smpp %s: " fmt, (l)->name, ##args)
#define LOGPSESS(s, level, fmt, args...) \
	LOGP(DSMPP, level, "smpp %s%s: " fmt, (s)->link->name, role_suffix[(s)->role], ##args)

static const char *const role_suffix[] = { "", " (tx)", " (rx)" };

/* What libsmpp34 allocates (the TLVs of a PDU it unpacks) goes into the reading link's
 * unpacked context, emptied after each PDU: libsmpp34 1.14 leaks the TLV it was filling when a
 * TLV does not parse (about 1 KB, for every such deliver_sm an SMSC sends). */
static void *smpp34_ctx;		/* the link's unpacked during smpp34_unpack(), else NULL */

static void *smpp34_ctx_malloc(size_t size)
{
	return talloc_size(smpp34_ctx, size);
}

static void *smpp34_ctx_realloc(void *ptr, size_t size)
{
	return talloc_realloc_size(smpp34_ctx, ptr, size);
}

static void smpp34_ctx_free(void *ptr)
{
	talloc_free(ptr);
}

static void session_connect(struct smpp_session *s);
static void link_pump(struct smpp_link *l);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The last 4 characters of an address: enough to follow one subscriber in the logs. */
static const char *addr_tail(const char *addr)
{
	size_t n = strlen(addr);

	return n > 4 ? addr + n - 4 : addr;
}

static struct smpp_session *tx_session(struct smpp_link *l)
{
	return &l->sessions[0];
}

static bool session_sends(const struct smpp_session *s)
{
	return s->role != ROLE_RX;
}

static bool session_receives(const struct smpp_session *s)
{
	return s->role != ROLE_TX;
}

static int session_send(struct smpp_session *s, uint32_t command_id, void *pdu)
{
	uint8_t buf[512];
	int len = 0;

	if (smpp34_pack(command_id, buf, sizeof(buf), &len, pdu) != 0) {
		/* Not smpp34_strerror: it lists the fields packed, destination_addr among them. */
		LOGPSESS(s, LOGL_ERROR, "packing 0x%08x failed\n", command_id);
		return -EINVAL;
	}
	return bufferevent_write(s->bev, buf, len) == 0 ? 0 : -ENOMEM;
}

static void session_wait(struct smpp_session *s, uint32_t seq)
{
	s->waiting_since = now_s();
	s->waiting_seq = seq;
}

static uint32_t session_seq(struct smpp_session *s)
{
	s->next_seq = s->next_seq >= 0x7fffffff ? 1 : s->next_seq + 1;
	return s->next_seq;
}

/* Tells the upper layer when the link as a whole becomes usable or stops being so. */
static void link_report(struct smpp_link *l)
{
	bool up = !l->stopping;

	for (unsigned i = 0; i < l->num_sessions; i++)
		up = up && l->sessions[i].state == SESSION_BOUND;
	if (up == l->reported_up)
		return;
	l->reported_up = up;
	l->ops->bound(l, up);
}

static void link_fail_all(struct smpp_link *l)
{
	struct submit *sub, *tmp;

	llist_splice_init(&l->outstanding, &l->queue);
	l->num_queued += l->num_outstanding;
	l->num_outstanding = 0;
	llist_for_each_entry_safe(sub, tmp, &l->queue, list) {
		llist_del(&sub->list);
		l->num_queued--;
		l->ops->submit_done(l, sub->cookie, SMPP_LINK_LOST, NULL);
		talloc_free(sub);
	}
}

static void stopped_check(struct smpp_link *l)
{
	void (*stopped)(struct smpp_link *, void *) = l->stopped;

	for (unsigned i = 0; i < l->num_sessions; i++) {
		if (l->sessions[i].state != SESSION_DOWN)
			return;
	}
	link_fail_all(l);
	l->stopped = NULL;
	if (stopped)
		stopped(l, l->stopped_arg);
}

/* Closes a session; unless stopping, reconnects after a backoff with jitter. */
static void session_drop(struct smpp_session *s, const char *why)
{
	struct smpp_link *l = s->link;
	struct timeval tv;
	unsigned ms;

	if (s->state == SESSION_DOWN)
		return;
	LOGPSESS(s, l->stopping ? LOGL_INFO : LOGL_NOTICE, "closed: %s\n", why);
	if (s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	s->state = SESSION_DOWN;
	s->waiting_since = 0;
	evtimer_del(s->tick);
	if (session_sends(s)) {
		/* Unanswered submits go first once a session is bound again. */
		llist_splice_init(&l->outstanding, &l->queue);
		l->num_queued += l->num_outstanding;
		l->num_outstanding = 0;
		evtimer_del(l->pump);
	}
	link_report(l);
	if (l->stopping) {
		stopped_check(l);
		return;
	}
	/* Up to a quarter more, so links that fell together do not come back together. */
	ms = s->backoff_ms + random() % (s->backoff_ms / 4 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
	l->stats.reconnects++;
	evtimer_add(s->retry, &tv);
}

/* Sends a last PDU, then closes: a socket bufferevent drops its output when freed, so the
 * close waits for the write callback (or the tick's timeout). */
static void session_send_last(struct smpp_session *s, uint32_t command_id, void *pdu, const char *why)
{
	struct smpp_link *l = s->link;

	if (session_send(s, command_id, pdu) < 0) {
		session_drop(s, why);
		return;
	}
	snprintf(s->closing_why, sizeof(s->closing_why), "%s", why);
	s->state = SESSION_CLOSING;
	session_wait(s, 0);
	bufferevent_disable(s->bev, EV_READ);
	evtimer_del(l->pump);
	link_report(l);
}

static void session_write_cb(struct bufferevent *bev, void *arg)
{
	struct smpp_session *s = arg;

	if (s->state == SESSION_CLOSING)
		session_drop(s, s->closing_why);
}

static void send_generic_nack(struct smpp_session *s, uint32_t seq, uint32_t status)
{
	generic_nack_t nack = { .command_id = GENERIC_NACK, .command_status = status,
				.sequence_number = seq };

	s->link->stats.nacks_sent++;
	session_send(s, GENERIC_NACK, &nack);
}

static void on_bind_resp(struct smpp_session *s, uint32_t seq, uint32_t status)
{
	struct smpp_link *l = s->link;
	char why[64];

	if (s->state != SESSION_BINDING || seq != s->waiting_seq)
		return;
	if (status != ESME_ROK) {
		/* ESME_RALYBND included: closing this connection leaves no second session
		 * behind; bind again after the backoff. */
		snprintf(why, sizeof(why), "bind refused with status 0x%02x", status);
		session_drop(s, why);
		return;
	}
	s->state = SESSION_BOUND;
	s->waiting_since = 0;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->last_enquire = now_s();
	l->stats.binds++;
	LOGPSESS(s, LOGL_NOTICE, "bound as %s\n", l->cfg->system_id);
	link_report(l);
	link_pump(l);
}

static struct submit *outstanding_find(struct smpp_link *l, uint32_t seq)
{
	struct submit *sub;

	llist_for_each_entry(sub, &l->outstanding, list) {
		if (sub->seq == seq)
			return sub;
	}
	return NULL;
}

static void throttle(struct smpp_link *l)
{
	l->throttle_ms = l->throttle_ms ? l->throttle_ms * 2 : THROTTLE_MIN_MS;
	if (l->throttle_ms > THROTTLE_MAX_MS)
		l->throttle_ms = THROTTLE_MAX_MS;
	l->throttled_until = now_s() + l->throttle_ms / 1000.0;
	l->stats.throttled++;
}

static void on_submit_resp(struct smpp_session *s, uint32_t seq, uint32_t status, const char *message_id)
{
	struct smpp_link *l = s->link;
	struct submit *sub = outstanding_find(l, seq);

	if (!sub) {
		LOGPSESS(s, LOGL_INFO, "response to no submit_sm of ours (sequence %u)\n", seq);
		return;
	}
	llist_del(&sub->list);
	l->num_outstanding--;
	if (status == ESME_RTHROTTLED || status == ESME_RMSGQFUL) {
		/* Keep the submit: back at the head, sent again once the back-off ends. */
		llist_add(&sub->list, &l->queue);
		l->num_queued++;
		throttle(l);
		LOGPLINK(l, LOGL_NOTICE, "SMSC asks to slow down (status 0x%02x): pausing %u ms\n",
			 status, l->throttle_ms);
		if (l->ops->submit_deferred)
			l->ops->submit_deferred(l, sub->cookie);
		link_pump(l);
		return;
	}
	l->throttle_ms = 0;
	if (status != ESME_ROK)
		LOGPLINK(l, LOGL_NOTICE, "submit_sm to ...%s refused with status 0x%02x\n",
			 addr_tail(sub->dst), status);
	l->ops->submit_done(l, sub->cookie, status, status == ESME_ROK ? message_id : NULL);
	talloc_free(sub);
	link_pump(l);
}

/* The handset's message reference, where the SMSC passes it (SMPP 3.4 5.3.2.17). */
static void read_msg_ref(const deliver_sm_t *d, struct smpp_deliver *dv)
{
	tlv_t *t;

	smpp34_tlv_for_each(t, d->tlv) {
		if (t->tag == TLVID_user_message_reference) {
			dv->has_msg_ref = true;
			dv->msg_ref = t->value.val16;
		}
	}
}

/* A USSD gateway's TLVs. libsmpp34 reads ussd_service_op of a deliver_sm as octets of the
 * length given (it knows it only for submits), its_session_info as 2 octets. */
static void read_ussd(const deliver_sm_t *d, struct smpp_deliver *dv)
{
	tlv_t *t;

	smpp34_tlv_for_each(t, d->tlv) {
		if (t->tag == TLVID_ussd_service_op && !dv->has_ussd_op) {
			dv->has_ussd_op = true;
			dv->ussd_op_malformed = t->length != 1;
			dv->ussd_op = t->length ? t->value.octet[0] : 0;
		} else if (t->tag == TLVID_its_session_info && !dv->has_session_info) {
			dv->has_session_info = true;
			dv->session_info = t->value.val16;
		}
	}
}

/* Adds a submit's USSD TLVs to pdu (allocated by libsmpp34: destroy_tlv() after packing). */
static int add_ussd_tlvs(submit_sm_t *pdu, const struct submit *sub)
{
	tlv_t t;

	if (sub->has_ussd_op) {
		t = (tlv_t){ .tag = TLVID_ussd_service_op, .length = 1 };
		t.value.octet[0] = sub->ussd_op;
		if (build_tlv(&pdu->tlv, &t) != 0)
			return -ENOMEM;
	}
	if (sub->has_session_info) {
		t = (tlv_t){ .tag = TLVID_its_session_info, .length = 2 };
		t.value.val16 = sub->session_info;
		if (build_tlv(&pdu->tlv, &t) != 0)
			return -ENOMEM;
	}
	return 0;
}

static void on_deliver(struct smpp_session *s, deliver_sm_t *d, uint16_t payload_len)
{
	struct smpp_link *l = s->link;
	struct smpp_deliver dv = {
		.token = (uint64_t)s->generation << 32 | d->sequence_number,
		.seq = d->sequence_number,
		.esm_class = d->esm_class,
		.data_coding = d->data_coding,
		.src_ton = d->source_addr_ton,
		.src_npi = d->source_addr_npi,
		.dst_ton = d->dest_addr_ton,
		.dst_npi = d->dest_addr_npi,
		.msg = d->short_message,
		.msg_len = d->sm_length,
		.is_receipt = (d->esm_class & 0x3c) != 0,
	};
	unsigned sar = 0;
	tlv_t *t;

	snprintf(dv.src, sizeof(dv.src), "%s", (const char *)d->source_addr);
	snprintf(dv.dst, sizeof(dv.dst), "%s", (const char *)d->destination_addr);
	if (dv.msg_len == 0 && payload_len) {
		dv.msg = l->payload;
		dv.msg_len = payload_len;
	}
	/* libsmpp34 has checked their sizes (2, 1 and 1 octets): a PDU with other sizes was
	 * refused with generic_nack */
	smpp34_tlv_for_each(t, d->tlv) {
		if (t->tag == TLV_SAR_MSG_REF_NUM) {
			dv.sar_ref = t->value.val16;
			sar |= 1;
		} else if (t->tag == TLV_SAR_TOTAL_SEGMENTS) {
			dv.sar_total = t->value.val08;
			sar |= 2;
		} else if (t->tag == TLV_SAR_SEGMENT_SEQNUM) {
			dv.sar_seq = t->value.val08;
			sar |= 4;
		}
	}
	dv.sar = sar == 7;
	read_msg_ref(d, &dv);
	read_ussd(d, &dv);
	LOGPSESS(s, LOGL_DEBUG, "deliver_sm %u from ...%s: %u octets, esm_class 0x%02x, data_coding %u\n",
		 dv.seq, addr_tail(dv.src), dv.msg_len, dv.esm_class, dv.data_coding);
	if (dv.is_receipt)
		l->stats.receipts++;
	else
		l->stats.delivered++;
	l->ops->deliver(l, &dv);
}

static void answer_deliver(struct smpp_session *s, uint32_t seq, uint32_t status)
{
	deliver_sm_resp_t resp = { .command_id = DELIVER_SM_RESP, .command_status = status,
				   .sequence_number = seq };

	session_send(s, DELIVER_SM_RESP, &resp);
}

/* Past the C-Octet String at *off (its NUL included); -EBADMSG if it does not end before len. */
static int skip_cstring(const uint8_t *buf, uint32_t len, uint32_t *off)
{
	const uint8_t *nul = *off < len ? memchr(buf + *off, 0, len - *off) : NULL;

	if (!nul)
		return -EBADMSG;
	*off = nul - buf + 1;
	return 0;
}

/* Past an address at *off: its TON and NPI octets, then the address (a C-Octet String). */
static int skip_address(const uint8_t *buf, uint32_t len, uint32_t *off)
{
	*off += 2;
	return skip_cstring(buf, len, off);
}

/* Checks the layout of a deliver_sm or an alert_notification: no mandatory field, short_message
 * or TLV runs past the end, and no more TLVs than libsmpp34 can take. -EBADMSG with what is wrong
 * in why, in our own words; 0 when the layout is sound (and for other commands), with the offset
 * of the (first) message_payload TLV in *payload_off (0: none). */
static int pdu_layout_check(uint32_t command_id, const uint8_t *buf, uint32_t len, char *why, size_t max,
			    uint32_t *payload_off)
{
	uint32_t off = PDU_MIN, tlv_len;
	unsigned n = 0;

	*payload_off = 0;
	if (command_id == DELIVER_SM) {
		/* service_type; source and destination TON, NPI, address; esm_class, protocol_id,
		 * priority_flag; the two times; four octets; sm_length and short_message */
		if (skip_cstring(buf, len, &off) < 0 || skip_address(buf, len, &off) < 0 ||
		    skip_address(buf, len, &off) < 0)
			goto cut;
		off += 3;
		if (skip_cstring(buf, len, &off) < 0 || skip_cstring(buf, len, &off) < 0)
			goto cut;
		off += 4;
		if (off >= len)
			goto cut;
		if (buf[off] > len - off - 1) {
			snprintf(why, max, "sm_length %u, %u octets left", buf[off], len - off - 1);
			return -EBADMSG;
		}
		off += 1 + buf[off];
	} else if (command_id == ALERT_NOTIFICATION) {
		/* source and ESME TON, NPI, address */
		if (skip_address(buf, len, &off) < 0 || skip_address(buf, len, &off) < 0)
			goto cut;
	} else {
		return 0;
	}
	for (; off < len; n++) {
		if (n == TLVS_MAX) {
			snprintf(why, max, "more than %u TLVs", TLVS_MAX);
			return -EBADMSG;
		}
		if (len - off < 4) {
			snprintf(why, max, "a TLV header cut after %u octets", len - off);
			return -EBADMSG;
		}
		tlv_len = (uint32_t)buf[off + 2] << 8 | buf[off + 3];
		if (tlv_len > len - off - 4) {
			snprintf(why, max, "TLV 0x%04x of %u octets, %u left", (unsigned)buf[off] << 8 | buf[off + 1],
				 tlv_len, len - off - 4);
			return -EBADMSG;
		}
		if (command_id == DELIVER_SM && !*payload_off &&
		    ((unsigned)buf[off] << 8 | buf[off + 1]) == TLV_MESSAGE_PAYLOAD)
			*payload_off = off;
		off += 4 + tlv_len;
	}
	return 0;
cut:
	snprintf(why, max, "the mandatory fields run past the end");
	return -EBADMSG;
}

/* A PDU whose length has been checked, in our own buffer; buf[len] is 0. */
static void on_pdu(struct smpp_session *s, uint8_t *buf, uint32_t len)
{
	union {
		submit_sm_resp_t submit_resp;
		deliver_sm_t deliver;
		alert_notification_t alert;
	} u;
	uint32_t command_id = be32(buf + 4);
	uint32_t status = be32(buf + 8);
	uint32_t seq = be32(buf + 12);
	uint32_t payload_off, pdu_len = len;
	uint16_t payload_len = 0;
	char why[96];
	int rc;

	switch (command_id) {
	case BIND_TRANSCEIVER_RESP:
	case BIND_TRANSMITTER_RESP:
	case BIND_RECEIVER_RESP:
		on_bind_resp(s, seq, status);
		return;
	case ENQUIRE_LINK_RESP:
		if (s->state == SESSION_BOUND && seq == s->waiting_seq)
			s->waiting_since = 0;
		return;
	case UNBIND_RESP:
		if (s->state == SESSION_UNBINDING)
			session_drop(s, "unbound");
		return;
	case GENERIC_NACK:
		LOGPSESS(s, LOGL_NOTICE, "generic_nack 0x%02x for sequence %u\n", status, seq);
		if (outstanding_find(s->link, seq))
			on_submit_resp(s, seq, status ? status : ESME_RSYSERR, NULL);
		else if (s->waiting_since && seq == s->waiting_seq && s->state == SESSION_BOUND)
			s->waiting_since = 0;	/* an SMSC that nacks enquire_link is still alive */
		return;
	case ENQUIRE_LINK: {
		enquire_link_resp_t resp = { .command_id = ENQUIRE_LINK_RESP, .sequence_number = seq };
		session_send(s, ENQUIRE_LINK_RESP, &resp);
		return;
	}
	case UNBIND: {
		unbind_resp_t resp = { .command_id = UNBIND_RESP, .sequence_number = seq };
		session_send_last(s, UNBIND_RESP, &resp, "the SMSC unbound");
		return;
	}
	case SUBMIT_SM_RESP:
	case DELIVER_SM:
	case ALERT_NOTIFICATION:
		break;
	default:
		LOGPSESS(s, LOGL_NOTICE, "unknown command_id 0x%08x: generic_nack\n", command_id);
		send_generic_nack(s, seq, ESME_RINVCMDID);
		return;
	}
	memset(&u, 0, sizeof(u));
	rc = pdu_layout_check(command_id, buf, len, why, sizeof(why), &payload_off);
	if (rc == 0 && payload_off) {
		/* libsmpp34 (1.14) refuses a TLV over 1,024 octets (MAX_TLV_SIZE, the size of its
		 * tlv_t), and SMPP 3.4 allows message_payload up to 64 K: the link cuts it out of
		 * the PDU and reads it itself, and libsmpp34 unpacks the rest. */
		uint32_t tlv_end;

		payload_len = (uint16_t)(buf[payload_off + 2] << 8 | buf[payload_off + 3]);
		tlv_end = payload_off + 4 + payload_len;
		memcpy(s->link->payload, buf + payload_off + 4, payload_len);
		memmove(buf + payload_off, buf + tlv_end, len - tlv_end + 1);
		len -= 4 + payload_len;
		buf[0] = len >> 24;
		buf[1] = len >> 16;
		buf[2] = len >> 8;
		buf[3] = len;
	}
	if (rc == 0) {
		smpp34_ctx = s->link->unpacked;
		rc = smpp34_unpack(command_id, &u, buf, len);
		smpp34_ctx = NULL;
		/* Never smpp34_strerror: it lists the fields unpacked, source_addr among them. */
		OSMO_STRLCPY_ARRAY(why, "refused by libsmpp34 (a field too long, a TLV of the wrong size)");
	}
	if (rc != 0) {
		LOGPSESS(s, LOGL_NOTICE, "unparsable PDU 0x%08x, sequence %u, %u octets: %s\n",
			 command_id, seq, pdu_len, why);
		talloc_free_children(s->link->unpacked);
		if (++s->bad_pdus < BAD_PDUS_MAX) {
			send_generic_nack(s, seq, ESME_RINVCMDLEN);
		} else {
			generic_nack_t nack = { .command_id = GENERIC_NACK,
						.command_status = ESME_RINVCMDLEN, .sequence_number = seq };
			s->link->stats.nacks_sent++;
			session_send_last(s, GENERIC_NACK, &nack, "too many unparsable PDUs");
		}
		return;
	}
	switch (command_id) {
	case SUBMIT_SM_RESP:
		if (session_sends(s))
			on_submit_resp(s, seq, status, (const char *)u.submit_resp.message_id);
		break;
	case DELIVER_SM:
		if (s->state == SESSION_BOUND && session_receives(s))
			on_deliver(s, &u.deliver, payload_len);
		else
			answer_deliver(s, seq, ESME_RINVBNDSTS);
		break;
	case ALERT_NOTIFICATION:
		break;	/* osmo-msc sends these; they have no response */
	}
	talloc_free_children(s->link->unpacked);
}

static void session_read_cb(struct bufferevent *bev, void *arg)
{
	struct smpp_session *s = arg;
	struct smpp_link *l = s->link;
	uint32_t generation = s->generation;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[PDU_MIN] = { 0 };
	uint32_t len;
	char why[64];

	while (evbuffer_get_length(in) >= 4) {
		evbuffer_copyout(in, hdr, sizeof(hdr));
		len = be32(hdr);
		if (len < PDU_MIN || len > PDU_MAX) {
			generic_nack_t nack = { .command_id = GENERIC_NACK,
						.command_status = ESME_RINVCMDLEN,
						.sequence_number = be32(hdr + 12) };
			l->stats.nacks_sent++;
			snprintf(why, sizeof(why), "garbage from the SMSC (command_length %u)", len);
			session_send_last(s, GENERIC_NACK, &nack, why);
			return;
		}
		if (evbuffer_get_length(in) < len)
			return;
		evbuffer_remove(in, l->pdu_buf, len);
		l->pdu_buf[len] = 0;
		on_pdu(s, l->pdu_buf, len);
		/* A callback may have closed this connection (and freed its buffers). */
		if (s->state == SESSION_DOWN || s->state == SESSION_CLOSING || s->generation != generation)
			return;
	}
}

static void session_bind(struct smpp_session *s)
{
	const struct itin_smpp_link_config *cfg = s->link->cfg;
	static const uint32_t ids[] = { BIND_TRANSCEIVER, BIND_TRANSMITTER, BIND_RECEIVER };
	bind_transceiver_t b = { 0 };	/* the three bind PDUs have the same body */

	b.command_id = ids[s->role];
	b.sequence_number = session_seq(s);
	snprintf((char *)b.system_id, sizeof(b.system_id), "%s", cfg->system_id);
	snprintf((char *)b.password, sizeof(b.password), "%s", cfg->password);
	snprintf((char *)b.system_type, sizeof(b.system_type), "%s", cfg->system_type);
	b.interface_version = SMPP_VERSION;
	s->state = SESSION_BINDING;
	session_wait(s, b.sequence_number);
	if (session_send(s, b.command_id, &b) < 0)
		session_drop(s, "sending bind failed");
}

static void session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smpp_session *s = arg;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		session_bind(s);
		return;
	}
	if (what & BEV_EVENT_EOF)
		session_drop(s, "closed by the SMSC");
	else if (what & BEV_EVENT_ERROR)
		session_drop(s, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static const char *waiting_for(const struct smpp_session *s)
{
	switch (s->state) {
	case SESSION_CONNECTING:
		return "connect timed out";
	case SESSION_BINDING:
		return "no bind response";
	case SESSION_UNBINDING:
		return "no unbind_resp";
	case SESSION_CLOSING:
		return s->closing_why;
	default:
		return "enquire_link unanswered";
	}
}

static void session_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smpp_session *s = arg;
	struct smpp_link *l = s->link;
	const struct itin_smpp_link_config *cfg = l->cfg;
	double timeout = s->state == SESSION_UNBINDING || s->state == SESSION_CLOSING ?
			 UNBIND_WAIT_S : cfg->response_timeout_s;
	double t = now_s();
	struct timeval tv = { 1, 0 };
	struct submit *oldest;

	if (s->waiting_since && t - s->waiting_since >= timeout) {
		session_drop(s, waiting_for(s));
		return;
	}
	if (session_sends(s) && !llist_empty(&l->outstanding)) {
		oldest = llist_first_entry(&l->outstanding, struct submit, list);
		if (t - oldest->sent_at >= cfg->response_timeout_s) {
			session_drop(s, "submit_sm unanswered");
			return;
		}
	}
	if (s->state == SESSION_BOUND && !s->waiting_since && cfg->enquire_link_s &&
	    t - s->last_enquire >= cfg->enquire_link_s) {
		enquire_link_t e = { .command_id = ENQUIRE_LINK, .sequence_number = session_seq(s) };
		s->last_enquire = t;
		session_wait(s, e.sequence_number);
		if (session_send(s, ENQUIRE_LINK, &e) < 0) {
			session_drop(s, "sending enquire_link failed");
			return;
		}
	}
	evtimer_add(s->tick, &tv);
}

static void session_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	session_connect(arg);
}

static void session_connect(struct smpp_session *s)
{
	struct smpp_link *l = s->link;
	struct timeval tv = { 1, 0 };

	s->generation = ++l->generation;
	s->next_seq = 0;
	s->bad_pdus = 0;
	s->state = SESSION_CONNECTING;
	session_wait(s, 0);
	evtimer_add(s->tick, &tv);
	s->bev = bufferevent_socket_new(l->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!s->bev) {
		session_drop(s, "out of memory");
		return;
	}
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	/* No DNS base: a name would be resolved blocking, so the host must be an address. */
	if (bufferevent_socket_connect_hostname(s->bev, NULL, AF_UNSPEC, l->cfg->host, l->cfg->port) < 0)
		session_drop(s, "connect failed");
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
	link_pump(arg);
}

static void pump_later(struct smpp_link *l, double wait)
{
	struct timeval tv = { (long)wait, (long)((wait - (long)wait) * 1e6) + 1000 };

	if (!evtimer_pending(l->pump, NULL))
		evtimer_add(l->pump, &tv);
}

/* Sends queued submits while the window, the throttle and the rate cap allow. */
static void link_pump(struct smpp_link *l)
{
	struct smpp_session *s = tx_session(l);
	double t;
	int rc;

	if (s->state != SESSION_BOUND)
		return;
	t = now_s();
	while (!llist_empty(&l->queue) && l->num_outstanding < l->cfg->window) {
		struct submit *sub = llist_first_entry(&l->queue, struct submit, list);
		submit_sm_t pdu = { 0 };

		if (t < l->throttled_until) {
			pump_later(l, l->throttled_until - t);
			return;
		}
		if (l->cfg->submit_rate) {
			if (t - l->rate_window >= 1.0) {
				l->rate_window = t;
				l->rate_sent = 0;
			}
			if (l->rate_sent >= l->cfg->submit_rate) {
				pump_later(l, 1.0 - (t - l->rate_window));
				return;
			}
		}
		pdu.command_id = SUBMIT_SM;
		pdu.sequence_number = sub->seq = session_seq(s);
		pdu.source_addr_ton = l->src_ton;
		pdu.source_addr_npi = l->src_npi;
		snprintf((char *)pdu.source_addr, sizeof(pdu.source_addr), "%s",
			 sub->src[0] ? sub->src : l->short_code);
		pdu.dest_addr_ton = 1;
		pdu.dest_addr_npi = 1;
		snprintf((char *)pdu.destination_addr, sizeof(pdu.destination_addr), "%s", sub->dst);
		pdu.esm_class = sub->esm_class;
		pdu.data_coding = sub->data_coding;
		pdu.registered_delivery = 0;
		pdu.sm_length = sub->msg_len;
		memcpy(pdu.short_message, sub->msg, sub->msg_len);
		rc = add_ussd_tlvs(&pdu, sub);
		if (rc == 0)
			rc = session_send(s, SUBMIT_SM, &pdu);
		if (pdu.tlv)
			destroy_tlv(pdu.tlv);
		if (rc < 0) {
			session_drop(s, "sending submit_sm failed");
			return;
		}
		sub->sent_at = t;
		llist_del(&sub->list);
		l->num_queued--;
		llist_add_tail(&sub->list, &l->outstanding);
		l->num_outstanding++;
		l->rate_sent++;
		l->stats.submitted++;
	}
}

int smpp_link_submit(struct smpp_link *l, const struct smpp_submit *in, void *cookie)
{
	struct submit *sub;

	if (in->msg_len > SMPP_LINK_MSG_MAX || strlen(in->dst) >= sizeof(sub->dst) ||
	    (in->src && strlen(in->src) >= sizeof(sub->src)))
		return -EINVAL;
	if (l->stopping || l->num_queued >= SMPP_LINK_QUEUE_MAX)
		return -EAGAIN;
	sub = talloc_zero(l, struct submit);
	if (!sub)
		return -ENOMEM;
	sub->cookie = cookie;
	snprintf(sub->dst, sizeof(sub->dst), "%s", in->dst);
	snprintf(sub->src, sizeof(sub->src), "%s", in->src ? in->src : "");
	sub->has_ussd_op = in->has_ussd_op;
	sub->ussd_op = in->ussd_op;
	sub->has_session_info = in->has_session_info;
	sub->session_info = in->session_info;
	sub->data_coding = in->data_coding;
	sub->esm_class = in->esm_class;
	memcpy(sub->msg, in->msg, in->msg_len);
	sub->msg_len = in->msg_len;
	llist_add_tail(&sub->list, &l->queue);
	l->num_queued++;
	link_pump(l);
	if (sub->sent_at == 0 && l->ops->submit_deferred)
		l->ops->submit_deferred(l, cookie);
	return 0;
}

int smpp_link_deliver_resp(struct smpp_link *l, uint64_t token, uint32_t status)
{
	for (unsigned i = 0; i < l->num_sessions; i++) {
		struct smpp_session *s = &l->sessions[i];

		if (s->generation != token >> 32)
			continue;
		if (s->state != SESSION_BOUND && s->state != SESSION_UNBINDING)
			break;
		answer_deliver(s, (uint32_t)token, status);
		return 0;
	}
	LOGPLINK(l, LOGL_INFO, "deliver_sm_resp %u for a closed connection dropped: the SMSC redelivers\n",
		 (uint32_t)token);
	return -ENOTCONN;
}

static int link_destructor(struct smpp_link *l)
{
	for (unsigned i = 0; i < l->num_sessions; i++) {
		struct smpp_session *s = &l->sessions[i];

		if (s->bev)
			bufferevent_free(s->bev);
		if (s->retry)
			event_free(s->retry);
		if (s->tick)
			event_free(s->tick);
	}
	if (l->pump)
		event_free(l->pump);
	return 0;
}

struct smpp_link *smpp_link_alloc(void *ctx, struct event_base *base,
				  const struct itin_smpp_link_config *cfg, const char *short_code,
				  const struct smpp_link_ops *ops, void *priv)
{
	static const struct smpp34_memory_functions smpp34_mem = {
		.malloc_fun = smpp34_ctx_malloc,
		.realloc_fun = smpp34_ctx_realloc,
		.free_fun = smpp34_ctx_free,
	};
	static bool smpp34_mem_set;
	struct smpp_link *l = talloc_zero(ctx, struct smpp_link);

	if (!l)
		return NULL;
	if (!smpp34_mem_set) {
		smpp34_set_memory_functions(&smpp34_mem);
		smpp34_mem_set = true;
	}
	talloc_set_destructor(l, link_destructor);
	l->name = talloc_strdup(l, cfg->name);
	l->short_code = talloc_strdup(l, short_code);
	l->pdu_buf = talloc_size(l, PDU_MAX + 1);
	l->payload = talloc_size(l, UINT16_MAX);
	l->unpacked = talloc_named_const(l, 0, "libsmpp34");
	l->src_ton = 0;
	l->src_npi = 1;
	l->cfg = cfg;
	l->ops = ops;
	l->priv = priv;
	l->base = base;
	INIT_LLIST_HEAD(&l->queue);
	INIT_LLIST_HEAD(&l->outstanding);
	l->num_sessions = cfg->bind_mode == ITIN_SMPP_BIND_SPLIT ? 2 : 1;
	l->pump = evtimer_new(base, pump_cb, l);
	for (unsigned i = 0; i < l->num_sessions; i++) {
		struct smpp_session *s = &l->sessions[i];
		s->link = l;
		s->role = l->num_sessions == 1 ? ROLE_TRX : i == 0 ? ROLE_TX : ROLE_RX;
		s->backoff_ms = BACKOFF_MIN_MS;
		s->retry = evtimer_new(base, session_retry_cb, s);
		s->tick = evtimer_new(base, session_tick_cb, s);
		if (!s->retry || !s->tick)
			goto fail;
	}
	if (!l->name || !l->short_code || !l->pdu_buf || !l->payload || !l->unpacked || !l->pump)
		goto fail;
	return l;
fail:
	talloc_free(l);
	return NULL;
}

void smpp_link_set_source(struct smpp_link *l, uint8_t ton, uint8_t npi)
{
	l->src_ton = ton;
	l->src_npi = npi;
}

int smpp_link_start(struct smpp_link *l)
{
	if (l->stopping)
		return -EINVAL;
	for (unsigned i = 0; i < l->num_sessions; i++) {
		if (l->sessions[i].state == SESSION_DOWN && !evtimer_pending(l->sessions[i].retry, NULL))
			session_connect(&l->sessions[i]);
	}
	return 0;
}

void smpp_link_stop(struct smpp_link *l, void (*stopped)(struct smpp_link *, void *), void *arg)
{
	l->stopping = true;
	l->stopped = stopped;
	l->stopped_arg = arg;
	evtimer_del(l->pump);
	link_report(l);
	for (unsigned i = 0; i < l->num_sessions; i++) {
		struct smpp_session *s = &l->sessions[i];

		evtimer_del(s->retry);
		if (s->state == SESSION_BOUND) {
			unbind_t u = { .command_id = UNBIND, .sequence_number = session_seq(s) };
			s->state = SESSION_UNBINDING;
			session_wait(s, u.sequence_number);
			if (session_send(s, UNBIND, &u) < 0)
				session_drop(s, "sending unbind failed");
		} else if (s->state != SESSION_UNBINDING && s->state != SESSION_CLOSING) {
			session_drop(s, "stopping");
		}
	}
	stopped_check(l);
}

bool smpp_link_is_bound(const struct smpp_link *l)
{
	return l->reported_up;
}

void *smpp_link_priv(struct smpp_link *l)
{
	return l->priv;
}

const char *smpp_link_name(const struct smpp_link *l)
{
	return l->name;
}

void smpp_link_get_stats(const struct smpp_link *l, struct smpp_link_stats *st)
{
	*st = l->stats;
	st->outstanding = l->num_outstanding;
	st->queued = l->num_queued;
}
