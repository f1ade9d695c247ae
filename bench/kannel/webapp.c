/*
 * itinerad-kannel-webapp: the small web application of the Kannel baseline (issue 9), written
 * the way an operator would put the itinerary service behind Kannel's smsbox: an sms-service
 * get-url calls GET /itinerary?from=%p, and the body of the answer is the SMS reply. It runs
 * the same lookup (sql/lookup.sql, prepared), the same engine (itinerary rules, reply texts,
 * SMS parts) and so answers the text itinerad would send, consent off. Prefork: N worker
 * processes share the listening socket; each is one libevent evhttp loop with one blocking
 * libpq connection, one request at a time (as PHP-FPM or a CGI pool would be). A benchmark
 * tool only: no consent, no rate limits, no audit.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libpq-fe.h>
#include <talloc.h>

#include "common/config.h"
#include "db/db_connect.h"
#include "db/db_lookup.h"
#include "db/db_sql.h"
#include "engine/itinerary.h"
#include "common/localtime.h"
#include "common/msisdn.h"
#include "engine/reply_text.h"
#include "common/subscriber_key.h"
#include "engine/gsm_text.h"
#include "engine/sms_segment.h"

#define REFRESH_S 60		/* data freshness and risk list re-read this often, as itinerad */
#define MAX_PARTS 16

struct webapp {
	void *ctx;
	const struct itin_config *cfg;
	const char *conninfo;
	PGconn *conn;
	struct itin_subscriber_keyer *keyer;
	int64_t updated_at, refreshed_at;
	struct itin_risk *risks;
	unsigned num_risks;
};

static int webapp_connect(struct webapp *w)
{
	char err[512];
	PGresult *res;

	if (w->conn)
		PQfinish(w->conn);
	w->conn = itin_db_connect_blocking(w->conninfo, err, sizeof(err));
	if (!w->conn) {
		fprintf(stderr, "webapp: %s\n", err);
		return -EIO;
	}
	res = PQprepare(w->conn, "lookup", itin_sql_lookup, 3, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "webapp: preparing the lookup: %s", PQerrorMessage(w->conn));
		PQclear(res);
		return -EIO;
	}
	PQclear(res);
	w->refreshed_at = 0;
	return 0;
}

/* Freshness and risks are the same for every subscriber: re-read once a minute. */
static void webapp_refresh(struct webapp *w, int64_t now)
{
	struct itin_risk *risks;
	unsigned num;
	PGresult *res;

	if (now - w->refreshed_at < REFRESH_S)
		return;
	res = PQexec(w->conn, itin_sql_freshness);
	w->updated_at = itin_freshness_from_result(res);
	PQclear(res);
	res = PQexec(w->conn, itin_sql_risks);
	if (itin_risks_from_result(w->ctx, res, &risks, &num) == 0) {
		talloc_free(w->risks);
		w->risks = risks;
		w->num_risks = num;
	}
	PQclear(res);
	w->refreshed_at = now;
}

/* The text of the SMS parts itinerad would send (its segmenter decides which places fit in
 * max_parts), back in UTF-8, and the Kannel coding: 0 GSM 7-bit, 2 UCS2. */
static char *webapp_sms_text(void *ctx, const struct itin_config *cfg, const struct itin_reply *reply,
			     int *coding)
{
	struct itin_sms_part parts[MAX_PARTS];
	int n = itin_sms_segment(reply, cfg->service.max_parts, 0, parts, MAX_PARTS);
	char *text = talloc_strdup(ctx, "");
	char buf[4 * 160 + 1];

	if (n <= 0 || !text)
		return NULL;
	*coding = parts[0].data_coding == 8 ? 2 : 0;
	for (int i = 0; i < n; i++) {
		unsigned skip = parts[i].udhi ? parts[i].msg[0] + 1 : 0;
		int len = parts[i].data_coding == 8 ?
			itin_text_decode_ucs2(parts[i].msg + skip, parts[i].msg_len - skip, buf, sizeof(buf)) :
			itin_text_decode_gsm_unpacked(parts[i].msg + skip, parts[i].msg_len - skip, buf,
						      sizeof(buf));
		if (len < 0 || !(text = talloc_strdup_append_buffer(text, buf)))
			return NULL;
	}
	return text;
}

