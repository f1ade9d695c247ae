/*
 * Reply rendering: pick the template (the operator's, else the built-in one), fill in the
 * placeholders, and for an itinerary split the template at {places} into head and tail with the
 * place names as items in between, so parts and pages never cut a name.
 */
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "common/localtime.h"
#include "engine/places.h"
#include "engine/reply_text.h"

struct builtin {
	const char *zh;
	const char *en;
};

/* Sized for a feature phone (doc/SPEC.md section 5; tests/engine/texts_test.c asserts the
 * limits): the answer first, so that the first USSD screen shows places; the English texts in
 * GSM 7-bit only. The itinerary leaves room for a verification code of 14 characters; the
 * stay rule is left to the help text. */
static const struct builtin builtin[] = {
	[ITIN_TEXT_ITINERARY] = {
		"【行程卡】{from}–{to}到达或途经：{places}。{mask}的数据更新于{updated}；不关联健康状况。",
		"[Trip Card] {mask} visited {from} to {to}: {places}. Data as of {updated}. "
		"Not a health status." },
	[ITIN_TEXT_NO_DATA] = {
		"【行程卡】{mask}于{from}–{to}无到访地记录。手机有通话、短信或上网后更新。",
		"[Trip Card] {mask}: no places found for {from} to {to}. The record updates when the "
		"phone calls, texts or uses data." },
	[ITIN_TEXT_CONSENT_PROMPT] = {
		"【行程卡】您正在查询本机前{N}天到访地（国内城市、境外国家/地区）。回复Y同意并授权查询，"
		"回复N取消，{T}分钟内有效。本短信免费。",
		"[Trip Card] Show places this number visited in the last {N} days (cities in China, "
		"countries abroad)? Reply Y to allow, N to cancel, within {T} min. Free." },
	[ITIN_TEXT_CONSENT_EXPIRED] = {
		"【行程卡】授权已过期，请重新发送CXMYD，并在{T}分钟内回复Y。",
		"[Trip Card] Authorization expired. Send CXMYD again and reply Y within {T} min." },
	[ITIN_TEXT_CANCELLED] = {
		"【行程卡】已取消查询。",
		"[Trip Card] Query cancelled." },
	[ITIN_TEXT_RATE_LIMITED] = {
		"【行程卡】查询过于频繁，请{period}后再试。",
		"[Trip Card] Too many queries. Please try again in {period}." },
	[ITIN_TEXT_BUSY] = {
		"【行程卡】查询人数较多，请几分钟后再试。",
		"[Trip Card] The service is busy. Please try again in a few minutes." },
	[ITIN_TEXT_HELP] = {
		"【行程卡】发送CXMYD查询本机前{N}天到访地（国内停留{stay}以上的城市、境外国家/地区），回复Y授权后返回结果。"
		"数据来自本网通话、短信、上网与位置更新记录，仅供参考；保存不超过{N+1}天。核验行程卡发YZ+验证码+号码后四位；"
		"地点有误发JC+说明。发送EN切换英文。",
		"[Trip Card] Send CXMYD, then reply Y, for the places visited in the last {N} days "
		"(cities in China where you stayed {stay}, countries abroad). From this network's "
		"records; for reference; kept {N+1} days max. To check a card: VERIFY code "
		"last-4-digits. Wrong place: DISPUTE + text. Send ZW for Chinese." },
	[ITIN_TEXT_SHUTDOWN] = {
		"行程卡服务已于{date}下线，相关数据已删除。",
		"The Trip Card service was shut down on {date}; its data has been deleted." },
	[ITIN_TEXT_LANG_SWITCHED] = {
		"【行程卡】已切换为中文回复。",
		"[Trip Card] Replies will now be in English. Send ZW for Chinese." },
	[ITIN_TEXT_USSD_CONSENT_MENU] = {
		"查询本机前{N}天到访地？\n1 同意\n2 取消",
		"Show the places this number visited in the last {N} days?\n1 Yes\n2 No" },
	[ITIN_TEXT_VERIFY_VALID] = {
		"【行程卡】验证码有效。{issued}发给持卡人的内容：\n{shown}",
		"[Trip Card] Code valid. Sent to the holder {issued}:\n{shown}" },
	[ITIN_TEXT_VERIFY_INVALID] = {
		"【行程卡】验证码无效或已过期。请核对验证码及号码后四位。",
		"[Trip Card] Code not valid or expired. Check the code and the last 4 digits." },
	[ITIN_TEXT_VERIFY_LIMITED] = {
		"验证次数过多，请稍后再试。",
		"Too many checks, please try again later." },
	[ITIN_TEXT_CODES_VOIDED] = {
		"【行程卡】您的行程卡验证码已全部作废。",
		"[Trip Card] Your verification codes are cancelled." },
	[ITIN_TEXT_DISPUTE_OPENED] = {
		"【行程卡】已记录您的纠错申请，案件号{case}。客服联系您时请提供此案件号。",
		"[Trip Card] Your dispute is recorded, case number {case}. Give this number to customer care." },
	[ITIN_TEXT_DISPUTE_LIMITED] = {
		"【行程卡】今日纠错申请已达上限，请明天再试或联系客服。",
		"[Trip Card] Too many disputes today; try tomorrow or call customer care." },
};

