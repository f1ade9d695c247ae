/*
 * itinerad-sim: a simulated BSC with handsets on the A interface of osmo-msc (M3UA via osmo-stp,
 * point code 0.23.3, SSN BSSAP), driven by a script of steps given on the command line, one
 * after the other: location updates, MO SMS, USSD sessions with menu answers, and waiting for MT
 * SMS (paged, or pushed on a connection). It prints one line per outcome on stdout, texts as
 * UTF-8 with newlines shown as "\n", so tests can compare them. Layer 3 coding is sim_l3.c's.
 * Like a probe on the A interface, it can also write each accepted location update as a line of
 * the events feed (SPEC section 7) for `itinerad-db load events`, so that the handsets' moves
 * show in their itineraries.
 * It must not be used against a real network: it answers whatever the MSC asks with fixed
 * classmarks and does no authentication or ciphering.
 *
 * usage: itinerad-sim [--stp-port 24205] [--lac 1] [--ci 11] [--timeout 30] [--verbose]
 *                     [--events FILE|'|COMMAND'] [--msisdn IMSI=MSISDN]... [--clock TIME] STEP...
 *   lu IMSI                  location update in the handset's cell (--lac/--ci until placed)
 *   attach IMSI at CELL      places it in CELL (MCC-MNC-LAC-CI: 001-01-10-101) by a location update
 *   move IMSI to CELL        the same, from the handset's previous location area
 *   sms IMSI DEST TEXT       MO SMS (7-bit when TEXT is ASCII, else UCS2), waits for RP-ACK
 *   ussd IMSI TEXT           USSD request, waits for the answer or a menu
 *   ussd-reply IMSI TEXT     answers the menu of the open USSD session (also: press IMSI TEXT)
 *   expect-sms IMSI N        waits until IMSI has received N MT SMS in all
 *   wait SECONDS             keeps answering the network for that long
 *   advance DURATION         moves the clock of the location events on (90, 90s, 30m, 5h, 2d)
 * --events appends the accepted location updates to FILE (with the header line if FILE is new)
 * or pipes them into COMMAND (run by sh, waited for at the end: '|itinerad-db load events -');
 * each handset that does a location update then needs its MSISDN (--msisdn). The events carry
 * the system time, or the fixed TIME of --clock (ISO 8601 with an offset, or Unix seconds), plus
 * what the advance steps added.
 * exit: 0 every step ended as expected, 1 a step failed or timed out (or the events could not be
 * written, or COMMAND failed), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm0808.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>
#include <osmocom/gsm/protocol/gsm_04_11.h>
#include <osmocom/gsm/protocol/gsm_04_80.h>
#include <osmocom/gsm/protocol/gsm_08_08.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>
#include <osmocom/sigtran/sccp_sap.h>

#include "common/feed_csv.h"
#include "sim/sim_l3.h"

#define SIM_PC_BSC	((0 << 11) | (23 << 3) | 3)	/* 0.23.3 */
#define SIM_PC_MSC	((0 << 11) | (23 << 3) | 1)	/* 0.23.1 */
#define SIM_MAX_PARTS	8

enum sim_step_kind {
	STEP_LU, STEP_SMS, STEP_USSD, STEP_USSD_REPLY, STEP_EXPECT_SMS, STEP_WAIT, STEP_ADVANCE
};

struct sim_step {
	enum sim_step_kind kind;
	const char *imsi, *dest, *text;
	unsigned count;			/* SMS, or seconds to wait or advance */
	bool has_cell;			/* attach, move: the cell the handset goes to */
	struct osmo_cell_global_id cell;
};

/* What the current step waits for: its handset's connection to end before it can start (a
 * paging or the MSC's clearing may still be under way), its answer, the release after it. */
enum sim_wait { WAIT_NONE, WAIT_IDLE, WAIT_ANSWER, WAIT_RELEASE, WAIT_DONE };

struct sim_ms {
	struct llist_head list;
	char imsi[16];
	char msisdn[16];		/* for the location events only */
	bool placed;			/* in cell since an attach or move, else --lac/--ci */
	struct osmo_cell_global_id cell;
	uint32_t conn_id;		/* SCCP connection, 0 = none */
	unsigned nsd;			/* N(SD) of the next MM/CC/SS message on it */
	uint8_t mo_ref;
	bool ussd_open;			/* a menu waits for ussd-reply */
	uint8_t ussd_invoke_id, ussd_opcode;
	unsigned mt_sms;
	struct {			/* reassembly of one concatenated MT SMS */
		unsigned ref, parts, have;
		char text[SIM_MAX_PARTS][1024];
	} concat;
};

