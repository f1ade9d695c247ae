/*
 * Sealing of reply addresses. A request accepted but not yet answered must survive a restart,
 * and answering it needs the subscriber's number; that number is stored only sealed
 * (AES-256-GCM with a key derived from the operator secret) and only until the reply is sent.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ITIN_SEALED_MAX 64	/* nonce (12) + address (up to 32) + tag (16) */

struct itin_sealer;

struct itin_sealer *itin_sealer_alloc(void *ctx, const char *secret);
/* Returns the sealed length, or -errno. */
int itin_seal(struct itin_sealer *s, const char *address, uint8_t out[ITIN_SEALED_MAX]);
/* Returns 0 with the NUL-terminated address, or -EBADMSG when it was not sealed by this key. */
int itin_unseal(struct itin_sealer *s, const uint8_t *in, size_t len, char *address, size_t max);
