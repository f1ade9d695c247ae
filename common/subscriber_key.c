/*
 * Subscriber keys with gnutls' HMAC. The key schedule is done once per keyer and copied for
 * each identity (gnutls_hmac_copy), which halves the cost when the loader keys millions of
 * identities. The identity text never leaves this function's stack.
 */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/subscriber_key.h"

struct itin_subscriber_keyer {
	gnutls_hmac_hd_t keyed;		/* HMAC state after the key, before any message */
};

static int keyer_destructor(struct itin_subscriber_keyer *keyer)
{
	gnutls_hmac_deinit(keyer->keyed, NULL);
	return 0;
}

struct itin_subscriber_keyer *itin_subscriber_keyer_alloc(void *ctx, const char *secret)
{
	struct itin_subscriber_keyer *keyer = talloc_zero(ctx, struct itin_subscriber_keyer);

	if (!keyer)
		return NULL;
	if (gnutls_hmac_init(&keyer->keyed, GNUTLS_MAC_SHA256, secret, strlen(secret)) < 0) {
		talloc_free(keyer);
		return NULL;
	}
	talloc_set_destructor(keyer, keyer_destructor);
	return keyer;
}

static int subscriber_key(struct itin_subscriber_keyer *keyer, const char *prefix, size_t prefix_len,
			  const char *digits, uint8_t key[ITIN_SUBSCRIBER_KEY_LEN])
{
	gnutls_hmac_hd_t h = gnutls_hmac_copy(keyer->keyed);

	if (!h)
		return -ENOMEM;
	if (gnutls_hmac(h, prefix, prefix_len) < 0 || gnutls_hmac(h, digits, strlen(digits)) < 0) {
		gnutls_hmac_deinit(h, NULL);
		return -EIO;
	}
	gnutls_hmac_deinit(h, key);
	return 0;
}

int itin_subscriber_key_msisdn(struct itin_subscriber_keyer *keyer, const char *e164,
			       uint8_t key[ITIN_SUBSCRIBER_KEY_LEN])
{
	return subscriber_key(keyer, "msisdn:", 7, e164, key);
}

int itin_subscriber_key_imsi(struct itin_subscriber_keyer *keyer, const char *imsi,
			     uint8_t key[ITIN_SUBSCRIBER_KEY_LEN])
{
	return subscriber_key(keyer, "imsi:", 5, imsi, key);
}
