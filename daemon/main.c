/*
 * itinerad: the daemon. One libevent loop carries everything: the PostgreSQL pool, the SMPP
 * links (smpp/: to SMSCs for sms/, to USSD gateways for ussd/), the GSUP link (ussd/), signals
 * and timers. This file only wires the modules
 * together in order and handles the process's life: start, SIGTERM/SIGINT (stop taking
 * requests, answer those in flight, unbind, exit), SIGHUP (reload the reply rules).
 *
 *   itinerad -c FILE [--check] [--syslog] [--debug]
 *   itinerad --config-reference | --version
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <talloc.h>

#include "daemon/admin.h"
#include "daemon/systemd.h"
#include "common/config.h"
#include "common/coredump.h"
#include "db/db_connect.h"
#include "db/db_pool.h"
#include "db/db_replica.h"
#include "db/db_schema.h"
#include "common/localtime.h"
#include "common/log.h"
#include "db/request_db.h"
#include "db/request_inputs.h"
#include "service/request.h"
#include "sms/sms_channel.h"
#include "ussd/ussd_gsup.h"
#include "ussd/ussd_smpp.h"

#define DRAIN_MAX_S 10

struct daemon {
	void *ctx;
	struct event_base *base;
	const char *config_path;
	struct itin_config *cfg;
	const struct itin_config *start_cfg;	/* its keys are the ones in use until a restart */
	struct itin_db_pool *db;
	struct itin_db_pool *lease_db;		/* the instance's lease, on a connection of its own */
	struct itin_db_replica *replica;	/* NULL: no [database] read_conninfo */
	struct itin_sms_channel *sms;
	struct itin_ussd_gsup *ussd;		/* NULL: no [gsup] host, no USSD over GSUP */
	struct itin_ussd_smpp *ussd_smpp;	/* NULL: no [smpp NAME] with ussd = yes */
	char *gsup_link;			/* its name among the instances */
	struct itin_admin *admin;		/* NULL: [admin] listen is empty */
	struct event *db_wait;
	struct event *drain;
	time_t stopping_since;
	bool stopping;
	bool unbinding;
	int exit_status;
	bool released;			/* the instance's lease ended */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: itinerad -c FILE [--check] [--syslog] [--debug]\n"
		   "       itinerad --config-reference | --version\n");
}

/* The pool starts once the database is known to have this build's migrations: against an
 * older schema every request would fail on a statement that cannot be prepared. */
static void schema_checked(void *arg, int version, const char *error)
{
	struct daemon *d = arg;
	int want = itin_db_schema_version();

	if (version >= want) {
		if (version > want)
			LOGP(DMAIN, LOGL_NOTICE, "the database schema is at version %d, newer than "
			     "this itinerad's %d: an older itinerad runs on it as long as the newer "
			     "migrations kept what it uses\n", version, want);
		itin_db_pool_start(d->db);
		itin_db_pool_start(d->lease_db);
		if (d->replica)
			itin_db_replica_start(d->replica);
		return;
	}
	if (version < 0)
		LOGP(DMAIN, LOGL_ERROR, "the database schema is older than this itinerad's (version "
		     "%d; %s): run 'itinerad-db migrate -c %s'\n", want, error, d->config_path);
	else
		LOGP(DMAIN, LOGL_ERROR, "the database schema is at version %d, this itinerad needs "
		     "%d: run 'itinerad-db migrate -c %s'\n", version, want, d->config_path);
	d->exit_status = 1;
	event_base_loopexit(d->base, NULL);
}

/* osmo-hlr routes USSD to one connection per EUSE name: of the instances sharing the
 * database, the one that holds the link connects, another when its lease runs out. */
static void ussd_hold_cb(void *arg, bool held)
{
	struct daemon *d = arg;

	if (d->stopping)
		return;
	if (!held) {
		itin_ussd_gsup_stop(d->ussd);
		return;
	}
	if (itin_ussd_gsup_start(d->ussd) < 0) {
		LOGP(DMAIN, LOGL_ERROR, "starting the GSUP link failed\n");
		event_base_loopexit(d->base, NULL);
	}
}

/* Bind to the SMSCs only once the database is up and a previous run's pending requests are
 * told apart from new ones: a request that cannot be recorded would only be refused. */
