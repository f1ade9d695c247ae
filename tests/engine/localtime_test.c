/*
 * Local days and times from common/localtime.c: calendar arithmetic, the days around the
 * Europe/Berlin DST changes (a 23 h and a 25 h day), Asia/Shanghai midnight, unknown zones,
 * and a comparison with the C library's localtime_r() (TZ set in this test only) over two
 * centuries for zones with unusual rules, before, inside and after their transition tables.
 * Any int64_t time is accepted without overflow (UBSan build: contrib/check-sanitizers.sh), and
 * the first second of a local day is found across DST changes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/localtime.h"

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	return (int64_t)itin_day_from_date(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void show(int64_t t)
{
	struct tm tm;
	int y, m, d;
	int32_t day = itin_local_day(t);

	itin_local_time(t, &tm);
	itin_local_date(day, &y, &m, &d);
	printf("  %lld -> %04d-%02d-%02d %02d:%02d:%02d %s%s off %+d day %d (%04d-%02d-%02d)\n",
	       (long long)t, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	       tm.tm_sec, tm.tm_zone, tm.tm_isdst ? " dst" : "", (int)itin_local_offset(t), day, y, m, d);
}

/* Seconds from the local midnight starting a day to the next one. */
static int64_t day_length(int32_t day)
{
	int64_t lo = (int64_t)day * 86400 - 86400, hi = (int64_t)day * 86400 + 86400;
	int64_t start, end;

	/* the first second whose local day is day, and of day + 1 */
	for (start = lo; itin_local_day(start) < day; start += 60)
		;
	for (end = start; itin_local_day(end) < day + 1 && end < hi + 86400; end += 60)
		;
	return end - start;
}

static void calendar(void)
{
	static const int dates[][3] = {
		{ 1970, 1, 1 }, { 1969, 12, 31 }, { 2000, 2, 29 }, { 2024, 2, 29 }, { 2024, 3, 1 },
		{ 2100, 3, 1 }, { 1900, 2, 28 }, { 2026, 11, 20 },
	};
	unsigned bad = 0;

	printf("calendar\n");
	for (unsigned i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		int32_t day = itin_day_from_date(dates[i][0], dates[i][1], dates[i][2]);
		int y, m, d;

		itin_local_date(day, &y, &m, &d);
		printf("  %04d-%02d-%02d = day %d -> %04d-%02d-%02d\n", dates[i][0], dates[i][1], dates[i][2],
		       day, y, m, d);
	}
	for (int32_t day = -800000; day < 800000; day++) {
		int y, m, d;

		itin_local_date(day, &y, &m, &d);
		bad += itin_day_from_date(y, m, d) != day;
	}
	printf("  days -800000..800000 round trip: %u wrong\n", bad);
}

static void berlin(void)
{
	printf("Europe/Berlin: %d\n", itin_localtime_init("Europe/Berlin"));
	printf(" spring forward 2024-03-31 (02:00 CET -> 03:00 CEST)\n");
	show(utc(2024, 3, 30, 22, 59, 59));
	show(utc(2024, 3, 30, 23, 0, 0));
	show(utc(2024, 3, 31, 0, 59, 59));
	show(utc(2024, 3, 31, 1, 0, 0));
	show(utc(2024, 3, 31, 21, 59, 59));
	show(utc(2024, 3, 31, 22, 0, 0));
	printf("  length of 2024-03-31: %lld s\n", (long long)day_length(itin_day_from_date(2024, 3, 31)));
	printf(" fall back 2024-10-27 (03:00 CEST -> 02:00 CET)\n");
	show(utc(2024, 10, 26, 21, 59, 59));
	show(utc(2024, 10, 26, 22, 0, 0));
	show(utc(2024, 10, 27, 0, 59, 59));
	show(utc(2024, 10, 27, 1, 0, 0));
	show(utc(2024, 10, 27, 22, 59, 59));
	show(utc(2024, 10, 27, 23, 0, 0));
	printf("  length of 2024-10-27: %lld s\n", (long long)day_length(itin_day_from_date(2024, 10, 27)));
	printf("  length of 2024-10-28: %lld s\n", (long long)day_length(itin_day_from_date(2024, 10, 28)));
	printf(" past the transition table (footer rule): 2050-03-27 and 2050-10-30\n");
	show(utc(2050, 3, 27, 0, 59, 59));
	show(utc(2050, 3, 27, 1, 0, 0));
	show(utc(2050, 10, 30, 0, 59, 59));
	show(utc(2050, 10, 30, 1, 0, 0));
}

static void shanghai(void)
{
	printf("Asia/Shanghai: %d\n", itin_localtime_init("Asia/Shanghai"));
	show(utc(2026, 11, 6, 15, 59, 59));
	show(utc(2026, 11, 6, 16, 0, 0));
	show(utc(1970, 1, 1, 0, 0, 0));
	show(utc(1969, 12, 31, 15, 59, 59));
	printf(" DST of 1991 (last year China had it)\n");
	show(utc(1991, 4, 13, 17, 59, 59));
	show(utc(1991, 4, 13, 18, 0, 0));
}

