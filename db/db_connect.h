/*
 * Where the database is and how to reach it. The conninfo is, in order: the ITINERAD_CONNINFO
 * environment variable, the config's [database] conninfo, or the embedded cluster in
 * <var_dir>/pg, which is started (sql/pgcluster.sh) when it is not running. Used by
 * itinerad-db (blocking) and by the daemon's pool (which only needs the string).
 *
 * The user is the program's role (sql/migrations/090_roles.sql): the daemon connects as
 * itinerad_daemon, the loads and the retention as itinerad_loader, whatever user the conninfo
 * names; that user (or libpq's default) is the schema's owner, for migrate and purge.
 */
#pragma once

#include <stddef.h>

#include "common/config.h"

/* libpq's connection (PGconn is this type), opaque above db/: only db/ includes libpq-fe.h,
 * so the blocking commands of itinerad-db pass it to the db_* modules without seeing it. */
typedef struct pg_conn itin_db_conn;

#define ITIN_DB_ROLE_DAEMON "itinerad_daemon"
#define ITIN_DB_ROLE_LOADER "itinerad_loader"
#define ITIN_DB_ROLE_OWNER NULL	/* the conninfo's user */

/* The conninfo to use as role (ITIN_DB_ROLE_*), a talloc child of ctx; starts the embedded
 * cluster if needed. NULL on failure, with the reason in err. */
char *itin_db_conninfo(void *ctx, const struct itin_database_config *db, const char *role,
		       char *err, size_t err_len);

/* conninfo with its user replaced by role and without a password (libpq then finds the role's
 * in its password file), a talloc child of ctx; NULL with the reason in err. */
char *itin_db_conninfo_as(void *ctx, const char *conninfo, const char *role, char *err,
			  size_t err_len);

/* A file or directory of the package: $env when set, else installed when it is there, else
 * in_tree (tests and an uninstalled build run from the source tree). */
const char *itin_db_installed(const char *env, const char *installed, const char *in_tree);

/* A blocking connection for command-line tools; NULL with the reason in err. */
itin_db_conn *itin_db_connect_blocking(const char *conninfo, char *err, size_t err_len);
/* A second connection with conn's options (its host, database and user): for work beside
 * conn's in another thread; NULL with the reason in err. */
itin_db_conn *itin_db_connect_again(itin_db_conn *conn, char *err, size_t err_len);
void itin_db_disconnect(itin_db_conn *conn);
