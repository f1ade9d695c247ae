/*
 * Time zone handling from the zone's TZif file (RFC 8536), read once at start-up: a sorted
 * table of transitions, each with its UTC offset, and the POSIX TZ rule of the file's footer
 * for the times after the last transition (slim files end in the 2000s, fat ones in 2037).
 * We parse the file instead of setting TZ and calling localtime_r() so that the engine does
 * not change the local time of the whole process (log time stamps, libraries) and does not
 * depend on a global environment variable. The loader converts millions of event times, mostly
 * in order, so the last transition interval found is remembered.
 * Leap second records ("right/" zones) are ignored: Unix time has no leap seconds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/localtime.h"

#define TZIF_MAX_SIZE (256 * 1024)
#define ABBR_MAX 8

struct zone_type {
	int32_t utoff;		/* seconds east of UTC */
	bool isdst;
	char abbr[ABBR_MAX];
};

/* One end of daylight saving time in a POSIX TZ rule. */
struct zone_rule {
	char kind;		/* 'J': day 1..365 without Feb 29; 'N': day 0..365; 'M': month.week.wday */
	int day, month, week;
	int32_t secs;		/* local time of the change, may be negative or past 24 h */
};

struct zone {
	int64_t *trans;		/* transition times, ascending */
	uint8_t *trans_type;	/* index into types of each transition */
	unsigned num_trans;
	struct zone_type *types;
	unsigned num_types;
	bool has_rule;		/* the footer rule applies from the last transition on */
	bool rule_has_dst;
	struct zone_type std, dst;
	struct zone_rule start, end;
	/* the interval [cache_from, cache_to) has type cache_type */
	int64_t cache_from, cache_to;
	const struct zone_type *cache_type;
};

static struct zone_type utc_type = { .abbr = "UTC" };
static struct zone *zone;

/* Times are clamped to about +-34,800 years: the arithmetic below (adding an offset, days and
 * years in 32 bits) then cannot overflow for any int64_t a caller passes. */
#define TIME_LIMIT ((int64_t)1 << 40)

static int64_t clamp_time(int64_t t)
{
	return t < -TIME_LIMIT ? -TIME_LIMIT : t > TIME_LIMIT ? TIME_LIMIT : t;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* H. Hinnant's days_from_civil */
int32_t itin_day_from_date(int year, int month, int mday)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + mday - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + (int64_t)doe - 719468);
}

/* H. Hinnant's civil_from_days */
void itin_local_date(int32_t day, int *year, int *month, int *mday)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = m;
	*mday = d;
}

static int days_in_month(int year, int month)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return month == 2 && is_leap(year) ? 29 : dim[month - 1];
}

