/*
 * What a lookup found for one subscriber key, as the engine takes it: the presence rows and the
 * mask the loader sealed. Shared by the daemon's batched lookups (request_db.h) and
 * itinerad-db query (db_lookup.h); holds nothing of libpq, so that the request service, which
 * receives it, does not see the database's types.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "common/reply_address.h"
#include "engine/itinerary.h"

struct itin_lookup {
	bool known;			/* the key belongs to a subscriber */
	uint8_t mask_sealed[ITIN_SEALED_MAX];	/* 138****0001, sealed (reply_address.h) */
	int mask_sealed_len;		/* 0: none stored */
	struct itin_presence *rows;
	unsigned num_rows;
};


/* The window's first day as the lookup takes it (one day early: the engine decides the edges). */
void itin_lookup_first_day(const struct itin_service_config *service, int64_t now, char out[16]);
