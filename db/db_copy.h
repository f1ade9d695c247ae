/*
 * Helpers the loaders share: reading a feed line by line (with line numbers, comments and the
 * header line skipped, errors reported the same way everywhere) and writing PostgreSQL's binary
 * COPY format, which the server parses faster than text and needs no escaping. Also the
 * statements and queries of itinerad-db's blocking commands, their failures logged one way.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "db/load_stats.h"

/* Called per data line; returns NULL if the line was used, else why it was skipped. A return
 * of ITIN_LINE_ABORT stops the read (the callback has reported why). */
typedef const char *(*itin_line_cb)(void *arg, const char *line, size_t len);
extern const char ITIN_LINE_ABORT[];

/* Reads f to its end, skipping a UTF-8 byte order mark, empty lines, lines starting with '#' and a
 * first data line that is the header (itin_feed_is_header with header_name); a "\r\n" line end
 * is taken as "\n". Skipped lines are logged as "NAME:LINE: reason" in DLOAD (the first 100;
 * then a count) and counted by reason in st. Returns 0, -EIO on a read error, -ECANCELED when
 * the callback aborted, -ENOMEM. */
int itin_read_lines(FILE *f, const char *name, const char *header_name, itin_line_cb cb, void *arg,
		    struct itin_load_stats *st);

/* A binary COPY stream being built in memory and sent in large chunks. */
struct itin_copy_buf {
	PGconn *conn;
	uint8_t *data;
	size_t len, size;
	bool failed;
};

/* Starts COPY copy_sql; returns 0, or -EIO or -ENOMEM (logged in DLOAD). */
int itin_copy_begin(struct itin_copy_buf *b, PGconn *conn, const char *copy_sql);
void itin_copy_tuple(struct itin_copy_buf *b, uint16_t nfields);
void itin_copy_int2(struct itin_copy_buf *b, int16_t v);
void itin_copy_int4(struct itin_copy_buf *b, int32_t v);
void itin_copy_int8(struct itin_copy_buf *b, int64_t v);
void itin_copy_bytes(struct itin_copy_buf *b, const void *p, size_t len);	/* bytea or text */
void itin_copy_date(struct itin_copy_buf *b, int32_t unix_day);
void itin_copy_timestamptz(struct itin_copy_buf *b, int64_t unix_s);
void itin_copy_null(struct itin_copy_buf *b);
/* Ends the COPY; returns the rows copied, or -EIO (logged in DLOAD). Frees the buffer. */
int64_t itin_copy_end(struct itin_copy_buf *b);

/* Runs a statement, logging a failure in DLOAD as "WHAT: error". */
bool itin_db_exec(PGconn *conn, const char *sql, const char *what);
/* Runs a query with n text parameters (none: 0, NULL): its rows (PQclear them), or NULL after
 * a failure, logged in DLOAD as "WHAT: error". */
PGresult *itin_db_rows(PGconn *conn, const char *sql, int n, const char *const *values,
		       const char *what);
