/*
 * AES-256-GCM through gnutls' AEAD API. The key is HMAC-SHA-256(secret, a fixed label), so it
 * differs from the subscriber-key HMAC while needing no second secret in the config. Every
 * sealing draws a fresh random nonce, stored in front of the ciphertext.
 */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/reply_address.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define MAX_ADDRESS (ITIN_SEALED_MAX - NONCE_LEN - TAG_LEN)

struct itin_sealer {
	gnutls_aead_cipher_hd_t aead;
};

static int sealer_destructor(struct itin_sealer *s)
{
	gnutls_aead_cipher_deinit(s->aead);
	return 0;
}

struct itin_sealer *itin_sealer_alloc(void *ctx, const char *secret)
{
	static const char label[] = "itinerad reply address key v1";
	uint8_t key[32];
	gnutls_datum_t datum = { key, sizeof(key) };
	struct itin_sealer *s = talloc_zero(ctx, struct itin_sealer);

	if (!s)
		return NULL;
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), label, sizeof(label) - 1,
			     key) < 0 ||
	    gnutls_aead_cipher_init(&s->aead, GNUTLS_CIPHER_AES_256_GCM, &datum) < 0) {
		talloc_free(s);
		return NULL;
	}
	memset(key, 0, sizeof(key));
	talloc_set_destructor(s, sealer_destructor);
	return s;
}

int itin_seal(struct itin_sealer *s, const char *address, uint8_t out[ITIN_SEALED_MAX])
{
	size_t len = strlen(address), out_len = ITIN_SEALED_MAX - NONCE_LEN;

	if (len > MAX_ADDRESS)
		return -EINVAL;
	if (gnutls_rnd(GNUTLS_RND_NONCE, out, NONCE_LEN) < 0 ||
	    gnutls_aead_cipher_encrypt(s->aead, out, NONCE_LEN, NULL, 0, TAG_LEN, address, len,
				       out + NONCE_LEN, &out_len) < 0)
		return -EIO;
	return NONCE_LEN + out_len;
}

int itin_unseal(struct itin_sealer *s, const uint8_t *in, size_t len, char *address, size_t max)
{
	size_t out_len = max - 1;

	if (len < NONCE_LEN + TAG_LEN || len > ITIN_SEALED_MAX || max < 1)
		return -EBADMSG;
	if (gnutls_aead_cipher_decrypt(s->aead, in, NONCE_LEN, NULL, 0, TAG_LEN, in + NONCE_LEN,
				       len - NONCE_LEN, address, &out_len) < 0)
		return -EBADMSG;
	address[out_len] = '\0';
	return 0;
}
