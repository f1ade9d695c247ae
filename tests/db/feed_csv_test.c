/*
 * Feed line parsers: good lines in each accepted form, and each kind of malformed line with
 * the reason the loader prints. Lines are passed with explicit lengths and no NUL after them
 * (copied into exact-size heap buffers), so AddressSanitizer catches any read past the end.
 * Events are judged as a load at 2025-11-20 12:00 +08:00 judges them (14 days kept before
 * today, 10 minutes of clock skew): times outside are refused by line, not loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/feed_csv.h"

/* from 2025-11-06 00:00 +08:00 to 2025-11-20 12:10 +08:00 */
static const struct itin_feed_bounds bounds = { 1762358400, 1763611200 + 600 };

static char *exact_copy(const char *s, size_t *len)
{
	*len = strlen(s);
	char *p = malloc(*len ? *len : 1);
	memcpy(p, s, *len);
	return p;
}

static void event(const char *line)
{
	struct itin_feed_event ev;
	size_t len;
	char *p = exact_copy(line, &len);
	const char *err = itin_feed_parse_event(p, len, &bounds, &ev);

	if (err)
		printf("event  %-60s -> %s\n", line, err);
	else
		printf("event  %-60s -> t=%lld imsi=%s msisdn=%s cgi=%u-%u-%u-%u\n", line,
		       (long long)ev.time, ev.imsi, ev.msisdn, ev.mcc, ev.mnc, ev.lac, ev.ci);
	free(p);
}

/* A time alone, without the bounds of a load (itinerad-db --at takes these). */
static void time_only(const char *s)
{
	size_t len;
	char *p = exact_copy(s, &len);
	int64_t t;
	const char *err = itin_feed_parse_time(p, len, &t);

	if (err)
		printf("time   %-60s -> %s\n", s, err);
	else
		printf("time   %-60s -> t=%lld\n", s, (long long)t);
	free(p);
}

static void cell(const char *line)
{
	struct itin_feed_cell c;
	size_t len;
	char *p = exact_copy(line, &len);
	const char *err = itin_feed_parse_cell(p, len, &c);

	if (err)
		printf("cell   %-60s -> %s\n", line, err);
	else
		printf("cell   %-60s -> %u-%u-%u-%u region %d\n", line, c.mcc, c.mnc, c.lac, c.ci,
		       c.region_code);
	free(p);
}

static void risk(const char *line)
{
	struct itin_feed_risk r;
	size_t len;
	char *p = exact_copy(line, &len);
	const char *err = itin_feed_parse_risk(p, len, &r);

	if (err)
		printf("risk   %-60s -> %s\n", line, err);
	else
		printf("risk   %-60s -> region %d level %s days %d..%d\n", line, r.region_code, r.level,
		       r.valid_from, r.valid_to);
	free(p);
}

static void header(const char *line, const char *first_name)
{
	size_t len;
	char *p = exact_copy(line, &len);

	printf("header %-60s -> %s\n", line, itin_feed_is_header(p, len, first_name) ? "header" : "data");
	free(p);
}

