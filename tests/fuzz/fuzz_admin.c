/*
 * libFuzzer harness: the admin endpoint on arbitrary bytes, as a client sends them on a
 * connection: evhttp's request line, header and body parsing under our limits (8 KB of
 * headers, no body), our method filter, the routing to /metrics, /healthz, /readyz and the
 * rest, pipelined requests on one connection, and the connection tracking (the cap, the
 * deadline, the close callback). The input is written on a Unix socket the endpoint listens on
 * (admin.c's listener taken as it takes the TCP one), the client's half closed, the event loop
 * run until the endpoint has closed the connection; every connection must be gone then. An
 * input starting with a digit 1 to 6 is shared out among that many connections at once, past
 * the cap of 4.
 * The modules admin.c reads are stubbed below with fixed values: one link not bound, so that
 * /readyz and /metrics take their longer paths.
 * sources: common/log.c
 */
#define PACKAGE_VERSION "fuzz"
#include "daemon/admin.c"

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>

#include "db/db_pool.h"

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

	/* as itinerad does: a write to a connection the endpoint closed fails with EPIPE */
	signal(SIGPIPE, SIG_IGN);
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
	/* the loop here does not wait: at the cap, room is made at once */
	admin->grace_s = 0;
	accepting(admin, true);
}

/* A client of the endpoint with its share of the input. */
struct client {
	int fd;
	const uint8_t *data;
	size_t size, sent;
	int quiet;
	bool eof;
};

/* Writes as the endpoint reads; once the endpoint has answered what it could, half-closes
 * (before, evhttp would drop pipelined requests at the EOF); reads until the endpoint closes.
 * Returns whether the client is done. */
static bool client_turn(struct client *c)
{
	char answer[4096];
	ssize_t n;

	if (c->eof)
		return true;
	if (c->sent < c->size) {
		n = write(c->fd, c->data + c->sent, c->size - c->sent);
		if (n > 0)
			c->sent += n;
		else if (n < 0 && errno != EAGAIN)
			c->sent = c->size;	/* the endpoint closed: nothing more to write */
	} else if (c->quiet++ == 8) {
		shutdown(c->fd, SHUT_WR);
	}
	while ((n = read(c->fd, answer, sizeof(answer))) > 0) {
		c->quiet = 0;
		if (getenv("ITIN_FUZZ_LOG"))
			fwrite(answer, 1, n, stderr);
	}
	c->eof = n == 0 || (n < 0 && errno != EAGAIN);
	return c->eof;
}

/* The input goes to one connection; one that starts with a digit 1 to 6 is split into that
 * many connections open at once, beyond the cap of 4, so that the longest waiting is closed
 * to make room. Every connection must be closed by the endpoint in the end, none counted. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client clients[6];
	unsigned num = 1;
	bool done = false;

	if (!base)
		setup();
	if (size && data[0] >= '1' && data[0] <= '6') {
		num = data[0] - '0';
		data++;
		size--;
	}
	for (unsigned i = 0; i < num; i++) {
		struct client *c = &clients[i];

		*c = (struct client){ .data = data + size * i / num,
				      .size = size * (i + 1) / num - size * i / num };
		c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
		    evutil_make_socket_nonblocking(c->fd) < 0)
			abort();
	}
	for (int turns = 0; !done && turns < 10000; turns++) {
		done = true;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		for (unsigned i = 0; i < num; i++)
			done &= client_turn(&clients[i]);
	}
	for (unsigned i = 0; i < num; i++)
		close(clients[i].fd);
	for (int turns = 0; admin->num_conns && turns < 100; turns++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (!done || admin->num_conns)
		abort();
	return 0;
}