/* The moment of a rule's change in year, as local wall-clock seconds since the epoch. */
static int64_t rule_local_time(const struct zone_rule *r, int year)
{
	int32_t jan1 = itin_day_from_date(year, 1, 1), day;

	switch (r->kind) {
	case 'J':
		day = jan1 + r->day - 1 + (is_leap(year) && r->day >= 60);
		break;
	case 'N':
		day = jan1 + r->day;
		break;
	default: {
		int32_t first = itin_day_from_date(year, r->month, 1);
		int wday = (int)((first % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
		int offset = (r->day - wday + 7) % 7 + 7 * (r->week - 1);

		while (offset >= days_in_month(year, r->month))
			offset -= 7;
		day = first + offset;
		break;
	}
	}
	return (int64_t)day * 86400 + r->secs;
}

static const struct zone_type *rule_type(const struct zone *z, int64_t t)
{
	int64_t start, end;
	int year, month, mday;

	if (!z->rule_has_dst)
		return &z->std;
	itin_local_date((int32_t)floor_div(t + z->std.utoff, 86400), &year, &month, &mday);
	start = rule_local_time(&z->start, year) - z->std.utoff;
	end = rule_local_time(&z->end, year) - z->dst.utoff;
	if (start < end)
		return start <= t && t < end ? &z->dst : &z->std;
	return end <= t && t < start ? &z->std : &z->dst;
}

static const struct zone_type *type_at(int64_t t)
{
	struct zone *z = zone;
	unsigned lo = 0, hi;

	if (!z)
		return &utc_type;
	if (z->cache_type && z->cache_from <= t && t < z->cache_to)
		return z->cache_type;
	if (z->num_trans == 0)
		return z->has_rule ? rule_type(z, t) : &z->types[0];
	if (t < z->trans[0]) {
		z->cache_from = INT64_MIN;
		z->cache_to = z->trans[0];
		z->cache_type = &z->types[0];
		return z->cache_type;
	}
	if (t >= z->trans[z->num_trans - 1] && z->has_rule)
		return rule_type(z, t);
	/* the last transition at or before t */
	hi = z->num_trans;
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	z->cache_from = z->trans[lo];
	z->cache_to = lo + 1 < z->num_trans ? z->trans[lo + 1] : INT64_MAX;
	z->cache_type = &z->types[z->trans_type[lo]];
	return z->cache_type;
}

int32_t itin_local_offset(int64_t unix_s)
{
	return type_at(clamp_time(unix_s))->utoff;
}

int32_t itin_local_day(int64_t unix_s)
{
	unix_s = clamp_time(unix_s);
	return (int32_t)floor_div(unix_s + type_at(unix_s)->utoff, 86400);
}

int64_t itin_local_day_start(int32_t day)
{
	int64_t lo = (int64_t)day * 86400 - 2 * 86400, hi = (int64_t)day * 86400 + 2 * 86400;

	/* The first second of the day: its local day is day, the second before's is not. A
	 * search, since the offset at local midnight depends on the time being looked for. */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (itin_local_day(mid) >= day)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

void itin_local_time(int64_t unix_s, struct tm *tm)
{
	const struct zone_type *type = type_at(unix_s = clamp_time(unix_s));
	int64_t local = unix_s + type->utoff;
	int32_t day = (int32_t)floor_div(local, 86400);
	int32_t secs = (int32_t)(local - (int64_t)day * 86400);
	int year, month, mday;

	itin_local_date(day, &year, &month, &mday);
	*tm = (struct tm){
		.tm_sec = secs % 60,
		.tm_min = secs / 60 % 60,
		.tm_hour = secs / 3600,
		.tm_mday = mday,
		.tm_mon = month - 1,
		.tm_year = year - 1900,
		.tm_wday = (int)((day % 7 + 11) % 7),
		.tm_yday = (int)(day - itin_day_from_date(year, 1, 1)),
		.tm_isdst = type->isdst,
		.tm_gmtoff = type->utoff,
		.tm_zone = type->abbr,
	};
}

/* The footer: a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3" or "<+08>-8". */

static const char *parse_abbr(const char *s, char abbr[ABBR_MAX])
{
	size_t n = 0;

	if (*s == '<') {
		for (s++; *s && *s != '>'; s++) {
			if (n + 1 < ABBR_MAX)
				abbr[n++] = *s;
		}
		if (*s++ != '>')
			return NULL;
	} else {
		for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++) {
			if (n + 1 < ABBR_MAX)
				abbr[n++] = *s;
		}
	}
	abbr[n] = '\0';
	return n >= 3 ? s : NULL;
}

static const char *parse_num(const char *s, int *v, int max)
{
	if (*s < '0' || *s > '9')
		return NULL;
	for (*v = 0; *s >= '0' && *s <= '9'; s++) {
		*v = *v * 10 + (*s - '0');
		if (*v > max)
			return NULL;
	}
	return s;
}

/* [+-]hh[:mm[:ss]] */
static const char *parse_hms(const char *s, int32_t *secs)
{
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!(s = parse_num(s, &h, 167)))
		return NULL;
	if (*s == ':' && !(s = parse_num(s + 1, &m, 59)))
		return NULL;
	if (*s == ':' && !(s = parse_num(s + 1, &sec, 59)))
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + sec);
	return s;
}

static const char *parse_rule(const char *s, struct zone_rule *r)
{
	*r = (struct zone_rule){ .secs = 7200 };
	if (*s == 'J') {
		r->kind = 'J';
		s = parse_num(s + 1, &r->day, 365);
		if (s && r->day < 1)
			return NULL;
	} else if (*s == 'M') {
		r->kind = 'M';
		if (!(s = parse_num(s + 1, &r->month, 12)) || *s != '.' || r->month < 1 ||
		    !(s = parse_num(s + 1, &r->week, 5)) || *s != '.' || r->week < 1 ||
		    !(s = parse_num(s + 1, &r->day, 6)))
			return NULL;
	} else {
		r->kind = 'N';
		s = parse_num(s, &r->day, 365);
	}
	if (s && *s == '/')
		s = parse_hms(s + 1, &r->secs);
	return s;
}

