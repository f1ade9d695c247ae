/*
 * The itinerary engine end to end, table-driven: each scenario of scenarios/NN-topic.txt gives
 * presence rows in local time, config overrides, the query time and the language; it builds the
 * itinerary (engine/itinerary.c), renders the reply (engine/reply_text.c) and prints
 * "== name" and the flattened text, which itinerary_test.ok holds. The format is described in
 * scenarios/README.
 */
#include <errno.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "common/config.h"
#include "engine/itinerary.h"
#include "common/localtime.h"
#include "common/msisdn.h"
#include "engine/places.h"
#include "engine/reply_text.h"

#define MAX_ROWS 1024
#define MAX_RISKS 16

struct scenario {
	void *ctx;
	char name[1024];
	struct itin_config *cfg;
	int64_t now, updated;
	enum itin_lang lang;
	const char *mask;
	int text;		/* -1: itinerary, or no-data without places */
	bool show_parts;
	struct itin_presence rows[MAX_ROWS];
	unsigned num_rows;
	struct itin_risk risks[MAX_RISKS];
	unsigned num_risks;
	char notes[4096];	/* lines printed before the text (numbers) */
};

static const char *file;
static unsigned line_no;

static void fail(const char *what, const char *line)
{
	printf("%s:%u: %s: %s\n", file, line_no, what, line);
	exit(1);
}

