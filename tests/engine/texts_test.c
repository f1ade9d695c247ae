/*
 * What a subscriber's phone gets of every built-in text, in both languages: its coding, its
 * SMS parts (engine/sms_segment.c, the default cap) and its USSD screens (engine/ussd_pages.c),
 * the itinerary with 1, 2, 3, 6, 10 and 30 places (and no-data for 0), and the itinerary again
 * with a verification code of 14 characters added (issue 25 adds one to every itinerary).
 * The limits of issue 23 are asserted here, so that a wording that costs a part or a screen
 * fails even if its output is accepted into texts_test.ok; the table and the texts themselves
 * are compared with texts_test.ok.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/config.h"
#include "common/localtime.h"
#include "engine/gsm_text.h"
#include "engine/places.h"
#include "engine/reply_text.h"
#include "engine/sms_segment.h"
#include "engine/text_layout.h"
#include "engine/ussd_pages.h"

#define NOW 1795147200		/* 2026-11-20 12:00:00 +08:00 */
#define MAX_PARTS_OUT 16

/* Provincial capitals and other large cities, most names of the commonest length (zh 6
 * characters, province + city; en 12 to 20), with a municipality, a country and a region
 * mixed in; the first three are longer than most in both languages. */
static const int32_t places[] = {
	440100, 330100, 510100, 110100, 420100, 310, 320100, 310100, 610100, 810100,
	430100, 410100, 370100, 350100, 360100, 210100, 220100, 230100, 140100, 130100,
	340100, 450100, 530100, 520100, 460100, 620100, 630100, 640100, 650100, 540100,
};

/* The code issue 25 will append: 14 characters in either language. */
static const char *const code[] = { "验证码 K7P-4QX-9。", " Code K7P-4QX." };
#define CODE_CHARS 14

static const char *mask = "138****0007";	/* "": unknown (a USSD subscriber without data) */
static const char *const lang_name[] = { "zh", "en" };
static const char *const prefix[] = { "【行程卡】", "[Trip Card] " };

static unsigned failures;

static void limit(bool ok, const char *text, enum itin_lang lang, unsigned num_places,
		  const char *what)
{
	if (ok)
		return;
	printf("LIMIT %s %s %u places: %s\n", text, lang_name[lang], num_places, what);
	failures++;
}

/* The SMS parts issue 23 allows the text with n places (with or without the code): 0 for no
 * limit but max_parts. */
static int sms_limit(enum itin_text text, enum itin_lang lang, unsigned n)
{
	switch (text) {
	case ITIN_TEXT_ITINERARY:
		if (lang == ITIN_LANG_EN)
			return n <= 2 ? 1 : n <= 6 ? 2 : 0;
		return n <= 3 ? 2 : 0;
	case ITIN_TEXT_CONSENT_PROMPT:
		return 1;
	case ITIN_TEXT_HELP:
		return 2;
	default:
		return 0;
	}
}

/* The characters that could still be added to the end of r (after the code, if it has one)
 * before it takes more than `parts` SMS parts; -1 when it takes more already. */
static int room(void *ctx, const struct itin_config *cfg, const struct itin_reply *r, int parts)
{
	struct itin_sms_part out[MAX_PARTS_OUT];
	struct itin_reply copy = *r;
	int k;

	for (k = 0; k < 400; k++) {
		int n = itin_sms_segment(&copy, cfg->service.max_parts, 7, out, MAX_PARTS_OUT);

		if (n < 0 || n > parts)
			break;
		copy.tail = talloc_asprintf(ctx, "%s%s", copy.tail, r->lang == ITIN_LANG_EN ? "x" : "字");
	}
	return k - 1;
}

struct measure {
	enum itin_coding coding;
	int units;		/* of the whole text in its coding */
	int parts;		/* SMS */
	unsigned kept;		/* places in the SMS parts */
	int screens;		/* USSD */
	struct itin_ussd_page *pages;
	char *text;
};

/* The places in the parts: the parts decode to the head, the kept items and the tail. */
static unsigned kept_places(const struct itin_reply *r, const char *sms_text)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < r->num_items; i++) {
		if (strstr(sms_text, r->items[i]))
			kept++;
	}
	return kept;
}

