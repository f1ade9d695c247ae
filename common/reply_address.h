/*
 * Sealing of the numbers the database keeps. A request accepted but not yet answered must
 * survive a restart, and answering it needs the subscriber's number; a USSD reply (which knows
 * only the IMSI) shows the masked number of the subscriber. Both are stored only sealed:
 * AES-256-GCM under a key derived from an operator secret (HKDF, label "seal", apart from the
 * subscriber HMAC's), with the purpose as associated data so that one cannot stand for the
 * other. A sealed text starts with the id of the secret (2 octets, big-endian): after a key
 * rotation, what the previous key sealed is still opened while that key is configured.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define ITIN_SEALED_MAX 64	/* key id (2) + nonce (12) + text (up to 34) + tag (16) */

enum itin_seal_purpose {
	ITIN_SEAL_REPLY_ADDRESS,	/* request_pending.reply_to: the requester's E.164 number */
	ITIN_SEAL_MASK,			/* subscriber.mask_sealed: 138****0001 */
	ITIN_SEAL_VERIFY_SHOWN,		/* verify_code.shown: the reply a code was issued with */
	ITIN_SEAL_DISPUTE,		/* dispute.said and .shown: the subscriber's words, the reply */
};

/* The sealed length of a text of len octets (itin_seal_text). */
#define ITIN_SEALED_LEN(len) (2 + 12 + (len) + 16)

struct itin_sealer;

/* A sealer with every one of keys; it seals with the current one. NULL on failure. */
struct itin_sealer *itin_sealer_alloc(void *ctx, const struct itin_keys *keys);
/* Returns the sealed length, or -errno. */
int itin_seal(struct itin_sealer *s, enum itin_seal_purpose purpose, const char *text,
	      uint8_t out[ITIN_SEALED_MAX]);
/* The same for a text of any length, into out of ITIN_SEALED_LEN(strlen(text)) octets. */
int itin_seal_text(struct itin_sealer *s, enum itin_seal_purpose purpose, const char *text,
		   uint8_t *out);
/* Returns 0 with the NUL-terminated text (max: at least len - ITIN_SEALED_LEN(0) + 1 to open
 * any text of len octets; itin_seal's are at most ITIN_SEALED_MAX); -ENOKEY when the key it names is not configured,
 * -EBADMSG when it was not sealed by that key for that purpose. */
int itin_unseal(struct itin_sealer *s, enum itin_seal_purpose purpose, const uint8_t *in,
		size_t len, char *text, size_t max);
