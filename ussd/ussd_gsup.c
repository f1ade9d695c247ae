/*
 * USSD over GSUP. A session begins with the handset's processUnstructuredSS-Request; its invoke
 * id is kept, because the last screen is the ReturnResult of that invoke. Screens in between
 * are our Invoke unstructuredSS-Request, answered by the handset's ReturnResult. osmo-hlr
 * forwards sessions even for IMSIs it does not know, so the IMSI is checked here; it is the
 * only identity USSD gives us.
 * A session that ends without a screen (timeout, unreadable input, unknown session) ends with a
 * ReturnError in an END, never with PROC_SS_ERROR: osmo-hlr (1.5 and later) only logs a
 * PROC_SS_ERROR from an EUSE, so the MSC would never learn that the session is over.
 * osmo-hlr relays a handset's USSD to us without naming us; a message whose destination_name
 * is our own IPA name was forwarded by osmo-hlr for another GSUP client (any client may ask
 * it to), which may name any IMSI and session: it is ignored, never answered.
 * The lines logged for such messages, for malformed ones and for unknown sessions are limited
 * (common/log.h): a peer that sends thousands gets one line a minute, with the count.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <osmocom/core/hashtable.h>	/* after utils.h: it uses ARRAY_SIZE */
#include <talloc.h>

#include "common/log.h"
#include "ussd/gsup_link.h"
#include "ussd/ss_facility.h"
#include "ussd/ussd_gsup.h"
#include "ussd/ussd_session.h"

#define OUR_INVOKE_ID 1

struct open_session {
	struct llist_head list;
	struct hlist_node by_key;	/* in itin_ussd_gsup.open_by_key */
	char imsi[OSMO_IMSI_BUF_SIZE];
	uint32_t id;
	uint8_t invoke_id;		/* of the handset's processUnstructuredSS-Request */
};

struct itin_ussd_gsup {
	char *unit_name;		/* our IPA name, as gsup_link gives it: EUSE-<euse_name> */
	struct gsup_link *link;
	struct ussd_sessions *sessions;
	struct llist_head open;
	DECLARE_HASHTABLE(open_by_key, 12);	/* the same by ussd_session_key() */
	struct itin_log_limit log_refused, log_forwarded, log_unknown;
};

static struct open_session *open_find(struct itin_ussd_gsup *u, const char *imsi, uint32_t id)
{
	struct open_session *o;

	hash_for_each_possible(u->open_by_key, o, by_key, ussd_session_key(imsi, id)) {
		if (o->id == id && strcmp(o->imsi, imsi) == 0)
			return o;
	}
	return NULL;
}

static void open_forget(struct itin_ussd_gsup *u, const char *imsi, uint32_t id)
{
	struct open_session *o = open_find(u, imsi, id);

	if (o) {
		llist_del(&o->list);
		hash_del(&o->by_key);
		talloc_free(o);
	}
}

static int send_ss(struct itin_ussd_gsup *u, const char *imsi, uint32_t id,
		   enum osmo_gsup_message_type type, enum osmo_gsup_session_state state,
		   uint8_t *info, size_t info_len)
{
	struct osmo_gsup_message msg = {
		.message_type = type,
		.session_id = id,
		.session_state = state,
		.message_class = OSMO_GSUP_MESSAGE_CLASS_USSD,
		.ss_info = info,
		.ss_info_len = info_len,
	};

	OSMO_STRLCPY_ARRAY(msg.imsi, imsi);
	return gsup_link_send(u->link, &msg);
}

static int transport_send(void *transport, const char *imsi, uint32_t id, const char *text, bool final)
{
	struct itin_ussd_gsup *u = transport;
	struct open_session *o = open_find(u, imsi, id);
	uint8_t facility[512];
	int len, rc;

	if (!o)
		return -ENOENT;
	len = ss_facility_build(facility, sizeof(facility), final,
				final ? o->invoke_id : OUR_INVOKE_ID, text);
	if (len < 0) {
		LOGP(DUSSD, LOGL_ERROR, "building a USSD screen failed: %s\n", strerror(-len));
		return len;
	}
	rc = send_ss(u, imsi, id, final ? OSMO_GSUP_MSGT_PROC_SS_RESULT : OSMO_GSUP_MSGT_PROC_SS_REQUEST,
		     final ? OSMO_GSUP_SESSION_STATE_END : OSMO_GSUP_SESSION_STATE_CONTINUE, facility, len);
	if (final)
		open_forget(u, imsi, id);
	return rc;
}

