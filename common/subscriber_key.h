/*
 * Pseudonymous subscriber keys: HMAC-SHA-256, keyed by the operator's secret, of
 * "msisdn:<E.164 digits>" or "imsi:<digits>". These 32 octets are all the database ever holds of
 * a subscriber's identity (SPEC section 8). This module only computes keys; it stores nothing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ITIN_SUBSCRIBER_KEY_LEN 32

struct itin_subscriber_keyer;

/* A keyer for one secret (a talloc child of ctx); NULL on failure (logged by the caller). */
struct itin_subscriber_keyer *itin_subscriber_keyer_alloc(void *ctx, const char *secret);

int itin_subscriber_key_msisdn(struct itin_subscriber_keyer *keyer, const char *e164,
			       uint8_t key[ITIN_SUBSCRIBER_KEY_LEN]);
int itin_subscriber_key_imsi(struct itin_subscriber_keyer *keyer, const char *imsi,
			     uint8_t key[ITIN_SUBSCRIBER_KEY_LEN]);
