/*
 * A reply as the subscriber reads it, before any encoding: the engine fills it, the channels
 * (SMS segmenter, USSD pager) cut it into parts or pages. An itinerary is a head, a list of
 * items (place names, most recent first) joined by a separator, and a tail, so that a part or
 * page boundary never falls inside an item, and the head and tail appear once. A reply with
 * no list (help, prompts, refusals) has only a head.
 */
#pragma once

#include "common/config.h"

struct itin_reply {
	enum itin_lang lang;
	char *head;		/* UTF-8 text before the first item (the whole text if no items) */
	const char **items;	/* UTF-8 place names, most recent first (often static strings) */
	unsigned num_items;
	const char *separator;	/* between items: "，" or "; " */
	char *more;		/* replaces the items left out when they do not fit: contains "{k}",
			 * e.g. "等{k}个地区" / " and {k} more"; follows the last item kept */
	char *tail;		/* UTF-8 text after the last item ("" if none) */
};