/* The END that closes the handset's request with a ReturnError (build: ss_facility_build_error
 * or ss_facility_build_release). */
static void send_error_end(struct itin_ussd_gsup *u, const char *imsi, uint32_t id,
			   uint8_t invoke_id, int (*build)(uint8_t *out, size_t max, uint8_t invoke_id))
{
	uint8_t facility[64];
	int len = build(facility, sizeof(facility), invoke_id);

	if (len > 0)
		send_ss(u, imsi, id, OSMO_GSUP_MSGT_PROC_SS_RESULT, OSMO_GSUP_SESSION_STATE_END,
			facility, len);
	open_forget(u, imsi, id);
}

static void transport_release(void *transport, const char *imsi, uint32_t id)
{
	struct itin_ussd_gsup *u = transport;
	struct open_session *o = open_find(u, imsi, id);

	send_error_end(u, imsi, id, o ? o->invoke_id : 0, ss_facility_build_release);
}

static const struct ussd_transport_ops transport_ops = {
	.send = transport_send,
	.release = transport_release,
};

static bool imsi_valid(const char *imsi)
{
	size_t len = strlen(imsi);

	if (len < 6 || len > 15)
		return false;
	return strspn(imsi, "0123456789") == len;
}

/* Input we cannot read: a ReturnError to the handset's request, and the session ends. */
static void refuse(struct itin_ussd_gsup *u, const struct osmo_gsup_message *m, uint8_t invoke_id)
{
	struct open_session *o = open_find(u, m->imsi, m->session_id);

	LOGP_LIMITED(&u->log_refused, DUSSD, LOGL_NOTICE, "session %u: malformed or unreadable USSD: refused",
		     m->session_id);
	ussd_session_end(u->sessions, m->imsi, m->session_id);
	send_error_end(u, m->imsi, m->session_id, o ? o->invoke_id : invoke_id, ss_facility_build_error);
}

/* The length of an IPA name IE without the NUL it usually ends with. */
static int name_len(const uint8_t *name, size_t len)
{
	return name ? (int)strnlen((const char *)name, len) : 0;
}

/* A message forwarded to us by name (osmo-hlr's routing by destination_name), from source_name. */
static bool forwarded_to_us(struct itin_ussd_gsup *u, const struct osmo_gsup_message *m)
{
	int len = name_len(m->destination_name, m->destination_name_len);
	char from[64];

	if (len != (int)strlen(u->unit_name) || memcmp(m->destination_name, u->unit_name, len) != 0)
		return false;
	osmo_quote_str_buf3(from, sizeof(from), (const char *)m->source_name,
			    name_len(m->source_name, m->source_name_len));
	LOGP_LIMITED(&u->log_forwarded, DUSSD, LOGL_NOTICE, "session %u: forwarded by osmo-hlr from %s "
		     "to \"%s\": not a session osmo-hlr relays, ignored", m->session_id, from, u->unit_name);
	return true;
}

static void link_received(struct gsup_link *link, const struct osmo_gsup_message *m)
{
	struct itin_ussd_gsup *u = gsup_link_priv(link);
	struct ss_facility f = { .invoke_id = 0 };
	struct open_session *o;

	if (forwarded_to_us(u, m))
		return;
	if (m->message_type == OSMO_GSUP_MSGT_PROC_SS_ERROR ||
	    (m->message_type == OSMO_GSUP_MSGT_PROC_SS_REQUEST && m->session_state == OSMO_GSUP_SESSION_STATE_END)) {
		ussd_session_end(u->sessions, m->imsi, m->session_id);
		open_forget(u, m->imsi, m->session_id);
		return;
	}
	if (m->message_type != OSMO_GSUP_MSGT_PROC_SS_REQUEST)
		return;
	if (!imsi_valid(m->imsi) || !m->ss_info || ss_facility_parse(m->ss_info, m->ss_info_len, &f) < 0) {
		refuse(u, m, f.invoke_id);
		return;
	}
	if (m->session_state != OSMO_GSUP_SESSION_STATE_BEGIN && !open_find(u, m->imsi, m->session_id)) {
		/* not ours (any more): timed out, or begun before a restart */
		LOGP_LIMITED(&u->log_unknown, DUSSD, LOGL_NOTICE, "session %u: no such session: released",
			     m->session_id);
		send_error_end(u, m->imsi, m->session_id, f.invoke_id, ss_facility_build_release);
		return;
	}
	if (m->session_state == OSMO_GSUP_SESSION_STATE_BEGIN) {
		open_forget(u, m->imsi, m->session_id);
		o = talloc_zero(u, struct open_session);
		if (!o) {
			send_error_end(u, m->imsi, m->session_id, f.invoke_id, ss_facility_build_release);
			return;
		}
		OSMO_STRLCPY_ARRAY(o->imsi, m->imsi);
		o->id = m->session_id;
		o->invoke_id = f.invoke_id;
		llist_add_tail(&o->list, &u->open);
		hash_add(u->open_by_key, &o->by_key, ussd_session_key(o->imsi, o->id));
		ussd_session_begin(u->sessions, m->imsi, m->session_id, f.text);
	} else {
		ussd_session_continue(u->sessions, m->imsi, m->session_id, f.text);
	}
}

