/*
 * Verification codes in the engine (engine/verify_code.c, itin_reply_pack/unpack in
 * engine/reply_text.c): codes from fixed random octets, a checker's digits accepted and
 * refused, the check a reply's code answers, a keyword per intent, and a reply packed and
 * unpacked with its parts (an empty head, empty items, no items) unchanged.
 */
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "engine/keyword.h"
#include "engine/reply_text.h"
#include "engine/verify_code.h"

static void code(const char *name, uint8_t fill)
{
	uint8_t random[ITIN_VERIFY_RANDOM_LEN];
	char out[ITIN_VERIFY_CODE_DIGITS + 1];

	memset(random, fill, sizeof(random));
	itin_verify_code_make(random, out);
	printf("code from %s: %s\n", name, out);
}

static void parse(const char *text)
{
	char input[ITIN_VERIFY_INPUT_DIGITS + 1];
	int rc = itin_verify_input_parse(text, strlen(text), input);

	printf("parse \"%s\": %s\n", text, rc == 0 ? input : "refused");
}

static void input_of(const char *mask)
{
	char input[ITIN_VERIFY_INPUT_DIGITS + 1];
	int rc = itin_verify_input_of("123456789", mask, input);

	printf("check of 123456789 with mask \"%s\": %s\n", mask, rc == 0 ? input : "none");
}

static void keyword(const char *text)
{
	static const char *const names[] = { "query", "yes", "no", "help", "lang-en", "lang-zh",
					     "unknown", "verify", "void-codes", "dispute" };

	printf("keyword \"%s\": %s\n", text, names[itin_keyword_parse(text, strlen(text), NULL)]);
}

static void pack(void *ctx, struct itin_reply *r)
{
	char *packed = itin_reply_pack(ctx, r);
	struct itin_reply *u = packed ? itin_reply_unpack(ctx, packed) : NULL;
	bool same = u && u->lang == r->lang && !strcmp(u->head, r->head) && !strcmp(u->tail, r->tail) &&
		    u->num_items == r->num_items;

	for (unsigned i = 0; same && i < r->num_items; i++)
		same = !strcmp(u->items[i], r->items[i]);
	printf("pack %s/%u items/%s: %s, flattened \"%s\"\n", r->lang == ITIN_LANG_EN ? "en" : "zh",
	       r->num_items, r->head, same ? "same" : "DIFFERENT", u ? itin_reply_flatten(ctx, u) : "-");
}

int main(void)
{
	void *ctx = talloc_new(NULL);
	const char *items[] = { "上海市", "", "北京市*" };

	code("00 x 8", 0x00);
	code("ff x 8", 0xff);
	code("5a x 8", 0x5a);
	parse(" 123456789 0001");
	parse("123456789*0001#");
	parse("１２３４５６７８９　０００１");
	parse("123-456-789-0001");
	parse("123456789");
	parse("12345678900012");
	parse("123456789 000l");
	parse("");
	input_of("138****0001");
	input_of("");
	input_of("138****00a1");
	keyword("YZ 123456789 0001");
	keyword("yz");
	keyword("验证 123");
	keyword("VERIFY123");
	keyword("QXYZ");
	keyword("void");
	keyword("取消验证 x");
	keyword("JC 北京不对");
	keyword("纠错");
	keyword("dispute Beijing");
	pack(ctx, &(struct itin_reply){ .lang = ITIN_LANG_ZH, .head = "头", .items = items,
					 .num_items = 3, .separator = "，", .tail = "尾" });
	pack(ctx, &(struct itin_reply){ .lang = ITIN_LANG_EN, .head = "", .items = items,
					 .num_items = 0, .separator = "; ", .tail = "" });
	printf("unpack of a text that is no packed reply: %s\n",
	       itin_reply_unpack(ctx, "plain") ? "accepted" : "refused");
	talloc_free(ctx);
	return 0;
}