static char *decode_parts(void *ctx, const struct itin_sms_part *parts, int n)
{
	char *s = talloc_strdup(ctx, "");

	for (int i = 0; s && i < n; i++) {
		unsigned skip = parts[i].udhi ? parts[i].msg[0] + 1 : 0;
		char buf[1024];
		int rc = parts[i].data_coding == 8 ?
			itin_text_decode_ucs2(parts[i].msg + skip, parts[i].msg_len - skip, buf,
					      sizeof(buf)) :
			itin_text_decode_gsm_unpacked(parts[i].msg + skip, parts[i].msg_len - skip,
						      buf, sizeof(buf));
		if (rc < 0)
			return NULL;
		s = talloc_strdup_append(s, buf);
	}
	return s;
}

static void measure(void *ctx, const struct itin_config *cfg, struct itin_reply *r,
		    struct measure *m)
{
	struct itin_sms_part parts[MAX_PARTS_OUT];
	char *sms_text;

	m->text = itin_reply_flatten(ctx, r);
	m->coding = itin_reply_coding(r, NULL);
	m->units = m->text ? itin_text_units(m->coding, m->text, strlen(m->text)) : -1;
	m->parts = itin_sms_segment(r, cfg->service.max_parts, 7, parts, MAX_PARTS_OUT);
	sms_text = m->parts > 0 ? decode_parts(ctx, parts, m->parts) : NULL;
	m->kept = sms_text ? kept_places(r, sms_text) : 0;
	m->screens = itin_ussd_paginate(ctx, r, &itin_ussd_pages_osmo_hlr, &m->pages);
	if (!m->text || m->units < 0 || m->parts <= 0 || !sms_text || m->screens <= 0) {
		printf("measuring failed: units %d parts %d screens %d\n", m->units, m->parts,
		       m->screens);
		exit(1);
	}
}

static struct itin_reply *render(void *ctx, const struct itin_config *cfg, enum itin_text text,
				 enum itin_lang lang, struct itin_itinerary *it)
{
	struct itin_reply *r = itin_reply_render(ctx, &cfg->service, cfg->templates, text, lang,
		&(struct itin_reply_args){ .mask = mask, .updated_at = NOW - 3 * 3600 + 60,
					   .now = NOW, .itinerary = it });

	if (!r) {
		printf("rendering %s failed\n", itin_text_name(text));
		exit(1);
	}
	return r;
}

static void print_row(const char *name, enum itin_lang lang, const char *places_col,
		      const struct measure *m, const struct measure *with_code, int limit_parts,
		      int room_left)
{
	char code_col[16] = "-", kept_col[16] = "-", limit_col[16] = "-", room_col[16] = "-";

	if (with_code)
		snprintf(code_col, sizeof(code_col), "%d", with_code->parts);
	if (strcmp(places_col, "-"))
		snprintf(kept_col, sizeof(kept_col), "%u", m->kept);
	if (limit_parts) {
		snprintf(limit_col, sizeof(limit_col), "%d", limit_parts);
		snprintf(room_col, sizeof(room_col), "%d", room_left);
	}
	printf("%-18s %-4s %-6s %-6s %5d %5d %5s %5s %5s %5s %6d\n", name, lang_name[lang],
	       places_col, m->coding == ITIN_CODING_GSM7 ? "GSM" : "UCS2", m->units, m->parts,
	       code_col, limit_col, room_col, kept_col, m->screens);
}

/* What an empty mask left in the old no-data text: "【行程卡】：前14天内..." */
static bool no_dangling_colon(const char *text)
{
	return !strstr(text, "】：") && !strstr(text, "] :") && !strstr(text, "]:");
}

/* Asserts for every text whatever its arguments. */
static void common_limits(const char *name, enum itin_lang lang, unsigned n,
			  const struct measure *m)
{
	limit(lang != ITIN_LANG_EN || m->coding == ITIN_CODING_GSM7, name, lang, n,
	      "English in GSM 7-bit only");
}

static void itinerary_rows(void *ctx, const struct itin_config *cfg, enum itin_lang lang,
			   struct itin_itinerary *it, struct measure *three)
{
	static const unsigned counts[] = { 0, 1, 2, 3, 6, 10, 30 };

	for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned n = counts[c];
		enum itin_text text = n ? ITIN_TEXT_ITINERARY : ITIN_TEXT_NO_DATA;
		const char *name = itin_text_name(text);
		struct measure m, with_code;
		struct itin_reply *r;
		char col[8];
		int max;

