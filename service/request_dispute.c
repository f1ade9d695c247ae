/*
 * Disputes in the request service (issue 25): a subscriber's words and the itinerary as it
 * stands, both sealed, opened as a case under its own per-day limit (migration 186) instead of
 * the request rules, and answered with the case number. No SQL here: db/dispute_db.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <talloc.h>

#include "common/reply_address.h"
#include "db/dispute_db.h"
#include "engine/subscriber_reply.h"
#include "service/request_internal.h"

static void dispute_opened_cb(void *arg, int opened, const char *why)
{
	struct itin_request *req = itin_request_looked_up(arg, opened >= 0, "dispute not recorded", why);
	char case_no[12];
	struct itin_reply *reply;

	if (!req)
		return;
	if (!opened) {
		req->action = ITIN_ACTION_DISPUTE_LIMITED;
		itin_request_reply_text(req, ITIN_TEXT_DISPUTE_LIMITED);
		return;
	}
	LOGPREQ(req, LOGL_NOTICE, "dispute case %u opened\n", req->case_no);
	req->action = ITIN_ACTION_DISPUTE_OPENED;
	snprintf(case_no, sizeof(case_no), "%u", req->case_no);
	reply = itin_reply_render(req, g_requests->service, g_requests->templates,
				  ITIN_TEXT_DISPUTE_OPENED, req->lang,
				  &(struct itin_reply_args){ .now = req->received_at,
							     .case_no = case_no });
	if (!reply) {
		req->action = ITIN_ACTION_BUSY;
		itin_request_reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	itin_request_deliver(req, reply);
}

/* A case with the subscriber's words and the itinerary as it stands (reply), both sealed, under
 * a random 8-digit case number (a collision only shows two cases under one number to care). */
int itin_request_dispute_open(struct itin_request *req, struct itin_reply *reply)
{
	const char *words = req->dispute ? req->dispute : "";
	char *shown = itin_reply_flatten(reply, reply);
	uint8_t *said = talloc_array(reply, uint8_t, ITIN_SEALED_LEN(strlen(words)));
	uint8_t *sealed = shown ? talloc_array(reply, uint8_t, ITIN_SEALED_LEN(strlen(shown))) : NULL;
	uint32_t random;
	int said_len, sealed_len, rc;

	if (!said || !sealed)
		return -ENOMEM;
	said_len = itin_seal_text(g_requests->sealer, ITIN_SEAL_DISPUTE, words, said);
	sealed_len = itin_seal_text(g_requests->sealer, ITIN_SEAL_DISPUTE, shown, sealed);
	if (said_len < 0 || sealed_len < 0 ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, &random, sizeof(random)) < 0)
		return -EIO;
	req->case_no = 10000000 + random % 90000000;
	if (!itin_request_wait_start(req, &req->lookup))
		return -ENOMEM;
	rc = itin_dispute_db_open(g_requests->db, req->case_no, req->key, req->received_at, said,
				  said_len, sealed, sealed_len, g_requests->service->dispute_limit,
				  dispute_opened_cb, req->lookup);
	if (rc < 0)
		itin_request_wait_end(req->lookup);
	return rc;
}

/* A dispute: taken at once (no pending row: a case the database did not record gets the busy
 * text, and the subscriber sends it again), then the itinerary looked up as for a query, and
 * the case opened with it (itin_request_lookup_cb, itin_request_dispute_open) under its own
 * per-day limit instead of the request rules. */
int itin_request_dispute_accept(struct itin_request *req)
{
	req->lang = g_requests->service->default_lang;
	req->message = NULL;
	req->recorded = true;
	req->audit_apart = true;
	req->ops->accepted(req, true);
	itin_request_start_deadline(req);
	if (!itin_request_wait_start(req, &req->lookup)) {
		req->action = ITIN_ACTION_BUSY;
		itin_request_reply_text(req, ITIN_TEXT_BUSY);
		return 0;
	}
	if (itin_request_lookup(req) < 0)
		itin_request_lookup_cb(req->lookup, NULL, "out of memory\n");
	return 0;
}
