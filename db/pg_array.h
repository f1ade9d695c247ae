/*
 * PostgreSQL array text ("{a,b,c}") written element by element: the array parameters of the
 * batched statements (one element per request of a loop turn). The text grows in a talloc
 * buffer; an allocation failure is remembered and reported once, by itin_pg_array_close().
 * Elements are written as given: hex and integers need no quoting, and the caller passes only
 * such text (or NULL, t, f, a date).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itin_pg_array {
	void *ctx;			/* the buffer's talloc parent */
	char *buf;
	size_t len, size;
	bool failed;			/* out of memory: the text is lost */
};

/* An empty array whose buffer hangs off ctx, sized for size_hint octets of text. */
void itin_pg_array_init(struct itin_pg_array *a, void *ctx, size_t size_hint);
/* One more element: len octets as hex; a decimal integer; text as it is. */
void itin_pg_array_add_hex(struct itin_pg_array *a, const uint8_t *in, size_t len);
void itin_pg_array_add_int(struct itin_pg_array *a, int64_t v);
void itin_pg_array_add_text(struct itin_pg_array *a, const char *text);
/* The array's text, valid until the next add (which starts the next array in the same buffer)
 * or until ctx is freed; NULL when memory ran out on the way (the next array starts afresh). */
const char *itin_pg_array_close(struct itin_pg_array *a);
