/*
 * Lookup parameters and result parsing. The window's first day is passed to the database so
 * that only the window's rows travel; the engine still applies the exact window and stay rule.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "db/db_lookup.h"
#include "common/localtime.h"

const char itin_sql_freshness[] =
	"SELECT extract(epoch FROM e.newest_event)::bigint, extract(epoch FROM e.loaded_at)::bigint, "
	"extract(epoch FROM r.loaded_at)::bigint, extract(epoch FROM r.newest_event)::bigint, "
	"(SELECT string_agg(feed || ' ' || extract(epoch FROM finished_at)::bigint || ' ' || lines || "
	"' ' || loaded || ' ' || refused || ' ' || unknown, E'\\n') FROM feed_load), "
	"(SELECT string_agg(feed || ' ' || lines || ' ' || reason, E'\\n' ORDER BY feed, lines DESC, "
	"reason) FROM feed_load_refused) "
	"FROM (SELECT) one LEFT JOIN feed_state e ON e.feed = 'events' "
	"LEFT JOIN feed_state r ON r.feed = 'retention'";
const char itin_sql_risks[] =
	"SELECT region_code, valid_from - DATE '1970-01-01', valid_to - DATE '1970-01-01' "
	"FROM risk_area WHERE valid_to >= current_date - 31";

static void bytea_hex(char *out, size_t size, const uint8_t *bytes, size_t len)
{
	out[0] = '\\';
	out[1] = 'x';
	osmo_hexdump_buf(out + 2, size - 2, bytes, len, "", false);
}

void itin_lookup_params_set(struct itin_lookup_params *p, const struct itin_service_config *service,
			    const uint8_t key[ITIN_SUBSCRIBER_KEY_LEN],
			    const uint8_t *previous_key, int64_t now)
{
	bytea_hex(p->key, sizeof(p->key), key, ITIN_SUBSCRIBER_KEY_LEN);
	if (previous_key)
		bytea_hex(p->previous_key, sizeof(p->previous_key), previous_key,
			  ITIN_SUBSCRIBER_KEY_LEN);
	itin_lookup_first_day(service, now, p->first_day);
	p->values[0] = p->key;
	p->values[1] = p->first_day;
	p->values[2] = previous_key ? p->previous_key : NULL;
}

void itin_lookup_first_day(const struct itin_service_config *service, int64_t now, char out[16])
{
	int year, month, mday;

	itin_local_date(itin_local_day(now) - (int32_t)service->window_days, &year, &month, &mday);
	snprintf(out, 16, "%04d-%02d-%02d", year, month, mday);
}

/* Rows first .. first + num - 1, their columns from col on: sealed mask (bytea, \\x...), day,
 * place, first, last. */
static int lookup_from_rows(void *ctx, const PGresult *res, int col, int first, int num,
			    struct itin_lookup *out)
{
	*out = (struct itin_lookup){ 0 };
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != col + 5)
		return -EINVAL;
	if (num == 0)
		return 0;
	out->known = true;
	out->mask_sealed_len = PQgetisnull(res, first, col) ? 0
		: osmo_hexparse(PQgetvalue(res, first, col) + 2, out->mask_sealed,
				sizeof(out->mask_sealed));
	if (out->mask_sealed_len < 0)
		out->mask_sealed_len = 0;
	out->rows = talloc_array(ctx, struct itin_presence, num);
	if (!out->rows)
		return -ENOMEM;
	for (int i = first; i < first + num; i++) {
		if (PQgetisnull(res, i, col + 1))
			continue;
		out->rows[out->num_rows++] = (struct itin_presence){
			.day = atoi(PQgetvalue(res, i, col + 1)),
			.place = atoi(PQgetvalue(res, i, col + 2)),
			.first_seen = strtoll(PQgetvalue(res, i, col + 3), NULL, 10),
			.last_seen = strtoll(PQgetvalue(res, i, col + 4), NULL, 10),
		};
	}
	return 0;
}

int itin_lookup_from_result(void *ctx, const PGresult *res, struct itin_lookup *out)
{
	return lookup_from_rows(ctx, res, 0, 0, PQntuples(res), out);
}

int itin_lookup_from_batch(void *ctx, const PGresult *res, int first, int num,
			   struct itin_lookup *out)
{
	return lookup_from_rows(ctx, res, 1, first, num, out);
}

int64_t itin_freshness_from_result(const PGresult *res)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		return 0;
	return strtoll(PQgetvalue(res, 0, 0), NULL, 10);
}

static int64_t column(const PGresult *res, int col)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0 || PQnfields(res) <= col ||
	    PQgetisnull(res, 0, col))
		return 0;
	return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

const char *const itin_feed_names[ITIN_FEEDS] = { "cells", "events", "risk" };

/* The feed named at the start of s (followed by a space), or NULL; *s moves past the space. */
static struct itin_feed_load *feed_load_of(struct itin_feed_times *t, const char **s)
{
	for (int i = 0; i < ITIN_FEEDS; i++) {
		size_t n = strlen(itin_feed_names[i]);

		if (strncmp(*s, itin_feed_names[i], n) == 0 && (*s)[n] == ' ') {
			*s += n + 1;
			return &t->load[i];
		}
	}
	return NULL;
}

/* Each line of the text in column col, NUL-terminated in place of its newline, to fn. */
static void each_line(const PGresult *res, int col, struct itin_feed_times *t,
		      void (*fn)(struct itin_feed_times *t, const char *line))
{
	char *text, *line, *save = NULL;

	if (PQnfields(res) <= col || PQntuples(res) == 0 || PQgetisnull(res, 0, col))
		return;
	text = talloc_strdup(NULL, PQgetvalue(res, 0, col));
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fn(t, line);
	talloc_free(text);
}

static void load_line(struct itin_feed_times *t, const char *line)
{
	struct itin_feed_load *l = feed_load_of(t, &line);
	long long finished;

	if (!l || sscanf(line, "%lld %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &finished, &l->lines,
			 &l->loaded, &l->refused, &l->unknown) != 5)
		return;
	l->finished_at = finished;
}

static void reason_line(struct itin_feed_times *t, const char *line)
{
	struct itin_feed_load *l = feed_load_of(t, &line);
	uint64_t lines;
	int n = 0;

	if (!l || l->num_reasons == ITIN_LOAD_REASONS + 1 ||
	    sscanf(line, "%" SCNu64 " %n", &lines, &n) != 1 || n == 0)
		return;
	osmo_strlcpy(l->reason[l->num_reasons].why, line + n, sizeof(l->reason[0].why));
	l->reason[l->num_reasons++].lines = lines;
}

void itin_feed_times_from_result(const PGresult *res, struct itin_feed_times *t)
{
	*t = (struct itin_feed_times){ .updated_at = column(res, 0), .loaded_at = column(res, 1),
				       .retention_at = column(res, 2), .kept_from = column(res, 3) };
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return;
	each_line(res, 4, t, load_line);
	each_line(res, 5, t, reason_line);
}

int itin_risks_from_result(void *ctx, const PGresult *res, struct itin_risk **risks, unsigned *num)
{
	unsigned n = PQntuples(res);

	*risks = NULL;
	*num = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 3)
		return -EINVAL;
	if (n == 0)
		return 0;
	*risks = talloc_array(ctx, struct itin_risk, n);
	if (!*risks)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		(*risks)[i] = (struct itin_risk){
			.place = atoi(PQgetvalue(res, i, 0)),
			.from_day = atoi(PQgetvalue(res, i, 1)),
			.to_day = atoi(PQgetvalue(res, i, 2)),
		};
	}
	*num = n;
	return 0;
}