static void channels_start(void *arg)
{
	struct daemon *d = arg;

	if (itin_sms_channel_start(d->sms) < 0 || (d->ussd_smpp && itin_ussd_smpp_start(d->ussd_smpp) < 0)) {
		LOGP(DMAIN, LOGL_ERROR, "starting the channels failed\n");
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (d->ussd)
		itin_requests_hold_link(d->gsup_link, ussd_hold_cb, d);
}

/* Once the database is first reachable: answer what a previous run left pending, then bind. */
static void db_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	if (!itin_db_pool_is_up(d->db) || !itin_db_pool_is_up(d->lease_db))
		return;
	event_del(d->db_wait);
	itin_requests_recover(channels_start, d);
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	unsigned left = itin_requests_in_flight();

	time_t waited = time(NULL) - d->stopping_since;

	if (left == 0 || waited >= DRAIN_MAX_S) {
		if (left && !d->unbinding)
			LOGP(DMAIN, LOGL_NOTICE, "%u requests still in flight: left pending for a "
			     "peer or the next start\n", left);
		d->unbinding = true;
		itin_sms_channel_unbind(d->sms);
	}
	if ((d->unbinding && itin_sms_channel_is_unbound(d->sms) &&
	     (!d->ussd_smpp || itin_ussd_smpp_is_unbound(d->ussd_smpp))) || waited >= DRAIN_MAX_S + 5) {
		struct itin_db_pool_stats db, lease;

		/* The last answered requests marked sent before the database goes. */
		itin_requests_flush();
		itin_db_pool_get_stats(d->db, &db);
		itin_db_pool_get_stats(d->lease_db, &lease);
		db.in_flight += lease.in_flight;
		if (db.in_flight == 0 && !d->released) {
			/* Then the lease, once the marks are committed. */
			d->released = true;
			itin_requests_release();
			return;
		}
		if (db.in_flight == 0 || waited >= DRAIN_MAX_S + 5)
			event_base_loopexit(d->base, NULL);
	}
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { 0, 50000 };

	if (d->stopping)
		return;
	LOGP(DMAIN, LOGL_NOTICE, "signal %d: stopping (no new requests; answering %u in flight)\n",
	     (int)sig, itin_requests_in_flight());
	d->stopping_since = time(NULL);
	d->stopping = true;
	itin_systemd_notify("STOPPING=1");
	itin_sms_channel_stop(d->sms);
	if (d->ussd)
		itin_ussd_gsup_stop(d->ussd);
	if (d->ussd_smpp)
		itin_ussd_smpp_stop(d->ussd_smpp);
	d->drain = event_new(d->base, -1, EV_PERSIST, drain_cb, d);
	event_add(d->drain, &tv);
}

static bool same_keys(const struct itin_keys *a, const struct itin_keys *b)
{
	if (a->num != b->num)
		return false;
	for (unsigned i = 0; i < a->num; i++) {
		if (a->key[i].id != b->key[i].id || strcmp(a->key[i].secret, b->key[i].secret))
			return false;
	}
	return true;
}

/* What --check can try without disturbing a running daemon (it runs before every reload): each
 * address parses and each name resolves, as the start would need. It binds nothing: the admin
 * port is the running daemon's. 0, or -EINVAL with "FILE: [section] key 'value': why" in err. */
static int check_addresses(const struct itin_config *cfg, char *err, size_t err_len)
{
	const struct itin_admin_config *admin = &cfg->admin;
	const struct itin_smpp_config *smpp = &cfg->smpp;
	char host[ITIN_HOST_MAX + 1], port[6];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	int rc;

	if (*admin->listen) {
		/* the config parser refused a listen that does not split */
		itin_config_split_address(admin->listen, host, sizeof(host), port, sizeof(port));
		hints.ai_flags |= AI_PASSIVE | AI_ADDRCONFIG;
		rc = getaddrinfo(host, port, &hints, &ai);
		if (rc) {
			snprintf(err, err_len, "%s: [admin] listen '%s': %s", cfg->path, admin->listen,
				 gai_strerror(rc));
			return -EINVAL;
		}
		freeaddrinfo(ai);
		hints.ai_flags = 0;
	}
	for (unsigned i = 0; i < smpp->num; i++) {
		rc = getaddrinfo(smpp->link[i].host, NULL, &hints, &ai);
		if (rc) {
			snprintf(err, err_len, "%s: [smpp %s] host '%s': %s", cfg->path,
				 smpp->link[i].name, smpp->link[i].host, gai_strerror(rc));
			return -EINVAL;
		}
		freeaddrinfo(ai);
	}
	if (*cfg->gsup.host) {
		rc = getaddrinfo(cfg->gsup.host, NULL, &hints, &ai);
		if (rc) {
			snprintf(err, err_len, "%s: [gsup] host '%s': %s", cfg->path, cfg->gsup.host,
				 gai_strerror(rc));
			return -EINVAL;
		}
		freeaddrinfo(ai);
	}
	return 0;
}

static void needs_restart(void *arg, const char *setting)
{
	LOGP(DMAIN, LOGL_NOTICE, "SIGHUP: %s: it takes effect at the next restart\n", setting);
}

