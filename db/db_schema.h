/*
 * The daemon's schema check at start (issue 22): which migration the database is at, read
 * once on the daemon's loop before the pool starts, so that an itinerad newer than its database
 * refuses with the command to run instead of failing every request. Knows no request.
 */
#pragma once

#include <event2/event.h>

struct itin_db_schema_check;

/* version: the newest migration applied (itin_schema_version(), migration 140), or -1 when
 * the database answered without one (a schema older than migration 140), with PostgreSQL's
 * primary message in error (no newline). */
typedef void (*itin_db_schema_cb)(void *arg, int version, const char *error);

/* Connects with conninfo, again every few seconds while the database cannot be reached (it may
 * come up after itinerad), asks once, closes, and calls cb. Freed with ctx (or by talloc_free,
 * which ends a check in progress without calling cb). NULL when out of memory. */
struct itin_db_schema_check *itin_db_schema_check_start(void *ctx, struct event_base *base,
							 const char *conninfo,
							 itin_db_schema_cb cb, void *arg);

/* The newest migration compiled into this program: the version the database must be at. */
int itin_db_schema_version(void);
