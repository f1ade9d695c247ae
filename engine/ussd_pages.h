/*
 * USSD pages of a reply (SPEC section 6): a reply that fits one screen of 128 GSM 7-bit or 56
 * UCS2 characters is one page; otherwise pages of at most 130 or 57 characters, footer included
 * ("1/3 1下一页 0退出" / "1/3 1 Next 0 Exit", the last page "3/3" alone). That is what
 * osmo-hlr 1.5 relays (see ussd_pages.c); GSM 03.90's 182/80 does not fit its parser.
 */
#pragma once

#include "engine/reply.h"
#include "engine/gsm_text.h"

struct itin_ussd_page {
	enum itin_coding coding;
	char *text;		/* UTF-8, footer included */
};

/* *pages is a talloc child of ctx. Returns the page count, or -errno. */
int itin_ussd_paginate(void *ctx, const struct itin_reply *reply, struct itin_ussd_page **pages);