static struct {
	void *ctx;
	struct osmo_sccp_user *scu;
	struct osmo_ss7_as *as;
	struct osmo_sccp_addr bsc, msc;
	struct osmo_cell_global_id cell;	/* of handsets not placed by attach or move */
	unsigned timeout;
	FILE *events;			/* --events, NULL when not given */
	bool events_pipe, events_failed;
	bool clock_fixed;		/* --clock: events at clock, else at the system time */
	int64_t clock, advanced;
	struct llist_head ms_list;
	struct sim_step *steps;
	unsigned nsteps, step;
	bool reset_acked, failed, finished;
	uint32_t next_conn_id;
	enum sim_wait wait;
	struct sim_ms *step_ms;
	struct osmo_timer_list reset_timer, step_timer;
} sim;

static void step_next(void);
static void step_start(const struct sim_step *st);

/* One line per outcome; newlines in texts become "\n". */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (const char *p = line; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p != '\r')
			putchar(*p);
	}
	putchar('\n');
	fflush(stdout);
}

static struct sim_ms *ms_find(const char *imsi, bool create)
{
	struct sim_ms *ms;

	llist_for_each_entry(ms, &sim.ms_list, list)
		if (!strcmp(ms->imsi, imsi))
			return ms;
	if (!create)
		return NULL;
	ms = talloc_zero(sim.ctx, struct sim_ms);
	OSMO_STRLCPY_ARRAY(ms->imsi, imsi);
	llist_add_tail(&ms->list, &sim.ms_list);
	return ms;
}

/* The cell a handset is in: where its last attach or move put it, else --lac/--ci. */
static const struct osmo_cell_global_id *ms_cell(const struct sim_ms *ms)
{
	return ms->placed ? &ms->cell : &sim.cell;
}

static struct sim_ms *ms_by_conn(uint32_t conn_id)
{
	struct sim_ms *ms;

	llist_for_each_entry(ms, &sim.ms_list, list)
		if (ms->conn_id == conn_id)
			return ms;
	return NULL;
}

/* --- the A interface ----------------------------------------------------------------------- */

/* RESET once the AS is active (before, the stack drops it with an error), then every second
 * until acknowledged. */
static void send_reset(void *data)
{
	if (sim.reset_acked)
		return;
	if (!osmo_ss7_as_active(sim.as)) {
		osmo_timer_schedule(&sim.reset_timer, 0, 100000);
		return;
	}
	osmo_sccp_tx_unitdata_msg(sim.scu, &sim.bsc, &sim.msc, gsm0808_create_reset());
	osmo_timer_schedule(&sim.reset_timer, 1, 0);
}

/* Opens a connection for the handset with an initial L3 message in a Complete Layer 3. */
static int ms_connect(struct sim_ms *ms, struct msgb *l3, unsigned nsd_after)
{
	struct msgb *cl3;

	if (!l3)
		return -EINVAL;
	cl3 = gsm0808_create_layer3_2(l3, ms_cell(ms), NULL);
	msgb_free(l3);
	if (!cl3)
		return -ENOMEM;
	ms->conn_id = ++sim.next_conn_id;
	ms->nsd = nsd_after;
	return osmo_sccp_tx_conn_req_msg(sim.scu, ms->conn_id, &sim.bsc, &sim.msc, cl3);
}

static int ms_send_dtap(struct sim_ms *ms, struct msgb *l3, uint8_t link_id)
{
	struct msgb *dtap;

	if (!l3)
		return -EINVAL;
	if (!ms->conn_id) {
		msgb_free(l3);
		return -ENOTCONN;
	}
	dtap = gsm0808_create_dtap(l3, link_id);
	msgb_free(l3);
	return osmo_sccp_tx_data_msg(sim.scu, ms->conn_id, dtap);
}

static void step_done(bool ok)
{
	if (!ok)
		sim.failed = true;
	sim.wait = WAIT_DONE;
	osmo_timer_del(&sim.step_timer);
	step_next();
}

/* A step whose answer has come ends once its connection is released. */
static void answered(struct sim_ms *ms, bool ok)
{
	if (!ok)
		sim.failed = true;
	if (sim.step_ms != ms || sim.wait != WAIT_ANSWER)
		return;
	if (ms->conn_id)
		sim.wait = WAIT_RELEASE;
	else
		step_done(true);
}

