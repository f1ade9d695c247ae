/*
 * itinerad-db query's database side, blocking: the audit row first (a query that cannot be
 * audited is not answered), then what the subscriber's reply is built from: the lookup of the
 * subscriber's key, the data's freshness and the risk list. The daemon reads the same through
 * request_db.c; the reply itself is the engine's (subscriber_reply.h).
 */
#pragma once

#include <stdint.h>

#include "common/config.h"
#include "common/subscriber_key.h"
#include "db/db_connect.h"
#include "db/lookup_result.h"
#include "engine/itinerary.h"

/* Who asks for which key: the audit row's OS user (and sudo user, or NULL) and command. */
struct itin_db_query {
	const uint8_t *key;		/* ITIN_SUBSCRIBER_KEY_LEN bytes */
	const uint8_t *previous_key;	/* the key under the previous secret, or NULL */
	int64_t now;
	const char *os_user, *sudo_user, *command;
};

/* What the reply is built from (talloc children of ctx). */
struct itin_db_query_result {
	struct itin_lookup lookup;
	struct itin_risk *risks;
	unsigned num_risks;
	int64_t updated_at;		/* the newest event loaded (Unix s; 0: none) */
};

/* Returns 0, -ENOENT (no such subscriber: lookup.known is false), -EACCES (not audited, so not
 * answered), -EIO or -ENOMEM; failures are logged in DLOAD. */
int itin_db_query_subscriber(void *ctx, itin_db_conn *conn,
			     const struct itin_service_config *service,
			     const struct itin_db_query *q, struct itin_db_query_result *out);
