/*
 * itinerad-smsc-load: an SMSC load generator for benchmarks (issues 4 and 9). It listens as
 * an SMSC, accepts one ESME bind (itinerad, or a Kannel bearerbox for the baseline), then sends
 * deliver_sm "CXMYD" from distinct subscribers (a permutation of MSISDN base+0 .. base+N-1, so
 * no subscriber repeats and neither deduplication nor rate limits kick in; when a run walks
 * through all of them, the next walk writes the keyword in another case, "cxmyd", "Cxmyd", ...,
 * so that a repeat is a new message, not the SMSC's redelivery of one) at a fixed offered
 * rate or with a fixed number outstanding, answers every submit_sm, and measures each request
 * from the moment it was sent (or scheduled) to its last reply part (UDH part count). With
 * --consent it answers the prompt with "Y" and measures to the itinerary. Prints one line:
 *   completed, seconds, requests/s, p50, p99, p99.9 (ms), refused, unanswered.
 * With --dump FILE it also writes each reply part it counts, one line each (MSISDN, part number
 * and count from the UDH, data_coding, the text after the UDH in hex), so that a script can
 * check that replies arrive whole and alike from itinerad and from Kannel.
 * With --warmup SECS, requests sent in the first SECS seconds are answered but not counted
 * (each new PostgreSQL backend of the ESME first maps the shared buffers it touches: seconds
 * of extra CPU after a start); --duration includes them.
 * With --interval SECS it also prints, every SECS seconds, a line for the requests completed in
 * that interval (elapsed seconds, completed, requests/s, p50, p99, p99.9) for soak runs.
 * With --faults LOG it plays an SMSC under faults (issue 8, tests/faults/load.sh): a deliver_sm
 * answered with an error, or left unanswered when its connection closed, is delivered again
 * 1 s later (after the next bind), as an SMSC does; a new bind is taken after the connection
 * closed, and SIGUSR1 closes it (the link cut); a request counts as completed once a
 * deliver_sm of it was acknowledged and its reply is whole; after --duration, it waits up to
 * 60 s for every request to complete (and 1 s more for late copies). LOG gets one line per
 * event, times in Unix seconds: "bind T CONN", "closed T CONN esme|cut", "deliver T MSISDN
 * CONN" (each deliver_sm sent), "resp T MSISDN STATUS MS CONN" (a deliver_sm_resp, its status
 * in hex, ms after the deliver_sm), "lost T MSISDN CONN" (unanswered when CONN closed), "part
 * T MSISDN PART TOTAL DATA_CODING HEX CONN" (every submit_sm, the text after the UDH) and,
 * last, "end T completed N open N". --window K keeps at most K deliver_sm unanswered, as an
 * SMSC's window does.
 * With --ussd it plays a USSD gateway instead (issue 24): each request is a USSD session, a
 * deliver_sm "*#14#" with ussd_service_op 1 (PSSR indication) and its_session_info; a menu
 * (submit_sm with ussd_service_op 2) is answered with a USSR confirm (18), "1" to the consent
 * menu (--consent), else "0"; the session is complete at the last screen (17).
 * PDUs are packed and unpacked with libsmpp34. A benchmark tool: not part of the daemon.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
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

#include "bench/load_common.h"

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
	bool ussd;			/* --ussd: sessions of a USSD gateway */
	/* per subscriber: when its request was scheduled (0: idle), parts still expected */
	double *started;
	uint32_t *parts_got;		/* bit i: part i + 1 arrived */
	uint8_t *parts_total;		/* 0: no part yet */
	uint8_t *phase;			/* consent: 0 waiting for the prompt, 1 for the itinerary */
	uint8_t *walk;			/* the walk that started its request: its keyword's case */
	double *latency;
	size_t num_latency, size_latency;
	double warmup;			/* --warmup: seconds not counted at the start */
	double interval, next_report;	/* --interval: seconds between reports, next one due */
	size_t report_from;		/* first latency of the current interval */
	struct event *tick;
	FILE *dump;
	unsigned window, unanswered;	/* deliver_sm without a response, at most window (0: any) */
	/* --faults: per subscriber, its one request's deliver_sm and whether its reply is whole */
	FILE *log;
	unsigned conn;			/* connections taken, the current one's number */
	bool bound;			/* the current one is bound: deliver_sm may go */
	struct event *cut;		/* SIGUSR1 */
	uint8_t *fstate;
	uint32_t *dseq;			/* the sequence number of its deliver_sm in flight */
	double *dsent;
	uint32_t *seq_sub;		/* sequence number % SEQ_RING -> subscriber */
	uint32_t *retry;		/* FIFO of subscribers to deliver again, each once at most */
	double *retry_at;
	uint32_t retry_head, retry_len;
	double drain_until;
};

