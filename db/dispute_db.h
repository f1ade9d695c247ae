/*
 * Dispute cases (sql/migrations/186_disputes.sql): the daemon opens one (a statement on its
 * pool, the words and the itinerary sealed by the caller); `itinerad-db disputes` lists the open
 * ones, opening them with the configured secrets, and closes one by its case number. No number
 * of a subscriber is ever shown: care asks the subscriber for the case number.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/reply_address.h"
#include "db/db_connect.h"

struct itin_db_pool;

/* opened: 1, or 0 when refused by the per-day limit, or negative (why says why). */
typedef void (*itin_dispute_opened_cb)(void *arg, int opened, const char *why);

/* holder: ITIN_SUBSCRIBER_KEY_LEN octets. 0 (cb will be called) or a negative errno. */
int itin_dispute_db_open(struct itin_db_pool *db, uint64_t case_no, const uint8_t *holder,
			 int64_t at, const uint8_t *said, size_t said_len, const uint8_t *shown,
			 size_t shown_len, unsigned max_per_day, itin_dispute_opened_cb cb, void *arg);

/* Prints every open case, oldest first: case number, opened (UTC), the words, the itinerary as
 * it stood (or why it cannot be opened). 0 or -EIO (logged). */
int itin_db_disputes_list(itin_db_conn *conn, struct itin_sealer *sealer, FILE *out);
/* Closes the open case case_no: 0, -ENOENT (no such open case) or -EIO. */
int itin_db_dispute_close(itin_db_conn *conn, uint64_t case_no, FILE *out);
