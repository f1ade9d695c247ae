/*
 * Line reading and binary COPY. The reader works on large fread() blocks and hands out lines in
 * place, so a 10-million-line feed costs one copy per line that crosses a block edge. The COPY
 * writer flushes every 1 MiB; a failure is sticky and reported once, at the end.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/feed_csv.h"
#include "common/log.h"
#include "db/db_copy.h"

/* The fuzzing harness (tests/fuzz/fuzz_read_lines.c) builds this file with tiny sizes, so that
 * short inputs reach every edge of a block. */
#ifndef READ_BLOCK
#define READ_BLOCK (1 << 20)
#endif
#ifndef MAX_LINE
#define MAX_LINE 4096
#endif
#define MAX_REPORTED 100
#define STR(x) STR_(x)
#define STR_(x) #x
#define COPY_FLUSH (1 << 20)
#define PG_EPOCH_DAY 10957		/* 2000-01-01 in days since 1970-01-01 */

const char ITIN_LINE_ABORT[] = "aborted";

struct line_state {
	const char *name;
	const char *header_name;
	itin_line_cb cb;
	void *arg;
	struct itin_load_stats *st;
	uint64_t lineno;
	bool seen_data;
};

static void report_skipped(struct line_state *ls, const char *why)
{
	itin_load_stats_refuse(ls->st, why);
	if (ls->st->skipped <= MAX_REPORTED)
		LOGP(DLOAD, LOGL_NOTICE, "%s:%llu: %s\n", ls->name, (unsigned long long)ls->lineno, why);
}

/* A line longer than any valid one is refused wherever it falls, before it is parsed. */
static void report_too_long(struct line_state *ls)
{
	ls->st->lines++;
	report_skipped(ls, "line longer than " STR(MAX_LINE) " bytes");
}

static int one_line(struct line_state *ls, const char *line, size_t len)
{
	const char *err;

	ls->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > MAX_LINE) {
		report_too_long(ls);
		return 0;
	}
	/* Windows tools (and some mediation systems) begin a UTF-8 file with a byte order mark. */
	if (ls->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (len == 0 || line[0] == '#')
		return 0;
	if (!ls->seen_data) {
		ls->seen_data = true;
		if (itin_feed_is_header(line, len, ls->header_name))
			return 0;
	}
	ls->st->lines++;
	err = ls->cb(ls->arg, line, len);
	if (err == ITIN_LINE_ABORT)
		return -ECANCELED;
	if (err)
		report_skipped(ls, err);
	return 0;
}

/* Drops buf[0, have) up to and including its first newline, if it has one; returns whether it had
 * one. Used while the rest of an over-long line is skipped. */
static bool skip_to_line_end(char *buf, size_t *have)
{
	char *nl = memchr(buf, '\n', *have);

	if (!nl) {
		*have = 0;
		return false;
	}
	*have -= nl - buf + 1;
	memmove(buf, nl + 1, *have);
	return true;
}

int itin_read_lines(FILE *f, const char *name, const char *header_name, itin_line_cb cb, void *arg,
		    struct itin_load_stats *st)
{
	struct line_state ls = { name, header_name, cb, arg, st, 0, false };
	/* A read fills at most the free room, and the start of a line is kept only while it could
	 * still be valid (MAX_LINE bytes and a '\r'), so a read always has READ_BLOCK of room. */
	const size_t size = READ_BLOCK + MAX_LINE + 1;
	char *buf = talloc_size(NULL, size);
	bool skipping = false;
	size_t have = 0;
	int rc = 0;

	if (!buf) {
		LOGP(DLOAD, LOGL_ERROR, "%s: out of memory\n", name);
		return -ENOMEM;
	}
	for (;;) {
		size_t n = fread(buf + have, 1, size - have, f);
		size_t start = 0;
		char *nl;

		have += n;
		if (skipping)
			skipping = !skip_to_line_end(buf, &have);
		while ((nl = memchr(buf + start, '\n', have - start))) {
			rc = one_line(&ls, buf + start, nl - (buf + start));
			if (rc < 0)
				goto out;
			start = nl - buf + 1;
		}
		have -= start;
		memmove(buf, buf + start, have);
		if (have > MAX_LINE + 1) {
			/* The start of a line longer than any valid one: report it, skip to its end. */
			ls.lineno++;
			report_too_long(&ls);
			skipping = true;
			have = 0;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		LOGP(DLOAD, LOGL_ERROR, "%s: read error\n", name);
		rc = -EIO;
	} else if (have > 0) {
		rc = one_line(&ls, buf, have);
	}
out:
	if (st->skipped > MAX_REPORTED)
		LOGP(DLOAD, LOGL_NOTICE, "%s: %llu more malformed lines not shown\n", name,
			(unsigned long long)(st->skipped - MAX_REPORTED));
	talloc_free(buf);
	return rc;
}

bool itin_db_exec(PGconn *conn, const char *sql, const char *what)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType s = PQresultStatus(res);
	bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

