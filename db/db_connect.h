/*
 * Where the database is and how to reach it. The conninfo is, in order: the ITINERAD_CONNINFO
 * environment variable, the config's [database] conninfo, or the embedded cluster in
 * <var_dir>/pg, which is started (sql/pgcluster.sh) when it is not running. Used by
 * itinerad-db (blocking) and by the daemon's pool (which only needs the string).
 */
#pragma once

#include <libpq-fe.h>

#include "common/config.h"

/* The conninfo to use (talloc child of ctx); starts the embedded cluster if needed. NULL on
 * failure, with the reason in err. */
char *itin_db_conninfo(void *ctx, const struct itin_config *cfg, char *err, size_t err_len);

/* A blocking connection for command-line tools; NULL with the reason in err. */
PGconn *itin_db_connect_blocking(const char *conninfo, char *err, size_t err_len);