		it->num_visits = n;
		r = render(ctx, cfg, text, lang, it);
		measure(ctx, cfg, r, &m);
		common_limits(name, lang, n, &m);
		snprintf(col, sizeof(col), "%u", n);
		if (!n) {
			print_row(name, lang, col, &m, NULL, 0, 0);
			limit(m.screens == 1, name, lang, n, "one USSD screen");
			limit(no_dangling_colon(m.text), name, lang, n, "no dangling colon");
			continue;
		}
		r->tail = talloc_strdup_append(r->tail, code[lang]);
		measure(ctx, cfg, r, &with_code);
		max = sms_limit(text, lang, n);
		print_row(name, lang, col, &m, &with_code, max, max ? room(ctx, cfg, r, max) : 0);
		if (n == 3)
			*three = m;
		limit(!max || (m.parts <= max && with_code.parts <= max), name, lang, n,
		      "SMS parts, with and without the code");
		limit(m.kept == n || m.parts == (int)cfg->service.max_parts, name, lang, n,
		      "places left out only at the part cap");
		limit(strstr(m.pages[0].text, itin_place_name(it->visits[0].place, lang)) != NULL,
		      name, lang, n, "the first place on the first USSD screen");
		if (m.screens > 1) {
			char pos[16];

			snprintf(pos, sizeof(pos), "\n1/%d ", m.screens);
			limit(strstr(m.pages[0].text, pos) != NULL, name, lang, n,
			      "the first screen says 1/N");
		}
	}
}

/* The limits of the texts without places. */
static void text_limits(const struct itin_config *cfg, enum itin_text text, enum itin_lang lang,
			const struct measure *m)
{
	const char *name = itin_text_name(text);
	bool prefixed = !strncmp(m->text, prefix[lang], strlen(prefix[lang]));
	char wait[32];

	common_limits(name, lang, 0, m);
	limit(m->parts <= (int)cfg->service.max_parts, name, lang, 0, "within max_parts");
	limit(!sms_limit(text, lang, 0) || m->parts <= sms_limit(text, lang, 0), name, lang, 0,
	      "SMS parts");
	switch (text) {
	case ITIN_TEXT_RATE_LIMITED:
		snprintf(wait, sizeof(wait), lang == ITIN_LANG_EN ? "in 1 hour" : "1小时后");
		limit(prefixed && strstr(m->text, wait), name, lang, 0,
		      "the prefix and the rate-limit period as the wait");
		limit(m->screens == 1, name, lang, 0, "one USSD screen");
		break;
	case ITIN_TEXT_CONSENT_EXPIRED:
		snprintf(wait, sizeof(wait), lang == ITIN_LANG_EN ? "within %u min" : "%u分钟内",
			 cfg->service.consent_timeout_s / 60);
		limit(prefixed && strstr(m->text, wait), name, lang, 0,
		      "the prefix and the consent timeout");
		break;
	case ITIN_TEXT_BUSY:
		limit(prefixed && strstr(m->text, lang == ITIN_LANG_EN ? "in a few minutes" : "几分钟后"),
		      name, lang, 0, "the prefix and when to try again");
		limit(m->screens == 1, name, lang, 0, "one USSD screen");
		break;
	case ITIN_TEXT_CANCELLED:
	case ITIN_TEXT_USSD_CONSENT_MENU:
		limit(m->screens == 1, name, lang, 0, "one USSD screen");
		break;
	default:
		break;
	}
}

static void print_text(const char *name, enum itin_lang lang, const char *places_col,
		       const struct measure *m)
{
	printf("== %s %s%s%s\n", name, lang_name[lang], places_col ? ", places " : "",
	       places_col ? places_col : "");
	printf("%s\n", m->text);
	for (int i = 0; i < m->screens; i++)
		printf("-- USSD screen %d/%d:\n%s\n", i + 1, m->screens, m->pages[i].text);
}

/* Ten screens and more: the footers of two-digit page numbers still fit. The places repeat
 * (rendering does not care), 90 of them. */