	if (!ok)
		LOGP(DLOAD, LOGL_ERROR, "%s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

PGresult *itin_db_rows(PGconn *conn, const char *sql, int n, const char *const *values,
		       const char *what)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	LOGP(DLOAD, LOGL_ERROR, "%s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return NULL;
}

static void copy_flush(struct itin_copy_buf *b)
{
	if (!b->failed && b->len > 0 && PQputCopyData(b->conn, (const char *)b->data, b->len) != 1)
		b->failed = true;
	b->len = 0;
}

static void put(struct itin_copy_buf *b, const void *p, size_t len)
{
	if (b->len + len > b->size)
		copy_flush(b);
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

int itin_copy_begin(struct itin_copy_buf *b, PGconn *conn, const char *copy_sql)
{
	static const uint8_t header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	PGresult *res = PQexec(conn, copy_sql);

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		LOGP(DLOAD, LOGL_ERROR, "COPY: %s", PQerrorMessage(conn));
		PQclear(res);
		return -EIO;
	}
	PQclear(res);
	*b = (struct itin_copy_buf){ .conn = conn, .size = COPY_FLUSH };
	b->data = talloc_size(NULL, b->size);
	if (!b->data) {
		LOGP(DLOAD, LOGL_ERROR, "COPY: out of memory\n");
		PQputCopyEnd(conn, "out of memory");
		PQclear(PQgetResult(conn));
		return -ENOMEM;
	}
	put(b, header, sizeof(header));
	return 0;
}

void itin_copy_tuple(struct itin_copy_buf *b, uint16_t nfields)
{
	uint16_t v = htobe16(nfields);

	put(b, &v, 2);
}

void itin_copy_int2(struct itin_copy_buf *b, int16_t v)
{
	uint32_t len = htobe32(2);
	uint16_t be = htobe16((uint16_t)v);

	put(b, &len, 4);
	put(b, &be, 2);
}

void itin_copy_int4(struct itin_copy_buf *b, int32_t v)
{
	uint32_t field[2] = { htobe32(4), htobe32((uint32_t)v) };

	put(b, field, 8);
}

void itin_copy_int8(struct itin_copy_buf *b, int64_t v)
{
	uint32_t len = htobe32(8);
	uint64_t be = htobe64((uint64_t)v);

	put(b, &len, 4);
	put(b, &be, 8);
}

void itin_copy_bytes(struct itin_copy_buf *b, const void *p, size_t n)
{
	uint32_t len = htobe32((uint32_t)n);

	put(b, &len, 4);
	put(b, p, n);
}

void itin_copy_date(struct itin_copy_buf *b, int32_t unix_day)
{
	itin_copy_int4(b, unix_day - PG_EPOCH_DAY);
}

void itin_copy_timestamptz(struct itin_copy_buf *b, int64_t unix_s)
{
	itin_copy_int8(b, (unix_s - (int64_t)PG_EPOCH_DAY * 86400) * 1000000);
}

void itin_copy_null(struct itin_copy_buf *b)
{
	uint32_t len = htobe32(0xffffffff);

	put(b, &len, 4);
}

int64_t itin_copy_end(struct itin_copy_buf *b)
{
	uint16_t trailer = 0xffff;
	PGresult *res;
	int64_t rows = -EIO;

	put(b, &trailer, 2);
	copy_flush(b);
	talloc_free(b->data);
	b->data = NULL;
	if (PQputCopyEnd(b->conn, b->failed ? "client failed to send data" : NULL) != 1)
		b->failed = true;
	while ((res = PQgetResult(b->conn))) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK && !b->failed)
			rows = strtoll(PQcmdTuples(res), NULL, 10);
		else
			LOGP(DLOAD, LOGL_ERROR, "COPY: %s", PQerrorMessage(b->conn));
		PQclear(res);
	}
	return rows;
}