/* The line a code takes at the end of an itinerary reply: short, as the texts leave it about
 * 14 characters. */
static const char *const code_line[] = { "\n验证码%s", "\nCode %s" };

/* With a minimum stay of 0 any event counts: "stayed 0+ hours" would read oddly. */
static const struct builtin builtin_any_stay[] = {
	[ITIN_TEXT_HELP] = {
		"【行程卡】发送CXMYD查询本机前{N}天到访地（国内城市、境外国家/地区），回复Y授权后返回结果。"
		"数据来自本网通话、短信、上网与位置更新记录，仅供参考；保存不超过{N+1}天。核验行程卡发YZ+验证码+号码后四位；"
		"地点有误发JC+说明。发送EN切换英文。",
		"[Trip Card] Send CXMYD, then reply Y, for the places visited in the last {N} days "
		"(cities in China, countries abroad). From this network's records; for reference; kept "
		"{N+1} days max. To check a card: VERIFY code last-4-digits. Wrong place: DISPUTE + "
		"text. Send ZW for Chinese." },
};

static const char *const risk_note[] = {
	"（注：*表示当前该城市存在中风险或高风险地区，并不表示用户实际到访过这些中高风险地区。）",
	" (Note: * marks a city that currently has medium- or high-risk areas; it does not mean you "
	"visited those areas.)",
};

static const char *template_of(const struct itin_service_config *service,
			       const struct itin_templates *templates, enum itin_text text,
			       enum itin_lang lang)
{
	const struct itin_templates *t = &templates[lang];
	const char *custom[] = {
		[ITIN_TEXT_ITINERARY] = t->itinerary,
		[ITIN_TEXT_NO_DATA] = t->no_data,
		[ITIN_TEXT_CONSENT_PROMPT] = t->consent_prompt,
		[ITIN_TEXT_CONSENT_EXPIRED] = t->consent_expired,
		[ITIN_TEXT_CANCELLED] = t->cancelled,
		[ITIN_TEXT_RATE_LIMITED] = t->rate_limited,
		[ITIN_TEXT_BUSY] = t->busy,
		[ITIN_TEXT_HELP] = t->help,
		[ITIN_TEXT_SHUTDOWN] = t->shutdown,
		[ITIN_TEXT_LANG_SWITCHED] = t->lang_switched,
		[ITIN_TEXT_USSD_CONSENT_MENU] = t->ussd_consent_menu,
		[ITIN_TEXT_VERIFY_VALID] = NULL,	/* built-in only */
		[ITIN_TEXT_VERIFY_INVALID] = NULL,
		[ITIN_TEXT_VERIFY_LIMITED] = NULL,
		[ITIN_TEXT_CODES_VOIDED] = NULL,
		[ITIN_TEXT_DISPUTE_OPENED] = NULL,
		[ITIN_TEXT_DISPUTE_LIMITED] = NULL,
	};
	const struct builtin *b = &builtin[text];

	if (custom[text] && custom[text][0])
		return custom[text];
	if (service->min_stay_s == 0 && text == ITIN_TEXT_HELP)
		b = &builtin_any_stay[text];
	return lang == ITIN_LANG_EN ? b->en : b->zh;
}

static char *format_day(void *ctx, int32_t day, enum itin_lang lang)
{
	int y, m, d;

	itin_local_date(day, &y, &m, &d);
	return talloc_asprintf(ctx, lang == ITIN_LANG_EN ? "%02d-%02d" : "%02d.%02d", m, d);
}

static char *format_stay(void *ctx, unsigned secs, enum itin_lang lang)
{
	if (secs % 3600 == 0)
		return talloc_asprintf(ctx, lang == ITIN_LANG_EN ? "%u+ hours" : "%u小时", secs / 3600);
	if (secs % 60 == 0)
		return talloc_asprintf(ctx, lang == ITIN_LANG_EN ? "%u+ minutes" : "%u分钟", secs / 60);
	return talloc_asprintf(ctx, lang == ITIN_LANG_EN ? "%u+ seconds" : "%u秒", secs);
}

