/*
 * PostgreSQL array text written element by element (pg_array.h). The buffer doubles when an
 * element does not fit, so a batch costs the copies of its elements and a few reallocations,
 * not a pass over the text so far per element. Nothing here knows a statement.
 */
#include <string.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "db/pg_array.h"

void itin_pg_array_init(struct itin_pg_array *a, void *ctx, size_t size_hint)
{
	*a = (struct itin_pg_array){ .ctx = ctx };
	a->buf = talloc_size(ctx, size_hint + 3);
	a->size = a->buf ? size_hint + 3 : 0;
	a->failed = !a->buf;
}

/* Room for a separator, need octets and the closing "}" with its NUL; false when a failed. */
static bool reserve(struct itin_pg_array *a, size_t need)
{
	size_t size = a->size ? a->size : 64;

	if (a->failed)
		return false;
	while (size < a->len + need + 3)
		size *= 2;
	if (size != a->size) {
		char *buf = talloc_realloc_size(a->ctx, a->buf, size);

		if (!buf) {
			a->failed = true;
			return false;
		}
		a->buf = buf;
		a->size = size;
	}
	a->buf[a->len] = a->len ? ',' : '{';
	a->len++;
	return true;
}

void itin_pg_array_add_hex(struct itin_pg_array *a, const uint8_t *in, size_t len)
{
	if (!reserve(a, 2 * len))
		return;
	osmo_hexdump_buf(a->buf + a->len, 2 * len + 1, in, len, "", false);
	a->len += 2 * len;
}

void itin_pg_array_add_int(struct itin_pg_array *a, int64_t v)
{
	char digits[20];
	unsigned n = 0;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (!reserve(a, 21))
		return;
	do {
		digits[n++] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (v < 0)
		a->buf[a->len++] = '-';
	while (n)
		a->buf[a->len++] = digits[--n];
}

void itin_pg_array_add_text(struct itin_pg_array *a, const char *text)
{
	size_t len = strlen(text);

	if (!reserve(a, len))
		return;
	memcpy(a->buf + a->len, text, len);
	a->len += len;
}

const char *itin_pg_array_close(struct itin_pg_array *a)
{
	bool failed = a->failed;

	a->failed = !a->buf;
	if (failed) {
		a->len = 0;
		return NULL;
	}
	if (!a->len)
		a->buf[a->len++] = '{';	/* an empty array: reserve() made room at init */
	a->buf[a->len++] = '}';
	a->buf[a->len] = '\0';
	a->len = 0;
	return a->buf;
}