/* The reply for one MSISDN as Kannel's %p gives it ("+8613800000001"), or NULL. */
static char *webapp_reply(struct webapp *w, void *ctx, const char *from, int *coding)
{
	const struct itin_config *cfg = w->cfg;
	uint8_t key[ITIN_SUBSCRIBER_KEY_LEN];
	struct itin_lookup_params params;
	struct itin_lookup lookup;
	struct itin_itinerary itinerary;
	int64_t now = time(NULL);
	struct itin_reply_args args = { .now = now };
	struct itin_reply *reply;
	char e164[16], mask[16];
	PGresult *res;
	int rc;

	if (itin_msisdn_normalize(from[0] == '+' ? from + 1 : from, from[0] == '+' ? 1 : 3,
				  cfg->service.country_code, e164) < 0 ||
	    itin_msisdn_mask(e164, cfg->service.country_code, mask) < 0)
		return NULL;
	webapp_refresh(w, now);
	itin_subscriber_key_msisdn(w->keyer, e164, key);
	itin_lookup_params_set(&params, &cfg->service, key, NULL, now);
	res = PQexecPrepared(w->conn, "lookup", 3, params.values, NULL, NULL, 0);
	rc = itin_lookup_from_result(ctx, res, &lookup);
	if (rc < 0) {
		fprintf(stderr, "webapp: lookup: %s", PQresultErrorMessage(res));
		PQclear(res);
		if (PQstatus(w->conn) != CONNECTION_OK)
			webapp_connect(w);
		return NULL;
	}
	PQclear(res);
	/* Like itinerad for an MSISDN: an unknown subscriber reads "no data". */
	if (itin_itinerary_build(ctx, &cfg->service, lookup.rows, lookup.num_rows, w->risks,
				 w->num_risks, now, &itinerary) < 0)
		return NULL;
	args.mask = mask;
	args.updated_at = w->updated_at;
	args.itinerary = &itinerary;
	reply = itin_reply_render(ctx, &cfg->service, cfg->templates,
				  itinerary.num_visits ? ITIN_TEXT_ITINERARY : ITIN_TEXT_NO_DATA,
				  cfg->service.default_lang, &args);
	return reply ? webapp_sms_text(ctx, cfg, reply, coding) : NULL;
}

static void webapp_request_cb(struct evhttp_request *req, void *arg)
{
	struct webapp *w = arg;
	void *ctx = talloc_new(w->ctx);
	struct evkeyvalq query;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *from;
	char *text = NULL;
	int coding = 0;

	TAILQ_INIT(&query);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !uri || !evhttp_uri_get_query(uri) ||
	    evhttp_parse_query_str(evhttp_uri_get_query(uri), &query) < 0 ||
	    !(from = evhttp_find_header(&query, "from"))) {
		evhttp_send_error(req, HTTP_BADREQUEST, "usage: GET /itinerary?from=MSISDN");
		goto out;
	}
	text = webapp_reply(w, ctx, from, &coding);
	if (!text) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		goto out;
	}
	/* smsbox converts the body from this charset into the coding of X-Kannel-Coding (the
	 * sms-service needs accept-x-kannel-headers); without it, Chinese goes out as "?". */
	evhttp_add_header(out, "Content-Type", "text/plain; charset=UTF-8");
	evhttp_add_header(out, "X-Kannel-Coding", coding == 2 ? "2" : "0");
	/* headers and body leave in one write (evhttp buffers both): no Nagle wait */
	evbuffer_add(evhttp_request_get_output_buffer(req), text, strlen(text));
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
out:
	evhttp_clear_headers(&query);
	talloc_free(ctx);
}

static int webapp_worker(struct webapp *w, evutil_socket_t fd)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;

	if (!http || webapp_connect(w) < 0)
		return 1;
	w->keyer = itin_subscriber_keyer_alloc(w->ctx, &w->cfg->keys.key[0]);
	if (!w->keyer || evhttp_accept_socket(http, fd) < 0)
		return 1;
	evhttp_set_gencb(http, webapp_request_cb, w);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
	event_base_dispatch(base);
	return 0;
}

static evutil_socket_t webapp_listen(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit it: what a web server does for keep-alive answers (nginx's
	 * tcp_nodelay on). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 128) < 0 ||
	    evutil_make_socket_nonblocking(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static volatile sig_atomic_t webapp_stop;

static void webapp_signal(int sig)
{
	webapp_stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct webapp w = { .ctx = talloc_named_const(NULL, 0, "webapp") };
	const char *config_path = getenv("ITINERAD_CONFIG");
	struct itin_config *cfg;
	struct sigaction sa = { .sa_handler = webapp_signal };
	pid_t *workers;
	char err[512];
	int port = 24880, num_workers = 2, opt;
	evutil_socket_t fd;

	while ((opt = getopt_long(argc, argv, "c:", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'w': num_workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: itinerad-kannel-webapp [-c FILE] [--port P] [--workers N]\n");
			return 1;
		}
	}
	cfg = config_path ? itin_config_load(w.ctx, config_path, err, sizeof(err)) : NULL;
	if (!cfg) {
		fprintf(stderr, "%s\n", config_path ? err : "webapp: no config (-c or ITINERAD_CONFIG)");
		return 1;
	}
	if (itin_localtime_init(cfg->service.time_zone) < 0) {
		fprintf(stderr, "unknown time zone %s\n", cfg->service.time_zone);
		return 1;
	}
	w.cfg = cfg;
	w.conninfo = itin_db_conninfo(w.ctx, &cfg->database, ITIN_DB_ROLE_DAEMON, err, sizeof(err));
	if (!w.conninfo) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	fd = webapp_listen(port);
	if (fd < 0 || num_workers < 1) {
		fprintf(stderr, "webapp: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	workers = talloc_zero_array(w.ctx, pid_t, num_workers);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < num_workers; i++) {
		workers[i] = fork();
		if (workers[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			return webapp_worker(&w, fd);
		}
	}
	/* The parent only waits: a worker that dies ends the application (a benchmark must not
	 * go on with fewer workers than it says). */
	while (!webapp_stop && wait(NULL) < 0 && errno == EINTR)
		;
	for (int i = 0; i < num_workers; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
