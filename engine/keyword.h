/*
 * The SMS keywords of SPEC section 2. Matching ignores case, surrounding spaces and full-width
 * forms (ＣＸＭＹＤ, Ｙ, the ideographic space). A query keyword followed by anything
 * ("CXMYD 13800000000") is still a query, for the sender's own number only.
 */
#pragma once

#include <stddef.h>

#include "common/config.h"
#include "engine/intent.h"

/* utf8 need not be NUL-terminated; nothing past len is read. Invalid UTF-8 is UNKNOWN. */
enum itin_intent itin_keyword_parse(const char *utf8, size_t len, const struct itin_words *extra_query);
