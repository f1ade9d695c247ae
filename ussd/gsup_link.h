/*
 * itinerad's GSUP link to osmo-hlr as an external USSD entity, on libevent: IPA framing, the
 * CCM identity (unit name and serial number both EUSE-<name>, as osmo-hlr requires), PING/PONG
 * both ways, reconnection with backoff and jitter. GSUP messages are decoded and encoded with
 * libosmocore (osmo_gsup_decode/encode); libosmocore's select loop is never run here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <osmocom/gsm/gsup.h>

struct gsup_link;

struct gsup_link_ops {
	void (*connected)(struct gsup_link *link, bool up);
	/* A GSUP message from osmo-hlr, valid during the call. */
	void (*received)(struct gsup_link *link, const struct osmo_gsup_message *msg);
};

struct gsup_link *gsup_link_alloc(void *ctx, struct event_base *base, const char *host, uint16_t port,
				  const char *euse_name, const struct gsup_link_ops *ops, void *priv);
int gsup_link_start(struct gsup_link *link);
void gsup_link_stop(struct gsup_link *link);
/* -ENOTCONN when the link is down. */
int gsup_link_send(struct gsup_link *link, const struct osmo_gsup_message *msg);
bool gsup_link_is_up(const struct gsup_link *link);
void *gsup_link_priv(struct gsup_link *link);
