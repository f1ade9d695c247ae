/*
 * Subscriber keys with gnutls' HMAC, and the derivation of per-purpose keys from the operator
 * secrets (gnutls' HKDF). The key schedule is done once per keyer and copied for each identity
 * (gnutls_hmac_copy), which halves the cost when the loader keys millions of identities. The
 * identity text never leaves this function's stack.
 */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/subscriber_key.h"

struct itin_subscriber_keyer {
	gnutls_hmac_hd_t keyed;		/* HMAC state after the key, before any message */
	unsigned id;
};

int itin_key_derive(const char *secret, const char *label, uint8_t out[ITIN_DERIVED_KEY_LEN])
{
	static const char salt[] = "itinerad operator secret";
	uint8_t prk[32];
	gnutls_datum_t ikm = { (unsigned char *)secret, strlen(secret) };
	gnutls_datum_t salt_d = { (unsigned char *)salt, sizeof(salt) - 1 };
	gnutls_datum_t prk_d = { prk, sizeof(prk) };
	gnutls_datum_t info = { (unsigned char *)label, strlen(label) };
	int rc = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt_d, prk) < 0 ||
		 gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prk_d, &info, out,
				    ITIN_DERIVED_KEY_LEN) < 0 ? -EIO : 0;

	explicit_bzero(prk, sizeof(prk));
	return rc;
}

static int keyer_destructor(struct itin_subscriber_keyer *keyer)
{
	gnutls_hmac_deinit(keyer->keyed, NULL);
	return 0;
}

struct itin_subscriber_keyer *itin_subscriber_keyer_alloc(void *ctx,
							  const struct itin_secret_key *secret)
{
	struct itin_subscriber_keyer *keyer = talloc_zero(ctx, struct itin_subscriber_keyer);
	uint8_t key[ITIN_DERIVED_KEY_LEN];

	if (!keyer)
		return NULL;
	if (itin_key_derive(secret->secret, "itinerad subscriber pseudonym v2", key) < 0 ||
	    gnutls_hmac_init(&keyer->keyed, GNUTLS_MAC_SHA256, key, sizeof(key)) < 0) {
		explicit_bzero(key, sizeof(key));
		talloc_free(keyer);
		return NULL;
	}
	explicit_bzero(key, sizeof(key));
	keyer->id = secret->id;
	talloc_set_destructor(keyer, keyer_destructor);
	return keyer;
}

unsigned itin_subscriber_keyer_id(const struct itin_subscriber_keyer *keyer)
{
	return keyer->id;
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

int itin_verify_key(struct itin_subscriber_keyer *keyer, const char *input,
		    uint8_t key[ITIN_SUBSCRIBER_KEY_LEN])
{
	return subscriber_key(keyer, "verify:", 7, input, key);
}
