/*
 * libFuzzer harness: the admin endpoint on arbitrary bytes, as a client sends them on a
 * connection: evhttp's request line, header and body parsing under our limits (8 KB of
 * headers, no body), our method filter, the routing to /metrics, /healthz, /readyz and the
 * rest, pipelined requests on one connection, and the connection tracking (the cap, the
 * deadline, the close callback). The input is written on a Unix socket the endpoint listens on
 * (admin.c's listener taken as it takes the TCP one), the client's half closed, the event loop
 * run until the endpoint has closed the connection; every connection must be gone then.
 * The modules admin.c reads are stubbed below with fixed values: one link not bound, so that
 * /readyz and /metrics take their longer paths.
 * sources: daemon/log.c
 */
#define PACKAGE_VERSION "fuzz"
#include "daemon/admin.c"

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>

#include "daemon/db_pool.h"

static char link_storage;

void itin_requests_get_stats(struct itin_request_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->actions[0][0][0] = 1;
}

const double itin_latency_bounds[ITIN_LATENCY_BUCKETS] = { 0.1 };

const char *itin_channel_name(enum itin_channel channel)
{
	return channel ? "ussd" : "sms";
}

const char *itin_intent_name(enum itin_intent intent)
{
	return "intent";
}

const char *itin_action_name(enum itin_action action)
{
	return "action";
}

unsigned itin_sms_channel_num_links(const struct itin_sms_channel *ch)
{
	return 1;
}

struct smpp_link *itin_sms_channel_link(const struct itin_sms_channel *ch, unsigned i)
{
	return (struct smpp_link *)&link_storage;
}

void itin_sms_channel_get_stats(const struct itin_sms_channel *ch, struct itin_sms_channel_stats *st)
{
	memset(st, 0, sizeof(*st));
}

bool smpp_link_is_bound(const struct smpp_link *link)
{
	return false;
}

const char *smpp_link_name(const struct smpp_link *link)
{
	return "fuzz-link";
}

void smpp_link_get_stats(const struct smpp_link *link, struct smpp_link_stats *st)
{
	memset(st, 0, sizeof(*st));
}

bool itin_db_pool_is_up(const struct itin_db_pool *pool)
{
	return true;
}

void itin_db_pool_get_stats(const struct itin_db_pool *pool, struct itin_db_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
}

bool itin_ussd_gsup_is_up(const struct itin_ussd_gsup *u)
{
	return false;
}

unsigned itin_ussd_gsup_sessions(const struct itin_ussd_gsup *u)
{
	return 0;
}

static struct event_base *base;
static struct itin_admin *admin;
static struct sockaddr_un addr;
static bool stopping;

static void setup(void)
{
	char dir[] = "/tmp/itin-fuzz-admin.XXXXXX";
	struct evconnlistener *lev;
	int fd;

	base = event_base_new();
	if (!base || !mkdtemp(dir) || itin_log_init(NULL, "fuzz_admin", false, LOGL_FATAL) < 0)
		abort();
	if (!getenv("ITIN_FUZZ_LOG"))
		log_set_all_filter(osmo_stderr_target, 0);
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/admin", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0 ||
	    evutil_make_socket_nonblocking(fd) < 0)
		abort();
	/* the path is not needed once bound and connected to: nothing is left behind */
	lev = evconnlistener_new(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, 16, fd);
	admin = admin_alloc(NULL, base, &(struct itin_admin_options){ .max_connections = 4,
								      .request_timeout_s = 1 },
			    &(struct itin_admin_sources){ .stopping = &stopping });
	if (!lev || !admin || admin_listen(admin, lev) < 0)
		abort();
	accepting(admin, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char answer[4096];
	size_t sent = 0;
	bool eof = false;
	int fd;

	if (!base)
		setup();
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    evutil_make_socket_nonblocking(fd) < 0)
		abort();
	/* write as the endpoint reads; once it has answered what it could, half-close (before,
	 * evhttp would drop pipelined requests at the EOF); read until it closes (a connection
	 * it never closes fails at the end) */
	for (int turns = 0, quiet = 0; !eof && turns < 10000; turns++) {
		ssize_t n;

		if (sent < size) {
			n = write(fd, data + sent, size - sent);
			if (n > 0)
				sent += n;
			else if (n < 0 && errno != EAGAIN)
				sent = size;	/* the endpoint closed: nothing more to write */
		} else if (quiet++ == 8) {
			shutdown(fd, SHUT_WR);
		}
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		while ((n = read(fd, answer, sizeof(answer))) > 0) {
			quiet = 0;
			if (getenv("ITIN_FUZZ_LOG"))
				fwrite(answer, 1, n, stderr);
		}
		eof = n == 0 || (n < 0 && errno != EAGAIN);
	}
	close(fd);
	for (int turns = 0; admin->num_conns && turns < 100; turns++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (!eof || admin->num_conns)
		abort();
	return 0;
}
