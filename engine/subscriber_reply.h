/*
 * The reply a subscriber reads about their own itinerary, from their presence rows, at a time,
 * in a language, with the mask of their number. The one place that computes it: the daemon's
 * SMS and USSD requests and itinerad-db query all call it, so what an operator sees is what
 * the subscriber reads. Pure: rows, times and keys come in; nothing is read or logged here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "common/reply_address.h"
#include "engine/itinerary.h"
#include "engine/reply_text.h"
#include "engine/verify_code.h"

/* Whose itinerary it is. The mask comes from the requester's number when the channel has it
 * (SMS, or the operator's --msisdn); otherwise (USSD and --imsi know only the IMSI) from the
 * mask the loader sealed, since the database holds no mask in clear. */
struct itin_subscriber {
	const char *e164;			/* NULL: the number is not known */
	const uint8_t *mask_sealed;		/* mask_sealed_len octets; 0: none stored */
	int mask_sealed_len;
	const struct itin_presence *rows;
	unsigned num_rows;
};

/* A verification code for the reply: the code in, and out the check it answers (the code
 * and the last four digits of the mask shown), which is "" when the reply shows no number
 * and so carries no code. */
struct itin_reply_code {
	char code[ITIN_VERIFY_CODE_DIGITS + 1];
	char input[ITIN_VERIFY_INPUT_DIGITS + 1];
};

/* What every reply of the deployment shares. */
struct itin_reply_inputs {
	const struct itin_risk *risks;
	unsigned num_risks;
	int64_t updated_at;			/* the newest event loaded (Unix s); 0: none */
	struct itin_sealer *sealer;		/* opens the sealed masks */
	struct itin_reply_code *code;		/* NULL: no verification code */
};

/* The itinerary (or no-data) reply as of now, a talloc child of ctx; NULL when it could not be
 * built (out of memory). *mask_lost says that a sealed mask could not be opened (its key has
 * left the secret file): the reply then shows no mask. */
struct itin_reply *itin_subscriber_reply(void *ctx, const struct itin_service_config *service,
					 const struct itin_templates *templates,
					 const struct itin_subscriber *who,
					 const struct itin_reply_inputs *in, int64_t now,
					 enum itin_lang lang, bool *mask_lost);