static void reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char err[512];
	struct itin_config *cfg = itin_config_load(d->ctx, d->config_path, err, sizeof(err));

	if (!cfg) {
		LOGP(DMAIN, LOGL_ERROR, "SIGHUP: config not reloaded: %s\n", err);
		return;
	}
	/* The keys are derived once, at the start: a rotation needs a restart. */
	if (!same_keys(&cfg->keys, &d->start_cfg->keys))
		LOGP(DMAIN, LOGL_NOTICE, "SIGHUP: the operator secrets changed; itinerad keeps "
		     "the keys it started with until it is restarted\n");
	/* compared with the start: a second reload warns again until the restart */
	itin_config_restart_changes(d->start_cfg, cfg, needs_restart, NULL);
	/* Links and the database stay as they are; the rules and texts change at once. The old
	 * config stays allocated: requests and links in flight may still point into it. */
	itin_requests_set_config(&cfg->service, cfg->templates);
	itin_sms_channel_set_config(d->sms, &cfg->service, &cfg->sms, &cfg->keywords);
	if (d->ussd)
		itin_ussd_gsup_set_config(d->ussd, &cfg->gsup, &cfg->service, cfg->templates);
	if (d->ussd_smpp)
		itin_ussd_smpp_set_config(d->ussd_smpp, &cfg->service, cfg->templates);
	d->cfg = cfg;
	LOGP(DMAIN, LOGL_NOTICE, "SIGHUP: config reloaded from %s\n", d->config_path);
}

/* Descriptors the daemon keeps from the admin endpoint, so that an attack on it never leaves
 * the SMSC, GSUP and database links unable to reconnect: two per SMSC link (a split bind),
 * one per pool connection (the standby's too), the lease's and GSUP's, and 32 for the process itself (standard streams, the
 * event loop and its signals, the log, name lookups, the listening socket, a reconnect that
 * opens before the old socket is closed). */
static unsigned fd_reserve(const struct itin_config *cfg)
{
	return 32 + 2 * cfg->smpp.num + cfg->database.pool_size * (cfg->database.read_conninfo[0] ? 2 : 1) +
	       1 + 1;
}

