/*
 * /metrics, /healthz and /readyz on evhttp. Every metric is written from the modules' counters
 * at the time of the scrape; names follow Prometheus conventions (itinerad_ prefix, _total for
 * counters, base units). Labels never carry a number or an IMSI: channel, intent, action and
 * the SMSC link's name from the config are the only label values.
 * A client gets a bounded share: headers of 8 KB, no body, request_timeout for each request,
 * max_connections at once within the descriptors the rest of the daemon leaves (at the cap the
 * longest waiting connection makes room), and a pause instead of a spin when accept() fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/queue.h>
#include <sys/resource.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "daemon/admin.h"
#include "common/config.h"
#include "db/db_pool.h"
#include "db/db_replica.h"
#include "common/log.h"
#include "service/request.h"
#include "sms/sms_channel.h"
#include "smpp/smpp_link.h"
#include "ussd/ussd_gsup.h"
#include "ussd/ussd_smpp.h"

/* Request headers (request line included) larger than this are refused (libevent 2.1 answers
 * 400) and no more is read: a scraper's are a few hundred octets. */
#define ITIN_ADMIN_MAX_HEADERS 8192

/* A connection evhttp has accepted, counted against the cap until evhttp closes it. */
struct admin_conn {
	struct llist_head list;		/* in itin_admin.conns: the longest waiting first */
	struct itin_admin *admin;
	struct evhttp_connection *evcon;
	struct event *deadline;		/* request_timeout after the accept or the last answer */
	double since;			/* CLOCK_MONOTONIC of the accept or the last answer */
};

struct itin_admin {
	struct llist_head list;		/* in admins */
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener;
	struct itin_admin_sources src;
	time_t started;
	struct timeval timeout;
	unsigned max_conns;		/* the cap, within the descriptor budget */
	unsigned num_conns;		/* accepted and not yet closed, adopted or not */
	struct llist_head conns;	/* struct admin_conn */
	/* accepted in the current listener callback, their connection not yet known */
	struct bufferevent *adopt[16];
	unsigned num_adopt;
	struct event *adopt_ev;
	struct event *room_ev;		/* at the cap, until the oldest may be closed */
	double grace_s;			/* ITIN_ADMIN_GRACE_S (0 in the fuzz harness) */
	struct event *resume;		/* accepting again after a failed accept() */
	bool accept_failed;
	struct itin_log_limit evict_log, accept_log;	/* an attack must not flood the log */
	unsigned long long timed_out, evicted, accept_errors;
};

/* At the cap, a connection may be closed to make room once it has had this long to send its
 * request: a client that sends its request at once is answered even in a burst of them, and
 * slow senders are still closed fast enough (cap / grace per second) for the accept queue,
 * at most the listen backlog of 128, to move on within a second or so. */
#define ITIN_ADMIN_GRACE_S 0.1

/* evhttp gives the listener's error callback the evhttp, not ours: it finds us here. */
static LLIST_HEAD(admins);

static void conn_answering(struct itin_admin *a, struct evhttp_request *r);
static int conn_destroy(struct admin_conn *c);

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

/* A label value: a backslash and a double quote escaped (the exposition format). */
static void label_value(struct evbuffer *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			evbuffer_add(b, "\\", 1);
		evbuffer_add(b, s, 1);
	}
}

/* Each feed's last load, as itinerad-db load recorded it (migration 155), every feed at 0
 * before its first load; the refused lines by the loader's reasons. */
static void feed_load_metrics(struct evbuffer *b, const struct itin_feed_load *load)
{
	help(b, "itinerad_feed_last_load_timestamp_seconds", "gauge",
	     "When itinerad-db last finished loading the feed (0: never).");
	for (int f = 0; f < ITIN_FEEDS; f++)
		evbuffer_add_printf(b, "itinerad_feed_last_load_timestamp_seconds{feed=\"%s\"} %lld\n",
				    itin_feed_names[f], (long long)load[f].finished_at);
	help(b, "itinerad_feed_last_load_lines", "gauge",
	     "Data lines of the feed's last load: loaded, refused (malformed or out of range), "
	     "unknown (events: unknown cell; cells, risk: unknown region).");
	for (int f = 0; f < ITIN_FEEDS; f++)
		evbuffer_add_printf(b, "itinerad_feed_last_load_lines{feed=\"%s\",result=\"loaded\"} %llu\n"
				       "itinerad_feed_last_load_lines{feed=\"%s\",result=\"refused\"} %llu\n"
				       "itinerad_feed_last_load_lines{feed=\"%s\",result=\"unknown\"} %llu\n",
				    itin_feed_names[f], (unsigned long long)load[f].loaded,
				    itin_feed_names[f], (unsigned long long)load[f].refused,
				    itin_feed_names[f], (unsigned long long)load[f].unknown);
	help(b, "itinerad_feed_last_load_refused_lines", "gauge",
	     "Refused lines of the feed's last load by the loader's reason (none: none refused).");
	for (int f = 0; f < ITIN_FEEDS; f++) {
		for (unsigned i = 0; i < load[f].num_reasons; i++) {
			evbuffer_add_printf(b, "itinerad_feed_last_load_refused_lines{feed=\"%s\",reason=\"",
					    itin_feed_names[f]);
			label_value(b, load[f].reason[i].why);
			evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)load[f].reason[i].lines);
		}
	}
}

