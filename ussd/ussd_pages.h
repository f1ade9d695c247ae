/*
 * USSD pages of a reply (SPEC section 6): at most 128 GSM 7-bit or 56 UCS2 characters each
 * (what osmo-hlr relays; the SPEC's 182/80 does not fit its parser), including the footer "1 下一页 0 退出" / "1 Next 0 Exit" that every page but the last ends with.
 */
#pragma once

#include "daemon/reply.h"
#include "sms/gsm_text.h"

struct itin_ussd_page {
	enum itin_coding coding;
	char *text;		/* UTF-8, footer included */
};

/* *pages is a talloc child of ctx. Returns the page count, or -errno. */
int itin_ussd_paginate(void *ctx, const struct itin_reply *reply, struct itin_ussd_page **pages);
