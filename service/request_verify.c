/*
 * Verification codes in the request service (issue 25): the code of an itinerary reply stored
 * with the reply sealed before the reply goes out, a checker's check and a holder's void
 * answered under their own rules (migration 185) instead of the request rules, and the
 * process's fuse against guessing ([service] verify_max_failures). No SQL here: db/verify_db.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <talloc.h>

#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/verify_db.h"
#include "engine/subscriber_reply.h"
#include "service/request_internal.h"

static void issued_cb(void *arg, int rc, const char *why)
{
	struct itin_request *req = itin_request_wait_end(arg);
	struct itin_reply *reply;

	if (!req)
		return;
	reply = req->issuing;
	req->issuing = NULL;
	if (req->replying) {
		talloc_free(reply);
		return;
	}
	if (rc < 0) {
		/* A code that would not verify must not be shown. */
		LOGPREQ(req, LOGL_ERROR, "storing the verification code failed: %s", why);
		talloc_free(reply);
		req->action = ITIN_ACTION_BUSY;
		itin_request_reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	g_requests->stats.codes_issued++;
	talloc_steal(req, reply);
	itin_request_deliver(req, reply);
}

/* Stores the code of reply (its check: input) with the reply sealed, then delivers it. */
int itin_request_issue_code(struct itin_request *req, struct itin_reply *reply, const char *input)
{
	uint8_t hash[ITIN_SUBSCRIBER_KEY_LEN];
	char *text = itin_reply_pack(reply, reply);
	uint8_t *sealed = text ? talloc_array(reply, uint8_t, ITIN_SEALED_LEN(strlen(text))) : NULL;
	int sealed_len, rc;

	if (!sealed)
		return -ENOMEM;
	sealed_len = itin_seal_text(g_requests->sealer, ITIN_SEAL_VERIFY_SHOWN, text, sealed);
	if (sealed_len < 0 || itin_verify_key(g_requests->keyer, input, hash) < 0)
		return -EIO;
	if (!itin_request_wait_start(req, &req->lookup))
		return -ENOMEM;
	rc = itin_verify_db_issue(g_requests->issuer, hash, req->key, req->received_at,
				  g_requests->service->verify_validity_s, sealed, sealed_len, issued_cb,
				  req->lookup);
	if (rc < 0) {
		itin_request_wait_end(req->lookup);
		return rc;
	}
	req->issuing = reply;
	talloc_steal(g_requests, reply);	/* the reply outlives a request answered meanwhile */
	return 0;
}

/* [service] verify_max_failures, a fuse against guessing from many numbers at once (each
 * within verify_checker_limit): counted per process in fixed periods, each starting with the
 * first failure after the previous one ended. true: the cap is reached, checks are refused. */
static bool verify_capped(bool count_failure)
{
	const struct itin_rate *max = &g_requests->service->verify_max_failures;

	if (max->count == 0)
		return false;
	if (count_failure) {
		itin_period_events(&g_requests->verify_cap, max);
		itin_period_count_one(&g_requests->verify_cap);
		return false;
	}
	if (itin_period_events(&g_requests->verify_cap, max) < max->count)
		return false;
	g_requests->stats.verify_capped++;
	LOGP_LIMITED(&g_requests->verify_cap.log, DREQ, LOGL_NOTICE, "verify_max_failures reached "
		     "(%u per %u s): checks refused", max->count, max->period_s);
	return true;
}

/* A check or a void that the database took: the checker's or holder's request is answered
 * from what it returned (it is not kept pending: nothing is left to answer after a restart,
 * the checker asks again). */
static bool verify_answered(struct itin_request *req, enum itin_action action)
{
	req->recorded = true;
	req->action = action;
	if (req->busy_answered) {
		talloc_free(req);	/* the stand-in: the busy text went out */
		return false;
	}
	req->ops->accepted(req, true);
	itin_request_start_deadline(req);
	return true;
}

