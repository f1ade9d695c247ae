/*
 * The itinerary rules (SPEC section 4): from a subscriber's presence rows to the places the
 * reply lists. Pure computation: no I/O, no SQL, no encoding.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

/* One row of the lookup: the subscriber was in a place on a local day. */
struct itin_presence {
	int32_t day;		/* local calendar day, days since 1970-01-01 */
	int32_t place;		/* GB/T city code, or an MCC below 1000 (engine/places.h) */
	int64_t first_seen, last_seen;	/* Unix s, earliest and latest event there that day */
};

/* A risk list entry: the region is marked from from_day to to_day (local days, inclusive). */
struct itin_risk {
	int32_t place;
	int32_t from_day, to_day;
};

struct itin_visit {
	int32_t place;
	int32_t last_day;	/* the last day the place counted */
	bool risk;
};

struct itin_itinerary {
	int32_t first_day, last_day;	/* the window */
	struct itin_visit *visits;	/* most recent first, each place once */
	unsigned num_visits;
	bool any_risk;
};

/*
 * Rows may come in any order and repeat a (day, place) (the two presence tables): they are
 * merged, after the codes of one place are made one (itin_place_canonical(): 311 is 310, the
 * MCC 454 is Hong Kong's 810100); codes without a name are left out. Applies the window
 * (service->window_days ending today or yesterday, in the zone of itin_localtime_init()), the
 * stay rule (service->min_stay_s within one day in one domestic city; abroad counts on any
 * event), de-duplication, the order (last day counted, then last seen, most recent first) and
 * the risk marker (service->risk_marker; entries valid on the query day).
 * out->visits is a talloc child of ctx. Returns 0 or -ENOMEM.
 */
int itin_itinerary_build(void *ctx, const struct itin_service_config *service,
			 const struct itin_presence *rows, unsigned num_rows,
			 const struct itin_risk *risks, unsigned num_risks, int64_t now,
			 struct itin_itinerary *out);
