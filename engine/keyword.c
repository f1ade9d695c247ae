/*
 * Keyword parsing without a copy: the text is walked code point by code point, each folded
 * (full-width ASCII to ASCII, the ideographic and no-break spaces and tab, CR, LF to a space,
 * letters to upper case), so a text of any length is compared with nothing read past len and
 * nothing cut off. Invalid UTF-8 anywhere makes the text unknown.
 */
#include <string.h>

#include "engine/gsm_text.h"
#include "engine/keyword.h"

struct keyword {
	const char *word;
	enum itin_intent intent;
	bool takes_argument;	/* may be followed by a space and anything */
};

static const struct keyword keywords[] = {
	{ "CXMYD", ITIN_INTENT_QUERY, true },
	{ "行程", ITIN_INTENT_QUERY, true },
	{ "查询行程", ITIN_INTENT_QUERY, true },
	{ "TRIP", ITIN_INTENT_QUERY, true },
	{ "Y", ITIN_INTENT_YES, false },
	{ "是", ITIN_INTENT_YES, false },
	{ "N", ITIN_INTENT_NO, false },
	{ "否", ITIN_INTENT_NO, false },
	{ "BZ", ITIN_INTENT_HELP, false },
	{ "帮助", ITIN_INTENT_HELP, false },
	{ "HELP", ITIN_INTENT_HELP, false },
	{ "EN", ITIN_INTENT_LANG_EN, false },
	{ "中文", ITIN_INTENT_LANG_ZH, false },
	{ "ZW", ITIN_INTENT_LANG_ZH, false },	/* 中文 in pinyin initials: typed on any phone */
	{ "YZ", ITIN_INTENT_VERIFY, true },
	{ "验证", ITIN_INTENT_VERIFY, true },
	{ "VERIFY", ITIN_INTENT_VERIFY, true },
	{ "QXYZ", ITIN_INTENT_VOID_CODES, false },
	{ "取消验证", ITIN_INTENT_VOID_CODES, false },
	{ "VOID", ITIN_INTENT_VOID_CODES, false },
	{ "JC", ITIN_INTENT_DISPUTE, true },
	{ "纠错", ITIN_INTENT_DISPUTE, true },
	{ "DISPUTE", ITIN_INTENT_DISPUTE, true },
};

static int32_t next_folded(const char **s, const char *end)
{
	int32_t cp = itin_utf8_next(s, end);

	if (cp >= 0xff01 && cp <= 0xff5e)
		cp -= 0xfee0;
	else if (cp == 0x3000 || cp == 0xa0 || cp == '\t' || cp == '\r' || cp == '\n')
		cp = ' ';
	if (cp >= 'a' && cp <= 'z')
		cp -= 'a' - 'A';
	return cp;
}

/* The text without surrounding (folded) spaces, as [*b, *e); false for invalid UTF-8. */
static bool trim(const char *s, size_t len, const char **b, const char **e)
{
	const char *end = s + len;

	*b = *e = s;
	while (s < end) {
		const char *at = s;
		int32_t cp = next_folded(&s, end);
		if (cp < 0)
			return false;
		if (cp == ' ')
			continue;
		if (*e == *b)
			*b = at;
		*e = s;
	}
	if (*e == *b)
		*b = *e;	/* all spaces: empty */
	return true;
}

/* The text is word alone, or (if it takes an argument) word, a space, and anything. */
static bool matches(const char *text, const char *text_end, const char *word, size_t word_len,
		    bool takes_argument)
{
	const char *w, *w_end;

	if (!trim(word, word_len, &w, &w_end) || w == w_end)
		return false;
	while (w < w_end) {
		if (text >= text_end || next_folded(&text, text_end) != next_folded(&w, w_end))
			return false;
	}
	return text == text_end || (takes_argument && next_folded(&text, text_end) == ' ');
}

enum itin_intent itin_keyword_parse(const char *utf8, size_t len, const struct itin_words *extra_query)
{
	const char *b, *e;

	if (!trim(utf8, len, &b, &e) || b == e)
		return ITIN_INTENT_UNKNOWN;
	for (unsigned i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		const struct keyword *k = &keywords[i];
		if (matches(b, e, k->word, strlen(k->word), k->takes_argument))
			return k->intent;
	}
	for (unsigned i = 0; extra_query && i < extra_query->num; i++) {
		const char *w = extra_query->word[i];
		if (w && matches(b, e, w, strlen(w), true))
			return ITIN_INTENT_QUERY;
	}
	return ITIN_INTENT_UNKNOWN;
}