static void link_connected(struct gsup_link *link, bool up)
{
	struct itin_ussd_gsup *u = gsup_link_priv(link);
	struct open_session *o, *tmp;

	if (up)
		return;
	ussd_sessions_drop_all(u->sessions);
	llist_for_each_entry_safe(o, tmp, &u->open, list) {
		llist_del(&o->list);
		hash_del(&o->by_key);
		talloc_free(o);
	}
}

static const struct gsup_link_ops link_ops = {
	.connected = link_connected,
	.received = link_received,
};

struct itin_ussd_gsup *itin_ussd_gsup_alloc(void *ctx, struct event_base *base,
					    const struct itin_gsup_config *gsup,
					    const struct itin_service_config *service,
					    const struct itin_templates *templates)
{
	struct itin_ussd_gsup *u;

	if (!gsup->host[0])
		return NULL;
	u = talloc_zero(ctx, struct itin_ussd_gsup);
	if (!u)
		return NULL;
	INIT_LLIST_HEAD(&u->open);
	hash_init(u->open_by_key);
	u->unit_name = talloc_asprintf(u, "EUSE-%s", gsup->euse_name);
	u->link = gsup_link_alloc(u, base, gsup->host, gsup->port, gsup->euse_name, &link_ops, u);
	u->sessions = ussd_sessions_alloc(u, base, &(struct ussd_session_params){
						.identity_kind = ITIN_IDENTITY_IMSI,
						.pages = itin_ussd_pages_osmo_hlr,
						.timeout_s = gsup->session_timeout_s,
						.timeout_screen = false },
					  service, templates, &transport_ops, u);
	if (!u->unit_name || !u->link || !u->sessions) {
		talloc_free(u);
		return NULL;
	}
	return u;
}

int itin_ussd_gsup_start(struct itin_ussd_gsup *u)
{
	return gsup_link_start(u->link);
}

/* What the limits left out since their last line, so that the log's count is complete. */
static void log_skipped(struct itin_ussd_gsup *u)
{
	const struct {
		struct itin_log_limit *lim;
		const char *what;
	} limits[] = {
		{ &u->log_refused, "malformed or unreadable USSD: refused" },
		{ &u->log_forwarded, "forwarded by osmo-hlr: not a session osmo-hlr relays, ignored" },
		{ &u->log_unknown, "no such session: released" },
	};
	unsigned n;

	for (unsigned i = 0; i < ARRAY_SIZE(limits); i++) {
		n = itin_log_limit_take(limits[i].lim);
		if (n)
			LOGP(DUSSD, LOGL_NOTICE, "%u more \"%s\" not logged\n", n, limits[i].what);
	}
}

void itin_ussd_gsup_stop(struct itin_ussd_gsup *u)
{
	ussd_sessions_drop_all(u->sessions);
	gsup_link_stop(u->link);
	log_skipped(u);
}

void itin_ussd_gsup_set_config(struct itin_ussd_gsup *u, const struct itin_gsup_config *gsup,
			       const struct itin_service_config *service,
			       const struct itin_templates *templates)
{
	ussd_sessions_set_config(u->sessions, gsup->session_timeout_s, service, templates);
}

bool itin_ussd_gsup_is_up(const struct itin_ussd_gsup *u)
{
	return gsup_link_is_up(u->link);
}

unsigned itin_ussd_gsup_sessions(const struct itin_ussd_gsup *u)
{
	return ussd_sessions_count(u->sessions);
}
