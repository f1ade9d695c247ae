/*
 * Itinerary rules. Rows are sorted by (place, day) so that merging duplicates and finding each
 * place's last counted day are one pass; a subscriber has at most a few hundred rows in a
 * window, so sorting them is cheap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "engine/itinerary.h"
#include "common/localtime.h"
#include "engine/places.h"

static int cmp_place_day(const void *a, const void *b)
{
	const struct itin_presence *x = a, *y = b;

	if (x->place != y->place)
		return (x->place > y->place) - (x->place < y->place);
	return (x->day > y->day) - (x->day < y->day);
}

struct counted {
	struct itin_visit visit;
	int64_t last_seen;
};

static int cmp_recent_first(const void *a, const void *b)
{
	const struct counted *x = a, *y = b;

	if (x->visit.last_day != y->visit.last_day)
		return (x->visit.last_day < y->visit.last_day) - (x->visit.last_day > y->visit.last_day);
	if (x->last_seen != y->last_seen)
		return (x->last_seen < y->last_seen) - (x->last_seen > y->last_seen);
	return (x->visit.place > y->visit.place) - (x->visit.place < y->visit.place);
}

static bool stay_counts(const struct itin_service_config *service, const struct itin_presence *p)
{
	return service->min_stay_s == 0 || itin_place_is_abroad(p->place) ||
	       p->last_seen - p->first_seen >= (int64_t)service->min_stay_s;
}

static bool at_risk(const struct itin_risk *risks, unsigned num_risks, int32_t place, int32_t today)
{
	for (unsigned i = 0; i < num_risks; i++) {
		if (risks[i].place == place && risks[i].from_day <= today && today <= risks[i].to_day)
			return true;
	}
	return false;
}

int itin_itinerary_build(void *ctx, const struct itin_service_config *service,
			 const struct itin_presence *rows, unsigned num_rows,
			 const struct itin_risk *risks, unsigned num_risks, int64_t now,
			 struct itin_itinerary *out)
{
	int32_t today = itin_local_day(now);
	struct itin_presence *sorted = NULL;
	struct counted *counted = NULL;
	unsigned num_counted = 0;

	*out = (struct itin_itinerary){ 0 };
	out->last_day = service->window_ends_yesterday ? today - 1 : today;
	out->first_day = out->last_day - (int32_t)service->window_days + 1;
	if (num_rows == 0)
		return 0;
	sorted = talloc_memdup(ctx, rows, num_rows * sizeof(*rows));
	counted = talloc_array(ctx, struct counted, num_rows);
	if (!sorted || !counted)
		goto nomem;
	for (unsigned i = 0; i < num_rows; i++)	/* 311 and 310 are one country */
		sorted[i].place = itin_place_canonical(sorted[i].place);
	qsort(sorted, num_rows, sizeof(*sorted), cmp_place_day);

	for (unsigned i = 0; i < num_rows;) {
		struct itin_presence day = sorted[i];
		struct counted *c;

		/* Merge the same (place, day) from both tables. */
		for (i++; i < num_rows && sorted[i].place == day.place && sorted[i].day == day.day; i++) {
			if (sorted[i].first_seen < day.first_seen)
				day.first_seen = sorted[i].first_seen;
			if (sorted[i].last_seen > day.last_seen)
				day.last_seen = sorted[i].last_seen;
		}
		if (day.day < out->first_day || day.day > out->last_day || !stay_counts(service, &day) ||
		    !itin_place_is_known(day.place))
			continue;
		c = num_counted ? &counted[num_counted - 1] : NULL;
		if (c && c->visit.place == day.place) {	/* a later day of the same place */
			c->visit.last_day = day.day;
			c->last_seen = day.last_seen;
			continue;
		}
		counted[num_counted++] = (struct counted){
			.visit = { .place = day.place, .last_day = day.day },
			.last_seen = day.last_seen,
		};
	}
	qsort(counted, num_counted, sizeof(*counted), cmp_recent_first);

	out->visits = talloc_array(ctx, struct itin_visit, num_counted ? num_counted : 1);
	if (!out->visits)
		goto nomem;
	for (unsigned i = 0; i < num_counted; i++) {
		out->visits[i] = counted[i].visit;
		out->visits[i].risk = service->risk_marker && !itin_place_is_abroad(counted[i].visit.place) &&
				      at_risk(risks, num_risks, counted[i].visit.place, today);
		out->any_risk |= out->visits[i].risk;
	}
	out->num_visits = num_counted;
	talloc_free(sorted);
	talloc_free(counted);
	return 0;
nomem:
	talloc_free(sorted);
	talloc_free(counted);
	return -ENOMEM;
}
