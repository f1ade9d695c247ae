/*
 * The text decoders and the keyword parser on good and malformed input: odd UCS2 lengths,
 * lone surrogates, GSM codes above 0x7F, a dangling escape, empty input, 255 octets of
 * garbage, invalid UTF-8, keywords in full width and with arguments. Prints each result
 * (codec_test.ok); tests/sms/codec_asan.sh runs the same program built with AddressSanitizer
 * and UndefinedBehaviorSanitizer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/gsm_text.h"
#include "engine/keyword.h"

typedef int (*decoder)(const uint8_t *in, size_t len, char *out, size_t out_max);

static void decode(const char *name, decoder fn, const uint8_t *in, size_t len, size_t out_max)
{
	char out[1024];
	int rc;

	memset(out, 'X', sizeof(out));
	rc = fn(in, len, out, out_max);
	printf("%-44s ", name);
	if (rc < 0)
		printf("%s\n", rc == -EINVAL ? "-EINVAL" : rc == -ENOSPC ? "-ENOSPC" : "error");
	else if (strlen(out) != (size_t)rc)	/* a NUL character decoded (Latin-1, UCS2) */
		printf("%d, a NUL at %zu\n", rc, strlen(out));
	else
		printf("%d \"%s\"\n", rc, out);
}

static void keyword(const char *name, const char *text, size_t len)
{
	static const char *const intents[] = { "query", "yes", "no", "help", "lang-en", "lang-zh",
					       "unknown" };
	static char extra_word[] = "ITINERARY";
	struct itin_words extra = { .word = { extra_word }, .num = 1 };

	printf("%-44s %s\n", name, intents[itin_keyword_parse(text, len, &extra)]);
}

static void decoders(void)
{
	static const uint8_t hello_ucs2[] = { 0x4f, 0x60, 0x59, 0x7d };
	static const uint8_t odd_ucs2[] = { 0x00, 0x59, 0x00 };
	static const uint8_t lone_high[] = { 0x00, 0x41, 0xd8, 0x3d, 0x00, 0x42 };
	static const uint8_t lone_low[] = { 0xdc, 0xcd, 0x00, 0x41 };
	static const uint8_t pair[] = { 0xd8, 0x3d, 0xdc, 0xcd };
	static const uint8_t high_at_end[] = { 0x00, 0x41, 0xd8, 0x3d };
	static const uint8_t gsm[] = { 'C', 'X', 0x1b, 0x3c, 0x00, 0x11, 0x7f };
	static const uint8_t gsm_high[] = { 'C', 0x80, 'X' };
	static const uint8_t gsm_escape_end[] = { 'Y', 0x1b };
	static const uint8_t gsm_escape_unknown[] = { 'Y', 0x1b, 0x41 };
	static const uint8_t packed_cxmyd[] = { 0x43, 0x6c, 0x33, 0x4b, 0x04 };
	static const uint8_t latin1[] = { 'c', 0xe9, 0xff };
	uint8_t garbage[255];
	uint32_t x = 2463534242u;

	for (unsigned i = 0; i < sizeof(garbage); i++) {	/* xorshift: the same every run */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		garbage[i] = x;
	}
	decode("ucs2 你好", itin_text_decode_ucs2, hello_ucs2, sizeof(hello_ucs2), 1024);
	decode("ucs2 empty", itin_text_decode_ucs2, hello_ucs2, 0, 1024);
	decode("ucs2 odd length", itin_text_decode_ucs2, odd_ucs2, sizeof(odd_ucs2), 1024);
	decode("ucs2 lone high surrogate", itin_text_decode_ucs2, lone_high, sizeof(lone_high), 1024);
	decode("ucs2 lone low surrogate", itin_text_decode_ucs2, lone_low, sizeof(lone_low), 1024);
	decode("ucs2 high surrogate at the end", itin_text_decode_ucs2, high_at_end,
	       sizeof(high_at_end), 1024);
	decode("ucs2 surrogate pair", itin_text_decode_ucs2, pair, sizeof(pair), 1024);
	decode("ucs2 你好 into 4 octets", itin_text_decode_ucs2, hello_ucs2, sizeof(hello_ucs2), 4);
	decode("ucs2 255 octets of garbage", itin_text_decode_ucs2, garbage, sizeof(garbage), 1024);
	decode("ucs2 254 octets of garbage", itin_text_decode_ucs2, garbage, 254, 1024);
	decode("gsm unpacked: escape, @, _, 0x7F", itin_text_decode_gsm_unpacked, gsm, sizeof(gsm),
	       1024);
	decode("gsm unpacked empty", itin_text_decode_gsm_unpacked, gsm, 0, 1024);
	decode("gsm unpacked code 0x80", itin_text_decode_gsm_unpacked, gsm_high, sizeof(gsm_high),
	       1024);
	decode("gsm unpacked escape at the end", itin_text_decode_gsm_unpacked, gsm_escape_end,
	       sizeof(gsm_escape_end), 1024);
	decode("gsm unpacked escape + undefined code", itin_text_decode_gsm_unpacked,
	       gsm_escape_unknown, sizeof(gsm_escape_unknown), 1024);
	decode("gsm unpacked into 3 octets", itin_text_decode_gsm_unpacked, gsm, sizeof(gsm), 3);
	decode("gsm unpacked 255 octets of garbage", itin_text_decode_gsm_unpacked, garbage,
	       sizeof(garbage), 1024);
	decode("gsm packed CXMYD", itin_text_decode_gsm_packed, packed_cxmyd, sizeof(packed_cxmyd),
	       1024);
	decode("gsm packed empty", itin_text_decode_gsm_packed, packed_cxmyd, 0, 1024);
	decode("gsm packed 255 octets of garbage", itin_text_decode_gsm_packed, garbage,
	       sizeof(garbage), 1024);
	decode("gsm packed garbage into 16 octets", itin_text_decode_gsm_packed, garbage,
	       sizeof(garbage), 16);
	decode("latin1 cé\\xff", itin_text_decode_latin1, latin1, sizeof(latin1), 1024);
	decode("latin1 255 octets of garbage", itin_text_decode_latin1, garbage, sizeof(garbage), 1024);
	decode("latin1 into 1 octet", itin_text_decode_latin1, latin1, sizeof(latin1), 1);
	keyword("garbage as text, 255 octets", (const char *)garbage, sizeof(garbage));
}

