/*
 * USSD pages of a reply (SPEC section 6): a reply that fits one screen is one page; otherwise
 * pages footer included ("1/3 1下一页 0退出" / "1/3 1 Next 0 Exit", the last page "3/3" alone).
 * The sizes are the transport's: over osmo-hlr 1.5 one screen of 128 GSM 7-bit or 56 UCS2
 * characters, pages of 130 or 57 (see ussd_pages.c; GSM 03.90's 182/80 does not fit its
 * parser); over an SMPP USSD gateway, the link's (182/80 by default).
 */
#pragma once

#include "engine/reply.h"
#include "engine/gsm_text.h"

struct itin_ussd_page {
	enum itin_coding coding;
	char *text;		/* UTF-8, footer included */
};

/* Characters of a screen: a reply shown whole (one), and a page with a footer (page). */
struct itin_ussd_page_sizes {
	unsigned one_gsm, one_ucs2;
	unsigned page_gsm, page_ucs2;
};
extern const struct itin_ussd_page_sizes itin_ussd_pages_osmo_hlr;

/* *pages is a talloc child of ctx. Returns the page count, or -errno. */
int itin_ussd_paginate(void *ctx, const struct itin_reply *reply,
		       const struct itin_ussd_page_sizes *sizes, struct itin_ussd_page **pages);