/* --- the probe: location events for the loader ---------------------------------------------- */

static int events_open(const char *where)
{
	struct stat st;

	sim.events_pipe = where[0] == '|';
	if (sim.events_pipe) {
		/* a COMMAND that exits early must fail the write, not kill us */
		signal(SIGPIPE, SIG_IGN);
		sim.events = popen(where + 1, "w");
	} else {
		sim.events = fopen(where, "a");
	}
	if (!sim.events || fstat(fileno(sim.events), &st) < 0) {
		int err = errno;

		fprintf(stderr, "itinerad-sim: --events %s: %s\n", where, strerror(err));
		return -err;
	}
	if (sim.events_pipe || st.st_size == 0)
		fputs("time,imsi,msisdn,mcc,mnc,lac,ci\n", sim.events);
	return 0;
}

/* Ends the feed; for a COMMAND, waits for it (a loader commits at the end of its input). */
static int events_close(void)
{
	int rc;

	if (!sim.events)
		return 0;
	rc = sim.events_pipe ? pclose(sim.events) : fclose(sim.events);
	sim.events = NULL;
	if (rc == -1) {
		fprintf(stderr, "itinerad-sim: events: %s\n", strerror(errno));
		return -EIO;
	}
	if (sim.events_pipe && rc != 0) {
		fprintf(stderr, "itinerad-sim: the events command %s %d\n",
			WIFEXITED(rc) ? "exited with status" : "was killed by signal",
			WIFEXITED(rc) ? WEXITSTATUS(rc) : WTERMSIG(rc));
		return -EIO;
	}
	return 0;
}

static int64_t sim_now(void)
{
	return (sim.clock_fixed ? sim.clock : (int64_t)time(NULL)) + sim.advanced;
}

/* The line a probe on the A interface gives the loader for an accepted location update: the
 * handset's identities and the cell of the Complete Layer 3, at the simulated time, in UTC. */
static void probe_lu(const struct sim_ms *ms)
{
	const struct osmo_cell_global_id *cgi = ms_cell(ms);
	time_t t = (time_t)sim_now();
	char when[32];
	struct tm tm;

	if (!sim.events || sim.events_failed)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	if (fprintf(sim.events, "%s,%s,%s,%s,%s,%u,%u\n", when, ms->imsi, ms->msisdn,
		    osmo_mcc_name(cgi->lai.plmn.mcc),
		    osmo_mnc_name(cgi->lai.plmn.mnc, cgi->lai.plmn.mnc_3_digits),
		    cgi->lai.lac, cgi->cell_identity) < 0 || fflush(sim.events) != 0) {
		say("events: %s, no more written", strerror(errno));
		sim.events_failed = true;
		sim.failed = true;
	}
}

/* --- handset layer 3 ---------------------------------------------------------------------- */

static void rx_mt_sms(struct sim_ms *ms, const uint8_t *tpdu, size_t len)
{
	struct sim_l3_sms_deliver d;

	if (sim_l3_parse_sms_deliver(tpdu, len, &d) < 0) {
		say("MT SMS %s: undecodable TPDU %s", ms->imsi, osmo_hexdump_nospc(tpdu, len));
		sim.failed = true;
		return;
	}
	ms->mt_sms++;
	if (!d.parts) {
		say("MT SMS %s from %s: %s", ms->imsi, d.from, d.text);
	} else {
		say("MT SMS %s from %s part %u/%u: %s", ms->imsi, d.from, d.part, d.parts, d.text);
		if (d.parts > SIM_MAX_PARTS || d.part < 1 || d.part > d.parts)
			return;
		if (ms->concat.ref != d.ref || ms->concat.parts != d.parts) {
			memset(&ms->concat, 0, sizeof(ms->concat));
			ms->concat.ref = d.ref;
			ms->concat.parts = d.parts;
		}
		ms->concat.have |= 1u << (d.part - 1);
		OSMO_STRLCPY_ARRAY(ms->concat.text[d.part - 1], d.text);
		if (ms->concat.have == (1u << d.parts) - 1) {
			char all[SIM_MAX_PARTS * 1024] = "";

			for (unsigned i = 0; i < d.parts; i++)
				strncat(all, ms->concat.text[i], sizeof(all) - strlen(all) - 1);
			say("MT SMS %s from %s, %u parts: %s", ms->imsi, d.from, d.parts, all);
			memset(&ms->concat, 0, sizeof(ms->concat));
		}
	}
	if (sim.wait == WAIT_ANSWER && sim.steps[sim.step].kind == STEP_EXPECT_SMS &&
	    sim.step_ms == ms && ms->mt_sms >= sim.steps[sim.step].count)
		step_done(true);
}

