/*
 * GSUP link internals. Frames are IPA: a 16-bit length, a protocol octet (0xFE for CCM,
 * 0xEE + extension 0x05 for GSUP), the payload. osmo-hlr asks for our identity (ID_GET) and we
 * answer with libosmocore's CCM builder; the link counts as up once it has sent the identity.
 * We PING every 10 s and drop a link whose peer has been silent for 30 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <osmocom/core/msgb.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsm/protocol/ipaccess.h>
#include <talloc.h>

#include "common/log.h"
#include "ussd/gsup_link.h"

#define PING_S 10
#define SILENCE_MAX_S 30
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
/* libosmocore (1.7 and later) builds the identity response in a 1200-octet msgb and aborts
 * the process when the tags asked for do not fit (each answer takes up to 67 octets). Each tag
 * asked for takes two octets (length 1, tag); osmo-hlr asks for 8. */
#define ID_GET_TAGS_MAX 16

struct gsup_link {
	struct event_base *base;
	char *host;
	uint16_t port;
	char *unit_name;		/* EUSE-<name> */
	const struct gsup_link_ops *ops;
	void *priv;
	struct bufferevent *bev;
	bool up;
	bool stopping;
	struct event *retry, *tick;
	unsigned backoff_ms;
	time_t last_heard;
	struct itin_log_limit log_undecodable;	/* a peer may send any number of them */
};

#define LOGPG(l, level, fmt, args...) LOGP(DGSUP, level, "gsup %s:%u: " fmt, (l)->host, (l)->port, ##args)

static void link_connect(struct gsup_link *l);

static void link_drop(struct gsup_link *l, const char *why)
{
	struct timeval tv;
	bool was_up = l->up;

	LOGPG(l, LOGL_NOTICE, "closed: %s\n", why);
	if (l->bev) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	l->up = false;
	evtimer_del(l->tick);
	if (was_up)
		l->ops->connected(l, false);
	if (l->stopping)
		return;
	tv.tv_sec = l->backoff_ms / 1000;
	tv.tv_usec = (l->backoff_ms % 1000) * 1000 + random() % 200000;
	tv.tv_sec += tv.tv_usec / 1000000;
	tv.tv_usec %= 1000000;
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
	evtimer_add(l->retry, &tv);
}

static void send_frame(struct gsup_link *l, uint8_t proto, const uint8_t *data, size_t len)
{
	uint8_t hdr[3] = { len >> 8, len & 0xff, proto };

	bufferevent_write(l->bev, hdr, 3);
	bufferevent_write(l->bev, data, len);
}

static void on_ccm(struct gsup_link *l, const uint8_t *body, size_t len)
{
	struct ipaccess_unit unit = { .unit_name = l->unit_name, .serno = l->unit_name };
	uint8_t pong = IPAC_MSGT_PONG;
	struct msgb *msg;

	switch (body[0]) {
	case IPAC_MSGT_PING:
		send_frame(l, IPAC_PROTO_IPACCESS, &pong, 1);
		break;
	case IPAC_MSGT_ID_GET:
		if (len - 1 > 2 * ID_GET_TAGS_MAX) {
			link_drop(l, "identity request for more tags than we answer");
			return;
		}
		msg = ipa_ccm_make_id_resp_from_req(&unit, body + 1, len - 1);
		if (!msg) {
			link_drop(l, "cannot build the identity response");
			return;
		}
		bufferevent_write(l->bev, msgb_data(msg), msgb_length(msg));	/* with its IPA header */
		msgb_free(msg);
		if (!l->up) {
			l->up = true;
			l->backoff_ms = BACKOFF_MIN_MS;
			LOGPG(l, LOGL_NOTICE, "identified as %s\n", l->unit_name);
			l->ops->connected(l, true);
		}
		break;
	default:
		break;	/* PONG, ID_ACK: nothing to do */
	}
}