static int parse_footer(struct zone *z, const char *s)
{
	int32_t off;

	if (!*s)
		return 0;
	if (!(s = parse_abbr(s, z->std.abbr)) || !(s = parse_hms(s, &off)))
		return -EINVAL;
	z->std.utoff = -off;	/* POSIX offsets count west */
	z->has_rule = true;
	if (!*s)
		return 0;
	if (!(s = parse_abbr(s, z->dst.abbr)))
		return -EINVAL;
	z->dst.isdst = true;
	z->dst.utoff = z->std.utoff + 3600;
	if (*s != ',') {
		if (!(s = parse_hms(s, &off)))
			return -EINVAL;
		z->dst.utoff = -off;
	}
	/* TZif footers always carry the rule (RFC 8536 section 3.3) */
	if (*s != ',' || !(s = parse_rule(s + 1, &z->start)) || *s != ',' ||
	    !(s = parse_rule(s + 1, &z->end)) || *s)
		return -EINVAL;
	z->rule_has_dst = true;
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static size_t read_header(const uint8_t *p, size_t len, struct tzif_counts *c, char *version)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return 0;
	*version = (char)p[4];
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	if (c->time > 65536 || c->type > 256 || c->chars > 65536 || c->leap > 65536 ||
	    c->isut > 256 || c->isstd > 256)
		return 0;
	return 44;
}

static size_t block_size(const struct tzif_counts *c, unsigned time_size)
{
	return (size_t)c->time * (time_size + 1) + (size_t)c->type * 6 + c->chars +
	       (size_t)c->leap * (time_size + 4) + c->isstd + c->isut;
}

/* Fills z from the TZif data in p; uses the 64-bit block of version 2+ files. */
static int parse_tzif(struct zone *z, const uint8_t *p, size_t len)
{
	struct tzif_counts c;
	unsigned time_size = 4;
	const uint8_t *types, *chars;
	char version;
	size_t off = read_header(p, len, &c, &version);

	if (!off)
		return -EINVAL;
	if (version >= '2') {
		size_t header;

		off += block_size(&c, 4);
		if (off > len || !(header = read_header(p + off, len - off, &c, &version)))
			return -EINVAL;
		off += header;
		time_size = 8;
	}
	if (c.type == 0 || c.chars == 0 || off + block_size(&c, time_size) > len)
		return -EINVAL;
	z->num_trans = c.time;
	z->num_types = c.type;
	z->trans = talloc_array(z, int64_t, c.time + 1);
	z->trans_type = talloc_array(z, uint8_t, c.time + 1);
	z->types = talloc_zero_array(z, struct zone_type, c.type);
	if (!z->trans || !z->trans_type || !z->types)
		return -ENOMEM;
	for (unsigned i = 0; i < c.time; i++) {
		const uint8_t *t = p + off + (size_t)i * time_size;

		z->trans[i] = time_size == 8 ? be64(t) : (int32_t)be32(t);
		z->trans_type[i] = p[off + (size_t)c.time * time_size + i];
		if (z->trans_type[i] >= c.type || (i && z->trans[i] <= z->trans[i - 1]))
			return -EINVAL;
	}
	types = p + off + (size_t)c.time * (time_size + 1);
	chars = types + (size_t)c.type * 6;
	for (unsigned i = 0; i < c.type; i++) {
		const uint8_t *t = types + i * 6;

		z->types[i].utoff = (int32_t)be32(t);
		z->types[i].isdst = t[4];
		if (t[5] >= c.chars)
			return -EINVAL;
		snprintf(z->types[i].abbr, ABBR_MAX, "%.*s", (int)(c.chars - t[5]), (const char *)chars + t[5]);
	}
	off += block_size(&c, time_size);
	if (time_size == 8 && off < len && p[off] == '\n') {
		const uint8_t *nl = memchr(p + off + 1, '\n', len - off - 1);
		char footer[128];

		if (!nl || nl - (p + off + 1) >= (long)sizeof(footer))
			return -EINVAL;
		memcpy(footer, p + off + 1, nl - (p + off + 1));
		footer[nl - (p + off + 1)] = '\0';
		return parse_footer(z, footer);
	}
	return 0;
}

int itin_localtime_init(const char *name)
{
	const char *dir = getenv("TZDIR");
	struct zone *z;
	uint8_t *buf;
	char path[512];
	size_t len;
	FILE *f;
	int rc;

	if (!name[0] || name[0] == '/' || strstr(name, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	f = fopen(path, "rb");
	if (!f)
		return -ENOENT;
	z = talloc_zero(NULL, struct zone);
	buf = z ? talloc_size(z, TZIF_MAX_SIZE) : NULL;
	if (!buf) {
		fclose(f);
		talloc_free(z);
		return -ENOMEM;
	}
	len = fread(buf, 1, TZIF_MAX_SIZE, f);
	rc = ferror(f) || len == TZIF_MAX_SIZE ? -EINVAL : parse_tzif(z, buf, len);
	fclose(f);
	talloc_free(buf);
	if (rc < 0) {
		talloc_free(z);
		return rc;
	}
	talloc_free(zone);
	zone = z;
	return 0;
}