static void rx_sms(struct sim_ms *ms, const uint8_t *l3, size_t len)
{
	uint8_t ti = l3[0] >> 4, mt = l3[1];

	if (mt != GSM411_MT_CP_DATA) {
		if (mt == GSM411_MT_CP_ERROR)
			say("SMS %s: CP-ERROR cause %u", ms->imsi, len > 2 ? l3[2] : 0);
		return;
	}
	if (len < 5 || 3u + l3[2] > len)
		return;
	ms_send_dtap(ms, sim_l3_cp_ack(ti ^ 0x8), 0x03);
	const uint8_t *rp = l3 + 3;
	size_t rp_len = l3[2];

	switch (rp[0]) {
	case GSM411_MT_RP_DATA_MT: {
		/* MTI, MR, RP-OA (LV), RP-DA (LV), RP-UD (LV) */
		size_t i = 2;

		if (i < rp_len)
			i += 1u + rp[i];
		if (i < rp_len)
			i += 1u + rp[i];
		if (i >= rp_len || i + 1u + rp[i] > rp_len) {
			say("MT SMS %s: undecodable RP-DATA", ms->imsi);
			return;
		}
		rx_mt_sms(ms, rp + i + 1, rp[i]);
		ms_send_dtap(ms, sim_l3_rp_ack(ti ^ 0x8, rp[1]), 0x03);
		break;
	}
	case GSM411_MT_RP_ACK_MT:
		say("MO SMS %s: RP-ACK", ms->imsi);
		answered(ms, true);
		break;
	case GSM411_MT_RP_ERROR_MT:
		say("MO SMS %s: RP-ERROR cause %u", ms->imsi, rp_len > 3 ? rp[3] : 0);
		answered(ms, false);
		break;
	}
}

static void rx_ss(struct sim_ms *ms, const uint8_t *l3, size_t len)
{
	uint8_t mt = l3[1] & 0x3f;
	struct sim_l3_ussd u;
	const uint8_t *ie;
	size_t ie_len;

	if (sim_l3_ss_facility(l3, len, &ie, &ie_len) < 0 || sim_l3_parse_facility(ie, ie_len, &u) < 0) {
		if (mt == GSM0480_MTYPE_RELEASE_COMPLETE) {
			say("USSD %s: released without an answer", ms->imsi);
			ms->ussd_open = false;
			answered(ms, false);
		}
		return;
	}
	if (u.ctype == GSM0480_CTYPE_INVOKE &&
	    (u.opcode == GSM0480_OP_CODE_USS_REQUEST || u.opcode == GSM0480_OP_CODE_USS_NOTIFY) &&
	    mt != GSM0480_MTYPE_RELEASE_COMPLETE) {
		say("USSD %s menu: %s", ms->imsi, u.text);
		ms->ussd_open = true;
		ms->ussd_invoke_id = u.invoke_id;
		ms->ussd_opcode = (uint8_t)u.opcode;
		if (sim.step_ms == ms && sim.wait == WAIT_ANSWER)
			step_done(true);
		return;
	}
	ms->ussd_open = mt != GSM0480_MTYPE_RELEASE_COMPLETE;
	if (u.ctype == GSM0480_CTYPE_RETURN_RESULT) {
		say("USSD %s: %s", ms->imsi, u.text);
		answered(ms, true);
	} else if (u.ctype == GSM0480_CTYPE_RETURN_ERROR) {
		say("USSD %s: error %d", ms->imsi, u.opcode);
		answered(ms, false);
	} else {
		say("USSD %s: component 0x%02x", ms->imsi, u.ctype);
		answered(ms, false);
	}
}

