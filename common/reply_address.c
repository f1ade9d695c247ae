/*
 * AES-256-GCM through gnutls' AEAD API, one cipher per configured secret. The key is
 * HKDF(secret, "seal"), different from the subscriber HMAC's. Every sealing draws a fresh
 * random nonce, stored after the key id and in front of the ciphertext.
 */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/reply_address.h"
#include "common/subscriber_key.h"

#define ID_LEN 2
#define NONCE_LEN 12
#define TAG_LEN 16
#define MAX_TEXT (ITIN_SEALED_MAX - ID_LEN - NONCE_LEN - TAG_LEN)

struct itin_sealer {
	struct {
		unsigned id;
		gnutls_aead_cipher_hd_t aead;
	} key[ITIN_MAX_KEYS];		/* [0]: the current key, which seals */
	unsigned num_keys;
};

static const char *const purpose_label[] = {
	[ITIN_SEAL_REPLY_ADDRESS] = "reply address",
	[ITIN_SEAL_MASK] = "msisdn mask",
	[ITIN_SEAL_VERIFY_SHOWN] = "verification answer",
	[ITIN_SEAL_DISPUTE] = "dispute",
};

static int sealer_destructor(struct itin_sealer *s)
{
	for (unsigned i = 0; i < s->num_keys; i++)
		gnutls_aead_cipher_deinit(s->key[i].aead);
	return 0;
}

struct itin_sealer *itin_sealer_alloc(void *ctx, const struct itin_keys *keys)
{
	struct itin_sealer *s = talloc_zero(ctx, struct itin_sealer);
	uint8_t key[ITIN_DERIVED_KEY_LEN];
	gnutls_datum_t datum = { key, sizeof(key) };

	if (!s)
		return NULL;
	talloc_set_destructor(s, sealer_destructor);
	for (unsigned i = 0; i < keys->num; i++) {
		int rc = itin_key_derive(keys->key[i].secret, "itinerad seal v2", key);

		if (rc == 0 && gnutls_aead_cipher_init(&s->key[i].aead, GNUTLS_CIPHER_AES_256_GCM,
						       &datum) < 0)
			rc = -EIO;
		explicit_bzero(key, sizeof(key));
		if (rc < 0) {
			talloc_free(s);
			return NULL;
		}
		s->key[i].id = keys->key[i].id;
		s->num_keys++;
	}
	if (s->num_keys == 0) {
		talloc_free(s);
		return NULL;
	}
	return s;
}

static int seal(struct itin_sealer *s, enum itin_seal_purpose purpose, const char *text,
		size_t len, uint8_t *out)
{
	const char *ad = purpose_label[purpose];
	size_t out_len = len + TAG_LEN;
	uint8_t *nonce = out + ID_LEN;

	out[0] = s->key[0].id >> 8;
	out[1] = s->key[0].id & 0xff;
	if (gnutls_rnd(GNUTLS_RND_NONCE, nonce, NONCE_LEN) < 0 ||
	    gnutls_aead_cipher_encrypt(s->key[0].aead, nonce, NONCE_LEN, ad, strlen(ad), TAG_LEN,
				       text, len, nonce + NONCE_LEN, &out_len) < 0)
		return -EIO;
	return ID_LEN + NONCE_LEN + out_len;
}

int itin_seal(struct itin_sealer *s, enum itin_seal_purpose purpose, const char *text,
	      uint8_t out[ITIN_SEALED_MAX])
{
	size_t len = strlen(text);

	if (len > MAX_TEXT)
		return -EINVAL;
	return seal(s, purpose, text, len, out);
}

int itin_seal_text(struct itin_sealer *s, enum itin_seal_purpose purpose, const char *text,
		   uint8_t *out)
{
	return seal(s, purpose, text, strlen(text), out);
}

int itin_unseal(struct itin_sealer *s, enum itin_seal_purpose purpose, const uint8_t *in,
		size_t len, char *text, size_t max)
{
	const char *ad = purpose_label[purpose];
	size_t out_len = max - 1;
	unsigned id;

	if (len < ID_LEN + NONCE_LEN + TAG_LEN || max < 1 ||
	    (purpose != ITIN_SEAL_VERIFY_SHOWN && purpose != ITIN_SEAL_DISPUTE &&
	     len > ITIN_SEALED_MAX))
		return -EBADMSG;
	id = (unsigned)in[0] << 8 | in[1];
	for (unsigned i = 0; i < s->num_keys; i++) {
		if (s->key[i].id != id)
			continue;
		if (gnutls_aead_cipher_decrypt(s->key[i].aead, in + ID_LEN, NONCE_LEN, ad,
					       strlen(ad), TAG_LEN, in + ID_LEN + NONCE_LEN,
					       len - ID_LEN - NONCE_LEN, text, &out_len) < 0)
			return -EBADMSG;
		text[out_len] = '\0';
		return 0;
	}
	return -ENOKEY;
}
