/*
 * libFuzzer harness: the SMS text decoders (GSM 03.38 one code per octet and packed, UCS2,
 * Latin-1) and the keyword parser on arbitrary octets, as a deliver_sm's short_message or a
 * USSD string reaches them; then, for text that decoded, the encoders and unit counts the
 * reply path uses on it.
 * sources: engine/gsm_text.c engine/keyword.c
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/gsm_text.h"
#include "engine/keyword.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*const decoders[])(const uint8_t *, size_t, char *, size_t) = {
		itin_text_decode_gsm_unpacked, itin_text_decode_gsm_packed,
		itin_text_decode_ucs2, itin_text_decode_latin1,
	};
	static char extra_word[] = "ITINERARY";
	struct itin_words extra = { .word = { extra_word }, .num = 1 };
	char text[4 * 1024];
	uint8_t out[8 * 1024];
	size_t septets;

	itin_keyword_parse((const char *)data, size, &extra);
	for (unsigned i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		int n = decoders[i](data, size, text, size % 2 ? sizeof(text) : 64);
		if (n < 0)
			continue;
		itin_keyword_parse(text, n, &extra);
		itin_text_units(ITIN_CODING_GSM7, text, n);
		itin_text_units(ITIN_CODING_UCS2, text, n);
		itin_text_encode(itin_text_coding(text, n), text, n, out, sizeof(out));
		itin_text_encode_gsm_packed(text, n, out, sizeof(out), &septets);
	}
	return 0;
}
