/*
 * /metrics, /healthz and /readyz on evhttp. Every metric is written from the modules' counters
 * at the time of the scrape; names follow Prometheus conventions (itinerad_ prefix, _total for
 * counters, base units). Labels never carry a number or an IMSI: channel, intent, action and
 * the SMSC link's name from the config are the only label values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "daemon/admin.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/request.h"
#include "sms/sms_channel.h"
#include "sms/smpp_link.h"
#include "ussd/ussd_gsup.h"

struct itin_admin {
	struct evhttp *http;
	struct itin_admin_sources src;
	time_t started;
};

static void help(struct evbuffer *b, const char *name, const char *type, const char *text)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A metric without labels: its HELP and TYPE lines, then its one sample. */
static void metric(struct evbuffer *b, const char *name, const char *type, const char *text,
		   long long value)
{
	help(b, name, type, text);
	evbuffer_add_printf(b, "%s %lld\n", name, value);
}

static void requests_metrics(struct evbuffer *b)
{
	struct itin_request_stats st;

	itin_requests_get_stats(&st);
	help(b, "itinerad_requests_total", "counter",
	     "Requests recorded, by channel, what the subscriber asked and what the rules decided.");
	for (int c = 0; c < 2; c++)
		for (int i = 0; i <= ITIN_INTENT_UNKNOWN; i++)
			for (int a = 0; a <= ITIN_ACTION_BUSY; a++)
				if (st.actions[c][i][a])
					evbuffer_add_printf(b, "itinerad_requests_total{channel=\"%s\","
							    "intent=\"%s\",action=\"%s\"} %llu\n",
							    itin_channel_name(c), itin_intent_name(i),
							    itin_action_name(a), st.actions[c][i][a]);
	help(b, "itinerad_requests_refused_total", "counter",
	     "Requests that could not be recorded (the peer got a temporary error and retries).");
	for (int c = 0; c < 2; c++)
		evbuffer_add_printf(b, "itinerad_requests_refused_total{channel=\"%s\"} %llu\n",
				    itin_channel_name(c), st.refused[c]);
	help(b, "itinerad_replies_total", "counter",
	     "Requests finished: replied (or silent by the rules), or left pending for a retry.");
	for (int c = 0; c < 2; c++)
		evbuffer_add_printf(b, "itinerad_replies_total{channel=\"%s\",result=\"sent\"} %llu\n"
				       "itinerad_replies_total{channel=\"%s\",result=\"pending\"} %llu\n",
				    itin_channel_name(c), st.replied[c], itin_channel_name(c),
				    st.left_pending[c]);
	help(b, "itinerad_request_duration_seconds", "histogram",
	     "From the request decoded to its reply accepted by the peer.");
	for (int c = 0; c < 2; c++) {
		unsigned long long cum = 0;

		for (int i = 0; i < ITIN_LATENCY_BUCKETS; i++) {
			cum += st.latency[c][i];
			evbuffer_add_printf(b, "itinerad_request_duration_seconds_bucket{channel=\"%s\","
					       "le=\"%g\"} %llu\n", itin_channel_name(c),
					    itin_latency_bounds[i], cum);
		}
		cum += st.latency[c][ITIN_LATENCY_BUCKETS];
		evbuffer_add_printf(b, "itinerad_request_duration_seconds_bucket{channel=\"%s\","
				       "le=\"+Inf\"} %llu\n"
				       "itinerad_request_duration_seconds_sum{channel=\"%s\"} %.6f\n"
				       "itinerad_request_duration_seconds_count{channel=\"%s\"} %llu\n",
				    itin_channel_name(c), cum, itin_channel_name(c), st.latency_sum[c],
				    itin_channel_name(c), cum);
	}
	metric(b, "itinerad_requests_in_flight", "gauge",
	       "Requests accepted and not yet answered.", st.in_flight);
	metric(b, "itinerad_data_updated_timestamp_seconds", "gauge",
	       "The newest location event loaded (0: none yet).", st.data_updated_at);
	metric(b, "itinerad_feed_loaded_timestamp_seconds", "gauge",
	       "When itinerad-db last committed location events (0: never).", st.data_loaded_at);
}

