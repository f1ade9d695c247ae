/*
 * Local calendar days in the deployment's time zone (SPEC section 4: the window is N calendar
 * days there). Days are counted since 1970-01-01 of the local calendar. The zone is read once
 * from its TZif file (/usr/share/zoneinfo, or $TZDIR), so the process's TZ and the C library's
 * notion of local time are left alone. One zone per process; not thread-safe.
 */
#pragma once

#include <stdint.h>
#include <time.h>

/* Select the IANA zone (e.g. "Asia/Shanghai"); < 0 if the system has no such zone (or its file
 * is not a TZif file we can read). Until the first successful call, local time is UTC. */
int itin_localtime_init(const char *zone);
/* Seconds east of UTC at unix_s (Asia/Shanghai: 28800). Any int64_t is accepted: times
 * beyond 2^40 s (about 34,800 years) either side of 1970 are taken as that limit. */
int32_t itin_local_offset(int64_t unix_s);
int32_t itin_local_day(int64_t unix_s);
/* The first Unix second of a local day (its midnight, or the first second after it that
 * exists when the clocks jump over midnight). */
int64_t itin_local_day_start(int32_t day);
/* The calendar date of a day (proleptic Gregorian); month and mday start at 1. */
void itin_local_date(int32_t day, int *year, int *month, int *mday);
/* The day of a calendar date; the inverse of itin_local_date(). */
int32_t itin_day_from_date(int year, int month, int mday);
/* Broken-down local time, like localtime_r() in the selected zone (tm_zone points to static
 * storage valid until the next itin_localtime_init()). */
void itin_local_time(int64_t unix_s, struct tm *tm);
