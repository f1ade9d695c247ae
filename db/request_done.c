/*
 * Answered requests marked sent in batches (request_done.h): gathered during one loop turn
 * as PostgreSQL array text for one "sent" statement, kept until the database has committed it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "common/log.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/db_pool.h"
#include "db/pg_array.h"
#include "db/request_done.h"

#define DONE_BATCH 256			/* answered requests marked in one statement */
#define DONE_RETRY_S 1			/* a batch the database did not take, sent again after */
#define DONE_CONNECTION 0		/* marks and reopens, in order on one connection */

/* The arguments of one "sent" statement, kept until the database has committed it. */
struct done_batch {
	struct llist_head list;		/* in d's batches */
	struct itin_request_done *d;
	bool failed_before;
	unsigned num;
	int64_t id[DONE_BATCH];
	/* sized for a full batch when allocated: adding never reallocates, closing never fails */
	struct itin_pg_array ids, parts, actions;
	const char *text[3];		/* closed: ids, parts, actions */
};

struct itin_request_done {
	struct itin_db_pool *db;
	const char *owner;
	struct done_batch *gathering;	/* NULL: nothing this turn */
	struct event *timer;		/* at the end of the loop turn */
	struct llist_head sent;		/* struct done_batch sent, not yet committed */
	struct llist_head failed;	/* struct done_batch, sent again after a while */
	struct event *retry;
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
		LOGP(DREQ, LOGL_NOTICE, "answered requests not marked sent, tried again every %d s: %s",
		     DONE_RETRY_S, res ? PQresultErrorMessage(res) : "no database\n");
	b->failed_before = true;
	llist_add_tail(&b->list, &d->failed);
	if (!evtimer_pending(d->retry, NULL))
		evtimer_add(d->retry, &tv);
}

static void done_send(struct done_batch *b)
{
	const char *values[4] = { b->d->owner, b->text[0], b->text[1], b->text[2] };

	llist_add_tail(&b->list, &b->d->sent);
	if (itin_db_pool_exec_keyed(b->d->db, DONE_CONNECTION, "sent", 4, values, done_cb, b) < 0)
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
	struct done_batch *b = d->gathering;

	done_resend(d);
	if (!b)
		return;
	d->gathering = NULL;
	evtimer_del(d->timer);
	b->text[0] = itin_pg_array_close(&b->ids);
	b->text[1] = itin_pg_array_close(&b->parts);
	b->text[2] = itin_pg_array_close(&b->actions);
	done_send(b);
}

static void done_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	itin_request_done_flush(arg);
}

int itin_request_done_mark(struct itin_request_done *d, int64_t id, unsigned parts,
			   unsigned action)
{
	static const struct timeval now = { 0, 0 };
	struct done_batch *b = d->gathering;

	if (!b) {
		b = talloc_zero(d, struct done_batch);
		if (!b)
			return -ENOMEM;
		itin_pg_array_init(&b->ids, b, DONE_BATCH * 21);
		itin_pg_array_init(&b->parts, b, DONE_BATCH * 6);
		itin_pg_array_init(&b->actions, b, DONE_BATCH * 4);
		if (b->ids.failed || b->parts.failed || b->actions.failed) {
			talloc_free(b);
			return -ENOMEM;
		}
		b->d = d;
		d->gathering = b;
		evtimer_add(d->timer, &now);
	}
	b->id[b->num++] = id;
	itin_pg_array_add_int(&b->ids, id);
	itin_pg_array_add_int(&b->parts, parts);
	itin_pg_array_add_int(&b->actions, action);
	if (b->num == DONE_BATCH)
		itin_request_done_flush(d);
	return 0;
}

static bool batches_hold(const struct llist_head *batches, int64_t id)
{
	const struct done_batch *b;

	llist_for_each_entry(b, batches, list) {
		for (unsigned i = 0; i < b->num; i++) {
			if (b->id[i] == id)
				return true;
		}
	}
	return false;
}

bool itin_request_done_holds(const struct itin_request_done *d, int64_t id)
{
	if (d->gathering) {
		for (unsigned i = 0; i < d->gathering->num; i++) {
			if (d->gathering->id[i] == id)
				return true;
		}
	}
	return batches_hold(&d->sent, id) || batches_hold(&d->failed, id);
}

static void batches_foreach(const struct llist_head *batches, void (*fn)(void *arg, int64_t id),
			    void *arg)
{
	const struct done_batch *b;

	llist_for_each_entry(b, batches, list) {
		for (unsigned i = 0; i < b->num; i++)
			fn(arg, b->id[i]);
	}
}

void itin_request_done_foreach(const struct itin_request_done *d,
			       void (*fn)(void *arg, int64_t id), void *arg)
{
	if (d->gathering) {
		for (unsigned i = 0; i < d->gathering->num; i++)
			fn(arg, d->gathering->id[i]);
	}
	batches_foreach(&d->sent, fn, arg);
	batches_foreach(&d->failed, fn, arg);
}

static void reopen_cb(void *arg, const PGresult *res)
{
	int64_t *id = arg;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		LOGP(DREQ, LOGL_ERROR, "request %" PRId64 " not put back pending (not answered again "
		     "if this process stops before its reply is taken): %s", *id,
		     res ? PQresultErrorMessage(res) : "no database\n");
	talloc_free(id);
}

int itin_request_done_reopen(struct itin_request_done *d, const struct itin_reopen *r)
{
	char id[24], key[3 + 2 * ITIN_SUBSCRIBER_KEY_LEN], channel[12], intent[12], action[12],
	     lang[12], at[24], sealed[3 + 2 * ITIN_SEALED_MAX];
	const char *values[9] = { d->owner, id, key, channel, intent, action, lang, at, sealed };
	int64_t *arg = talloc(d, int64_t);
	int rc;

	if (!arg)
		return -ENOMEM;
	*arg = r->id;
	snprintf(id, sizeof(id), "%" PRId64, r->id);
	memcpy(key, "\\x", 2);
	osmo_hexdump_buf(key + 2, sizeof(key) - 2, r->key, ITIN_SUBSCRIBER_KEY_LEN, "", false);
	snprintf(channel, sizeof(channel), "%u", r->channel);
	snprintf(intent, sizeof(intent), "%u", r->intent);
	snprintf(action, sizeof(action), "%u", r->action);
	snprintf(lang, sizeof(lang), "%u", r->lang);
	snprintf(at, sizeof(at), "%" PRId64, r->at);
	memcpy(sealed, "\\x", 2);
	osmo_hexdump_buf(sealed + 2, sizeof(sealed) - 2, r->sealed, r->sealed_len, "", false);
	/* Marks gathered this turn go after it (a reopened request's among them). */
	rc = itin_db_pool_exec_keyed(d->db, DONE_CONNECTION, "reopen", 9, values, reopen_cb, arg);
	if (rc < 0)
		reopen_cb(arg, NULL);
	return rc;
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
						  struct itin_db_pool *db, const char *owner)
{
	struct itin_request_done *d = talloc_zero(ctx, struct itin_request_done);

	if (!d)
		return NULL;
	talloc_set_destructor(d, done_destructor);
	d->db = db;
	d->owner = owner;
	INIT_LLIST_HEAD(&d->sent);
	INIT_LLIST_HEAD(&d->failed);
	d->timer = evtimer_new(base, done_timer_cb, d);
	d->retry = evtimer_new(base, done_retry_cb, d);
	if (!d->timer || !d->retry) {
		talloc_free(d);
		return NULL;
	}
	return d;
}
