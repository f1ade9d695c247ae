/*
 * The audit rows of replies to requests without a row of their own (request_unrecorded.h): held in one bounded array, grown as rows come (an outage of minutes
 * fills it; most processes never hold a row), written a batch at a time in PostgreSQL
 * array text, one statement in flight; a batch the database does not take stays at the head of
 * the array and is sent again after a second.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "common/log.h"
#include "common/subscriber_key.h"
#include "db/db_pool.h"
#include "db/pg_array.h"
#include "db/request_unrecorded.h"

#define UNRECORDED_MAX 100000		/* rows held at most: an outage of minutes at full load */
#define UNRECORDED_BATCH 500		/* rows in one statement */
#define UNRECORDED_DELAY_US 10000	/* a first row waits this long for others */
#define UNRECORDED_RETRY_S 1

struct unrecorded_row {
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t channel, intent, action;
	uint16_t parts;
	int64_t received_at, answered_at;
};

struct itin_request_unrecorded {
	struct itin_db_pool *db;
	struct unrecorded_row *rows;	/* talloc array of size rows, at most UNRECORDED_MAX */
	unsigned num, size;
	unsigned in_flight;		/* rows[0 .. in_flight - 1] sent, not yet committed */
	bool failed_before;
	struct event *timer;
	struct itin_log_limit full_log;
	unsigned long long lost;
};

static void unrecorded_send(struct itin_request_unrecorded *u);

static void unrecorded_later(struct itin_request_unrecorded *u, long usec)
{
	struct timeval tv = { usec / 1000000, usec % 1000000 };

	if (!evtimer_pending(u->timer, NULL))
		evtimer_add(u->timer, &tv);
}

static void unrecorded_cb(void *arg, const PGresult *res)
{
	struct itin_request_unrecorded *u = arg;

	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		u->num -= u->in_flight;
		memmove(u->rows, u->rows + u->in_flight, u->num * sizeof(*u->rows));
		u->in_flight = 0;
		if (u->failed_before)
			LOGP(DREQ, LOGL_NOTICE, "the audit rows of replies without a request row are written again\n");
		u->failed_before = false;
		if (u->num)
			unrecorded_send(u);
		return;
	}
	if (!u->failed_before)
		LOGP(DREQ, LOGL_NOTICE, "the audit rows of %u replies without a request row not written, "
		     "tried again every "
		     "%d s: %s", u->num, UNRECORDED_RETRY_S,
		     res ? PQresultErrorMessage(res) : "no database\n");
	u->failed_before = true;
	u->in_flight = 0;
	unrecorded_later(u, UNRECORDED_RETRY_S * 1000000L);
}

enum { KEYS, CHANNELS, INTENTS, ACTIONS, RECEIVED, ANSWERED, PARTS, COLUMNS };

static void unrecorded_send(struct itin_request_unrecorded *u)
{
	struct itin_pg_array column[COLUMNS];
	const char *values[COLUMNS];
	void *tmp;
	unsigned n = OSMO_MIN(u->num, UNRECORDED_BATCH);
	int rc = -ENOMEM;

	if (u->in_flight || !n)
		return;
	tmp = talloc_new(u);
	if (!tmp) {
		unrecorded_cb(u, NULL);
		return;
	}
	for (unsigned c = 0; c < COLUMNS; c++)
		itin_pg_array_init(&column[c], tmp, 64);
	for (unsigned i = 0; i < n; i++) {
		const struct unrecorded_row *r = &u->rows[i];

		itin_pg_array_add_hex(&column[KEYS], r->key, sizeof(r->key));
		itin_pg_array_add_int(&column[CHANNELS], r->channel);
		itin_pg_array_add_int(&column[INTENTS], r->intent);
		itin_pg_array_add_int(&column[ACTIONS], r->action);
		itin_pg_array_add_int(&column[RECEIVED], r->received_at);
		itin_pg_array_add_int(&column[ANSWERED], r->answered_at);
		itin_pg_array_add_int(&column[PARTS], r->parts);
	}
	for (unsigned c = 0; c < COLUMNS; c++)
		if (!(values[c] = itin_pg_array_close(&column[c])))
			goto out;
	u->in_flight = n;
	rc = itin_db_pool_exec(u->db, "unrecorded", COLUMNS, values, unrecorded_cb, u);
out:
	talloc_free(tmp);	/* the pool has copied the parameters */
	if (rc < 0)
		unrecorded_cb(u, NULL);
}

static void unrecorded_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	unrecorded_send(arg);
}

void itin_request_unrecorded_add(struct itin_request_unrecorded *u, const uint8_t *key,
				 unsigned channel, unsigned intent, unsigned action,
				 int64_t received_at, int64_t answered_at, unsigned parts)
{
	if (u->num == u->size) {
		unsigned size = OSMO_MIN(u->size ? 2 * u->size : UNRECORDED_BATCH, UNRECORDED_MAX);
		struct unrecorded_row *rows = u->num < UNRECORDED_MAX ?
			talloc_realloc(u, u->rows, struct unrecorded_row, size) : NULL;

		if (!rows) {
			u->lost++;
			LOGP_LIMITED(&u->full_log, DREQ, LOGL_ERROR, "the audit rows of %u replies "
				     "wait for the database: the row of one more is lost", u->num);
			return;
		}
		u->rows = rows;
		u->size = size;
	}
	u->rows[u->num] = (struct unrecorded_row){
		.channel = channel, .intent = intent, .action = action, .parts = parts,
		.received_at = received_at, .answered_at = answered_at,
	};
	memcpy(u->rows[u->num].key, key, ITIN_SUBSCRIBER_KEY_LEN);
	u->num++;
	if (!u->failed_before)
		unrecorded_later(u, UNRECORDED_DELAY_US);
}

void itin_request_unrecorded_flush(struct itin_request_unrecorded *u)
{
	unrecorded_send(u);
}

void itin_request_unrecorded_get_stats(const struct itin_request_unrecorded *u,
				       struct itin_request_unrecorded_stats *st)
{
	st->held = u->num;
	st->lost = u->lost;
}

static int unrecorded_destructor(struct itin_request_unrecorded *u)
{
	if (u->num)
		LOGP(DREQ, LOGL_ERROR, "stopping: the audit rows of %u replies not written\n",
		     u->num);
	if (u->timer)
		event_free(u->timer);
	return 0;
}

struct itin_request_unrecorded *itin_request_unrecorded_alloc(void *ctx, struct event_base *base,
							      struct itin_db_pool *db)
{
	struct itin_request_unrecorded *u = talloc_zero(ctx, struct itin_request_unrecorded);

	if (!u)
		return NULL;
	talloc_set_destructor(u, unrecorded_destructor);
	u->db = db;
	u->timer = evtimer_new(base, unrecorded_timer_cb, u);
	if (!u->timer) {
		talloc_free(u);
		return NULL;
	}
	return u;
}
