/*
 * The USSD channel over GSUP: osmo-hlr's PROC_SS requests become session events
 * (ussd_session.h), the sessions' screens become PROC_SS answers. The glue between gsup_link.c
 * (IPA/GSUP), ss_facility.c (GSM 04.80 components) and the transport-independent sessions.
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "common/config.h"

struct itin_ussd_gsup;

/* NULL when gsup has no host (no USSD channel) or when out of memory. gsup, service and
 * templates ([zh], [en]) must outlive the channel, or the next set_config. */
struct itin_ussd_gsup *itin_ussd_gsup_alloc(void *ctx, struct event_base *base,
					    const struct itin_gsup_config *gsup,
					    const struct itin_service_config *service,
					    const struct itin_templates *templates);
int itin_ussd_gsup_start(struct itin_ussd_gsup *u);
void itin_ussd_gsup_stop(struct itin_ussd_gsup *u);
/* After SIGHUP: the session timeout and menu texts of new sessions. */
void itin_ussd_gsup_set_config(struct itin_ussd_gsup *u, const struct itin_gsup_config *gsup,
			       const struct itin_service_config *service,
			       const struct itin_templates *templates);
bool itin_ussd_gsup_is_up(const struct itin_ussd_gsup *u);
unsigned itin_ussd_gsup_sessions(const struct itin_ussd_gsup *u);
