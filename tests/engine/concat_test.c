/*
 * The user data header parser and the reassembly of engine/sms_concat.h on chosen cases: the
 * header layouts a handset sends and the ones that run past the end; parts out of order, a
 * repeat, a new message reusing a reference, the timeout, and each bound (per sender and in
 * total, messages and octets) pushing the oldest out. Each step prints what became of it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "engine/sms_concat.h"

static void udh(const char *name, const uint8_t *msg, size_t len)
{
	struct itin_udh u;
	int rc = itin_udh_parse(msg, len, &u);

	printf("udh %-28s ", name);
	if (rc < 0)
		printf("-> %s\n", rc == -EINVAL ? "-EINVAL" : "?");
	else if (u.concat)
		printf("-> text at %zu, part %u of %u, %s reference %u\n", u.len, u.seq, u.total,
		       u.ref16 ? "16-bit" : "8-bit", u.ref);
	else
		printf("-> text at %zu, no part\n", u.len);
}

static const char *const results[] = { "held", "whole", "repeat", "too big" };

static void show(struct itin_concat_msg *m, const char *what)
{
	printf("    %s: %s ref %u, %u of %u parts%s:", what, m->sender, m->ref, m->held, m->total,
	       m->evicted ? ", pushed out" : "");
	for (unsigned i = 0; i < m->total; i++)
		printf(" [%.*s]", (int)m->part[i].len, m->part[i].data ? (const char *)m->part[i].data : "");
	printf("\n");
	talloc_free(m);
}

static void add(struct itin_concat *c, double now, const char *sender, enum itin_concat_kind kind,
		uint16_t ref, uint8_t total, uint8_t seq, const char *text)
{
	struct itin_concat_part p = { .sender = sender, .kind = kind, .ref = ref, .total = total,
				      .seq = seq, .data = (const uint8_t *)text, .len = strlen(text) };
	struct itin_concat_msg *whole, *m;
	struct itin_concat_stats st;
	int rc = itin_concat_add(c, &p, now, &whole);

	itin_concat_get_stats(c, &st);
	printf("t=%-5g %s ref %u part %u/%u \"%s\" -> %s (held %u messages, %zu octets)\n", now,
	       sender, ref, seq, total, text, rc >= 0 ? results[rc] : rc == -EINVAL ? "-EINVAL" : "?",
	       st.messages, st.bytes);
	if (whole)
		show(whole, "whole");
	while ((m = itin_concat_expired(c, now)))
		show(m, "handed back");
}

static void expire(struct itin_concat *c, double now)
{
	struct itin_concat_msg *m;

	printf("t=%-5g expiry\n", now);
	while ((m = itin_concat_expired(c, now)))
		show(m, "handed back");
}

int main(void)
{
	const struct itin_concat_limits limits = {
		.timeout_s = 60, .max_messages = 4, .max_bytes = 40, .sender_messages = 2, .sender_bytes = 20,
	};
	void *ctx = talloc_named_const(NULL, 0, "concat_test");
	struct itin_concat *c = itin_concat_alloc(ctx, &limits);
	const char *a = "8613800000001", *b = "8613800000002", *d = "8613800000003";

	udh("8-bit ref, part 1 of 2", (const uint8_t *)"\x05\x00\x03\xcc\x02\x01" "CXMYD", 11);
	udh("16-bit ref, part 3 of 3", (const uint8_t *)"\x06\x08\x04\x01\x02\x03\x03" "x", 8);
	udh("port IE, then 8-bit ref", (const uint8_t *)"\x0b\x05\x04\x0b\x84\x23\xf0\x00\x03\x07\x02\x02", 12);
	udh("port IE only", (const uint8_t *)"\x06\x05\x04\x0b\x84\x23\xf0", 7);
	udh("seq 0: ignored", (const uint8_t *)"\x05\x00\x03\x01\x02\x00", 6);
	udh("seq past total: ignored", (const uint8_t *)"\x05\x00\x03\x01\x02\x03", 6);
	udh("8-bit IE of 4 octets: ignored", (const uint8_t *)"\x06\x00\x04\x01\x02\x01\x00", 7);
	udh("empty header", (const uint8_t *)"\x00" "Y", 2);
	udh("header past the end", (const uint8_t *)"\x05\x00\x03\x01", 4);
	udh("IE past the header", (const uint8_t *)"\x03\x00\x03\x01\x02\x01", 6);
	udh("no octet at all", (const uint8_t *)"", 0);

	if (!c)
		return 1;
	printf("-- out of order, a repeat, a new message reusing the reference\n");
	add(c, 0, a, ITIN_CONCAT_UDH8, 1, 3, 3, "c");
	add(c, 1, a, ITIN_CONCAT_UDH8, 1, 3, 1, "a");
	add(c, 1, a, ITIN_CONCAT_UDH8, 1, 3, 1, "a");
	add(c, 2, a, ITIN_CONCAT_UDH8, 1, 3, 2, "b");
	add(c, 3, a, ITIN_CONCAT_UDH8, 1, 3, 2, "b");
	add(c, 4, a, ITIN_CONCAT_UDH8, 1, 3, 2, "B");
	printf("-- the same reference by UDH 16-bit and SAR are other messages; one part is whole\n");
	add(c, 5, a, ITIN_CONCAT_UDH16, 1, 3, 1, "x");
	add(c, 5, a, ITIN_CONCAT_SAR, 1, 1, 1, "single");
	add(c, 5, a, ITIN_CONCAT_SAR, 1, 2, 3, "bad");
	printf("-- the timeout\n");
	expire(c, 64);
	expire(c, 65);
	printf("-- per sender: 2 messages, 20 octets\n");
	add(c, 100, b, ITIN_CONCAT_UDH8, 1, 2, 1, "m1");
	add(c, 101, b, ITIN_CONCAT_UDH8, 2, 2, 1, "m2");
	add(c, 102, b, ITIN_CONCAT_UDH8, 3, 2, 1, "m3");
	add(c, 103, b, ITIN_CONCAT_UDH8, 3, 2, 2, "0123456789abcdefghij");
	add(c, 104, b, ITIN_CONCAT_UDH8, 4, 2, 1, "0123456789abcdefghijk");
	add(c, 105, b, ITIN_CONCAT_UDH8, 4, 3, 1, "0123456789abcdef");
	add(c, 106, b, ITIN_CONCAT_UDH8, 4, 3, 2, "ghijk");
	printf("-- in all: 4 messages, 40 octets\n");
	add(c, 110, a, ITIN_CONCAT_UDH8, 9, 2, 1, "aaaaaaaaaa");
	add(c, 111, d, ITIN_CONCAT_UDH8, 9, 2, 1, "dddddddddd");
	add(c, 112, a, ITIN_CONCAT_SAR, 9, 2, 1, "a2");
	add(c, 113, d, ITIN_CONCAT_SAR, 9, 2, 1, "d2");
	add(c, 114, d, ITIN_CONCAT_SAR, 9, 2, 2, "d2 end");
	expire(c, 1000);
	talloc_free(ctx);
	return 0;
}