/* Local wall-clock time in the selected zone to Unix seconds (the earlier one in a DST gap). */
static int64_t local_to_unix(int y, int mo, int d, int h, int mi, int s)
{
	int64_t wall = (int64_t)itin_day_from_date(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	int64_t t = wall - itin_local_offset(wall);

	return wall - itin_local_offset(t);
}

static int parse_hms(const char *s, int *h, int *m, int *sec)
{
	char tail;

	*sec = 0;
	if (sscanf(s, "%d:%d:%d%c", h, m, sec, &tail) == 3 || sscanf(s, "%d:%d%c", h, m, &tail) == 2)
		return 0;
	return -EINVAL;
}

/* "YYYY-MM-DD HH:MM[:SS]" */
static int64_t parse_datetime(const char *date, const char *time, int32_t *day)
{
	int y, mo, d, h, mi, s;
	char tail;

	if (sscanf(date, "%d-%d-%d%c", &y, &mo, &d, &tail) != 3 || parse_hms(time, &h, &mi, &s) < 0)
		return -1;
	if (day)
		*day = itin_day_from_date(y, mo, d);
	return local_to_unix(y, mo, d, h, mi, s);
}

static unsigned parse_duration(const char *s, const char *line)
{
	char unit = 's';
	unsigned v;

	if (sscanf(s, "%u%c", &v, &unit) < 1)
		fail("bad duration", line);
	return v * (unit == 'h' ? 3600 : unit == 'm' ? 60 : 1);
}

static bool parse_bool(const char *s, const char *line)
{
	if (!strcmp(s, "yes") || !strcmp(s, "on"))
		return true;
	if (!strcmp(s, "no") || !strcmp(s, "off"))
		return false;
	fail("bad boolean", line);
	return false;
}

/* "\n" in a template line is a newline */
static char *unescape(void *ctx, const char *s)
{
	char *out = talloc_strdup(ctx, s), *w = out;

	for (const char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == 'n') {
			*w++ = '\n';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return out;
}

static const struct {
	const char *name;
	size_t offset;
} template_fields[] = {
#define F(name) { #name, offsetof(struct itin_templates, name) }
	F(itinerary), F(no_data), F(consent_prompt), F(consent_expired), F(cancelled),
	F(rate_limited), F(busy), F(help), F(shutdown), F(lang_switched), F(ussd_consent_menu),
#undef F
};

static void set_option(struct scenario *sc, const char *key, const char *value, const char *line)
{
	struct itin_config *cfg = sc->cfg;

	if (!strcmp(key, "window_days"))
		cfg->service.window_days = atoi(value);
	else if (!strcmp(key, "window_ends_yesterday"))
		cfg->service.window_ends_yesterday = parse_bool(value, line);
	else if (!strcmp(key, "min_stay"))
		cfg->service.min_stay_s = parse_duration(value, line);
	else if (!strcmp(key, "risk_marker"))
		cfg->service.risk_marker = parse_bool(value, line);
	else if (!strcmp(key, "rate_limit")) {
		char period[16];

		if (sscanf(value, "%u/%15s", &cfg->service.rate_limit.count, period) != 2)
			fail("bad rate", line);
		cfg->service.rate_limit.period_s = parse_duration(period, line);
	} else if (!strcmp(key, "consent_timeout"))
		cfg->service.consent_timeout_s = parse_duration(value, line);
	else if (!strcmp(key, "shutdown_date"))
		cfg->service.shutdown_date = talloc_strdup(cfg, value);
	else if (!strcmp(key, "country_code"))
		cfg->service.country_code = talloc_strdup(cfg, value);
	else if (!strcmp(key, "time_zone")) {
		cfg->service.time_zone = talloc_strdup(cfg, value);
		if (itin_localtime_init(value) < 0)
			fail("unknown zone", line);
	} else
		fail("unknown option", line);
}

static void set_template(struct scenario *sc, const char *lang, const char *field, const char *text,
			 const char *line)
{
	int l = !strcmp(lang, "zh") ? ITIN_LANG_ZH : !strcmp(lang, "en") ? ITIN_LANG_EN : -1;

	if (l < 0)
		fail("bad language", line);
	for (unsigned i = 0; i < sizeof(template_fields) / sizeof(template_fields[0]); i++) {
		if (!strcmp(template_fields[i].name, field)) {
			*(char **)((char *)&sc->cfg->templates[l] + template_fields[i].offset) =
				unescape(sc->cfg, text);
			return;
		}
	}
	fail("unknown template", line);
}

static void add_row(struct scenario *sc, int32_t day, int32_t place, int64_t first, int64_t last,
		    const char *line)
{
	if (sc->num_rows == MAX_ROWS)
		fail("too many rows", line);
	sc->rows[sc->num_rows++] = (struct itin_presence){
		.day = day, .place = place, .first_seen = first, .last_seen = last,
	};
}

/* "YYYY-MM-DD HH:MM[:SS][..HH:MM[:SS]] [mcc] CODE" */
static void parse_row(struct scenario *sc, char *line)
{
	char date[16], times[32], a[16], b[16], *dots, *code = strrchr(line, ' ');
	int64_t first, last;
	int32_t day, place;

	if (!code || sscanf(line, "%15s %31s", date, times) != 2)
		fail("bad row", line);
	dots = strstr(times, "..");
	snprintf(a, sizeof(a), "%.*s", dots ? (int)(dots - times) : (int)strlen(times), times);
	snprintf(b, sizeof(b), "%s", dots ? dots + 2 : a);
	first = parse_datetime(date, a, &day);
	last = parse_datetime(date, b, NULL);
	if (first < 0 || last < 0)
		fail("bad time", line);
	place = atoi(code + 1);
	if (strstr(line, " mcc "))
		place = itin_place_from_mcc(place);
	add_row(sc, day, place, first, last, line);
}

/* "many N YYYY-MM-DD HH:MM..HH:MM": N domestic cities on that day, the k-th one k s later. */
static void parse_many(struct scenario *sc, const char *line)
{
	char date[16], times[32], *dots;
	unsigned n, placed = 0;
	int64_t first, last;
	int32_t day;

	if (sscanf(line, "many %u %15s %31s", &n, date, times) != 3 || !(dots = strstr(times, "..")))
		fail("bad many", line);
	*dots = '\0';
	first = parse_datetime(date, times, &day);
	last = parse_datetime(date, dots + 2, NULL);
	for (unsigned i = 0; i < itin_num_place_names && placed < n; i++) {
		int32_t place = itin_place_names[i].code;

		if (itin_place_is_abroad(place))
			continue;
		add_row(sc, day, place, first + placed, last + placed, line);
		placed++;
	}
	if (placed < n)
		fail("not so many cities", line);
}

static void parse_from(struct scenario *sc, const char *line)
{
	char addr[64], e164[16], mask[16];
	unsigned ton;
	int rc;
	size_t len = strlen(sc->notes);

	if (sscanf(line, "from %63s %u", addr, &ton) != 2)
		fail("bad from", line);
	rc = itin_msisdn_normalize(addr, ton, sc->cfg->service.country_code, e164);
	if (rc < 0) {
		snprintf(sc->notes + len, sizeof(sc->notes) - len, "from %s ton %u: %s\n", addr, ton,
			 rc == -EINVAL ? "-EINVAL" : "?");
		return;
	}
	rc = itin_msisdn_mask(e164, sc->cfg->service.country_code, mask);
	snprintf(sc->notes + len, sizeof(sc->notes) - len, "from %s ton %u: %s mask %s\n", addr, ton, e164,
		 rc < 0 ? "-EINVAL" : mask);
	if (rc == 0)
		sc->mask = talloc_strdup(sc->ctx, mask);
}

static void parse_line(struct scenario *sc, char *line)
{
	char key[64], value[256], field[64];
	int n;

	if (line[0] >= '0' && line[0] <= '9')
		parse_row(sc, line);
	else if (!strncmp(line, "many ", 5))
		parse_many(sc, line);
	else if (!strncmp(line, "from ", 5))
		parse_from(sc, line);
	else if (!strncmp(line, "now ", 4) || !strncmp(line, "updated ", 8)) {
		char date[16], time[16];
		int64_t t;

		if (sscanf(strchr(line, ' ') + 1, "%15s %15s", date, time) != 2 ||
		    (t = parse_datetime(date, time, NULL)) < 0)
			fail("bad time", line);
		*(line[0] == 'n' ? &sc->now : &sc->updated) = t;
	} else if (sscanf(line, "lang %63s", key) == 1)
		sc->lang = !strcmp(key, "en") ? ITIN_LANG_EN : ITIN_LANG_ZH;
	else if (!strcmp(line, "mask none"))
		sc->mask = NULL;
	else if (sscanf(line, "mask %63s", key) == 1)
		sc->mask = talloc_strdup(sc->ctx, key);
	else if (!strcmp(line, "show parts"))
		sc->show_parts = true;
	else if (sscanf(line, "text %63s", key) == 1) {
		sc->text = -1;
		for (int t = ITIN_TEXT_ITINERARY; t <= ITIN_TEXT_USSD_CONSENT_MENU; t++) {
			if (!strcmp(itin_text_name(t), key))
				sc->text = t;
		}
		if (sc->text < 0)
			fail("unknown text", line);
	} else if (sscanf(line, "set %63s %255[^\n]", key, value) == 2)
		set_option(sc, key, value, line);
	else if (sscanf(line, "template %63s %63s %n", key, field, &n) == 2 && n > 0)
		set_template(sc, key, field, line + n, line);
	else if (!strncmp(line, "risk ", 5)) {
		char from[16], to[16];
		int32_t place;
		struct itin_risk *r = &sc->risks[sc->num_risks];

		if (sc->num_risks == MAX_RISKS || sscanf(line, "risk %d %15s %15s", &place, from, to) != 3 ||
		    parse_datetime(from, "00:00", &r->from_day) < 0 || parse_datetime(to, "00:00", &r->to_day) < 0)
			fail("bad risk", line);
		r->place = place;
		sc->num_risks++;
	} else
		fail("unknown line", line);
}

static void print_parts(const struct itin_reply *r)
{
	printf("head: %s\n", r->head);
	for (unsigned i = 0; i < r->num_items; i++)
		printf("item %u: %s\n", i, r->items[i]);
	printf("separator: \"%s\"\nmore: \"%s\"\ntail: %s\n", r->separator, r->more, r->tail);
}

static void run(struct scenario *sc)
{
	struct itin_itinerary it;
	struct itin_reply *reply;
	enum itin_text text;
	int rc;

	if (!sc->now)
		fail("no now", sc->name);
	rc = itin_itinerary_build(sc->ctx, &sc->cfg->service, sc->rows, sc->num_rows, sc->risks,
				  sc->num_risks, sc->now, &it);
	printf("== %s\n%s", sc->name, sc->notes);
	if (rc < 0) {
		printf("build: %s\n", strerror(-rc));
		return;
	}
	text = sc->text >= 0 ? (enum itin_text)sc->text : it.num_visits ? ITIN_TEXT_ITINERARY : ITIN_TEXT_NO_DATA;
	reply = itin_reply_render(sc->ctx, &sc->cfg->service, sc->cfg->templates, text, sc->lang,
				  &(struct itin_reply_args){
		.mask = sc->mask, .updated_at = sc->updated, .now = sc->now, .itinerary = &it });
	if (!reply) {
		printf("render failed\n");
		return;
	}
	if (sc->show_parts)
		print_parts(reply);
	else
		printf("%s\n", itin_reply_flatten(sc->ctx, reply));
}

static struct scenario *scenario_new(void *ctx, const char *name)
{
	struct scenario *sc = talloc_zero(ctx, struct scenario);
	char err[256];

	sc->ctx = sc;
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	sc->cfg = itin_config_load(sc, NULL, err, sizeof(err));
	if (!sc->cfg) {
		printf("defaults: %s\n", err);
		exit(1);
	}
	if (itin_localtime_init(sc->cfg->service.time_zone) < 0)
		fail("default zone", sc->cfg->service.time_zone);
	sc->mask = "138****0001";
	sc->text = -1;
	return sc;
}

static unsigned run_file(void *ctx, const char *path)
{
	struct scenario *sc = NULL;
	unsigned count = 0;
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		exit(1);
	}
	file = path;
	line_no = 0;
	while (fgets(line, sizeof(line), f)) {
		line_no++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "== ", 3)) {
			if (sc) {
				run(sc);
				talloc_free(sc);
			}
			sc = scenario_new(ctx, line + 3);
			count++;
			continue;
		}
		if (!sc)
			fail("no scenario", line);
		parse_line(sc, line);
	}
	fclose(f);
	if (sc) {
		run(sc);
		talloc_free(sc);
	}
	return count;
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "itinerary_test");
	unsigned count = 0;
	glob_t g;

	if (glob("scenarios/*.txt", 0, NULL, &g) != 0) {
		printf("no scenarios\n");
		return 1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		count += run_file(ctx, g.gl_pathv[i]);
	globfree(&g);
	printf("== %u scenarios\n", count);
	if (talloc_total_blocks(ctx) != 1)
		printf("leaked: %zu blocks\n", talloc_total_blocks(ctx));
	talloc_free(ctx);
	return 0;
}
