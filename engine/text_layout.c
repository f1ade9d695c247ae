/*
 * Greedy layout over the flattened reply. Pieces (head, each item with its separator, tail)
 * are placed in order; an item that does not fit starts the next part. A head or tail that
 * must be cut is walked character by character, remembering the last good place to cut: after
 * a space or punctuation mark (score 2), else between two characters of which one is Chinese
 * (score 1); such a place is used only if it leaves the part at least half full, so that one
 * long word does not leave a part nearly empty.
 *
 * With a part limit, the number of items kept is searched downwards from the most whose units
 * could fit at all, laying out with plain cuts (the most compact); the kept items are then
 * laid out with whichever of strict, word and plain cuts takes the fewest parts, the first of
 * them on a tie.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "engine/text_layout.h"

enum cut_mode {
	CUT_STRICT,	/* head and tail whole unless longer than a part, then cut at words */
	CUT_WORDS,	/* head and tail cut at words wherever a part is full */
	CUT_PLAIN,	/* head and tail cut at any character */
};

struct piece {
	size_t start, end;	/* in flat.text */
	bool atomic;		/* an item: never cut unless longer than a whole part */
	int units;
};

struct flat {
	char *text;
	size_t len, size;
	struct piece *pieces;
	unsigned num_pieces;
};

static bool is_space(int32_t cp)
{
	return cp == ' ' || cp == '\n' || cp == '\r' || cp == '\t' || cp == 0x3000;
}

/* Punctuation after which a line may end and before which it may not begin. */
static bool is_closing(int32_t cp)
{
	switch (cp) {
	case ',': case '.': case ';': case ':': case '!': case '?': case ')': case ']': case '}':
	case 0x3001: case 0x3002: case 0x300d: case 0x300f: case 0x3011: case 0xff01: case 0xff09:
	case 0xff0c: case 0xff0e: case 0xff1a: case 0xff1b: case 0xff1f:
		return true;
	default:
		return false;
	}
}

static bool is_opening(int32_t cp)
{
	return cp == '(' || cp == '[' || cp == '{' || cp == 0x300c || cp == 0x300e ||
	       cp == 0x3010 || cp == 0xff08;
}

