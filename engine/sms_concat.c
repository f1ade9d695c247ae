/*
 * Incoming concatenated SMS: user data header parsing and the reassembly of parts. Three
 * lists: the incomplete messages held (oldest first part first), the messages pushed out or
 * timed out and not yet taken by the caller, and the completed ones remembered for the
 * timeout by a digest of each part, so that an SMSC delivering a part again (its
 * deliver_sm_resp was lost) does not start a message that can never complete, while a new
 * message that happens to reuse the reference is still taken. Sizes are counted and bounded
 * before anything is allocated; nothing here trusts a length it has not checked.
 */
#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "engine/sms_concat.h"

#define IEI_CONCAT8 0x00
#define IEI_CONCAT16 0x08

int itin_udh_parse(const uint8_t *msg, size_t len, struct itin_udh *udh)
{
	size_t off = 1, end;

	*udh = (struct itin_udh){ 0 };
	if (len < 1 || (size_t)msg[0] + 1 > len)
		return -EINVAL;
	end = (size_t)msg[0] + 1;
	while (off < end) {
		uint8_t iei, iel;
		const uint8_t *v;

		if (end - off < 2 || msg[off + 1] > end - off - 2)
			return -EINVAL;
		iei = msg[off];
		iel = msg[off + 1];
		v = msg + off + 2;
		off += 2 + iel;
		if ((iei == IEI_CONCAT8 && iel == 3) || (iei == IEI_CONCAT16 && iel == 4)) {
			bool ref16 = iei == IEI_CONCAT16;
			uint8_t total = v[ref16 ? 2 : 1], seq = v[ref16 ? 3 : 2];

			if (total == 0 || seq == 0 || seq > total)
				continue;
			udh->concat = true;
			udh->ref16 = ref16;
			udh->ref = ref16 ? (uint16_t)(v[0] << 8 | v[1]) : v[0];
			udh->total = total;
			udh->seq = seq;
		}
	}
	udh->len = end;
	return 0;
}

/* A completed message, remembered until `until` by a digest of each part. */
struct remembered {
	char sender[16];
	enum itin_concat_kind kind;
	uint16_t ref;
	uint8_t total;
	double until;
	uint64_t *digest;		/* [total] */
	struct remembered *next;
};

struct itin_concat {
	struct itin_concat_limits limits;
	struct itin_concat_msg *held, *out;	/* oldest first */
	struct remembered *done;		/* oldest first */
	unsigned messages, remembered;
	size_t bytes;
};

struct itin_concat *itin_concat_alloc(void *ctx, const struct itin_concat_limits *limits)
{
	struct itin_concat *c = talloc_zero(ctx, struct itin_concat);

	if (c)
		c->limits = *limits;
	return c;
}

void itin_concat_set_limits(struct itin_concat *c, const struct itin_concat_limits *limits)
{
	c->limits = *limits;
}

/* FNV-1a over the coding and the octets. */
static uint64_t part_digest(uint8_t data_coding, const uint8_t *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ data_coding) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h;
}

static bool same_message(const struct itin_concat_part *p, const char *sender,
			 enum itin_concat_kind kind, uint16_t ref, uint8_t total)
{
	return p->kind == kind && p->ref == ref && p->total == total && strcmp(p->sender, sender) == 0;
}

static void list_append(struct itin_concat_msg **head, struct itin_concat_msg *m)
{
	while (*head)
		head = &(*head)->next;
	m->next = NULL;
	*head = m;
}

static void held_remove(struct itin_concat *c, struct itin_concat_msg *m)
{
	struct itin_concat_msg **pp = &c->held;

	while (*pp != m)
		pp = &(*pp)->next;
	*pp = m->next;
	m->next = NULL;
	c->messages--;
	c->bytes -= m->bytes;
}

static void evict(struct itin_concat *c, struct itin_concat_msg *m)
{
	held_remove(c, m);
	m->evicted = true;
	list_append(&c->out, m);
}

/* The sender's oldest held message (or anyone's, sender NULL), and what the sender holds. */
static struct itin_concat_msg *oldest_of(struct itin_concat *c, const char *sender,
					 unsigned *messages, size_t *bytes)
{
	struct itin_concat_msg *first = NULL;

	*messages = 0;
	*bytes = 0;
	for (struct itin_concat_msg *m = c->held; m; m = m->next) {
		if (sender && strcmp(m->sender, sender))
			continue;
		if (!first)
			first = m;
		(*messages)++;
		*bytes += m->bytes;
	}
	return first;
}

/* Pushes out the oldest messages until a part of len octets (and a new message, if one is
 * needed) fits, the sender's own first. Returns whether m (which may be NULL) is still held. */
static bool make_room(struct itin_concat *c, const char *sender, size_t len,
		      struct itin_concat_msg *m)
{
	const struct itin_concat_limits *l = &c->limits;
	struct itin_concat_msg *old;
	unsigned n;
	size_t bytes;

	for (;;) {
		bool needs_new = !m;

		old = oldest_of(c, sender, &n, &bytes);
		if (!old || (bytes + len <= l->sender_bytes && (!needs_new || n < l->sender_messages)))
			break;
		m = old == m ? NULL : m;
		evict(c, old);
	}
	while (c->held && (c->bytes + len > l->max_bytes || (!m && c->messages >= l->max_messages))) {
		old = c->held;
		m = old == m ? NULL : m;
		evict(c, old);
	}
	return m != NULL;
}

