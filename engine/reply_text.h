/*
 * The texts of SPEC section 5, in Chinese and English, from built-in templates or the
 * operator's ([templates zh] / [templates en] in the config). Placeholders: {mask} (本机 / Your
 * number when unknown), {updated} (data freshness, zh 11.20 13:00, en 11-20 13:00), {N} and
 * {N+1} (window days), {from} and {to} (the window, zh 11.07, en 11-07), {T} (consent minutes),
 * {period} (the rate-limit period, 1小时 / 1 hour: the longest wait before a query is answered
 * again), {date} (the shutdown date), {stay} (the minimum stay, 4小时 / 4+ hours), in the
 * itinerary {places}, where the list goes, and in a checker's answer {issued} and {shown} (the
 * holder's reply); an unknown placeholder is left as written. With a minimum stay of 0 the
 * built-in help text leaves the stay out. The result is a struct itin_reply, still UTF-8: the
 * SMS segmenter and the USSD pager cut it. No I/O, no encoding.
 */
#pragma once

#include <stdint.h>

#include "common/config.h"
#include "engine/itinerary.h"
#include "engine/reply.h"

enum itin_text {
	ITIN_TEXT_ITINERARY,
	ITIN_TEXT_NO_DATA,
	ITIN_TEXT_CONSENT_PROMPT,
	ITIN_TEXT_CONSENT_EXPIRED,
	ITIN_TEXT_CANCELLED,
	ITIN_TEXT_RATE_LIMITED,
	ITIN_TEXT_BUSY,
	ITIN_TEXT_HELP,
	ITIN_TEXT_SHUTDOWN,
	ITIN_TEXT_LANG_SWITCHED,
	ITIN_TEXT_USSD_CONSENT_MENU,
	ITIN_TEXT_VERIFY_VALID,		/* a checker's code is live: what its holder was shown */
	ITIN_TEXT_VERIFY_INVALID,
	ITIN_TEXT_VERIFY_LIMITED,	/* too many failed checks (checker or all) */
	ITIN_TEXT_CODES_VOIDED,		/* the holder's codes are cancelled */
	ITIN_TEXT_DISPUTE_OPENED,	/* {case}: the case number */
	ITIN_TEXT_DISPUTE_LIMITED,	/* dispute_limit cases today already */
};

struct itin_reply_args {
	const char *mask;			/* 138****0001; NULL or "" when unknown */
	int64_t updated_at;			/* newest event loaded (Unix s); 0: unknown, now
						 * is shown */
	int64_t now;				/* the time of the reply (Unix s) */
	const struct itin_itinerary *itinerary;	/* ITINERARY and NO_DATA */
	const char *code;			/* ITINERARY and NO_DATA: the verification code,
						 * on a line of its own at the end; NULL: none */
	const char *shown;			/* VERIFY_VALID: the holder's reply, {shown} */
	int64_t issued_at;			/* VERIFY_VALID: when (Unix s), {issued} */
	const char *case_no;			/* DISPUTE_OPENED: {case} */
};

/* text in lang: the operator's templates[lang] if set, else the built-in one, with the
 * placeholders filled from args and from the [service] rules it quotes ({N}, {T}, {stay},
 * {date}). templates: [ITIN_LANG_ZH] and [ITIN_LANG_EN]. A talloc child of ctx; NULL only when
 * out of memory. */
struct itin_reply *itin_reply_render(void *ctx, const struct itin_service_config *service,
				     const struct itin_templates *templates, enum itin_text text,
				     enum itin_lang lang, const struct itin_reply_args *args);
/* The whole reply as one UTF-8 string: head, every item, tail. */
char *itin_reply_flatten(void *ctx, const struct itin_reply *reply);
/* The reply as one string that keeps its parts (language, head, items, tail; a verification
 * code's answer is sealed so), and back: unpacked, it is cut into SMS parts or pages like the
 * original, so that a checker never reads more places than the holder could. NULL: out of
 * memory, or (unpack) not a packed reply. */
char *itin_reply_pack(void *ctx, const struct itin_reply *reply);
struct itin_reply *itin_reply_unpack(void *ctx, const char *packed);
const char *itin_text_name(enum itin_text text);
