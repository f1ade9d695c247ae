/*
 * USSD sessions, independent of how USSD reaches us. A transport (GSUP from osmo-hlr, or an
 * SMPP USSD gateway's ussd_service_op) reports what the subscriber sent and sends the screens
 * the session decides on. A session is keyed by (subscriber, session id): the subscriber is an
 * IMSI (GSUP) or an MSISDN (SMPP), as the transport says. It walks: consent menu (if consent is
 * on) -> request -> first page -> "1" next / "0" exit -> END on the last page; unknown input
 * re-shows the screen once, then ends. A guard timer ends an idle session before the peer
 * drops it. Sessions know no GSUP, no SMPP and no SQL.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "common/config.h"
#include "engine/ussd_pages.h"
#include "service/request.h"

struct ussd_sessions;

/* The hash table key of a session (subscriber digits and session id): a bucket, not an
 * identity. */
static inline uint64_t ussd_session_key(const char *subscriber, uint32_t session_id)
{
	return strtoull(subscriber, NULL, 10) ^ (uint64_t)session_id * 0x9e3779b97f4a7c15ULL;
}

/* What a session needs from its transport. text is UTF-8; the transport chooses the coding
 * (GSM 7-bit when it fits, else UCS2). final: the last screen, the session ends. */
struct ussd_transport_ops {
	int (*send)(void *transport, const char *subscriber, uint32_t session_id, const char *text,
		    bool final);
	/* End the session without a screen (timeout, error): the transport tells the peer. */
	void (*release)(void *transport, const char *subscriber, uint32_t session_id);
};

/* What differs between transports. */
struct ussd_session_params {
	enum itin_identity_kind identity_kind;	/* what the subscriber strings are */
	struct itin_ussd_page_sizes pages;
	unsigned timeout_s;		/* an idle session ends after this */
	bool timeout_screen;		/* then with a last screen; else through release() */
};

/* service (language, consent) and templates ([zh], [en]) must outlive the sessions, or the
 * next set_config; params is copied. */
struct ussd_sessions *ussd_sessions_alloc(void *ctx, struct event_base *base,
					  const struct ussd_session_params *params,
					  const struct itin_service_config *service,
					  const struct itin_templates *templates,
					  const struct ussd_transport_ops *ops, void *transport);
/* After SIGHUP: the timeout of idle sessions from now on, the rules and texts. */
void ussd_sessions_set_config(struct ussd_sessions *s, unsigned timeout_s,
			      const struct itin_service_config *service,
			      const struct itin_templates *templates);

/* The subscriber dialled the service code (text is what was dialled, e.g. "*#14#"). */
void ussd_session_begin(struct ussd_sessions *s, const char *subscriber, uint32_t session_id,
			const char *text);
/* An answer within a session ("1", "0", ...). */
void ussd_session_continue(struct ussd_sessions *s, const char *subscriber, uint32_t session_id,
			   const char *text);
/* The peer ended or aborted the session. */
void ussd_session_end(struct ussd_sessions *s, const char *subscriber, uint32_t session_id);
/* True while that session is open. */
bool ussd_session_exists(struct ussd_sessions *s, const char *subscriber, uint32_t session_id);
/* Each open session, oldest first, for the admin endpoint: cb(arg, subscriber, session_id,
 * state name, seconds open). */
void ussd_sessions_walk(struct ussd_sessions *s, void (*cb)(void *arg, const char *subscriber,
		       uint32_t session_id, const char *state, long open_s), void *arg);
/* The transport lost its link: every session is gone. */
void ussd_sessions_drop_all(struct ussd_sessions *s);

unsigned ussd_sessions_count(const struct ussd_sessions *s);
