/*
 * itinerad-sample: the seeded synthetic data generator (issue 2). It writes a cell registry and
 * a location event feed in the formats of SPEC section 7 for N made-up subscribers over the last
 * D calendar days (Asia/Shanghai) before --end: commuters, business travellers by train and
 * plane, people abroad, silent phones and border dwellers, with a few ISO 8601 times and about
 * 0.1% of lines naming cells the registry does not know. Subscriber i draws from its own PRNG
 * stream (splitmix64 of the seed and i), so the same arguments give byte-identical files and a
 * subscriber's events do not depend on N.
 * It must not read real data, call rand() or depend on the locale or the TZ of the machine.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_TZ_OFFSET	(8 * 3600)	/* Asia/Shanghai, no daylight saving time */
#define SAMPLE_DAY		86400
#define SAMPLE_MAX_DAY_EVENTS	32

/* --- PRNG ------------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) without division bias worth caring about for n < 2^32. */
static uint32_t rnd_below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)(((splitmix64(rng) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t rnd_range(uint64_t *rng, uint32_t lo, uint32_t hi)
{
	return lo + rnd_below(rng, hi - lo + 1);
}

/* --- the simulated geography -------------------------------------------------------------- */

struct sample_city {
	const char *code;	/* GB/T 2260 city-level code, data/regions-cn.csv */
	unsigned weight;	/* share of home subscribers */
	unsigned ncells;	/* cells per PLMN */
	unsigned test_lac;	/* LAC of the test PLMN 001-01 covering it, 0 = none */
};

static const struct sample_city sample_cities[] = {
	{ "110100", 22, 8, 1 }, { "120100", 10, 5, 5 }, { "310100", 24, 8, 2 }, { "500100", 16, 6, 6 },
	{ "419001", 1, 2, 7 }, { "440100", 18, 7, 3 }, { "440300", 18, 7, 4 }, { "440400", 2, 3, 0 },
	{ "440600", 8, 4, 0 }, { "441900", 9, 4, 0 }, { "442000", 4, 3, 0 }, { "330100", 12, 5, 8 },
	{ "330200", 8, 4, 0 }, { "320100", 9, 4, 0 }, { "320500", 11, 4, 0 }, { "510100", 20, 6, 0 },
	{ "420100", 12, 5, 0 }, { "610100", 12, 5, 0 }, { "210100", 9, 4, 0 }, { "210200", 7, 3, 0 },
	{ "220100", 9, 3, 0 }, { "230100", 10, 4, 0 }, { "370100", 9, 4, 0 }, { "370200", 10, 4, 0 },
	{ "350100", 8, 3, 0 }, { "350200", 5, 3, 0 }, { "530100", 8, 4, 0 }, { "460100", 3, 2, 0 },
	{ "460200", 1, 2, 0 }, { "450100", 8, 3, 0 }, { "520100", 6, 3, 0 }, { "410100", 12, 5, 0 },
	{ "340100", 9, 4, 0 }, { "360100", 6, 3, 0 }, { "430100", 10, 4, 0 }, { "130100", 11, 4, 0 },
	{ "131000", 5, 2, 0 }, { "140100", 5, 3, 0 }, { "150100", 3, 2, 0 }, { "620100", 4, 2, 0 },
	{ "630100", 2, 2, 0 }, { "640100", 2, 2, 0 }, { "650100", 4, 3, 0 }, { "540100", 1, 2, 0 },
};
#define NCITIES (sizeof(sample_cities) / sizeof(sample_cities[0]))

enum { C_BJ = 0, C_TJ = 1, C_SH = 2, C_CQ = 3, C_GZ = 5, C_SZ = 6, C_ZH = 7, C_FS = 8, C_DG = 9,
	C_ZS = 10, C_HZ = 11, C_NB = 12, C_NJ = 13, C_SUZ = 14, C_CD = 15, C_WH = 16, C_XA = 17,
	C_JN = 22, C_FZ = 24, C_XM = 25, C_KM = 26, C_GY = 30, C_ZZ = 31, C_HF = 32, C_NC = 33,
	C_CS = 34, C_SJZ = 35, C_LF = 36 };

/* The domestic PLMNs of the registry; the last one is the simulated network. */
struct sample_plmn {
	const char *mcc, *mnc;
};

static const struct sample_plmn sample_plmns[] = {
	{ "460", "00" }, { "460", "01" }, { "460", "11" }, { "001", "01" },
};
#define PLMN_TEST 3
#define NTEST_CI 2	/* cells per LAC of the test PLMN */

/* High-speed railway lines, as city sequences; a train trip rides a stretch of one of them. */
static const int sample_lines[][8] = {
	{ C_BJ, C_LF, C_TJ, C_JN, C_NJ, C_SUZ, C_SH, -1 },
	{ C_BJ, C_SJZ, C_ZZ, C_WH, C_CS, C_GZ, C_SZ, -1 },
	{ C_SH, C_HZ, C_NC, C_CS, C_GY, C_KM, -1 },
	{ C_XA, C_ZZ, C_HF, C_NJ, C_SH, -1 },
	{ C_CD, C_CQ, C_WH, C_HF, C_NJ, -1 },
	{ C_GZ, C_FS, C_ZS, C_ZH, -1 },
	{ C_SH, C_NB, C_FZ, C_XM, C_SZ, C_DG, C_GZ, -1 },
};
#define NLINES (sizeof(sample_lines) / sizeof(sample_lines[0]))

/* Networks abroad: MCC and MNC as they appear in the feed. */
static const struct sample_plmn sample_abroad[] = {
	{ "454", "00" }, { "454", "03" }, { "455", "00" }, { "310", "260" }, { "440", "10" },
	{ "262", "01" }, { "466", "92" },
};
#define NABROAD (sizeof(sample_abroad) / sizeof(sample_abroad[0]))
#define ABROAD_HK 0
#define ABROAD_MO 2

/* Areas whose phones flip between two cells on either side of a border. */
struct sample_border {
	int city;
	int other_city;		/* -1: the other side is abroad */
	int abroad;
};

static const struct sample_border sample_borders[] = {
	{ C_SZ, -1, ABROAD_HK }, { C_ZH, -1, ABROAD_MO }, { C_BJ, C_LF, 0 }, { C_GZ, C_FS, 0 },
	{ C_SZ, C_DG, 0 },
};
#define NBORDERS (sizeof(sample_borders) / sizeof(sample_borders[0]))

/* A registry cell: LAC 8192 + city, CI 10000 * PLMN + 100 * city + 1 + k (test PLMN: LAC 1..8,
 * CI 10 * LAC + 1 + k). Unknown cells use CI 60000 and up, which no rule here produces. */
static unsigned cell_lac(unsigned plmn, unsigned city)
{
	return plmn == PLMN_TEST ? sample_cities[city].test_lac : 8192 + city;
}

static unsigned cell_ci(unsigned plmn, unsigned city, unsigned k)
{
	if (plmn == PLMN_TEST)
		return 10 * sample_cities[city].test_lac + 1 + k;
	return 10000 * plmn + 100 * city + 1 + k;
}

static unsigned cell_count(unsigned plmn, unsigned city)
{
	if (plmn == PLMN_TEST)
		return sample_cities[city].test_lac ? NTEST_CI : 0;
	return sample_cities[city].ncells;
}

/* --- buffered output ---------------------------------------------------------------------- */

struct sample_out {
	FILE *f;
	const char *name;
	size_t len;
	char buf[1 << 20];
};

static int out_flush(struct sample_out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) {
		fprintf(stderr, "itinerad-sample: %s: write failed: %s\n", o->name, strerror(errno));
		return -EIO;
	}
	o->len = 0;
	return 0;
}

/* Room for one line; lines are far shorter than 256 bytes. */
static int out_reserve(struct sample_out *o)
{
	return sizeof(o->buf) - o->len < 256 ? out_flush(o) : 0;
}

static void out_mem(struct sample_out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_str(struct sample_out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_uint(struct sample_out *o, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	while (n)
		o->buf[o->len++] = tmp[--n];
}

/* --- time --------------------------------------------------------------------------------- */

/* Civil date of days since 1970-01-01 (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

static void out_time(struct sample_out *o, int64_t t, bool iso)
{
	int64_t local = t + SAMPLE_TZ_OFFSET;
	int64_t days = (local >= 0 ? local : local - SAMPLE_DAY + 1) / SAMPLE_DAY;
	unsigned sod = (unsigned)(local - days * SAMPLE_DAY);
	unsigned m, d;
	int y;

	if (!iso) {
		out_uint(o, (uint64_t)t, 0);
		return;
	}
	civil_from_days(days, &y, &m, &d);
	out_uint(o, (uint64_t)y, 4);
	o->buf[o->len++] = '-';
	out_uint(o, m, 2);
	o->buf[o->len++] = '-';
	out_uint(o, d, 2);
	o->buf[o->len++] = 'T';
	out_uint(o, sod / 3600, 2);
	o->buf[o->len++] = ':';
	out_uint(o, sod / 60 % 60, 2);
	o->buf[o->len++] = ':';
	out_uint(o, sod % 60, 2);
	out_str(o, "+08:00");
}

/* --- events of one subscriber ------------------------------------------------------------- */

/* Where one event happened: a registry cell, or a network abroad with made-up LAC and CI. */
struct sample_event {
	uint32_t sod;		/* local seconds since midnight */
	int16_t city;		/* registry city, or -1 abroad */
	int8_t abroad;		/* index in sample_abroad when city < 0 */
	uint8_t cell;		/* cell index in the city */
	uint32_t lac, ci;	/* abroad only */
};

struct sample_day {
	unsigned n;
	struct sample_event ev[SAMPLE_MAX_DAY_EVENTS];
};

enum sample_persona { P_COMMUTER, P_TRAVELLER, P_ABROAD, P_SILENT, P_BORDER };

struct sample_sub {
	uint64_t rng;
	enum sample_persona persona;
	unsigned plmn;
	int home;
	unsigned home_cell, work_cell;
	/* traveller and abroad state */
	int trip_dest;		/* city or abroad index, -1 at home */
	int trip_nights;	/* nights left at the destination */
	int trip_line, trip_from, trip_to;	/* train stretch, trip_line < 0 by plane */
	int border;
};

static void day_add(struct sample_day *day, uint32_t sod, int city, unsigned cell)
{
	if (day->n == SAMPLE_MAX_DAY_EVENTS)
		return;
	day->ev[day->n++] = (struct sample_event){ .sod = sod, .city = (int16_t)city,
						   .cell = (uint8_t)cell };
}

static void day_add_abroad(struct sample_day *day, struct sample_sub *s, uint32_t sod, int abroad)
{
	if (day->n == SAMPLE_MAX_DAY_EVENTS)
		return;
	day->ev[day->n++] = (struct sample_event){ .sod = sod, .city = -1, .abroad = (int8_t)abroad,
						   .lac = rnd_range(&s->rng, 1, 65000),
						   .ci = rnd_range(&s->rng, 1, 65000) };
}

/* A random cell of the subscriber's PLMN in a city (the subscriber roams onto 460-00 where the
 * simulated network has no cell). */
static unsigned any_cell(struct sample_sub *s, int city)
{
	unsigned plmn = cell_count(s->plmn, city) ? s->plmn : 0;

	return rnd_below(&s->rng, cell_count(plmn, city));
}

/* Number of events of an ordinary day: mean a little above one, as CDR and LU feeds are. */
static unsigned day_count(struct sample_sub *s)
{
	unsigned r = rnd_below(&s->rng, 100);

	if (r < 30)
		return 0;
	if (r < 62)
		return 1;
	if (r < 90)
		return 2;
	if (r < 97)
		return 3;
	return rnd_range(&s->rng, 4, 6);
}

/* An ordinary day in a city: home cell early and late, work cell (weekdays) in the middle. */
static void day_city(struct sample_day *day, struct sample_sub *s, int city, bool weekday)
{
	bool home = city == s->home;
	unsigned n = day_count(s);

	for (unsigned i = 0; i < n; i++) {
		unsigned slot = rnd_below(&s->rng, 3);
		uint32_t sod;
		unsigned cell;

		if (slot == 0)
			sod = rnd_range(&s->rng, 6 * 3600 + 1800, 8 * 3600 + 1800);
		else if (slot == 1)
			sod = rnd_range(&s->rng, 9 * 3600, 17 * 3600 + 1800);
		else
			sod = rnd_range(&s->rng, 18 * 3600 + 1800, 23 * 3600 + 1800);
		if (!home)
			cell = any_cell(s, city);
		else if (slot == 1 && weekday)
			cell = s->work_cell;
		else if (slot == 1)
			cell = any_cell(s, city);
		else
			cell = s->home_cell;
		day_add(day, sod, city, cell);
	}
}

/* A travel day: leave `from` in the morning, pass the stations of a train stretch for less than
 * an hour each (or fly), arrive in `to` in the afternoon. Abroad destinations are < 0. */
static void day_travel(struct sample_day *day, struct sample_sub *s, int from, int to, int abroad,
		       bool back)
{
	uint32_t t = rnd_range(&s->rng, 6 * 3600, 9 * 3600);

	if (from >= 0) {
		day_add(day, t, from, from == s->home ? s->home_cell : any_cell(s, from));
		t += rnd_range(&s->rng, 1200, 3600);
		day_add(day, t, from, any_cell(s, from));
	} else {
		day_add_abroad(day, s, t, abroad);
	}
	if (s->trip_line >= 0) {
		const int *line = sample_lines[s->trip_line];
		int step = s->trip_from < s->trip_to ? 1 : -1;
		int a = back ? s->trip_to : s->trip_from, b = back ? s->trip_from : s->trip_to;

		if (back)
			step = -step;
		for (int i = a + step; i != b; i += step) {
			t += rnd_range(&s->rng, 1800, 5400);
			day_add(day, t, line[i], any_cell(s, line[i]));
		}
		t += rnd_range(&s->rng, 1800, 5400);
	} else {
		t += rnd_range(&s->rng, 3 * 3600, 6 * 3600);
	}
	for (unsigned i = 0, n = rnd_range(&s->rng, 1, 3); i < n; i++) {
		if (to >= 0)
			day_add(day, t, to, to == s->home ? s->home_cell : any_cell(s, to));
		else
			day_add_abroad(day, s, t, abroad);
		t += rnd_range(&s->rng, 1800, 3 * 3600);
		if (t >= SAMPLE_DAY - 60)
			break;
	}
}

/* Picks a trip from home: by train along a line through home when there is one, else by plane. */
static void trip_plan(struct sample_sub *s)
{
	int line = (int)rnd_below(&s->rng, NLINES);

	s->trip_line = -1;
	for (unsigned k = 0; k < NLINES; k++, line = (line + 1) % (int)NLINES) {
		int pos = -1, len = 0;

		for (; sample_lines[line][len] >= 0; len++)
			if (sample_lines[line][len] == s->home)
				pos = len;
		if (pos < 0 || rnd_below(&s->rng, 3) == 0)
			continue;
		int to;
		do
			to = (int)rnd_below(&s->rng, (uint32_t)len);
		while (to == pos);
		s->trip_line = line;
		s->trip_from = pos;
		s->trip_to = to;
		s->trip_dest = sample_lines[line][to];
		return;
	}
	do
		s->trip_dest = (int)rnd_below(&s->rng, NCITIES);
	while (s->trip_dest == s->home);
}

static void sub_day_traveller(struct sample_day *day, struct sample_sub *s, bool weekday)
{
	if (s->trip_dest < 0) {
		if (rnd_below(&s->rng, 100) >= 22) {
			day_city(day, s, s->home, weekday);
			return;
		}
		trip_plan(s);
		s->trip_nights = (int)rnd_range(&s->rng, 0, 4);
		day_travel(day, s, s->home, s->trip_dest, 0, false);
		if (s->trip_nights > 0)
			return;
		/* a day trip: a short afternoon at the destination, then home */
		day->n = day->n > 3 ? 3 : day->n;
		day_add(day, day->ev[day->n - 1].sod + rnd_range(&s->rng, 600, 3600), s->trip_dest,
			any_cell(s, s->trip_dest));
		day_add(day, 22 * 3600 + rnd_below(&s->rng, 5400), s->home, s->home_cell);
		s->trip_dest = -1;
		return;
	}
	if (--s->trip_nights > 0) {
		day_city(day, s, s->trip_dest, weekday);
		return;
	}
	day_travel(day, s, s->trip_dest, s->home, 0, true);
	s->trip_dest = -1;
}

static void sub_day_abroad(struct sample_day *day, struct sample_sub *s, unsigned d, bool weekday)
{
	/* trip_from: first day abroad (may lie before the window), trip_nights: its length */
	int first = s->trip_from, last = s->trip_from + s->trip_nights;

	if ((int)d < first || (int)d > last + 1) {
		day_city(day, s, s->home, weekday);
	} else if ((int)d == first) {
		day_travel(day, s, s->home, -1, s->trip_dest, false);
	} else if ((int)d <= last) {
		for (unsigned i = 0, n = rnd_range(&s->rng, 1, 3); i < n; i++)
			day_add_abroad(day, s, rnd_range(&s->rng, 8 * 3600, 23 * 3600), s->trip_dest);
	} else {
		day_travel(day, s, -1, s->home, s->trip_dest, true);
	}
}

static void sub_day_border(struct sample_day *day, struct sample_sub *s)
{
	const struct sample_border *b = &sample_borders[s->border];
	unsigned n = rnd_range(&s->rng, 0, 4);
	uint32_t t = rnd_range(&s->rng, 7 * 3600, 10 * 3600);
	bool side = rnd_below(&s->rng, 2);

	for (unsigned i = 0; i < n; i++, side = !side) {
		if (!side)
			day_add(day, t, b->city, any_cell(s, b->city));
		else if (b->other_city >= 0)
			day_add(day, t, b->other_city, any_cell(s, b->other_city));
		else
			day_add_abroad(day, s, t, b->abroad);
		t += rnd_range(&s->rng, 1800, 4 * 3600);
		if (t >= SAMPLE_DAY - 60)
			break;
	}
}

/* --- the command -------------------------------------------------------------------------- */

struct sample_args {
	uint64_t seed;
	uint64_t subscribers;
	unsigned days;
	int64_t end;
	const char *cells, *events;
	const char *msisdn_base, *imsi_base;
	unsigned abroad_ppm;
};

struct sample_gen {
	const struct sample_args *a;
	struct sample_out *out;
	uint64_t msisdn0, imsi0;
	int msisdn_width, imsi_width;
	char cell_suffix[NCITIES][4][8][32];	/* ",MCC,MNC,LAC,CI\n" per city, PLMN, cell */
	uint64_t lines, unknown, iso, abroad_lines;
};

static int pick_home(struct sample_sub *s, bool test_plmn)
{
	unsigned total = 0;

	for (unsigned c = 0; c < NCITIES; c++)
		if (!test_plmn || sample_cities[c].test_lac)
			total += sample_cities[c].weight;
	unsigned r = rnd_below(&s->rng, total);
	for (unsigned c = 0; c < NCITIES; c++) {
		if (test_plmn && !sample_cities[c].test_lac)
			continue;
		if (r < sample_cities[c].weight)
			return (int)c;
		r -= sample_cities[c].weight;
	}
	return 0;
}

static void sub_init(struct sample_sub *s, const struct sample_gen *g, uint64_t i)
{
	uint64_t mix = g->a->seed ^ (i * 0xd1b54a32d192ed03ULL);
	unsigned r;

	memset(s, 0, sizeof(*s));
	s->rng = splitmix64(&mix);
	r = rnd_below(&s->rng, 1000000);
	if (r < 50000)
		s->persona = P_SILENT;
	else if (r < 100000)
		s->persona = P_BORDER;
	else if (r < 250000)
		s->persona = P_TRAVELLER;
	else if (r < 250000 + g->a->abroad_ppm)
		s->persona = P_ABROAD;
	else
		s->persona = P_COMMUTER;
	r = rnd_below(&s->rng, 100);
	s->plmn = r < 10 ? PLMN_TEST : r < 45 ? 0 : r < 75 ? 1 : 2;
	s->home = pick_home(s, s->plmn == PLMN_TEST);
	s->home_cell = any_cell(s, s->home);
	s->work_cell = any_cell(s, s->home);
	s->trip_dest = -1;
	s->trip_line = -1;
	if (s->persona == P_BORDER) {
		s->border = (int)rnd_below(&s->rng, NBORDERS);
		s->home = sample_borders[s->border].city;
	} else if (s->persona == P_ABROAD) {
		s->trip_dest = (int)rnd_below(&s->rng, NABROAD);
		s->trip_from = (int)rnd_below(&s->rng, g->a->days + 4) - 4;
		s->trip_nights = (int)rnd_range(&s->rng, 2, 10);
	}
}

static void event_suffix(struct sample_gen *g, struct sample_sub *s, const struct sample_event *e)
{
	struct sample_out *o = g->out;

	if (e->city < 0) {
		const struct sample_plmn *p = &sample_abroad[e->abroad];

		o->buf[o->len++] = ',';
		out_str(o, p->mcc);
		o->buf[o->len++] = ',';
		out_str(o, p->mnc);
		o->buf[o->len++] = ',';
		out_uint(o, e->lac, 0);
		o->buf[o->len++] = ',';
		out_uint(o, e->ci, 0);
		o->buf[o->len++] = '\n';
		g->abroad_lines++;
		return;
	}
	unsigned plmn = cell_count(s->plmn, e->city) ? s->plmn : 0;

	if (rnd_below(&s->rng, 1000) == 0) {
		o->buf[o->len++] = ',';
		out_str(o, sample_plmns[plmn].mcc);
		o->buf[o->len++] = ',';
		out_str(o, sample_plmns[plmn].mnc);
		o->buf[o->len++] = ',';
		out_uint(o, cell_lac(plmn, e->city), 0);
		o->buf[o->len++] = ',';
		out_uint(o, 60000 + rnd_below(&s->rng, 5000), 0);
		o->buf[o->len++] = '\n';
		g->unknown++;
		return;
	}
	out_str(o, g->cell_suffix[e->city][plmn][e->cell]);
}

static int sub_write(struct sample_gen *g, uint64_t i)
{
	const struct sample_args *a = g->a;
	struct sample_sub s;
	struct sample_day day;
	char ids[64];
	size_t idlen;
	int64_t end_local_day = (a->end + SAMPLE_TZ_OFFSET) / SAMPLE_DAY;
	int64_t first_day = end_local_day - a->days + 1;
	int rc;

	sub_init(&s, g, i);
	if (s.persona == P_SILENT)
		return 0;
	/* ",IMSI,MSISDN" once per subscriber */
	idlen = (size_t)snprintf(ids, sizeof(ids), ",%0*" PRIu64 ",%0*" PRIu64, g->imsi_width,
				 g->imsi0 + i, g->msisdn_width, g->msisdn0 + i);
	for (unsigned d = 0; d < a->days; d++) {
		int64_t day_num = first_day + d;
		bool weekday = (day_num + 3) % 7 < 5;	/* 1970-01-01 was a Thursday */
		int64_t midnight = day_num * SAMPLE_DAY - SAMPLE_TZ_OFFSET;

		day.n = 0;
		switch (s.persona) {
		case P_COMMUTER:
			day_city(&day, &s, s.home, weekday);
			break;
		case P_TRAVELLER:
			sub_day_traveller(&day, &s, weekday);
			break;
		case P_ABROAD:
			sub_day_abroad(&day, &s, d, weekday);
			break;
		case P_BORDER:
			sub_day_border(&day, &s);
			break;
		case P_SILENT:
			break;
		}
		/* insertion sort: a day holds a handful of events */
		for (unsigned k = 1; k < day.n; k++) {
			struct sample_event e = day.ev[k];
			unsigned j = k;

			for (; j > 0 && day.ev[j - 1].sod > e.sod; j--)
				day.ev[j] = day.ev[j - 1];
			day.ev[j] = e;
		}
		for (unsigned k = 0; k < day.n; k++) {
			int64_t t = midnight + day.ev[k].sod;
			bool iso;

			if (day.ev[k].sod >= SAMPLE_DAY || t > a->end)
				break;
			rc = out_reserve(g->out);
			if (rc < 0)
				return rc;
			iso = rnd_below(&s.rng, 20) == 0;
			out_time(g->out, t, iso);
			out_mem(g->out, ids, idlen);
			event_suffix(g, &s, &day.ev[k]);
			g->lines++;
			g->iso += iso;
		}
	}
	return 0;
}

static int write_cells(const struct sample_args *a)
{
	static struct sample_out o;
	int rc;

	o.f = fopen(a->cells, "w");
	o.name = a->cells;
	if (!o.f) {
		fprintf(stderr, "itinerad-sample: %s: %s\n", a->cells, strerror(errno));
		return -errno;
	}
	out_str(&o, "# synthetic cell registry generated by itinerad-sample seed ");
	out_uint(&o, a->seed, 0);
	out_str(&o, "\nmcc,mnc,lac,ci,region_code\n");
	for (unsigned p = 0; p < sizeof(sample_plmns) / sizeof(sample_plmns[0]); p++) {
		for (unsigned c = 0; c < NCITIES; c++) {
			for (unsigned k = 0; k < cell_count(p, c); k++) {
				rc = out_reserve(&o);
				if (rc < 0)
					goto out;
				out_str(&o, sample_plmns[p].mcc);
				o.buf[o.len++] = ',';
				out_str(&o, sample_plmns[p].mnc);
				o.buf[o.len++] = ',';
				out_uint(&o, cell_lac(p, c), 0);
				o.buf[o.len++] = ',';
				out_uint(&o, cell_ci(p, c, k), 0);
				o.buf[o.len++] = ',';
				out_str(&o, sample_cities[c].code);
				o.buf[o.len++] = '\n';
			}
		}
	}
	rc = out_flush(&o);
out:
	if (fclose(o.f) != 0 && rc == 0) {
		fprintf(stderr, "itinerad-sample: %s: %s\n", a->cells, strerror(errno));
		rc = -EIO;
	}
	return rc;
}

static int write_events(const struct sample_args *a)
{
	static struct sample_out o;
	static struct sample_gen g;
	bool to_stdout = strcmp(a->events, "-") == 0;
	int rc = 0;

	g.a = a;
	g.out = &o;
	g.msisdn0 = strtoull(a->msisdn_base, NULL, 10);
	g.imsi0 = strtoull(a->imsi_base, NULL, 10);
	g.msisdn_width = (int)strlen(a->msisdn_base);
	g.imsi_width = (int)strlen(a->imsi_base);
	for (unsigned c = 0; c < NCITIES; c++)
		for (unsigned p = 0; p < 4; p++)
			for (unsigned k = 0; k < cell_count(p, c); k++)
				snprintf(g.cell_suffix[c][p][k], sizeof(g.cell_suffix[c][p][k]),
					 ",%s,%s,%u,%u\n", sample_plmns[p].mcc, sample_plmns[p].mnc,
					 cell_lac(p, c), cell_ci(p, c, k));

	o.f = to_stdout ? stdout : fopen(a->events, "w");
	o.name = to_stdout ? "stdout" : a->events;
	if (!o.f) {
		fprintf(stderr, "itinerad-sample: %s: %s\n", a->events, strerror(errno));
		return -errno;
	}
	out_str(&o, "time,imsi,msisdn,mcc,mnc,lac,ci\n");
	for (uint64_t i = 0; i < a->subscribers && rc == 0; i++)
		rc = sub_write(&g, i);
	if (rc == 0)
		rc = out_flush(&o);
	if (fclose(o.f) != 0 && rc == 0) {
		fprintf(stderr, "itinerad-sample: %s: %s\n", o.name, strerror(errno));
		rc = -EIO;
	}
	if (rc == 0)
		fprintf(stderr, "itinerad-sample: %" PRIu64 " subscribers, %" PRIu64 " events (%" PRIu64
			" abroad, %" PRIu64 " ISO 8601 times, %" PRIu64 " unknown cells)\n",
			a->subscribers, g.lines, g.abroad_lines, g.iso, g.unknown);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: itinerad-sample --seed S --subscribers N [--days 14] --end UNIXTIME\n"
		"                       --cells FILE --events FILE|-\n"
		"                       [--msisdn-base 8613800000000] [--imsi-base 001010000000000]\n"
		"                       [--abroad-share 0.05]\n"
		"Subscriber i (from 0) has MSISDN base+i and IMSI base+i, printed with the width of "
		"the base.\n");
}

/* An unsigned decimal of 1 to 19 digits. */
static bool parse_u64(const char *s, uint64_t *v)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 19 || s[n])
		return false;
	*v = strtoull(s, NULL, 10);
	return true;
}

/* A share from 0 to 0.75 in parts per million, e.g. "0.05" or "5%". */
static bool parse_share(const char *s, unsigned *ppm)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return false;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || !(v >= 0 && v <= 0.75))
		return false;
	*ppm = (unsigned)(v * 1e6 + 0.5);
	return true;
}

