/*
 * Verification codes (issue 25, doc/SPEC.md section 11): the code an itinerary reply carries,
 * and a checker's input. A check is the code and the last four digits of the number the
 * holder's reply shows, digits only so that *#14*CODE*LAST4# can carry it. Pure: the random
 * octets come from the caller.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ITIN_VERIFY_CODE_DIGITS 9
#define ITIN_VERIFY_RANDOM_LEN 8
/* What a check names: the code, then the last four digits of the masked number. */
#define ITIN_VERIFY_INPUT_DIGITS (ITIN_VERIFY_CODE_DIGITS + 4)

/* A code, uniform to within 10^9 / 2^64, from random octets. */
void itin_verify_code_make(const uint8_t random[ITIN_VERIFY_RANDOM_LEN],
			   char code[ITIN_VERIFY_CODE_DIGITS + 1]);
/* The check's digits from what follows the keyword (or the USSD prefix): digits, ASCII or
 * full-width, with spaces, '*', '#' and '-' between them ignored. 0, or -EINVAL when anything
 * else is there or the digits are not ITIN_VERIFY_INPUT_DIGITS. */
int itin_verify_input_parse(const char *utf8, size_t len, char input[ITIN_VERIFY_INPUT_DIGITS + 1]);
/* The check a holder's code answers: the code and the mask's last four digits. -EINVAL when
 * the mask does not end in four digits (no number shown: no code can be checked). */
int itin_verify_input_of(const char *code, const char *mask,
			 char input[ITIN_VERIFY_INPUT_DIGITS + 1]);