static bool is_repeat(struct itin_concat *c, const struct itin_concat_part *p, uint64_t digest)
{
	for (struct remembered *r = c->done; r; r = r->next) {
		if (same_message(p, r->sender, r->kind, r->ref, r->total) && r->digest[p->seq - 1] == digest)
			return true;
	}
	return false;
}

static void remember(struct itin_concat *c, const struct itin_concat_msg *m, double now)
{
	struct remembered *r, **pp;

	while (c->done && c->remembered >= c->limits.max_messages) {
		r = c->done;
		c->done = r->next;
		c->remembered--;
		talloc_free(r);
	}
	if (c->limits.max_messages == 0)
		return;
	r = talloc_zero(c, struct remembered);
	if (!r)
		return;		/* a repeat of it would only start an incomplete message */
	r->digest = talloc_array(r, uint64_t, m->total);
	if (!r->digest) {
		talloc_free(r);
		return;
	}
	memcpy(r->sender, m->sender, sizeof(r->sender));
	r->kind = m->kind;
	r->ref = m->ref;
	r->total = m->total;
	r->until = now + c->limits.timeout_s;
	for (unsigned i = 0; i < m->total; i++)
		r->digest[i] = part_digest(m->part[i].data_coding, m->part[i].data, m->part[i].len);
	for (pp = &c->done; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	c->remembered++;
}

static struct itin_concat_msg *msg_new(struct itin_concat *c, const struct itin_concat_part *p, double now)
{
	struct itin_concat_msg *m = talloc_zero(c, struct itin_concat_msg);

	if (!m)
		return NULL;
	m->part = talloc_zero_array(m, struct itin_concat_text, p->total);
	if (!m->part) {
		talloc_free(m);
		return NULL;
	}
	strcpy(m->sender, p->sender);	/* shorter than m->sender: itin_concat_add() checked */
	m->kind = p->kind;
	m->ref = p->ref;
	m->total = p->total;
	m->first_at = now;
	return m;
}

static int store(struct itin_concat_msg *m, const struct itin_concat_part *p)
{
	struct itin_concat_text *t = &m->part[p->seq - 1];

	t->data = talloc_memdup(m->part, p->len ? p->data : (const uint8_t *)"", p->len ? p->len : 1);
	if (!t->data)
		return -ENOMEM;
	t->len = p->len;
	t->data_coding = p->data_coding;
	m->held++;
	m->bytes += p->len;
	return 0;
}

int itin_concat_add(struct itin_concat *c, const struct itin_concat_part *p, double now,
		    struct itin_concat_msg **whole)
{
	struct itin_concat_msg *m;
	uint64_t digest;

	*whole = NULL;
	if (p->total == 0 || p->seq == 0 || p->seq > p->total || strlen(p->sender) >= sizeof(m->sender))
		return -EINVAL;
	if (p->len > c->limits.sender_bytes)
		return ITIN_CONCAT_TOO_BIG;
	for (m = c->held; m; m = m->next) {
		if (same_message(p, m->sender, m->kind, m->ref, m->total))
			break;
	}
	if (m && m->part[p->seq - 1].data)
		return ITIN_CONCAT_REPEAT;
	if (m && m->held + 1 == m->total) {
		held_remove(c, m);
		if (store(m, p) < 0) {
			m->evicted = true;	/* handed back as it is */
			list_append(&c->out, m);
			return -ENOMEM;
		}
		goto whole;
	}
	digest = part_digest(p->data_coding, p->data, p->len);
	if (!m && is_repeat(c, p, digest))
		return ITIN_CONCAT_REPEAT;
	if (!m && p->total == 1) {
		m = msg_new(c, p, now);
		if (!m || store(m, p) < 0) {
			talloc_free(m);
			return -ENOMEM;
		}
		goto whole;
	}
	if (!make_room(c, p->sender, p->len, m))
		m = NULL;
	if (!m) {
		m = msg_new(c, p, now);
		if (!m)
			return -ENOMEM;
		list_append(&c->held, m);
		c->messages++;
	}
	if (store(m, p) < 0) {
		if (m->held == 0) {
			held_remove(c, m);
			talloc_free(m);
		}
		return -ENOMEM;
	}
	c->bytes += p->len;
	return ITIN_CONCAT_HELD;
whole:
	remember(c, m, now);
	*whole = m;
	return ITIN_CONCAT_WHOLE;
}

struct itin_concat_msg *itin_concat_expired(struct itin_concat *c, double now)
{
	struct itin_concat_msg *m;

	while (c->done && c->done->until <= now) {
		struct remembered *r = c->done;
		c->done = r->next;
		c->remembered--;
		talloc_free(r);
	}
	if (c->out) {
		m = c->out;
		c->out = m->next;
		m->next = NULL;
		return m;
	}
	if (c->held && now - c->held->first_at >= c->limits.timeout_s) {
		m = c->held;
		held_remove(c, m);
		return m;
	}
	return NULL;
}

void itin_concat_get_stats(const struct itin_concat *c, struct itin_concat_stats *st)
{
	*st = (struct itin_concat_stats){ .messages = c->messages, .bytes = c->bytes,
					  .remembered = c->remembered };
}
