/*
 * The verification codes' statements (sql/migrations/185_verification_codes.sql, 187): issuing
 * a code with its sealed reply, a checker's check, a holder's void. The codes of one loop
 * turn's replies are stored by one statement (one commit for the turn, as the requests' begin
 * and lookup); checks and voids, rare next to itineraries, are one statement each. Knows the
 * statements, not the rules; the keys and the sealed reply come made.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct itin_db_pool;
struct itin_verify_issuer;

#define ITIN_VERIFY_ISSUE_BATCH_MAX 256	/* codes stored by one statement at the most */

enum itin_verify_outcome {
	ITIN_VERIFY_VALID = 0,
	ITIN_VERIFY_INVALID = 1,	/* no live code with that hash */
	ITIN_VERIFY_LIMITED = 2,	/* the checker's failures in its period are used up */
	ITIN_VERIFY_SILENT = 3,		/* ... and it was told so already: no reply */
};

struct itin_verify_result {
	enum itin_verify_outcome outcome;
	int64_t issued_at;		/* VALID: Unix s */
	const uint8_t *shown;		/* VALID: the sealed reply, shown_len octets */
	size_t shown_len;
};

/* rc 0 when the code is stored (committed), else negative with why. */
typedef void (*itin_verify_issued_cb)(void *arg, int rc, const char *why);
/* result NULL when the check could not be made (why says why). */
typedef void (*itin_verify_checked_cb)(void *arg, const struct itin_verify_result *result,
				       const char *why);
/* voided: the codes deleted, or negative. */
typedef void (*itin_verify_voided_cb)(void *arg, int voided, const char *why);

/* Gathers the codes issued during a loop turn and stores them at its end, on db. */
struct itin_verify_issuer *itin_verify_issuer_alloc(void *ctx, struct event_base *base,
						    struct itin_db_pool *db);
/* hash, holder: ITIN_SUBSCRIBER_KEY_LEN octets. Each returns 0 (cb will be called) or a
 * negative errno (it will not). */
int itin_verify_db_issue(struct itin_verify_issuer *v, const uint8_t *hash,
			 const uint8_t *holder, int64_t at, unsigned valid_s, const uint8_t *shown,
			 size_t shown_len, itin_verify_issued_cb cb, void *arg);
/* previous: the hash under the previous secret during a key rotation, else NULL. */
int itin_verify_db_check(struct itin_db_pool *db, const uint8_t *checker, const uint8_t *hash,
			 const uint8_t *previous, int64_t at, unsigned count, unsigned period_s,
			 itin_verify_checked_cb cb, void *arg);
int itin_verify_db_void(struct itin_db_pool *db, const uint8_t *holder, const uint8_t *previous,
			itin_verify_voided_cb cb, void *arg);
