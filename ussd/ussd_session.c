/*
 * USSD session state machine. Screens are rendered by the engine (consent menu, itinerary,
 * refusals) and cut into pages by ussd_pages.c; the request module does the rest, as for SMS,
 * with the IMSI as identity and the menu answer "1" as the consent itself. A request whose
 * session is gone by the time its reply comes (timeout, link loss) is still completed, so the
 * audit records it, but nothing is sent.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <osmocom/core/hashtable.h>	/* after utils.h: it uses ARRAY_SIZE */
#include <talloc.h>

#include "common/log.h"
#include "engine/reply_text.h"
#include "engine/verify_code.h"
#include "ussd/ussd_session.h"

enum ussd_state {
	USSD_CONSENT_MENU,	/* waiting for "1" (yes) or "2" (no) */
	USSD_WAITING,		/* the request is being answered */
	USSD_PAGING,		/* a page is shown, waiting for "1" (next) or "0" (exit) */
};

struct ussd_session {
	struct llist_head list;
	struct hlist_node by_key;	/* in ussd_sessions.by_key */
	struct ussd_sessions *owner;
	char imsi[16];			/* the subscriber: an IMSI, or an MSISDN over SMPP */
	uint32_t id;
	time_t opened;
	enum ussd_state state;
	enum itin_lang lang;
	struct itin_ussd_page *pages;
	int num_pages;
	int page;
	bool reshown;		/* unknown input got the screen again once already */
	const char *last_text;	/* the screen shown, for a re-show */
	struct itin_request *req;
	struct event *guard;
};

struct ussd_sessions {
	struct event_base *base;
	struct ussd_session_params params;	/* its timeout_s, [service] (language, consent) */
	const struct itin_service_config *service;	/* and the texts: replaced on SIGHUP */
	const struct itin_templates *templates;
	const struct ussd_transport_ops *ops;
	void *transport;
	struct llist_head sessions;
	DECLARE_HASHTABLE(by_key, 12);	/* the same sessions by ussd_session_key() */
	unsigned count;
};

#define LOGPSS(ss, level, fmt, args...) \
	LOGP(DUSSD, level, "%s ***%s session %u: " fmt, \
	     (ss)->owner->params.identity_kind == ITIN_IDENTITY_IMSI ? "imsi" : "msisdn", \
	     (ss)->imsi + (strlen((ss)->imsi) > 4 ? strlen((ss)->imsi) - 4 : 0), (ss)->id, ##args)

/* A checker's string: *#14*CODE*LAST4# (osmo-hlr routes it here by a prefix of its own, see
 * doc/manual/operator.md); *#14*0# is the holder's void of their codes (VOID by SMS); the
 * service's *#14# and anything else ask for the itinerary. */
#define VERIFY_PREFIX "*#14*"
#define VOID_STRING "*#14*0#"

static const char *const goodbye[] = { "【行程卡】感谢使用。", "[Trip Card] Goodbye." };
static const char *const invalid[] = { "【行程卡】输入无效，会话已结束。",
				       "[Trip Card] Invalid input, session ended." };
static const char *const timed_out[] = { "【行程卡】会话超时，已结束。",
					 "[Trip Card] Session timed out." };

static void ussd_accepted(struct itin_request *req, bool ok);
static void ussd_reply(struct itin_request *req, const struct itin_reply *reply);

static const struct itin_request_ops ussd_request_ops = {
	.accepted = ussd_accepted,
	.reply = ussd_reply,
};

static struct ussd_session *session_find(struct ussd_sessions *s, const char *imsi, uint32_t id)
{
	struct ussd_session *ss;

	hash_for_each_possible(s->by_key, ss, by_key, ussd_session_key(imsi, id)) {
		if (ss->id == id && strcmp(ss->imsi, imsi) == 0)
			return ss;
	}
	return NULL;
}

static void session_free(struct ussd_session *ss)
{
	if (ss->req)
		ss->req->channel_data = NULL;	/* its reply will find no session */
	llist_del(&ss->list);
	hash_del(&ss->by_key);
	ss->owner->count--;
	event_free(ss->guard);
	talloc_free(ss);
}

static void session_touch(struct ussd_session *ss)
{
	struct timeval tv = { ss->owner->params.timeout_s, 0 };

	evtimer_add(ss->guard, &tv);
}

/* Show a screen; a final one ends the session. */
static void session_show(struct ussd_session *ss, const char *text, bool final)
{
	if (ss->owner->ops->send(ss->owner->transport, ss->imsi, ss->id, text, final) < 0) {
		LOGPSS(ss, LOGL_NOTICE, "screen not sent: link down\n");
		final = true;
	}
	if (final) {
		session_free(ss);
		return;
	}
	ss->last_text = text;
	session_touch(ss);
}

/* A text of the deployment (menu, busy, cancelled) in the session's language, as one screen. */
static char *session_text(struct ussd_session *ss, enum itin_text text)
{
	struct ussd_sessions *s = ss->owner;

	return itin_reply_flatten(ss, itin_reply_render(ss, s->service, s->templates, text, ss->lang,
							&(struct itin_reply_args){ 0 }));
}

static void guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ussd_session *ss = arg;

	LOGPSS(ss, LOGL_INFO, "idle: %s\n", ss->owner->params.timeout_screen ? "ended" : "released");
	if (ss->owner->params.timeout_screen)
		ss->owner->ops->send(ss->owner->transport, ss->imsi, ss->id, timed_out[ss->lang], true);
	else
		ss->owner->ops->release(ss->owner->transport, ss->imsi, ss->id);
	session_free(ss);
}

