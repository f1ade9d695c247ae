/*
 * libFuzzer harness: the reassembly of incoming concatenated SMS (engine/sms_concat.c) as the
 * SMS channel drives it, with small bounds so that they bite: parts of up to 8 senders,
 * interleaved, by 8-bit and 16-bit UDH references and SAR TLVs, or as raw user data whose
 * header the UDH parser reads; repeats, parts out of range, time moving on. After every part
 * and every expiry, what is held must be within the bounds (per sender and in total) and add
 * up; a whole message must have every part, an incomplete one must not.
 *
 * Input: records of 5 octets and data: sender (low 3 bits) and kind (bits 3-4: UDH 8-bit,
 * UDH 16-bit, SAR, raw user data with a header), reference, total (low 4 bits) and seq (high
 * 4 bits), time step in 1/8 s, data length; then that many octets of data.
 * With ITIN_FUZZ_LOG set, it prints what became of the parts (tests/fuzz/replay.sh).
 *
 * sms_concat.c is included rather than linked, to walk what it holds.
 */
#include "engine/sms_concat.c"

#include <stdio.h>
#include <stdlib.h>

static const struct itin_concat_limits limits = {
	.timeout_s = 5, .max_messages = 6, .max_bytes = 700, .sender_messages = 2, .sender_bytes = 300,
};

struct tally {
	unsigned parts, invalid, held, whole, repeat, too_big, enomem, incomplete, evicted;
};

/* Everything held is within the bounds and adds up. */
static void check(const struct itin_concat *c)
{
	unsigned messages = 0, remembered = 0;
	size_t bytes = 0;

	for (const struct itin_concat_msg *m = c->held; m; m = m->next) {
		unsigned n = 0, held = 0;
		size_t mine = 0, own = 0;

		for (const struct itin_concat_msg *o = c->held; o; o = o->next) {
			if (strcmp(o->sender, m->sender) == 0) {
				n++;
				mine += o->bytes;
			}
		}
		for (unsigned i = 0; i < m->total; i++) {
			if (m->part[i].data) {
				held++;
				own += m->part[i].len;
			}
		}
		if (n > limits.sender_messages || mine > limits.sender_bytes || held != m->held ||
		    own != m->bytes || held == 0 || held >= m->total)
			abort();
		messages++;
		bytes += m->bytes;
	}
	for (const struct remembered *r = c->done; r; r = r->next)
		remembered++;
	if (messages != c->messages || bytes != c->bytes || messages > limits.max_messages ||
	    bytes > limits.max_bytes || remembered != c->remembered || remembered > limits.max_messages)
		abort();
}

static void drain(struct itin_concat *c, double now, struct tally *t)
{
	struct itin_concat_msg *m;

	while ((m = itin_concat_expired(c, now))) {
		if (m->held >= m->total || m->held == 0)
			abort();
		t->incomplete++;
		t->evicted += m->evicted;
		talloc_free(m);
		check(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx = talloc_named_const(NULL, 0, "fuzz_concat");
	struct itin_concat *c = itin_concat_alloc(ctx, &limits);
	struct tally t = { 0 };
	double now = 1000;
	char sender[16];

	if (!c)
		abort();
	while (size >= 5) {
		struct itin_concat_part p = { .sender = sender, .data_coding = data[0] >> 5 ? 8 : 0 };
		struct itin_concat_msg *whole;
		size_t len = data[4] < size - 5 ? data[4] : size - 5;
		unsigned kind = data[0] >> 3 & 3;
		int rc;

		snprintf(sender, sizeof(sender), "86138000000%02u", data[0] & 7);
		p.kind = kind == 3 ? ITIN_CONCAT_UDH8 : (enum itin_concat_kind)kind;
		p.ref = kind == ITIN_CONCAT_UDH8 ? data[1] : (uint16_t)(data[1] << 8 | data[3]);
		p.total = data[2] & 15;
		p.seq = data[2] >> 4;
		p.data = data + 5;
		p.len = len;
		now += data[3] / 8.0;
		if (kind == 3) {
			struct itin_udh udh;

			if (itin_udh_parse(p.data, len, &udh) < 0 || !udh.concat) {
				t.invalid++;
				goto next;
			}
			if (udh.len > len || udh.seq == 0 || udh.seq > udh.total)
				abort();
			p.kind = udh.ref16 ? ITIN_CONCAT_UDH16 : ITIN_CONCAT_UDH8;
			p.ref = udh.ref;
			p.total = udh.total;
			p.seq = udh.seq;
			p.data += udh.len;
			p.len -= udh.len;
		}
		t.parts++;
		rc = itin_concat_add(c, &p, now, &whole);
		switch (rc) {
		case ITIN_CONCAT_WHOLE:
			if (!whole || whole->held != whole->total)
				abort();
			for (unsigned i = 0; i < whole->total; i++) {
				if (!whole->part[i].data)
					abort();
			}
			t.whole++;
			talloc_free(whole);
			break;
		case ITIN_CONCAT_HELD: t.held++; break;
		case ITIN_CONCAT_REPEAT: t.repeat++; break;
		case ITIN_CONCAT_TOO_BIG: t.too_big++; break;
		case -EINVAL:
			if (p.total && p.seq && p.seq <= p.total)
				abort();
			t.invalid++;
			break;
		default:
			t.enomem++;
		}
		if (rc != ITIN_CONCAT_WHOLE && whole)
			abort();
		check(c);
		drain(c, now, &t);
next:
		data += 5 + len;
		size -= 5 + len;
	}
	drain(c, now + limits.timeout_s, &t);
	if (c->held || c->messages || c->bytes)
		abort();
	if (getenv("ITIN_FUZZ_LOG"))
		printf("parts %u: held %u, whole %u, repeat %u, too big %u, no memory %u; invalid %u; "
		       "handed back incomplete %u (pushed out %u)\n", t.parts, t.held, t.whole, t.repeat,
		       t.too_big, t.enomem, t.invalid, t.incomplete, t.evicted);
	talloc_free(ctx);
	return 0;
}