static void checked_cb(void *arg, const struct itin_verify_result *result, const char *why)
{
	struct itin_request *req = itin_request_begun(arg, result, "check not made", why);
	struct itin_reply_args args;
	struct itin_reply *reply, *issued;
	char *shown;

	if (!req)
		return;
	if (result->outcome <= ITIN_VERIFY_SILENT)
		g_requests->stats.checks[result->outcome]++;
	if (result->outcome == ITIN_VERIFY_INVALID)
		verify_capped(true);
	if (!verify_answered(req, result->outcome == ITIN_VERIFY_VALID ? ITIN_ACTION_VERIFY_VALID :
			     result->outcome == ITIN_VERIFY_INVALID ? ITIN_ACTION_VERIFY_INVALID :
			     result->outcome == ITIN_VERIFY_LIMITED ? ITIN_ACTION_VERIFY_LIMITED :
			     ITIN_ACTION_SILENT))
		return;
	if (req->action == ITIN_ACTION_SILENT) {
		itin_request_deliver(req, NULL);
		return;
	}
	if (req->action != ITIN_ACTION_VERIFY_VALID) {
		itin_request_reply_text(req, itin_request_text_of(req->action));
		return;
	}
	shown = talloc_array(req, char, result->shown_len + 1);
	if (!shown || itin_unseal(g_requests->sealer, ITIN_SEAL_VERIFY_SHOWN, result->shown,
				  result->shown_len, shown, result->shown_len + 1) < 0 ||
	    !(issued = itin_reply_unpack(req, shown))) {
		LOGPREQ(req, LOGL_ERROR, "the answer of a valid code cannot be unsealed (its key is "
			"not in the secret file?)\n");
		req->action = ITIN_ACTION_VERIFY_INVALID;
		itin_request_reply_text(req, ITIN_TEXT_VERIFY_INVALID);
		return;
	}
	/* The holder's reply under the answer's first line, still in its parts: cut into SMS parts
	 * or pages like the holder's, it shows no place the holder's could not. */
	args = (struct itin_reply_args){ .updated_at = g_requests->updated_at, .now = req->received_at,
					 .shown = "", .issued_at = result->issued_at };
	reply = itin_reply_render(req, g_requests->service, g_requests->templates,
				  ITIN_TEXT_VERIFY_VALID, req->lang, &args);
	if (reply)
		issued->head = talloc_asprintf(issued, "%s%s", reply->head, issued->head);
	if (!reply || !issued->head) {
		LOGPREQ(req, LOGL_ERROR, "rendering the check's answer failed\n");
		req->action = ITIN_ACTION_BUSY;
		itin_request_reply_text(req, ITIN_TEXT_BUSY);
		return;
	}
	talloc_free(reply);
	itin_request_deliver(req, issued);
}

static void voided_cb(void *arg, int voided, const char *why)
{
	struct itin_request *req = itin_request_begun(arg, voided >= 0, "codes not voided", why);

	if (!req)
		return;
	LOGPREQ(req, LOGL_INFO, "%d verification codes voided\n", voided);
	if (verify_answered(req, ITIN_ACTION_CODES_VOIDED))
		itin_request_reply_text(req, ITIN_TEXT_CODES_VOIDED);
}

/* A checker's check or a holder's void, under the rules of migration 185 instead of the
 * request rules: a check is answered at once when it cannot match (mistyped, codes off) or
 * the global cap holds; else the database counts it against the checker's limit. */
int itin_request_verify_accept(struct itin_request *req)
{
	const struct itin_service_config *service = g_requests->service;
	uint8_t hash[ITIN_SUBSCRIBER_KEY_LEN], previous[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t holder_previous[ITIN_SUBSCRIBER_KEY_LEN];
	enum itin_action now = ITIN_ACTION_ITINERARY;	/* none: ask the database */
	int rc;

	req->lang = service->default_lang;
	req->message = NULL;
	req->audit_apart = true;
	if (req->intent == ITIN_INTENT_VERIFY &&
	    (!service->verify_validity_s || !req->verify_input[0]))
		now = ITIN_ACTION_VERIFY_INVALID;
	else if (req->intent == ITIN_INTENT_VERIFY && verify_capped(false))
		now = ITIN_ACTION_VERIFY_LIMITED;
	if (now != ITIN_ACTION_ITINERARY) {
		req->action = now;
		req->ops->accepted(req, true);
		itin_request_reply_text(req, itin_request_text_of(now));
		return 0;
	}
	if (!itin_request_wait_start(req, &req->begin)) {
		itin_request_refuse(req, "out of memory");
		return -ENOMEM;
	}
	if (req->intent == ITIN_INTENT_VOID_CODES) {
		rc = g_requests->previous_keyer &&
		     (req->identity_kind == ITIN_IDENTITY_MSISDN ?
		      itin_subscriber_key_msisdn(g_requests->previous_keyer, req->identity,
						 holder_previous) :
		      itin_subscriber_key_imsi(g_requests->previous_keyer, req->identity,
					       holder_previous)) < 0 ?
		     -EIO : 0;
		if (rc == 0)
			rc = itin_verify_db_void(g_requests->db, req->key,
						 g_requests->previous_keyer ? holder_previous : NULL,
						 voided_cb, req->begin);
	} else {
		rc = itin_verify_key(g_requests->keyer, req->verify_input, hash) < 0 ||
		     (g_requests->previous_keyer &&
		      itin_verify_key(g_requests->previous_keyer, req->verify_input, previous) < 0) ?
		     -EIO : 0;
		if (rc == 0)
			rc = itin_verify_db_check(g_requests->db, req->key, hash,
						  g_requests->previous_keyer ? previous : NULL,
						  req->received_at, service->verify_checker_limit.count,
						  service->verify_checker_limit.period_s, checked_cb,
						  req->begin);
	}
	if (rc < 0) {
		itin_request_wait_end(req->begin);
		itin_request_refuse(req, rc == -EIO ? "keying failed" :
				    "the database is not connected or too busy");
		return rc;
	}
	itin_request_start_deadline(req);
	return 0;
}