static void show_page(struct ussd_session *ss)
{
	session_show(ss, ss->pages[ss->page].text, ss->page + 1 == ss->num_pages);
}

/* The itinerary (intent query), the holder's void of their codes, or a checker's check of the
 * digits in check (*#14*CODE*LAST4#). */
static void start_request(struct ussd_session *ss, enum itin_intent intent, const char *check)
{
	struct itin_request *req = itin_request_alloc(ss->owner);

	if (!req) {
		session_show(ss, session_text(ss, ITIN_TEXT_BUSY), true);
		return;
	}
	req->channel = ITIN_CHANNEL_USSD;
	req->identity_kind = ss->owner->params.identity_kind;
	snprintf(req->identity, sizeof(req->identity), "%s", ss->imsi);
	req->intent = intent;
	if (check && itin_verify_input_parse(check, strlen(check), req->verify_input) < 0)
		req->verify_input[0] = '\0';	/* mistyped: answered "not valid" */
	req->consent_given = true;
	req->received_at = time(NULL);
	req->ops = &ussd_request_ops;
	req->channel_data = ss;
	req->message = (const uint8_t *)"";
	req->message_len = 0;
	ss->req = req;
	ss->state = USSD_WAITING;
	itin_request_accept(req);
}

static void ussd_accepted(struct itin_request *req, bool ok)
{
	struct ussd_session *ss = req->channel_data;

	if (ok || !ss)
		return;
	/* Not sent to the database: tell the subscriber. */
	ss->req = NULL;
	req->channel_data = NULL;
	session_show(ss, session_text(ss, ITIN_TEXT_BUSY), true);
}

static void ussd_reply(struct itin_request *req, const struct itin_reply *reply)
{
	struct ussd_session *ss = req->channel_data;
	int n;

	if (!ss) {
		itin_request_replied(req, true, 0);
		return;
	}
	ss->req = NULL;
	if (!reply) {	/* silence is not an option on a screen: end with the rate-limit text */
		reply = itin_reply_render(ss, ss->owner->service, ss->owner->templates,
					  ITIN_TEXT_RATE_LIMITED, req->lang,
					  &(struct itin_reply_args){ 0 });
	}
	n = reply ? itin_ussd_paginate(ss, reply, &ss->owner->params.pages, &ss->pages) : -ENOMEM;
	if (n <= 0) {
		LOGPSS(ss, LOGL_ERROR, "paginating failed\n");
		itin_request_replied(req, false, 0);
		ss->owner->ops->release(ss->owner->transport, ss->imsi, ss->id);
		session_free(ss);
		return;
	}
	ss->num_pages = n;
	ss->page = 0;
	ss->state = USSD_PAGING;
	ss->lang = reply->lang;
	itin_request_replied(req, true, n);	/* frees req and its reply */
	show_page(ss);
}