static void rx_mm(struct sim_ms *ms, const uint8_t *l3, size_t len)
{
	const struct sim_step *st = &sim.steps[sim.step];

	switch (l3[1] & 0x3f) {
	case GSM48_MT_MM_LOC_UPD_ACCEPT:
		say("LU %s: accepted", ms->imsi);
		probe_lu(ms);
		answered(ms, true);
		break;
	case GSM48_MT_MM_LOC_UPD_REJECT:
		say("LU %s: rejected, cause %u", ms->imsi, len > 2 ? l3[2] : 0);
		answered(ms, false);
		break;
	case GSM48_MT_MM_CM_SERV_ACC:
		if (sim.step_ms != ms || sim.wait != WAIT_ANSWER)
			break;
		if (st->kind == STEP_SMS)
			ms_send_dtap(ms, sim_l3_sms_submit(0, ++ms->mo_ref, st->dest, st->text), 0x03);
		else if (st->kind == STEP_USSD)
			ms_send_dtap(ms, sim_l3_ussd_register(0, ms->nsd++, 1, st->text), 0x00);
		break;
	case GSM48_MT_MM_CM_SERV_REJ:
		say("CM SERVICE %s: rejected, cause %u", ms->imsi, len > 2 ? l3[2] : 0);
		answered(ms, false);
		break;
	}
}

static void rx_dtap(struct sim_ms *ms, const uint8_t *l3, size_t len)
{
	if (len < 2)
		return;
	switch (l3[0] & 0x0f) {
	case GSM48_PDISC_MM:
		rx_mm(ms, l3, len);
		break;
	case GSM48_PDISC_SMS:
		rx_sms(ms, l3, len);
		break;
	case GSM48_PDISC_NC_SS:
		rx_ss(ms, l3, len);
		break;
	}
}

static void rx_paging(const uint8_t *ies, size_t len)
{
	struct osmo_mobile_identity mi;
	struct sim_ms *ms;

	/* the IMSI IE comes first (TS 48.008 3.2.1.19) */
	if (len < 2 || ies[0] != GSM0808_IE_IMSI || 2u + ies[1] > len ||
	    osmo_mobile_identity_decode(&mi, ies + 2, ies[1], false) < 0 || mi.type != GSM_MI_TYPE_IMSI)
		return;
	ms = ms_find(mi.imsi, false);
	if (!ms || ms->conn_id)
		return;
	ms_connect(ms, sim_l3_paging_response(ms->imsi), 0);
}

static void rx_bssap(struct sim_ms *ms, const uint8_t *d, size_t len)
{
	if (len < 3)
		return;
	if (d[0] == BSSAP_MSG_DTAP) {
		if (ms && 3u + d[2] <= len)
			rx_dtap(ms, d + 3, d[2]);
		return;
	}
	if (d[0] != BSSAP_MSG_BSS_MANAGEMENT || 2u + d[1] > len)
		return;
	switch (d[2]) {
	case BSS_MAP_MSG_RESET_ACKNOWLEDGE:
		if (!sim.reset_acked) {
			sim.reset_acked = true;
			step_next();
		}
		break;
	case BSS_MAP_MSG_PAGING:
		rx_paging(d + 3, d[1] - 1);
		break;
	case BSS_MAP_MSG_CLEAR_CMD:
		if (ms)
			osmo_sccp_tx_data_msg(sim.scu, ms->conn_id, gsm0808_create_clear_complete());
		break;
	}
}

static void released(struct sim_ms *ms)
{
	ms->conn_id = 0;
	ms->ussd_open = false;
	if (sim.step_ms != ms)
		return;
	if (sim.wait == WAIT_IDLE)
		step_start(&sim.steps[sim.step]);
	else if (sim.wait == WAIT_RELEASE)
		step_done(true);
	else if (sim.wait == WAIT_ANSWER && sim.steps[sim.step].kind != STEP_EXPECT_SMS &&
		 sim.steps[sim.step].kind != STEP_WAIT) {
		say("%s: connection released before the answer", ms->imsi);
		step_done(false);
	}
}

static int sccp_sap_up(struct osmo_prim_hdr *oph, void *scu)
{
	struct osmo_scu_prim *p = (struct osmo_scu_prim *)oph;
	struct msgb *msg = oph->msg;
	struct sim_ms *ms;

	switch (OSMO_PRIM_HDR(oph)) {
	case OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION):
		rx_bssap(NULL, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_CONNECT, PRIM_OP_CONFIRM):
		ms = ms_by_conn(p->u.connect.conn_id);
		if (ms && msgb_l2len(msg))
			rx_bssap(ms, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DATA, PRIM_OP_INDICATION):
		ms = ms_by_conn(p->u.data.conn_id);
		if (ms)
			rx_bssap(ms, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DISCONNECT, PRIM_OP_INDICATION):
		ms = ms_by_conn(p->u.disconnect.conn_id);
		if (ms)
			released(ms);
		break;
	}
	msgb_free(msg);
	return 0;
}

