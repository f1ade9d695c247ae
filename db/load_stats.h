/*
 * The counts every loader reports (SPEC section 7: loaded, skipped, unknown-cell lines), apart
 * from the loaders so that itinerad-db prints them without seeing libpq.
 */
#pragma once

#include <stdint.h>

struct itin_load_stats {
	uint64_t lines;		/* data lines read (header and comments excluded) */
	uint64_t loaded;
	uint64_t skipped;	/* malformed, reported with their line numbers */
	uint64_t unknown;	/* events: unknown cell or country; cells/risk: unknown region */
	uint64_t rows;		/* rows written to the database after folding */
};