/* The channels in use: SMS always, USSD when [gsup] host is set or a link has ussd = yes. Their series are written from
 * the start, at zero, so that a rate() or an alert on them has something to read before the
 * first request; a channel not in use has none. */
static unsigned num_channels(const struct itin_admin *a)
{
	return a->src.ussd || a->src.ussd_smpp ? 2 : 1;
}

static void requests_metrics(struct evbuffer *b, unsigned channels)
{
	struct itin_request_stats st;

	itin_requests_get_stats(&st);
	help(b, "itinerad_requests_total", "counter",
	     "Requests recorded, by channel, what the subscriber asked and what the rules decided.");
	for (unsigned c = 0; c < channels; c++)
		for (int i = 0; i <= ITIN_INTENT_UNKNOWN; i++)
			for (int a = 0; a <= ITIN_ACTION_BUSY; a++)
				evbuffer_add_printf(b, "itinerad_requests_total{channel=\"%s\","
						    "intent=\"%s\",action=\"%s\"} %llu\n",
						    itin_channel_name(c), itin_intent_name(i),
						    itin_action_name(a), st.actions[c][i][a]);
	help(b, "itinerad_requests_refused_total", "counter",
	     "Requests that could not be recorded (the peer got a temporary error and retries).");
	for (unsigned c = 0; c < channels; c++)
		evbuffer_add_printf(b, "itinerad_requests_refused_total{channel=\"%s\"} %llu\n",
				    itin_channel_name(c), st.refused[c]);
	help(b, "itinerad_requests_unrecorded_total", "counter",
	     "Requests the database did not record within the reply deadline: the busy text.");
	for (int c = 0; c < 2; c++)
		evbuffer_add_printf(b, "itinerad_requests_unrecorded_total{channel=\"%s\"} %llu\n",
				    itin_channel_name(c), st.unrecorded[c]);
	help(b, "itinerad_replies_total", "counter",
	     "Requests finished: replied (or silent by the rules), or left pending for a retry.");
	for (unsigned c = 0; c < channels; c++)
		evbuffer_add_printf(b, "itinerad_replies_total{channel=\"%s\",result=\"sent\"} %llu\n"
				       "itinerad_replies_total{channel=\"%s\",result=\"pending\"} %llu\n",
				    itin_channel_name(c), st.replied[c], itin_channel_name(c),
				    st.left_pending[c]);
	help(b, "itinerad_requests_taken_over_total", "counter",
	     "SMS requests of instances whose lease ran out, answered by this one.");
	evbuffer_add_printf(b, "itinerad_requests_taken_over_total %llu\n", st.taken_over);
	help(b, "itinerad_audit_unrecorded_held", "gauge",
	     "Audit rows of busy texts to unrecorded requests waiting for the database.");
	evbuffer_add_printf(b, "itinerad_audit_unrecorded_held %llu\n", st.unaudited_held);
	help(b, "itinerad_audit_unrecorded_lost_total", "counter",
	     "Audit rows of busy texts lost: more waited for the database than are kept.");
	evbuffer_add_printf(b, "itinerad_audit_unrecorded_lost_total %llu\n", st.unaudited_lost);
	help(b, "itinerad_request_duration_seconds", "histogram",
	     "From the request decoded to its reply accepted by the peer.");
	for (unsigned c = 0; c < channels; c++) {
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
	metric(b, "itinerad_replies_capped_total", "counter",
	       "SMS replies not sent because [service] max_replies was reached.", st.capped);
	metric(b, "itinerad_verify_codes_issued_total", "counter",
	       "Verification codes stored with an itinerary reply.", st.codes_issued);
	metric(b, "itinerad_verify_checks_valid_total", "counter",
	       "Checks of a live verification code.", st.checks[0]);
	metric(b, "itinerad_verify_checks_invalid_total", "counter",
	       "Checks of a code not valid or expired.", st.checks[1]);
	metric(b, "itinerad_verify_checks_limited_total", "counter",
	       "Checks refused by [service] verify_checker_limit (answered once per period, "
	       "then silent).", st.checks[2] + st.checks[3]);
	metric(b, "itinerad_verify_capped_total", "counter",
	       "Checks refused because [service] verify_max_failures was reached.", st.verify_capped);
	metric(b, "itinerad_requests_in_flight", "gauge",
	       "Requests accepted and not yet answered.", st.in_flight);
	metric(b, "itinerad_data_updated_timestamp_seconds", "gauge",
	       "The newest location event loaded (0: none yet).", st.data_updated_at);
	metric(b, "itinerad_feed_loaded_timestamp_seconds", "gauge",
	       "When itinerad-db last committed location events (0: never).", st.data_loaded_at);
	metric(b, "itinerad_retention_timestamp_seconds", "gauge",
	       "When itinerad-db retention last ran to its end (0: never).", st.retention_at);
	metric(b, "itinerad_retention_kept_from_timestamp_seconds", "gauge",
	       "The first day the last retention kept, at local midnight (0: never ran).",
	       st.kept_from);
	feed_load_metrics(b, st.feed_load);
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
	metric(b, "itinerad_sms_foreign_total", "counter",
	       "deliver_sm from numbers outside the answered country codes (not answered).",
	       st.foreign);
	metric(b, "itinerad_sms_concat_parts_total", "counter",
	       "Parts of concatenated messages received (UDH or SAR TLVs).", st.concat_parts);
	help(b, "itinerad_sms_concat_messages_total", "counter",
	     "Concatenated messages: whole, or incomplete (timed out, or pushed out by the bounds) "
	     "and answered on their first part's keyword, or not answered.");
	evbuffer_add_printf(b, "itinerad_sms_concat_messages_total{result=\"whole\"} %llu\n"
			       "itinerad_sms_concat_messages_total{result=\"incomplete-answered\"} %llu\n"
			       "itinerad_sms_concat_messages_total{result=\"incomplete-dropped\"} %llu\n",
			    st.concat_whole, st.concat_answered, st.concat_dropped);
	metric(b, "itinerad_sms_concat_held", "gauge",
	       "Incomplete concatenated messages held, waiting for their other parts.", st.concat_held);
	metric(b, "itinerad_sms_receipts_total", "counter",
	       "Delivery receipts received and counted.", st.receipts);
	metric(b, "itinerad_sms_parts_total", "counter",
	       "Reply parts handed to an SMSC link.", st.parts);
	metric(b, "itinerad_sms_parts_failed_total", "counter",
	       "Reply parts an SMSC refused or lost.", st.parts_failed);
	for (unsigned m = 0; n && m < sizeof(link_metrics) / sizeof(link_metrics[0]); m++) {
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

/* The USSD gateways' links ([smpp NAME] with ussd = yes), by link. */
static void ussd_smpp_metrics(struct evbuffer *b, const struct itin_ussd_smpp *u)
{
	static const struct {
		const char *name, *type, *help;
	} link_metrics[] = {
		{ "itinerad_ussd_smpp_link_up", "gauge", "1 when every session of the USSD gateway's link is bound." },
		{ "itinerad_ussd_smpp_sessions", "gauge", "USSD sessions open on the link." },
		{ "itinerad_ussd_smpp_sessions_begun_total", "counter", "PSSR indications that opened a session." },
		{ "itinerad_ussd_smpp_screens_total", "counter", "Screens sent (ussd_service_op 2 or 17)." },
		{ "itinerad_ussd_smpp_aborts_sent_total", "counter",
		  "Sessions we ended without a screen (an empty PSSR response)." },
		{ "itinerad_ussd_smpp_ended_by_gateway_total", "counter", "Sessions the gateway ended or aborted." },
		{ "itinerad_ussd_smpp_refused_total", "counter",
		  "deliver_sm refused: no or an unknown ussd_service_op, no MSISDN, undecodable text." },
	};
	unsigned n = itin_ussd_smpp_num_links(u);

	for (unsigned m = 0; n && m < sizeof(link_metrics) / sizeof(link_metrics[0]); m++) {
		help(b, link_metrics[m].name, link_metrics[m].type, link_metrics[m].help);
		for (unsigned i = 0; i < n; i++) {
			const struct smpp_link *l = itin_ussd_smpp_link(u, i);
			struct itin_ussd_smpp_stats st;
			unsigned long long v = 0;

			itin_ussd_smpp_get_stats(u, i, &st);
			switch (m) {
			case 0: v = smpp_link_is_bound(l); break;
			case 1: v = st.sessions; break;
			case 2: v = st.begun; break;
			case 3: v = st.screens; break;
			case 4: v = st.aborts_sent; break;
			case 5: v = st.ended_by_gateway; break;
			case 6: v = st.refused; break;
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

/* The hot standby of [database] read_conninfo. */
static void replica_metrics(struct evbuffer *b, const struct itin_db_replica *r)
{
	struct itin_db_replica_stats st;

	itin_db_replica_get_stats(r, &st);
	metric(b, "itinerad_db_standby_in_use", "gauge",
	       "1 while the lookups go to the read_conninfo standby, 0 while to the primary.",
	       st.in_use);
	help(b, "itinerad_db_standby_lag_seconds", "gauge",
	     "How far the standby was behind at its last check (-1: not known).");
	evbuffer_add_printf(b, "itinerad_db_standby_lag_seconds %.3f\n", st.lag_s);
	metric(b, "itinerad_db_standby_lookups_total", "counter",
	       "Lookup statements answered by the standby.", st.lookups);
	metric(b, "itinerad_db_standby_fallbacks_total", "counter",
	       "Lookup statements that failed on the standby and went to the primary.",
	       st.fallbacks);
}

static void admin_metrics(struct evbuffer *b, const struct itin_admin *a)
{
	metric(b, "itinerad_admin_connections", "gauge",
	       "Admin HTTP connections open (this scrape's included).", a->num_conns);
	metric(b, "itinerad_admin_connections_limit", "gauge",
	       "Admin HTTP connections open at most ([admin] max_connections, or what the "
	       "descriptor limit leaves).", a->max_conns);
	help(b, "itinerad_admin_connections_closed_total", "counter",
	     "Admin connections we closed: no full request within [admin] request_timeout, or the "
	     "longest waiting one when a new connection came at the limit.");
	evbuffer_add_printf(b, "itinerad_admin_connections_closed_total{reason=\"timeout\"} %llu\n"
			       "itinerad_admin_connections_closed_total{reason=\"limit\"} %llu\n",
			    a->timed_out, a->evicted);
	metric(b, "itinerad_admin_accept_errors_total", "counter",
	       "accept() failures on the admin socket, e.g. out of descriptors (each pauses "
	       "accepting for 1 s).", a->accept_errors);
}

/* libevent 2.1 writes the body of a HEAD answer too, without a Content-Length, which a client
 * reading the next answer on the connection would take for its status line. */
static void send_reply(struct evhttp_request *r, int code, const char *reason, struct evbuffer *b)
{
	if (evhttp_request_get_command(r) == EVHTTP_REQ_HEAD)
		evbuffer_drain(b, evbuffer_get_length(b));
	evhttp_send_reply(r, code, reason, b);
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
	send_reply(r, code, reason, b);
	evbuffer_free(b);
}

/* Only /log takes a POST. */
static bool method_fits(struct evhttp_request *r)
{
	if (evhttp_request_get_command(r) != EVHTTP_REQ_POST)
		return true;
	text_reply(r, HTTP_BADMETHOD, "Method Not Allowed", "POST only to /log\n");
	return false;
}

/* The start of a GET answer: the buffer of its body, or NULL when the request is already
 * answered (a method that does not fit, or no memory). */
static struct evbuffer *answer_start(struct itin_admin *a, struct evhttp_request *r)
{
	struct evbuffer *b;

	conn_answering(a, r);
	if (!method_fits(r))
		return NULL;
	if (!(b = evbuffer_new()))
		evhttp_send_error(r, HTTP_INTERNAL, NULL);
	return b;
}

static void metrics_cb(struct evhttp_request *r, void *arg)
{
	struct itin_admin *a = arg;
	struct evbuffer *b = answer_start(a, r);

	if (!b)
		return;
	help(b, "itinerad_build_info", "gauge", "The running version.");
	evbuffer_add_printf(b, "itinerad_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
	metric(b, "itinerad_start_time_seconds", "gauge",
	       "When the process started.", a->started);
	requests_metrics(b, num_channels(a));
	sms_metrics(b, a->src.sms);
	if (a->src.ussd_smpp)
		ussd_smpp_metrics(b, a->src.ussd_smpp);
	db_metrics(b, a->src.db);
	if (a->src.replica)
		replica_metrics(b, a->src.replica);
	/* Only with a GSUP link configured: a link that does not exist is not down. */
	if (a->src.ussd) {
		metric(b, "itinerad_gsup_link_up", "gauge",
		       "1 when the GSUP link to osmo-hlr is up.", itin_ussd_gsup_is_up(a->src.ussd));
		metric(b, "itinerad_ussd_sessions", "gauge",
		       "USSD sessions open.", itin_ussd_gsup_sessions(a->src.ussd));
	}
	admin_metrics(b, a);
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	send_reply(r, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void healthz_cb(struct evhttp_request *r, void *arg)
{
	conn_answering(arg, r);
	if (method_fits(r))
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
	struct evbuffer *b = answer_start(a, r);

	if (!b)
		return;
	for (unsigned i = 0; i < st.num_links; i++) {
		const struct smpp_link *l = itin_sms_channel_link(a->src.sms, i);

		st.link[i].name = smpp_link_name(l);
		st.link[i].bound = smpp_link_is_bound(l);
	}
	for (unsigned i = 0; i < itin_ussd_smpp_num_links(a->src.ussd_smpp) &&
	     st.num_links < ITIN_MAX_SMPP_LINKS; i++, st.num_links++) {
		const struct smpp_link *l = itin_ussd_smpp_link(a->src.ussd_smpp, i);

		st.link[st.num_links].name = smpp_link_name(l);
		st.link[st.num_links].bound = smpp_link_is_bound(l);
	}
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "text/plain");
	if (itin_admin_readyz_body(b, &st))
		send_reply(r, 503, "Service Unavailable", b);
	else
		send_reply(r, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* A peer on this host: loopback, in IPv4 or IPv6. */
static bool peer_is_local(struct evhttp_request *r)
{
	char *addr = NULL;
	ev_uint16_t port;

	evhttp_connection_get_peer(evhttp_request_get_connection(r), &addr, &port);
	return addr && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
			strncmp(addr, "::ffff:127.", 11) == 0);
}

static void print_level(void *arg, const char *category, const char *level)
{
	evbuffer_add_printf(arg, "%s %s\n", category, level);
}

/* The query of POST /log applied: every CATEGORY=LEVEL pair checked first, so that a bad one
 * changes nothing. NULL, or what was wrong. */
static const char *set_levels(struct evhttp_request *r, char *why, size_t len)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r));
	struct evkeyvalq params;
	struct evkeyval *kv;
	const char *err = NULL;

	TAILQ_INIT(&params);
	if (!query || evhttp_parse_query_str(query, &params) < 0 || TAILQ_EMPTY(&params)) {
		evhttp_clear_headers(&params);
		return "usage: POST /log?CATEGORY=LEVEL[&...] (a category of GET /log or all; "
		       "debug, info, notice, error or fatal)\n";
	}
	TAILQ_FOREACH(kv, &params, next) {
		int rc = itin_log_set_level(kv->key, kv->value, false);

		if (rc < 0) {
			snprintf(why, len, rc == -ENOENT ? "unknown category %s\n" :
				 "unknown level %s (debug, info, notice, error or fatal)\n",
				 rc == -ENOENT ? kv->key : kv->value);
			err = why;
			break;
		}
	}
	TAILQ_FOREACH(kv, &params, next) {
		if (err)
			break;
		itin_log_set_level(kv->key, kv->value, true);
		LOGP(DMAIN, LOGL_NOTICE, "admin: log level of %s set to %s\n", kv->key, kv->value);
	}
	evhttp_clear_headers(&params);
	return err;
}

/* GET /log: each category's level; POST /log?CATEGORY=LEVEL changes it until the next start,
 * from this host only: the endpoint may listen on a management address that scrapers reach,
 * and a level of debug everywhere would fill the journal. */
static void log_cb(struct evhttp_request *r, void *arg)
{
	struct evbuffer *b;
	char why[160];
	const char *err;

	conn_answering(arg, r);
	if (evhttp_request_get_command(r) == EVHTTP_REQ_POST) {
		if (!peer_is_local(r)) {
			text_reply(r, 403, "Forbidden", "log levels are changed from this host only\n");
			return;
		}
		err = set_levels(r, why, sizeof(why));
		if (err) {
			text_reply(r, HTTP_BADREQUEST, "Bad Request", err);
			return;
		}
	}
	b = evbuffer_new();
	if (!b) {
		evhttp_send_error(r, HTTP_INTERNAL, NULL);
		return;
	}
	itin_log_levels(print_level, b);
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "text/plain");
	send_reply(r, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void print_ussd_session(void *arg, const char *masked, uint32_t id, const char *state,
			       long open_s)
{
	evbuffer_add_printf(arg, "  session %s %u %s %lds\n", masked, id, state, open_s);
}

/* The USSD gateways' links, each with its state and open sessions (MSISDNs masked):
 * "link NAME bound|down sessions N", then "  session ***1234 ID STATE AGEs" lines. */
static void ussd_cb(struct evhttp_request *r, void *arg)
{
	struct itin_admin *a = arg;
	struct evbuffer *b = answer_start(a, r);
	const struct itin_ussd_smpp *u = a->src.ussd_smpp;

	if (!b)
		return;
	if (a->src.ussd)
		evbuffer_add_printf(b, "gsup %s sessions %u\n",
				    itin_ussd_gsup_is_up(a->src.ussd) ? "up" : "down",
				    itin_ussd_gsup_sessions(a->src.ussd));
	for (unsigned i = 0; i < itin_ussd_smpp_num_links(u); i++) {
		const struct smpp_link *l = itin_ussd_smpp_link(u, i);
		struct itin_ussd_smpp_stats st;

		itin_ussd_smpp_get_stats(u, i, &st);
		evbuffer_add_printf(b, "link %s %s sessions %u\n", smpp_link_name(l),
				    smpp_link_is_bound(l) ? "bound" : "down", st.sessions);
		itin_ussd_smpp_walk(u, i, print_ussd_session, b);
	}
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type", "text/plain");
	send_reply(r, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void other_cb(struct evhttp_request *r, void *arg)
{
	conn_answering(arg, r);
	if (method_fits(r))
		text_reply(r, HTTP_NOTFOUND, "Not Found", "/metrics, /healthz, /readyz, /log, /ussd\n");
}

static double now_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

static void accepting(struct itin_admin *a, bool on)
{
	if (on && !a->accept_failed && a->num_conns < a->max_conns &&
	    a->num_adopt < ARRAY_SIZE(a->adopt))
		evconnlistener_enable(a->listener);
	else if (!on)
		evconnlistener_disable(a->listener);
}

/* evhttp frees the connection: its socket is closed, its slot free. */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct admin_conn *c = arg;
	struct itin_admin *a = c->admin;

	llist_del(&c->list);
	talloc_free(c);
	a->num_conns--;
	accepting(a, true);
}

static void conn_close(struct admin_conn *c, unsigned long long *counter)
{
	(*counter)++;
	evhttp_connection_free(c->evcon);
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct admin_conn *c = arg;

	LOGP(DADMIN, LOGL_DEBUG, "admin: a connection without a full request for %lds: closed\n",
	     (long)c->admin->timeout.tv_sec);
	conn_close(c, &c->admin->timed_out);
}

/* A request arrived in full: its connection's deadline starts again (for the answer to be
 * written and for a next request on the connection), and it is now the last to be evicted. */
static void conn_answering(struct itin_admin *a, struct evhttp_request *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r);
	struct admin_conn *c;

	llist_for_each_entry(c, &a->conns, list) {
		if (c->evcon == evcon) {
			llist_del(&c->list);
			llist_add_tail(&c->list, &a->conns);
			c->since = now_s();
			evtimer_add(c->deadline, &a->timeout);
			return;
		}
	}
}

/* Each connection evhttp accepts gets its bufferevent here; evhttp passes the connection as
 * the bufferevent's callback argument, and that argument is only set once this returns, so
 * the connection is taken into account just after (adopt_cb, before any of its events). */
static struct bufferevent *conn_bev_cb(struct event_base *base, void *arg)
{
	struct itin_admin *a = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);

	if (!bev) {
		/* evhttp tries to make its own; the connection is not counted */
		LOGP(DADMIN, LOGL_ERROR, "admin: out of memory for a connection\n");
		return NULL;
	}
	/* a reference of ours, in case evhttp frees the connection before adopt_cb */
	bufferevent_incref(bev);
	a->adopt[a->num_adopt++] = bev;
	a->num_conns++;
	event_active(a->adopt_ev, EV_TIMEOUT, 0);
	/* no more in this callback than the cap and our array allow; adopt_cb resumes */
	if (a->num_conns >= a->max_conns || a->num_adopt == ARRAY_SIZE(a->adopt))
		accepting(a, false);
	return bev;
}

/* At the cap, the connection that has waited longest for its request (or idled longest since
 * its answer) is closed for the next one in the accept queue, once it has had its grace: a slow
 * sender cannot hold a slot for long, and a scraper waiting behind slow senders gets in. */
static void make_room(struct itin_admin *a)
{
	struct admin_conn *oldest;
	double wait;

	if (a->num_conns >= a->max_conns && !llist_empty(&a->conns)) {
		oldest = llist_first_entry(&a->conns, struct admin_conn, list);
		wait = oldest->since + a->grace_s - now_s();
		if (wait > 0) {
			struct timeval tv = { .tv_sec = (long)wait,
					      .tv_usec = (long)((wait - (long)wait) * 1e6) + 1 };

			evtimer_add(a->room_ev, &tv);
			return;
		}
		LOGP_LIMITED(&a->evict_log, DADMIN, LOGL_NOTICE, "admin: %u connections, the limit: the "
			     "oldest are closed to make room (%llu so far)", a->num_conns, a->evicted + 1);
		conn_close(oldest, &a->evicted);
	}
	accepting(a, true);
}

static void room_cb(evutil_socket_t fd, short what, void *arg)
{
	make_room(arg);
}

static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_admin *a = arg;

	for (unsigned i = 0; i < a->num_adopt; i++) {
		struct bufferevent *bev = a->adopt[i];
		bufferevent_event_cb eventcb;
		void *evcon;
		struct admin_conn *c;

		bufferevent_getcb(bev, NULL, NULL, &eventcb, &evcon);
		if (!eventcb || evhttp_connection_get_bufferevent(evcon) != bev) {
			/* evhttp has already let go of it */
			a->num_conns--;
		} else if (!(c = talloc_zero(a, struct admin_conn)) ||
			   !(c->deadline = evtimer_new(a->base, conn_deadline_cb, c))) {
			LOGP(DADMIN, LOGL_ERROR, "admin: out of memory, connection closed\n");
			talloc_free(c);
			evhttp_connection_free(evcon);
			a->num_conns--;
		} else {
			talloc_set_destructor(c, conn_destroy);
			c->admin = a;
			c->evcon = evcon;
			c->since = now_s();
			llist_add_tail(&c->list, &a->conns);
			evtimer_add(c->deadline, &a->timeout);
			evhttp_connection_set_closecb(evcon, conn_closed, c);
		}
		bufferevent_decref(bev);
	}
	a->num_adopt = 0;
	make_room(a);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct itin_admin *a = arg;

	a->accept_failed = false;
	accepting(a, true);
}

/* accept() failed for a reason other than a retry (EMFILE, ENFILE, ENOBUFS): the pending
 * connection stays in the queue and the listener would be woken again at once, so it pauses
 * for a second instead of spinning. */
static void accept_error_cb(struct evconnlistener *lev, void *http)
{
	struct itin_admin *a;
	int err = EVUTIL_SOCKET_ERROR();

	llist_for_each_entry(a, &admins, list) {
		if (a->http != http)
			continue;
		a->accept_errors++;
		LOGP_LIMITED(&a->accept_log, DADMIN, LOGL_NOTICE, "admin: cannot accept a connection: "
			     "%s; paused for 1 s (%llu so far)", strerror(err), a->accept_errors);
		a->accept_failed = true;
		accepting(a, false);
		event_add(a->resume, &(struct timeval){ .tv_sec = 1 });
		return;
	}
}

static int conn_destroy(struct admin_conn *c)
{
	event_free(c->deadline);
	return 0;
}

static int admin_destroy(struct itin_admin *a)
{
	struct admin_conn *c, *tmp;

	llist_del(&a->list);
	/* evhttp_free() closes the connections: without our close callback, as their memory
	 * goes with ours */
	llist_for_each_entry_safe(c, tmp, &a->conns, list) {
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		llist_del(&c->list);
		talloc_free(c);
	}
	for (unsigned i = 0; i < a->num_adopt; i++)
		bufferevent_decref(a->adopt[i]);
	if (a->http)
		evhttp_free(a->http);
	if (a->adopt_ev)
		event_free(a->adopt_ev);
	if (a->room_ev)
		event_free(a->room_ev);
	if (a->resume)
		event_free(a->resume);
	return 0;
}

/* The endpoint without its socket: the handlers, the limits, the connection tracking. */
static struct itin_admin *admin_alloc(void *ctx, struct event_base *base,
				      const struct itin_admin_options *opt,
				      const struct itin_admin_sources *src)
{
	struct itin_admin *a = talloc_zero(ctx, struct itin_admin);

	if (!a)
		return NULL;
	INIT_LLIST_HEAD(&a->conns);
	llist_add(&a->list, &admins);
	talloc_set_destructor(a, admin_destroy);
	a->base = base;
	a->src = *src;
	a->started = time(NULL);
	a->max_conns = opt->max_connections;
	a->timeout.tv_sec = opt->request_timeout_s;
	a->grace_s = ITIN_ADMIN_GRACE_S;
	if (!(a->http = evhttp_new(base)) ||
	    !(a->adopt_ev = event_new(base, -1, 0, adopt_cb, a)) ||
	    !(a->room_ev = evtimer_new(base, room_cb, a)) ||
	    !(a->resume = evtimer_new(base, resume_cb, a)) ||
	    evhttp_set_cb(a->http, "/metrics", metrics_cb, a) < 0 ||
	    evhttp_set_cb(a->http, "/healthz", healthz_cb, a) < 0 ||
	    evhttp_set_cb(a->http, "/readyz", readyz_cb, a) < 0 ||
	    evhttp_set_cb(a->http, "/log", log_cb, a) < 0 ||
	    evhttp_set_cb(a->http, "/ussd", ussd_cb, a) < 0) {
		talloc_free(a);
		return NULL;
	}
	evhttp_set_gencb(a->http, other_cb, a);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(a->http, ITIN_ADMIN_MAX_HEADERS);
	/* GET and HEAD carry none, nor POST /log (its query says it all); a body is refused (413) */
	evhttp_set_max_body_size(a->http, 0);
	/* the idle timeout too, for a reply the client does not read */
	evhttp_set_timeout(a->http, opt->request_timeout_s);
	evhttp_set_bevcb(a->http, conn_bev_cb, a);
	return a;
}

/* Takes the listening socket's listener: accepts stop at the cap and after a failed accept. */
static int admin_listen(struct itin_admin *a, struct evconnlistener *lev)
{
	if (!evhttp_bind_listener(a->http, lev)) {
		evconnlistener_free(lev);
		return -ENOMEM;
	}
	a->listener = lev;
	evconnlistener_set_error_cb(lev, accept_error_cb);
	return 0;
}

/* The descriptors the endpoint may use: max_connections, less when the process limit minus
 * what the rest of the daemon needs (reserve) leaves fewer. */
static int admin_budget(unsigned wanted, unsigned reserve, char *err, size_t err_len)
{
	struct rlimit rl;
	rlim_t left;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return wanted;
	left = rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 0;
	if (left < 1) {
		snprintf(err, err_len, "admin: the descriptor limit (%llu, ulimit -n, LimitNOFILE) "
			 "leaves none for the admin endpoint: the rest of itinerad needs %u",
			 (unsigned long long)rl.rlim_cur, reserve);
		return -EMFILE;
	}
	if (left < wanted) {
		LOGP(DADMIN, LOGL_NOTICE, "admin: at most %llu connections, not %u: the descriptor "
		     "limit is %llu and the rest of itinerad keeps %u\n", (unsigned long long)left,
		     wanted, (unsigned long long)rl.rlim_cur, reserve);
		return left;
	}
	return wanted;
}

struct itin_admin *itin_admin_start(void *ctx, struct event_base *base,
				    const struct itin_admin_options *opt,
				    const struct itin_admin_sources *src, char *err, size_t err_len)
{
	struct itin_admin *a;
	struct itin_admin_options o = *opt;
	const char *listen = opt->listen;
	struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					 .ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG };
	struct evutil_addrinfo *ai = NULL;
	struct evconnlistener *lev;
	char host[ITIN_HOST_MAX + 1], port[6];
	int budget, rc;

	err[0] = '\0';
	if (!listen[0])
		return NULL;
	if (itin_config_split_address(listen, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, err_len, "admin listen '%s': not ADDRESS:PORT or [IPV6]:PORT", listen);
		return NULL;
	}
	budget = admin_budget(opt->max_connections, opt->fd_reserve, err, err_len);
	if (budget < 0)
		return NULL;
	o.max_connections = budget;
	a = admin_alloc(ctx, base, &o, src);
	if (!a) {
		snprintf(err, err_len, "admin: out of memory");
		return NULL;
	}
	rc = evutil_getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, err_len, "admin listen '%s': %s", listen, evutil_gai_strerror(rc));
		talloc_free(a);
		return NULL;
	}
	lev = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
				      LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED, 128, ai->ai_addr,
				      ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (!lev) {
		snprintf(err, err_len, "admin: cannot listen on %s: %s", listen,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		talloc_free(a);
		return NULL;
	}
	if (admin_listen(a, lev) < 0) {
		snprintf(err, err_len, "admin: out of memory");
		talloc_free(a);
		return NULL;
	}
	accepting(a, true);
	LOGP(DADMIN, LOGL_NOTICE, "admin endpoint on http://%s/metrics (at most %u connections, "
	     "%us for a request)\n", listen, a->max_conns, opt->request_timeout_s);
	return a;
}

void itin_admin_stop(struct itin_admin *a)
{
	talloc_free(a);
}
