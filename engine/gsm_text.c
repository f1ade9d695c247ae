/*
 * GSM 03.38 and UCS2. The alphabet tables are ours because libosmocore's 7-bit helpers take
 * Latin bytes, not UTF-8, and cannot say whether a character fits. UTF-8 is
 * decoded and checked here (strict: no overlongs, no surrogates); UTF-16 by hand, as it is
 * two lines of arithmetic. Septets are packed with libosmocore (gsm_septet_pack) and
 * unpacked here, because its decoders map to Latin bytes rather than code points.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/gsm/gsm_utils.h>

#include "engine/gsm_text.h"

#define GSM_ESCAPE 0x1b

/* GSM 03.38 basic table: code -> Unicode (0x1B is the escape, never a character). */
static const uint16_t gsm_basic[128] = {
	'@', 0xa3, '$', 0xa5, 0xe8, 0xe9, 0xf9, 0xec, 0xf2, 0xc7, '\n', 0xd8, 0xf8, '\r', 0xc5, 0xe5,
	0x394, '_', 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0, 0x3a8, 0x3a3, 0x398, 0x39e, 0xffff, 0xc6, 0xe6, 0xdf, 0xc9,
	' ', '!', '"', '#', 0xa4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	0xa1, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 0xc4, 0xd6, 0xd1, 0xdc, 0xa7,
	0xbf, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0xe4, 0xf6, 0xf1, 0xfc, 0xe0,
};

/* GSM 03.38 extension table: code after the escape -> Unicode. */
static const struct { uint8_t code; uint16_t ucs; } gsm_ext[] = {
	{ 0x0a, 0x0c }, { 0x14, '^' }, { 0x28, '{' }, { 0x29, '}' }, { 0x2f, '\\' },
	{ 0x3c, '[' }, { 0x3d, '~' }, { 0x3e, ']' }, { 0x40, '|' }, { 0x65, 0x20ac },
};

