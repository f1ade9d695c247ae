/*
 * itinerad-smsc-load: an SMSC load generator for benchmarks (issues 4 and 9). It listens as
 * an SMSC, accepts one ESME bind (itinerad, or a Kannel bearerbox for the baseline), then sends
 * deliver_sm "CXMYD" from distinct subscribers (a permutation of MSISDN base+0 .. base+N-1, so
 * no subscriber repeats and neither deduplication nor rate limits kick in) at a fixed offered
 * rate or with a fixed number outstanding, answers every submit_sm, and measures each request
 * from the moment it was sent (or scheduled) to its last reply part (UDH part count). With
 * --consent it answers the prompt with "Y" and measures to the itinerary. Prints one line:
 *   completed, seconds, requests/s, p50, p99, p99.9 (ms), refused, unanswered.
 * With --dump FILE it also writes each reply part it counts, one line each (MSISDN, part number
 * and count from the UDH, data_coding, the text after the UDH in hex), so that a script can
 * check that replies arrive whole and alike from itinerad and from Kannel.
 * PDUs are packed and unpacked with libsmpp34. A benchmark tool: not part of the daemon.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

struct load {
	struct event_base *base;
	struct bufferevent *bev;
	uint64_t msisdn_base;
	uint32_t subscribers, stride, next;
	double rate;			/* offered requests/s; 0: keep `outstanding` in flight */
	unsigned outstanding, in_flight;
	double duration, start, last_send;
	uint64_t sent, completed, refused, seq;
	bool consent, sending, done;
	/* per subscriber: when its request was scheduled (0: idle), parts still expected */
	double *started;
	uint8_t *parts_left;
	uint8_t *phase;			/* consent: 0 waiting for the prompt, 1 for the itinerary */
	double *latency;
	size_t num_latency, size_latency;
	struct event *tick;
	FILE *dump;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void send_pdu(struct load *l, uint32_t id, void *pdu)
{
	uint8_t buf[1024];
	int len = 0;

	if (smpp34_pack(id, buf, sizeof(buf), &len, pdu) != 0) {
		fprintf(stderr, "smpp34_pack: %s\n", smpp34_strerror);
		exit(1);
	}
	bufferevent_write(l->bev, buf, len);
}

static void send_text(struct load *l, uint32_t sub, const char *text)
{
	deliver_sm_t d = { 0 };

	d.command_id = DELIVER_SM;
	d.sequence_number = ++l->seq;
	d.source_addr_ton = 1;
	d.source_addr_npi = 1;
	snprintf((char *)d.source_addr, sizeof(d.source_addr), "%llu",
		 (unsigned long long)(l->msisdn_base + sub));
	d.dest_addr_ton = 0;
	d.dest_addr_npi = 1;
	snprintf((char *)d.destination_addr, sizeof(d.destination_addr), "12306");
	d.data_coding = 0;
	d.sm_length = strlen(text);
	memcpy(d.short_message, text, d.sm_length);
	send_pdu(l, DELIVER_SM, &d);
}

