/*
 * libFuzzer harness: the SMPP receive path on arbitrary bytes, as an SMSC sends them on a
 * connection itinerad has just opened and sent its bind on: framing by command_length,
 * libsmpp34's unpacking, the dispatch of every PDU (bind responses, deliver_sm through the SMS
 * channel's decoders and keyword parser to a request, submit_sm_resp and generic_nack against
 * our outstanding submit_sm, enquire_link, unbind, alert_notification, unknown commands), our
 * replies as submit_sm, and the unbind at the end. Every PDU we write must unpack again.
 *
 * smpp_link.c is included rather than linked, to reach a session's callbacks: it gets one end
 * of a bufferevent pair where session_connect() would open a socket, and the harness writes as
 * the SMSC on the other. The input goes to the transceiver session of one link and to both
 * sessions of a split link, in one write, then again on new links a PDU per write, with the
 * event loop run and the waiting requests answered (tests/fuzz/channel_stub.c) after each.
 * With ITIN_FUZZ_LOG set, it prints the log and the PDUs it sent (tests/fuzz/replay.sh).
 * sources: sms/sms_channel.c engine/gsm_text.c engine/keyword.c engine/sms_segment.c engine/text_layout.c
 * sources: common/msisdn.c common/config.c common/log.c engine/reply_text.c engine/places.c
 * sources: engine/places_table.c common/localtime.c tests/fuzz/channel_stub.c engine/sms_concat.c
 * sources: engine/verify_code.c
 */
#include "smpp/smpp_link.c"

#include <stdio.h>

#include "sms/sms_channel.h"
#include "tests/fuzz/channel_stub.h"

/* Two links: a transceiver with a window of 2, a split one with a rate cap. */
static const char config_text[] =
	"[privacy]\nhmac_secret = fuzzing-secret-0123456789-b7e2c9a04f18d63e5a0c7b92e41f6d38\n"
	"[keywords]\nquery = ITINERARY, 行程卡\n"
	"[smpp trx]\nsystem_id = itinerad\npassword = secret\nwindow = 2\n"
	"[smpp split]\nsystem_id = itinerad\nbind = split\nsubmit_rate = 3\n";

static struct event_base *base;
static struct itin_config *cfg;

/* What session_connect() does, with the pair's end for a socket, and the connect succeeding:
 * the bind goes out. Returns the SMSC's end. */
static struct bufferevent *session_open(struct smpp_session *s)
{
	struct bufferevent *pair[2];

	if (bufferevent_pair_new(s->link->base, BEV_OPT_DEFER_CALLBACKS, pair) < 0)
		abort();
	s->generation = ++s->link->generation;
	s->next_seq = 0;
	s->bad_pdus = 0;
	s->state = SESSION_CONNECTING;
	s->bev = pair[0];
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	bufferevent_enable(pair[1], EV_READ);
	session_event_cb(s->bev, BEV_EVENT_CONNECTED, s);
	return pair[1];
}

static void print_sent(const char *session, uint32_t id, const uint8_t *pdu, const submit_sm_t *submit)
{
	char name[64];

	fprintf(stderr, "%s sent %s status 0x%02x sequence %u", session, str_command_id(id, name),
		be32(pdu + 8), be32(pdu + 12));
	if (id == SUBMIT_SM)
		fprintf(stderr, ": to %s esm_class 0x%02x data_coding %u, %u octets", (const char *)
			submit->destination_addr, submit->esm_class, submit->data_coding, submit->sm_length);
	fputc('\n', stderr);
}

/* What the SMSC read from us: whole PDUs of the commands an ESME sends, each unpackable. */
static void check_sent(const char *session, struct bufferevent *smsc)
{
	struct evbuffer *in = bufferevent_get_input(smsc);
	static uint8_t pdu[512 + 1];
	union {
		bind_transceiver_t bind;
		submit_sm_t submit;
		deliver_sm_resp_t deliver_resp;
		generic_nack_t nack;
		enquire_link_t enquire;
		enquire_link_resp_t enquire_resp;
		unbind_t unbind;
		unbind_resp_t unbind_resp;
	} u;
	uint32_t len, id;

	while (evbuffer_get_length(in) > 0) {
		if (evbuffer_copyout(in, pdu, 4) != 4)
			abort();
		len = be32(pdu);
		if (len < PDU_MIN || len > sizeof(pdu) - 1 || evbuffer_remove(in, pdu, len) != (int)len)
			abort();
		pdu[len] = 0;
		id = be32(pdu + 4);
		switch (id) {
		case BIND_TRANSCEIVER: case BIND_TRANSMITTER: case BIND_RECEIVER: case SUBMIT_SM:
		case DELIVER_SM_RESP: case GENERIC_NACK: case ENQUIRE_LINK: case ENQUIRE_LINK_RESP:
		case UNBIND: case UNBIND_RESP:
			break;
		default:
			abort();
		}
		memset(&u, 0, sizeof(u));
		if (smpp34_unpack(id, &u, pdu, len) != 0)
			abort();
		if (fuzz_verbose)
			print_sent(session, id, pdu, &u.submit);
		if (id == SUBMIT_SM)
			destroy_tlv(u.submit.tlv);
	}
}

/* The next write: one PDU as its command_length says, or all that is left when that length
 * is not one the link accepts or goes past the end. */
static size_t next_write(const uint8_t *data, size_t size)
{
	uint32_t len;

	if (size < 4)
		return size;
	len = be32(data);
	return len < PDU_MIN || len > size ? size : len;
}

static void play(const uint8_t *data, size_t size, bool pdu_per_write)
{
	static const char *const names[3] = { "trx", "split (tx)", "split (rx)" };
	void *ctx = talloc_named_const(NULL, 0, "fuzz_smpp");
	struct itin_sms_channel *ch = itin_sms_channel_alloc(ctx, base, &cfg->smpp, &cfg->service, &cfg->sms,
							     &cfg->keywords);
	struct smpp_session *sessions[3];
	struct bufferevent *smsc[3];
	size_t n;

	if (!ch)
		abort();
	if (fuzz_verbose)
		fprintf(stderr, "-- %s\n", pdu_per_write ? "a PDU per write" : "one write");
	sessions[0] = &itin_sms_channel_link(ch, 0)->sessions[0];
	sessions[1] = &itin_sms_channel_link(ch, 1)->sessions[0];
	sessions[2] = &itin_sms_channel_link(ch, 1)->sessions[1];
	for (int i = 0; i < 3; i++)
		smsc[i] = session_open(sessions[i]);
	while (size > 0) {
		n = pdu_per_write ? next_write(data, size) : size;
		for (int i = 0; i < 3; i++) {
			if (bufferevent_write(smsc[i], data, n) < 0)
				abort();
		}
		fuzz_settle();
		fuzz_requests_answer();
		fuzz_settle();
		data += n;
		size -= n;
	}
	itin_sms_channel_stop(ch);
	itin_sms_channel_unbind(ch);
	fuzz_requests_answer();
	fuzz_settle();
	for (int i = 0; i < 3; i++)
		check_sent(names[i], smsc[i]);
	fuzz_requests_forget();
	talloc_free(ctx);
	for (int i = 0; i < 3; i++)
		bufferevent_free(smsc[i]);
	fuzz_settle();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base) {
		cfg = fuzz_config(config_text);
		base = fuzz_init("fuzz_smpp", cfg);
	}
	play(data, size, false);
	play(data, size, true);
	return 0;
}
