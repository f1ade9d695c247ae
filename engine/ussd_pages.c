/*
 * USSD pagination on top of text_layout.c. A reply that fits one screen is shown as is;
 * otherwise every page is laid out with room for the widest footer: each page gets its
 * position (1/3), and all but the last what to press next. The coding is chosen for the reply
 * and the footer together, so that all pages of a session use one coding. A cut at a line
 * break or a space leaves it at the edge of a page; it is dropped there, or the screen would
 * show an empty line above the footer.
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
 * with a footer takes 13, leaving 114 (130 or 57). The last page of several fits its 112: its
 * footer ("\n3/3") is shorter than the others by more than 2 characters. */
const struct itin_ussd_page_sizes itin_ussd_pages_osmo_hlr = {
	.one_gsm = 128, .one_ucs2 = 56, .page_gsm = 130, .page_ucs2 = 57,
};

/* Page i of n: where the subscriber is, and what to press on all but the last. */
static char *footer(void *ctx, enum itin_lang lang, unsigned page, unsigned pages)
{
	if (page == pages)
		return talloc_asprintf(ctx, "\n%u/%u", page, pages);
	return talloc_asprintf(ctx, lang == ITIN_LANG_EN ? "\n%u/%u 1 Next 0 Exit" :
			       "\n%u/%u 1下一页 0退出", page, pages);
}

/* Lays reply out in pages with room for the widest footer of up to 9 pages, else 99, else 999:
 * the page count is known only after the layout. */
static int lay_out_pages(void *ctx, const struct itin_reply *reply,
			 const struct itin_ussd_page_sizes *sizes, struct itin_layout **l)
{
	unsigned most = 9;
	int n;

	for (;;) {
		char *widest = footer(ctx, reply->lang, most - 1, most);
		int units;

		if (!widest)
			return -ENOMEM;
		units = itin_text_units(itin_reply_coding(reply, widest), widest, strlen(widest));
		n = units < 0 ? units :
		    itin_layout_reply(ctx, reply, widest, sizes->page_gsm - units,
				      sizes->page_ucs2 - units, 0, false, l);
		talloc_free(widest);
		if (n < 0 || (*l)->num_parts <= most)
			return n;
		talloc_free(*l);
		if (most >= 999)
			return -EMSGSIZE;	/* no one pages through a thousand screens */
		most = most * 10 + 9;
	}
}

int itin_ussd_paginate(void *ctx, const struct itin_reply *reply,
		       const struct itin_ussd_page_sizes *sizes, struct itin_ussd_page **pages)
{
	struct itin_layout *l;
	int n;

	n = itin_layout_reply(ctx, reply, NULL, sizes->one_gsm, sizes->one_ucs2, 1, false, &l);
	if (n == -EMSGSIZE)
		n = lay_out_pages(ctx, reply, sizes, &l);
	if (n < 0)
		return n;
	*pages = talloc_array(ctx, struct itin_ussd_page, l->num_parts);
	if (!*pages) {
		talloc_free(l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < l->num_parts; i++) {
		const char *start = l->text + l->cut[i], *end = l->text + l->cut[i + 1];
		char *foot = l->num_parts > 1 ? footer(*pages, reply->lang, i + 1, l->num_parts) :
			     talloc_strdup(*pages, "");

		while (start < end && (*start == ' ' || *start == '\n'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\n'))
			end--;
		(*pages)[i].coding = l->coding;
		(*pages)[i].text = foot ? talloc_asprintf(*pages, "%.*s%s", (int)(end - start), start,
							  foot) : NULL;
		talloc_free(foot);
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
