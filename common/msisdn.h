/*
 * Subscriber numbers: normalising what the SMSC sends to E.164 (SPEC section 1), and the
 * masked form the replies and logs show. Numbers are E.164 digits without '+'.
 */
#pragma once

#include <stdint.h>

/* addr as the SMSC gives it, with its TON. TON 1 (international) or a leading '+': kept as it
 * is. Any other TON is read as national, but osmo-msc sends 8613800000001 as TON 3: a number
 * that already starts with the country code and has at least 10 digits after it is kept;
 * otherwise a trunk 0 is stripped and the country code prepended. Non-digits, fewer than 7
 * national digits or more than 15 in all: -EINVAL. out gets the E.164 digits without '+'. */
int itin_msisdn_normalize(const char *addr, uint8_t ton, const char *country_code, char out[16]);

/* "138****0001": the first 3 and last 4 digits of the national number. -EINVAL if too short. */
int itin_msisdn_mask(const char *e164, const char *country_code, char out[16]);
