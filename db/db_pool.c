/*
 * Pool of pipelined libpq connections. Each connection keeps a FIFO of what it sent:
 * statements, then a sync point. The statements sent during one turn of the event loop share
 * one sync, so they are one implicit transaction and one commit; while a commit is still being
 * flushed, the next sync waits for it, so that everything sent meanwhile shares the next one
 * (group commit: the busier the disk, the more requests one WAL flush carries). A statement's
 * result is held until its sync point has been answered, that is until its transaction is
 * committed, and only then given to its callback: a caller that acknowledges something on a
 * result knows it is durable. A read-only statement's result is given when it comes. If one
 * statement of a transaction fails, PostgreSQL rolls all of it back: every statement of it,
 * those answered before the failure too, gets the failure (a deadlock between two
 * connections' transactions did once have a request answered as recorded though it was not).
 * Statements go to the connection with the fewest in flight, or to the one their key chooses;
 * there is no queue here: the caller decides what to do with -EAGAIN or -ENOTCONN (the
 * request module answers busy or a temporary error).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "db/db_pool.h"
#include "common/log.h"

#define MAX_IN_FLIGHT 2048
#define BACKOFF_MIN_MS 200
/* An attempt that takes longer is abandoned, and the next starts at the next host; the
 * conninfo's connect_timeout, if any, instead (libpq applies it only when it blocks). */
#define CONNECT_TIMEOUT_MS 5000
/* A failover ends when a standby has been promoted: the pool must find it soon after. */
#define BACKOFF_MAX_MS 1000

enum pending_kind { PENDING_STATEMENT, PENDING_SYNC };

struct pending {
	struct llist_head list;
	enum pending_kind kind;
	itin_db_cb cb;			/* NULL: nobody waits for the result */
	void *arg;
	bool prepare;			/* one of the statements prepared after connecting */
	bool read_only;			/* writes nothing: a result given when it comes */
	bool answered;
	PGresult *res;			/* held until the sync point after it is answered */
};

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_PREPARING, CONN_UP };

struct db_conn {
	struct itin_db_pool *pool;
	unsigned index;
	PGconn *pg;
	enum conn_state state;
	bool was_up;			/* up once before: its next connection is a reconnect */
	struct event *io;		/* on PQsocket(); re-created when the socket changes */
	int io_fd;
	struct event *retry;
	struct event *connect_timer;
	unsigned attempts;
	unsigned backoff_ms;
	struct llist_head pending;	/* sent, not yet answered */
	struct llist_head held;		/* answered, waiting for their transaction's commit */
	struct event *sync;		/* at the end of this loop turn: the sync point */
	bool sync_due;
	bool committing;		/* a sync point sent and not yet answered */
	unsigned in_flight;		/* statements (not syncs) */
	unsigned prepares_left;
};

struct itin_db_pool {
	struct event_base *base;
	const char *name;		/* in its log lines: "" or "lease " */
	/* The conninfo's keywords, and their values once per host it names, each with the
	 * host list starting at another host (see pool_targets()). */
	const char **keywords;
	const char ***targets;
	unsigned num_targets;
	struct timeval connect_timeout;
	const struct itin_db_statement *statements;
	unsigned num_statements;
	struct db_conn *conns;
	unsigned num_conns;
	unsigned long long executed, failed, reconnects;
};