/* --- the script ---------------------------------------------------------------------------- */

static void step_timeout(void *data)
{
	const struct sim_step *st = &sim.steps[sim.step];

	if (st->kind == STEP_WAIT) {
		step_done(true);
		return;
	}
	say("TIMEOUT in step %u (%s)", sim.step + 1, st->imsi ? st->imsi : "");
	sim.failed = true;
	sim.finished = true;
}

static void step_start(const struct sim_step *st)
{
	struct sim_ms *ms = st->imsi ? ms_find(st->imsi, true) : NULL;
	struct msgb *l3;
	int rc = 0;

	if (sim.wait != WAIT_IDLE)
		osmo_timer_schedule(&sim.step_timer, st->kind == STEP_WAIT ? st->count : sim.timeout, 0);
	sim.step_ms = ms;
	sim.wait = WAIT_ANSWER;
	if (ms && ms->conn_id &&
	    (st->kind == STEP_LU || st->kind == STEP_SMS || st->kind == STEP_USSD)) {
		sim.wait = WAIT_IDLE;
		return;
	}
	switch (st->kind) {
	case STEP_LU:
		/* the request names the last registered area, Complete Layer 3 the new cell */
		l3 = sim_l3_lu_request(ms->imsi, &ms_cell(ms)->lai);
		if (st->has_cell) {
			ms->cell = st->cell;
			ms->placed = true;
		}
		rc = ms_connect(ms, l3, 1);
		break;
	case STEP_SMS:
		rc = ms_connect(ms, sim_l3_cm_service_request(ms->imsi, GSM48_CMSERV_SMS), 1);
		break;
	case STEP_USSD:
		rc = ms_connect(ms, sim_l3_cm_service_request(ms->imsi, GSM48_CMSERV_SUP_SERV), 1);
		break;
	case STEP_USSD_REPLY:
		if (!ms->ussd_open) {
			say("USSD %s: no menu to answer", ms->imsi);
			rc = -ENOENT;
			break;
		}
		ms->ussd_open = false;
		rc = ms_send_dtap(ms, sim_l3_ussd_answer(0, ms->nsd++, ms->ussd_invoke_id,
							ms->ussd_opcode, st->text), 0x00);
		break;
	case STEP_EXPECT_SMS:
		if (ms->mt_sms >= st->count)
			step_done(true);
		break;
	case STEP_WAIT:
		break;
	case STEP_ADVANCE:
		sim.advanced += st->count;
		step_done(true);
		break;
	}
	if (rc < 0) {
		say("step %u (%s): %s", sim.step + 1, st->imsi, strerror(-rc));
		step_done(false);
	}
}

static void step_next(void)
{
	if (sim.finished)
		return;
	if (sim.wait == WAIT_DONE)
		sim.step++;
	if (sim.step >= sim.nsteps) {
		sim.finished = true;
		return;
	}
	step_start(&sim.steps[sim.step]);
}

/* CELL as osmo_cgi_name() prints it and the cell registry has it: MCC-MNC-LAC-CI. */
static int parse_cell(const char *s, struct osmo_cell_global_id *cgi)
{
	char mcc[4], mnc[4];
	unsigned lac, ci;
	int end = 0;

	if (sscanf(s, "%3[0-9]-%3[0-9]-%5u-%5u%n", mcc, mnc, &lac, &ci, &end) != 4 || s[end] ||
	    strlen(mcc) != 3 || strlen(mnc) < 2 || lac > 0xffff || ci > 0xffff ||
	    osmo_mcc_from_str(mcc, &cgi->lai.plmn.mcc) < 0 ||
	    osmo_mnc_from_str(mnc, &cgi->lai.plmn.mnc, &cgi->lai.plmn.mnc_3_digits) < 0)
		return -EINVAL;
	cgi->lai.lac = (uint16_t)lac;
	cgi->cell_identity = (uint16_t)ci;
	return 0;
}

/* Seconds, or a number of s, m, h or d. */
static int parse_duration(const char *s, unsigned *seconds)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);
	unsigned long unit = !strcmp(end, "") || !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
			     !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;

	if (s[0] < '0' || s[0] > '9' || !unit || n > UINT_MAX / unit)
		return -EINVAL;
	*seconds = (unsigned)(n * unit);
	return 0;
}