static void unknown(void)
{
	printf("unknown zones\n");
	printf("  Mars/Olympus_Mons: %s\n", itin_localtime_init("Mars/Olympus_Mons") < 0 ? "refused" : "accepted");
	printf("  ../etc/passwd: %s\n", itin_localtime_init("../etc/passwd") < 0 ? "refused" : "accepted");
	printf("  /etc/passwd: %s\n", itin_localtime_init("/etc/passwd") < 0 ? "refused" : "accepted");
	printf("  empty: %s\n", itin_localtime_init("") < 0 ? "refused" : "accepted");
	printf("  zone.tab (not TZif): %s\n", itin_localtime_init("zone.tab") < 0 ? "refused" : "accepted");
	printf("  the zone selected before stays: ");
	show(utc(2026, 11, 6, 16, 0, 0));
}

/* Every 97 minutes from 1901 to 2100, and each second around every hour of 2024 to 2060. */
static void compare_libc(const char *name)
{
	unsigned n = 0, bad = 0;

	if (itin_localtime_init(name) < 0) {
		printf("  %s: unknown\n", name);
		return;
	}
	setenv("TZ", name, 1);
	tzset();
	for (int64_t t = utc(1901, 12, 14, 0, 0, 0); t < utc(2100, 1, 1, 0, 0, 0); t += 97 * 60 + 13) {
		for (int pass = 0; pass < 2; pass++) {
			int64_t u = pass ? t - t % 900 : t;	/* also the quarter hours: transitions */
			time_t tt = u;
			struct tm a, b;

			localtime_r(&tt, &a);
			itin_local_time(u, &b);
			n++;
			if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon || a.tm_mday != b.tm_mday ||
			    a.tm_hour != b.tm_hour || a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
			    a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday || a.tm_isdst != b.tm_isdst ||
			    a.tm_gmtoff != b.tm_gmtoff || strcmp(a.tm_zone, b.tm_zone) != 0) {
				if (bad++ < 3)
					printf("  %s: %lld: libc %02d:%02d %s %ld, ours %02d:%02d %s %ld\n", name,
					       (long long)u, a.tm_hour, a.tm_min, a.tm_zone, a.tm_gmtoff, b.tm_hour,
					       b.tm_min, b.tm_zone, b.tm_gmtoff);
			}
		}
	}
	printf("  %s: %s\n", name, bad ? "DIFFERS" : "same as localtime_r");
	if (n < 2000000)
		printf("  %s: only %u instants compared\n", name, n);
}

/* Times no feed should hold (a loader bug, a corrupt row): clamped at about +-34,800 years. */
static void extremes(void)
{
	static const char *const zones[] = { "Asia/Shanghai", "Europe/Berlin" };
	static const int64_t times[] = {
		INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1, ((int64_t)1 << 40) + 1,
		-((int64_t)1 << 40) - 1, 4102444800,
	};

	printf("extreme times\n");
	for (unsigned z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		printf(" %s: %d\n", zones[z], itin_localtime_init(zones[z]));
		for (unsigned i = 0; i < sizeof(times) / sizeof(times[0]); i++)
			show(times[i]);
	}
	{
		int y, m, d;

		itin_local_date(INT32_MAX, &y, &m, &d);
		printf("  day %d is %d-%02d-%02d\n", INT32_MAX, y, m, d);
		itin_local_date(INT32_MIN, &y, &m, &d);
		printf("  day %d is %d-%02d-%02d\n", INT32_MIN, y, m, d);
	}
}

/* The first second of a local day, which the loader's oldest accepted time is. */
static void day_starts(void)
{
	static const struct { const char *zone; int y, m, d; } days[] = {
		{ "Asia/Shanghai", 2026, 11, 6 }, { "Europe/Berlin", 2024, 3, 31 },
		{ "Europe/Berlin", 2024, 10, 27 }, { "America/Santiago", 2024, 9, 8 },
		{ "UTC", 1970, 1, 1 },
	};

	printf("first second of a day\n");
	for (unsigned i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		int32_t day = itin_day_from_date(days[i].y, days[i].m, days[i].d);
		int64_t t;

		itin_localtime_init(days[i].zone);
		t = itin_local_day_start(day);
		printf(" %s %04d-%02d-%02d: %lld, the second before on day %d\n", days[i].zone,
		       days[i].y, days[i].m, days[i].d, (long long)t, itin_local_day(t - 1) - day);
		show(t);
	}
}

int main(void)
{
	static const char *const zones[] = {
		"Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Sao_Paulo",
		"Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "America/Santiago",
		"Africa/Casablanca", "Europe/Dublin", "Asia/Tehran", "UTC",
	};

	calendar();
	berlin();
	shanghai();
	unknown();
	printf("compared with localtime_r\n");
	for (unsigned i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		compare_libc(zones[i]);
	extremes();
	day_starts();
	return 0;
}
