/*
 * Place lookup: a binary search in the generated, sorted table.
 */
#include <stdlib.h>

#include "engine/places.h"

#define PLACE_HONG_KONG 810100
#define PLACE_MACAO 820100
#define PLACE_TAIWAN 710000

static int cmp_place(const void *key, const void *elem)
{
	int32_t code = *(const int32_t *)key;
	const struct itin_place_name *p = elem;

	return (code > p->code) - (code < p->code);
}

static const struct itin_place_name *place_find(int32_t place)
{
	return bsearch(&place, itin_place_names, itin_num_place_names, sizeof(itin_place_names[0]),
		       cmp_place);
}

const char *itin_place_name(int32_t place, enum itin_lang lang)
{
	const struct itin_place_name *p = place_find(place);

	if (!p)
		return NULL;
	return lang == ITIN_LANG_EN ? p->en : p->zh;
}

bool itin_place_is_known(int32_t place)
{
	return place_find(place) != NULL;
}

int32_t itin_place_canonical(int32_t place)
{
	const struct itin_place_name *p = place_find(place);

	return p ? p->same_as : place;
}

bool itin_place_is_abroad(int32_t place)
{
	return place < 1000 || place == PLACE_HONG_KONG || place == PLACE_MACAO || place == PLACE_TAIWAN;
}

int32_t itin_place_from_mcc(uint16_t mcc)
{
	switch (mcc) {
	case 454:
		return PLACE_HONG_KONG;
	case 455:
		return PLACE_MACAO;
	case 466:
		return PLACE_TAIWAN;
	default:
		return mcc;
	}
}
