/*
 * A subscriber's request, from the moment a channel has decoded it to the moment its reply has
 * been handed back to that channel. Channels (sms/, ussd/) build a request from a PDU and call
 * itin_request_accept(); the request module records it durably, applies the service rules
 * (shutdown, rate limit, consent, language, lookup, rendering) through the database pool and
 * the engine, and calls the channel back. It knows no PDU; channels know no SQL.
 *
 * Life of a request:
 *   channel: req = itin_request_alloc(); fill; itin_request_accept(req)
 *   request: ... accepted(req, ok)          -> channel acknowledges the PDU (or refuses it
 *                                              with a temporary error when !ok: not recorded)
 *   request: ... reply(req, reply)          -> channel encodes and sends the reply
 *   channel: itin_request_replied(req, ok)  -> request marks it answered (or retries later)
 *                                              and frees it
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/reply.h"

enum itin_channel {
	ITIN_CHANNEL_SMS,
	ITIN_CHANNEL_USSD,
};

/* Who asks: the SMSC gives an MSISDN, osmo-hlr an IMSI. Kept in memory only. */
enum itin_identity_kind {
	ITIN_IDENTITY_MSISDN,	/* E.164 digits, no '+' */
	ITIN_IDENTITY_IMSI,
};

/* What the subscriber asked for (sms/keyword.c parses text into this). */
enum itin_intent {
	ITIN_INTENT_QUERY,
	ITIN_INTENT_YES,
	ITIN_INTENT_NO,
	ITIN_INTENT_HELP,
	ITIN_INTENT_LANG_EN,
	ITIN_INTENT_LANG_ZH,
	ITIN_INTENT_UNKNOWN,
};

struct itin_request;

struct itin_request_ops {
	/* The request is durably recorded (ok) or could not be (!ok: refuse the PDU temporarily). */
	void (*accepted)(struct itin_request *req, bool ok);
	/* The reply to send; NULL when the rules say silence (rate limited after the one notice,
	 * unknown text within the help period). The channel calls itin_request_replied() after. */
	void (*reply)(struct itin_request *req, const struct itin_reply *reply);
};

struct itin_request {
	enum itin_channel channel;
	enum itin_identity_kind identity_kind;
	char identity[16];		/* digits; never logged in clear, never stored */
	enum itin_intent intent;
	bool consent_given;		/* USSD: the menu answer "1" is the consent itself */
	int64_t received_at;		/* Unix s: rules and window use this time */
	const struct itin_request_ops *ops;
	void *channel_data;		/* the channel's own state for this request */
};

struct itin_request *itin_request_alloc(void *ctx);
int itin_request_accept(struct itin_request *req);
void itin_request_replied(struct itin_request *req, bool ok);

const char *itin_channel_name(enum itin_channel channel);
const char *itin_intent_name(enum itin_intent intent);
