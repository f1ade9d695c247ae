/*
 * Text encodings of SMS and USSD (SPEC section 6): the GSM 03.38 7-bit alphabet with its
 * extension table, and UCS2 (UTF-16 big-endian). UTF-8 is the engine's text; this module
 * converts to what goes on the wire and decodes what arrives. No PDU knowledge here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum itin_coding {
	ITIN_CODING_GSM7,
	ITIN_CODING_UCS2,
};

/* Every character is in the GSM 03.38 basic or extension table (invalid UTF-8: false). */
bool itin_gsm_fits(const char *utf8, size_t len);
/* The coding a text needs: GSM 7-bit when it fits, else UCS2. */
enum itin_coding itin_text_coding(const char *utf8, size_t len);
/* Length in the coding's units: septets (an extension character counts 2) or UTF-16 code
 * units (a character outside the BMP counts 2); -EINVAL for invalid UTF-8 or unencodable. */
int itin_text_units(enum itin_coding c, const char *utf8, size_t len);
/* Units of one code point (1 or 2), -EINVAL if it has no GSM code or is negative. */
int itin_char_units(enum itin_coding c, int32_t cp);

/* UTF-8 -> one GSM code per octet (extension characters as 0x1B xx), as SMPP data_coding 0
 * carries it; or -> UTF-16BE. Returns the octets written, or -EINVAL / -ENOSPC. */
int itin_text_encode(enum itin_coding c, const char *utf8, size_t len, uint8_t *out, size_t out_max);
/* UTF-8 -> packed 7-bit (USSD DCS 0x0F). Returns octets written; *septets gets the count. */
int itin_text_encode_gsm_packed(const char *utf8, size_t len, uint8_t *out, size_t out_max,
				size_t *septets);

/* Incoming text -> NUL-terminated UTF-8 in out. Codes or characters that cannot be decoded
 * (a GSM code above 0x7F, an odd UCS2 length, a lone surrogate) give -EINVAL: a request whose
 * text cannot be read is answered as unknown text, never guessed at. Returns the length. */
int itin_text_decode_gsm_unpacked(const uint8_t *in, size_t len, char *out, size_t out_max);
int itin_text_decode_gsm_packed(const uint8_t *in, size_t len, char *out, size_t out_max);
int itin_text_decode_ucs2(const uint8_t *in, size_t len, char *out, size_t out_max);
int itin_text_decode_latin1(const uint8_t *in, size_t len, char *out, size_t out_max);

/* The next code point of UTF-8 text at *s (advanced); -1 on invalid UTF-8. */
int32_t itin_utf8_next(const char **s, const char *end);
