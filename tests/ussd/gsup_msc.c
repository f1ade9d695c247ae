/*
 * gsup_msc: plays osmo-msc toward a real osmo-hlr over GSUP (IPA on TCP), for the USSD tests
 * and the USSD benchmark. It relays a handset's USSD as osmo-msc does: PROC_SS_REQUEST with the
 * Facility IE's components (BEGIN: Invoke processUnstructuredSS-Request; CONTINUE: ReturnResult
 * of the network's unstructuredSS-Request; END), and prints every answer as the handset would
 * see it: whether the session continues or ends, and the text, decoded here from 7-bit or UCS2
 * independently of itinerad's codecs, or the error. It is a test tool on libevent with
 * libosmocore's IPA and GSUP codecs, not part of the daemon; it must not share code with
 * ussd/, whose answers it checks.
 *
 * usage: gsup_msc --port PORT [--name IPA_NAME] [--forward-to NAME] [--timeout SECONDS] STEP...
 *   begin IMSI SID TEXT      the handset dials TEXT (GSM 7-bit)
 *   continue IMSI SID TEXT   the handset answers the menu on its screen
 *   end IMSI SID             the handset releases (END without a facility)
 *   raw IMSI SID STATE HEX   PROC_SS_REQUEST, STATE begin|continue|end, these facility octets
 *   expect [N]               wait for N more answers (default 1), at most --timeout seconds
 *   wait SECONDS             let answers come in for SECONDS
 *   reconnect                wait until the link to osmo-hlr has been re-established
 *   exec COMMAND             run COMMAND with sh -c and wait for it (not printed)
 *   note TEXT                print "-- TEXT"
 * Sent requests are printed ">> IMSI/SID ...", answers "<< IMSI/SID ...", link events "-- ...".
 * Exit: 0, or 1 when an expect or a reconnect timed out. With --forward-to, every message
 * carries our name as source_name and NAME as destination_name, so that osmo-hlr forwards it
 * to the GSUP peer of that name instead of handling it (what any GSUP client can do).
 *
 * usage: gsup_msc --port PORT [--name IPA_NAME] load --imsi-base IMSI --subscribers N
 *                 --duration SECONDS (--outstanding C | --rate R) [--text TEXT] [--warmup S]
 *   sessions from distinct subscribers (IMSI base+0 .. base+N-1, permuted), each a BEGIN
 *   expected to end with one END page (a CONTINUE page is answered "0" and counted as
 *   multi-page); latency from the BEGIN (or its scheduled time) to the END. Sessions begun in
 *   the first S seconds of --warmup are answered but not counted (the new PostgreSQL backends
 *   of a freshly started itinerad first map the shared buffers they touch, as in
 *   bench/smsc_load.c); --duration includes them. Prints one line:
 *   completed C seconds S rate R p50 A p99 B p99.9 C multi M errors E unanswered U
 *
 * usage: gsup_msc --port PORT [--name IPA_NAME] crowd --imsi-base IMSI --sessions N
 *                 [--answer TEXT] [--window W] [--exec COMMAND] [--timeout SECONDS]
 *   N sessions at once, from IMSI base+0 .. base+N-1 (session ids 1 .. N): all the BEGINs
 *   "*#14#", then, once every session has its first screen (or after the timeout), COMMAND
 *   runs (sh -c) while they are all open, then every menu is answered with TEXT (default
 *   "1"; with --window, at most W sessions at a time wait for what follows), and every
 *   further menu too, until each session has ended. Prints, for each of the two rounds, each
 *   distinct answer with the number of sessions that got it, then a count of the sessions
 *   ended, still open and unanswered. Exit 0 when every session ended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm0480.h>
#include <osmocom/gsm/gsm_utils.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsm/protocol/gsm_04_08_gprs.h>
#include <osmocom/gsm/protocol/gsm_04_80.h>
#include <osmocom/gsm/protocol/ipaccess.h>

#include "bench/load_common.h"

#define DCS_GSM7 0x0f
#define RETRY_MS 100
#define LOAD_SLOTS (1u << 16)	/* sessions in flight at most; a session's slot: its id's low bits */
#define LOAD_UP_WITHIN_S 10	/* the link to osmo-hlr must be up by then, else nothing to measure */

/* --- the link: IPA framing, identity, PING/PONG, reconnection ------------------------------- */

static struct {
	struct event_base *base;
	struct bufferevent *bev;
	uint16_t port;
	char *name;
	const char *forward_to;		/* destination_name of every message, or NULL */
	bool up;
	unsigned ups;			/* identifications so far */
	struct event *retry;
	void (*on_up)(void);
	void (*on_gsup)(const struct osmo_gsup_message *m);
	bool quiet;			/* load mode: no link messages */
} link_;

static void link_connect(void);

static void link_drop(const char *why)
{
	struct timeval tv = { 0, RETRY_MS * 1000 };

	if (link_.bev) {
		bufferevent_free(link_.bev);
		link_.bev = NULL;
	}
	if (link_.up && !link_.quiet) {
		printf("-- link down: %s\n", why);
		fflush(stdout);
	}
	link_.up = false;
	evtimer_add(link_.retry, &tv);
}

static void link_write(const uint8_t *data, size_t len)
{
	if (link_.bev)
		bufferevent_write(link_.bev, data, len);
}

