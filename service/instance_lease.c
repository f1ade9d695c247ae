/*
 * The instance's lease and the link one instance at a time holds (instance_lease.h): the
 * renewal timer, the renewal's answer, the loss, the clean stop, and the link asked for at
 * each renewal. No SQL here: the statements are db/request_inputs.c's.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/log.h"
#include "db/request_inputs.h"
#include "service/instance_lease.h"

#define LEASE_MARGIN 6			/* replies stop 1/6 of the lease before a peer may start */
#define LEASE_RETRY_S 1			/* a failed renewal is tried again after this */

struct itin_lease {
	char name[HOST_NAME_MAX + 66];	/* "host/[instance] name" */
	uint64_t token;			/* this process's, among those that used the name */
	unsigned lease_s;		/* [instance] lease */
	struct itin_db_pool *db;	/* the lease's own connection */
	struct itin_db_pool *link_db;
	const struct itin_lease_ops *ops;
	void *arg;
	struct event *timer;		/* renewal every third of the lease */
	struct event *retry;		/* after a failed renewal, sooner than the timer */
	bool held;			/* renewed in time since it was last lost */
	bool renewing;
	struct timespec sent;		/* when the renewal in flight was sent */
	struct timespec valid_until;	/* monotonic; replies held back after */
	unsigned epoch;			/* + 1 at each loss: requests held before are left */
	bool released;			/* ended at a clean stop: never held again */
	uint64_t stale;			/* a dead process's token, to take the name from */
	struct {			/* a link one instance at a time may hold (USSD) */
		const char *name;	/* NULL: none */
		void (*cb)(void *arg, bool held);
		void *arg;
		bool held, asking;
	} link;
};

static void lease_lost(struct itin_lease *l)
{
	l->held = false;
	l->epoch++;
	l->ops->lost(l->arg);
}

bool itin_lease_valid(struct itin_lease *l)
{
	struct timespec now;

	if (!l->held)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < l->valid_until.tv_sec ||
	    (now.tv_sec == l->valid_until.tv_sec && now.tv_nsec < l->valid_until.tv_nsec))
		return true;
	LOGP(DREQ, LOGL_ERROR, "instance %s: lease not renewed in time: replies of the requests "
	     "held stop, new requests are refused until it is renewed\n", l->name);
	lease_lost(l);
	return false;
}

static void link_set(struct itin_lease *l, bool held)
{
	if (held == l->link.held)
		return;
	l->link.held = held;
	LOGP(DREQ, LOGL_NOTICE, "instance %s: %s %s\n", l->name, held ? "holds" : "no longer holds",
	     l->link.name);
	l->link.cb(l->link.arg, held);
}

static void link_held_cb(void *arg, int rc, const char *why)
{
	struct itin_lease *l = arg;

	l->link.asking = false;
	if (rc == 0 || rc == -EBUSY)
		link_set(l, rc == 0 && itin_lease_valid(l));
	else
		LOGP(DREQ, LOGL_ERROR, "instance %s: asking for %s failed: %s", l->name, l->link.name,
		     why);
}

static void link_ask(struct itin_lease *l)
{
	if (!l->link.name || l->link.asking)
		return;
	l->link.asking = true;
	itin_instance_hold_link(l->link_db, l->link.name, l->name, l->token, link_held_cb, l);
}

void itin_lease_hold_link(struct itin_lease *l, const char *link,
			  void (*cb)(void *arg, bool held), void *arg)
{
	l->link.name = link;
	l->link.cb = cb;
	l->link.arg = arg;
	if (itin_lease_valid(l))
		link_ask(l);
}

static void lease_timer_cb(evutil_socket_t fd, short what, void *arg);

/* The name holds this host: a holder whose pid is not running here has died (a crash, a
 * kill), and a restart need not wait for its lease. */
static bool holder_gone(const struct itin_lease *l, const struct itin_lease_holder *holder)
{
	return holder && holder->pid > 0 && holder->token != l->stale &&
	       kill(holder->pid, 0) < 0 && errno == ESRCH;
}

