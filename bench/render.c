/*
 * Micro-benchmark of the engine's last steps (issue 3): one itinerary of 20 places (and of 5
 * and 200) rendered into the reply text and cut into SMS parts, Chinese and English, timed
 * over many rounds. Prints microseconds per reply; no assertion.
 * usage: bench/itinerad-render-bench [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <talloc.h>

#include "common/config.h"
#include "engine/itinerary.h"
#include "common/localtime.h"
#include "engine/places.h"
#include "engine/reply_text.h"
#include "engine/sms_segment.h"

#define NOW 1795147200	/* 2026-11-21 00:00:00 +08:00 */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void run(const struct itin_config *cfg, enum itin_lang lang, unsigned num_places,
		unsigned rounds)
{
	struct itin_visit visits[200];
	struct itin_itinerary it = { .visits = visits, .num_visits = 0 };
	struct itin_reply_args args = { .mask = "138****0001", .updated_at = NOW - 3600,
					.itinerary = &it };
	struct itin_sms_part parts[16];
	unsigned total_parts = 0;
	double t0;

	it.last_day = NOW / 86400 - 1;
	it.first_day = it.last_day - 13;
	for (int32_t code = 110100; code < 660000 && it.num_visits < num_places; code += 100) {
		if (code % 10000 && itin_place_is_known(code) && itin_place_canonical(code) == code)
			visits[it.num_visits++] = (struct itin_visit){ .place = code,
								       .last_day = it.last_day };
	}
	t0 = now_us();
	for (unsigned i = 0; i < rounds; i++) {
		void *ctx = talloc_named_const(NULL, 0, "round");
		struct itin_reply *r = itin_reply_render(ctx, &cfg->service, cfg->templates,
							 ITIN_TEXT_ITINERARY, lang, &args);
		int n = r ? itin_sms_segment(r, cfg->service.max_parts, i, parts, 16) : -1;

		if (n <= 0) {
			fprintf(stderr, "rendering failed\n");
			exit(1);
		}
		total_parts += n;
		talloc_free(ctx);
	}
	printf("| %-7s | %6u | %5u | %10.2f |\n", lang == ITIN_LANG_ZH ? "Chinese" : "English",
	       num_places, total_parts / rounds, (now_us() - t0) / rounds);
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? atoi(argv[1]) : 100000;
	char err[256];
	struct itin_config *cfg = itin_config_load(NULL, NULL, err, sizeof(err));
	static const unsigned sizes[] = { 5, 20, 200 };

	if (!cfg || itin_localtime_init(cfg->service.time_zone) < 0) {
		fprintf(stderr, "config: %s\n", cfg ? "time zone" : err);
		return 1;
	}
	printf("render + SMS parts, %u rounds each\n", rounds);
	printf("| text    | places | parts | µs/reply   |\n|---------|--------|-------|------------|\n");
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run(cfg, ITIN_LANG_ZH, sizes[i], rounds);
		run(cfg, ITIN_LANG_EN, sizes[i], rounds);
	}
	talloc_free(cfg);
	return 0;
}