static void on_gsup(struct gsup_link *l, const uint8_t *data, size_t len)
{
	struct osmo_gsup_message msg;
	int rc = osmo_gsup_decode(data, len, &msg);

	if (rc < 0) {
		LOGP_LIMITED(&l->log_undecodable, DGSUP, LOGL_NOTICE,
			     "gsup %s:%u: undecodable GSUP message (%d), ignored", l->host, l->port, rc);
		return;
	}
	l->ops->received(l, &msg);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct gsup_link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[3];

	l->last_heard = time(NULL);
	while (l->bev && evbuffer_get_length(in) >= 3) {
		size_t len;
		uint8_t *frame;

		evbuffer_copyout(in, hdr, 3);
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < 3 + len)
			return;
		frame = evbuffer_pullup(in, 3 + len);
		if (len >= 1 && hdr[2] == IPAC_PROTO_IPACCESS)
			on_ccm(l, frame + 3, len);
		else if (len >= 1 && hdr[2] == IPAC_PROTO_OSMO && frame[3] == IPAC_PROTO_EXT_GSUP)
			on_gsup(l, frame + 4, len - 1);
		if (l->bev)
			evbuffer_drain(in, 3 + len);
	}
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gsup_link *l = arg;
	uint8_t ping = IPAC_MSGT_PING;
	struct timeval tv = { PING_S, 0 };

	if (time(NULL) - l->last_heard > SILENCE_MAX_S) {
		link_drop(l, "osmo-hlr silent");
		return;
	}
	send_frame(l, IPAC_PROTO_IPACCESS, &ping, 1);
	evtimer_add(l->tick, &tv);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct gsup_link *l = arg;
	struct timeval tv = { PING_S, 0 };

	if (what & BEV_EVENT_CONNECTED) {
		l->last_heard = time(NULL);
		evtimer_add(l->tick, &tv);
		return;
	}
	link_drop(l, what & BEV_EVENT_EOF ? "closed by osmo-hlr" : "connection error");
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect(arg);
}

static void link_connect(struct gsup_link *l)
{
	l->bev = bufferevent_socket_new(l->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!l->bev) {
		link_drop(l, "out of memory");
		return;
	}
	bufferevent_setcb(l->bev, read_cb, NULL, event_cb, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(l->bev, NULL, AF_INET, l->host, l->port) < 0)
		link_drop(l, "connect failed");
}

static int link_destructor(struct gsup_link *l)
{
	if (l->bev)
		bufferevent_free(l->bev);
	if (l->retry)
		event_free(l->retry);
	if (l->tick)
		event_free(l->tick);
	return 0;
}

struct gsup_link *gsup_link_alloc(void *ctx, struct event_base *base, const char *host, uint16_t port,
				  const char *euse_name, const struct gsup_link_ops *ops, void *priv)
{
	struct gsup_link *l = talloc_zero(ctx, struct gsup_link);

	if (!l)
		return NULL;
	talloc_set_destructor(l, link_destructor);
	l->base = base;
	l->host = talloc_strdup(l, host);
	l->port = port;
	l->unit_name = talloc_asprintf(l, "EUSE-%s", euse_name);
	l->ops = ops;
	l->priv = priv;
	l->backoff_ms = BACKOFF_MIN_MS;
	l->retry = evtimer_new(base, retry_cb, l);
	l->tick = evtimer_new(base, tick_cb, l);
	if (!l->host || !l->unit_name || !l->retry || !l->tick) {
		talloc_free(l);
		return NULL;
	}
	return l;
}

int gsup_link_start(struct gsup_link *l)
{
	l->stopping = false;
	l->backoff_ms = BACKOFF_MIN_MS;
	link_connect(l);
	return 0;
}

void gsup_link_stop(struct gsup_link *l)
{
	l->stopping = true;
	evtimer_del(l->retry);
	if (l->bev)
		link_drop(l, "stopping");
}

int gsup_link_send(struct gsup_link *l, const struct osmo_gsup_message *gmsg)
{
	struct msgb *msg;
	int rc;

	if (!l->up)
		return -ENOTCONN;
	msg = msgb_alloc_headroom(4096, 64, "gsup");
	if (!msg)
		return -ENOMEM;
	rc = osmo_gsup_encode(msg, gmsg);
	if (rc == 0) {
		ipa_prepend_header_ext(msg, IPAC_PROTO_EXT_GSUP);
		ipa_prepend_header(msg, IPAC_PROTO_OSMO);
		bufferevent_write(l->bev, msgb_data(msg), msgb_length(msg));
	}
	msgb_free(msg);
	return rc;
}

bool gsup_link_is_up(const struct gsup_link *l)
{
	return l->up;
}

void *gsup_link_priv(struct gsup_link *l)
{
	return l->priv;
}