int main(void)
{
	char garbage[255];

	event("1763600000,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-20T08:53:20+08:00,460001234567801,+8613800000001,460,00,4097,12345");
	event("2025-11-20T00:53:20Z,460001234567801,8613800000001,460,001,1,1");
	event("2025-11-20 08:53:20.250+0800,460001234567801,8613800000001,001,01,1,268435455");
	event("2025-11-19T19:53:20-05:00,460001234567801,8613800000001,310,410,65535,0");
	event("1763600000,460001234567801,8613800000001,460,00,4097,12345\r");
	event("");
	event("1763600000");
	event("1763600000,460001234567801,8613800000001,460,00,4097,12345,extra");
	event("yesterday,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-13-20T08:53:20+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-02-29T08:53:20+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2024-02-29T08:53:20+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-20T08:53:20,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-20T25:53:20+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-20T08:53:20+08:00x,460001234567801,8613800000001,460,00,4097,12345");
	event("1763600000,46000123456780123,8613800000001,460,00,4097,12345");
	event("1763600000,46000A,8613800000001,460,00,4097,12345");
	event("1763600000,460001234567801,,460,00,4097,12345");
	event("1763600000,460001234567801,8613800000001,46,00,4097,12345");
	event("1763600000,460001234567801,8613800000001,460,0,4097,12345");
	event("1763600000,460001234567801,8613800000001,460,00,65536,12345");
	event("1763600000,460001234567801,8613800000001,460,00,4097,268435456");
	event("1763600000,460001234567801,8613800000001,460,00,4097,-1");
	event("\"1763600000\",460001234567801,8613800000001,460,00,4097,12345");
	event("99999999999999999999,460001234567801,8613800000001,460,00,4097,12345");
	/* times out of range: each refused alone, none can reach the database's timestamp */
	event("9223372036854775807,460001234567801,8613800000001,460,00,4097,12345");
	event("9999999999999999999,460001234567801,8613800000001,460,00,4097,12345");
	event("253402300800,460001234567801,8613800000001,460,00,4097,12345");
	event("253402300799,460001234567801,8613800000001,460,00,4097,12345");
	event("9999-12-31T23:59:59Z,460001234567801,8613800000001,460,00,4097,12345");
	event("4102444800,460001234567801,8613800000001,460,00,4097,12345");
	event("2100-01-01T00:00:00+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("1763611801,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-20T12:10:00+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-20T12:10:01+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-06T00:00:00+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("2025-11-05T23:59:59+08:00,460001234567801,8613800000001,460,00,4097,12345");
	event("0,460001234567801,8613800000001,460,00,4097,12345");
	event("1970-01-01T00:00:00+08:00,460001234567801,8613800000001,460,00,4097,12345");
	/* quoted fields, RFC 4180 style, as mediation systems write them (issue 22) */
	event("\"2025-11-20T08:53:20+08:00\",\"460001234567801\",\"+8613800000001\",\"460\",\"00\",\"4097\",\"12345\"");
	event("\"1763600000\",460001234567801,8613800000001,460,00,4097,\"12345\"\r");
	event("1763600000,460001234567801,\"86138,00000001\",460,00,4097,12345");
	event("1763600000,460001234567801,\"8613800\"\"000001\",460,00,4097,12345");
	event("1763600000,460001234567801,\"8613800000001,460,00,4097,12345");
	event("1763600000,460001234567801,\"8613800000001\"x,460,00,4097,12345");
	event("1763600000,460001234567801,8613800\"000001,460,00,4097,12345");
	event("1763600000,460001234567801,8613800000001,460,00,4097,\"\"");
	cell("\"460\",\"00\",\"4097\",\"12345\",\"440100\"");
	risk("440100,\"high\",\"2022-04-01\",2022-04-30");
	risk("440100,\"high, very\",2022-04-01,2022-04-30");
	header("time,imsi,msisdn,mcc,mnc,lac,ci", "time");
	header("\"time\",\"imsi\",\"msisdn\"", "time");
	header("TIME,IMSI", "time");
	header("time", "time");
	header("timestamp,imsi", "time");
	header("\"mcc", "mcc");
	header("1763600000,460001234567801", "time");
	time_only("2024-02-29T08:53:20+08:00");
	time_only("9999-12-31T23:59:59-18:00");
	time_only("253402300799");
	time_only("9223372036854775807");

	cell("460,00,4097,12345,440100");
	cell("001,01,1,1,110100");
	cell("460,00,4097,12345,4401");
	cell("460,00,4097,12345");
	cell("460,00,4097,x,440100");

	risk("440100,high,2022-04-01,2022-04-30");
	risk("440100,medium,2022-04-30,2022-04-01");
	risk("440100,,2022-04-01,2022-04-30");
	risk("440100,very high,2022-04-01,2022-04-30");
	risk("440100,high,2022-04-01,2022-04-31");
	risk("440100,high,2022-04-01,2022-04-30T00:00");

	memset(garbage, 0xa5, sizeof(garbage));
	{
		struct itin_feed_event ev;
		struct itin_feed_cell c;
		struct itin_feed_risk r;
		printf("garbage event -> %s\n", itin_feed_parse_event(garbage, sizeof(garbage), &bounds, &ev));
		printf("garbage cell  -> %s\n", itin_feed_parse_cell(garbage, sizeof(garbage), &c));
		printf("garbage risk  -> %s\n", itin_feed_parse_risk(garbage, sizeof(garbage), &r));
		memset(garbage, ',', sizeof(garbage));
		printf("commas event  -> %s\n", itin_feed_parse_event(garbage, sizeof(garbage), &bounds, &ev));
	}
	printf("days_from_civil 1970-01-01 = %d, 2000-01-01 = %d, 2026-11-23 = %d\n",
	       itin_days_from_civil(1970, 1, 1), itin_days_from_civil(2000, 1, 1),
	       itin_days_from_civil(2026, 11, 23));
	return 0;
}