static void sms_metrics(struct evbuffer *b, const struct itin_sms_channel *ch)
{
	struct itin_sms_channel_stats st;
	unsigned n = itin_sms_channel_num_links(ch);
	static const struct {
		const char *name, *type, *help;
	} link_metrics[] = {
		{ "itinerad_smpp_link_up", "gauge", "1 when every session of the SMSC link is bound." },
		{ "itinerad_smpp_window_outstanding", "gauge", "submit_sm sent and not yet answered." },
		{ "itinerad_smpp_queue_length", "gauge", "submit_sm waiting beyond the window." },
		{ "itinerad_smpp_binds_total", "counter", "Successful binds." },
		{ "itinerad_smpp_reconnects_total", "counter", "Connections lost and tried again." },
		{ "itinerad_smpp_submitted_total", "counter", "submit_sm accepted by the SMSC." },
		{ "itinerad_smpp_throttled_total", "counter",
		  "ESME_RTHROTTLED or ESME_RMSGQFUL answers (each pauses the link)." },
		{ "itinerad_smpp_generic_nacks_sent_total", "counter", "PDUs we could not parse." },
		{ "itinerad_smpp_delivered_total", "counter", "deliver_sm received (receipts included)." },
	};

	itin_sms_channel_get_stats(ch, &st);
	metric(b, "itinerad_sms_undecodable_total", "counter",
	       "deliver_sm whose text or sender could not be decoded (answered as unknown text).",
	       st.undecodable);
	metric(b, "itinerad_sms_receipts_total", "counter",
	       "Delivery receipts received and counted.", st.receipts);
	metric(b, "itinerad_sms_parts_total", "counter",
	       "Reply parts handed to an SMSC link.", st.parts);
	metric(b, "itinerad_sms_parts_failed_total", "counter",
	       "Reply parts an SMSC refused or lost.", st.parts_failed);
	for (unsigned m = 0; m < sizeof(link_metrics) / sizeof(link_metrics[0]); m++) {
		help(b, link_metrics[m].name, link_metrics[m].type, link_metrics[m].help);
		for (unsigned i = 0; i < n; i++) {
			const struct smpp_link *l = itin_sms_channel_link(ch, i);
			struct smpp_link_stats ls;
			unsigned long long v = 0;

			smpp_link_get_stats(l, &ls);
			switch (m) {
			case 0: v = smpp_link_is_bound(l); break;
			case 1: v = ls.outstanding; break;
			case 2: v = ls.queued; break;
			case 3: v = ls.binds; break;
			case 4: v = ls.reconnects; break;
			case 5: v = ls.submitted; break;
			case 6: v = ls.throttled; break;
			case 7: v = ls.nacks_sent; break;
			case 8: v = ls.delivered; break;
			}
			evbuffer_add_printf(b, "%s{link=\"%s\"} %llu\n", link_metrics[m].name,
					    smpp_link_name(l), v);
		}
	}
}

static void db_metrics(struct evbuffer *b, const struct itin_db_pool *db)
{
	struct itin_db_pool_stats st;

	itin_db_pool_get_stats(db, &st);
	metric(b, "itinerad_db_connections_up", "gauge",
	       "Pool connections ready.", st.connections_up);
	metric(b, "itinerad_db_queries_in_flight", "gauge",
	       "Statements sent and not yet committed.", st.in_flight);
	metric(b, "itinerad_db_queries_total", "counter",
	       "Statements done: committed, or answered when read-only.", st.executed);
	metric(b, "itinerad_db_errors_total", "counter",
	       "Statements failed, rolled back with their transaction, or lost with a connection.",
	       st.failed);
	metric(b, "itinerad_db_reconnects_total", "counter",
	       "Connections lost and made again.", st.reconnects);
}

