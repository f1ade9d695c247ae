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
};
