/*
 * sim_l3: the handsets' layer 3 builders (exact bytes) and parsers (SMS-DELIVER in GSM 7-bit
 * with the extension table, UCS2 with a surrogate pair, concatenation UDHs with fill bits, an
 * alphanumeric sender; USSD components with short and long BER lengths, 7-bit and UCS2).
 */
#include <stdio.h>
#include <string.h>

#include <osmocom/core/msgb.h>
#include <osmocom/core/utils.h>

#include "sim/sim_l3.h"

static void show(const char *what, struct msgb *msg)
{
	if (!msg) {
		printf("%s: NULL\n", what);
		return;
	}
	printf("%s: %s\n", what, osmo_hexdump_nospc(msgb_l3(msg), msgb_l3len(msg)));
	msgb_free(msg);
}

static void deliver(const char *what, const char *hex)
{
	uint8_t tpdu[200];
	int len = osmo_hexparse(hex, tpdu, sizeof(tpdu));
	struct sim_l3_sms_deliver d;
	int rc = sim_l3_parse_sms_deliver(tpdu, (size_t)len, &d);

	printf("%s: rc %d from '%s' dcs 0x%02x part %u/%u ref %u text '%s'\n", what, rc, d.from, d.dcs,
	       d.part, d.parts, d.ref, d.text);
}

static void facility(const char *what, const uint8_t *ie, size_t len)
{
	struct sim_l3_ussd u;
	int rc = sim_l3_parse_facility(ie, len, &u);

	printf("%s: rc %d ctype 0x%02x invoke %u opcode %d dcs %d text '%s'\n", what, rc, u.ctype,
	       u.invoke_id, u.opcode, u.dcs, u.text);
}

int main(void)
{
	struct osmo_location_area_id lai = { .plmn = { .mcc = 1, .mnc = 1 }, .lac = 1 };
	struct msgb *msg;
	const uint8_t *ie;
	size_t ie_len;

	printf("--- builders\n");
	show("LU request", sim_l3_lu_request("001010000000001", &lai));
	show("CM service request (SMS)", sim_l3_cm_service_request("001010000000001", 4));
	show("paging response", sim_l3_paging_response("001010000000001"));
	show("SMS-SUBMIT 7-bit", sim_l3_sms_submit(0, 1, "12306", "CXMYD"));
	show("SMS-SUBMIT UCS2", sim_l3_sms_submit(0, 2, "12306", "中文"));
	show("CP-ACK", sim_l3_cp_ack(0x8));
	show("RP-ACK", sim_l3_rp_ack(0x8, 0x2a));
	show("REGISTER *#14#", sim_l3_ussd_register(0, 1, 1, "*#14#"));
	show("FACILITY answer 1", sim_l3_ussd_answer(0, 2, 5, 60, "1"));
	show("IMSI too long", sim_l3_lu_request("0010100000000012", &lai));

	printf("--- SMS-DELIVER\n");
	/* "[Trip Card] €5": [ and ] and € from the extension table */
	deliver("7-bit ext", "0405912103f6000042011100000000111b1e559e868386613979e3036dca35");
	/* "中文😀" in UCS2: a BMP pair and a surrogate pair */
	deliver("UCS2", "0405912103f6000842011100000000084e2d6587d83dde00");
	/* part 2/3 of ref 7, 7-bit, "ABC" after a 6-octet UDH (one fill bit) */
	deliver("concat 7-bit", "4405912103f60000420111000000000a05000307030282c221");
	/* part 1/2 of ref 0x1234 (16-bit reference), UCS2 "好" */
	deliver("concat UCS2 16-bit", "4405912103f60008420111000000000906080412340201597d");
	/* alphanumeric sender "Itin", text "Hi" */
	deliver("alphanumeric", "0407d0497ada0d00004201110000000002c834");
	deliver("truncated", "0405912143");

	printf("--- USSD components\n");
	static const uint8_t rel_complete[] = {	/* RELEASE COMPLETE, ReturnResult, 7-bit "Hi" */
		0x8b, 0x2a, 0x1c, 0x13, 0xa2, 0x11, 0x02, 0x01, 0x01, 0x30, 0x0c, 0x02, 0x01, 0x3b,
		0x30, 0x07, 0x04, 0x01, 0x0f, 0x04, 0x02, 0xc8, 0x34,
	};
	if (sim_l3_ss_facility(rel_complete, sizeof(rel_complete), &ie, &ie_len) == 0)
		facility("release complete", ie, ie_len);
	uint8_t inv[200] = { 0xa1, 0x81, 0, 0x02, 0x01, 0x07, 0x02, 0x01, 0x3c, 0x30, 0x81, 0,
			     0x04, 0x01, 0x48, 0x04, 0x81, 130 };
	for (int i = 0; i < 65; i++) {	/* 65 x U+884C */
		inv[18 + 2 * i] = 0x88;
		inv[19 + 2 * i] = 0x4c;
	}
	inv[2] = 18 - 3 + 130;
	inv[11] = 18 - 12 + 130;
	facility("invoke, long form lengths", inv, 18 + 130);
	msg = sim_l3_ussd_answer(0, 2, 5, 60, "2");
	if (sim_l3_ss_facility(msgb_l3(msg), msgb_l3len(msg), &ie, &ie_len) == 0)
		facility("our own answer", ie, ie_len);
	msgb_free(msg);
	msg = sim_l3_ussd_register(0, 1, 1, "*#14#");
	if (sim_l3_ss_facility(msgb_l3(msg), msgb_l3len(msg), &ie, &ie_len) == 0)
		facility("our own register", ie, ie_len);
	msgb_free(msg);
	facility("garbage", (const uint8_t *)"\xa2\x05\x02\x01", 4);
	return 0;
}
