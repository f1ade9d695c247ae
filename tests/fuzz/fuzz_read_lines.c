/*
 * libFuzzer harness: the loaders' line reader (db/db_copy.c, itin_read_lines) and their
 * line parsers on arbitrary bytes. run.sh builds db_copy.c with a 7-byte read block and 5-byte
 * lines, so that short inputs put lines across every edge of a block and over the length limit
 * (issue 17: an over-long line once made the reader write past its buffer). Besides the
 * sanitizers, the harness checks the reader against a plain reference splitter: the same lines
 * handed over in the same order, the same counts, the same report, byte for byte (the reader
 * logs its report in DLOAD: a log target of the harness's own writes it where the reference's
 * goes).
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>

#include "common/feed_csv.h"
#include "common/log.h"
#include "db/db_copy.h"

#define NAME "feed"
#define HEADER "mcc"
#define MAX_SHOWN 100

struct expected {
	const char **line;
	size_t *len;
	size_t num, next;
};

static const char *parse(const char *line, size_t len)
{
	struct itin_feed_cell cell;
	struct itin_feed_risk risk;
	const struct itin_feed_bounds bounds = { 0, INT64_MAX };
	struct itin_feed_event ev;

	itin_feed_parse_event(line, len, &bounds, &ev);
	itin_feed_parse_risk(line, len, &risk);
	return itin_feed_parse_cell(line, len, &cell);
}

static const char *handed_over(void *arg, const char *line, size_t len)
{
	struct expected *e = arg;

	if (e->next >= e->num || e->len[e->next] != len || memcmp(e->line[e->next], line, len) != 0)
		abort();
	e->next++;
	return parse(line, len);
}

static void skipped(FILE *report, struct itin_load_stats *st, uint64_t lineno, const char *why)
{
	itin_load_stats_refuse(st, why);
	if (st->skipped <= MAX_SHOWN)
		fprintf(report, NAME ":%llu: %s\n", (unsigned long long)lineno, why);
}

/* What the reader must do, written as plainly as possible. */
static void reference(const char *data, size_t size, struct expected *e, struct itin_load_stats *st,
		      FILE *report)
{
	static char too_long[40];	/* counted by reason past the call */
	bool seen_data = false;
	uint64_t lineno = 0;
	size_t pos = 0;

	snprintf(too_long, sizeof(too_long), "line longer than %d bytes", MAX_LINE);
	while (pos < size) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - line) : size - pos;
		const char *err;

		pos += len + 1;
		lineno++;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > MAX_LINE) {
			st->lines++;
			skipped(report, st, lineno, too_long);
			continue;
		}
		if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (len == 0 || line[0] == '#')
			continue;
		if (!seen_data) {
			seen_data = true;
			if (itin_feed_is_header(line, len, HEADER))
				continue;
		}
		st->lines++;
		e->line[e->num] = line;
		e->len[e->num++] = len;
		if ((err = parse(line, len)))
			skipped(report, st, lineno, err);
	}
	if (st->skipped > MAX_SHOWN)
		fprintf(report, NAME ": %llu more malformed lines not shown\n",
			(unsigned long long)(st->skipped - MAX_SHOWN));
}

/* The same counts, and the same reasons (by text: the reader's are its own constants) in the
 * same order. */
static bool same_stats(const struct itin_load_stats *a, const struct itin_load_stats *b)
{
	if (a->lines != b->lines || a->loaded != b->loaded || a->skipped != b->skipped ||
	    a->unknown != b->unknown || a->rows != b->rows || a->num_reasons != b->num_reasons ||
	    a->other_reasons != b->other_reasons)
		return false;
	for (unsigned i = 0; i < a->num_reasons; i++) {
		if (a->reason[i].count != b->reason[i].count ||
		    strcmp(a->reason[i].why, b->reason[i].why) != 0)
			return false;
	}
	return true;
}

/* Where the reader's log lines go during one input. */
static FILE *got_log;

static void log_to_got(struct log_target *target, unsigned int level, const char *line)
{
	fputs(line, got_log);
}

/* The message alone, as itinerad-db prints it (itin_log_init_tool), into got_log. */
static void capture_log(void)
{
	struct log_target *t;

	if (itin_log_init_tool(NULL) < 0)
		abort();
	log_target_destroy(osmo_stderr_target);
	t = log_target_create();
	if (!t)
		abort();
	t->output = log_to_got;
	log_set_print_category(t, 0);
	log_set_print_category_hex(t, 0);
	log_set_print_level(t, 0);
	log_set_print_filename2(t, LOG_FILENAME_NONE);
	log_set_print_timestamp(t, 0);
	log_set_category_filter(t, DLOAD, 1, LOGL_DEBUG);
	log_add_target(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool logging;
	struct itin_load_stats want = { 0 }, got = { 0 };
	struct expected e = { 0 };
	char *want_report = NULL, *got_report = NULL;
	size_t want_size = 0, got_size = 0;
	FILE *in, *want_log;

	if (size == 0)
		return 0;
	if (!logging) {
		capture_log();
		logging = true;
	}
	e.line = calloc(size + 1, sizeof(*e.line));
	e.len = calloc(size + 1, sizeof(*e.len));
	want_log = open_memstream(&want_report, &want_size);
	got_log = open_memstream(&got_report, &got_size);
	in = fmemopen((void *)data, size, "r");
	if (!e.line || !e.len || !want_log || !got_log || !in)
		abort();
	reference((const char *)data, size, &e, &want, want_log);
	if (itin_read_lines(in, NAME, HEADER, handed_over, &e, &got) != 0)
		abort();
	fclose(in);
	fclose(want_log);
	fclose(got_log);
	if (e.next != e.num || !same_stats(&want, &got) || want_size != got_size ||
	    memcmp(want_report, got_report, want_size) != 0)
		abort();
	free(want_report);
	free(got_report);
	free(e.line);
	free(e.len);
	return 0;
}
