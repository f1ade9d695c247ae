/*
 * Keys test: the per-purpose keys derived from a secret, the pseudonyms under two secrets, and
 * the seal across a key rotation: what key 1 sealed opens with keys 2 and 1 configured and
 * with key 1 alone, not once key 1 is gone (-ENOKEY); a value sealed for one purpose does not
 * open as the other, nor after one octet changed (-EBADMSG). Output compared with keys_test.ok.
 * The derived keys and the pseudonym of key 1 in it were checked against RFC 5869 HKDF and
 * HMAC-SHA-256 computed with Python's hmac module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "common/config.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"

#define SECRET1 "c3f1a9e04b7d26e8155a0f9c3d8b2e7a6f41c09d5e3b8a7f2c6d1e0b9a4f7c35"
#define SECRET2 "7e2b94c1d05a3f68e9b1c47d2a0f5e8c3b6d9a1e4f70c25b8d3e6a9f1c04b7e2"

static void print_hex(const char *what, const uint8_t *b, size_t len)
{
	printf("%s ", what);
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static const char *result(int rc)
{
	return rc == 0 ? "opened" : rc == -ENOKEY ? "ENOKEY" : rc == -EBADMSG ? "EBADMSG" : "other";
}

static void try_unseal(const char *what, struct itin_sealer *s, enum itin_seal_purpose purpose,
		       const uint8_t *sealed, int len)
{
	char text[40] = "";
	int rc = itin_unseal(s, purpose, sealed, len, text, sizeof(text));

	printf("%s: %s%s%s\n", what, result(rc), rc ? "" : " ", rc ? "" : text);
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "keys_test");
	struct itin_keys both = { .num = 2, .key = { { 2, SECRET2 }, { 1, SECRET1 } } };
	struct itin_keys one = { .num = 1, .key = { { 1, SECRET1 } } };
	struct itin_keys two = { .num = 1, .key = { { 2, SECRET2 } } };
	struct itin_sealer *s_both = itin_sealer_alloc(ctx, &both);
	struct itin_sealer *s_one = itin_sealer_alloc(ctx, &one);
	struct itin_sealer *s_two = itin_sealer_alloc(ctx, &two);
	struct itin_subscriber_keyer *k1 = itin_subscriber_keyer_alloc(ctx, &one.key[0]);
	struct itin_subscriber_keyer *k2 = itin_subscriber_keyer_alloc(ctx, &both.key[0]);
	uint8_t derived[ITIN_DERIVED_KEY_LEN], key[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t sealed[ITIN_SEALED_MAX];
	int len;

	if (!s_both || !s_one || !s_two || !k1 || !k2)
		return 1;
	printf("# derived keys of secret 1: one per label\n");
	itin_key_derive(SECRET1, "itinerad subscriber pseudonym v2", derived);
	print_hex("pseudonym", derived, sizeof(derived));
	itin_key_derive(SECRET1, "itinerad seal v2", derived);
	print_hex("seal     ", derived, sizeof(derived));
	printf("# the pseudonym of 8613800000001 under keys %u and %u\n", itin_subscriber_keyer_id(k1),
	       itin_subscriber_keyer_id(k2));
	itin_subscriber_key_msisdn(k1, "8613800000001", key);
	print_hex("key 1", key, sizeof(key));
	itin_subscriber_key_msisdn(k2, "8613800000001", key);
	print_hex("key 2", key, sizeof(key));
	itin_subscriber_key_imsi(k2, "460001000000001", key);
	print_hex("key 2 imsi", key, sizeof(key));

	len = itin_seal(s_one, ITIN_SEAL_MASK, "138****0001", sealed);
	printf("# a mask sealed under key 1\nkey id octets: %02x%02x, %d octets\n", sealed[0],
	       sealed[1], len);
	try_unseal("keys 2 and 1", s_both, ITIN_SEAL_MASK, sealed, len);
	try_unseal("key 1", s_one, ITIN_SEAL_MASK, sealed, len);
	try_unseal("key 2 alone", s_two, ITIN_SEAL_MASK, sealed, len);
	try_unseal("as a reply address", s_both, ITIN_SEAL_REPLY_ADDRESS, sealed, len);
	sealed[len - 1] ^= 1;
	try_unseal("one octet changed", s_both, ITIN_SEAL_MASK, sealed, len);
	printf("# a reply address sealed with keys 2 and 1: under key 2\n");
	len = itin_seal(s_both, ITIN_SEAL_REPLY_ADDRESS, "8613800000001", sealed);
	printf("key id octets: %02x%02x, %d octets\n", sealed[0], sealed[1], len);
	try_unseal("key 2", s_two, ITIN_SEAL_REPLY_ADDRESS, sealed, len);
	try_unseal("key 1", s_one, ITIN_SEAL_REPLY_ADDRESS, sealed, len);
	printf("# too long to seal: %s\n",
	       itin_seal(s_both, ITIN_SEAL_MASK, "12345678901234567890123456789012345", sealed) ==
	       -EINVAL ? "EINVAL" : "sealed?");
	talloc_free(ctx);
	return 0;
}
