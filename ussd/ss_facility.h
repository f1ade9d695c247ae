/*
 * GSM 04.80 facility components of USSD, as osmo-hlr relays them over GSUP: reading what the
 * handset sent (a strict BER walk, then our decoders for 7-bit and UCS2) and building our
 * answers: an Invoke unstructuredSS-Request for a screen that expects an answer, a ReturnResult
 * of processUnstructuredSS-Request for the last one, each in GSM 7-bit (DCS 0x0F) when the text
 * fits, else UCS2 (DCS 0x48), and ReturnErrors. libosmocore only builds 7-bit ones.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ss_facility {
	uint8_t invoke_id;
	uint8_t opcode;
	char text[512];		/* UTF-8 */
};

/* 0, or -EINVAL when the IE is not exactly one component, an Invoke or a ReturnResult of
 * (process)UnstructuredSS-Request, with well-formed lengths and a string in a readable alphabet.
 * invoke_id is filled in as soon as it could be read, for the error answer. */
int ss_facility_parse(const uint8_t *ie, size_t len, struct ss_facility *out);
/* Writes the component into out; returns its length or -errno. */
int ss_facility_build(uint8_t *out, size_t max, bool final, uint8_t invoke_id, const char *utf8);
/* A ReturnError (unexpected data value) for input we cannot read. */
int ss_facility_build_error(uint8_t *out, size_t max, uint8_t invoke_id);
/* A ReturnError (system failure) that ends a session without a screen: timeout, lost request. */
int ss_facility_build_release(uint8_t *out, size_t max, uint8_t invoke_id);