#define LOGPCONN(c, level, fmt, args...) \
	LOGP(DDB, level, "db %sconn %u: " fmt, (c)->pool->name, (c)->index, ##args)

static void conn_start(struct db_conn *c);
static void conn_io_cb(evutil_socket_t fd, short what, void *arg);
static void conn_sync_cb(evutil_socket_t fd, short what, void *arg);
static const struct timeval sync_now = { 0, 0 };

static void conn_watch(struct db_conn *c, short what)
{
	int fd = PQsocket(c->pg);

	if (c->io && (c->io_fd != fd || event_get_events(c->io) != (what | EV_PERSIST))) {
		event_free(c->io);
		c->io = NULL;
	}
	if (!c->io) {
		c->io = event_new(c->pool->base, fd, what | EV_PERSIST, conn_io_cb, c);
		c->io_fd = fd;
		event_add(c->io, NULL);
	}
}

/* The connection is gone: whatever was not committed fails, held results included (their
 * commit is unknown; callers treat that as not done). */
static void conn_fail_pending(struct db_conn *c)
{
	struct pending *p, *tmp;

	llist_splice_init(&c->pending, c->held.prev);
	llist_for_each_entry_safe(p, tmp, &c->held, list) {
		if (p->kind == PENDING_STATEMENT && !p->prepare) {
			c->pool->failed++;
			if (p->cb)
				p->cb(p->arg, NULL);
		}
		PQclear(p->res);
		llist_del(&p->list);
		talloc_free(p);
	}
	c->in_flight = 0;
	c->sync_due = false;
	c->committing = false;
	evtimer_del(c->sync);
}

/* The first failure among a transaction's results: PostgreSQL rolled the whole transaction
 * back, so the statements that had succeeded before it did not happen either. */
static const PGresult *transaction_failure(const struct llist_head *results)
{
	const struct pending *p;

	llist_for_each_entry(p, results, list)
		if (PQresultStatus(p->res) == PGRES_FATAL_ERROR)
			return p->res;
	return NULL;
}

/* The sync point was answered: the held statements' transaction is over; their callbacks,
 * each with its own result if the transaction was committed, else with the failure. */
static void conn_committed(struct db_conn *c)
{
	struct pending *p, *tmp;
	struct llist_head done;
	const PGresult *failure;

	INIT_LLIST_HEAD(&done);
	llist_splice_init(&c->held, &done);
	failure = transaction_failure(&done);
	llist_for_each_entry(p, &done, list) {
		const PGresult *res = failure ? failure : p->res;

		if (failure)
			c->pool->failed++;
		else
			c->pool->executed++;
		if (p->cb)
			p->cb(p->arg, res);
		else if (p->res == failure)
			LOGPCONN(c, LOGL_ERROR, "statement failed: %s", PQresultErrorMessage(res));
	}
	llist_for_each_entry_safe(p, tmp, &done, list) {
		PQclear(p->res);
		llist_del(&p->list);
		talloc_free(p);
	}
}

/* A read-only statement answered: its result does not depend on the commit (it wrote
 * nothing, and what it read was committed or written before it in its own transaction), so
 * its callback has it now rather than one or two WAL flushes later. A failure is held like
 * any other: it rolls back the statements before it in the transaction. */
static void conn_answered_read(struct db_conn *c, struct pending *p)
{
	c->pool->executed++;
	if (p->cb)
		p->cb(p->arg, p->res);
	PQclear(p->res);
	talloc_free(p);
}

static void conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_start(arg);
}

static void conn_lost(struct db_conn *c, const char *why)
{
	struct timeval tv;

	LOGPCONN(c, c->state == CONN_UP ? LOGL_ERROR : LOGL_NOTICE, "%s: %s", why,
	      c->pg ? PQerrorMessage(c->pg) : "no connection\n");
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	PQfinish(c->pg);
	c->pg = NULL;
	c->state = CONN_DOWN;
	evtimer_del(c->connect_timer);
	conn_fail_pending(c);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000 + random() % 100000;
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	evtimer_add(c->retry, &tv);
}

static bool conn_push(struct db_conn *c, enum pending_kind kind, bool prepare)
{
	struct pending *p = talloc_zero(c->pool, struct pending);

	if (!p)
		return false;
	p->kind = kind;
	p->prepare = prepare;
	llist_add_tail(&p->list, &c->pending);
	if (kind == PENDING_STATEMENT)
		c->in_flight++;
	return true;
}

/* Writes what libpq has buffered; waits for writability while some remains. */
static bool conn_flush(struct db_conn *c)
{
	int r = PQflush(c->pg);

	if (r < 0)
		return false;
	conn_watch(c, r > 0 ? EV_READ | EV_WRITE : EV_READ);
	return true;
}

static void conn_prepare(struct db_conn *c)
{
	const struct itin_db_pool *pool = c->pool;

	c->state = CONN_PREPARING;
	c->prepares_left = pool->num_statements;
	for (unsigned i = 0; i < pool->num_statements; i++) {
		const struct itin_db_statement *s = &pool->statements[i];
		if (!PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL) ||
		    !conn_push(c, PENDING_STATEMENT, true) || !PQpipelineSync(c->pg) ||
		    !conn_push(c, PENDING_SYNC, false)) {
			conn_lost(c, "preparing statements failed");
			return;
		}
	}
	if (!conn_flush(c))
		conn_lost(c, "sending failed");
}

