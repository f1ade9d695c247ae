/*
 * The admin endpoint: HTTP on libevent's evhttp, on the daemon's loop, loopback by default
 * ([admin] listen). GET /metrics (Prometheus text format 0.0.4), /healthz (the loop runs),
 * /readyz (the database is up, every configured link is bound or connected, not stopping) and
 * /ussd (the USSD gateways' SMPP links and their open sessions).
 * It reads counters from the modules; it changes nothing. Its limits ([admin] max_connections,
 * request_timeout, 8 KB of headers, a descriptor reserve) keep a client from taking the
 * descriptors and memory the SMSC, GSUP and database links need.
 */
#pragma once

#include <stdbool.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/config.h"

struct itin_db_pool;
struct itin_db_replica;
struct itin_sms_channel;
struct itin_ussd_gsup;
struct itin_ussd_smpp;

struct itin_admin_sources {
	struct itin_db_pool *db;
	struct itin_db_replica *replica;	/* NULL: no [database] read_conninfo */
	struct itin_sms_channel *sms;
	struct itin_ussd_gsup *ussd;	/* NULL: no USSD over GSUP */
	struct itin_ussd_smpp *ussd_smpp;	/* NULL: no USSD gateway over SMPP */
	const bool *stopping;		/* set once SIGTERM came */
};

struct itin_admin_options {
	const char *listen;		/* "ADDRESS:PORT", "[IPV6]:PORT"; "" turns it off */
	unsigned max_connections;	/* connections open at once */
	unsigned request_timeout_s;	/* a request arrives and is answered within this */
	unsigned fd_reserve;		/* descriptors the rest of the daemon needs */
};

struct itin_admin;

/* Returns NULL without error in *err when opt->listen is empty; NULL with a message in err
 * when it cannot listen, or when the descriptor limit less fd_reserve leaves it none. */
struct itin_admin *itin_admin_start(void *ctx, struct event_base *base,
				    const struct itin_admin_options *opt,
				    const struct itin_admin_sources *src, char *err, size_t err_len);
void itin_admin_stop(struct itin_admin *admin);

/* What /readyz reports, gathered from the modules. */
struct itin_readiness {
	bool stopping, db_up, gsup_configured, gsup_up;
	unsigned num_links;
	struct {
		const char *name;
		bool bound;
	} link[ITIN_MAX_SMPP_LINKS];
};

/* Appends the /readyz body to b: a line per reason not to be ready, or "ready". Returns the
 * number of reasons (0: ready, answered 200; else 503). */
int itin_admin_readyz_body(struct evbuffer *b, const struct itin_readiness *r);
