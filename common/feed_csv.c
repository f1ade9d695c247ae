/*
 * Feed line parsing. Fields are split on commas, RFC 4180 style: a field may be quoted ("..."),
 * a comma inside quotes is part of the field and a doubled quote stands for one quote, as
 * mediation systems write them. Every field of the three feeds is a number, digits, a date or a
 * short level word, so a field holding a comma or a quote is then refused by its own check.
 * Bounds are checked as the value is read; a field that is too long is refused, not truncated.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "common/feed_csv.h"

#define MAX_FIELDS 8

struct field {
	const char *s;
	size_t len;
};

/* Reads the field at line[*pos] (quoted or not) into *f, leaving *pos on the comma after it or
 * at len. A quoted field is given without its quotes; its doubled quotes are left doubled,
 * which no value check accepts (a feed's field never holds a quote). */
static const char *take_field(const char *line, size_t len, size_t *pos, struct field *f)
{
	size_t p = *pos;

	if (p < len && line[p] == '"') {
		size_t start = ++p;

		for (;; p++) {
			if (p == len)
				return "quoted field without its closing quote";
			if (line[p] != '"')
				continue;
			if (p + 1 < len && line[p + 1] == '"') {
				p++;
				continue;
			}
			break;
		}
		f->s = line + start;
		f->len = p - start;
		p++;
		if (p < len && line[p] != ',')
			return "characters after a closing quote";
	} else {
		const char *comma = memchr(line + p, ',', len - p);
		size_t end = comma ? (size_t)(comma - line) : len;

		if (memchr(line + p, '"', end - p))
			return "quote inside an unquoted field";
		f->s = line + p;
		f->len = end - p;
		p = end;
	}
	*pos = p;
	return NULL;
}

/* Split line (without its end of line; a trailing \r is dropped) into exactly n fields. */
static const char *split(const char *line, size_t len, struct field *f, unsigned n)
{
	const char *err;
	unsigned i = 0;
	size_t pos = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (;;) {
		struct field x;

		if ((err = take_field(line, len, &pos, &x)))
			return err;
		if (i == n)
			return "too many fields";
		f[i++] = x;
		if (pos == len)
			break;
		pos++;		/* the comma */
	}
	return i == n ? NULL : "too few fields";
}

bool itin_feed_is_header(const char *line, size_t len, const char *first_name)
{
	struct field f;
	size_t pos = 0;

	return !take_field(line, len, &pos, &f) && f.len == strlen(first_name) &&
	       strncasecmp(f.s, first_name, f.len) == 0;
}

static bool parse_uint(const struct field *f, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (f->len == 0 || f->len > 19)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		if (f->s[i] < '0' || f->s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(f->s[i] - '0');
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

static bool parse_digits(const struct field *f, size_t min, size_t max, char *out)
{
	if (f->len < min || f->len > max)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		if (f->s[i] < '0' || f->s[i] > '9')
			return false;
	}
	memcpy(out, f->s, f->len);
	out[f->len] = '\0';
	return true;
}

/* Reads exactly n digits at *s (advancing it). */
static bool take_digits(const char **s, const char *end, unsigned n, int *v)
{
	int x = 0;

	if (end - *s < (long)n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		char c = (*s)[i];
		if (c < '0' || c > '9')
			return false;
		x = x * 10 + (c - '0');
	}
	*s += n;
	*v = x;
	return true;
}

static bool take_char(const char **s, const char *end, char c)
{
	if (*s >= end || **s != c)
		return false;
	(*s)++;
	return true;
}

int32_t itin_days_from_civil(int year, unsigned month, unsigned mday)
{
	/* H. Hinnant's days_from_civil */
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int32_t)doe - 719468;
}

static bool valid_date(int year, int month, int mday)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (year < 1970 || year > 9999 || month < 1 || month > 12 || mday < 1 || mday > days[month - 1])
		return false;
	return month != 2 || mday < 29 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
}

static const char *parse_date(const char **s, const char *end, int32_t *day)
{
	int y, m, d;

	if (!take_digits(s, end, 4, &y) || !take_char(s, end, '-') || !take_digits(s, end, 2, &m) ||
	    !take_char(s, end, '-') || !take_digits(s, end, 2, &d))
		return "date is not YYYY-MM-DD";
	if (!valid_date(y, m, d))
		return "no such date";
	*day = itin_days_from_civil(y, m, d);
	return NULL;
}

