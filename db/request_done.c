/*
 * Answered requests marked done in batches (request_done.h): gathered in arrays, written as
 * PostgreSQL array text into one "done" statement, kept until the database has committed it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "common/log.h"
#include "db/db_pool.h"
#include "db/request_done.h"

#define DONE_BATCH 256			/* answered requests marked done in one statement ... */
#define DONE_DELAY_US 5000		/* ... gathered for at most this long */
#define DONE_RETRY_S 1			/* a batch the database did not take, sent again after */

struct itin_request_done {
	struct itin_db_pool *db;
	int64_t id[DONE_BATCH];
	uint16_t parts[DONE_BATCH];
	uint8_t action[DONE_BATCH];
	unsigned num;
	struct event *timer;
	struct llist_head failed;	/* struct done_batch, sent again after a while */
	struct llist_head sent;		/* struct done_batch, in flight */
	struct event *retry;
};

/* The arguments of one "done" statement, kept until the database has committed it. */
struct done_batch {
	struct llist_head list;
	struct itin_request_done *d;
	bool failed_before;
	int64_t id[DONE_BATCH];		/* the same ids, for itin_request_done_foreach() */
	unsigned num;
	char ids[DONE_BATCH * 21 + 3], parts[DONE_BATCH * 6 + 3], actions[DONE_BATCH * 4 + 3];
};

static void done_send(struct done_batch *b);

static void done_cb(void *arg, const PGresult *res)
{
	struct done_batch *b = arg;
	struct itin_request_done *d = b->d;
	struct timeval tv = { DONE_RETRY_S, 0 };

	llist_del(&b->list);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		talloc_free(b);
		return;
	}
	if (!b->failed_before)
		LOGP(DREQ, LOGL_NOTICE, "answered requests not marked done, tried again every %d s: %s",
		     DONE_RETRY_S, res ? PQresultErrorMessage(res) : "no database\n");
	b->failed_before = true;
	llist_add_tail(&b->list, &d->failed);
	if (!evtimer_pending(d->retry, NULL))
		evtimer_add(d->retry, &tv);
}

static void done_send(struct done_batch *b)
{
	const char *values[3] = { b->ids, b->parts, b->actions };

	llist_add_tail(&b->list, &b->d->sent);
	if (itin_db_pool_exec(b->d->db, "done", 3, values, done_cb, b) < 0)
		done_cb(b, NULL);
}

static void done_resend(struct itin_request_done *d)
{
	struct done_batch *b, *tmp;
	LLIST_HEAD(failed);

	llist_splice_init(&d->failed, &failed);
	llist_for_each_entry_safe(b, tmp, &failed, list) {
		llist_del(&b->list);
		done_send(b);
	}
}

static void done_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	done_resend(arg);
}

void itin_request_done_flush(struct itin_request_done *d)
{
	struct done_batch *b;
	size_t x = 0, y = 0, z = 0;

	done_resend(d);
	if (d->num == 0)
		return;
	evtimer_del(d->timer);
	b = talloc_zero(d, struct done_batch);
	if (!b) {
		LOGP(DREQ, LOGL_ERROR, "out of memory: %u answered requests stay pending and are "
		     "answered again at the next start\n", d->num);
		d->num = 0;
		return;
	}
	b->d = d;
	memcpy(b->id, d->id, d->num * sizeof(d->id[0]));
	b->num = d->num;
	for (unsigned i = 0; i < d->num; i++) {
		const char *sep = i ? "," : "{";
		x += snprintf(b->ids + x, sizeof(b->ids) - x, "%s%lld", sep, (long long)d->id[i]);
		y += snprintf(b->parts + y, sizeof(b->parts) - y, "%s%u", sep, d->parts[i]);
		z += snprintf(b->actions + z, sizeof(b->actions) - z, "%s%u", sep, d->action[i]);
	}
	snprintf(b->ids + x, sizeof(b->ids) - x, "}");
	snprintf(b->parts + y, sizeof(b->parts) - y, "}");
	snprintf(b->actions + z, sizeof(b->actions) - z, "}");
	d->num = 0;
	done_send(b);
}

void itin_request_done_foreach(const struct itin_request_done *d,
			       void (*fn)(void *arg, int64_t id), void *arg)
{
	const struct done_batch *b;

	for (unsigned i = 0; i < d->num; i++)
		fn(arg, d->id[i]);
	llist_for_each_entry(b, &d->sent, list)
		for (unsigned i = 0; i < b->num; i++)
			fn(arg, b->id[i]);
	llist_for_each_entry(b, &d->failed, list)
		for (unsigned i = 0; i < b->num; i++)
			fn(arg, b->id[i]);
}

static void done_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	itin_request_done_flush(arg);
}

void itin_request_done_mark(struct itin_request_done *d, int64_t id, unsigned parts,
			    unsigned action)
{
	struct timeval tv = { 0, DONE_DELAY_US };
	unsigned i = d->num++;

	d->id[i] = id;
	d->parts[i] = parts;
	d->action[i] = action;
	if (d->num == DONE_BATCH)
		itin_request_done_flush(d);
	else if (i == 0)
		evtimer_add(d->timer, &tv);
}

static int done_destructor(struct itin_request_done *d)
{
	if (d->timer)
		event_free(d->timer);
	if (d->retry)
		event_free(d->retry);
	return 0;
}

struct itin_request_done *itin_request_done_alloc(void *ctx, struct event_base *base,
						  struct itin_db_pool *db)
{
	struct itin_request_done *d = talloc_zero(ctx, struct itin_request_done);

	if (!d)
		return NULL;
	talloc_set_destructor(d, done_destructor);
	d->db = db;
	INIT_LLIST_HEAD(&d->failed);
	INIT_LLIST_HEAD(&d->sent);
	d->timer = evtimer_new(base, done_timer_cb, d);
	d->retry = evtimer_new(base, done_retry_cb, d);
	if (!d->timer || !d->retry) {
		talloc_free(d);
		return NULL;
	}
	return d;
}