static void conn_prepared_one(struct db_conn *c, const PGresult *res)
{
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		LOGPCONN(c, LOGL_ERROR, "preparing a statement failed: %s", PQresultErrorMessage(res));
		return;
	}
	if (--c->prepares_left == 0) {
		c->state = CONN_UP;
		c->pool->reconnects += c->was_up;	/* a connection made again, not the first */
		c->was_up = true;
		c->backoff_ms = BACKOFF_MIN_MS;
		LOGPCONN(c, LOGL_NOTICE, "connected, %u statements prepared\n", c->pool->num_statements);
	}
}

static void conn_read_results(struct db_conn *c)
{
	struct pending *head;
	PGresult *res;

	if (!PQconsumeInput(c->pg)) {
		conn_lost(c, "connection lost");
		return;
	}
	while (!PQisBusy(c->pg)) {
		head = llist_first_entry_or_null(&c->pending, struct pending, list);
		res = PQgetResult(c->pg);
		if (!head) {
			PQclear(res);
			break;
		}
		if (!res) {
			if (head->kind == PENDING_STATEMENT && head->answered) {
				llist_del(&head->list);
				if (head->prepare) {
					talloc_free(head);
				} else if (head->read_only &&
					   PQresultStatus(head->res) == PGRES_TUPLES_OK) {
					conn_answered_read(c, head);
					if (!c->pg)
						return;
				} else {
					llist_add_tail(&head->list, &c->held);
				}
				continue;
			}
			break;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			if (head->kind == PENDING_SYNC) {
				llist_del(&head->list);
				talloc_free(head);
				c->committing = false;
				conn_committed(c);
				if (!c->pg)
					return;
				if (c->sync_due)	/* what waited for this commit */
					evtimer_add(c->sync, &sync_now);
			}
			continue;
		}
		if (head->kind == PENDING_STATEMENT && !head->answered) {
			head->answered = true;
			c->in_flight--;
			if (head->prepare) {
				conn_prepared_one(c, res);
			} else {
				head->res = res;
				continue;
			}
		}
		PQclear(res);
		if (!c->pg)
			return;
	}
}

static void conn_poll_connect(struct db_conn *c)
{
	PostgresPollingStatusType st = PQconnectPoll(c->pg);

	/* With several hosts in the conninfo, or target_session_attrs, libpq closes a socket
	 * that led nowhere and opens the next within this call; the new one may have the old
	 * one's number. The kernel dropped the closed one from the event set, and an event
	 * kept for the same number and events would never fire again: register afresh. */
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	switch (st) {
	case PGRES_POLLING_READING:
		conn_watch(c, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		conn_watch(c, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		evtimer_del(c->connect_timer);
		if (PQsetnonblocking(c->pg, 1) < 0 || !PQenterPipelineMode(c->pg)) {
			conn_lost(c, "pipeline mode refused");
			return;
		}
		conn_prepare(c);
		break;
	default:
		conn_lost(c, "connecting failed");
		break;
	}
}

static void conn_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	if (c->state == CONN_CONNECTING) {
		conn_poll_connect(c);
		return;
	}
	if ((what & EV_WRITE) && !conn_flush(c)) {
		conn_lost(c, "sending failed");
		return;
	}
	if (what & EV_READ)
		conn_read_results(c);
}

/* libpq tries a conninfo's hosts in their order, and a host that never answers (a machine
 * gone, its packets dropped) holds an attempt until the timeout: each attempt starts at the
 * next host, so that the one after the dead one is tried first the next time. */
static void conn_start(struct db_conn *c)
{
	struct itin_db_pool *pool = c->pool;

	c->pg = PQconnectStartParams(pool->keywords, pool->targets[c->attempts++ % pool->num_targets], 0);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_lost(c, "connecting failed");
		return;
	}
	c->state = CONN_CONNECTING;
	evtimer_add(c->connect_timer, &pool->connect_timeout);
	conn_watch(c, EV_WRITE);
}

static void conn_connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_lost(arg, "connecting timed out");
}

/* list (comma-separated) starting at its item first, when it has n items; else as it is (a
 * single port for every host). */
static char *rotated(void *ctx, const char *list, unsigned n, unsigned first)
{
	unsigned items = 1;
	const char *p;

	for (p = list; *p; p++)
		items += *p == ',';
	if (items != n || first == 0)
		return talloc_strdup(ctx, list);
	for (p = list; first; p++)
		first -= *p == ',';
	return talloc_asprintf(ctx, "%s,%.*s", p, (int)(p - list - 1), list);
}

