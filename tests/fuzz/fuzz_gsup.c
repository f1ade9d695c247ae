/*
 * libFuzzer harness: the USSD receive path on arbitrary bytes, as osmo-hlr sends them on a
 * connection itinerad has just opened: IPA framing, CCM (identity request, ping), libosmocore's
 * GSUP decoder, our GSM 04.80 facility reader, the PROC_SS dispatch and the USSD sessions
 * (consent menu, request, pages, re-shown screens, ends and errors), and the screens we send
 * back. Every frame we write must be a CCM answer or a GSUP PROC_SS message that decodes again,
 * with a facility our reader takes back unless it is a ReturnError.
 *
 * gsup_link.c and ussd_gsup.c are included rather than linked, to reach the link inside the
 * USSD channel and its callbacks: the link gets one end of a bufferevent pair where
 * link_connect() would open a socket, and the harness writes as osmo-hlr on the other. The
 * input is played twice on new channels: in one write with consent on, then a frame per write
 * with consent off, with the event loop run and the waiting requests answered
 * (tests/fuzz/channel_stub.c) after each. With ITIN_FUZZ_LOG set, it prints the log and the
 * frames it sent (tests/fuzz/replay.sh).
 * sources: ussd/ussd_session.c ussd/ss_facility.c engine/ussd_pages.c engine/text_layout.c
 * sources: engine/gsm_text.c common/config.c common/log.c engine/reply_text.c engine/places.c
 * sources: engine/places_table.c common/localtime.c engine/verify_code.c tests/fuzz/channel_stub.c
 */
#include "ussd/gsup_link.c"
#include "ussd/ussd_gsup.c"

#include <stdio.h>

#include <osmocom/gsm/gsm0480.h>

#include "tests/fuzz/channel_stub.h"

#define CONFIG_TEXT(consent) \
	"[privacy]\nhmac_secret = fuzzing-secret-0123456789-b7e2c9a04f18d63e5a0c7b92e41f6d38\n" \
	"[gsup]\nhost = 127.0.0.1\n" \
	"[service]\nconsent = " consent "\n"

static struct event_base *base;
static struct itin_config *cfg_consent, *cfg_no_consent;

/* What link_connect() does, with the pair's end for a socket, and the connect succeeding.
 * Returns osmo-hlr's end. */
static struct bufferevent *link_open(struct gsup_link *l)
{
	struct bufferevent *pair[2];

	if (bufferevent_pair_new(l->base, BEV_OPT_DEFER_CALLBACKS, pair) < 0)
		abort();
	l->bev = pair[0];
	bufferevent_setcb(l->bev, read_cb, NULL, event_cb, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	bufferevent_enable(pair[1], EV_READ);
	event_cb(l->bev, BEV_EVENT_CONNECTED, l);
	return pair[1];
}

static void check_gsup(const uint8_t *data, size_t len)
{
	struct osmo_gsup_message m;
	struct ss_facility f;
	bool error;

	/* Not the IMSI: a refusal goes back to the one osmo-hlr gave, even malformed or empty. */
	if (osmo_gsup_decode(data, len, &m) < 0
	    || (m.message_type != OSMO_GSUP_MSGT_PROC_SS_REQUEST
		&& m.message_type != OSMO_GSUP_MSGT_PROC_SS_RESULT)
	    || m.message_class != OSMO_GSUP_MESSAGE_CLASS_USSD || !m.ss_info || m.ss_info_len < 1)
		abort();
	error = m.ss_info[0] == GSM0480_CTYPE_RETURN_ERROR;
	if (!error && ss_facility_parse(m.ss_info, m.ss_info_len, &f) < 0)
		abort();
	if (fuzz_verbose)
		fprintf(stderr, "sent %s session %u state %u: %s\n", osmo_gsup_message_type_name(m.message_type),
			m.session_id, m.session_state, error ? "ReturnError" : f.text);
}

/* What osmo-hlr read from us: whole IPA frames, CCM answers or GSUP messages. */
static void check_sent(struct bufferevent *hlr)
{
	struct evbuffer *in = bufferevent_get_input(hlr);
	struct tlv_parsed tp;
	uint8_t hdr[3];
	uint8_t *frame;
	size_t len;

	while (evbuffer_get_length(in) > 0) {
		if (evbuffer_copyout(in, hdr, 3) != 3)
			abort();
		len = (size_t)hdr[0] << 8 | hdr[1];
		frame = evbuffer_pullup(in, 3 + len);
		if (!frame || len < 1)
			abort();
		switch (hdr[2]) {
		case IPAC_PROTO_IPACCESS:
			if (frame[3] == IPAC_MSGT_ID_RESP) {
				if (ipa_ccm_id_resp_parse(&tp, frame + 4, len - 1) < 0)
					abort();
			} else if (frame[3] != IPAC_MSGT_PONG && frame[3] != IPAC_MSGT_PING) {
				abort();
			}
			if (fuzz_verbose)
				fprintf(stderr, "sent CCM %s\n", frame[3] == IPAC_MSGT_ID_RESP ? "ID_RESP" :
					frame[3] == IPAC_MSGT_PONG ? "PONG" : "PING");
			break;
		case IPAC_PROTO_OSMO:
			if (frame[3] != IPAC_PROTO_EXT_GSUP)
				abort();
			check_gsup(frame + 4, len - 1);
			break;
		default:
			abort();
		}
		evbuffer_drain(in, 3 + len);
	}
}

/* The next write: one IPA frame as its length says, or all that is left. */
static size_t next_write(const uint8_t *data, size_t size)
{
	size_t len;

	if (size < 3)
		return size;
	len = 3 + ((size_t)data[0] << 8 | data[1]);
	return len > size ? size : len;
}

static void play(const uint8_t *data, size_t size, const struct itin_config *cfg, bool frame_per_write)
{
	void *ctx = talloc_named_const(NULL, 0, "fuzz_gsup");
	struct itin_ussd_gsup *u = itin_ussd_gsup_alloc(ctx, base, &cfg->gsup, &cfg->service,
							 cfg->templates);
	struct bufferevent *hlr;
	size_t n;

	if (!u)
		abort();
	if (fuzz_verbose)
		fprintf(stderr, "-- %s\n", frame_per_write ? "a frame per write, consent off" :
			"one write, consent on");
	hlr = link_open(u->link);
	while (size > 0) {
		n = frame_per_write ? next_write(data, size) : size;
		if (bufferevent_write(hlr, data, n) < 0)
			abort();
		fuzz_settle();
		fuzz_requests_answer();
		fuzz_settle();
		data += n;
		size -= n;
	}
	itin_ussd_gsup_stop(u);
	fuzz_requests_answer();
	fuzz_settle();
	check_sent(hlr);
	fuzz_requests_forget();
	talloc_free(ctx);
	bufferevent_free(hlr);
	fuzz_settle();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base) {
		cfg_consent = fuzz_config(CONFIG_TEXT("on"));
		cfg_no_consent = fuzz_config(CONFIG_TEXT("off"));
		base = fuzz_init("fuzz_gsup", cfg_consent);
	}
	play(data, size, cfg_consent, false);
	play(data, size, cfg_no_consent, true);
	return 0;
}
