/*
 * USSD pagination on top of text_layout.c. A reply that fits one screen is shown as is;
 * otherwise every page is laid out with room for the footer, which every page but the last
 * gets. The coding is chosen for the reply and the footer together, so that all pages of a
 * session use one coding. A cut at a line break or a space leaves it at the edge of a page;
 * it is dropped there, or the screen would show an empty line above the footer.
 */
#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "engine/text_layout.h"
#include "engine/ussd_pages.h"

/* Not the 182 / 80 characters of GSM 03.90: osmo-hlr 1.5 relays a facility to the MSC only when
 * every BER length in it fits in one octet (it cannot parse the long form), so a component
 * stays below 128 octets. Around its string, the ReturnResult of the last page (or the only
 * one) takes 15 octets, leaving 112 (128 GSM 7-bit or 56 UCS2 characters); the Invoke of a page
 * with a footer takes 13, leaving 114 (130 or 57). The last page of several has no footer, so
 * it always fits its 112. */
const struct itin_ussd_page_sizes itin_ussd_pages_osmo_hlr = {
	.one_gsm = 128, .one_ucs2 = 56, .page_gsm = 130, .page_ucs2 = 57,
};

static const char *const footer[] = {
	[ITIN_LANG_ZH] = "\n1 下一页 0 退出",
	[ITIN_LANG_EN] = "\n1 Next 0 Exit",
};

int itin_ussd_paginate(void *ctx, const struct itin_reply *reply,
		       const struct itin_ussd_page_sizes *sizes, struct itin_ussd_page **pages)
{
	const char *foot = footer[reply->lang];
	struct itin_layout *l;
	int foot_units, n;

	n = itin_layout_reply(ctx, reply, NULL, sizes->one_gsm, sizes->one_ucs2, 1, false, &l);
	if (n == -EMSGSIZE) {
		foot_units = itin_text_units(itin_reply_coding(reply, foot), foot, strlen(foot));
		n = itin_layout_reply(ctx, reply, foot, sizes->page_gsm - foot_units,
				      sizes->page_ucs2 - foot_units, 0, false, &l);
	}
	if (n < 0)
		return n;
	*pages = talloc_array(ctx, struct itin_ussd_page, l->num_parts);
	if (!*pages) {
		talloc_free(l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < l->num_parts; i++) {
		const char *start = l->text + l->cut[i], *end = l->text + l->cut[i + 1];

		while (start < end && (*start == ' ' || *start == '\n'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\n'))
			end--;
		(*pages)[i].coding = l->coding;
		(*pages)[i].text = talloc_asprintf(*pages, "%.*s%s", (int)(end - start), start,
						   i + 1 < l->num_parts ? foot : "");
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
