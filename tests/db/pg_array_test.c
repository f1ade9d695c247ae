/*
 * The array text of the batched statements' parameters (db/pg_array.c); stdout must equal
 * tests/db/pg_array_test.ok: elements of each kind, an empty array, a buffer that starts too
 * small and grows, and the next array written into the same buffer after a close.
 */
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "db/pg_array.h"

int main(void)
{
	void *ctx = talloc_new(NULL);
	struct itin_pg_array a;
	const uint8_t octets[] = { 0x00, 0x7f, 0xab, 0xff };
	uint8_t big[300];
	const char *text;

	itin_pg_array_init(&a, ctx, 0);
	printf("empty: %s\n", itin_pg_array_close(&a));

	itin_pg_array_add_hex(&a, octets, sizeof(octets));
	itin_pg_array_add_int(&a, 0);
	itin_pg_array_add_int(&a, -42);
	itin_pg_array_add_int(&a, INT64_MAX);
	itin_pg_array_add_int(&a, INT64_MIN);
	itin_pg_array_add_text(&a, "NULL");
	itin_pg_array_add_text(&a, "2026-12-03");
	printf("mixed: %s\n", itin_pg_array_close(&a));

	itin_pg_array_add_int(&a, 7);
	printf("next, same buffer: %s\n", itin_pg_array_close(&a));

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = i;
	itin_pg_array_add_hex(&a, big, sizeof(big));
	itin_pg_array_add_hex(&a, big, 1);
	text = itin_pg_array_close(&a);
	printf("grown: %zu characters, starts %.9s, ends %s\n", strlen(text), text,
	       text + strlen(text) - 9);
	talloc_free(ctx);
	return 0;
}
