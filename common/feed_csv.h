/*
 * Line parsers of the operator feeds (SPEC section 7): location events, the cell registry and
 * the risk list. Pure functions over one line (no NUL needed, never reading past len), so the
 * loader, the tests and the fuzzers share them. A malformed line gives a short reason that the
 * loader prints with the line number; nothing here touches the database.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itin_feed_event {
	int64_t time;			/* Unix seconds */
	char imsi[16];			/* 6 to 15 digits */
	char msisdn[16];		/* E.164 digits, a leading '+' removed */
	uint16_t mcc, mnc;
	uint32_t lac, ci;
};

struct itin_feed_cell {
	uint16_t mcc, mnc;
	uint32_t lac, ci;
	int32_t region_code;
};

struct itin_feed_risk {
	int32_t region_code;
	char level[16];
	int32_t valid_from, valid_to;	/* days since 1970-01-01 */
};

/* The event times a load accepts, inclusive: from the first second of the oldest day retention
 * keeps to the loader's clock plus the allowed skew. The loader fixes them once per load. */
struct itin_feed_bounds {
	int64_t oldest, newest;		/* Unix seconds */
};

/* Each returns NULL when the line is good, else the reason it is not. */
const char *itin_feed_parse_event(const char *line, size_t len, const struct itin_feed_bounds *bounds,
				  struct itin_feed_event *ev);
const char *itin_feed_parse_cell(const char *line, size_t len, struct itin_feed_cell *cell);
const char *itin_feed_parse_risk(const char *line, size_t len, struct itin_feed_risk *risk);

/* Whether line is a feed's header line: its first field (quoted or not) is the format's first
 * field name (SPEC section 7: "time", "mcc", "region_code"), in any case. */
bool itin_feed_is_header(const char *line, size_t len, const char *first_name);

/* Unix seconds, or ISO 8601 with an offset ("2026-11-20T08:15:00+08:00", "...Z", "...+0800"),
 * from 1970 to 9999-12-31 (ITIN_FEED_TIME_MAX) in either form. */
#define ITIN_FEED_TIME_MAX INT64_C(253402300799)
const char *itin_feed_parse_time(const char *s, size_t len, int64_t *unix_s);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int32_t itin_days_from_civil(int year, unsigned month, unsigned mday);
