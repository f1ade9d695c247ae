/*
 * A stand-in external USSD entity for the handset test: connects to osmo-hlr's GSUP port as
 * EUSE "itinerary" (IPA unit name and serial number EUSE-itinerary) and plays a fixed menu:
 * the request gets an UnstructuredSS-Request "Show places?\n1 Yes\n2 No" (GSM 7-bit), the answer
 * "1" a final UCS2 text, anything else "Bye". Prints what it receives. Blocking I/O on one
 * socket is enough here; it exits after one finished session, or when the HLR hangs up.
 * usage: euse_stub PORT
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <osmocom/core/msgb.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm0480.h>
#include <osmocom/gsm/gsm_utils.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/ipa.h>
#include <osmocom/gsm/protocol/gsm_04_80.h>
#include <osmocom/gsm/protocol/ipaccess.h>

#include "sim/sim_l3.h"

static int fd;

static int read_all(uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t rc = read(fd, buf, len);

		if (rc <= 0)
			return -1;
		buf += rc;
		len -= (size_t)rc;
	}
	return 0;
}

static void send_msgb(struct msgb *msg)
{
	if (write(fd, msgb_data(msg), msgb_length(msg)) != (ssize_t)msgb_length(msg))
		perror("euse_stub: write");
	msgb_free(msg);
}

static void send_ccm(uint8_t type)
{
	const uint8_t ccm[4] = { 0, 1, IPAC_PROTO_IPACCESS, type };

	if (write(fd, ccm, sizeof(ccm)) != sizeof(ccm))
		perror("euse_stub: write");
}

/* A component with a USSD string: Invoke (opcode 60, our invoke id) or ReturnResult (opcode 59,
 * the handset's invoke id). dcs 0x0F takes ASCII text, 0x48 UTF-16BE octets. */
static size_t component(uint8_t *out, uint8_t ctype, uint8_t invoke_id, uint8_t dcs,
			const uint8_t *str, size_t str_len)
{
	uint8_t *p = out;
	size_t params = 3 + 2 + str_len;

	*p++ = ctype;
	*p++ = (uint8_t)(3 + (ctype == GSM0480_CTYPE_INVOKE ? 3 + 2 + params : 2 + 3 + 2 + params));
	*p++ = GSM0480_COMPIDTAG_INVOKE_ID;
	*p++ = 1;
	*p++ = invoke_id;
	if (ctype == GSM0480_CTYPE_RETURN_RESULT) {
		*p++ = GSM_0480_SEQUENCE_TAG;
		*p++ = (uint8_t)(3 + 2 + params);
	}
	*p++ = GSM0480_OPERATION_CODE;
	*p++ = 1;
	*p++ = ctype == GSM0480_CTYPE_INVOKE ? GSM0480_OP_CODE_USS_REQUEST :
					       GSM0480_OP_CODE_PROCESS_USS_REQ;
	*p++ = GSM_0480_SEQUENCE_TAG;
	*p++ = (uint8_t)params;
	*p++ = ASN1_OCTET_STRING_TAG;
	*p++ = 1;
	*p++ = dcs;
	*p++ = ASN1_OCTET_STRING_TAG;
	*p++ = (uint8_t)str_len;
	memcpy(p, str, str_len);
	return (size_t)(p - out) + str_len;
}

static void reply(const struct osmo_gsup_message *req, enum osmo_gsup_message_type type,
		  enum osmo_gsup_session_state state, uint8_t *ss_info, size_t len)
{
	struct osmo_gsup_message r = {
		.message_type = type, .session_id = req->session_id, .session_state = state,
		.message_class = OSMO_GSUP_MESSAGE_CLASS_USSD, .ss_info = ss_info, .ss_info_len = len,
	};
	struct msgb *msg = msgb_alloc_headroom(1024, 64, "gsup");

	OSMO_STRLCPY_ARRAY(r.imsi, req->imsi);
	osmo_gsup_encode(msg, &r);
	ipa_prepend_header_ext(msg, IPAC_PROTO_EXT_GSUP);
	ipa_prepend_header(msg, IPAC_PROTO_OSMO);
	send_msgb(msg);
}

static int rx_gsup(const uint8_t *data, size_t len)
{
	/* "【行程卡】北京市" in UTF-16BE */
	static const uint8_t final_ucs2[] = { 0x30, 0x10, 0x88, 0x4c, 0x7a, 0x0b, 0x53, 0x61, 0x30,
					      0x11, 0x53, 0x17, 0x4e, 0xac, 0x5e, 0x02 };
	struct osmo_gsup_message g;
	struct sim_l3_ussd u;
	uint8_t comp[200], packed[160];
	int octets;
	size_t n;

	if (osmo_gsup_decode(data, len, &g) < 0 || g.message_type != OSMO_GSUP_MSGT_PROC_SS_REQUEST)
		return 0;
	if (sim_l3_parse_facility(g.ss_info, g.ss_info_len, &u) < 0) {
		printf("EUSE: undecodable facility\n");
		return -1;
	}
	printf("EUSE %s %s: '%s'\n", osmo_gsup_session_state_name(g.session_state), g.imsi, u.text);
	fflush(stdout);
	if (g.session_state == OSMO_GSUP_SESSION_STATE_BEGIN) {
		gsm_7bit_encode_n_ussd(packed, sizeof(packed), "Show places?\n1 Yes\n2 No", &octets);
		n = component(comp, GSM0480_CTYPE_INVOKE, 2, 0x0f, packed, (size_t)octets);
		reply(&g, OSMO_GSUP_MSGT_PROC_SS_REQUEST, OSMO_GSUP_SESSION_STATE_CONTINUE, comp, n);
		return 0;
	}
	if (!strcmp(u.text, "1")) {
		n = component(comp, GSM0480_CTYPE_RETURN_RESULT, 1, 0x48, final_ucs2, sizeof(final_ucs2));
	} else {
		gsm_7bit_encode_n_ussd(packed, sizeof(packed), "Bye", &octets);
		n = component(comp, GSM0480_CTYPE_RETURN_RESULT, 1, 0x0f, packed, (size_t)octets);
	}
	reply(&g, OSMO_GSUP_MSGT_PROC_SS_RESULT, OSMO_GSUP_SESSION_STATE_END, comp, n);
	return 1;
}

int main(int argc, char **argv)
{
	struct ipaccess_unit unit = { .unit_name = "EUSE-itinerary", .serno = "EUSE-itinerary" };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t hdr[3], body[65536];

	if (argc != 2) {
		fprintf(stderr, "usage: euse_stub PORT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("euse_stub: connect");
		return 1;
	}
	while (read_all(hdr, 3) == 0) {
		size_t len = (size_t)hdr[0] << 8 | hdr[1];

		if (read_all(body, len) < 0 || len < 1)
			break;
		if (hdr[2] == IPAC_PROTO_IPACCESS && body[0] == IPAC_MSGT_PING) {
			send_ccm(IPAC_MSGT_PONG);
		} else if (hdr[2] == IPAC_PROTO_IPACCESS && body[0] == IPAC_MSGT_ID_GET) {
			struct msgb *msg = ipa_ccm_make_id_resp_from_req(&unit, body + 1, len - 1);

			send_msgb(msg);	/* it comes with its IPA header */
		} else if (hdr[2] == IPAC_PROTO_OSMO && body[0] == IPAC_PROTO_EXT_GSUP) {
			if (rx_gsup(body + 1, len - 1) != 0)
				return 0;
		}
	}
	return 1;
}
