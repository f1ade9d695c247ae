/*
 * Pseudonymous subscriber keys: HMAC-SHA-256 of "msisdn:<E.164 digits>" or "imsi:<digits>"
 * under a key derived from one operator secret (HKDF, label "subscriber"). These 32 octets are
 * all the database ever holds of a subscriber's identity (SPEC section 8), with the id of the
 * secret that made them. This module only derives and computes keys; it stores nothing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define ITIN_SUBSCRIBER_KEY_LEN 32
#define ITIN_DERIVED_KEY_LEN 32

/* The key of one purpose (a label) from an operator secret: HKDF-SHA-256 (RFC 5869). The
 * subscriber HMAC and the seal of stored numbers get different labels, so neither key tells
 * anything of the other. 0 or -EIO. */
int itin_key_derive(const char *secret, const char *label, uint8_t out[ITIN_DERIVED_KEY_LEN]);

struct itin_subscriber_keyer;

/* A keyer for one secret (a talloc child of ctx); NULL on failure (logged by the caller). */
struct itin_subscriber_keyer *itin_subscriber_keyer_alloc(void *ctx,
							  const struct itin_secret_key *secret);
/* The id of the secret the keyer uses (subscriber_key.key_id of what it keys). */
unsigned itin_subscriber_keyer_id(const struct itin_subscriber_keyer *keyer);

int itin_subscriber_key_msisdn(struct itin_subscriber_keyer *keyer, const char *e164,
			       uint8_t key[ITIN_SUBSCRIBER_KEY_LEN]);
int itin_subscriber_key_imsi(struct itin_subscriber_keyer *keyer, const char *imsi,
			     uint8_t key[ITIN_SUBSCRIBER_KEY_LEN]);
/* The keyed hash a verification code is stored and looked up by (issue 25): HMAC of
 * "verify:<code><last four digits>" under the same key, so that the database holds no code
 * and no digits of a number in clear. */
int itin_verify_key(struct itin_subscriber_keyer *keyer, const char *input,
		    uint8_t key[ITIN_SUBSCRIBER_KEY_LEN]);
