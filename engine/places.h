/*
 * Names of places as the subscriber reads them (SPEC section 4). A place is a GB/T 2260 city
 * code (Hong Kong 810100, Macao 820100, Taiwan 710000) or, below 1000, the MCC of a country.
 * The names are compiled in from data/ (gen_places.sh), so naming needs no database.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

struct itin_place_name {
	int32_t code;
	int32_t same_as;	/* the place this code stands for: 311 -> 310, 454 -> 810100, else code */
	const char *zh;		/* 广东省广州市, 北京市, 中国香港, 美国 */
	const char *en;		/* Guangzhou, Guangdong; Beijing; Hong Kong, China; United States */
};

extern const struct itin_place_name itin_place_names[];
extern const unsigned itin_num_place_names;

const char *itin_place_name(int32_t place, enum itin_lang lang);	/* NULL if unknown */
bool itin_place_is_known(int32_t place);
/* One code per place: a country's lowest MCC (311 -> 310), HK/Macao/Taiwan's MCCs to their
 * region codes (454 -> 810100); other codes, known or not, as they are. */
int32_t itin_place_canonical(int32_t place);
/* Abroad for the stay rule: a foreign country, Hong Kong, Macao or Taiwan. */
bool itin_place_is_abroad(int32_t place);
/* The place of an event in a foreign MCC: HK, Macao and Taiwan by their region codes. */
int32_t itin_place_from_mcc(uint16_t mcc);
