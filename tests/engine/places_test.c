/*
 * The compiled place table (engine/gen_places.sh) against the data it comes from: sorted for
 * the binary search, every city of data/regions-cn.csv named by the rules of SPEC section 4,
 * every MCC of data/mcc-countries.csv known and abroad, one place per country; and the
 * lookups of engine/places.h on chosen codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/places.h"

#define MAX_REGIONS 512

struct region {
	int32_t code, parent;
	char zh[64];
	char level[16];
};

static struct region regions[MAX_REGIONS];
static unsigned num_regions;

static const struct region *region_find(int32_t code)
{
	for (unsigned i = 0; i < num_regions; i++) {
		if (regions[i].code == code)
			return &regions[i];
	}
	return NULL;
}

static void load_regions(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("%s: cannot open\n", path);
		exit(1);
	}
	fgets(line, sizeof(line), f);	/* header */
	while (fgets(line, sizeof(line), f) && num_regions < MAX_REGIONS) {
		struct region *r = &regions[num_regions];
		char en[128];

		r->parent = 0;
		if (sscanf(line, "%d,%63[^,],%127[^,],%15[^,\n],%d", &r->code, r->zh, en, r->level,
			   &r->parent) >= 4)
			num_regions++;
	}
	fclose(f);
}

static bool is_municipality(int32_t code)
{
	return code == 110000 || code == 120000 || code == 310000 || code == 500000;
}

static void check_cities(void)
{
	unsigned cities = 0, bad = 0;

	for (unsigned i = 0; i < num_regions; i++) {
		const struct region *r = &regions[i], *p;
		const char *name;
		char expect[160];

		if (strcmp(r->level, "city") != 0)
			continue;
		cities++;
		p = region_find(r->parent);
		name = itin_place_name(r->code, ITIN_LANG_ZH);
		if (r->code == 810100 || r->code == 820100)
			snprintf(expect, sizeof(expect), "中国%s", r->zh);
		else if (is_municipality(r->parent))
			snprintf(expect, sizeof(expect), "%s", p ? p->zh : "?");
		else
			snprintf(expect, sizeof(expect), "%s%s", p ? p->zh : "?", r->zh);
		if (!name || strcmp(name, expect) != 0 || !itin_place_name(r->code, ITIN_LANG_EN) ||
		    itin_place_canonical(r->code) != r->code) {
			if (bad++ < 5)
				printf("  %d: %s, expected %s\n", r->code, name ? name : "(none)", expect);
		}
	}
	printf("cities in regions-cn.csv: %u, named wrongly: %u\n", cities, bad);
}

static void check_countries(const char *path)
{
	unsigned mccs = 0, bad = 0;
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("%s: cannot open\n", path);
		exit(1);
	}
	fgets(line, sizeof(line), f);
	while (fgets(line, sizeof(line), f)) {
		int mcc;
		char iso2[4];
		int32_t same;

		if (sscanf(line, "%d,%3[^,]", &mcc, iso2) != 2)
			continue;
		mccs++;
		same = itin_place_canonical(mcc);
		if (!itin_place_is_known(mcc) || !itin_place_is_abroad(mcc) || !itin_place_is_abroad(same) ||
		    strcmp(itin_place_name(mcc, ITIN_LANG_ZH), itin_place_name(same, ITIN_LANG_ZH)) != 0 ||
		    itin_place_canonical(same) != same || same != itin_place_from_mcc(same < 1000 ? same : mcc)) {
			if (bad++ < 5)
				printf("  MCC %d (%s): same as %d\n", mcc, iso2, same);
		}
	}
	fclose(f);
	printf("MCCs in mcc-countries.csv: %d, wrong: %u\n", mccs, bad);
}

static void check_sorted(void)
{
	unsigned bad = 0;

	for (unsigned i = 1; i < itin_num_place_names; i++)
		bad += itin_place_names[i].code <= itin_place_names[i - 1].code;
	printf("table: %u places, out of order: %u\n", itin_num_place_names, bad);
}

static void show(int32_t code)
{
	const char *zh = itin_place_name(code, ITIN_LANG_ZH), *en = itin_place_name(code, ITIN_LANG_EN);

	printf("  %d: %s | %s | %s%s | same as %d\n", code, zh ? zh : "(unknown)", en ? en : "(unknown)",
	       itin_place_is_known(code) ? "known" : "unknown", itin_place_is_abroad(code) ? ", abroad" : "",
	       itin_place_canonical(code));
}

int main(void)
{
	static const int32_t samples[] = {
		440100, 110100, 120100, 310100, 500100, 419001, 429021, 659001, 469030, 150200, 540100,
		810100, 820100, 710000, 310, 316, 234, 235, 454, 455, 466, 460, 250, 750,
		110000, 440000, 810000, 999999, 999, 0, -1,
	};
	static const uint16_t mccs[] = { 454, 455, 466, 310, 262, 460, 1 };

	load_regions("../../data/regions-cn.csv");
	check_sorted();
	check_cities();
	check_countries("../../data/mcc-countries.csv");
	printf("samples\n");
	for (unsigned i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		show(samples[i]);
	printf("itin_place_from_mcc\n");
	for (unsigned i = 0; i < sizeof(mccs) / sizeof(mccs[0]); i++)
		printf("  %u -> %d\n", mccs[i], itin_place_from_mcc(mccs[i]));
	return 0;
}
