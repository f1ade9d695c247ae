/*
 * Number normalisation and masking. A national number that starts with the digits of the
 * country code is told from an international one by its length: Chinese mobile numbers have
 * 11 digits and begin with 1, NANP numbers have 10 and never begin with 1, so "country code +
 * at least 10 digits" is international in the plans this service meets, while a national
 * number keeps its shorter form. Numbers are never logged here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/msisdn.h"

#define NATIONAL_MIN 7			/* digits a national number needs for its mask */
#define INTERNATIONAL_MIN_NATIONAL 10	/* see above */
#define E164_MAX 15
#define TON_INTERNATIONAL 1

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

int itin_msisdn_normalize(const char *addr, uint8_t ton, const char *country_code, char out[16])
{
	size_t cc_len = strlen(country_code), len;

	if (addr[0] == '+') {
		addr++;
		ton = TON_INTERNATIONAL;
	} else if (ton != TON_INTERNATIONAL && addr[0] == '0' && addr[1] == '0') {
		addr += 2;	/* the international access prefix */
		ton = TON_INTERNATIONAL;
	}
	len = strlen(addr);
	if (!all_digits(addr) || len > E164_MAX)
		return -EINVAL;
	if (ton != TON_INTERNATIONAL &&
	    !(strncmp(addr, country_code, cc_len) == 0 && len >= cc_len + INTERNATIONAL_MIN_NATIONAL)) {
		if (addr[0] == '0') {	/* the trunk prefix */
			addr++;
			len--;
		}
		if (len < NATIONAL_MIN || cc_len + len > E164_MAX)
			return -EINVAL;
		memcpy(out, country_code, cc_len);
		memcpy(out + cc_len, addr, len + 1);
		return 0;
	}
	if (len < NATIONAL_MIN + 1)
		return -EINVAL;
	memcpy(out, addr, len + 1);
	return 0;
}

int itin_msisdn_mask(const char *e164, const char *country_code, char out[16])
{
	size_t cc_len = strlen(country_code);
	const char *national = strncmp(e164, country_code, cc_len) == 0 ? e164 + cc_len : e164;
	size_t len = strlen(national);

	if (len < 7)
		return -EINVAL;
	snprintf(out, 16, "%.3s****%s", national, national + len - 4);
	return 0;
}