enum fault_state { F_IDLE, F_SENT, F_RETRY, F_ACCEPTED };
#define SEQ_RING 65536
#define RETRY_S 1.0
#define DRAIN_S 60.0

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
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

/* The query keyword as the walk through the subscribers that sent it writes it. */
static const char *keyword_of_walk(uint8_t walk)
{
	static const char *const texts[] = { "CXMYD", "cxmyd", "Cxmyd", "cXMYD", "CxMyD", "cXmYd" };

	return texts[walk % (sizeof(texts) / sizeof(texts[0]))];
}

/* The next deliver_sm from subscriber sub to dest, text its short message. */
static void deliver_init(struct load *l, deliver_sm_t *d, uint32_t sub, const char *dest,
			 const char *text)
{
	*d = (deliver_sm_t){ 0 };
	d->command_id = DELIVER_SM;
	d->sequence_number = ++l->seq;
	d->source_addr_ton = 1;
	d->source_addr_npi = 1;
	snprintf((char *)d->source_addr, sizeof(d->source_addr), "%llu",
		 (unsigned long long)(l->msisdn_base + sub));
	d->dest_addr_ton = 0;
	d->dest_addr_npi = 1;
	snprintf((char *)d->destination_addr, sizeof(d->destination_addr), "%s", dest);
	d->sm_length = strlen(text);
	memcpy(d->short_message, text, d->sm_length);
}

static void send_text(struct load *l, uint32_t sub, const char *text)
{
	deliver_sm_t d;

	deliver_init(l, &d, sub, "12306", text);
	send_pdu(l, DELIVER_SM, &d);
	l->unanswered++;
	if (l->log) {
		l->fstate[sub] = F_SENT;
		l->dseq[sub] = d.sequence_number;
		l->dsent[sub] = load_now();
		l->seq_sub[d.sequence_number % SEQ_RING] = sub;
		fprintf(l->log, "deliver %.3f %s %u\n", wall(), (const char *)d.source_addr, l->conn);
	}
}

/* --ussd: a deliver_sm of subscriber sub's session, ussd_service_op op. */
static void send_ussd(struct load *l, uint32_t sub, uint8_t op, const char *text)
{
	deliver_sm_t d;
	tlv_t t = { .tag = TLVID_ussd_service_op, .length = 1 };

	deliver_init(l, &d, sub, "*#14#", text);
	t.value.octet[0] = op;
	build_tlv(&d.tlv, &t);
	t = (tlv_t){ .tag = TLVID_its_session_info, .length = 2 };
	t.value.val16 = (uint16_t)((sub & 0xff) << 8);
	build_tlv(&d.tlv, &t);
	send_pdu(l, DELIVER_SM, &d);
	destroy_tlv(d.tlv);
	l->unanswered++;
}

static uint8_t ussd_op_of(const submit_sm_t *s)
{
	tlv_t *t;

	for (t = s->tlv; t; t = t->next) {
		if (t->tag == TLVID_ussd_service_op)
			return t->value.octet[0];
	}
	return 0;
}

static bool window_open(const struct load *l)
{
	return l->bound && (l->window == 0 || l->unanswered < l->window);
}

/* --faults: delivered again RETRY_S from now, as an SMSC does after an error or a lost link. */
static void retry_later(struct load *l, uint32_t sub)
{
	uint32_t tail = (l->retry_head + l->retry_len++) % l->subscribers;

	l->fstate[sub] = F_RETRY;
	l->retry[tail] = sub;
	l->retry_at[tail] = load_now() + RETRY_S;
}

