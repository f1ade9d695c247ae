/*
 * The admin endpoint on an IPv6 address: itin_admin_start with "[ADDRESS]:PORT" listens
 * there and answers /healthz (once "cannot listen on [::1]:PORT: Success"); a listen that does
 * not split is refused with its reason. Run by tests/ops/listen.sh, which skips it on a machine
 * without ::1. Ports 26600-26601.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <osmocom/core/logging.h>
#include <talloc.h>

#include "daemon/admin.h"
#include "common/log.h"

static void answered(struct evhttp_request *r, void *arg)
{
	struct evbuffer *b;

	if (!r) {
		printf("  GET /healthz: no answer\n");
	} else {
		b = evhttp_request_get_input_buffer(r);
		printf("  GET /healthz: %d %.*s", evhttp_request_get_response_code(r),
		       (int)evbuffer_get_length(b), (const char *)evbuffer_pullup(b, -1));
	}
	event_base_loopexit(arg, NULL);
}

static void try_listen(void *ctx, struct event_base *base, const char *listen,
		       const char *client_host, unsigned short port)
{
	struct itin_admin_options opt = { .listen = listen, .max_connections = 4,
					  .request_timeout_s = 5, .fd_reserve = 32 };
	bool stopping = false;
	struct itin_admin_sources src = { .stopping = &stopping };
	struct evhttp_connection *c;
	struct evhttp_request *r;
	struct itin_admin *a;
	char err[256];

	printf("listen = %s\n", listen);
	a = itin_admin_start(ctx, base, &opt, &src, err, sizeof(err));
	if (!a) {
		printf("  refused: %s\n", err);
		return;
	}
	c = evhttp_connection_base_new(base, NULL, client_host, port);
	r = evhttp_request_new(answered, base);
	if (!c || !r || evhttp_make_request(c, r, EVHTTP_REQ_GET, "/healthz") < 0) {
		printf("  no request\n");
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(r), "Host", "localhost");
		event_base_dispatch(base);
	}
	if (c)
		evhttp_connection_free(c);
	itin_admin_stop(a);
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "admin_listen_test");
	struct event_base *base = event_base_new();

	if (!base || itin_log_init(ctx, "admin_listen_test", false, LOGL_ERROR) < 0)
		return 1;
	try_listen(ctx, base, "[::1]:26600", "::1", 26600);
	try_listen(ctx, base, "127.0.0.1:26601", "127.0.0.1", 26601);
	try_listen(ctx, base, "::1:26600", "::1", 26600);
	try_listen(ctx, base, "[::1]:", "::1", 26600);
	event_base_free(base);
	talloc_free(ctx);
	return 0;
}
