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

#include "common/config.h"
#include "db/db_connect.h"

/* Returns 0 (retired: report on out), -EBUSY (refused: the key is current or still reaches
 * something; the reason logged in DLOAD) or -EIO (logged). */
int itin_db_retire_key(itin_db_conn *conn, const struct itin_keys *in_use,
		       const struct itin_service_config *service, unsigned id, FILE *out);