static void ten_screens(void *ctx, const struct itin_config *cfg, const struct itin_itinerary *it)
{
	struct itin_visit many[90];
	struct itin_itinerary big = *it;
	struct itin_ussd_page *pages;
	int n;

	for (unsigned i = 0; i < 90; i++)
		many[i] = it->visits[i % (sizeof(places) / sizeof(places[0]))];
	big.visits = many;
	big.num_visits = 90;
	n = itin_ussd_paginate(ctx, render(ctx, cfg, ITIN_TEXT_ITINERARY, ITIN_LANG_ZH, &big),
			       &itin_ussd_pages_osmo_hlr, &pages);
	if (n <= 0) {
		printf("paginating 90 places failed: %d\n", n);
		exit(1);
	}
	printf("itinerary zh, 90 places: %d USSD screens, the first ends \"%s\", the last \"%s\"\n",
	       n, strrchr(pages[0].text, '\n') + 1, strrchr(pages[n - 1].text, '\n') + 1);
	limit(n >= 10, "itinerary, 90 places", ITIN_LANG_ZH, 90, "ten USSD screens or more");
	for (int i = 0; i < n; i++)
		limit(itin_text_units(ITIN_CODING_UCS2, pages[i].text, strlen(pages[i].text)) <=
		      (i + 1 < n ? 57 : 56), "itinerary, 90 places", ITIN_LANG_ZH, 90,
		      "every screen within osmo-hlr's 57 / 56 characters");
	printf("\n");
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "texts_test");
	char err[256];
	struct itin_config *cfg = itin_config_load(ctx, NULL, err, sizeof(err));
	const unsigned num_places = sizeof(places) / sizeof(places[0]);
	struct itin_visit visits[sizeof(places) / sizeof(places[0])];
	struct itin_itinerary it = { .visits = visits };
	struct measure texts[ITIN_TEXT_USSD_CONSENT_MENU + 1][2], three[2];

	if (!cfg || itin_localtime_init(cfg->service.time_zone) < 0) {
		printf("config: %s\n", cfg ? "time zone" : err);
		return 1;
	}
	cfg->service.shutdown_date = talloc_strdup(cfg, "2026.12.31");
	it.last_day = itin_local_day(NOW);
	it.first_day = it.last_day - (cfg->service.window_days - 1);
	for (unsigned i = 0; i < num_places; i++)
		visits[i] = (struct itin_visit){ .place = places[i], .last_day = it.last_day - i / 3 };

	printf("# built-in texts, default config (max_parts %u). +code: the SMS parts with a code "
	       "of %u characters added; limit: the SMS parts allowed (with the code too); room: the "
	       "characters that could still be added (after the code) within the limit; kept: "
	       "places in the SMS parts; ussd: screens\n", cfg->service.max_parts, CODE_CHARS);
	printf("%-18s %-4s %-6s %-6s %5s %5s %5s %5s %5s %5s %6s\n", "text", "lang", "places",
	       "coding", "chars", "sms", "+code", "limit", "room", "kept", "ussd");
	for (enum itin_lang lang = ITIN_LANG_ZH; lang <= ITIN_LANG_EN; lang++) {
		int units = itin_text_units(lang == ITIN_LANG_EN ? ITIN_CODING_GSM7 : ITIN_CODING_UCS2,
					    code[lang], strlen(code[lang]));

		if (units != CODE_CHARS) {
			printf("the code is %d characters, not %u\n", units, CODE_CHARS);
			return 1;
		}
		itinerary_rows(ctx, cfg, lang, &it, &three[lang]);
		for (enum itin_text t = ITIN_TEXT_CONSENT_PROMPT; t <= ITIN_TEXT_USSD_CONSENT_MENU; t++) {
			struct measure *m = &texts[t][lang];

			struct itin_reply *r = render(ctx, cfg, t, lang, &it);
			int max = sms_limit(t, lang, 0);

			measure(ctx, cfg, r, m);
			print_row(itin_text_name(t), lang, "-", m, NULL, max, max ? room(ctx, cfg, r, max) : 0);
			text_limits(cfg, t, lang, m);
		}
	}
	printf("\n");
	ten_screens(ctx, cfg, &it);
	for (enum itin_lang lang = ITIN_LANG_ZH; lang <= ITIN_LANG_EN; lang++) {
		struct measure none, unknown;

		it.num_visits = 0;
		measure(ctx, cfg, render(ctx, cfg, ITIN_TEXT_NO_DATA, lang, &it), &none);
		mask = "";
		measure(ctx, cfg, render(ctx, cfg, ITIN_TEXT_NO_DATA, lang, &it), &unknown);
		mask = "138****0007";
		limit(unknown.screens == 1, "no-data, mask unknown", lang, 0, "one USSD screen");
		limit(no_dangling_colon(unknown.text), "no-data, mask unknown", lang, 0,
		      "no dangling colon");
		print_text(itin_text_name(ITIN_TEXT_ITINERARY), lang, "3", &three[lang]);
		print_text(itin_text_name(ITIN_TEXT_NO_DATA), lang, NULL, &none);
		print_text("no-data, mask unknown", lang, NULL, &unknown);
		for (enum itin_text t = ITIN_TEXT_CONSENT_PROMPT; t <= ITIN_TEXT_USSD_CONSENT_MENU; t++)
			print_text(itin_text_name(t), lang, NULL, &texts[t][lang]);
	}
	talloc_free(ctx);
	if (failures)
		printf("%u limits not met\n", failures);
	return failures ? 1 : 0;
}