static void retry_due(struct load *l, double t)
{
	while (l->retry_len && l->retry_at[l->retry_head] <= t && window_open(l)) {
		uint32_t sub = l->retry[l->retry_head];

		l->retry_head = (l->retry_head + 1) % l->subscribers;
		l->retry_len--;
		send_text(l, sub, keyword_of_walk(l->walk[sub]));
	}
}

static void start_request(struct load *l, double scheduled)
{
	uint8_t walk = (uint8_t)(l->next / l->subscribers);
	uint32_t sub = (uint32_t)(((uint64_t)l->next++ * l->stride) % l->subscribers);

	if (l->started[sub] != 0)
		return;		/* wrapped around onto a request still in flight: skip it */
	l->started[sub] = scheduled;
	l->phase[sub] = 0;
	l->walk[sub] = walk;
	l->parts_got[sub] = 0;
	l->parts_total[sub] = 0;
	l->in_flight++;
	l->sent++;
	if (l->ussd)
		send_ussd(l, sub, 1, "*#14#");
	else
		send_text(l, sub, keyword_of_walk(walk));
}

/* One --interval line: the requests completed since the previous one. */
static void report_interval(struct load *l, double elapsed)
{
	size_t n = l->num_latency - l->report_from;
	double p[3];

	load_percentiles(l->latency + l->report_from, n, p);
	printf("interval %.0f completed %zu rate %.0f p50_ms %.2f p99_ms %.2f p999_ms %.2f\n",
	       elapsed, n, n / l->interval, p[0], p[1], p[2]);
	fflush(stdout);
	l->report_from = l->num_latency;
	l->next_report += l->interval;
}

