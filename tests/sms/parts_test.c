/*
 * SMS parts byte for byte: itineraries of 1, 5, 20 and 200 places in Chinese and English (and
 * English forced into UCS2 by an emoji in an operator's template) rendered by the engine and
 * cut by engine/sms_segment.c with the default part cap. For each reply it checks that the parts
 * decode to the reply with whole place names (all, or the most recent ones and the count of
 * the others), prints that text (newlines as \n), then every part: data_coding, esm_class and the
 * short_message in hex. parts_test.ok holds this
 * output; tests/sms/parts.sh also hands it to tests/smsc/parts_check.js, which decodes the parts
 * with the npm smpp package and checks that they reassemble into the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/config.h"
#include "engine/itinerary.h"
#include "common/localtime.h"
#include "engine/places.h"
#include "engine/reply_text.h"
#include "engine/gsm_text.h"
#include "engine/sms_segment.h"

#define MAX_PLACES 200
#define NOW 1795147200	/* 2026-11-21 00:00:00 +08:00 */

static int32_t cities[MAX_PLACES];

/* The prefecture-level cities of the place table, in code order, with a few countries mixed in
 * (the United States, Hong Kong, Japan) so that both kinds of name are cut. */
static void pick_places(void)
{
	static const int32_t abroad[] = { 310, 454, 440 };
	unsigned n = 0;

	for (int32_t code = 110100; code < 660000 && n < MAX_PLACES; code += 100) {
		if (n % 7 == 3 && n / 7 < 3) {
			cities[n] = abroad[n / 7];
			n++;
		} else if (code % 10000 != 0 && itin_place_is_known(code) &&
			 itin_place_canonical(code) == code)
			cities[n++] = code;
	}
	if (n < MAX_PLACES) {
		printf("only %u places in the table\n", n);
		exit(1);
	}
}

/* The text the parts must reassemble into: all of the reply, or with only `kept` items and
 * the "more" count when the part cap left some out. */
static char *expected_text(void *ctx, const struct itin_reply *r, unsigned kept)
{
	char *s = talloc_strdup(ctx, r->head);

	for (unsigned i = 0; i < kept; i++) {
		s = talloc_strdup_append(s, r->items[i]);
		if (i + 1 < kept)
			s = talloc_strdup_append(s, r->separator);
	}
	if (kept < r->num_items) {
		char k[16];
		const char *at = strstr(r->more, "{k}");

		snprintf(k, sizeof(k), "%u", r->num_items - kept);
		s = talloc_strndup_append(s, r->more, at - r->more);
		s = talloc_asprintf_append(s, "%s%s", k, at + 3);
	}
	return talloc_strdup_append(s, r->tail);
}

/* The parts' text as this module's decoder reads it (the checker decodes independently). */
static char *decode_parts(void *ctx, const struct itin_sms_part *parts, int n)
{
	char *s = talloc_strdup(ctx, "");

	for (int i = 0; i < n; i++) {
		unsigned skip = parts[i].udhi ? parts[i].msg[0] + 1 : 0;
		char buf[1024];
		int rc = parts[i].data_coding == 8 ?
			itin_text_decode_ucs2(parts[i].msg + skip, parts[i].msg_len - skip, buf, sizeof(buf)) :
			itin_text_decode_gsm_unpacked(parts[i].msg + skip, parts[i].msg_len - skip, buf,
						      sizeof(buf));
		if (rc < 0)
			return NULL;
		s = talloc_strdup_append(s, buf);
	}
	return s;
}

static void print_case(void *ctx, const struct itin_config *cfg, const char *name,
		       enum itin_lang lang, unsigned num_places)
{
	struct itin_visit visits[MAX_PLACES];
	struct itin_itinerary it = { .visits = visits, .num_visits = num_places };
	struct itin_reply_args args = { .mask = "138****0001", .updated_at = NOW - 3600,
					.itinerary = &it };
	struct itin_sms_part parts[16];
	struct itin_reply *r;
	unsigned kept;
	char *text;
	int n;

	it.last_day = NOW / 86400 - 1;
	it.first_day = it.last_day - 13;
	for (unsigned i = 0; i < num_places; i++)
		visits[i] = (struct itin_visit){ .place = cities[i], .last_day = it.last_day };
	r = itin_reply_render(ctx, &cfg->service, cfg->templates, ITIN_TEXT_ITINERARY, lang,
			      &args);
	n = r ? itin_sms_segment(r, cfg->service.max_parts, 7, parts, 16) : -1;
	printf("== %s: %u places, cap %u parts -> %d parts\n", name, num_places,
	       cfg->service.max_parts, n);
	if (n <= 0)
		exit(1);
	text = decode_parts(ctx, parts, n);
	for (kept = r->num_items; text && kept > 0; kept--) {
		if (!strcmp(text, expected_text(ctx, r, kept)))
			break;
	}
	if (!text || strcmp(text, expected_text(ctx, r, kept))) {
		printf("the parts are not the reply with whole items: %s\n", text ? text : "(undecodable)");
		exit(1);
	}
	printf("kept %u of %u places\ntext ", kept, r->num_items);
	for (const char *c = text; *c; c++)
		printf(*c == '\n' ? "\\n" : *c == '\\' ? "\\\\" : "%c", *c);
	printf("\n");
	for (int i = 0; i < n; i++) {
		printf("part %d dc %u esm 0x%02x len %u ", i + 1, parts[i].data_coding,
		       parts[i].udhi ? 0x40 : 0, parts[i].msg_len);
		for (unsigned j = 0; j < parts[i].msg_len; j++)
			printf("%02x", parts[i].msg[j]);
		printf("\n");
	}
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "parts_test");
	char err[256];
	struct itin_config *cfg = itin_config_load(ctx, NULL, err, sizeof(err));
	static const unsigned sizes[] = { 1, 5, 20, 200 };

	if (!cfg || itin_localtime_init(cfg->service.time_zone) < 0) {
		printf("config: %s\n", cfg ? "time zone" : err);
		return 1;
	}
	pick_places();
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "zh %u", sizes[i]);
		print_case(ctx, cfg, name, ITIN_LANG_ZH, sizes[i]);
		snprintf(name, sizeof(name), "en %u", sizes[i]);
		print_case(ctx, cfg, name, ITIN_LANG_EN, sizes[i]);
	}
	cfg->templates[ITIN_LANG_EN].itinerary = talloc_strdup(cfg,
		"\xf0\x9f\x93\x8d Trip Card {mask}, {from} to {to}: {places}. Updated {updated}.");
	print_case(ctx, cfg, "en with an emoji", ITIN_LANG_EN, 5);
	print_case(ctx, cfg, "en with an emoji", ITIN_LANG_EN, 20);
	cfg->service.max_parts = 1;
	print_case(ctx, cfg, "zh, one part allowed", ITIN_LANG_ZH, 20);
	talloc_free(ctx);
	return 0;
}
