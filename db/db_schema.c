/*
 * The schema check: one non-blocking libpq connection on the daemon's loop (PQconnectStart,
 * PQconnectPoll on the socket's events), one query, then closed. While the database cannot be
 * reached it tries again every RETRY_S seconds, as the pool would, logging the first failure
 * only: the daemon starts before its database as well as after it.
 */
#include <stdbool.h>
#include <stdlib.h>

#include <libpq-fe.h>
#include <talloc.h>

#include "common/log.h"
#include "db/db_schema.h"
#include "db/db_sql.h"

#define RETRY_S 2

struct itin_db_schema_check {
	struct event_base *base;
	char *conninfo;
	PGconn *pg;
	struct event *io;
	struct event *retry;
	bool querying;
	bool failed_before;
	itin_db_schema_cb cb;
	void *arg;
};

static void check_io_cb(evutil_socket_t fd, short what, void *arg);

int itin_db_schema_version(void)
{
	return itin_migrations[itin_num_migrations - 1].version;
}

static void check_close(struct itin_db_schema_check *c)
{
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	PQfinish(c->pg);
	c->pg = NULL;
}

static void check_unreachable(struct itin_db_schema_check *c);

/* Waits for what on the connection's socket; out of memory, it tries again later. */
static void check_watch(struct itin_db_schema_check *c, short what)
{
	if (c->io)
		event_free(c->io);
	c->io = event_new(c->base, PQsocket(c->pg), what, check_io_cb, c);
	if (!c->io || event_add(c->io, NULL) < 0)
		check_unreachable(c);
}

static void check_unreachable(struct itin_db_schema_check *c)
{
	struct timeval tv = { RETRY_S, 0 };

	if (!c->failed_before)
		LOGP(DDB, LOGL_NOTICE, "schema check: database not reachable, trying again every %d s: "
		     "%s", RETRY_S, c->pg ? PQerrorMessage(c->pg) : "out of memory\n");
	c->failed_before = true;
	check_close(c);
	c->querying = false;
	evtimer_add(c->retry, &tv);
}

static void check_read(struct itin_db_schema_check *c)
{
	PGresult *res;
	int version = -1;
	const char *error = NULL;

	if (!PQconsumeInput(c->pg)) {
		check_unreachable(c);
		return;
	}
	if (PQisBusy(c->pg)) {
		check_watch(c, EV_READ);
		return;
	}
	res = PQgetResult(c->pg);
	if (!res) {
		check_unreachable(c);
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		error = talloc_strdup(c, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?:
				      "no answer");
	else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		error = "no migration recorded";
	else
		version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	check_close(c);
	/* Last: cb may free this check. */
	c->cb(c->arg, version, error ? error : "");
}

static void check_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_db_schema_check *c = arg;

	if (c->querying) {
		check_read(c);
		return;
	}
	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		check_watch(c, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		check_watch(c, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		if (!PQsendQuery(c->pg, "SELECT itin_schema_version()")) {
			check_unreachable(c);
			return;
		}
		c->querying = true;
		check_watch(c, EV_READ);
		break;
	default:
		check_unreachable(c);
		break;
	}
}

static void check_connect(evutil_socket_t fd, short what, void *arg)
{
	struct itin_db_schema_check *c = arg;

	c->pg = PQconnectStart(c->conninfo);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		check_unreachable(c);
		return;
	}
	check_watch(c, EV_WRITE);
}

static int check_destructor(struct itin_db_schema_check *c)
{
	check_close(c);
	if (c->retry)
		event_free(c->retry);
	return 0;
}

struct itin_db_schema_check *itin_db_schema_check_start(void *ctx, struct event_base *base,
							 const char *conninfo,
							 itin_db_schema_cb cb, void *arg)
{
	struct itin_db_schema_check *c = talloc_zero(ctx, struct itin_db_schema_check);

	if (!c)
		return NULL;
	talloc_set_destructor(c, check_destructor);
	c->base = base;
	c->cb = cb;
	c->arg = arg;
	c->conninfo = talloc_strdup(c, conninfo);
	c->retry = evtimer_new(base, check_connect, c);
	if (!c->conninfo || !c->retry) {
		talloc_free(c);
		return NULL;
	}
	check_connect(-1, 0, c);
	return c;
}