static inline int32_t utf8_next(const char **s, const char *end)
{
	const uint8_t *p = (const uint8_t *)*s;
	int32_t cp;
	unsigned n;

	if (p >= (const uint8_t *)end)
		return -1;
	if (p[0] < 0x80) {
		*s += 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 1;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 2;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 3;
		cp = p[0] & 0x07;
	} else {
		return -1;
	}
	if (end - (const char *)p < (long)n + 1)
		return -1;
	for (unsigned i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*s += n + 1;
	return cp;
}

int32_t itin_utf8_next(const char **s, const char *end)
{
	return utf8_next(s, end);
}

static int16_t gsm_lookup[0x400];	/* code points below 0x400 -> gsm_code(); -1: none */
static bool gsm_lookup_built;

static void __attribute__((noinline)) build_gsm_lookup(void)
{
	for (unsigned i = 0; i < 0x400; i++)
		gsm_lookup[i] = -1;
	for (unsigned i = 0; i < 128; i++) {
		if (gsm_basic[i] < 0x400)
			gsm_lookup[gsm_basic[i]] = i;
	}
	for (unsigned i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++) {
		if (gsm_ext[i].ucs < 0x400)
			gsm_lookup[gsm_ext[i].ucs] = 0x100 | gsm_ext[i].code;
	}
	gsm_lookup_built = true;
}

/* GSM code of a code point: 0..127, or 0x100 | code for the extension table; -1 if none. */
static inline int gsm_code(int32_t cp)
{
	if (__builtin_expect(!gsm_lookup_built, 0))
		build_gsm_lookup();
	if (cp == 0x20ac)
		return 0x100 | 0x65;
	return cp >= 0 && cp < 0x400 ? gsm_lookup[cp] : -1;
}

/* Septets of an ASCII character (1, or 2 for an extension character), 0 if it has no code. */
static int ascii_septets(uint8_t c)
{
	int code = gsm_code(c);

	return code < 0 ? 0 : code & 0x100 ? 2 : 1;
}

bool itin_gsm_fits(const char *utf8, size_t len)
{
	const char *s = utf8, *end = utf8 + len;

	while (s < end) {
		if ((uint8_t)*s < 0x80) {	/* the common case, without decoding */
			if (!ascii_septets(*s++))
				return false;
		} else if (gsm_code(utf8_next(&s, end)) < 0) {
			return false;
		}
	}
	return true;
}

enum itin_coding itin_text_coding(const char *utf8, size_t len)
{
	return itin_gsm_fits(utf8, len) ? ITIN_CODING_GSM7 : ITIN_CODING_UCS2;
}

static inline int char_units(enum itin_coding c, int32_t cp)
{
	int code;

	if (cp < 0)
		return -EINVAL;
	if (c == ITIN_CODING_UCS2)
		return cp >= 0x10000 ? 2 : 1;
	if ((code = gsm_code(cp)) < 0)
		return -EINVAL;
	return code & 0x100 ? 2 : 1;
}

int itin_char_units(enum itin_coding c, int32_t cp)
{
	return char_units(c, cp);
}

int itin_text_units(enum itin_coding c, const char *utf8, size_t len)
{
	const char *s = utf8, *end = utf8 + len;
	int units = 0;

	while (s < end) {
		int u;

		if ((uint8_t)*s < 0x80) {	/* the common case, without decoding */
			u = c == ITIN_CODING_UCS2 ? 1 : ascii_septets(*s);
			s++;
			if (u == 0)
				return -EINVAL;
		} else if ((u = char_units(c, utf8_next(&s, end))) < 0) {
			return u;
		}
		units += u;
	}
	return units;
}

int itin_text_encode(enum itin_coding c, const char *utf8, size_t len, uint8_t *out, size_t out_max)
{
	const char *s = utf8, *end = utf8 + len;
	size_t n = 0;

	while (s < end) {
		int32_t cp = utf8_next(&s, end);
		int code;

		if (cp < 0)
			return -EINVAL;
		if (c == ITIN_CODING_UCS2) {
			uint16_t u[2] = { cp, 0 };
			unsigned nu = 1;
			if (cp >= 0x10000) {
				u[0] = 0xd800 | ((cp - 0x10000) >> 10);
				u[1] = 0xdc00 | ((cp - 0x10000) & 0x3ff);
				nu = 2;
			}
			if (n + 2 * nu > out_max)
				return -ENOSPC;
			for (unsigned i = 0; i < nu; i++) {
				out[n++] = u[i] >> 8;
				out[n++] = u[i] & 0xff;
			}
			continue;
		}
		if ((code = gsm_code(cp)) < 0)
			return -EINVAL;
		if (n + (code & 0x100 ? 2 : 1) > out_max)
			return -ENOSPC;
		if (code & 0x100)
			out[n++] = GSM_ESCAPE;
		out[n++] = code & 0x7f;
	}
	return n;
}

int itin_text_encode_gsm_packed(const char *utf8, size_t len, uint8_t *out, size_t out_max,
				size_t *septets)
{
	uint8_t codes[512];
	int n = itin_text_encode(ITIN_CODING_GSM7, utf8, len, codes, sizeof(codes));
	int octets;

	if (n < 0)
		return n;
	if ((size_t)(n * 7 + 7) / 8 > out_max)
		return -ENOSPC;
	octets = gsm_septet_pack(out, codes, n, 0);
	/* USSD (3GPP TS 23.038 6.1.2.3.1): 7 spare bits at the end would read as '@': use CR. */
	if (n % 8 == 7)
		out[octets - 1] |= 0x0d << 1;
	*septets = n;
	return octets;
}

static int put_utf8(char *out, size_t out_max, size_t *n, int32_t cp)
{
	char buf[4];
	size_t len;

	if (cp < 0x80) {
		buf[0] = cp;
		len = 1;
	} else if (cp < 0x800) {
		buf[0] = 0xc0 | cp >> 6;
		buf[1] = 0x80 | (cp & 0x3f);
		len = 2;
	} else if (cp < 0x10000) {
		buf[0] = 0xe0 | cp >> 12;
		buf[1] = 0x80 | ((cp >> 6) & 0x3f);
		buf[2] = 0x80 | (cp & 0x3f);
		len = 3;
	} else {
		buf[0] = 0xf0 | cp >> 18;
		buf[1] = 0x80 | ((cp >> 12) & 0x3f);
		buf[2] = 0x80 | ((cp >> 6) & 0x3f);
		buf[3] = 0x80 | (cp & 0x3f);
		len = 4;
	}
	if (*n + len + 1 > out_max)
		return -ENOSPC;
	memcpy(out + *n, buf, len);
	*n += len;
	out[*n] = '\0';
	return 0;
}

int itin_text_decode_gsm_unpacked(const uint8_t *in, size_t len, char *out, size_t out_max)
{
	size_t n = 0;

	if (out_max == 0)
		return -ENOSPC;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		int32_t cp = -1;
		if (in[i] > 0x7f)
			return -EINVAL;
		if (in[i] == GSM_ESCAPE) {
			if (++i == len)
				return -EINVAL;
			for (unsigned j = 0; j < sizeof(gsm_ext) / sizeof(gsm_ext[0]); j++) {
				if (gsm_ext[j].code == in[i])
					cp = gsm_ext[j].ucs;
			}
			if (cp < 0)
				return -EINVAL;
		} else {
			cp = gsm_basic[in[i]];
		}
		if (put_utf8(out, out_max, &n, cp) < 0)
			return -ENOSPC;
	}
	return n;
}

int itin_text_decode_gsm_packed(const uint8_t *in, size_t len, char *out, size_t out_max)
{
	uint8_t codes[320];
	size_t septets = len * 8 / 7;

	if (len > 280)
		return -EINVAL;
	for (size_t i = 0; i < septets; i++) {
		size_t bit = i * 7;
		unsigned v = in[bit / 8] >> (bit % 8);
		if (bit % 8 > 1 && bit / 8 + 1 < len)
			v |= in[bit / 8 + 1] << (8 - bit % 8);
		codes[i] = v & 0x7f;
	}
	/* A CR filling the last octet's spare bits is padding, not text. */
	if (septets % 8 == 0 && septets > 0 && codes[septets - 1] == 0x0d)
		septets--;
	return itin_text_decode_gsm_unpacked(codes, septets, out, out_max);
}

int itin_text_decode_ucs2(const uint8_t *in, size_t len, char *out, size_t out_max)
{
	size_t n = 0;

	if (out_max == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		int32_t cp = in[i] << 8 | in[i + 1];
		if (cp >= 0xd800 && cp <= 0xdbff) {
			int32_t lo;
			if (i + 3 >= len)
				return -EINVAL;
			lo = in[i + 2] << 8 | in[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff)
				return -EINVAL;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			return -EINVAL;
		}
		if (put_utf8(out, out_max, &n, cp) < 0)
			return -ENOSPC;
	}
	return n;
}

int itin_text_decode_latin1(const uint8_t *in, size_t len, char *out, size_t out_max)
{
	size_t n = 0;

	if (out_max == 0)
		return -ENOSPC;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (put_utf8(out, out_max, &n, in[i]) < 0)
			return -ENOSPC;
	}
	return n;
}
