/*
 * Migration runner. The migrations themselves are SQL files under sql/migrations, compiled in;
 * this file only decides which to run. An advisory lock keeps two itinerad-db processes from
 * migrating at once. Reference tables are upserted from their CSV files (rows gone from a file
 * are deleted when nothing refers to them), which is idempotent and keeps the cell registry's
 * foreign keys intact. The grants of the daemon's and the loader's roles (sql/grants.sql) are
 * applied again every time, in the same transaction, so a migration of any number finds them
 * as the file says once migrate is done.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "db/db_copy.h"
#include "db/db_migrate.h"
#include "db/db_partitions.h"
#include "db/db_sql.h"

#define MIGRATE_LOCK_ID 7401001

struct reference_table {
	const char *file;
	const char *table;
	const char *columns;
	const char *key;
	const char *match;	/* a row of the file (r) is the same as a row of the table (t) */
	const char *update;	/* SET list for rows that changed */
};

static const struct reference_table reference_tables[] = {
	{ "regions-cn.csv", "region", "code, name_zh, name_en, level, parent_code", "code", "r.code = t.code",
	  "name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, level = EXCLUDED.level, "
	  "parent_code = EXCLUDED.parent_code" },
	{ "mcc-countries.csv", "country", "mcc, iso2, name_en, name_zh", "mcc", "r.mcc = t.mcc",
	  "iso2 = EXCLUDED.iso2, name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh" },
	{ "mnc-cn.csv", "operator_cn", "mcc, mnc, iso2, brand, operator, operator_zh, status, in_mbpi",
	  "mcc, mnc", "r.mcc = t.mcc AND r.mnc = t.mnc",
	  "iso2 = EXCLUDED.iso2, brand = EXCLUDED.brand, operator = EXCLUDED.operator, "
	  "operator_zh = EXCLUDED.operator_zh, status = EXCLUDED.status, in_mbpi = EXCLUDED.in_mbpi" },
};

const char *itin_db_data_dir(void)
{
	return itin_db_installed("ITINERAD_DATA_DIR", ITIN_PKGDATADIR "/data", ITIN_SRCDIR "/data");
}

/* itin_db_exec() with the failure reported as "migrate: WHAT: error". */
static bool exec_ok(PGconn *conn, const char *sql, const char *what)
{
	char label[128];

	snprintf(label, sizeof(label), "migrate: %s", what);
	return itin_db_exec(conn, sql, label);
}

static bool migration_applied(PGconn *conn, int version, bool *applied)
{
	char v[16];
	const char *params[1] = { v };
	PGresult *res;

	snprintf(v, sizeof(v), "%d", version);
	res = itin_db_rows(conn, "SELECT 1 FROM schema_version WHERE version = $1", 1, params,
			   "migrate: reading schema_version");
	if (!res)
		return false;
	*applied = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

static int apply_migration(PGconn *conn, const struct itin_migration *m)
{
	char what[96], record[160];
	bool applied;

	snprintf(what, sizeof(what), "migration %03d %s", m->version, m->name);
	if (!exec_ok(conn, "BEGIN", what))
		return -EIO;
	if (!migration_applied(conn, m->version, &applied))
		goto fail;
	if (applied)
		return exec_ok(conn, "COMMIT", what) ? 0 : -EIO;
	snprintf(record, sizeof(record), "INSERT INTO schema_version (version, name) VALUES (%d, '%s')",
		 m->version, m->name);
	if (!exec_ok(conn, m->sql, what) || !exec_ok(conn, record, what) ||
	    !exec_ok(conn, "COMMIT", what))
		goto fail;
	LOGP(DLOAD, LOGL_NOTICE, "migrate: applied %03d %s\n", m->version, m->name);
	return 1;
fail:
	exec_ok(conn, "ROLLBACK", what);
	return -EIO;
}

static bool copy_file(PGconn *conn, const char *path)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "r");
	PGresult *res;
	bool ok = true;

	if (!f) {
		LOGP(DLOAD, LOGL_ERROR, "migrate: cannot open %s\n", path);
		PQputCopyEnd(conn, "missing file");
		PQclear(PQgetResult(conn));
		return false;
	}
	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		ok = PQputCopyData(conn, buf, n) == 1;
	fclose(f);
	ok = PQputCopyEnd(conn, ok ? NULL : "read error") == 1 && ok;
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		LOGP(DLOAD, LOGL_ERROR, "migrate: loading %s: %s", path, PQerrorMessage(conn));
		ok = false;
	}
	PQclear(res);
	while ((res = PQgetResult(conn)))
		PQclear(res);
	return ok;
}

static bool refresh_reference(PGconn *conn, const struct reference_table *t, const char *data_dir)
{
	char sql[1280], path[1024], what[64];
	PGresult *res;

	snprintf(what, sizeof(what), "reference table %s", t->table);
	snprintf(path, sizeof(path), "%s/%s", data_dir, t->file);
	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE ref_load (LIKE %s)", t->table);
	if (!exec_ok(conn, sql, what))
		return false;
	snprintf(sql, sizeof(sql), "COPY ref_load (%s) FROM STDIN (FORMAT csv, HEADER true)", t->columns);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		LOGP(DLOAD, LOGL_ERROR, "migrate: %s: %s", what, PQerrorMessage(conn));
		PQclear(res);
		return false;
	}
	PQclear(res);
	if (!copy_file(conn, path))
		return false;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s SELECT * FROM ref_load ON CONFLICT (%s) DO UPDATE SET %s; "
		 "DELETE FROM %s t WHERE NOT EXISTS (SELECT 1 FROM ref_load r WHERE %s); "
		 "DROP TABLE ref_load",
		 t->table, t->key, t->update, t->table, t->match);
	return exec_ok(conn, sql, what);
}

int itin_db_migrate(PGconn *conn, const char *data_dir)
{
	char lock[64];
	unsigned applied = 0;
	int rc = -EIO, proxy;

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATE_LOCK_ID);
	if (!exec_ok(conn, "SET client_min_messages = warning", "session") ||
	    !exec_ok(conn, lock, "lock") ||
	    !exec_ok(conn, "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
		     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
		     "schema_version"))
		goto out;
	for (unsigned i = 0; i < itin_num_migrations; i++) {
		int r = apply_migration(conn, &itin_migrations[i]);
		if (r < 0)
			goto out;
		applied += r;
	}
	/* A proxy's routing functions after the grants: they replace the single node's
	 * itin_lookup (sql/proxy.sql), whatever a migration did to it. */
	if (!exec_ok(conn, "BEGIN", "reference data") ||
	    !exec_ok(conn, itin_sql_grants, "grants") || (proxy = itin_db_is_proxy(conn)) < 0 ||
	    (proxy && !exec_ok(conn, itin_sql_proxy, "proxy functions"))) {
		exec_ok(conn, "ROLLBACK", "grants");
		goto out;
	}
	for (unsigned i = 0; i < sizeof(reference_tables) / sizeof(reference_tables[0]); i++) {
		if (!refresh_reference(conn, &reference_tables[i], data_dir)) {
			exec_ok(conn, "ROLLBACK", "reference data");
			goto out;
		}
	}
	if (!exec_ok(conn, "COMMIT", "reference data"))
		goto out;
	LOGP(DLOAD, LOGL_NOTICE,
	     "migrate: schema at version %d (%u applied now); reference data from %s\n",
	     itin_migrations[itin_num_migrations - 1].version, applied, data_dir);
	rc = 0;
out:
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_unlock(%d)", MIGRATE_LOCK_ID);
	exec_ok(conn, lock, "unlock");
	return rc;
}
