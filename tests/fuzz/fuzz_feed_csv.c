/*
 * libFuzzer harness: the three feed line parsers on arbitrary bytes (tests/fuzz/run.sh builds
 * it with clang, AddressSanitizer and UndefinedBehaviorSanitizer). The input is one line with
 * no terminator, exactly as the loader hands it over, and the events are judged against the
 * bounds of a load at 2026-11-20 12:00 +08:00 (14 days, 10 minutes of skew). The first eight
 * bytes, as any int64_t, and every time parsed also go through the local day and time of
 * Asia/Shanghai, which the loader computes for each event.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/feed_csv.h"
#include "common/localtime.h"

static void local(int64_t t)
{
	struct tm tm;

	itin_local_day(t);
	itin_local_time(t, &tm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct itin_feed_bounds bounds = { 1793894400, 1795147800 };
	struct itin_feed_event ev;
	struct itin_feed_cell cell;
	struct itin_feed_risk risk;
	static int zone = -1;
	int64_t t;

	if (zone < 0)
		zone = itin_localtime_init("Asia/Shanghai");
	if (!itin_feed_parse_event((const char *)data, size, &bounds, &ev))
		local(ev.time);
	itin_feed_parse_cell((const char *)data, size, &cell);
	itin_feed_parse_risk((const char *)data, size, &risk);
	if (!itin_feed_parse_time((const char *)data, size, &t))
		local(t);
	if (size >= sizeof(t)) {
		memcpy(&t, data, sizeof(t));
		local(t);
	}
	return 0;
}