/* A duration to wait: 1小时 / 1 hour, 30分钟 / 30 minutes. */
static char *format_wait(void *ctx, unsigned secs, enum itin_lang lang)
{
	static const struct {
		unsigned secs;
		const char *zh, *en;
	} units[] = { { 86400, "天", "day" }, { 3600, "小时", "hour" }, { 60, "分钟", "minute" },
		      { 1, "秒", "second" } };
	unsigned i = 0;

	while (units[i].secs > 1 && (secs == 0 || secs % units[i].secs != 0))
		i++;
	if (lang != ITIN_LANG_EN)
		return talloc_asprintf(ctx, "%u%s", secs / units[i].secs, units[i].zh);
	return talloc_asprintf(ctx, "%u %s%s", secs / units[i].secs, units[i].en,
			       secs == units[i].secs ? "" : "s");
}

/* The configured shutdown date is YYYY.MM.DD; English reads YYYY-MM-DD. */
static char *format_date(void *ctx, const char *date, enum itin_lang lang)
{
	char *s = talloc_strdup(ctx, date);

	for (char *p = s; s && lang == ITIN_LANG_EN && *p; p++) {
		if (*p == '.')
			*p = '-';
	}
	return s;
}

/* Month, day and minute: the data kept never spans a year, and every character counts on a
 * feature phone's screen. */
static char *format_updated(void *ctx, int64_t t, enum itin_lang lang)
{
	struct tm tm;

	itin_local_time(t, &tm);
	return talloc_asprintf(ctx, lang == ITIN_LANG_EN ? "%02d-%02d %02d:%02d" :
			       "%02d.%02d %02d:%02d", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			       tm.tm_min);
}

/* The value of the placeholder [name, name + len) as a talloc string; *known is false (and the
 * placeholder stays as written) for names we do not know and {from}/{to} without an itinerary. */
static char *placeholder(void *ctx, const char *name, size_t len,
			 const struct itin_service_config *service, enum itin_lang lang,
			 const struct itin_reply_args *args, bool *known)
{
	const struct itin_itinerary *it = args->itinerary;

	*known = true;
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	if (IS("{mask}"))	/* unknown (no data, or its key is gone): the texts still read */
		return talloc_strdup(ctx, args->mask && args->mask[0] ? args->mask :
				     lang == ITIN_LANG_EN ? "Your number" : "本机");
	if (IS("{N}"))
		return talloc_asprintf(ctx, "%u", service->window_days);
	if (IS("{N+1}"))
		return talloc_asprintf(ctx, "%u", service->window_days + 1);
	if (IS("{T}"))
		return talloc_asprintf(ctx, "%u", (service->consent_timeout_s + 59) / 60);
	if (IS("{period}"))
		return format_wait(ctx, service->rate_limit.period_s, lang);
	if (IS("{stay}"))
		return format_stay(ctx, service->min_stay_s, lang);
	if (IS("{updated}"))
		return format_updated(ctx, args->updated_at ? args->updated_at : args->now, lang);
	if (IS("{issued}") && args->issued_at)
		return format_updated(ctx, args->issued_at, lang);
	if (IS("{shown}") && args->shown)
		return talloc_strdup(ctx, args->shown);
	if (IS("{case}") && args->case_no)
		return talloc_strdup(ctx, args->case_no);
	if (IS("{date}"))
		return format_date(ctx, service->shutdown_date, lang);
	if (IS("{from}") && it)
		return format_day(ctx, it->first_day, lang);
	if (IS("{to}") && it)
		return format_day(ctx, it->last_day, lang);
#undef IS
	*known = false;
	return NULL;
}

/* Replaces the placeholders of [s, s + len); {places} is left to the caller. NULL: no memory. */
static char *fill(void *ctx, const char *s, size_t len,
		  const struct itin_service_config *service, enum itin_lang lang,
		  const struct itin_reply_args *args)
{
	char *out = talloc_strdup(ctx, "");
	const char *end = s + len;

	while (out && s < end) {
		const char *open = memchr(s, '{', end - s);
		const char *close = open ? memchr(open, '}', end - open) : NULL;
		char *value;
		bool known;

		if (!close)
			return talloc_strndup_append(out, s, end - s);
		out = talloc_strndup_append(out, s, open - s);
		value = out ? placeholder(out, open, close - open + 1, service, lang, args, &known) : NULL;
		if (!out || (known && !value)) {
			talloc_free(out);
			return NULL;
		}
		out = known ? talloc_strdup_append(out, value) : talloc_strndup_append(out, open, close - open + 1);
		talloc_free(value);
		s = close + 1;
	}
	return out;
}

struct itin_reply *itin_reply_render(void *ctx, const struct itin_service_config *service,
				     const struct itin_templates *templates, enum itin_text text,
				     enum itin_lang lang, const struct itin_reply_args *args)
{
	const char *tpl = template_of(service, templates, text, lang);
	const char *places = text == ITIN_TEXT_ITINERARY ? strstr(tpl, "{places}") : NULL;
	const struct itin_itinerary *it = args->itinerary;
	struct itin_reply *r = talloc_zero(ctx, struct itin_reply);