static bool is_ascii_alnum(int32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

/* Chinese and other wide characters: a line may break between any two of them. */
static bool is_wide(int32_t cp)
{
	return cp >= 0x2e80;
}

/* How good a place the boundary between prev and cp is to end a part. */
static int break_score(int32_t prev, int32_t cp)
{
	if (prev < 0 || is_opening(prev))
		return 0;
	if (is_space(prev) || cp == '\n')
		return 2;
	if (is_closing(cp))
		return 0;
	if (is_closing(prev) && (is_wide(prev) || !is_ascii_alnum(cp)))
		return 2;	/* "。1" ends a sentence, "3.5" does not */
	return is_wide(prev) || is_wide(cp) ? 1 : 0;
}

/* The code point that ends before text + at (at > 0, valid UTF-8 before it). */
static int32_t cp_before(const char *text, size_t at)
{
	const char *s;
	size_t i = at - 1;

	while (i > 0 && ((uint8_t)text[i] & 0xc0) == 0x80)
		i--;
	s = text + i;
	return itin_utf8_next(&s, text + at);
}

/* Whether a part may begin at f->text + at: not with closing punctuation, not inside a word. */
static bool may_start_part(const struct flat *f, size_t at)
{
	const char *s = f->text + at;

	if (at == 0 || at >= f->len)
		return true;
	return break_score(cp_before(f->text, at), itin_utf8_next(&s, f->text + f->len)) > 0;
}

struct cursor {
	size_t *cut;
	unsigned num;		/* parts started */
	unsigned max_parts;	/* 0: no limit */
	unsigned used;		/* units in the current part */
};

static bool new_part(struct cursor *cur, size_t at)
{
	if (cur->max_parts && cur->num == cur->max_parts)
		return false;
	cur->cut[cur->num++] = at;
	cur->used = 0;
	return true;
}

/* Places a piece that does not fit whole, cutting it where parts are full.
 * Returns 0, 1 when the part limit is exceeded, or -errno. */
static int cut_piece(const struct flat *f, const struct piece *p, enum itin_coding c, unsigned cap,
		     enum cut_mode mode, struct cursor *cur)
{
	const char *end = f->text + p->end;
	const char *s = f->text + p->start;
	int32_t prev = p->start > 0 ? cp_before(f->text, p->start) : -1;
	size_t best[3] = { 0 };		/* the last place of each score in this part (0: none) */
	unsigned best_used[3] = { 0 };

	while (s < end) {
		const char *next = s;
		int32_t cp = itin_utf8_next(&next, end);
		int u = itin_char_units(c, cp);
		int score;

		if (u < 0)
			return u;
		if ((unsigned)u > cap)
			return -EMSGSIZE;
		score = break_score(prev, cp);
		if (cur->used > 0 && score > 0 && mode != CUT_PLAIN) {
			best[score] = s - f->text;
			best_used[score] = cur->used;
		}
		if (cur->used + u > cap) {
			size_t at = s - f->text;
			unsigned carried = 0;
			for (int sc = 2; sc > 0; sc--) {
				if (best[sc] && best_used[sc] * 2 >= cap) {
					at = best[sc];
					carried = cur->used - best_used[sc];
					break;
				}
			}
			if (carried + u > cap) {
				at = s - f->text;
				carried = 0;
			}
			if (!new_part(cur, at))
				return 1;
			cur->used = carried;
			memset(best, 0, sizeof(best));
		}
		cur->used += u;
		prev = cp;
		s = next;
	}
	return 0;
}

/* Cuts f into parts in cut[]; returns the part count, max_parts + 1 when that is exceeded,
 * or -errno. */
static int lay_out(const struct flat *f, enum itin_coding c, unsigned cap, unsigned max_parts,
		   enum cut_mode mode, size_t *cut)
{
	struct cursor cur = { .cut = cut, .num = 1, .max_parts = max_parts };

	cut[0] = 0;
	for (unsigned i = 0; i < f->num_pieces; i++) {
		const struct piece *p = &f->pieces[i];
		int rc;

		if (p->start == p->end)
			continue;
		if (cur.used + p->units <= cap) {
			cur.used += p->units;
			continue;
		}
		if (p->atomic ||
		    (mode == CUT_STRICT && (unsigned)p->units <= cap && may_start_part(f, p->start))) {
			if (cur.used > 0 && !new_part(&cur, p->start))
				return max_parts + 1;
			if ((unsigned)p->units <= cap) {
				cur.used = p->units;
				continue;
			}
		}
		/* A head or tail, or an item longer than a whole part (nothing else to do). */
		rc = cut_piece(f, p, c, cap, p->atomic ? CUT_PLAIN : mode, &cur);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return max_parts + 1;
	}
	cut[cur.num] = f->len;
	return cur.num;
}

/* The units of the reply's texts, counted once per layout. */
struct units {
	int head, tail, sep;
	int *items;
};

static int count_units(void *ctx, const struct itin_reply *r, enum itin_coding c, struct units *u)
{
	u->head = itin_text_units(c, r->head, strlen(r->head));
	u->tail = itin_text_units(c, r->tail, strlen(r->tail));
	u->sep = itin_text_units(c, r->separator, strlen(r->separator));
	if (u->head < 0 || u->tail < 0 || u->sep < 0)
		return -EINVAL;
	if (!(u->items = talloc_array(ctx, int, r->num_items + 1)))
		return -ENOMEM;
	for (unsigned i = 0; i < r->num_items; i++) {
		if ((u->items[i] = itin_text_units(c, r->items[i], strlen(r->items[i]))) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Appends a then b as one piece of `units` units. */
static int add_piece(struct flat *f, bool atomic, const char *a, const char *b, size_t b_len,
		     int units)
{
	size_t a_len = strlen(a);
	struct piece *p = &f->pieces[f->num_pieces++];

	if (f->len + a_len + b_len >= f->size)
		return -EMSGSIZE;
	p->start = f->len;
	memcpy(f->text + f->len, a, a_len);
	memcpy(f->text + f->len + a_len, b, b_len);
	f->len += a_len + b_len;
	f->text[f->len] = '\0';
	p->end = f->len;
	p->atomic = atomic;
	p->units = units;
	return units < 0 ? units : 0;
}

/* reply->more with {k} replaced by k, into buf. */
static const char *more_text(const struct itin_reply *r, unsigned k, char *buf, size_t size)
{
	const char *at = strstr(r->more, "{k}");

	if (!at)
		return r->more;
	snprintf(buf, size, "%.*s%u%s", (int)(at - r->more), r->more, k, at + 3);
	return buf;
}

/* The flattened reply with its first `kept` items (the last one followed by `more`). */
static int flatten(struct flat *f, const struct itin_reply *r, const struct units *u,
		   unsigned kept, enum itin_coding c)
{
	char more[256];
	int rc;

	f->len = 0;
	f->num_pieces = 0;
	rc = add_piece(f, false, r->head, "", 0, u->head);
	for (unsigned i = 0; rc == 0 && i < kept; i++) {
		const char *after = i + 1 < kept ? r->separator : "";
		int units = u->items[i] + (i + 1 < kept ? u->sep : 0);

		if (i + 1 == kept && kept < r->num_items) {
			after = more_text(r, r->num_items - kept, more, sizeof(more));
			units += itin_text_units(c, after, strlen(after));
		}
		rc = add_piece(f, true, r->items[i], after, strlen(after), units);
	}
	if (rc == 0 && kept == 0 && r->num_items > 0) {	/* not even one name fits: the count */
		const char *m = more_text(r, r->num_items, more, sizeof(more));
		rc = add_piece(f, true, m, "", 0, itin_text_units(c, m, strlen(m)));
	}
	return rc ? rc : add_piece(f, false, r->tail, "", 0, u->tail);
}

static long total_units(const struct flat *f)
{
	long units = 0;

	for (unsigned i = 0; i < f->num_pieces; i++)
		units += f->pieces[i].units;
	return units;
}

static unsigned num_digits(unsigned k)
{
	unsigned n = 1;

	while (k >= 10) {
		k /= 10;
		n++;
	}
	return n;
}

/* The most items whose units alone could fit in max_parts parts of cap units (an upper
 * bound for the search: cuts only lose room). */
static int items_bound(const struct itin_reply *r, const struct units *u, enum itin_coding c,
		       unsigned cap, unsigned max_parts)
{
	long room = (long)cap * max_parts, total = u->head + u->tail;
	int more = itin_text_units(c, r->more, strlen(r->more));
	unsigned k;

	if (more < 0)
		return -EINVAL;
	if (strstr(r->more, "{k}"))
		more -= 3;
	for (k = 0; k < r->num_items; k++)
		total += u->items[k] + u->sep;
	total -= r->num_items ? u->sep : 0;
	/* total is now the units with every item; drop items from the oldest until it could fit */
	for (k = r->num_items; k > 0; k--) {
		long with_more = total + (k < r->num_items ? more + (long)num_digits(r->num_items - k) : 0);
		if (with_more <= room)
			break;
		total -= u->items[k - 1] + (k > 1 ? u->sep : 0);
	}
	return k;
}

enum itin_coding itin_reply_coding(const struct itin_reply *r, const char *extra)
{
	if (!itin_gsm_fits(r->head, strlen(r->head)) || !itin_gsm_fits(r->tail, strlen(r->tail)) ||
	    (extra && !itin_gsm_fits(extra, strlen(extra))))
		return ITIN_CODING_UCS2;
	if (r->num_items && (!itin_gsm_fits(r->separator, strlen(r->separator)) ||
			     !itin_gsm_fits(r->more, strlen(r->more))))
		return ITIN_CODING_UCS2;
	for (unsigned i = 0; i < r->num_items; i++) {
		if (!itin_gsm_fits(r->items[i], strlen(r->items[i])))
			return ITIN_CODING_UCS2;
	}
	return ITIN_CODING_GSM7;
}

int itin_layout_reply(void *ctx, const struct itin_reply *reply, const char *extra,
		      unsigned cap_gsm, unsigned cap_ucs2, unsigned max_parts, bool drop_items,
		      struct itin_layout **layout)
{
	struct itin_layout *l = talloc_zero(ctx, struct itin_layout);
	struct flat f = { 0 };
	struct units u;
	unsigned cap, kept = reply->num_items;
	enum cut_mode best = CUT_STRICT;
	int n = -EMSGSIZE;

	if (!l)
		return -ENOMEM;
	l->coding = itin_reply_coding(reply, extra);
	cap = l->coding == ITIN_CODING_GSM7 ? cap_gsm : cap_ucs2;

	f.size = strlen(reply->head) + strlen(reply->tail) + strlen(reply->more) + 24;
	for (unsigned i = 0; i < reply->num_items; i++)
		f.size += strlen(reply->items[i]) + strlen(reply->separator);
	f.text = talloc_size(l, f.size);
	f.pieces = talloc_array(l, struct piece, reply->num_items + 3);
	l->cut = talloc_array(l, size_t, (max_parts ? max_parts : f.size) + 1);
	if (!f.text || !f.pieces || !l->cut) {
		n = -ENOMEM;
		goto fail;
	}
	if ((n = count_units(l, reply, l->coding, &u)) < 0)
		goto fail;

	if (drop_items && max_parts) {
		if ((n = items_bound(reply, &u, l->coding, cap, max_parts)) < 0)
			goto fail;
		for (kept = n; ; kept--) {
			if ((n = flatten(&f, reply, &u, kept, l->coding)) < 0)
				goto fail;
			n = lay_out(&f, l->coding, cap, max_parts, CUT_PLAIN, l->cut);
			if (n < 0)
				goto fail;
			if ((unsigned)n <= max_parts)
				break;
			if (kept == 0) {
				n = -EMSGSIZE;
				goto fail;
			}
		}
	} else if ((n = flatten(&f, reply, &u, kept, l->coding)) < 0) {
		goto fail;
	} else if (max_parts && total_units(&f) > (long)cap * max_parts) {
		n = -EMSGSIZE;		/* cannot fit however it is cut */
		goto fail;
	}
	/* The fewest parts (a part costs the subscriber a message or a screen), and among equals
	 * the nicest cut. */
	for (enum cut_mode mode = CUT_STRICT; mode <= CUT_PLAIN; mode++) {
		int parts = lay_out(&f, l->coding, cap, max_parts, mode, l->cut);

		if (parts < 0) {
			n = parts;
			goto fail;
		}
		if (mode == CUT_STRICT || parts < n) {
			n = parts;
			best = mode;
		}
	}
	if (best != CUT_PLAIN)
		n = lay_out(&f, l->coding, cap, max_parts, best, l->cut);
	if (max_parts && (unsigned)n > max_parts) {
		n = -EMSGSIZE;
		goto fail;
	}
	l->text = f.text;
	l->num_parts = n;
	l->kept = kept;
	*layout = l;
	return 0;
fail:
	talloc_free(l);
	return n;
}