static bool is_host_list(const char *keyword)
{
	return strcmp(keyword, "host") == 0 || strcmp(keyword, "hostaddr") == 0 ||
	       strcmp(keyword, "port") == 0;
}

/* The conninfo as keywords and values, once per host with its host, hostaddr and port lists
 * rotated to start at that host. */
static int pool_targets(struct itin_db_pool *pool, const char *conninfo)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	unsigned k = 0, hosts = 1;
	int rc = -ENOMEM;

	if (!opts) {
		LOGP(DDB, LOGL_ERROR, "database conninfo: %s", perr ? perr : "out of memory\n");
		PQfreemem(perr);
		return perr ? -EINVAL : -ENOMEM;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		k++;
		/* the host list, or else the hostaddr list, says how many hosts */
		if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && hosts == 1)) {
			hosts = 1;
			for (const char *c = o->val; *c; c++)
				hosts += *c == ',';
		}
		if (strcmp(o->keyword, "connect_timeout") == 0 && atoi(o->val) > 0)
			pool->connect_timeout = (struct timeval){ atoi(o->val), 0 };
	}
	pool->keywords = talloc_zero_array(pool, const char *, k + 1);
	pool->targets = talloc_zero_array(pool, const char **, hosts);
	if (!pool->keywords || !pool->targets)
		goto out;
	pool->num_targets = hosts;
	for (unsigned t = 0; t < hosts; t++) {
		const char **values = talloc_zero_array(pool->targets, const char *, k + 1);
		unsigned i = 0;

		if (!values)
			goto out;
		pool->targets[t] = values;
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (!o->val)
				continue;
			if (t == 0 && !(pool->keywords[i] = talloc_strdup(pool->keywords, o->keyword)))
				goto out;
			values[i] = is_host_list(o->keyword) ? rotated(values, o->val, hosts, t) :
				    talloc_strdup(values, o->val);
			if (!values[i++])
				goto out;
		}
	}
	rc = 0;
out:
	PQconninfoFree(opts);
	return rc;
}

/* At exit: the connections closed, their events and any result not yet handed out freed. */
static int pool_destructor(struct itin_db_pool *pool)
{
	for (unsigned i = 0; i < pool->num_conns; i++) {
		struct db_conn *c = &pool->conns[i];
		struct pending *p;

		llist_for_each_entry(p, &c->pending, list)
			PQclear(p->res);
		llist_for_each_entry(p, &c->held, list)
			PQclear(p->res);
		if (c->io)
			event_free(c->io);
		if (c->retry)
			event_free(c->retry);
		if (c->connect_timer)
			event_free(c->connect_timer);
		if (c->sync)
			event_free(c->sync);
		PQfinish(c->pg);
	}
	return 0;
}

struct itin_db_pool *itin_db_pool_alloc(void *ctx, struct event_base *base, const char *conninfo,
					unsigned connections, const struct itin_db_statement *statements,
					unsigned num_statements)
{
	struct itin_db_pool *pool = talloc_zero(ctx, struct itin_db_pool);
	bool ok = true;

	if (!pool)
		return NULL;
	pool->base = base;
	pool->name = "";
	pool->connect_timeout = (struct timeval){ CONNECT_TIMEOUT_MS / 1000, 0 };
	pool->statements = statements;
	pool->num_statements = num_statements;
	pool->num_conns = connections ? connections : 1;
	pool->conns = talloc_zero_array(pool, struct db_conn, pool->num_conns);
	if (!pool->conns || pool_targets(pool, conninfo) < 0) {
		talloc_free(pool);
		return NULL;
	}
	for (unsigned i = 0; i < pool->num_conns; i++) {
		struct db_conn *c = &pool->conns[i];
		c->pool = pool;
		c->index = i;
		c->backoff_ms = BACKOFF_MIN_MS;
		INIT_LLIST_HEAD(&c->pending);
		INIT_LLIST_HEAD(&c->held);
		c->retry = evtimer_new(base, conn_retry_cb, c);
		c->sync = evtimer_new(base, conn_sync_cb, c);
		c->connect_timer = evtimer_new(base, conn_connect_timeout_cb, c);
		ok = ok && c->retry && c->sync && c->connect_timer;
	}
	talloc_set_destructor(pool, pool_destructor);
	if (!ok) {
		talloc_free(pool);
		return NULL;
	}
	return pool;
}