static void on_ccm(const uint8_t *body, size_t len)
{
	struct ipaccess_unit unit = { .unit_name = link_.name, .serno = link_.name };
	const uint8_t pong[] = { 0, 1, IPAC_PROTO_IPACCESS, IPAC_MSGT_PONG };
	struct msgb *msg;

	switch (body[0]) {
	case IPAC_MSGT_PING:
		link_write(pong, sizeof(pong));
		break;
	case IPAC_MSGT_ID_GET:
		msg = ipa_ccm_make_id_resp_from_req(&unit, body + 1, len - 1);
		if (!msg) {
			link_drop("cannot build the identity response");
			return;
		}
		link_write(msgb_data(msg), msgb_length(msg));
		msgb_free(msg);
		if (!link_.up) {
			link_.up = true;
			link_.ups++;
			if (!link_.quiet) {
				printf("-- link up\n");
				fflush(stdout);
			}
			link_.on_up();
		}
		break;
	default:
		break;
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[3];

	while (link_.bev && evbuffer_get_length(in) >= 3) {
		struct osmo_gsup_message m;
		uint8_t *frame;
		size_t len;

		evbuffer_copyout(in, hdr, 3);
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < 3 + len)
			return;
		frame = evbuffer_pullup(in, 3 + len);
		if (len >= 1 && hdr[2] == IPAC_PROTO_IPACCESS) {
			on_ccm(frame + 3, len);
		} else if (len >= 1 && hdr[2] == IPAC_PROTO_OSMO && frame[3] == IPAC_PROTO_EXT_GSUP) {
			if (osmo_gsup_decode(frame + 4, len - 1, &m) < 0)
				printf("<< undecodable GSUP message\n");
			else
				link_.on_gsup(&m);
		}
		if (link_.bev)
			evbuffer_drain(in, 3 + len);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return;
	}
	link_drop(what & BEV_EVENT_EOF ? "closed by osmo-hlr" : "connection error");
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect();
}