static void metrics_cb(struct evhttp_request *r, void *arg)
{
	struct itin_admin *a = arg;
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		evhttp_send_error(r, HTTP_INTERNAL, NULL);
		return;
	}
	help(b, "itinerad_build_info", "gauge", "The running version.");
	evbuffer_add_printf(b, "itinerad_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
	metric(b, "itinerad_start_time_seconds", "gauge",
	       "When the process started.", a->started);
	requests_metrics(b);
	sms_metrics(b, a->src.sms);
	db_metrics(b, a->src.db);
	metric(b, "itinerad_gsup_link_up", "gauge",
	       "1 when the GSUP link to osmo-hlr is up.",
	       a->src.ussd && itin_ussd_gsup_is_up(a->src.ussd));
	metric(b, "itinerad_ussd_sessions", "gauge",
	       "USSD sessions open.", a->src.ussd ? itin_ussd_gsup_sessions(a->src.ussd) : 0);
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(r, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void text_reply(struct evhttp_request *r, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		evhttp_send_error(r, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(b, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "text/plain");
	evhttp_send_reply(r, code, reason, b);
	evbuffer_free(b);
}

static void healthz_cb(struct evhttp_request *r, void *arg)
{
	text_reply(r, HTTP_OK, "OK", "ok\n");
}

int itin_admin_readyz_body(struct evbuffer *b, const struct itin_readiness *r)
{
	int reasons = 0;

	if (r->stopping && ++reasons)
		evbuffer_add_printf(b, "stopping\n");
	if (!r->db_up && ++reasons)
		evbuffer_add_printf(b, "database: down\n");
	for (unsigned i = 0; i < r->num_links; i++)
		if (!r->link[i].bound && ++reasons)
			evbuffer_add_printf(b, "smpp %s: not bound\n", r->link[i].name);
	if (r->gsup_configured && !r->gsup_up && ++reasons)
		evbuffer_add_printf(b, "gsup: down\n");
	if (!reasons)
		evbuffer_add_printf(b, "ready\n");
	return reasons;
}

static void readyz_cb(struct evhttp_request *r, void *arg)
{
	struct itin_admin *a = arg;
	struct itin_readiness st = {
		.stopping = *a->src.stopping,
		.db_up = itin_db_pool_is_up(a->src.db),
		.num_links = OSMO_MIN(itin_sms_channel_num_links(a->src.sms), ITIN_MAX_SMPP_LINKS),
		.gsup_configured = a->src.ussd != NULL,
		.gsup_up = a->src.ussd && itin_ussd_gsup_is_up(a->src.ussd),
	};
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		evhttp_send_error(r, HTTP_INTERNAL, NULL);
		return;
	}
	for (unsigned i = 0; i < st.num_links; i++) {
		const struct smpp_link *l = itin_sms_channel_link(a->src.sms, i);

		st.link[i].name = smpp_link_name(l);
		st.link[i].bound = smpp_link_is_bound(l);
	}
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "text/plain");
	if (itin_admin_readyz_body(b, &st))
		evhttp_send_reply(r, 503, "Service Unavailable", b);
	else
		evhttp_send_reply(r, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void other_cb(struct evhttp_request *r, void *arg)
{
	text_reply(r, HTTP_NOTFOUND, "Not Found", "/metrics, /healthz, /readyz\n");
}

static int admin_destroy(struct itin_admin *a)
{
	if (a->http)
		evhttp_free(a->http);
	return 0;
}

struct itin_admin *itin_admin_start(void *ctx, struct event_base *base, const char *listen,
				    const struct itin_admin_sources *src, char *err, size_t err_len)
{
	struct itin_admin *a;
	const char *colon = strrchr(listen, ':');
	char host[64];
	unsigned long port;

	err[0] = '\0';
	if (!listen[0])
		return NULL;
	port = colon ? strtoul(colon + 1, NULL, 10) : 0;
	if (!colon || colon - listen >= (long)sizeof(host) || port == 0 || port > 65535) {
		snprintf(err, err_len, "admin listen '%s': not HOST:PORT", listen);
		return NULL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	a = talloc_zero(ctx, struct itin_admin);
	if (!a || !(a->http = evhttp_new(base))) {
		snprintf(err, err_len, "admin: out of memory");
		talloc_free(a);
		return NULL;
	}
	talloc_set_destructor(a, admin_destroy);
	a->src = *src;
	a->started = time(NULL);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(a->http, 10);
	if (evhttp_set_cb(a->http, "/metrics", metrics_cb, a) < 0 ||
	    evhttp_set_cb(a->http, "/healthz", healthz_cb, a) < 0 ||
	    evhttp_set_cb(a->http, "/readyz", readyz_cb, a) < 0) {
		snprintf(err, err_len, "admin: out of memory");
		talloc_free(a);
		return NULL;
	}
	evhttp_set_gencb(a->http, other_cb, a);
	if (evhttp_bind_socket(a->http, host, port) < 0) {
		snprintf(err, err_len, "admin: cannot listen on %s: %s", listen, strerror(errno));
		talloc_free(a);
		return NULL;
	}
	LOGP(DADMIN, LOGL_NOTICE, "admin endpoint on http://%s/metrics\n", listen);
	return a;
}

void itin_admin_stop(struct itin_admin *a)
{
	talloc_free(a);
}