int itin_db_pool_start(struct itin_db_pool *pool)
{
	for (unsigned i = 0; i < pool->num_conns; i++)
		conn_start(&pool->conns[i]);
	return 0;
}

/* The connection with the fewest statements in flight, or NULL when none is up. */
static struct db_conn *least_busy(struct itin_db_pool *pool)
{
	struct db_conn *best = NULL;

	for (unsigned i = 0; i < pool->num_conns; i++) {
		struct db_conn *c = &pool->conns[i];
		if (c->state == CONN_UP && (!best || c->in_flight < best->in_flight))
			best = c;
	}
	return best;
}

static int conn_exec(struct db_conn *c, bool read_only, const char *statement, int nparams,
		     const char *const *values, itin_db_cb cb, void *arg)
{
	struct pending *sent;

	if (!c)
		return -ENOTCONN;
	if (c->in_flight >= MAX_IN_FLIGHT)
		return -EAGAIN;
	if (!PQsendQueryPrepared(c->pg, statement, nparams, values, NULL, NULL, 0) ||
	    !conn_push(c, PENDING_STATEMENT, false)) {
		conn_lost(c, "sending failed");
		return -ENOTCONN;
	}
	/* From here on, a failure reaches cb (with NULL) through conn_lost(). */
	sent = llist_last_entry(&c->pending, struct pending, list);
	sent->cb = cb;
	sent->arg = arg;
	sent->read_only = read_only;
	if (!c->sync_due) {
		c->sync_due = true;
		evtimer_add(c->sync, &sync_now);
	}
	return 0;
}

int itin_db_pool_exec(struct itin_db_pool *pool, const char *statement, int nparams,
		      const char *const *values, itin_db_cb cb, void *arg)
{
	return conn_exec(least_busy(pool), false, statement, nparams, values, cb, arg);
}

int itin_db_pool_exec_keyed(struct itin_db_pool *pool, uint32_t key, const char *statement,
			    int nparams, const char *const *values, itin_db_cb cb, void *arg)
{
	struct db_conn *c = &pool->conns[key % pool->num_conns];

	if (c->state != CONN_UP)
		c = least_busy(pool);
	return conn_exec(c, false, statement, nparams, values, cb, arg);
}

int itin_db_pool_read(struct itin_db_pool *pool, const char *statement, int nparams,
		      const char *const *values, itin_db_cb cb, void *arg)
{
	return conn_exec(least_busy(pool), true, statement, nparams, values, cb, arg);
}

/* The end of a loop turn: one sync point after the statements sent during it, unless the
 * previous one is still being committed (then when it is). */
static void conn_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	if (!c->sync_due || !c->pg || c->committing)
		return;
	c->sync_due = false;
	if (!PQpipelineSync(c->pg) || !conn_push(c, PENDING_SYNC, false) || !conn_flush(c)) {
		conn_lost(c, "sending failed");
		return;
	}
	c->committing = true;
}

void itin_db_pool_set_name(struct itin_db_pool *pool, const char *name)
{
	pool->name = name;
}

bool itin_db_pool_is_up(const struct itin_db_pool *pool)
{
	for (unsigned i = 0; i < pool->num_conns; i++) {
		if (pool->conns[i].state == CONN_UP)
			return true;
	}
	return false;
}

unsigned itin_db_pool_size(const struct itin_db_pool *pool)
{
	return pool->num_conns;
}

void itin_db_pool_get_stats(const struct itin_db_pool *pool, struct itin_db_pool_stats *st)
{
	*st = (struct itin_db_pool_stats){ .executed = pool->executed, .failed = pool->failed,
					   .reconnects = pool->reconnects };
	for (unsigned i = 0; i < pool->num_conns; i++) {
		const struct db_conn *c = &pool->conns[i];
		const struct pending *p;

		st->connections_up += c->state == CONN_UP;
		st->in_flight += c->in_flight;
		llist_for_each_entry(p, &c->held, list)
			st->in_flight++;
	}
}

char *itin_db_bytea_text(void *ctx, const uint8_t *in, size_t len)
{
	char *s = talloc_array(ctx, char, 2 * len + 3);

	if (!s)
		return NULL;
	memcpy(s, "\\x", 2);
	osmo_hexdump_buf(s + 2, 2 * len + 1, in, len, "", false);
	return s;
}
