/*
 * Verification codes: making one from random octets, reading a checker's digits. Why 9
 * digits and the last four of the number: doc/manual/operator.md, "Verification codes".
 */
#include <errno.h>
#include <string.h>

#include "engine/gsm_text.h"
#include "engine/verify_code.h"

void itin_verify_code_make(const uint8_t random[ITIN_VERIFY_RANDOM_LEN],
			   char code[ITIN_VERIFY_CODE_DIGITS + 1])
{
	uint64_t v = 0;

	for (unsigned i = 0; i < ITIN_VERIFY_RANDOM_LEN; i++)
		v = v << 8 | random[i];
	for (int i = ITIN_VERIFY_CODE_DIGITS - 1; i >= 0; i--) {
		code[i] = '0' + v % 10;
		v /= 10;
	}
	code[ITIN_VERIFY_CODE_DIGITS] = '\0';
}

int itin_verify_input_parse(const char *utf8, size_t len, char input[ITIN_VERIFY_INPUT_DIGITS + 1])
{
	const char *s = utf8, *end = utf8 + len;
	unsigned n = 0;

	while (s < end) {
		int32_t cp = itin_utf8_next(&s, end);

		if (cp >= 0xff10 && cp <= 0xff19)	/* full-width digits */
			cp -= 0xfee0;
		if (cp >= '0' && cp <= '9') {
			if (n == ITIN_VERIFY_INPUT_DIGITS)
				return -EINVAL;
			input[n++] = cp;
		} else if (cp != ' ' && cp != '*' && cp != '#' && cp != '-' && cp != 0x3000) {
			return -EINVAL;
		}
	}
	input[n] = '\0';
	return n == ITIN_VERIFY_INPUT_DIGITS ? 0 : -EINVAL;
}

int itin_verify_input_of(const char *code, const char *mask,
			 char input[ITIN_VERIFY_INPUT_DIGITS + 1])
{
	size_t len = mask ? strlen(mask) : 0;

	if (strlen(code) != ITIN_VERIFY_CODE_DIGITS || len < 4 ||
	    strspn(mask + len - 4, "0123456789") != 4)
		return -EINVAL;
	memcpy(input, code, ITIN_VERIFY_CODE_DIGITS);
	memcpy(input + ITIN_VERIFY_CODE_DIGITS, mask + len - 4, 5);
	return 0;
}
