/*
 * USSD sessions, independent of how USSD reaches us. A transport (GSUP from osmo-hlr today;
 * SMPP ussd_service_op would be another) reports what the subscriber sent and sends the
 * screens the session decides on. A session is keyed by (IMSI, session id) and walks:
 * consent menu (if consent is on) -> request -> first page -> "1" next / "0" exit -> END on the
 * last page; unknown input re-shows the screen once, then ends. A guard timer releases an idle
 * session before osmo-hlr drops it. Sessions know no GSUP and no SQL.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "common/config.h"

struct ussd_sessions;

/* The hash table key of a session (IMSI and GSUP session id): a bucket, not an identity. */
static inline uint64_t ussd_session_key(const char *imsi, uint32_t session_id)
{
	return strtoull(imsi, NULL, 10) ^ (uint64_t)session_id * 0x9e3779b97f4a7c15ULL;
}

/* What a session needs from its transport. text is UTF-8; the transport chooses the coding
 * (GSM 7-bit when it fits, else UCS2). final: the last screen, the session ends. */
struct ussd_transport_ops {
	int (*send)(void *transport, const char *imsi, uint32_t session_id, const char *text,
		    bool final);
	/* End the session without a screen (timeout, error): the transport tells the peer. */
	void (*release)(void *transport, const char *imsi, uint32_t session_id);
};

/* gsup (the session timeout), service (language, consent) and templates ([zh], [en]) must
 * outlive the sessions, or the next set_config. */
struct ussd_sessions *ussd_sessions_alloc(void *ctx, struct event_base *base,
					  const struct itin_gsup_config *gsup,
					  const struct itin_service_config *service,
					  const struct itin_templates *templates,
					  const struct ussd_transport_ops *ops, void *transport);
void ussd_sessions_set_config(struct ussd_sessions *s, const struct itin_gsup_config *gsup,
			      const struct itin_service_config *service,
			      const struct itin_templates *templates);

/* The subscriber dialled the service code (text is what was dialled, e.g. "*#14#"). */
void ussd_session_begin(struct ussd_sessions *s, const char *imsi, uint32_t session_id,
			const char *text);
/* An answer within a session ("1", "0", ...). */
void ussd_session_continue(struct ussd_sessions *s, const char *imsi, uint32_t session_id,
			   const char *text);
/* The peer ended or aborted the session. */
void ussd_session_end(struct ussd_sessions *s, const char *imsi, uint32_t session_id);
/* The transport lost its link: every session is gone. */
void ussd_sessions_drop_all(struct ussd_sessions *s);

unsigned ussd_sessions_count(const struct ussd_sessions *s);