static int run(struct daemon *d)
{
	char err[512];
	char *conninfo;
	bool oom;
	struct event *sigterm, *sigint, *sighup;
	struct timeval tv = { 0, 100000 };

	if (itin_localtime_init(d->cfg->service.time_zone) < 0) {
		LOGP(DMAIN, LOGL_ERROR, "unknown time zone %s\n", d->cfg->service.time_zone);
		return 1;
	}
	d->base = event_base_new();
	conninfo = itin_db_conninfo(d->ctx, &d->cfg->database, ITIN_DB_ROLE_DAEMON, err, sizeof(err));
	if (!d->base || !conninfo) {
		LOGP(DMAIN, LOGL_ERROR, "%s\n", d->base ? err : "event base");
		return 1;
	}
	d->db = itin_db_pool_alloc(d->ctx, d->base, conninfo, d->cfg->database.pool_size,
				   itin_request_statements, itin_num_request_statements);
	d->lease_db = itin_db_pool_alloc(d->ctx, d->base, conninfo, 1, itin_lease_statements,
					 itin_num_lease_statements);
	if (!d->db || !d->lease_db ||
	    itin_requests_init(d->ctx, d->base, &d->cfg->service, d->cfg->templates,
			       &d->cfg->keys, &d->cfg->instance, d->db) < 0) {
		LOGP(DMAIN, LOGL_ERROR, "out of memory\n");
		return 1;
	}
	itin_db_pool_set_name(d->lease_db, "lease ");
	itin_requests_set_lease_db(d->lease_db);
	if (d->cfg->database.read_conninfo[0]) {
		char *read_conninfo = itin_db_conninfo_as(d->ctx, d->cfg->database.read_conninfo,
							  ITIN_DB_ROLE_DAEMON, err, sizeof(err));

		d->replica = read_conninfo ?
			itin_db_replica_alloc(d->ctx, d->base, read_conninfo,
					      d->cfg->database.pool_size,
					      d->cfg->database.max_read_lag_s, d->db) : NULL;
		if (!d->replica) {
			LOGP(DMAIN, LOGL_ERROR, "[database] read_conninfo: %s\n",
			     read_conninfo ? "out of memory" : err);
			return 1;
		}
		itin_requests_set_replica(d->replica);
	}
	if (!itin_db_schema_check_start(d->ctx, d->base, conninfo, schema_checked, d)) {
		LOGP(DMAIN, LOGL_ERROR, "out of memory\n");
		return 1;
	}
	d->sms = itin_sms_channel_alloc(d->ctx, d->base, &d->cfg->smpp, &d->cfg->service, &d->cfg->sms,
					&d->cfg->keywords);
	d->ussd = itin_ussd_gsup_alloc(d->ctx, d->base, &d->cfg->gsup, &d->cfg->service,
				       d->cfg->templates);
	d->ussd_smpp = itin_ussd_smpp_alloc(d->ctx, d->base, &d->cfg->smpp, &d->cfg->service,
					    d->cfg->templates, &oom);
	d->gsup_link = talloc_asprintf(d->ctx, "gsup %s:%u EUSE-%s", d->cfg->gsup.host,
				       d->cfg->gsup.port, d->cfg->gsup.euse_name);
	if (!d->sms || !d->gsup_link || (d->cfg->gsup.host[0] && !d->ussd) || oom) {
		LOGP(DMAIN, LOGL_ERROR, "out of memory\n");
		return 1;
	}
	d->admin = itin_admin_start(d->ctx, d->base,
				    &(struct itin_admin_options){
					.listen = d->cfg->admin.listen,
					.max_connections = d->cfg->admin.max_connections,
					.request_timeout_s = d->cfg->admin.request_timeout_s,
					.fd_reserve = fd_reserve(d->cfg) },
				    &(struct itin_admin_sources){ .db = d->db, .replica = d->replica,
								  .sms = d->sms,
								  .ussd = d->ussd,
								  .ussd_smpp = d->ussd_smpp,
								  .stopping = &d->stopping },
				    err, sizeof(err));
	if (!d->admin && err[0]) {
		LOGP(DMAIN, LOGL_ERROR, "%s\n", err);
		return 1;
	}
	d->db_wait = event_new(d->base, -1, EV_PERSIST, db_wait_cb, d);
	event_add(d->db_wait, &tv);
	sigterm = evsignal_new(d->base, SIGTERM, stop_cb, d);
	sigint = evsignal_new(d->base, SIGINT, stop_cb, d);
	sighup = evsignal_new(d->base, SIGHUP, reload_cb, d);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_add(sighup, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (itin_systemd_watchdog_start(d->ctx, d->base) < 0) {
		LOGP(DMAIN, LOGL_ERROR, "out of memory\n");
		return 1;
	}
	LOGP(DMAIN, LOGL_NOTICE, "itinerad " PACKAGE_VERSION " started (%u SMSC links, USSD %s%s)\n",
	     itin_sms_channel_num_links(d->sms), d->ussd ? "over GSUP" : d->ussd_smpp ? "" : "off",
	     !d->ussd_smpp ? "" : d->ussd ? " and SMPP" : "over SMPP");
	/* Ready for systemd once the admin endpoint listens: /readyz says when it serves. */
	itin_systemd_notify("READY=1");
	event_base_dispatch(d->base);
	LOGP(DMAIN, LOGL_NOTICE, "itinerad stopped\n");
	event_free(sigterm);
	event_free(sigint);
	event_free(sighup);
	event_free(d->db_wait);
	if (d->drain)
		event_free(d->drain);
	return d->exit_status;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "config-reference", no_argument, NULL, 'R' },
		{ "syslog", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* Before the config (and its secret) is read. */
	int no_dumps = itin_no_core_dumps();
	struct daemon d = { 0 };
	bool check = false, use_syslog = false;
	int level = LOGL_NOTICE, opt, rc;
	char err[512];

	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'R':
			itin_config_print_reference(stdout);
			return 0;
		case 's':
			use_syslog = true;
			break;
		case 'd':
			level = LOGL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("itinerad " PACKAGE_VERSION " (database schema %d)\n",
			       itin_db_schema_version());
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!d.config_path || optind != argc) {
		usage(stderr);
		return 1;
	}
	/* after the options: those that only print end without it */
	d.ctx = talloc_named_const(NULL, 0, "itinerad");
	d.cfg = itin_config_load(d.ctx, d.config_path, err, sizeof(err));
	d.start_cfg = d.cfg;
	if (!d.cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		if (check_addresses(d.cfg, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		printf("%s: OK\n", d.config_path);
		return 0;
	}
	if (itin_log_init(d.ctx, "itinerad", use_syslog, level) < 0) {
		fprintf(stderr, "logging could not be set up\n");
		return 1;
	}
	if (no_dumps < 0)
		LOGP(DMAIN, LOGL_ERROR, "core dumps could not be disabled (%s): a core file would hold "
		     "the keys\n", strerror(-no_dumps));
	rc = run(&d);
	/* The modules free their events and connections with their memory, before the base. */
	talloc_free(d.ctx);
	if (d.base)
		event_base_free(d.base);
	return rc;
}