static void renewed_cb(void *arg, int rc, const struct itin_lease_holder *holder, const char *why)
{
	struct itin_lease *l = arg;
	bool held_now = false;
	long long ns;

	l->renewing = false;
	if (l->released)
		return;
	if (rc == -EBUSY && holder_gone(l, holder)) {
		LOGP(DREQ, LOGL_NOTICE, "instance %s: its previous process (pid %d) is gone: taking "
		     "the name now\n", l->name, holder->pid);
		l->stale = holder->token;
		lease_timer_cb(-1, 0, l);
		return;
	}
	if (rc == -EBUSY) {
		LOGP(DREQ, LOGL_NOTICE, "instance %s: another process holds this name until its "
		     "lease runs out: waiting\n", l->name);
		return;
	}
	if (rc < 0) {
		struct timeval retry = { LEASE_RETRY_S, 0 };

		LOGP(DREQ, LOGL_ERROR, "instance %s: renewing the lease failed: %s", l->name, why);
		evtimer_add(l->retry, &retry);
		return;
	}
	/* The database's lease runs from its now, after this was sent; stopping a sixth of it
	 * before leaves room for a clock that runs a little slower here than there. */
	ns = l->sent.tv_nsec + l->lease_s * 1000000000LL / LEASE_MARGIN * (LEASE_MARGIN - 1);
	l->valid_until.tv_sec = l->sent.tv_sec + ns / 1000000000LL;
	l->valid_until.tv_nsec = ns % 1000000000LL;
	if (!l->held) {
		l->held = held_now = true;
		LOGP(DREQ, LOGL_NOTICE, "instance %s: lease held\n", l->name);
	}
	l->ops->renewed(l->arg, held_now, l->epoch == 0);
	link_ask(l);
}

static void lease_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_lease *l = arg;

	l->ops->tick(l->arg);
	if (!itin_lease_valid(l) && l->link.name)
		link_set(l, false);
	if (l->renewing)
		return;
	l->renewing = true;
	clock_gettime(CLOCK_MONOTONIC, &l->sent);
	evtimer_del(l->retry);
	itin_instance_renew(l->db, l->name, l->token, l->lease_s, getpid(), l->stale, renewed_cb, l);
}

void itin_lease_start(struct itin_lease *l)
{
	struct timeval tv = { l->lease_s / 3, (l->lease_s % 3) * 333333 };

	evtimer_add(l->timer, &tv);
	lease_timer_cb(-1, 0, l);
}

static void released_cb(void *arg, int rc, const char *why)
{
	struct itin_lease *l = arg;

	if (rc < 0)
		LOGP(DREQ, LOGL_ERROR, "instance %s: ending the lease failed (peers wait for it to "
		     "run out): %s", l->name, why);
}

void itin_lease_release(struct itin_lease *l)
{
	l->released = true;
	evtimer_del(l->timer);
	evtimer_del(l->retry);
	if (!l->held)
		return;
	/* From now on nothing held is answered here: a peer may take it at once. */
	lease_lost(l);
	itin_instance_release(l->db, l->name, l->token, released_cb, l);
}

unsigned itin_lease_epoch(const struct itin_lease *l)
{
	return l->epoch;
}

const char *itin_lease_name(const struct itin_lease *l)
{
	return l->name;
}

uint64_t itin_lease_token(const struct itin_lease *l)
{
	return l->token;
}

bool itin_lease_released(const struct itin_lease *l)
{
	return l->released;
}

void itin_lease_set_db(struct itin_lease *l, struct itin_db_pool *lease_db)
{
	l->db = lease_db;
}

static int lease_destructor(struct itin_lease *l)
{
	if (l->timer)
		event_free(l->timer);
	if (l->retry)
		event_free(l->retry);
	return 0;
}

struct itin_lease *itin_lease_alloc(void *ctx, struct event_base *base, const char *instance,
				    unsigned lease_s, struct itin_db_pool *link_db,
				    const struct itin_lease_ops *ops, void *arg)
{
	struct itin_lease *l = talloc_zero(ctx, struct itin_lease);
	char host[HOST_NAME_MAX + 1];

	if (!l)
		return NULL;
	talloc_set_destructor(l, lease_destructor);
	if (gethostname(host, sizeof(host)) < 0) {
		LOGP(DREQ, LOGL_ERROR, "gethostname failed: %s\n", strerror(errno));
		talloc_free(l);
		return NULL;
	}
	host[sizeof(host) - 1] = '\0';
	snprintf(l->name, sizeof(l->name), "%s/%s", host, instance);
	if (gnutls_rnd(GNUTLS_RND_NONCE, &l->token, sizeof(l->token)) < 0) {
		LOGP(DREQ, LOGL_ERROR, "no random token for the lease\n");
		talloc_free(l);
		return NULL;
	}
	l->token &= INT64_MAX;	/* a bigint */
	l->lease_s = lease_s;
	l->link_db = link_db;
	l->ops = ops;
	l->arg = arg;
	l->timer = event_new(base, -1, EV_PERSIST, lease_timer_cb, l);
	l->retry = evtimer_new(base, lease_timer_cb, l);
	if (!l->timer || !l->retry) {
		talloc_free(l);
		return NULL;
	}
	return l;
}
