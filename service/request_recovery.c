/*
 * Pending requests that no request in memory answers, in the request service.
 *
 * Several processes may share the database (migration 100): each is an instance with a name
 * and a lease (service/instance_lease.c). It answers at start the pending rows of its own name
 * only, and takes over the rows of instances whose lease ran out. An instance whose lease ran
 * out sends no more SMS replies of the requests it holds (a peer may be answering them) and
 * refuses new ones, until it holds its lease again; then it answers those of its rows that no
 * peer took (the sweep below).
 *
 * The sweep answers the instance's own pending rows that nothing in this process will answer:
 * a recording whose connection broke before its commit was known (a primary that died, with
 * the commit on the standby it failed over to), a request whose reply could not be sent, and,
 * after a loss of the lease, the requests held back. It runs after the pool reconnected and
 * when the lease is held again, once the requests from before the loss are gone, and leaves
 * out the rows of the requests alive and of the done marks not yet committed (their ids) and
 * any row newer than the oldest recording still in flight: what it answers, nothing else
 * does.
 *
 * Channels see none of this: a recovered request is answered through the channel's ops like
 * any other. No SQL here: db/request_inputs.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "common/reply_address.h"
#include "db/request_done.h"
#include "db/request_inputs.h"
#include "service/request_internal.h"

#define SWEEP_CHECK_MS 200		/* a sweep waiting for its moment looks this often */

/* The lease ran out (or was ended): the requests alive are of the old epoch. None of them is
 * answered here any more (a peer may be answering it), and the sweep answers their rows once
 * the lease is held again (those no peer took). */
static void lease_lost(void *arg)
{
	g_requests->old_epoch_live = g_requests->in_flight;
}

enum recovered_from {
	FROM_PREVIOUS_RUN,		/* at the start: the previous process's */
	FROM_PEER,			/* taken over from an instance whose lease ran out */
	FROM_SWEEP,			/* this process's, that nothing here answers */
};

/* Whether the pending row id is of a request in memory here, put back pending after it was
 * marked sent (its parts wait at the SMSC link): it is not answered twice. */
static bool reopened_here(int64_t id)
{
	struct itin_request *req;

	llist_for_each_entry(req, &g_requests->reopened, reopened_entry) {
		if (req->id == id)
			return true;
	}
	return false;
}

static void recover_one(const struct itin_pending *p, enum recovered_from from)
{
	static const char *const how[] = {
		[FROM_PREVIOUS_RUN] = "left pending by a previous run",
		[FROM_PEER] = "taken over from an instance whose lease ran out",
		[FROM_SWEEP] = ("that nothing else answers (a recording whose commit was in "
				"doubt, a reply not sent, or held back while the lease was lost)"),
	};
	struct itin_request *req = itin_request_alloc(g_requests);

	if (!req)
		return;
	req->id = p->id;
	req->channel = p->channel;
	req->identity_kind = p->channel == ITIN_CHANNEL_SMS ? ITIN_IDENTITY_MSISDN : ITIN_IDENTITY_IMSI;
	req->intent = p->intent;
	req->action = p->action;
	req->lang = p->english ? ITIN_LANG_EN : ITIN_LANG_ZH;
	req->received_at = p->received_at;
	req->recovered = true;
	req->recorded = true;
	req->ops = g_requests->channel_ops[p->channel == ITIN_CHANNEL_SMS ? 0 : 1];
	if (p->channel != ITIN_CHANNEL_SMS || !req->ops) {
		/* A USSD session does not outlive its process: nothing to answer. */
		itin_request_replied(req, true, 0);
		return;
	}
	memcpy(req->key, p->key, sizeof(req->key));
	if (from != FROM_PEER &&
	    (reopened_here(p->id) || itin_request_done_holds(g_requests->done, p->id))) {
		/* Its reply is with the SMSC link still, or was sent and its mark is on its way
		 * (held back while this instance's lease had run out): not answered again. */
		talloc_free(req);
		return;
	}
	if (p->sealed_len < 0 ||
	    itin_unseal(g_requests->sealer, ITIN_SEAL_REPLY_ADDRESS, p->sealed, p->sealed_len,
			req->identity, sizeof(req->identity)) < 0) {
		LOGP(DREQ, LOGL_ERROR, "pending request %lld cannot be unsealed (its key is not in "
		     "the secret file?)\n", (long long)req->id);
		talloc_free(req);
		return;
	}
	LOGPREQ(req, LOGL_NOTICE, "answering request %lld %s\n", (long long)req->id, how[from]);
	if (from == FROM_PEER)
		g_requests->stats.taken_over++;
	itin_request_start_deadline(req);
	itin_request_act(req);
}

/* Answers rows read from request_pending; false when the read failed (what failed, why). */
static bool recover_rows(const struct itin_pending *rows, unsigned num, enum recovered_from from,
			 const char *what, const char *why)
{
	if (!rows) {
		LOGP(DREQ, LOGL_ERROR, "%s failed: %s", what, why);
		return false;
	}
	for (unsigned i = 0; i < num; i++)
		recover_one(&rows[i], from);
	return true;
}

