/*
 * USSD pagination on top of text_layout.c. A reply that fits one screen is shown as is;
 * otherwise every page is laid out with room for the footer, which every page but the last
 * gets. The coding is chosen for the reply and the footer together, so that all pages of a
 * session use one coding.
 */
#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "sms/text_layout.h"
#include "ussd/ussd_pages.h"

/* A page is at most 128 GSM 7-bit characters or 56 UCS2 ones (112 octets), not the 182 / 80 of
 * GSM 03.90: osmo-hlr 1.5 relays the facility to the MSC only when every BER length in it fits
 * in one octet (it cannot parse the long form), so the USSD string must stay below 128 octets. */
#define PAGE_GSM 128
#define PAGE_UCS2 56

static const char *const footer[] = {
	[ITIN_LANG_ZH] = "\n1 下一页 0 退出",
	[ITIN_LANG_EN] = "\n1 Next 0 Exit",
};

int itin_ussd_paginate(void *ctx, const struct itin_reply *reply, struct itin_ussd_page **pages)
{
	const char *foot = footer[reply->lang];
	struct itin_layout *l;
	int foot_units, n;

	n = itin_layout_reply(ctx, reply, NULL, PAGE_GSM, PAGE_UCS2, 1, false, &l);
	if (n == -EMSGSIZE) {
		foot_units = itin_text_units(itin_reply_coding(reply, foot), foot, strlen(foot));
		n = itin_layout_reply(ctx, reply, foot, PAGE_GSM - foot_units, PAGE_UCS2 - foot_units,
				      0, false, &l);
	}
	if (n < 0)
		return n;
	*pages = talloc_array(ctx, struct itin_ussd_page, l->num_parts);
	if (!*pages) {
		talloc_free(l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < l->num_parts; i++) {
		(*pages)[i].coding = l->coding;
		(*pages)[i].text = talloc_asprintf(*pages, "%.*s%s", (int)(l->cut[i + 1] - l->cut[i]),
						   l->text + l->cut[i], i + 1 < l->num_parts ? foot : "");
		if (!(*pages)[i].text) {
			talloc_free(*pages);
			talloc_free(l);
			return -ENOMEM;
		}
	}
	n = l->num_parts;
	talloc_free(l);
	return n;
}
