/*
 * Cutting a reply into pieces of bounded length, shared by SMS parts and USSD pages. The reply
 * is flattened (head, items joined by the separator, "more" after the last item kept, tail)
 * and cut into consecutive ranges. An item (a place name with its separator) is never cut; the
 * head and tail are cut only when they alone exceed a part, preferably after a space or a
 * punctuation mark, else between two Chinese characters; a character (an extension
 * character's escape, a surrogate pair) is never cut. Only when these preferences would cost
 * places or a part that a plainer cut saves are head and tail cut wherever the part is full.
 * It knows no PDU and no wire encoding beyond counting units.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/reply.h"
#include "engine/gsm_text.h"

struct itin_layout {
	char *text;		/* the flattened reply as laid out (kept items only), UTF-8 */
	size_t *cut;		/* part i is text[cut[i]] .. text[cut[i + 1]] (num_parts + 1 entries) */
	unsigned num_parts;
	enum itin_coding coding;
	unsigned kept;		/* items in the parts; the rest are counted by reply->more */
};

/* GSM 7-bit when all of the reply's text (and extra, if not NULL) fits, else UCS2. */
enum itin_coding itin_reply_coding(const struct itin_reply *reply, const char *extra);

/* Lays reply out in parts of at most cap units each (cap_gsm or cap_ucs2 as the coding is),
 * at most max_parts parts (0: no limit). With drop_items, the items that do not fit are left
 * out from the oldest on and counted by reply->more ({k} = items left out); without, all items
 * must fit. The coding is GSM 7-bit when all the text (and extra, if given: a footer the caller
 * adds) fits, else UCS2. The layout is a talloc child of ctx.
 * Returns 0, -EMSGSIZE when the reply does not fit, -EINVAL for invalid UTF-8, or -ENOMEM. */
int itin_layout_reply(void *ctx, const struct itin_reply *reply, const char *extra,
		      unsigned cap_gsm, unsigned cap_ucs2, unsigned max_parts, bool drop_items,
		      struct itin_layout **layout);