static void pending_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why)
{
	if (!recover_rows(rows, num, FROM_PREVIOUS_RUN, "recovering pending requests", why))
		return;
	if (num == ITIN_PENDING_BATCH)
		itin_request_pending_read(g_requests->db, itin_lease_name(g_requests->lease),
					  rows[num - 1].id, g_requests->recover_bound, pending_cb, NULL);
}

/* Every own pending row that exists before this instance takes requests under its lease is
 * not in memory: a previous run's, or held back during a loss of the lease. */
static void pending_bound_cb(void *arg, int64_t bound, const char *why)
{
	void (*ready)(void *arg) = g_requests->recovered;

	g_requests->recovered = NULL;
	if (bound < 0) {
		LOGP(DREQ, LOGL_ERROR, "reading pending requests failed: %s", why);
	} else {
		g_requests->recover_bound = bound;
		if (bound > 0)
			itin_request_pending_read(g_requests->db, itin_lease_name(g_requests->lease), 0,
						  bound, pending_cb, NULL);
	}
	if (ready)
		ready(g_requests->recovered_arg);
}

static void taken_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why);

/* The pending rows of instances whose lease ran out, a batch at a time. */
static void take_over(void)
{
	g_requests->taking_over = true;
	itin_request_take_over(g_requests->db, itin_lease_name(g_requests->lease),
			       itin_lease_token(g_requests->lease), taken_cb, NULL);
}

static void taken_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why)
{
	g_requests->taking_over = false;
	if (!recover_rows(rows, num, FROM_PEER, "taking over the requests of lapsed instances", why))
		return;
	if (num == ITIN_PENDING_BATCH && itin_lease_valid(g_requests->lease))
		take_over();
}

void itin_request_sweep_want(void)
{
	struct timeval tv = { 0, SWEEP_CHECK_MS * 1000 };

	g_requests->sweep.wanted = true;
	if (!evtimer_pending(g_requests->sweep.timer, NULL))
		evtimer_add(g_requests->sweep.timer, &tv);
}

static void orphans_cb(void *arg, const struct itin_pending *rows, unsigned num, const char *why)
{
	g_requests->sweep.reading = false;
	/* A failed read leaves the sweep wanted: tried again. */
	if (!recover_rows(rows, num, FROM_SWEEP, "reading this instance's unanswered requests", why))
		return;
	if (num < ITIN_PENDING_BATCH) {
		g_requests->sweep.wanted = false;
		evtimer_del(g_requests->sweep.timer);
	}
}

/* The ids whose rows something in the process answers or marks done. */
struct held_ids {
	int64_t *id;
	unsigned num, max;
	bool failed;
};

static void hold_id(void *arg, int64_t id)
{
	struct held_ids *h = arg;

	if (h->num == h->max) {
		int64_t *more = talloc_realloc(g_requests, h->id, int64_t, h->max ? 2 * h->max : 256);

		if (!more) {
			h->failed = true;
			return;
		}
		h->id = more;
		h->max = talloc_array_length(more);
	}
	h->id[h->num++] = id;
}

void itin_request_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct held_ids held = { 0 };
	struct itin_request *req;
	int64_t before = time(NULL);

	if (!g_requests->sweep.wanted || g_requests->sweep.reading ||
	    itin_lease_released(g_requests->lease))
		return;
	/* A request from before a loss of the lease may still be fenced and left. */
	if (!itin_lease_valid(g_requests->lease) || g_requests->old_epoch_live ||
	    !itin_request_db_is_up(g_requests->db))
		return;
	llist_for_each_entry(req, &g_requests->live, live) {
		if (req->id)
			hold_id(&held, req->id);
		else if (req->received_at > 0 && req->received_at < before)
			before = req->received_at;	/* its row, once committed, is its own */
	}
	/* A done mark not yet committed leaves its row pending a while. */
	itin_request_done_foreach(g_requests->done, hold_id, &held);
	if (!held.failed) {
		g_requests->sweep.reading = true;
		itin_request_orphans_read(g_requests->db, itin_lease_name(g_requests->lease), before,
					  held.id, held.num, orphans_cb, NULL);
	}
	talloc_free(held.id);
}

/* Held the first time: every own pending row up to now is a previous run's; held again after a
 * loss: requests of before may still be in memory, the sweep waits for them. */
static void lease_renewed(void *arg, bool held_now, bool first)
{
	if (held_now && first)
		itin_request_pending_bound(g_requests->db, pending_bound_cb, NULL);
	else if (held_now)
		itin_request_sweep_want();
	if (!g_requests->taking_over)
		take_over();
}

/* A connection lost and made again: what it was committing is in doubt. */
static void lease_tick(void *arg)
{
	unsigned long long reconnects = itin_request_db_reconnects(g_requests->db);

	if (reconnects != g_requests->sweep.reconnects) {
		g_requests->sweep.reconnects = reconnects;
		itin_request_sweep_want();
	}
}

const struct itin_lease_ops itin_request_lease_ops = {
	.lost = lease_lost, .renewed = lease_renewed, .tick = lease_tick,
};
