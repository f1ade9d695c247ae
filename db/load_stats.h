/*
 * The counts every loader reports (SPEC section 7: loaded, skipped, unknown-cell lines), apart
 * from the loaders so that itinerad-db prints them without seeing libpq.
 */
#pragma once

#include <stdint.h>
#include <string.h>

/* Distinct reasons counted apart; the rest are counted together under "other reasons". The
 * parsers have about twenty, a feed shows a few. */
#define ITIN_LOAD_REASONS 12

struct itin_load_reason {
	const char *why;	/* a string constant (the parsers' and loaders' reasons) */
	uint64_t count;
};

struct itin_load_stats {
	uint64_t lines;		/* data lines read (header and comments excluded) */
	uint64_t loaded;
	uint64_t skipped;	/* malformed, reported with their line numbers */
	uint64_t unknown;	/* events: unknown cell or country; cells/risk: unknown region */
	uint64_t rows;		/* rows written to the database after folding */
	struct itin_load_reason reason[ITIN_LOAD_REASONS];	/* the skipped lines by reason */
	unsigned num_reasons;
	uint64_t other_reasons;	/* skipped lines of reasons beyond the table */
};

/* Counts a skipped line under its reason. */
static inline void itin_load_stats_refuse(struct itin_load_stats *st, const char *why)
{
	unsigned i;

	st->skipped++;
	for (i = 0; i < st->num_reasons; i++) {
		if (strcmp(st->reason[i].why, why) == 0) {
			st->reason[i].count++;
			return;
		}
	}
	if (i == ITIN_LOAD_REASONS) {
		st->other_reasons++;
		return;
	}
	st->reason[i] = (struct itin_load_reason){ why, 1 };
	st->num_reasons++;
}