static void finish(struct load *l)
{
	double secs = load_now() - l->start - l->warmup;
	double p[3];

	if (l->log) {
		fprintf(l->log, "end %.3f completed %llu open %u\n", wall(),
			(unsigned long long)l->completed, l->in_flight);
		fflush(l->log);
	}

	load_percentiles(l->latency, l->num_latency, p);
	printf("completed %llu seconds %.1f rate %.0f p50_ms %.2f p99_ms %.2f p999_ms %.2f "
	       "refused %llu unanswered %u\n", (unsigned long long)l->completed, secs,
	       l->completed / secs, p[0], p[1], p[2], (unsigned long long)l->refused, l->in_flight);
	fflush(stdout);
	l->done = true;
	event_base_loopexit(l->base, NULL);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load *l = arg;
	double t = load_now(), elapsed = t - l->start;

	if (l->interval > 0 && elapsed >= l->next_report)
		report_interval(l, elapsed);
	if (l->log)
		retry_due(l, t);
	if (elapsed >= l->duration) {
		/* Stop sending; give replies in flight a last second (under faults, first wait
		 * for every request to complete). */
		if (l->sending) {
			l->sending = false;
			l->drain_until = l->duration + DRAIN_S;
			l->duration += 1.0;
			return;
		}
		if (l->log && l->in_flight && elapsed < l->drain_until) {
			l->duration = elapsed + 1.0;
			return;
		}
		finish(l);
		return;
	}
	if (!l->sending)
		return;
	if (l->rate > 0) {
		/* Request k is due at k / rate, and its latency counts from then. */
		uint64_t due = (uint64_t)(elapsed * l->rate) + 1;
		while (l->sent < due && window_open(l))
			start_request(l, l->start + l->sent / l->rate);
	} else {
		while (l->in_flight < l->outstanding && window_open(l))
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

static void log_part(struct load *l, const submit_sm_t *s)
{
	unsigned udh = (s->esm_class & 0x40) && s->sm_length > 0 ? s->short_message[0] + 1u : 0;
	bool concat = udh >= 6 && s->short_message[1] == 0x00;

	fprintf(l->log, "part %.3f %s %u %u %u ", wall(), (const char *)s->destination_addr,
		concat ? s->short_message[5] : 1, concat ? s->short_message[4] : 1, s->data_coding);
	for (unsigned i = udh; i < s->sm_length; i++)
		fprintf(l->log, "%02x", s->short_message[i]);
	fprintf(l->log, " %u\n", l->conn);
}

static bool reply_whole(const struct load *l, uint32_t sub)
{
	unsigned total = l->parts_total[sub];

	return total && total <= 31 && l->parts_got[sub] == (1u << total) - 1;
}

static void complete(struct load *l, uint32_t sub)
{
	if (l->started[sub] >= l->start + l->warmup) {
		record(l, load_now() - l->started[sub]);
		l->completed++;
	}
	l->started[sub] = 0;
	l->in_flight--;
}

static void on_submit(struct load *l, const submit_sm_t *s)
{
	submit_sm_resp_t r = { 0 };
	uint64_t msisdn = strtoull((const char *)s->destination_addr, NULL, 10);
	uint32_t sub;
	unsigned total = 1, part = 1;

	r.command_id = SUBMIT_SM_RESP;
	r.sequence_number = s->sequence_number;
	snprintf((char *)r.message_id, sizeof(r.message_id), "%llu", (unsigned long long)++l->seq);
	send_pdu(l, SUBMIT_SM_RESP, &r);
	if (l->log)
		log_part(l, s);
	if (msisdn < l->msisdn_base || msisdn - l->msisdn_base >= l->subscribers)
		return;
	sub = msisdn - l->msisdn_base;
	if (l->started[sub] == 0)
		return;
	if (l->ussd) {
		if (ussd_op_of(s) == 17) {
			complete(l, sub);
		} else if (l->consent && l->phase[sub] == 0) {
			l->phase[sub] = 1;
			send_ussd(l, sub, 18, "1");
		} else {
			send_ussd(l, sub, 18, "0");
		}
		return;
	}
	if ((s->esm_class & 0x40) && s->sm_length >= 6 && s->short_message[1] == 0x00) {
		total = s->short_message[4];
		part = s->short_message[5];
	}
	if (l->dump)
		dump_part(l, msisdn, s);
	/* Counted by part number: a part sent again (after a lost link) is not a new one. */
	l->parts_total[sub] = total;
	if (part >= 1 && part <= 31)
		l->parts_got[sub] |= 1u << (part - 1);
	if (!reply_whole(l, sub))
		return;
	if (l->consent && l->phase[sub] == 0) {
		l->phase[sub] = 1;
		l->parts_got[sub] = 0;
		l->parts_total[sub] = 0;
		send_text(l, sub, "Y");
		return;
	}
	/* Under faults the reply may come before the deliver_sm_resp that acknowledges it. */
	if (!l->log || l->fstate[sub] == F_ACCEPTED)
		complete(l, sub);
}

static void on_deliver_resp(struct load *l, const deliver_sm_resp_t *r)
{
	uint32_t sub = l->seq_sub[r->sequence_number % SEQ_RING];

	if (l->fstate[sub] != F_SENT || l->dseq[sub] != r->sequence_number)
		return;
	fprintf(l->log, "resp %.3f %llu 0x%08x %.1f %u\n", wall(),
		(unsigned long long)(l->msisdn_base + sub), r->command_status,
		(load_now() - l->dsent[sub]) * 1e3, l->conn);
	if (r->command_status != ESME_ROK) {
		retry_later(l, sub);
		return;
	}
	l->fstate[sub] = F_ACCEPTED;
	if (l->started[sub] != 0 && reply_whole(l, sub))
		complete(l, sub);
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
		l->bound = true;
		if (l->log)
			fprintf(l->log, "bind %.3f %u\n", wall(), l->conn);
		if (l->tick)
			break;	/* bound again after a lost connection: the load goes on */
		l->start = load_now();
		l->sending = true;
		l->tick = event_new(l->base, -1, EV_PERSIST, tick_cb, l);
		event_add(l->tick, &tv);
		break;
	}
	case SUBMIT_SM:
		on_submit(l, &u.submit);
		if (u.submit.tlv)
			destroy_tlv(u.submit.tlv);
		break;
	case DELIVER_SM_RESP:
		if (l->unanswered)
			l->unanswered--;
		if (u.deliver_resp.command_status != ESME_ROK)
			l->refused++;
		if (l->log)
			on_deliver_resp(l, &u.deliver_resp);
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

/* --faults: the connection is gone (closed by the ESME, or cut); the deliver_sm it did not
 * answer are delivered again after the next bind. */
static void conn_closed(struct load *l, const char *why)
{
	fprintf(l->log, "closed %.3f %u %s\n", wall(), l->conn, why);
	bufferevent_free(l->bev);
	l->bev = NULL;
	l->bound = false;
	l->unanswered = 0;
	for (uint32_t sub = 0; sub < l->subscribers; sub++) {
		if (l->fstate[sub] != F_SENT)
			continue;
		fprintf(l->log, "lost %.3f %llu %u\n", wall(),
			(unsigned long long)(l->msisdn_base + sub), l->conn);
		retry_later(l, sub);
	}
}

static void cut_cb(evutil_socket_t sig, short what, void *arg)
{
	struct load *l = arg;

	if (l->bev)
		conn_closed(l, "cut");
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct load *l = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (l->log) {
			conn_closed(l, "esme");
			return;
		}
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
	l->conn++;
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
		{ "interval", required_argument, NULL, 'i' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "window", required_argument, NULL, 'w' },
		{ "faults", required_argument, NULL, 'f' },
		{ "ussd", no_argument, NULL, 'u' },
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
		case 'u': l.ussd = true; break;
		case 'i': l.interval = l.next_report = atof(optarg); break;
		case 'W': l.warmup = atof(optarg); break;
		case 'w': l.window = atoi(optarg); break;
		case 'f':
			if (!(l.log = fopen(optarg, "w"))) {
				perror(optarg);
				return 1;
			}
			break;
		case 'D':
			if (!(l.dump = fopen(optarg, "w"))) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: itinerad-smsc-load --port P --subscribers N [--msisdn-base B] "
				"[--rate R | --outstanding K] [--duration S] [--consent] [--dump FILE]\n"
				"       [--interval S] [--warmup S] [--window K] [--faults LOG] [--ussd]\n");
			return 1;
		}
	}
	if (l.log && l.ussd) {
		fprintf(stderr, "--faults plays an SMSC: not with --ussd\n");
		return 1;
	}
	if (l.log && l.consent) {
		fprintf(stderr, "--faults follows one message per subscriber: not with --consent\n");
		return 1;
	}
	/* A stride coprime with N walks every subscriber once before any repeats. */
	l.stride = load_stride(l.subscribers, 2654435761u % l.subscribers);
	l.started = calloc(l.subscribers, sizeof(double));
	l.parts_got = calloc(l.subscribers, sizeof(uint32_t));
	l.parts_total = calloc(l.subscribers, 1);
	l.phase = calloc(l.subscribers, 1);
	l.walk = calloc(l.subscribers, 1);
	l.base = event_base_new();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (!l.started || !l.parts_got || !l.parts_total || !l.phase || !l.walk || !l.base) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	if (l.log) {
		l.fstate = calloc(l.subscribers, 1);
		l.dseq = calloc(l.subscribers, sizeof(uint32_t));
		l.dsent = calloc(l.subscribers, sizeof(double));
		l.seq_sub = calloc(SEQ_RING, sizeof(uint32_t));
		l.retry = calloc(l.subscribers, sizeof(uint32_t));
		l.retry_at = calloc(l.subscribers, sizeof(double));
		l.cut = evsignal_new(l.base, SIGUSR1, cut_cb, &l);
		if (!l.fstate || !l.dseq || !l.dsent || !l.seq_sub || !l.retry || !l.retry_at ||
		    !l.cut || event_add(l.cut, NULL) < 0) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
	}
	if (!evconnlistener_new_bind(l.base, accept_cb, &l, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 16,
				     (struct sockaddr *)&sin, sizeof(sin))) {
		fprintf(stderr, "cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	event_base_dispatch(l.base);
	if (l.dump)
		fclose(l.dump);
	if (l.log)
		fclose(l.log);
	return l.done ? 0 : 1;
}