static void link_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(link_.port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	link_.bev = bufferevent_socket_new(link_.base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(link_.bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(link_.bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(link_.bev, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		link_drop("connect failed");
}

static int send_ss(const char *imsi, uint32_t id, enum osmo_gsup_session_state state,
		   const uint8_t *facility, size_t len)
{
	struct osmo_gsup_message m = {
		.message_type = OSMO_GSUP_MSGT_PROC_SS_REQUEST,
		.session_id = id,
		.session_state = state,
		.message_class = OSMO_GSUP_MESSAGE_CLASS_USSD,
		.ss_info = (uint8_t *)facility,
		.ss_info_len = len,
	};
	struct msgb *msg;
	int rc;

	if (!link_.up)
		return -ENOTCONN;
	OSMO_STRLCPY_ARRAY(m.imsi, imsi);
	if (link_.forward_to) {
		m.source_name = (const uint8_t *)link_.name;
		m.source_name_len = strlen(link_.name) + 1;
		m.destination_name = (const uint8_t *)link_.forward_to;
		m.destination_name_len = strlen(link_.forward_to) + 1;
	}
	msg = msgb_alloc_headroom(1024, 64, "gsup");
	rc = osmo_gsup_encode(msg, &m);
	if (rc == 0) {
		ipa_prepend_header_ext(msg, IPAC_PROTO_EXT_GSUP);
		ipa_prepend_header(msg, IPAC_PROTO_OSMO);
		link_write(msgb_data(msg), msgb_length(msg));
	}
	msgb_free(msg);
	return rc;
}

/* --- components: what a handset sends, what it reads --------------------------------------- */

/* A handset's component with a 7-bit USSD string: the Invoke processUnstructuredSS-Request
 * (BEGIN) or the ReturnResult of the network's unstructuredSS-Request (CONTINUE). Short BER
 * lengths only, as osmo-msc writes them. */
static size_t build_ussd(uint8_t *out, bool invoke, uint8_t invoke_id, const char *text)
{
	uint8_t packed[160];
	int plen = 0;
	size_t arg, op, n = 0;

	gsm_7bit_encode_n_ussd(packed, sizeof(packed), text, &plen);
	arg = 3 + 2 + (size_t)plen;
	op = 3 + 2 + arg;
	out[n++] = invoke ? GSM0480_CTYPE_INVOKE : GSM0480_CTYPE_RETURN_RESULT;
	out[n++] = (uint8_t)(3 + (invoke ? op : 2 + op));
	out[n++] = GSM0480_COMPIDTAG_INVOKE_ID;
	out[n++] = 1;
	out[n++] = invoke_id;
	if (!invoke) {
		out[n++] = GSM_0480_SEQUENCE_TAG;
		out[n++] = (uint8_t)op;
	}
	out[n++] = GSM0480_OPERATION_CODE;
	out[n++] = 1;
	out[n++] = invoke ? GSM0480_OP_CODE_PROCESS_USS_REQ : GSM0480_OP_CODE_USS_REQUEST;
	out[n++] = GSM_0480_SEQUENCE_TAG;
	out[n++] = (uint8_t)arg;
	out[n++] = ASN1_OCTET_STRING_TAG;
	out[n++] = 1;
	out[n++] = DCS_GSM7;
	out[n++] = ASN1_OCTET_STRING_TAG;
	out[n++] = (uint8_t)plen;
	memcpy(out + n, packed, plen);
	return n + plen;
}

/* One BER TLV at *p (short or long form length, at most two length octets); -1 if it does not
 * fit before end. */
static int ber_next(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val,
		    size_t *len)
{
	const uint8_t *q = *p;
	size_t l;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	l = *q++;
	if (l == 0x81 || l == 0x82) {
		unsigned k = l & 0x7f;

		if ((size_t)(end - q) < k)
			return -1;
		l = 0;
		while (k--)
			l = l << 8 | *q++;
	} else if (l & 0x80) {
		return -1;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

static void utf16be_to_utf8(const uint8_t *in, size_t len, char *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i + 1 < len && n + 5 < max; i += 2) {
		uint32_t c = (uint32_t)in[i] << 8 | in[i + 1];

		if (c >= 0xd800 && c < 0xdc00 && i + 3 < len) {
			uint32_t lo = (uint32_t)in[i + 2] << 8 | in[i + 3];

			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		if (c < 0x80) {
			out[n++] = (char)c;
		} else if (c < 0x800) {
			out[n++] = (char)(0xc0 | c >> 6);
			out[n++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[n++] = (char)(0xe0 | c >> 12);
			out[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[n++] = (char)(0xf0 | c >> 18);
			out[n++] = (char)(0x80 | (c >> 12 & 0x3f));
			out[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	if (len % 2)
		n += snprintf(out + n, max - n, "<odd octet>");
	out[n] = '\0';
}

/* The text of a ussd-Arg / ussd-Res SEQUENCE, as "CODING: text" with newlines as \n. */
static void print_ussd_arg(FILE *out, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *dcs, *str;
	size_t dcs_len, str_len;
	uint8_t tag1, tag2;
	char text[1024], shown[2048], *o = shown;

	if (ber_next(&p, end, &tag1, &dcs, &dcs_len) < 0 || ber_next(&p, end, &tag2, &str, &str_len) < 0
	    || tag1 != ASN1_OCTET_STRING_TAG || tag2 != ASN1_OCTET_STRING_TAG || dcs_len != 1) {
		fprintf(out, "unreadable ussd-String");
		return;
	}
	if (dcs[0] == DCS_GSM7) {
		/* Not gsm_7bit_decode_n_ussd(): libosmocore 1.7 drops the last character whenever
		 * the last octet's high 7 bits read CR, spare bits or not ("2 No" becomes "2 N"). */
		int septets = (int)(str_len * 8 / 7);
		int n = gsm_7bit_decode_n(text, sizeof(text), str, (uint8_t)septets);

		if (septets % 8 == 0 && n > 0 && text[n - 1] == '\r')
			text[n - 1] = '\0';
		fprintf(out, "7bit: ");
	} else if ((dcs[0] & 0xf0) == 0x40 && (dcs[0] & 0x0c) == 0x08) {
		utf16be_to_utf8(str, str_len, text, sizeof(text));
		fprintf(out, "UCS2: ");
	} else {
		fprintf(out, "DCS 0x%02x: %s", dcs[0], osmo_hexdump_nospc(str, str_len));
		return;
	}
	for (const char *c = text; *c && o < shown + sizeof(shown) - 3; c++) {
		if (*c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	fprintf(out, "%s", shown);
}

static const struct value_string error_names[] = {
	{ GSM0480_ERR_CODE_UNKNOWN_SUBSCRIBER, "unknownSubscriber" },
	{ GSM0480_ERR_CODE_SS_NOT_AVAILABLE, "ss-NotAvailable" },
	{ GSM0480_ERR_CODE_FACILITY_NOT_SUPPORTED, "facilityNotSupported" },
	{ GSM0480_ERR_CODE_SYSTEM_FAILURE, "systemFailure" },
	{ GSM0480_ERR_CODE_DATA_MISSING, "dataMissing" },
	{ GSM0480_ERR_CODE_UNEXPECTED_DATA_VALUE, "unexpectedDataValue" },
	{ GSM0480_ERR_CODE_UNKNOWN_ALPHABET, "unknownAlphabet" },
	{ GSM0480_ERR_CODE_USSD_BUSY, "ussd-Busy" },
	{ 0, NULL }
};

/* Facility components as a handset shows them: "menu" (the network's Invoke
 * unstructuredSS-Request, awaiting an answer), "result" (the ReturnResult of our
 * processUnstructuredSS-Request), "notify", or the error. Returns the network's invoke id of a
 * menu, else -1. */
static int print_facility(FILE *out, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *comp, *q, *v, *qend;
	size_t comp_len, l;
	uint8_t ctype, tag, invoke_id = 0, op = 0;
	int menu = -1;

	if (ber_next(&p, end, &ctype, &comp, &comp_len) < 0) {
		fprintf(out, "undecodable facility %s", osmo_hexdump_nospc(p, len));
		return -1;
	}
	q = comp;
	qend = comp + comp_len;
	if (ber_next(&q, qend, &tag, &v, &l) == 0 && tag == GSM0480_COMPIDTAG_INVOKE_ID && l == 1)
		invoke_id = v[0];
	switch (ctype) {
	case GSM0480_CTYPE_INVOKE:
		if (ber_next(&q, qend, &tag, &v, &l) < 0)
			break;
		if (tag == GSM0480_COMPIDTAG_LINKED_ID && ber_next(&q, qend, &tag, &v, &l) < 0)
			break;
		if (tag != GSM0480_OPERATION_CODE || l != 1)
			break;
		op = v[0];
		if (ber_next(&q, qend, &tag, &v, &l) < 0 || tag != GSM_0480_SEQUENCE_TAG)
			break;
		if (op == GSM0480_OP_CODE_USS_REQUEST) {
			fprintf(out, "menu ");
			menu = invoke_id;
		} else {
			fprintf(out, "Invoke %s ", gsm0480_op_code_name(op));
		}
		print_ussd_arg(out, v, l);
		return menu;
	case GSM0480_CTYPE_RETURN_RESULT:
		if (ber_next(&q, qend, &tag, &v, &l) < 0 || tag != GSM_0480_SEQUENCE_TAG)
			break;
		q = v;
		qend = v + l;
		if (ber_next(&q, qend, &tag, &v, &l) < 0 || tag != GSM0480_OPERATION_CODE || l != 1)
			break;
		op = v[0];
		if (ber_next(&q, qend, &tag, &v, &l) < 0 || tag != GSM_0480_SEQUENCE_TAG)
			break;
		if (op == GSM0480_OP_CODE_PROCESS_USS_REQ)
			fprintf(out, "result ");
		else
			fprintf(out, "ReturnResult %s ", gsm0480_op_code_name(op));
		print_ussd_arg(out, v, l);
		return -1;
	case GSM0480_CTYPE_RETURN_ERROR:
		if (ber_next(&q, qend, &tag, &v, &l) < 0 || l != 1)
			break;
		fprintf(out, "ReturnError %s (invoke %u)", get_value_string(error_names, v[0]), invoke_id);
		return -1;
	case GSM0480_CTYPE_REJECT:
		fprintf(out, "Reject (invoke %u) %s", invoke_id, osmo_hexdump_nospc(comp, comp_len));
		return -1;
	}
	fprintf(out, "unexpected component %s", osmo_hexdump_nospc(comp - 2, comp_len + 2));
	return -1;
}

/* An answer from the network as the handset sees it (after "<< IMSI/SID "): the session state
 * and the facility, or the error. Returns the network's invoke id of a menu, else -1. */
static int describe(FILE *out, const struct osmo_gsup_message *m)
{
	const char *state = m->session_state == OSMO_GSUP_SESSION_STATE_END ? "END" :
			    m->session_state == OSMO_GSUP_SESSION_STATE_CONTINUE ? "CONTINUE" :
			    osmo_gsup_session_state_name(m->session_state);

	switch (m->message_type) {
	case OSMO_GSUP_MSGT_PROC_SS_REQUEST:
	case OSMO_GSUP_MSGT_PROC_SS_RESULT:
		fprintf(out, "%s ", state);
		if (!m->ss_info_len) {
			fprintf(out, "without facility");
			return -1;
		}
		return print_facility(out, m->ss_info, m->ss_info_len);
	case OSMO_GSUP_MSGT_PROC_SS_ERROR:
		fprintf(out, "PROC_SS_ERROR %s cause %u (%s)", state, m->cause,
			get_value_string(gsm48_gmm_cause_names, m->cause));
		return -1;
	default:
		fprintf(out, "%s", osmo_gsup_message_type_name(m->message_type));
		return -1;
	}
}

/* --- scenario mode ------------------------------------------------------------------------- */

struct session {
	char imsi[OSMO_IMSI_BUF_SIZE];
	uint32_t id;
	uint8_t next_invoke;		/* the handset's */
	uint8_t menu_invoke;		/* the network's unstructuredSS-Request being answered */
};

static struct {
	char **steps;
	int num_steps, next;
	unsigned timeout_s;
	unsigned expecting;
	unsigned ups_before;		/* reconnect: identifications when the step began */
	enum { IDLE, EXPECT, WAIT, RECONNECT } blocked;
	struct event *timer;
	struct session sessions[64];
	unsigned num_sessions;
	int rc;
} sc;

static struct session *session_get(const char *imsi, const char *sid)
{
	uint32_t id = (uint32_t)strtoul(sid, NULL, 0);
	struct session *s;

	for (unsigned i = 0; i < sc.num_sessions; i++) {
		if (sc.sessions[i].id == id && strcmp(sc.sessions[i].imsi, imsi) == 0)
			return &sc.sessions[i];
	}
	if (sc.num_sessions == ARRAY_SIZE(sc.sessions)) {
		fprintf(stderr, "gsup_msc: too many sessions\n");
		exit(2);
	}
	s = &sc.sessions[sc.num_sessions++];
	OSMO_STRLCPY_ARRAY(s->imsi, imsi);
	s->id = id;
	s->next_invoke = 1;
	s->menu_invoke = 1;
	return s;
}

static void run_steps(void);

static void block(int kind, double seconds)
{
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6) };

	sc.blocked = kind;
	evtimer_add(sc.timer, &tv);
}

static void unblock(void)
{
	sc.blocked = IDLE;
	evtimer_del(sc.timer);
	run_steps();
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	if (sc.blocked == EXPECT) {
		printf("-- no answer within %u s (%u missing)\n", sc.timeout_s, sc.expecting);
		sc.rc = 1;
	} else if (sc.blocked == RECONNECT) {
		printf("-- link not up within %u s\n", sc.timeout_s);
		sc.rc = 1;
	}
	fflush(stdout);
	sc.blocked = IDLE;
	run_steps();
}

static void sent(const char *imsi, uint32_t id, const char *what, const char *text, int rc)
{
	printf(">> %s/%" PRIu32 " %s%s%s%s\n", imsi, id, what, text ? " " : "", text ? text : "",
	       rc == -ENOTCONN ? " (not sent: link down)" : rc < 0 ? " (not sent: encoding failed)" : "");
}

static int parse_state(const char *s)
{
	if (!strcmp(s, "begin"))
		return OSMO_GSUP_SESSION_STATE_BEGIN;
	if (!strcmp(s, "continue"))
		return OSMO_GSUP_SESSION_STATE_CONTINUE;
	if (!strcmp(s, "end"))
		return OSMO_GSUP_SESSION_STATE_END;
	return -1;
}

static void need(int n)
{
	if (sc.next + n > sc.num_steps) {
		fprintf(stderr, "gsup_msc: step '%s' needs %d arguments\n", sc.steps[sc.next - 1], n);
		exit(2);
	}
}

static void run_steps(void)
{
	while (sc.blocked == IDLE && sc.next < sc.num_steps) {
		const char *step = sc.steps[sc.next++];
		uint8_t facility[256];
		struct session *s;
		size_t len;
		int rc;

		if (!strcmp(step, "begin") || !strcmp(step, "continue")) {
			bool begin = step[0] == 'b';

			need(3);
			s = session_get(sc.steps[sc.next], sc.steps[sc.next + 1]);
			len = build_ussd(facility, begin, begin ? s->next_invoke++ : s->menu_invoke,
					 sc.steps[sc.next + 2]);
			rc = send_ss(s->imsi, s->id, begin ? OSMO_GSUP_SESSION_STATE_BEGIN :
				     OSMO_GSUP_SESSION_STATE_CONTINUE, facility, len);
			sent(s->imsi, s->id, begin ? "BEGIN" : "CONTINUE", sc.steps[sc.next + 2], rc);
			sc.next += 3;
		} else if (!strcmp(step, "end")) {
			need(2);
			s = session_get(sc.steps[sc.next], sc.steps[sc.next + 1]);
			rc = send_ss(s->imsi, s->id, OSMO_GSUP_SESSION_STATE_END, NULL, 0);
			sent(s->imsi, s->id, "END", NULL, rc);
			sc.next += 2;
		} else if (!strcmp(step, "raw")) {
			int state, n;

			need(4);
			s = session_get(sc.steps[sc.next], sc.steps[sc.next + 1]);
			state = parse_state(sc.steps[sc.next + 2]);
			n = osmo_hexparse(sc.steps[sc.next + 3], facility, sizeof(facility));
			if (state < 0 || n < 0) {
				fprintf(stderr, "gsup_msc: raw IMSI SID begin|continue|end HEX\n");
				exit(2);
			}
			rc = send_ss(s->imsi, s->id, state, facility, n);
			printf(">> %s/%" PRIu32 " %s facility %s%s\n", s->imsi, s->id,
			       osmo_gsup_session_state_name(state), sc.steps[sc.next + 3],
			       rc < 0 ? " (not sent)" : "");
			sc.next += 4;
		} else if (!strcmp(step, "expect")) {
			sc.expecting = 1;
			if (sc.next < sc.num_steps && strspn(sc.steps[sc.next], "0123456789") ==
			    strlen(sc.steps[sc.next]))
				sc.expecting = (unsigned)atoi(sc.steps[sc.next++]);
			if (sc.expecting)
				block(EXPECT, sc.timeout_s);
		} else if (!strcmp(step, "wait")) {
			need(1);
			block(WAIT, atof(sc.steps[sc.next++]));
		} else if (!strcmp(step, "reconnect")) {
			sc.ups_before = link_.ups;
			block(RECONNECT, sc.timeout_s);
		} else if (!strcmp(step, "exec")) {
			need(1);
			fflush(stdout);
			rc = system(sc.steps[sc.next++]);
			if (rc != 0)
				printf("-- exec: status %d\n", rc);
		} else if (!strcmp(step, "note")) {
			need(1);
			printf("-- %s\n", sc.steps[sc.next++]);
		} else {
			fprintf(stderr, "gsup_msc: unknown step '%s'\n", step);
			exit(2);
		}
		fflush(stdout);
	}
	if (sc.blocked == IDLE && sc.next >= sc.num_steps)
		event_base_loopbreak(link_.base);
}

static void scenario_gsup(const struct osmo_gsup_message *m)
{
	char sid[16];
	int menu;

	printf("<< %s/%" PRIu32 " ", m->imsi, m->session_id);
	menu = describe(stdout, m);
	if (menu >= 0) {
		snprintf(sid, sizeof(sid), "%" PRIu32, m->session_id);
		session_get(m->imsi, sid)->menu_invoke = (uint8_t)menu;
	}
	printf("\n");
	fflush(stdout);
	if (sc.blocked == EXPECT && --sc.expecting == 0)
		unblock();
}

static void scenario_up(void)
{
	if (sc.blocked == RECONNECT && link_.ups > sc.ups_before)
		unblock();
}

/* --- load mode ----------------------------------------------------------------------------- */

struct slot {
	double started;			/* 0: free */
	uint32_t id;
	bool multi;
};

static struct {
	uint64_t imsi_base;
	unsigned imsi_width;
	uint32_t subscribers, stride, next_sub;
	double duration, warmup, rate, start, stop_at, next_due;
	unsigned outstanding, in_flight;
	const char *text;
	uint32_t next_id;
	struct slot *slots;
	double *latency;
	size_t num_latency, size_latency;
	uint64_t completed, multi, errors, stale;
	bool sending;
	struct event *tick;
} ld;

static void load_imsi(uint32_t sub, char *out, size_t max)
{
	snprintf(out, max, "%0*" PRIu64, ld.imsi_width, ld.imsi_base + sub);
}

static void load_send(double scheduled)
{
	char imsi[OSMO_IMSI_BUF_SIZE];
	uint8_t facility[64];
	struct slot *s;
	uint32_t id = ld.next_id++;
	uint32_t sub = (uint32_t)(((uint64_t)ld.next_sub++ * ld.stride) % ld.subscribers);

	if (ld.next_id == 0)
		ld.next_id = 1;
	s = &ld.slots[id % LOAD_SLOTS];
	if (s->started) {	/* 65536 sessions later and still open: given up on */
		ld.stale++;
		ld.in_flight--;
	}
	s->started = scheduled;
	s->id = id;
	s->multi = false;
	ld.in_flight++;
	load_imsi(sub, imsi, sizeof(imsi));
	send_ss(imsi, id, OSMO_GSUP_SESSION_STATE_BEGIN, facility, build_ussd(facility, true, 1, ld.text));
}

static void load_fill(void)
{
	double t = load_now();

	if (!ld.sending || !link_.up)
		return;
	if (t >= ld.stop_at) {
		ld.sending = false;
		return;
	}
	if (ld.rate > 0) {
		while (ld.next_due <= t) {
			load_send(ld.next_due);
			ld.next_due += 1.0 / ld.rate;
		}
	} else {
		while (ld.in_flight < ld.outstanding)
			load_send(t);
	}
}

static void load_finish(struct slot *s, bool ok)
{
	double t = load_now();

	if (ok && t <= ld.stop_at && s->started >= ld.start + ld.warmup) {
		ld.completed++;
		if (s->multi)
			ld.multi++;
		if (ld.num_latency == ld.size_latency) {
			ld.size_latency = ld.size_latency ? 2 * ld.size_latency : 65536;
			ld.latency = realloc(ld.latency, ld.size_latency * sizeof(double));
		}
		ld.latency[ld.num_latency++] = t - s->started;
	} else if (!ok) {
		ld.errors++;
	}
	s->started = 0;
	ld.in_flight--;
}

static void load_gsup(const struct osmo_gsup_message *m)
{
	struct slot *s = &ld.slots[m->session_id % LOAD_SLOTS];
	uint8_t facility[64];

	if (!s->started || s->id != m->session_id)
		return;
	if (m->message_type == OSMO_GSUP_MSGT_PROC_SS_ERROR || !m->ss_info_len
	    || m->ss_info[0] == GSM0480_CTYPE_RETURN_ERROR || m->ss_info[0] == GSM0480_CTYPE_REJECT) {
		load_finish(s, false);
	} else if (m->session_state == OSMO_GSUP_SESSION_STATE_CONTINUE) {
		/* a page with a footer: leave with "0", the session ends with the goodbye */
		s->multi = true;
		send_ss(m->imsi, m->session_id, OSMO_GSUP_SESSION_STATE_CONTINUE, facility,
			build_ussd(facility, false, m->ss_info_len > 4 ? m->ss_info[4] : 1, "0"));
		return;
	} else {
		load_finish(s, true);
	}
	load_fill();
}

static void load_up(void)
{
	if (link_.ups > 1)
		return;	/* a lost link ends the measurement's usefulness; keep counting */
	ld.start = load_now();
	ld.stop_at = ld.start + ld.duration;
	ld.next_due = ld.start;
	ld.sending = true;
	load_fill();
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	load_fill();
	if (!ld.start && load_now() < ld.stop_at)
		return;		/* the link is not up yet: until stop_at, wait for it */
	if (!ld.sending && (ld.in_flight == 0 || load_now() > ld.stop_at + 5))
		event_base_loopbreak(link_.base);
}

static int load_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "imsi-base", required_argument, NULL, 'i' },
		{ "subscribers", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "outstanding", required_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'r' },
		{ "text", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct timeval tv = { 0, 1000 };
	const char *base = "001010000000000";
	double elapsed, p[3];
	int c;

	ld.text = "*#14#";
	ld.subscribers = 1000;
	ld.duration = 10;
	ld.outstanding = 100;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'i': base = optarg; break;
		case 'n': ld.subscribers = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'd': ld.duration = atof(optarg); break;
		case 'o': ld.outstanding = (unsigned)atoi(optarg); break;
		case 'r': ld.rate = atof(optarg); break;
		case 't': ld.text = optarg; break;
		case 'w': ld.warmup = atof(optarg); break;
		default: return 2;
		}
	}
	ld.imsi_base = strtoull(base, NULL, 10);
	ld.imsi_width = (unsigned)strlen(base);
	if (!ld.subscribers || ld.outstanding >= LOAD_SLOTS || ld.warmup < 0
	    || ld.warmup >= ld.duration) {
		fprintf(stderr, "gsup_msc load: bad --subscribers, --outstanding or --warmup\n");
		return 2;
	}
	/* a stride coprime with N walks every subscriber once before any repeats */
	ld.stride = load_stride(ld.subscribers, 7919);
	ld.next_id = 1;
	ld.slots = calloc(LOAD_SLOTS, sizeof(*ld.slots));
	link_.quiet = true;
	link_.on_up = load_up;
	link_.on_gsup = load_gsup;
	ld.tick = event_new(link_.base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(ld.tick, &tv);
	ld.stop_at = load_now() + LOAD_UP_WITHIN_S;
	link_connect();
	event_base_dispatch(link_.base);
	elapsed = ld.start ? ld.duration - ld.warmup : 0;
	load_percentiles(ld.latency, ld.num_latency, p);
	printf("completed %" PRIu64 " seconds %.1f rate %.0f p50 %.2f p99 %.2f p99.9 %.2f multi %" PRIu64
	       " errors %" PRIu64 " unanswered %u\n", ld.completed, elapsed,
	       elapsed > 0 ? ld.completed / elapsed : 0, p[0], p[1], p[2], ld.multi,
	       ld.errors, ld.in_flight + (unsigned)ld.stale);
	return ld.completed ? 0 : 1;
}

/* --- crowd mode ---------------------------------------------------------------------------- */

#define TALLY_MAX 32

enum crowd_state {
	CROWD_WAITING,			/* for the network's answer */
	CROWD_OPEN,			/* a menu on the screen, until round 2 answers it */
	CROWD_ENDED,
	CROWD_UNANSWERED,		/* no answer within its round: a late one counts as a stray */
};

static struct {
	uint64_t imsi_base;
	unsigned imsi_width;
	uint32_t sessions;
	const char *answer;
	const char *exec;
	unsigned timeout_s;
	uint8_t *state;			/* per session (its id - 1): enum crowd_state */
	uint8_t *menu_invoke;		/* per session: the network's menu being answered */
	uint32_t waiting;		/* sessions whose end this round has not come */
	unsigned round;			/* 1: the BEGINs; 2: answering menus until the end */
	uint32_t window;		/* round 2: sessions answered and not ended, at most (0: all) */
	uint32_t answering, next;	/* round 2: such sessions; the next one to answer */
	uint64_t pages;			/* round 2: menus after the first, answered */
	struct {
		char *text;
		uint32_t count;
	} tally[TALLY_MAX];
	unsigned num_tally;
	uint64_t others;		/* answers beyond TALLY_MAX different ones */
	uint64_t strays;		/* answers for no session of ours, or one not waiting */
	struct event *timer;
} cr;

static void crowd_imsi(uint32_t i, char *out, size_t max)
{
	snprintf(out, max, "%0*" PRIu64, cr.imsi_width, cr.imsi_base + i);
}

static void crowd_count(const char *text)
{
	unsigned i;

	for (i = 0; i < cr.num_tally && strcmp(cr.tally[i].text, text); i++)
		;
	if (i == TALLY_MAX) {
		cr.others++;
		return;
	}
	if (i == cr.num_tally) {
		cr.tally[i].text = strdup(text);
		cr.tally[i].count = 0;
		cr.num_tally++;
	}
	cr.tally[i].count++;
}

static int cmp_tally(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void crowd_print_tally(void)
{
	qsort(cr.tally, cr.num_tally, sizeof(cr.tally[0]), cmp_tally);
	for (unsigned i = 0; i < cr.num_tally; i++) {
		printf("%" PRIu32 " x << %s\n", cr.tally[i].count, cr.tally[i].text);
		free(cr.tally[i].text);
	}
	cr.num_tally = 0;
	if (cr.others)
		printf("%" PRIu64 " x << one of more than %u different answers\n", cr.others, TALLY_MAX);
	cr.others = 0;
	if (cr.strays)
		printf("%" PRIu64 " x << an answer for no session waiting for one\n", cr.strays);
	cr.strays = 0;
	fflush(stdout);
}

static void crowd_answer(uint32_t i)
{
	char imsi[OSMO_IMSI_BUF_SIZE];
	uint8_t facility[64];

	crowd_imsi(i, imsi, sizeof(imsi));
	send_ss(imsi, i + 1, OSMO_GSUP_SESSION_STATE_CONTINUE, facility,
		build_ussd(facility, false, cr.menu_invoke[i], cr.answer));
}

/* Round 2: answers the menus of round 1 while the window allows. */
static void crowd_fill(void)
{
	for (; cr.next < cr.sessions && (!cr.window || cr.answering < cr.window); cr.next++) {
		if (cr.state[cr.next] != CROWD_OPEN)
			continue;
		cr.state[cr.next] = CROWD_WAITING;
		cr.answering++;
		crowd_answer(cr.next);
	}
}

static void crowd_round_end(void)
{
	struct timeval tv = { cr.timeout_s, 0 };
	uint32_t open = 0, ended = 0;

	evtimer_del(cr.timer);
	if (cr.waiting) {
		printf("-- %" PRIu32 " sessions unanswered within %u s\n", cr.waiting, cr.timeout_s);
		for (uint32_t i = 0; i < cr.sessions; i++) {
			if (cr.state[i] == CROWD_WAITING)
				cr.state[i] = CROWD_UNANSWERED;
		}
	}
	crowd_print_tally();
	if (cr.round == 1) {
		if (cr.exec) {
			int rc = system(cr.exec);

			if (rc != 0)
				printf("-- exec: status %d\n", rc);
			fflush(stdout);
		}
		cr.round = 2;
		cr.waiting = 0;
		for (uint32_t i = 0; i < cr.sessions; i++)
			cr.waiting += cr.state[i] == CROWD_OPEN;
		printf("%" PRIu32 " x >> CONTINUE %s", cr.waiting, cr.answer);
		if (cr.window)
			printf(" (at most %" PRIu32 " sessions waiting for what follows)", cr.window);
		printf("\n");
		fflush(stdout);
		crowd_fill();
		if (cr.waiting) {
			evtimer_add(cr.timer, &tv);
			return;
		}
	} else {
		printf("(and %" PRIu64 " x >> CONTINUE %s to the menus that followed)\n", cr.pages,
		       cr.answer);
	}
	for (uint32_t i = 0; i < cr.sessions; i++) {
		if (cr.state[i] == CROWD_ENDED)
			ended++;
		else if (cr.state[i] == CROWD_OPEN)
			open++;
	}
	printf("sessions %" PRIu32 ": ended %" PRIu32 ", still open %" PRIu32 ", unanswered %" PRIu32 "\n",
	       cr.sessions, ended, open, cr.sessions - ended - open);
	fflush(stdout);
	event_base_loopbreak(link_.base);
}

static void crowd_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	crowd_round_end();
}

static void crowd_gsup(const struct osmo_gsup_message *m)
{
	char imsi[OSMO_IMSI_BUF_SIZE], *text = NULL;
	size_t size = 0;
	uint32_t i = m->session_id - 1;
	FILE *f;
	int menu;

	if (i >= cr.sessions || cr.state[i] != CROWD_WAITING) {
		cr.strays++;
		return;
	}
	crowd_imsi(i, imsi, sizeof(imsi));
	if (strcmp(imsi, m->imsi)) {
		cr.strays++;
		return;
	}
	f = open_memstream(&text, &size);
	if (!f) {
		fprintf(stderr, "gsup_msc: out of memory\n");
		exit(2);
	}
	menu = describe(f, m);
	fclose(f);
	crowd_count(text);
	free(text);
	if (m->message_type != OSMO_GSUP_MSGT_PROC_SS_ERROR &&
	    m->session_state == OSMO_GSUP_SESSION_STATE_CONTINUE) {
		cr.menu_invoke[i] = menu >= 0 ? (uint8_t)menu : 1;
		if (cr.round == 2) {	/* the next page or screen: answered at once */
			cr.pages++;
			crowd_answer(i);
			return;
		}
		cr.state[i] = CROWD_OPEN;
	} else {
		cr.state[i] = CROWD_ENDED;
	}
	if (cr.round == 2) {
		cr.answering--;
		crowd_fill();
	}
	if (--cr.waiting == 0)
		crowd_round_end();
}

static void crowd_up(void)
{
	struct timeval tv = { cr.timeout_s, 0 };
	char imsi[OSMO_IMSI_BUF_SIZE];
	uint8_t facility[64];

	if (cr.round)
		return;	/* a link lost on the way: the sessions with it are not restarted */
	cr.round = 1;
	cr.waiting = cr.sessions;
	for (uint32_t i = 0; i < cr.sessions; i++) {
		crowd_imsi(i, imsi, sizeof(imsi));
		send_ss(imsi, i + 1, OSMO_GSUP_SESSION_STATE_BEGIN, facility,
			build_ussd(facility, true, 1, "*#14#"));
	}
	crowd_imsi(0, imsi, sizeof(imsi));
	printf("%" PRIu32 " x >> BEGIN *#14# (IMSI %s and the %" PRIu32 " after it)\n", cr.sessions,
	       imsi, cr.sessions - 1);
	fflush(stdout);
	evtimer_add(cr.timer, &tv);
}

static int crowd_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "imsi-base", required_argument, NULL, 'i' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "answer", required_argument, NULL, 'a' },
		{ "window", required_argument, NULL, 'w' },
		{ "exec", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = "001010000000000";
	uint32_t ended = 0;
	int c;

	cr.sessions = 1000;
	cr.answer = "1";
	cr.timeout_s = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'i': base = optarg; break;
		case 'n': cr.sessions = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'a': cr.answer = optarg; break;
		case 'w': cr.window = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': cr.exec = optarg; break;
		case 'T': cr.timeout_s = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	cr.imsi_base = strtoull(base, NULL, 10);
	cr.imsi_width = (unsigned)strlen(base);
	cr.state = calloc(cr.sessions, 1);
	cr.menu_invoke = calloc(cr.sessions, 1);
	if (!cr.sessions || !cr.state || !cr.menu_invoke) {
		fprintf(stderr, "gsup_msc crowd: bad --sessions\n");
		return 2;
	}
	cr.timer = evtimer_new(link_.base, crowd_timer_cb, NULL);
	link_.on_up = crowd_up;
	link_.on_gsup = crowd_gsup;
	link_connect();
	event_base_dispatch(link_.base);
	for (uint32_t i = 0; i < cr.sessions; i++)
		ended += cr.state[i] == CROWD_ENDED;
	return ended == cr.sessions ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'N' },
		{ "forward-to", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	sc.timeout_s = 10;
	link_.name = "itin-test-msc";
	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (c) {
		case 'p': link_.port = (uint16_t)atoi(optarg); break;
		case 'N': link_.name = optarg; break;
		case 'F': link_.forward_to = optarg; break;
		case 'T': sc.timeout_s = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (!link_.port || optind >= argc) {
		fprintf(stderr, "usage: gsup_msc --port PORT [--name NAME] [--forward-to NAME] "
				"[--timeout S] STEP...\n"
				"       gsup_msc --port PORT [--name NAME] load OPTIONS...\n"
				"       gsup_msc --port PORT [--name NAME] crowd OPTIONS...\n");
		return 2;
	}
	static const struct log_info no_categories = { 0 };

	/* libosmocore's own messages (the CCM it parses) would mix with the transcript */
	osmo_init_logging2(NULL, &no_categories);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	link_.base = event_base_new();
	link_.retry = evtimer_new(link_.base, retry_cb, NULL);
	if (!strcmp(argv[optind], "load"))
		return load_main(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "crowd"))
		return crowd_main(argc - optind, argv + optind);
	sc.steps = argv + optind;
	sc.num_steps = argc - optind;
	sc.timer = evtimer_new(link_.base, timer_cb, NULL);
	link_.on_up = scenario_up;
	link_.on_gsup = scenario_gsup;
	block(RECONNECT, sc.timeout_s);	/* the first identification starts the steps */
	link_connect();
	event_base_dispatch(link_.base);
	return sc.rc;
}
