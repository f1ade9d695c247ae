/*
 * Connection set-up. The embedded cluster is the SQLite-like default of a fresh install: a
 * private PostgreSQL on a unix socket inside var_dir, started by the same script the tests use,
 * found installed (pkgdatadir) or, in a build tree, in the source directory. Its postgres role
 * owns the schema; pgcluster.sh's peer map lets the cluster's OS user connect as it and as the
 * roles of the daemon and the loader, and nobody else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <talloc.h>

#include "db/db_connect.h"

const char *itin_db_installed(const char *env, const char *installed, const char *in_tree)
{
	const char *value = getenv(env);

	if (value && *value)
		return value;
	return access(installed, R_OK) == 0 ? installed : in_tree;
}

static const char *pgcluster_script(void)
{
	return itin_db_installed("ITINERAD_PGCLUSTER", ITIN_PKGDATADIR "/pgcluster.sh",
				 ITIN_SRCDIR "/sql/pgcluster.sh");
}

/* Quote a path for /bin/sh: single quotes, with each ' written as '\''. */
static char *sh_quote(void *ctx, const char *s)
{
	char *q = talloc_strdup(ctx, "'");

	for (; q && *s; s++)
		q = *s == '\'' ? talloc_strdup_append(q, "'\\''") : talloc_asprintf_append(q, "%c", *s);
	return q ? talloc_strdup_append(q, "'") : NULL;
}

static char *embedded_conninfo(void *ctx, const struct itin_database_config *db, char *err,
			       size_t err_len)
{
	char *dir = talloc_asprintf(ctx, "%s/pg", db->var_dir);
	char *abs = NULL, *cmd, *conninfo = NULL;
	struct stat st;
	int rc;

	if (!dir)
		return NULL;
	/* Open to others: as root, the cluster runs as the postgres user, which must reach dir
	 * (pgcluster.sh gives it dir; the data directory in it is its own, mode 0700). */
	mkdir(db->var_dir, 0755);
	mkdir(dir, 0750);
	abs = realpath(dir, NULL);
	if (!abs) {
		snprintf(err, err_len, "embedded database directory %s: %s", dir, strerror(errno));
		goto out;
	}
	/* The socket exists while the cluster runs: then there is nothing to start. */
	cmd = talloc_asprintf(ctx, "%s/.s.PGSQL.5432", abs);
	if (!cmd || stat(cmd, &st) != 0) {
		cmd = talloc_asprintf(ctx, "sh %s start %s >&2", sh_quote(ctx, pgcluster_script()),
				      sh_quote(ctx, abs));
		rc = cmd ? system(cmd) : -1;
		if (rc != 0) {
			snprintf(err, err_len, "could not start the embedded database in %s "
				 "(why: above, or in %s/postgres.log)", abs, abs);
			goto out;
		}
	}
	conninfo = talloc_asprintf(ctx, "host=%s user=postgres dbname=itinerad", abs);
out:
	free(abs);
	return conninfo;
}

/* conninfo with its user replaced by role, and without the owner's password (the role's, if it
 * needs one, is in ~/.pgpass): written again as keyword = 'value' pairs, which takes a URI as
 * well. */
char *itin_db_conninfo_as(void *ctx, const char *conninfo, const char *role, char *err,
			  size_t err_len)
{
	char *perr = NULL, *out;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);

	if (!opts) {
		snprintf(err, err_len, "database conninfo: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return NULL;
	}
	out = talloc_asprintf(ctx, "user=%s", role);
	for (PQconninfoOption *o = opts; out && o->keyword; o++) {
		if (!o->val || strcmp(o->keyword, "user") == 0 || strcmp(o->keyword, "password") == 0)
			continue;
		out = talloc_asprintf_append(out, " %s='", o->keyword);
		for (const char *c = o->val; out && *c; c++)
			out = talloc_asprintf_append(out, "%s%c", *c == '\\' || *c == '\'' ? "\\" : "", *c);
		out = out ? talloc_strdup_append(out, "'") : NULL;
	}
	PQconninfoFree(opts);
	if (!out)
		snprintf(err, err_len, "out of memory");
	return out;
}

char *itin_db_conninfo(void *ctx, const struct itin_database_config *db, const char *role,
		       char *err, size_t err_len)
{
	const char *env = getenv("ITINERAD_CONNINFO");
	char *conninfo;

	snprintf(err, err_len, "out of memory");
	if (env && *env)
		conninfo = talloc_strdup(ctx, env);
	else if (db->conninfo[0])
		conninfo = talloc_strdup(ctx, db->conninfo);
	else
		conninfo = embedded_conninfo(ctx, db, err, err_len);
	if (!conninfo)
		return NULL;
	return role ? itin_db_conninfo_as(ctx, conninfo, role, err, err_len) : conninfo;
}

itin_db_conn *itin_db_connect_blocking(const char *conninfo, char *err, size_t err_len)
{
	PGconn *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, err_len, "database connection failed: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetClientEncoding(conn, "UTF8");
	return conn;
}

itin_db_conn *itin_db_connect_again(itin_db_conn *conn, char *err, size_t err_len)
{
	PQconninfoOption *opts = PQconninfo(conn);
	const char **keywords, **values;
	PGconn *again = NULL;
	size_t n = 0, used = 0;

	for (; opts && opts[n].keyword; n++)
		;
	keywords = talloc_array(NULL, const char *, n + 1);
	values = talloc_array(NULL, const char *, n + 1);
	if (!opts || !keywords || !values) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!opts[i].val)
			continue;
		keywords[used] = opts[i].keyword;
		values[used++] = opts[i].val;
	}
	keywords[used] = values[used] = NULL;
	again = PQconnectdbParams(keywords, values, 0);
	if (PQstatus(again) != CONNECTION_OK) {
		snprintf(err, err_len, "database connection failed: %s", PQerrorMessage(again));
		PQfinish(again);
		again = NULL;
		goto out;
	}
	PQsetClientEncoding(again, "UTF8");
out:
	talloc_free(keywords);
	talloc_free(values);
	PQconninfoFree(opts);
	return again;
}

void itin_db_disconnect(itin_db_conn *conn)
{
	PQfinish(conn);
}
