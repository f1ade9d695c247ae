/*
 * smpp_echo: a tiny test ESME on smpp_link, for the SMPP shell tests. It answers every
 * deliver_sm with deliver_sm_resp 0, then submits "ECHO:" + the text back to the sender
 * (data_coding 0); delivery receipts are acknowledged and counted, never echoed. It prints
 * one line per event to stdout and unbinds after N submits are done, or on SIGTERM.
 * It is test code: it is not part of the daemon and must not grow its logic.
 *
 * usage: smpp_echo [-m transceiver|split] [-e ENQUIRE_S] [-t TIMEOUT_S] [-w WINDOW]
 *                  [-r RATE] [-p PASSWORD] [-l LOGLEVEL] PORT N
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <talloc.h>

#include "common/config.h"
#include "common/log.h"
#include "smpp/smpp_link.h"

static struct event_base *base;
static unsigned submits_wanted, submits_done;
static struct smpp_link *the_link;

static void link_stopped(struct smpp_link *link, void *arg)
{
	struct smpp_link_stats st;

	smpp_link_get_stats(link, &st);
	printf("stopped: submitted %llu throttled %llu nacks_sent %llu receipts %llu delivered %llu\n",
	       st.submitted, st.throttled, st.nacks_sent, st.receipts, st.delivered);
	fflush(stdout);
	event_base_loopbreak(base);
}

static void link_bound(struct smpp_link *link, bool up)
{
	printf("%s\n", up ? "bound" : "unbound");
	fflush(stdout);
}

static void link_deliver(struct smpp_link *link, const struct smpp_deliver *d)
{
	uint8_t echo[SMPP_LINK_MSG_MAX];
	struct smpp_submit s = { .dst = d->src, .data_coding = 0, .esm_class = 0, .msg = echo };
	unsigned n = d->msg_len;
	int rc;

	printf("deliver from %s to %s esm_class 0x%02x data_coding %u%s: %.*s\n", d->src, d->dst,
	       d->esm_class, d->data_coding, d->is_receipt ? " receipt" : "", (int)d->msg_len,
	       (const char *)d->msg);
	fflush(stdout);
	smpp_link_deliver_resp(link, d->token, 0);
	if (d->is_receipt)
		return;
	if (n > sizeof(echo) - 5)
		n = sizeof(echo) - 5;
	memcpy(echo, "ECHO:", 5);
	memcpy(echo + 5, d->msg, n);
	s.msg_len = 5 + n;
	rc = smpp_link_submit(link, &s, NULL);
	if (rc < 0)
		printf("submit refused: %s\n", strerror(-rc));
}

static void link_submit_done(struct smpp_link *link, void *cookie, uint32_t status,
			     const char *message_id)
{
	printf("submit done: status 0x%08x message_id %s\n", status, message_id ? message_id : "-");
	fflush(stdout);
	if (++submits_done == submits_wanted)
		smpp_link_stop(link, link_stopped, NULL);
}

static const struct smpp_link_ops ops = {
	.bound = link_bound,
	.deliver = link_deliver,
	.submit_done = link_submit_done,
};

static void on_sigterm(evutil_socket_t fd, short what, void *arg)
{
	printf("SIGTERM\n");
	fflush(stdout);
	smpp_link_stop(the_link, link_stopped, NULL);
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "smpp_echo");
	struct itin_smpp_link_config cfg = {
		.name = "echo", .host = "127.0.0.1", .system_id = "itinerary", .password = "secret",
		.system_type = "", .bind_mode = ITIN_SMPP_BIND_TRANSCEIVER, .enquire_link_s = 60,
		.response_timeout_s = 5, .window = 10, .submit_rate = 0,
	};
	struct event *sigterm;
	int level = LOGL_NOTICE;
	int opt;

	while ((opt = getopt(argc, argv, "m:e:t:w:r:p:l:")) != -1) {
		switch (opt) {
		case 'm':
			cfg.bind_mode = strcmp(optarg, "split") ? ITIN_SMPP_BIND_TRANSCEIVER : ITIN_SMPP_BIND_SPLIT;
			break;
		case 'e':
			cfg.enquire_link_s = atoi(optarg);
			break;
		case 't':
			cfg.response_timeout_s = atoi(optarg);
			break;
		case 'w':
			cfg.window = atoi(optarg);
			break;
		case 'r':
			cfg.submit_rate = atoi(optarg);
			break;
		case 'p':
			cfg.password = optarg;
			break;
		case 'l':
			level = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: smpp_echo [-m MODE] [-e S] [-t S] [-w N] [-r N] [-p PW] PORT N\n");
		return 2;
	}
	cfg.port = atoi(argv[optind]);
	submits_wanted = atoi(argv[optind + 1]);
	if (itin_log_init(ctx, "smpp_echo", false, level) < 0)
		return 1;
	base = event_base_new();
	the_link = smpp_link_alloc(ctx, base, &cfg, "12306", &ops, NULL);
	sigterm = evsignal_new(base, SIGTERM, on_sigterm, NULL);
	if (!base || !the_link || !sigterm || evsignal_add(sigterm, NULL) < 0)
		return 1;
	if (smpp_link_start(the_link) < 0)
		return 1;
	event_base_dispatch(base);
	event_free(sigterm);
	talloc_free(the_link);
	event_base_free(base);
	talloc_free(ctx);
	return 0;
}
