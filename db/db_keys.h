/*
 * Retiring an operator secret after a key rotation (operator manual, "Keys"). A key may go once
 * nothing it alone reaches is still needed: no presence of a subscriber that only its keys
 * find (retention drops that window_days + 1 days after its newest day), no pending request
 * whose reply address it sealed. Then what remains under it (its subscriber keys, the
 * subscribers only it reached, their state rows) is deleted, and its line can leave the secret
 * file. This module only talks to the database; the secret itself is never needed.
 */
#pragma once

#include <stdio.h>

#include <libpq-fe.h>

#include "common/config.h"

/* Returns 0 (retired: report on out), 1 (refused: the reason on log) or -1 (error on log). */
int itin_db_retire_key(PGconn *conn, const struct itin_keys *in_use,
		       const struct itin_service_config *service, unsigned id, FILE *out, FILE *log);
