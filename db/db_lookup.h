/*
 * The itinerary lookup's inputs and results, shared by the daemon (asynchronous, on its pool)
 * and itinerad-db query (blocking): the parameters of sql/lookup.sql, and the conversion of its
 * rows into the engine's struct itin_presence. Also the two deployment-wide inputs of a reply:
 * data freshness and the risk list.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/config.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/feed_times.h"
#include "db/lookup_result.h"
#include "engine/itinerary.h"

/* Text parameters of sql/lookup.sql for a key (and the key under the previous secret, or
 * NULL) and a query time; the strings live in params. */
struct itin_lookup_params {
	char key[2 + 2 * ITIN_SUBSCRIBER_KEY_LEN + 1];	/* bytea hex input: \x... */
	char first_day[16];				/* YYYY-MM-DD */
	char previous_key[2 + 2 * ITIN_SUBSCRIBER_KEY_LEN + 1];
	const char *values[3];
};
void itin_lookup_params_set(struct itin_lookup_params *p, const struct itin_service_config *service,
			    const uint8_t key[ITIN_SUBSCRIBER_KEY_LEN],
			    const uint8_t *previous_key, int64_t now);

/* Reads a result of sql/lookup.sql into out (rows are talloc children of ctx). */
int itin_lookup_from_result(void *ctx, const PGresult *res, struct itin_lookup *out);
/* The same for num rows from first of a result of itin_sql_lookup_batch (db_sql.h), whose
 * columns are those of sql/lookup.sql after the request's position. */
int itin_lookup_from_batch(void *ctx, const PGresult *res, int first, int num,
			   struct itin_lookup *out);

/* SQL of the deployment-wide inputs, and their parsers. */
/* -> one row: newest event, last load, last retention, its first day kept (Unix s or NULL),
 * the feeds' last loads ("FEED FINISHED LINES LOADED REFUSED UNKNOWN" lines) and their refused
 * lines by reason ("FEED LINES REASON" lines) */
extern const char itin_sql_freshness[];
extern const char itin_sql_risks[];	/* -> region, from day, to day (days since 1970) */
int64_t itin_freshness_from_result(const PGresult *res);
/* The feeds' and the retention's times, from the same result. */
void itin_feed_times_from_result(const PGresult *res, struct itin_feed_times *t);
int itin_risks_from_result(void *ctx, const PGresult *res, struct itin_risk **risks, unsigned *num);