/* --msisdn IMSI=MSISDN */
static int parse_msisdn(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char imsi[16];
	size_t len;

	if (!eq || eq - arg < 6 || eq - arg > 15 || strlen(eq + 1) < 5 || strlen(eq + 1) > 15 ||
	    strspn(arg, "0123456789") != (size_t)(eq - arg) ||
	    strspn(eq + 1, "0123456789") != strlen(eq + 1))
		return -EINVAL;
	len = (size_t)(eq - arg);
	memcpy(imsi, arg, len);
	imsi[len] = '\0';
	OSMO_STRLCPY_ARRAY(ms_find(imsi, true)->msisdn, eq + 1);
	return 0;
}

/* The words of the script; nargs counts everything after the word. */
static const struct {
	const char *word;
	enum sim_step_kind kind;
	int nargs;
	const char *before_cell;	/* attach IMSI at CELL, move IMSI to CELL */
} step_words[] = {
	{ "lu", STEP_LU, 1, NULL },
	{ "attach", STEP_LU, 3, "at" },
	{ "move", STEP_LU, 3, "to" },
	{ "sms", STEP_SMS, 3, NULL },
	{ "ussd", STEP_USSD, 2, NULL },
	{ "ussd-reply", STEP_USSD_REPLY, 2, NULL },
	{ "press", STEP_USSD_REPLY, 2, NULL },
	{ "expect-sms", STEP_EXPECT_SMS, 2, NULL },
	{ "wait", STEP_WAIT, 1, NULL },
	{ "advance", STEP_ADVANCE, 1, NULL },
};

static int parse_steps(int argc, char **argv)
{
	sim.steps = talloc_zero_array(sim.ctx, struct sim_step, argc);
	for (int i = 0; i < argc; sim.nsteps++) {
		struct sim_step *st = &sim.steps[sim.nsteps];
		char **arg = argv + i + 1;
		int w;

		for (w = ARRAY_SIZE(step_words) - 1; w >= 0; w--)
			if (!strcmp(argv[i], step_words[w].word))
				break;
		if (w < 0 || i + step_words[w].nargs >= argc)
			return -EINVAL;
		st->kind = step_words[w].kind;
		switch (st->kind) {
		case STEP_LU:
			st->has_cell = step_words[w].before_cell != NULL;
			if (st->has_cell && (strcmp(arg[1], step_words[w].before_cell) ||
					     parse_cell(arg[2], &st->cell) < 0))
				return -EINVAL;
			break;
		case STEP_SMS:
			st->dest = arg[1];
			st->text = arg[2];
			break;
		case STEP_USSD:
		case STEP_USSD_REPLY:
			st->text = arg[1];
			break;
		case STEP_EXPECT_SMS:
			st->count = (unsigned)atoi(arg[1]);
			break;
		case STEP_WAIT:
			st->count = (unsigned)atoi(arg[0]);
			break;
		case STEP_ADVANCE:
			if (parse_duration(arg[0], &st->count) < 0)
				return -EINVAL;
			break;
		}
		if (st->kind != STEP_WAIT && st->kind != STEP_ADVANCE)
			st->imsi = arg[0];
		i += step_words[w].nargs + 1;
	}
	return sim.nsteps ? 0 : -EINVAL;
}