void ussd_session_begin(struct ussd_sessions *s, const char *imsi, uint32_t session_id,
			const char *text)
{
	struct ussd_session *ss = session_find(s, imsi, session_id);

	if (ss) {	/* a BEGIN for a session we still hold: the old one is gone */
		LOGPSS(ss, LOGL_NOTICE, "begun again: old session dropped\n");
		session_free(ss);
	}
	ss = talloc_zero(s, struct ussd_session);
	if (!ss) {
		s->ops->release(s->transport, imsi, session_id);
		return;
	}
	ss->owner = s;
	snprintf(ss->imsi, sizeof(ss->imsi), "%s", imsi);
	ss->id = session_id;
	ss->opened = time(NULL);
	ss->lang = s->service->default_lang;
	ss->guard = evtimer_new(s->base, guard_cb, ss);
	llist_add_tail(&ss->list, &s->sessions);
	hash_add(s->by_key, &ss->by_key, ussd_session_key(ss->imsi, ss->id));
	s->count++;
	LOGPSS(ss, LOGL_INFO, "begin\n");
	if (strcmp(text, VOID_STRING) == 0) {
		session_touch(ss);
		start_request(ss, ITIN_INTENT_VOID_CODES, NULL);
		return;
	}
	if (strncmp(text, VERIFY_PREFIX, strlen(VERIFY_PREFIX)) == 0) {
		session_touch(ss);
		start_request(ss, ITIN_INTENT_VERIFY, text + strlen(VERIFY_PREFIX));
		return;
	}
	if (!s->service->consent) {
		session_touch(ss);
		start_request(ss, ITIN_INTENT_QUERY, NULL);
		return;
	}
	ss->state = USSD_CONSENT_MENU;
	session_show(ss, session_text(ss, ITIN_TEXT_USSD_CONSENT_MENU), false);
}

static void unknown_input(struct ussd_session *ss)
{
	if (ss->reshown) {
		session_show(ss, invalid[ss->lang], true);
		return;
	}
	ss->reshown = true;
	session_show(ss, ss->last_text, false);
}

void ussd_session_continue(struct ussd_sessions *s, const char *imsi, uint32_t session_id,
			   const char *text)
{
	struct ussd_session *ss = session_find(s, imsi, session_id);

	if (!ss) {
		s->ops->release(s->transport, imsi, session_id);
		return;
	}
	switch (ss->state) {
	case USSD_CONSENT_MENU:
		if (strcmp(text, "1") == 0) {
			session_touch(ss);
			start_request(ss, ITIN_INTENT_QUERY, NULL);
		} else if (strcmp(text, "2") == 0) {
			session_show(ss, session_text(ss, ITIN_TEXT_CANCELLED), true);
		} else {
			unknown_input(ss);
		}
		break;
	case USSD_PAGING:
		if (strcmp(text, "1") == 0 && ss->page + 1 < ss->num_pages) {
			ss->page++;
			show_page(ss);
		} else if (strcmp(text, "0") == 0) {
			session_show(ss, goodbye[ss->lang], true);
		} else {
			unknown_input(ss);
		}
		break;
	case USSD_WAITING:
		session_touch(ss);	/* the answer is on its way */
		break;
	}
}

void ussd_session_end(struct ussd_sessions *s, const char *imsi, uint32_t session_id)
{
	struct ussd_session *ss = session_find(s, imsi, session_id);

	if (ss) {
		LOGPSS(ss, LOGL_INFO, "ended by the network\n");
		session_free(ss);
	}
}

void ussd_sessions_drop_all(struct ussd_sessions *s)
{
	struct ussd_session *ss, *tmp;

	llist_for_each_entry_safe(ss, tmp, &s->sessions, list)
		session_free(ss);
}

struct ussd_sessions *ussd_sessions_alloc(void *ctx, struct event_base *base,
					  const struct ussd_session_params *params,
					  const struct itin_service_config *service,
					  const struct itin_templates *templates,
					  const struct ussd_transport_ops *ops, void *transport)
{
	struct ussd_sessions *s = talloc_zero(ctx, struct ussd_sessions);

	if (!s)
		return NULL;
	s->base = base;
	s->params = *params;
	ussd_sessions_set_config(s, params->timeout_s, service, templates);
	s->ops = ops;
	s->transport = transport;
	INIT_LLIST_HEAD(&s->sessions);
	hash_init(s->by_key);
	return s;
}

void ussd_sessions_set_config(struct ussd_sessions *s, unsigned timeout_s,
			      const struct itin_service_config *service,
			      const struct itin_templates *templates)
{
	s->params.timeout_s = timeout_s;
	s->service = service;
	s->templates = templates;
}

unsigned ussd_sessions_count(const struct ussd_sessions *s)
{
	return s->count;
}

bool ussd_session_exists(struct ussd_sessions *s, const char *subscriber, uint32_t session_id)
{
	return session_find(s, subscriber, session_id) != NULL;
}

void ussd_sessions_walk(struct ussd_sessions *s, void (*cb)(void *arg, const char *subscriber,
		       uint32_t session_id, const char *state, long open_s), void *arg)
{
	static const char *const state_name[] = {
		[USSD_CONSENT_MENU] = "consent_menu", [USSD_WAITING] = "waiting",
		[USSD_PAGING] = "paging",
	};
	struct ussd_session *ss;
	time_t now = time(NULL);

	llist_for_each_entry(ss, &s->sessions, list)
		cb(arg, ss->imsi, ss->id, state_name[ss->state], (long)(now - ss->opened));
}
