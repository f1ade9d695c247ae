/*
 * Layer 3 messages of the simulated handsets (TS 24.008 MM/RR, 24.011 CP/RP, 23.040 TPDU,
 * 24.080 SS/USSD): builders of what a handset sends and parsers of what osmo-msc sends it, with
 * texts as UTF-8. Pure functions over buffers and msgbs: no sockets, no state, no SCCP (that is
 * sim_main.c's business).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/msgb.h>
#include <osmocom/gsm/gsm23003.h>

/* N(SD) in bits 7-8 of MM/CC/SS message types (TS 24.007 11.2.3.2.3, R99 and later, modulo 4). */
#define SIM_L3_NSD(n) ((uint8_t)(((n) & 3) << 6))

/* Initial messages (to go in a Complete Layer 3); N(SD) 0. */
struct msgb *sim_l3_lu_request(const char *imsi, const struct osmo_location_area_id *lai);
struct msgb *sim_l3_cm_service_request(const char *imsi, uint8_t service_type);
struct msgb *sim_l3_paging_response(const char *imsi);

/* SMS (PD 9, not sequence-numbered). ti: transaction id with the TI flag (0x8 = answering). */
struct msgb *sim_l3_sms_submit(uint8_t ti, uint8_t msg_ref, const char *dest, const char *text);
struct msgb *sim_l3_cp_ack(uint8_t ti);
struct msgb *sim_l3_rp_ack(uint8_t ti, uint8_t msg_ref);

/* USSD (PD 11): REGISTER with a ProcessUnstructuredSS-Request invoke, and the FACILITY with the
 * ReturnResult that answers the network's UnstructuredSS-Request (a menu). */
struct msgb *sim_l3_ussd_register(uint8_t ti, uint8_t nsd, uint8_t invoke_id, const char *text);
struct msgb *sim_l3_ussd_answer(uint8_t ti, uint8_t nsd, uint8_t invoke_id, uint8_t opcode,
				const char *text);

/* An SMS-DELIVER; concatenated parts carry part/parts (else 0/0). */
struct sim_l3_sms_deliver {
	char from[24];
	unsigned dcs;
	unsigned ref, part, parts;
	char text[1024];	/* UTF-8 */
};

/* The component of a Facility IE: GSM0480_CTYPE_* and the USSD string, if any. */
struct sim_l3_ussd {
	uint8_t ctype;
	uint8_t invoke_id;
	int opcode;		/* -1 when the component has none */
	int dcs;		/* -1 when there is no USSD string */
	char text[1024];	/* UTF-8 */
};

int sim_l3_parse_sms_deliver(const uint8_t *tpdu, size_t len, struct sim_l3_sms_deliver *out);
int sim_l3_parse_facility(const uint8_t *ie, size_t len, struct sim_l3_ussd *out);

/* The Facility IE of an SS message (REGISTER, FACILITY, RELEASE COMPLETE), or -ENOENT. */
int sim_l3_ss_facility(const uint8_t *l3, size_t len, const uint8_t **ie, size_t *ie_len);
