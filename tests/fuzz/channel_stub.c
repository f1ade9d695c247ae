/*
 * The world around a channel in the channel harnesses. The request module here does what
 * service/request.c does for a channel, without keys or a database: it reads the message during
 * itin_request_accept(), refuses some requests at once (every third, as when the pool has no
 * connection) and answers the others when the harness says: accepted (every fourth one too late,
 * past the reply deadline: refused, but answered all the same), then a reply as the rules might
 * give for the intent, rendered by the engine (an itinerary of many places for a query or a yes,
 * so several SMS parts or USSD pages; silence for an unknown text). Log lines of our
 * categories are formatted at every level, as their arguments come from the input, and printed
 * without file names or times, so that a transcript is the same on every run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <talloc.h>

#include "common/localtime.h"
#include "common/log.h"
#include "engine/reply_text.h"
#include "service/request.h"
#include "tests/fuzz/channel_stub.h"

#define WAITING_MAX 64

bool fuzz_verbose;
static struct event_base *base;
static const struct itin_config *reply_cfg;
static struct itin_request *waiting[WAITING_MAX];
static unsigned num_waiting, num_accepts, num_answers;

/* Beijing, Shanghai (at risk), Guangzhou, Shenzhen, ten more cities, Hong Kong (MCC 454), the
 * USA (MCC 310). */
static struct itin_visit visits[] = {
	{ 110100, 19713, false }, { 310100, 19712, true }, { 440100, 19711, false },
	{ 440300, 19710, false }, { 120100, 19709, false }, { 130100, 19708, false },
	{ 140100, 19707, false }, { 150100, 19706, false }, { 320100, 19705, false },
	{ 330100, 19704, false }, { 340100, 19703, false }, { 350100, 19702, false },
	{ 454, 19701, false }, { 310, 19700, false },
};
static const struct itin_itinerary itinerary = {
	.first_day = 19700, .last_day = 19713, .visits = visits,
	.num_visits = sizeof(visits) / sizeof(visits[0]), .any_risk = true,
};

static void log_line(struct log_target *t, unsigned int level, const char *line)
{
	if (fuzz_verbose)
		fputs(line, stderr);
}

struct event_base *fuzz_init(const char *program, const struct itin_config *cfg)
{
	struct log_target *t;

	fuzz_verbose = getenv("ITIN_FUZZ_LOG") != NULL;
	reply_cfg = cfg;
	base = event_base_new();
	if (!base || itin_log_init(NULL, program, false, LOGL_FATAL) < 0
	    || itin_localtime_init(cfg->service.time_zone) < 0)
		abort();
	log_set_all_filter(osmo_stderr_target, 0);
	t = log_target_create();
	if (!t)
		abort();
	t->output = log_line;
	log_set_print_filename2(t, LOG_FILENAME_NONE);
	log_set_print_category_hex(t, 0);
	log_set_use_color(t, 0);
	log_set_print_timestamp(t, 0);
	for (unsigned i = 0; i < osmo_log_info->num_cat; i++)
		log_set_category_filter(t, i, i <= DADMIN, LOGL_DEBUG);
	log_add_target(t);
	return base;
}

struct itin_config *fuzz_config(const char *text)
{
	struct itin_config *cfg;
	char path[64], err[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/itin-fuzz-config.%d", (int)getpid());
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	cfg = itin_config_load(NULL, path, err, sizeof(err));
	unlink(path);
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return cfg;
}

void fuzz_settle(void)
{
	for (int i = 0; i < 16 && event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE) > 0; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

void itin_requests_register_channel(enum itin_channel channel, const struct itin_request_ops *ops)
{
}

struct itin_request *itin_request_alloc(void *ctx)
{
	return talloc_zero(ctx, struct itin_request);
}

int itin_request_accept(struct itin_request *req)
{
	volatile uint8_t sum = 0;

	/* request.c hashes the message here, so it must be readable now, and only now. */
	for (size_t i = 0; i < req->message_len; i++)
		sum += req->message[i];
	req->message = NULL;
	if (++num_accepts % 3 == 0 || num_waiting == WAITING_MAX) {
		req->ops->accepted(req, false);
		talloc_free(req);
		return -EIO;
	}
	waiting[num_waiting++] = req;
	return 0;
}

void itin_request_replied(struct itin_request *req, bool ok, unsigned parts)
{
	talloc_free(req);
}

/* A reply marked sent, a part the SMSC held off: nothing is recorded here. */
void itin_request_sent(struct itin_request *req, unsigned parts)
{
}

void itin_request_deferred(struct itin_request *req)
{
}

void itin_request_audit_incomplete(const char *msisdn, int64_t at)
{
	if (strlen(msisdn) > 15)
		abort();
}

static void answer(struct itin_request *req)
{
	struct itin_reply_args args = { .mask = "138****0001", .updated_at = 1703980800,
					.itinerary = &itinerary };
	enum itin_text text;

	req->lang = req->intent == ITIN_INTENT_LANG_EN ? ITIN_LANG_EN : reply_cfg->service.default_lang;
	req->ops->accepted(req, ++num_answers % 4 != 0);
	switch (req->intent) {
	case ITIN_INTENT_QUERY:
	case ITIN_INTENT_YES:
		text = ITIN_TEXT_ITINERARY;
		break;
	case ITIN_INTENT_NO:
		text = ITIN_TEXT_CANCELLED;
		break;
	case ITIN_INTENT_HELP:
		text = ITIN_TEXT_HELP;
		break;
	case ITIN_INTENT_LANG_EN:
	case ITIN_INTENT_LANG_ZH:
		text = ITIN_TEXT_LANG_SWITCHED;
		break;
	default:
		req->ops->reply(req, NULL);
		return;
	}
	req->ops->reply(req, itin_reply_render(req, &reply_cfg->service, reply_cfg->templates, text,
					       req->lang, &args));
}

void fuzz_requests_answer(void)
{
	/* Replies lead to no new request (only input does), so the list stays as it is. */
	for (unsigned i = 0; i < num_waiting; i++)
		answer(waiting[i]);
	num_waiting = 0;
}

void fuzz_requests_forget(void)
{
	num_waiting = 0;
	num_accepts = 0;
	num_answers = 0;
}
