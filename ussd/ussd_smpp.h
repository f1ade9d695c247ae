/*
 * The USSD channel over SMPP: the binds to USSD gateways ([smpp NAME] with ussd = yes). A
 * gateway's deliver_sm with ussd_service_op becomes a session event (ussd_session.h), a screen
 * a submit_sm with ussd_service_op 2 (a menu) or 17 (the last screen). The glue between
 * smpp/smpp_link.c and the transport-independent sessions; no SQL.
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "common/config.h"

struct itin_ussd_smpp;
struct smpp_link;

/* The links of smpp with ussd = yes; NULL when there is none, or out of memory (*oom set).
 * smpp, service and templates must outlive the channel, or (service, templates) the next
 * set_config. */
struct itin_ussd_smpp *itin_ussd_smpp_alloc(void *ctx, struct event_base *base,
					    const struct itin_smpp_config *smpp,
					    const struct itin_service_config *service,
					    const struct itin_templates *templates, bool *oom);
int itin_ussd_smpp_start(struct itin_ussd_smpp *u);
/* Ends every session without a screen and unbinds; is_unbound once all links are closed. */
void itin_ussd_smpp_stop(struct itin_ussd_smpp *u);
bool itin_ussd_smpp_is_unbound(const struct itin_ussd_smpp *u);
void itin_ussd_smpp_set_config(struct itin_ussd_smpp *u, const struct itin_service_config *service,
			       const struct itin_templates *templates);

struct itin_ussd_smpp_stats {
	unsigned sessions;		/* open now */
	unsigned long long begun;	/* PSSR indications that opened a session */
	unsigned long long screens;	/* submit_sm sent with a screen (2 or 17) */
	unsigned long long aborts_sent;	/* empty PSSR responses: released, unknown session */
	unsigned long long ended_by_gateway;	/* the gateway ended or aborted a session */
	unsigned long long refused;	/* deliver_sm without a usable ussd_service_op */
};
unsigned itin_ussd_smpp_num_links(const struct itin_ussd_smpp *u);
const struct smpp_link *itin_ussd_smpp_link(const struct itin_ussd_smpp *u, unsigned i);
void itin_ussd_smpp_get_stats(const struct itin_ussd_smpp *u, unsigned i, struct itin_ussd_smpp_stats *st);
/* Each open session of link i: cb(arg, masked MSISDN, session id, state, seconds open). */
void itin_ussd_smpp_walk(const struct itin_ussd_smpp *u, unsigned i,
			 void (*cb)(void *arg, const char *masked, uint32_t session_id,
				    const char *state, long open_s), void *arg);