	if (!r)
		return NULL;
	r->lang = lang;
	r->separator = lang == ITIN_LANG_EN ? "; " : "，";
	r->more = talloc_strdup(r, lang == ITIN_LANG_EN ? " and {k} more" : "等{k}个地区");
	if (!places || !it) {
		r->head = fill(r, tpl, strlen(tpl), service, lang, args);
		r->tail = talloc_strdup(r, "");
		goto out;
	}
	r->head = fill(r, tpl, places - tpl, service, lang, args);
	places += strlen("{places}");
	r->tail = fill(r, places, strlen(places), service, lang, args);
	if (r->tail && it->any_risk)
		r->tail = talloc_strdup_append(r->tail, risk_note[lang]);
	r->items = talloc_array(r, const char *, it->num_visits ? it->num_visits : 1);
	for (unsigned i = 0; r->items && i < it->num_visits; i++) {
		const char *name = itin_place_name(it->visits[i].place, lang);

		r->items[i] = name ? name : "?";	/* the place table's own strings */
		if (it->visits[i].risk &&
		    !(r->items[i] = talloc_asprintf(r->items, "%s*", r->items[i])))
			goto fail;
	}
	if (!r->items)
		goto fail;
	r->num_items = it->num_visits;
out:
	if (args->code && r->tail && (text == ITIN_TEXT_ITINERARY || text == ITIN_TEXT_NO_DATA))
		r->tail = talloc_asprintf_append(r->tail, code_line[lang], args->code);
	if (r->head && r->tail && r->more)
		return r;
fail:
	talloc_free(r);
	return NULL;
}

char *itin_reply_flatten(void *ctx, const struct itin_reply *reply)
{
	char *s = talloc_strdup(ctx, reply->head);

	for (unsigned i = 0; s && i < reply->num_items; i++) {
		if (i)
			s = talloc_strdup_append(s, reply->separator);
		s = s ? talloc_strdup_append(s, reply->items[i]) : NULL;
	}
	return s ? talloc_strdup_append(s, reply->tail) : NULL;
}

/* Between the parts of a packed reply: a control character no text of ours holds. */
#define PACK_SEPARATOR "\x1e"

char *itin_reply_pack(void *ctx, const struct itin_reply *reply)
{
	char *s = talloc_asprintf(ctx, "%c" PACK_SEPARATOR "%s", reply->lang == ITIN_LANG_EN ? 'e' : 'z',
				  reply->head);

	for (unsigned i = 0; s && i < reply->num_items; i++)
		s = talloc_asprintf_append(s, PACK_SEPARATOR "%s", reply->items[i]);
	return s ? talloc_asprintf_append(s, PACK_SEPARATOR "%s", reply->tail) : NULL;
}

struct itin_reply *itin_reply_unpack(void *ctx, const char *packed)
{
	struct itin_reply *r;
	char *p, *next;
	unsigned n = 1;

	if ((packed[0] != 'e' && packed[0] != 'z') || packed[1] != PACK_SEPARATOR[0])
		return NULL;
	r = talloc_zero(ctx, struct itin_reply);
	p = r ? talloc_strdup(r, packed + 2) : NULL;
	if (!p)
		goto fail;
	r->lang = packed[0] == 'e' ? ITIN_LANG_EN : ITIN_LANG_ZH;
	r->separator = r->lang == ITIN_LANG_EN ? "; " : "，";
	r->more = talloc_strdup(r, r->lang == ITIN_LANG_EN ? " and {k} more" : "等{k}个地区");
	for (const char *c = p; (c = strchr(c, PACK_SEPARATOR[0])); c++)
		n++;
	r->items = n >= 2 ? talloc_array(r, const char *, n > 2 ? n - 2 : 1) : NULL;
	if (!r->items || !r->more)
		goto fail;
	/* head, items..., tail; by hand, as strtok would merge empty fields */
	r->head = p;
	for (unsigned i = 1; i < n; i++) {
		next = strchr(p, PACK_SEPARATOR[0]);
		*next++ = '\0';
		if (i < n - 1)
			r->items[r->num_items++] = next;
		else
			r->tail = next;
		p = next;
	}
	return r;
fail:
	talloc_free(r);
	return NULL;
}

const char *itin_text_name(enum itin_text text)
{
	static const char *const names[] = {
		"itinerary", "no-data", "consent-prompt", "consent-expired", "cancelled",
		"rate-limited", "busy", "help", "shutdown", "lang-switched", "ussd-consent-menu",
		"verify-valid", "verify-invalid", "verify-limited", "codes-voided",
		"dispute-opened", "dispute-limited",
	};

	return text <= ITIN_TEXT_DISPUTE_LIMITED ? names[text] : "?";
}
