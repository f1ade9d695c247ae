/*
 * An SMPP 3.4 ESME link to one SMSC ([smpp NAME] in the config), on libevent: bind
 * (transceiver, or a transmitter and a receiver session), our enquire_link, response timeouts,
 * reconnection with exponential backoff and jitter, a window of outstanding submit_sm with a
 * rate cap and back-off on throttling, unbind on stop. PDUs are packed and unpacked with
 * libsmpp34, but for a deliver_sm's message_payload, which the link reads itself (libsmpp34
 * takes no TLV over 1,024 octets; SMPP 3.4 allows 64 K). It turns PDUs into callbacks and
 * submits into PDUs; it knows nothing of requests, keywords or SQL, and it never blocks
 * (configure the SMSC's address as an IP address).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/config.h"

/* submit_done status: the link was stopped before the SMSC answered (re-send elsewhere). A
 * link that drops and binds again keeps its submits and sends them again itself. */
#define SMPP_LINK_LOST 0xffffffffu

/* At most this many submits wait beyond the window; smpp_link_submit() says -EAGAIN then. */
#define SMPP_LINK_QUEUE_MAX 10000

struct smpp_link;

struct smpp_deliver {
	uint64_t token;			/* for smpp_link_deliver_resp(): session and sequence */
	uint32_t seq;			/* the deliver_sm's sequence_number (for logs) */
	uint8_t esm_class, data_coding, src_ton, src_npi, dst_ton, dst_npi;
	char src[22], dst[22];
	const uint8_t *msg;		/* short_message, or the message_payload TLV (up to 64 K) */
	uint16_t msg_len;
	bool sar;			/* the three SAR TLVs came: part sar_seq of sar_total */
	uint16_t sar_ref;
	uint8_t sar_total, sar_seq;
	bool is_receipt;		/* esm_class message type is not 0: a delivery receipt or
					 * an acknowledgement, never a subscriber's text */
	bool has_msg_ref;		/* the user_message_reference TLV came: msg_ref is the */
	uint16_t msg_ref;		/* handset's TP-MR, kept on a redelivery, new on a new SMS */
	/* USSD gateways (SMPP 3.4 5.3.2.44 and 5.3.2.43): */
	bool has_ussd_op;		/* the ussd_service_op TLV came, */
	bool ussd_op_malformed;		/* not of 1 octet; else its value is */
	uint8_t ussd_op;
	bool has_session_info;		/* the its_session_info TLV came: */
	uint16_t session_info;		/* session number << 8 | sequence << 1 | end of session */
};

struct smpp_submit {
	const char *dst;		/* E.164 digits, at most 20 (sent as TON 1 NPI 1) */
	const char *src;		/* at most 20 characters; NULL: the link's short code */
	uint8_t data_coding, esm_class;	/* esm_class 0x40: msg starts with a UDH */
	const uint8_t *msg;
	uint16_t msg_len;		/* at most SMPP_LINK_MSG_MAX */
	bool has_ussd_op;		/* a USSD screen: the ussd_service_op TLV */
	uint8_t ussd_op;
	bool has_session_info;		/* the its_session_info TLV */
	uint16_t session_info;
};
/* SMPP 3.4 allows 254 octets of short_message; libsmpp34 (1.14) packs at most 253, and a
 * submit it cannot pack would drop and re-bind the session for ever. */
#define SMPP_LINK_MSG_MAX 253

struct smpp_link_ops {
	/* The link is usable for submits and deliveries (every session bound), or no longer. */
	void (*bound)(struct smpp_link *link, bool up);
	/* d is valid during the call only; answer later with smpp_link_deliver_resp(). */
	void (*deliver)(struct smpp_link *link, const struct smpp_deliver *d);
	/* Once per accepted smpp_link_submit(): 0, an SMPP error status, or SMPP_LINK_LOST.
	 * message_id is NULL unless status is 0. */
	void (*submit_done)(struct smpp_link *link, void *cookie, uint32_t status, const char *message_id);
	/* A submit not written at once (the window full, the link throttled, capped or not
	 * bound), or that the SMSC did not take now (throttled, queue full): the link keeps it
	 * and sends it later; submit_done comes then. */
	void (*submit_deferred)(struct smpp_link *link, void *cookie);
};

/* cfg and ops must outlive the link; short_code is copied. Never free the link from one of
 * its callbacks. */
struct smpp_link *smpp_link_alloc(void *ctx, struct event_base *base,
				  const struct itin_smpp_link_config *cfg, const char *short_code,
				  const struct smpp_link_ops *ops, void *priv);
/* TON/NPI of the short code in submit_sm (default TON 0 unknown, NPI 1 ISDN, which osmo-msc
 * copies into the TP-OA as they are). */
void smpp_link_set_source(struct smpp_link *link, uint8_t ton, uint8_t npi);
int smpp_link_start(struct smpp_link *link);
/* Unbind (waiting briefly for unbind_resp) and close; stopped() runs once every session is
 * down, possibly before smpp_link_stop() returns. Queued submits get SMPP_LINK_LOST. */
void smpp_link_stop(struct smpp_link *link, void (*stopped)(struct smpp_link *, void *), void *arg);
/* Answer a deliver_sm; -ENOTCONN (logged) when its session is gone: the SMSC will redeliver. */
int smpp_link_deliver_resp(struct smpp_link *link, uint64_t token, uint32_t status);
/* Queue a submit_sm: -EAGAIN when the queue is full or the link is stopping, -EINVAL when the
 * message is too long. Submits in flight when the link drops are sent again after the re-bind. */
int smpp_link_submit(struct smpp_link *link, const struct smpp_submit *s, void *cookie);
bool smpp_link_is_bound(const struct smpp_link *link);
void *smpp_link_priv(struct smpp_link *link);
const char *smpp_link_name(const struct smpp_link *link);

struct smpp_link_stats {
	unsigned outstanding, queued;
	unsigned long long binds, reconnects, submitted, throttled, nacks_sent, receipts, delivered;
};
void smpp_link_get_stats(const struct smpp_link *link, struct smpp_link_stats *st);