const char *itin_feed_parse_time(const char *s, size_t len, int64_t *unix_s)
{
	const char *end = s + len;
	const char *err;
	int32_t day;
	int hh, mm, ss, oh = 0, om = 0, sign;
	struct field f = { s, len };
	uint64_t v;
	int64_t t;

	if (parse_uint(&f, UINT64_MAX, &v)) {
		if (v > ITIN_FEED_TIME_MAX)
			return "time is after 9999-12-31";
		*unix_s = (int64_t)v;
		return NULL;
	}
	if (len < 5 || s[4] != '-')
		return "time is neither Unix seconds nor ISO 8601";
	if ((err = parse_date(&s, end, &day)))
		return err;
	if (!(take_char(&s, end, 'T') || take_char(&s, end, ' ')) || !take_digits(&s, end, 2, &hh) ||
	    !take_char(&s, end, ':') || !take_digits(&s, end, 2, &mm) || !take_char(&s, end, ':') ||
	    !take_digits(&s, end, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
		return "time of day is not HH:MM:SS";
	if (take_char(&s, end, '.')) {
		if (s >= end || *s < '0' || *s > '9')
			return "bad fraction of a second";
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	if (take_char(&s, end, 'Z')) {
		sign = 0;
	} else {
		if (take_char(&s, end, '+'))
			sign = 1;
		else if (take_char(&s, end, '-'))
			sign = -1;
		else
			return "time has no UTC offset";
		if (!take_digits(&s, end, 2, &oh))
			return "bad UTC offset";
		if (s < end) {
			take_char(&s, end, ':');
			if (!take_digits(&s, end, 2, &om))
				return "bad UTC offset";
		}
		if (oh > 18 || om > 59)
			return "bad UTC offset";
	}
	if (s != end)
		return "trailing characters after the time";
	t = (int64_t)day * 86400 + hh * 3600 + mm * 60 + ss - sign * (oh * 3600 + om * 60);
	if (t > ITIN_FEED_TIME_MAX)
		return "time is after 9999-12-31";
	*unix_s = t;
	return NULL;
}

const char *itin_feed_parse_event(const char *line, size_t len, const struct itin_feed_bounds *bounds,
				  struct itin_feed_event *ev)
{
	struct field f[7];
	const char *err;
	uint64_t mcc, mnc, lac, ci;

	if ((err = split(line, len, f, 7)))
		return err;
	if ((err = itin_feed_parse_time(f[0].s, f[0].len, &ev->time)))
		return err;
	if (!parse_digits(&f[1], 6, 15, ev->imsi))
		return "IMSI is not 6 to 15 digits";
	if (f[2].len > 0 && f[2].s[0] == '+') {
		f[2].s++;
		f[2].len--;
	}
	if (!parse_digits(&f[2], 5, 15, ev->msisdn))
		return "MSISDN is not 5 to 15 digits";
	if (!parse_uint(&f[3], 999, &mcc) || f[3].len != 3)
		return "MCC is not 3 digits";
	if (!parse_uint(&f[4], 999, &mnc) || f[4].len < 2 || f[4].len > 3)
		return "MNC is not 2 or 3 digits";
	if (!parse_uint(&f[5], 65535, &lac))
		return "LAC is not 0 to 65535";
	if (!parse_uint(&f[6], 268435455, &ci))
		return "CI is not 0 to 268435455";
	/* A well-formed line with a time the service will never show is refused too, with its
	 * line number: one far in the future would become the "updated" date of every reply. */
	if (ev->time > bounds->newest)
		return "time is in the future (beyond max_future_skew)";
	if (ev->time < bounds->oldest)
		return "time is before the days kept (window_days + 1)";
	ev->mcc = mcc;
	ev->mnc = mnc;
	ev->lac = lac;
	ev->ci = ci;
	return NULL;
}

const char *itin_feed_parse_cell(const char *line, size_t len, struct itin_feed_cell *cell)
{
	struct field f[5];
	const char *err;
	uint64_t mcc, mnc, lac, ci, code;

	if ((err = split(line, len, f, 5)))
		return err;
	if (!parse_uint(&f[0], 999, &mcc) || f[0].len != 3)
		return "MCC is not 3 digits";
	if (!parse_uint(&f[1], 999, &mnc) || f[1].len < 2 || f[1].len > 3)
		return "MNC is not 2 or 3 digits";
	if (!parse_uint(&f[2], 65535, &lac))
		return "LAC is not 0 to 65535";
	if (!parse_uint(&f[3], 268435455, &ci))
		return "CI is not 0 to 268435455";
	if (!parse_uint(&f[4], 999999, &code) || f[4].len != 6)
		return "region code is not 6 digits";
	cell->mcc = mcc;
	cell->mnc = mnc;
	cell->lac = lac;
	cell->ci = ci;
	cell->region_code = code;
	return NULL;
}

const char *itin_feed_parse_risk(const char *line, size_t len, struct itin_feed_risk *risk)
{
	struct field f[4];
	const char *err, *s;
	uint64_t code;

	if ((err = split(line, len, f, 4)))
		return err;
	if (!parse_uint(&f[0], 999999, &code) || f[0].len != 6)
		return "region code is not 6 digits";
	if (f[1].len == 0 || f[1].len >= sizeof(risk->level))
		return "level is empty or too long";
	for (size_t i = 0; i < f[1].len; i++) {
		char c = f[1].s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
			return "level is not a word";
	}
	memcpy(risk->level, f[1].s, f[1].len);
	risk->level[f[1].len] = '\0';
	s = f[2].s;
	if ((err = parse_date(&s, f[2].s + f[2].len, &risk->valid_from)) || s != f[2].s + f[2].len)
		return err ? err : "valid_from is not YYYY-MM-DD";
	s = f[3].s;
	if ((err = parse_date(&s, f[3].s + f[3].len, &risk->valid_to)) || s != f[3].s + f[3].len)
		return err ? err : "valid_to is not YYYY-MM-DD";
	if (risk->valid_to < risk->valid_from)
		return "valid_to is before valid_from";
	risk->region_code = code;
	return NULL;
}