/* The last number base+n-1 must still fit the base's width. */
static bool base_fits(const char *base, uint64_t n)
{
	uint64_t v, limit = 1;
	size_t w = strlen(base);

	if (!parse_u64(base, &v))
		return false;
	for (size_t k = 0; k < w; k++)
		limit *= 10;
	return n == 0 || (limit - v >= n);
}

int main(int argc, char **argv)
{
	struct sample_args a = {
		.days = 14, .msisdn_base = "8613800000000", .imsi_base = "001010000000000",
		.abroad_ppm = 50000, .end = -1,
	};
	bool have_seed = false, have_subs = false;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t v;

		if (!val) {
			fprintf(stderr, "itinerad-sample: %s needs a value\n", opt);
			usage();
			return 2;
		}
		i++;
		if (!strcmp(opt, "--seed") && parse_u64(val, &a.seed)) {
			have_seed = true;
		} else if (!strcmp(opt, "--subscribers") && parse_u64(val, &a.subscribers)) {
			have_subs = true;
		} else if (!strcmp(opt, "--days") && parse_u64(val, &v) && v >= 1 && v <= 366) {
			a.days = (unsigned)v;
		} else if (!strcmp(opt, "--end") && parse_u64(val, &v) && v <= INT64_MAX / 2) {
			a.end = (int64_t)v;
		} else if (!strcmp(opt, "--cells")) {
			a.cells = val;
		} else if (!strcmp(opt, "--events")) {
			a.events = val;
		} else if (!strcmp(opt, "--msisdn-base") && parse_u64(val, &v)) {
			a.msisdn_base = val;
		} else if (!strcmp(opt, "--imsi-base") && parse_u64(val, &v) && strlen(val) <= 15) {
			a.imsi_base = val;
		} else if (!strcmp(opt, "--abroad-share") && parse_share(val, &a.abroad_ppm)) {
			continue;
		} else {
			fprintf(stderr, "itinerad-sample: bad option or value: %s %s\n", opt, val);
			usage();
			return 2;
		}
	}
	if (!have_seed || !have_subs || a.end < 0 || !a.cells || !a.events) {
		usage();
		return 2;
	}
	if (!base_fits(a.msisdn_base, a.subscribers) || !base_fits(a.imsi_base, a.subscribers)) {
		fprintf(stderr, "itinerad-sample: %" PRIu64 " subscribers overflow the MSISDN or IMSI "
			"base's digits\n", a.subscribers);
		return 2;
	}
	if (write_cells(&a) < 0 || write_events(&a) < 0)
		return 1;
	return 0;
}
