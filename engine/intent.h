/*
 * What the subscriber asked for: the keyword parser (engine/keyword.c) turns text into it, the
 * request rules (service/request.c, sql/migrations/051_request_rules.sql) act on it. The
 * numbers are shared with the SQL function.
 */
#pragma once

enum itin_intent {
	ITIN_INTENT_QUERY,
	ITIN_INTENT_YES,
	ITIN_INTENT_NO,
	ITIN_INTENT_HELP,
	ITIN_INTENT_LANG_EN,
	ITIN_INTENT_LANG_ZH,
	ITIN_INTENT_UNKNOWN,
	/* Verification codes (issue 25): not handled by the request rules of migration 051 but
	 * by those of migration 185 (service/request_verify.c), hence after UNKNOWN. */
	ITIN_INTENT_VERIFY,		/* a checker's YZ <code> <last four digits> */
	ITIN_INTENT_VOID_CODES,		/* the holder cancels their codes */
	ITIN_INTENT_DISPUTE,		/* JC <free text>: a place is wrong (a case for care) */
};
