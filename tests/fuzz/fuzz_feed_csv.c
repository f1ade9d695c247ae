/*
 * libFuzzer harness: the three feed line parsers on arbitrary bytes (tests/fuzz/run.sh builds
 * it with clang, AddressSanitizer and UndefinedBehaviorSanitizer). The input is one line with
 * no terminator, exactly as the loader hands it over.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/feed_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct itin_feed_event ev;
	struct itin_feed_cell cell;
	struct itin_feed_risk risk;
	int64_t t;

	itin_feed_parse_event((const char *)data, size, &ev);
	itin_feed_parse_cell((const char *)data, size, &cell);
	itin_feed_parse_risk((const char *)data, size, &risk);
	itin_feed_parse_time((const char *)data, size, &t);
	return 0;
}