/* Every handset that does a location update needs an MSISDN for its events line. */
static int check_msisdns(void)
{
	for (unsigned i = 0; i < sim.nsteps; i++) {
		const struct sim_step *st = &sim.steps[i];
		const struct sim_ms *ms;

		if (st->kind != STEP_LU)
			continue;
		ms = ms_find(st->imsi, false);
		if (!ms || !ms->msisdn[0]) {
			fprintf(stderr, "itinerad-sim: --events needs --msisdn %s=MSISDN\n", st->imsi);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct log_info_cat sim_log_cats[] = {
	[0] = { .name = "DSIM", .description = "simulated BSC", .enabled = 1,
		.loglevel = LOGL_NOTICE },
};

static const struct log_info sim_log_info = { .cat = sim_log_cats, .num_cat = 1 };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stp-port", required_argument, NULL, 'p' },
		{ "lac", required_argument, NULL, 'l' },
		{ "ci", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "events", required_argument, NULL, 'e' },
		{ "msisdn", required_argument, NULL, 'm' },
		{ "clock", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct osmo_sccp_instance *sccp;
	const char *events = NULL, *err;
	int stp_port = 24205, c, rc;
	bool verbose = false;

	sim.ctx = talloc_named_const(NULL, 0, "itinerad-sim");
	sim.cell = (struct osmo_cell_global_id){
		.lai = { .plmn = { .mcc = 1, .mnc = 1 }, .lac = 1 }, .cell_identity = 11 };
	sim.timeout = 30;
	INIT_LLIST_HEAD(&sim.ms_list);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			stp_port = atoi(optarg);
			break;
		case 'l':
			sim.cell.lai.lac = (uint16_t)atoi(optarg);
			break;
		case 'c':
			sim.cell.cell_identity = (uint16_t)atoi(optarg);
			break;
		case 't':
			sim.timeout = (unsigned)atoi(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'e':
			events = optarg;
			break;
		case 'm':
			if (parse_msisdn(optarg) < 0) {
				fprintf(stderr, "itinerad-sim: --msisdn %s is not IMSI=MSISDN\n", optarg);
				return 2;
			}
			break;
		case 'k':
			if ((err = itin_feed_parse_time(optarg, strlen(optarg), &sim.clock))) {
				fprintf(stderr, "itinerad-sim: --clock %s: %s\n", optarg, err);
				return 2;
			}
			sim.clock_fixed = true;
			break;
		default:
			return 2;
		}
	}
	if (parse_steps(argc - optind, argv + optind) < 0) {
		fprintf(stderr, "usage: itinerad-sim [--stp-port P] [--lac L] [--ci C] [--timeout S]\n"
			"    [--verbose] [--events FILE|'|COMMAND'] [--msisdn IMSI=MSISDN]...\n"
			"    [--clock TIME] STEP...\n"
			"  steps: lu IMSI | attach IMSI at CELL | move IMSI to CELL |\n"
			"    sms IMSI DEST TEXT | ussd IMSI TEXT | ussd-reply IMSI TEXT |\n"
			"    press IMSI TEXT | expect-sms IMSI N | wait SECONDS | advance DURATION\n"
			"  CELL: MCC-MNC-LAC-CI; DURATION: seconds, or N followed by s, m, h or d\n");
		return 2;
	}
	if (events && check_msisdns() < 0)
		return 2;
	/* before the SCCP stack's sockets exist, so that COMMAND does not inherit them */
	if (events && events_open(events) < 0)
		return 1;

	msgb_talloc_ctx_init(sim.ctx, 0);
	osmo_init_logging2(sim.ctx, &sim_log_info);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_log_level(osmo_stderr_target, verbose ? LOGL_INFO : LOGL_ERROR);
	osmo_ss7_init();
	sccp = osmo_sccp_simple_client_on_ss7_id(sim.ctx, 0, "itinerad-sim", SIM_PC_BSC,
						 OSMO_SS7_ASP_PROT_M3UA, 0, "127.0.0.1", stp_port,
						 "127.0.0.1");
	if (!sccp) {
		fprintf(stderr, "itinerad-sim: no M3UA client towards 127.0.0.1:%d\n", stp_port);
		events_close();
		return 1;
	}
	sim.as = osmo_ss7_as_find_by_name(osmo_sccp_get_ss7(sccp), "as-clnt-itinerad-sim");
	sim.scu = osmo_sccp_user_bind(sccp, "itinerad-sim", sccp_sap_up, OSMO_SCCP_SSN_BSSAP);
	osmo_sccp_make_addr_pc_ssn(&sim.bsc, SIM_PC_BSC, OSMO_SCCP_SSN_BSSAP);
	osmo_sccp_make_addr_pc_ssn(&sim.msc, SIM_PC_MSC, OSMO_SCCP_SSN_BSSAP);
	osmo_timer_setup(&sim.reset_timer, send_reset, NULL);
	osmo_timer_setup(&sim.step_timer, step_timeout, NULL);
	osmo_timer_schedule(&sim.reset_timer, 0, 200000);
	/* the first step waits for RESET ACKNOWLEDGE, under the same deadline as a step */
	osmo_timer_schedule(&sim.step_timer, sim.timeout, 0);
	while (!sim.finished)
		osmo_select_main(0);
	rc = events_close();
	return sim.failed || rc < 0 ? 1 : 0;
}