static void start_request(struct load *l, double scheduled)
{
	uint32_t sub = (uint32_t)(((uint64_t)l->next++ * l->stride) % l->subscribers);

	if (l->started[sub] != 0)
		return;		/* wrapped around onto a request still in flight: skip it */
	l->started[sub] = scheduled;
	l->phase[sub] = 0;
	l->parts_left[sub] = 0;
	l->in_flight++;
	l->sent++;
	send_text(l, sub, "CXMYD");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static void finish(struct load *l)
{
	double secs = now() - l->start;
	double p50 = 0, p99 = 0, p999 = 0;

	if (l->num_latency) {
		qsort(l->latency, l->num_latency, sizeof(double), cmp_double);
		p50 = l->latency[(size_t)(0.5 * (l->num_latency - 1))];
		p99 = l->latency[(size_t)(0.99 * (l->num_latency - 1))];
		p999 = l->latency[(size_t)(0.999 * (l->num_latency - 1))];
	}
	printf("completed %llu seconds %.1f rate %.0f p50_ms %.2f p99_ms %.2f p999_ms %.2f "
	       "refused %llu unanswered %u\n", (unsigned long long)l->completed, secs,
	       l->completed / secs, p50 * 1e3, p99 * 1e3, p999 * 1e3,
	       (unsigned long long)l->refused, l->in_flight);
	fflush(stdout);
	l->done = true;
	event_base_loopexit(l->base, NULL);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load *l = arg;
	double t = now(), elapsed = t - l->start;

	if (elapsed >= l->duration) {
		/* Stop sending; give replies in flight a last second. */
		if (l->sending) {
			l->sending = false;
			l->duration += 1.0;
			return;
		}
		finish(l);
		return;
	}
	if (!l->sending)
		return;
	if (l->rate > 0) {
		uint64_t due = (uint64_t)(elapsed * l->rate);
		while (l->sent < due)
			start_request(l, l->start + l->sent / l->rate);
	} else {
		while (l->in_flight < l->outstanding)
			start_request(l, t);
	}
}

static void record(struct load *l, double latency)
{
	if (l->num_latency == l->size_latency) {
		l->size_latency = l->size_latency ? 2 * l->size_latency : 1 << 16;
		l->latency = realloc(l->latency, l->size_latency * sizeof(double));
	}
	l->latency[l->num_latency++] = latency;
}

static void dump_part(struct load *l, uint64_t msisdn, const submit_sm_t *s)
{
	unsigned udh = (s->esm_class & 0x40) && s->sm_length > 0 ? s->short_message[0] + 1u : 0;
	bool concat = udh >= 6 && s->short_message[1] == 0x00;

	fprintf(l->dump, "%llu %u %u %u ", (unsigned long long)msisdn,
		concat ? s->short_message[5] : 1, concat ? s->short_message[4] : 1, s->data_coding);
	for (unsigned i = udh; i < s->sm_length; i++)
		fprintf(l->dump, "%02x", s->short_message[i]);
	fputc('\n', l->dump);
}

static void on_submit(struct load *l, const submit_sm_t *s)
{
	submit_sm_resp_t r = { 0 };
	uint64_t msisdn = strtoull((const char *)s->destination_addr, NULL, 10);
	uint32_t sub;
	unsigned total = 1;

	r.command_id = SUBMIT_SM_RESP;
	r.sequence_number = s->sequence_number;
	snprintf((char *)r.message_id, sizeof(r.message_id), "%llu", (unsigned long long)++l->seq);
	send_pdu(l, SUBMIT_SM_RESP, &r);
	if (msisdn < l->msisdn_base || msisdn - l->msisdn_base >= l->subscribers)
		return;
	sub = msisdn - l->msisdn_base;
	if (l->started[sub] == 0)
		return;
	if ((s->esm_class & 0x40) && s->sm_length >= 6 && s->short_message[1] == 0x00)
		total = s->short_message[4];
	if (l->dump)
		dump_part(l, msisdn, s);
	if (l->parts_left[sub] == 0)
		l->parts_left[sub] = total;
	if (--l->parts_left[sub] > 0)
		return;
	if (l->consent && l->phase[sub] == 0) {
		l->phase[sub] = 1;
		send_text(l, sub, "Y");
		return;
	}
	record(l, now() - l->started[sub]);
	l->started[sub] = 0;
	l->in_flight--;
	l->completed++;
}

static void on_pdu(struct load *l, uint32_t id, const uint8_t *buf, int len)
{
	union {
		bind_transceiver_t bind;
		bind_transceiver_resp_t bind_resp;
		submit_sm_t submit;
		deliver_sm_resp_t deliver_resp;
		enquire_link_t enquire;
		unbind_t unbind;
	} u;
	union {
		enquire_link_resp_t enquire;
		unbind_resp_t unbind;
		generic_nack_t nack;
	} r;
	struct timeval tv = { 0, 1000 };

	memset(&u, 0, sizeof(u));
	memset(&r, 0, sizeof(r));
	if (smpp34_unpack(id, &u, buf, len) != 0) {
		r.nack.command_id = GENERIC_NACK;
		r.nack.command_status = ESME_RINVCMDID;
		r.nack.sequence_number = ntohl(*(const uint32_t *)(buf + 12));
		send_pdu(l, GENERIC_NACK, &r.nack);
		return;
	}
	switch (id) {
	case BIND_TRANSCEIVER: {
		bind_transceiver_resp_t resp = { 0 };
		resp.command_id = BIND_TRANSCEIVER_RESP;
		resp.sequence_number = u.bind.sequence_number;
		snprintf((char *)resp.system_id, sizeof(resp.system_id), "loadsmsc");
		send_pdu(l, BIND_TRANSCEIVER_RESP, &resp);
		l->start = now();
		l->sending = true;
		l->tick = event_new(l->base, -1, EV_PERSIST, tick_cb, l);
		event_add(l->tick, &tv);
		break;
	}
	case SUBMIT_SM:
		on_submit(l, &u.submit);
		break;
	case DELIVER_SM_RESP:
		if (u.deliver_resp.command_status != ESME_ROK)
			l->refused++;
		break;
	case ENQUIRE_LINK:
		r.enquire.command_id = ENQUIRE_LINK_RESP;
		r.enquire.sequence_number = u.enquire.sequence_number;
		send_pdu(l, ENQUIRE_LINK_RESP, &r.enquire);
		break;
	case UNBIND:
		r.unbind.command_id = UNBIND_RESP;
		r.unbind.sequence_number = u.unbind.sequence_number;
		send_pdu(l, UNBIND_RESP, &r.unbind);
		break;
	default:
		break;
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct load *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[8], buf[4096];

	while (evbuffer_get_length(in) >= 16) {
		uint32_t len, id;
		evbuffer_copyout(in, hdr, 8);
		len = ntohl(*(uint32_t *)hdr);
		id = ntohl(*(uint32_t *)(hdr + 4));
		if (len < 16 || len > sizeof(buf)) {
			fprintf(stderr, "bad PDU length %u\n", len);
			exit(1);
		}
		if (evbuffer_get_length(in) < len)
			return;
		evbuffer_remove(in, buf, len);
		on_pdu(l, id, buf, len);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct load *l = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		fprintf(stderr, "ESME connection closed\n");
		if (!l->done)
			finish(l);
	}
}

static void accept_cb(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa, int len,
		      void *arg)
{
	struct load *l = arg;
	int one = 1;

	if (l->bev) {
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	l->bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(l->bev, read_cb, NULL, event_cb, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "subscribers", required_argument, NULL, 'n' },
		{ "msisdn-base", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "outstanding", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "consent", no_argument, NULL, 'c' },
		{ "dump", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct load l = { .msisdn_base = 8613800000000ULL, .subscribers = 1000, .outstanding = 64,
			  .duration = 10 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int port = 2775, opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'n': l.subscribers = strtoul(optarg, NULL, 10); break;
		case 'b': l.msisdn_base = strtoull(optarg, NULL, 10); break;
		case 'r': l.rate = atof(optarg); break;
		case 'o': l.outstanding = atoi(optarg); break;
		case 'd': l.duration = atof(optarg); break;
		case 'c': l.consent = true; break;
		case 'D':
			if (!(l.dump = fopen(optarg, "w"))) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: itinerad-smsc-load --port P --subscribers N [--msisdn-base B] "
				"[--rate R | --outstanding K] [--duration S] [--consent] [--dump FILE]\n");
			return 1;
		}
	}
	/* A stride coprime with N walks every subscriber once before any repeats. */
	l.stride = 2654435761u % l.subscribers;
	while (l.subscribers > 1 && (l.stride == 0 || gcd(l.stride, l.subscribers) != 1))
		l.stride++;
	l.started = calloc(l.subscribers, sizeof(double));
	l.parts_left = calloc(l.subscribers, 1);
	l.phase = calloc(l.subscribers, 1);
	l.base = event_base_new();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (!l.started || !l.parts_left || !l.phase ||
	    !evconnlistener_new_bind(l.base, accept_cb, &l, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 16,
				     (struct sockaddr *)&sin, sizeof(sin))) {
		fprintf(stderr, "cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	event_base_dispatch(l.base);
	if (l.dump)
		fclose(l.dump);
	return l.done ? 0 : 1;
}