static void encoders(void)
{
	uint8_t out[32];
	size_t septets;
	int n;

	n = itin_text_encode(ITIN_CODING_GSM7, "a€[", strlen("a€["), out, sizeof(out));
	printf("%-44s %d:", "encode gsm a€[", n);
	for (int i = 0; i < n; i++)
		printf(" %02x", out[i]);
	printf("\n%-44s %d\n", "encode gsm 你 (not in the alphabet)",
	       itin_text_encode(ITIN_CODING_GSM7, "你", strlen("你"), out, sizeof(out)));
	printf("%-44s %d\n", "encode ucs2 into 3 octets",
	       itin_text_encode(ITIN_CODING_UCS2, "ab", 2, out, 3));
	printf("%-44s %d\n", "encode invalid UTF-8 \\xc3",
	       itin_text_encode(ITIN_CODING_UCS2, "\xc3", 1, out, sizeof(out)));
	n = itin_text_encode_gsm_packed("CXMYD", 5, out, sizeof(out), &septets);
	printf("%-44s %d octets, %zu septets:", "encode packed CXMYD", n, septets);
	for (int i = 0; i < n; i++)
		printf(" %02x", out[i]);
	printf("\n%-44s %d %d %d\n", "units gsm a€[, ucs2 a📍, gsm 你",
	       itin_text_units(ITIN_CODING_GSM7, "a€[", strlen("a€[")),
	       itin_text_units(ITIN_CODING_UCS2, "a📍", strlen("a📍")),
	       itin_text_units(ITIN_CODING_GSM7, "你", strlen("你")));
}

static void keywords(void)
{
	static const char *const texts[] = {
		"CXMYD", "cxmyd", "  CxMyD  ", "ＣＸＭＹＤ", "CXMYD 13800000000", "CXMYD13800000000",
		"行程", "查询行程", "trip", "itinerary", "Y", "y", "是", "Ｙ", "N", "否", "YES",
		"BZ", "帮助", "help", "EN", "中文", "ZW", "zw", "ZH", "", " ", "\t\r\n", "CXMYDX", "Y N",
		"\u3000Ｎ\u3000", "hello",
	};
	char name[64];

	for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		snprintf(name, sizeof(name), "keyword \"%s\"", texts[i]);
		for (char *c = name; *c; c++)
			if (*c == '\t' || *c == '\r' || *c == '\n')
				*c = '~';
		keyword(name, texts[i], strlen(texts[i]));
	}
	keyword("keyword CXMYD, length 3 (nothing past len)", "CXMYD", 3);
	keyword("keyword invalid UTF-8 after CXMYD", "CXMYD \xff", 7);
	keyword("keyword truncated UTF-8 (行 cut)", "\xe8\xa1", 2);
	keyword("keyword NUL inside", "Y\0N", 3);
}

int main(void)
{
	decoders();
	encoders();
	keywords();
	return 0;
}
