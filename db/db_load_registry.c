/*
 * Cell registry and risk list loading. Both files are small (a national registry is around a
 * million cells), so the region codes are checked against a sorted array in memory and every
 * refused line is reported with its number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/log.h"
#include "db/db_copy.h"
#include "db/db_load_registry.h"
#include "common/feed_csv.h"

struct registry_loader {
	int32_t *regions;		/* sorted codes of the region table */
	size_t num_regions;
	struct itin_copy_buf copy;
	struct itin_load_stats *st;
};

static int cmp_int32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static int load_regions(struct registry_loader *rl, PGconn *conn)
{
	PGresult *res = itin_db_rows(conn, "SELECT code FROM region ORDER BY code", 0, NULL,
				     "reading regions");

	if (!res)
		return -EIO;
	rl->num_regions = PQntuples(res);
	rl->regions = talloc_array(NULL, int32_t, rl->num_regions + 1);
	for (size_t i = 0; rl->regions && i < rl->num_regions; i++)
		rl->regions[i] = atoi(PQgetvalue(res, i, 0));
	PQclear(res);
	if (!rl->regions) {
		LOGP(DLOAD, LOGL_ERROR, "out of memory for %zu regions\n", rl->num_regions);
		return -ENOMEM;
	}
	if (rl->num_regions == 0) {
		LOGP(DLOAD, LOGL_ERROR, "no regions in the database: run itinerad-db migrate first\n");
		return -ENOENT;
	}
	return 0;
}

static bool region_known(const struct registry_loader *rl, int32_t code)
{
	return bsearch(&code, rl->regions, rl->num_regions, sizeof(code), cmp_int32) != NULL;
}

/* A parsed line of a known region begins its row of nfields; another is counted unknown. */
static const char *begin_row(struct registry_loader *rl, int32_t region_code, uint16_t nfields)
{
	if (!region_known(rl, region_code)) {
		rl->st->unknown++;
		return "region code not in GB/T 2260";
	}
	itin_copy_tuple(&rl->copy, nfields);
	rl->st->loaded++;
	return NULL;
}

static const char *cell_line(void *arg, const char *line, size_t len)
{
	struct registry_loader *rl = arg;
	struct itin_feed_cell c;
	const char *err = itin_feed_parse_cell(line, len, &c);

	if (err || (err = begin_row(rl, c.region_code, 5)))
		return err;
	itin_copy_int2(&rl->copy, c.mcc);
	itin_copy_int2(&rl->copy, c.mnc);
	itin_copy_int4(&rl->copy, c.lac);
	itin_copy_int4(&rl->copy, c.ci);
	itin_copy_int4(&rl->copy, c.region_code);
	return NULL;
}

static const char *risk_line(void *arg, const char *line, size_t len)
{
	struct registry_loader *rl = arg;
	struct itin_feed_risk r;
	const char *err = itin_feed_parse_risk(line, len, &r);

	if (err || (err = begin_row(rl, r.region_code, 4)))
		return err;
	itin_copy_int4(&rl->copy, r.region_code);
	itin_copy_bytes(&rl->copy, r.level, strlen(r.level));
	itin_copy_date(&rl->copy, r.valid_from);
	itin_copy_date(&rl->copy, r.valid_to);
	return NULL;
}

static int load_registry(PGconn *conn, FILE *f, const char *name, struct itin_load_stats *st,
			 const char *header, const char *staging, itin_line_cb cb,
			 const char *merge_sql)
{
	struct registry_loader rl = { .st = st };
	char sql[256];
	PGresult *res;
	int64_t rows;
	int rc = -EIO;

	if (!itin_db_exec(conn, "BEGIN", name) || load_regions(&rl, conn) < 0)
		goto out;
	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE %s ON COMMIT DROP", staging);
	if (!itin_db_exec(conn, sql, name))
		goto out;
	snprintf(sql, sizeof(sql), "COPY %.*s FROM STDIN (FORMAT binary)",
		 (int)strcspn(staging, " "), staging);
	if (itin_copy_begin(&rl.copy, conn, sql) < 0)
		goto out;
	if (itin_read_lines(f, name, header, cb, &rl, st) < 0) {
		itin_copy_end(&rl.copy);
		goto out;
	}
	if (itin_copy_end(&rl.copy) < 0)
		goto out;
	res = PQexec(conn, merge_sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		LOGP(DLOAD, LOGL_ERROR, "%s: %s", name, PQerrorMessage(conn));
		PQclear(res);
		goto out;
	}
	rows = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (!itin_db_exec(conn, "COMMIT", name))
		goto out;
	st->rows = rows;
	rc = 0;
out:
	if (rc < 0)
		itin_db_exec(conn, "ROLLBACK", name);
	talloc_free(rl.regions);
	return rc;
}

int itin_db_load_cells(PGconn *conn, FILE *f, const char *name, struct itin_load_stats *st)
{
	return load_registry(conn, f, name, st, "mcc", "load_cell (LIKE cell)", cell_line,
			     "INSERT INTO cell SELECT DISTINCT ON (mcc, mnc, lac, ci) * FROM load_cell "
			     "ON CONFLICT (mcc, mnc, lac, ci) DO UPDATE SET region_code = "
			     "EXCLUDED.region_code WHERE cell.region_code <> EXCLUDED.region_code");
}

int itin_db_load_risk(PGconn *conn, FILE *f, const char *name, struct itin_load_stats *st)
{
	return load_registry(conn, f, name, st, "region_code", "load_risk (LIKE risk_area)",
			     risk_line,
			     "DELETE FROM risk_area; INSERT INTO risk_area "
			     "SELECT DISTINCT ON (region_code, valid_from) * FROM load_risk");
}
