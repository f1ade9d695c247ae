/*
 * Layer 3 messages of the simulated handsets: see sim_l3.h. Builders return a msgb with l3h
 * set (NULL when an argument does not fit); parsers return 0 or a negative errno and never read
 * past the given length. Texts are UTF-8 on this side and GSM 7-bit or UCS2 on the air side.
 * No sockets, no state.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm0411_utils.h>
#include <osmocom/gsm/gsm0480.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/gsm_utils.h>
#include <osmocom/gsm/protocol/gsm_03_40.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>
#include <osmocom/gsm/protocol/gsm_04_11.h>
#include <osmocom/gsm/protocol/gsm_04_80.h>

#include "sim/sim_l3.h"

#define SIM_L3_CKSN_NONE	7
#define SIM_L3_SMSC		"12345"	/* RP-DA of MO SMS; osmo-msc does not look at it */
#define SIM_L3_DCS_USSD_7BIT	0x0f

static const uint8_t sim_l3_classmark2[] = { 0x57, 0x58, 0xa6 };	/* R99, A5/1 */

/* A message starting with its protocol discriminator (and transaction id) and its type. */
static struct msgb *l3_alloc(uint8_t pdisc, uint8_t mtype)
{
	struct msgb *msg = msgb_alloc_headroom(1024, 128, "sim L3");

	if (!msg)
		return NULL;
	msg->l3h = msg->tail;
	msgb_put_u8(msg, pdisc);
	msgb_put_u8(msg, mtype);
	return msg;
}

static int put_imsi_lv(struct msgb *msg, const char *imsi)
{
	struct osmo_mobile_identity mi = { .type = GSM_MI_TYPE_IMSI };
	uint8_t *lv;
	int rc;

	if (osmo_strlcpy(mi.imsi, imsi, sizeof(mi.imsi)) >= sizeof(mi.imsi))
		return -EINVAL;
	lv = msgb_put(msg, 1);
	rc = osmo_mobile_identity_encode_msgb(msg, &mi, false);
	if (rc < 0)
		return rc;
	*lv = (uint8_t)rc;
	return 0;
}

static struct msgb *l3_done(struct msgb *msg, int rc)
{
	if (rc < 0) {
		msgb_free(msg);
		return NULL;
	}
	return msg;
}

struct msgb *sim_l3_lu_request(const char *imsi, const struct osmo_location_area_id *lai)
{
	struct msgb *msg = l3_alloc(GSM48_PDISC_MM, GSM48_MT_MM_LOC_UPD_REQUEST);

	if (!msg)
		return NULL;
	msgb_put_u8(msg, SIM_L3_CKSN_NONE << 4 | GSM48_LUPD_IMSI_ATT);
	gsm48_generate_lai2((struct gsm48_loc_area_id *)msgb_put(msg, sizeof(struct gsm48_loc_area_id)),
			    lai);
	msgb_put_u8(msg, sim_l3_classmark2[0]);	/* classmark 1 */
	return l3_done(msg, put_imsi_lv(msg, imsi));
}

struct msgb *sim_l3_cm_service_request(const char *imsi, uint8_t service_type)
{
	struct msgb *msg = l3_alloc(GSM48_PDISC_MM, GSM48_MT_MM_CM_SERV_REQ);

	if (!msg)
		return NULL;
	msgb_put_u8(msg, SIM_L3_CKSN_NONE << 4 | service_type);
	msgb_put_u8(msg, sizeof(sim_l3_classmark2));
	memcpy(msgb_put(msg, sizeof(sim_l3_classmark2)), sim_l3_classmark2, sizeof(sim_l3_classmark2));
	return l3_done(msg, put_imsi_lv(msg, imsi));
}

struct msgb *sim_l3_paging_response(const char *imsi)
{
	struct msgb *msg = l3_alloc(GSM48_PDISC_RR, GSM48_MT_RR_PAG_RESP);

	if (!msg)
		return NULL;
	msgb_put_u8(msg, SIM_L3_CKSN_NONE);
	msgb_put_u8(msg, sizeof(sim_l3_classmark2));
	memcpy(msgb_put(msg, sizeof(sim_l3_classmark2)), sim_l3_classmark2, sizeof(sim_l3_classmark2));
	return l3_done(msg, put_imsi_lv(msg, imsi));
}

/* --- text ---------------------------------------------------------------------------------- */

/* GSM 03.38 default alphabet and its extension table, as UTF-8. */
static const char *const gsm7_basic[128] = {
	"@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
	"Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", "", "Æ", "æ", "ß", "É",
	" ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
	"¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
	"P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
	"¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
	"p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
};

static const char *gsm7_ext(uint8_t c)
{
	switch (c) {
	case 0x0a: return "\f";
	case 0x14: return "^";
	case 0x28: return "{";
	case 0x29: return "}";
	case 0x2f: return "\\";
	case 0x3c: return "[";
	case 0x3d: return "~";
	case 0x3e: return "]";
	case 0x40: return "|";
	case 0x65: return "€";
	default: return " ";
	}
}

static int out_add(char *out, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n + 1 > size)
		return -ENOSPC;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
	return 0;
}

/* Septets first..first+count-1 of packed 7-bit data to UTF-8. */
static int gsm7_to_utf8(const uint8_t *data, size_t len, unsigned first, unsigned count, char *out,
			size_t size)
{
	size_t pos = 0;
	bool esc = false;

	out[0] = '\0';
	for (unsigned i = first; i < first + count; i++) {
		size_t bit = (size_t)i * 7, byte = bit / 8;
		unsigned c;

		if (byte >= len)
			return -EBADMSG;
		c = data[byte] >> (bit % 8);
		if (bit % 8 > 1 && byte + 1 < len)
			c |= data[byte + 1] << (8 - bit % 8);
		c &= 0x7f;
		if (c == 0x1b && !esc) {
			esc = true;
			continue;
		}
		if (out_add(out, size, &pos, esc ? gsm7_ext((uint8_t)c) : gsm7_basic[c]) < 0)
			return -ENOSPC;
		esc = false;
	}
	return 0;
}

static int ucs2_to_utf8(const uint8_t *data, size_t len, char *out, size_t size)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t cp = (uint32_t)data[i] << 8 | data[i + 1];
		char u[5] = { 0 };

		if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < len) {
			uint32_t lo = (uint32_t)data[i + 2] << 8 | data[i + 3];

			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		if (cp < 0x80) {
			u[0] = (char)cp;
		} else if (cp < 0x800) {
			u[0] = (char)(0xc0 | cp >> 6);
			u[1] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			u[0] = (char)(0xe0 | cp >> 12);
			u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f));
		} else {
			u[0] = (char)(0xf0 | cp >> 18);
			u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			u[3] = (char)(0x80 | (cp & 0x3f));
		}
		if (out_add(out, size, &pos, u) < 0)
			return -ENOSPC;
	}
	return 0;
}

/* UTF-8 to UTF-16BE; returns the octets written or -EINVAL. */
static int utf8_to_ucs2(const char *s, uint8_t *out, size_t size)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p) {
		uint32_t cp;
		unsigned extra;

		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			extra = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			extra = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return -EINVAL;
		}
		p++;
		for (unsigned k = 0; k < extra; k++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -EINVAL;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp >= 0x10000) {
			if (n + 4 > size)
				return -EINVAL;
			cp -= 0x10000;
			out[n++] = (uint8_t)(0xd8 | cp >> 18);
			out[n++] = (uint8_t)(cp >> 10);
			out[n++] = (uint8_t)(0xdc | (cp >> 8 & 0x03));
			out[n++] = (uint8_t)cp;
		} else {
			if (n + 2 > size)
				return -EINVAL;
			out[n++] = (uint8_t)(cp >> 8);
			out[n++] = (uint8_t)cp;
		}
	}
	return (int)n;
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Character set of a data coding scheme (TS 23.038): 0 GSM 7-bit, 1 8-bit, 2 UCS2. */
static int dcs_charset(uint8_t dcs)
{
	if ((dcs & 0xc0) == 0x00 || (dcs & 0xc0) == 0x40)
		return (dcs >> 2) & 3;
	if ((dcs & 0xf0) == 0xf0)
		return (dcs & 0x04) ? 1 : 0;
	return 0;
}

/* --- SMS ----------------------------------------------------------------------------------- */

static struct msgb *cp_data(uint8_t ti, const uint8_t *rp, size_t rp_len)
{
	struct msgb *msg = l3_alloc((uint8_t)(ti << 4 | GSM48_PDISC_SMS), GSM411_MT_CP_DATA);

	if (!msg || rp_len > 248)
		return l3_done(msg, -EINVAL);
	msgb_put_u8(msg, (uint8_t)rp_len);
	memcpy(msgb_put(msg, rp_len), rp, rp_len);
	return msg;
}

struct msgb *sim_l3_sms_submit(uint8_t ti, uint8_t msg_ref, const char *dest, const char *text)
{
	uint8_t tpdu[200], rp[250], *t = tpdu, *r = rp;
	int n, octets;

	*t++ = 0x01;	/* SMS-SUBMIT, no validity period */
	*t++ = msg_ref;
	n = gsm340_gen_oa(t, 12, GSM340_TYPE_UNKNOWN, GSM340_PLAN_ISDN, dest);
	if (n < 0)
		return NULL;
	t += n;
	*t++ = 0;	/* TP-PID */
	if (is_ascii(text)) {
		*t++ = 0x00;
		n = gsm_7bit_encode_n(t + 1, 140, text, &octets);
		if (n > 160)
			return NULL;
		*t++ = (uint8_t)n;
	} else {
		*t++ = 0x08;
		octets = utf8_to_ucs2(text, t + 1, 140);
		if (octets < 0)
			return NULL;
		*t++ = (uint8_t)octets;
	}
	t += octets;
	*r++ = GSM411_MT_RP_DATA_MO;
	*r++ = msg_ref;
	*r++ = 0;	/* RP-OA */
	n = gsm340_gen_oa(r, 12, GSM340_TYPE_INTERNATIONAL, GSM340_PLAN_ISDN, SIM_L3_SMSC);
	if (n < 0)
		return NULL;
	*r = (uint8_t)(n - 1);	/* RP-DA counts octets, not digits */
	r += n;
	*r++ = (uint8_t)(t - tpdu);
	memcpy(r, tpdu, t - tpdu);
	r += t - tpdu;
	return cp_data(ti, rp, r - rp);
}

struct msgb *sim_l3_cp_ack(uint8_t ti)
{
	return l3_alloc((uint8_t)(ti << 4 | GSM48_PDISC_SMS), GSM411_MT_CP_ACK);
}

struct msgb *sim_l3_rp_ack(uint8_t ti, uint8_t msg_ref)
{
	uint8_t rp[2] = { GSM411_MT_RP_ACK_MO, msg_ref };

	return cp_data(ti, rp, sizeof(rp));
}

int sim_l3_parse_sms_deliver(const uint8_t *tpdu, size_t len, struct sim_l3_sms_deliver *out)
{
	size_t i = 0, oa_digits, oa_octets, udl_pos;
	unsigned udl, udh_octets = 0;
	bool udhi;
	int charset;

	memset(out, 0, sizeof(*out));
	if (len < 2 || (tpdu[0] & 0x03) != 0)
		return -EBADMSG;
	udhi = tpdu[0] & 0x40;
	oa_digits = tpdu[1];
	oa_octets = (oa_digits + 1) / 2;
	if (2 + 1 + oa_octets + 2 + 7 + 1 > len)
		return -EBADMSG;
	if ((tpdu[2] & 0x70) == 0x50) {	/* alphanumeric sender */
		if (gsm7_to_utf8(tpdu + 3, oa_octets, 0, (unsigned)(oa_digits * 4 / 7), out->from,
				 sizeof(out->from)) < 0)
			return -EBADMSG;
	} else {
		for (size_t d = 0; d < oa_digits && d < sizeof(out->from) - 1; d++) {
			uint8_t b = tpdu[3 + d / 2];

			out->from[d] = "0123456789*#abc?"[d % 2 ? b >> 4 : b & 0x0f];
		}
	}
	i = 3 + oa_octets;
	out->dcs = tpdu[i + 1];
	udl_pos = i + 2 + 7;
	udl = tpdu[udl_pos];
	charset = dcs_charset((uint8_t)out->dcs);
	const uint8_t *ud = tpdu + udl_pos + 1;
	size_t ud_len = len - udl_pos - 1;

	if (udhi) {
		unsigned udhl;

		if (ud_len < 1 || (udhl = ud[0]) + 1u > ud_len)
			return -EBADMSG;
		for (unsigned k = 1; k + 1 < udhl + 1u; k += 2u + ud[k + 1]) {
			if (ud[k] == 0x00 && ud[k + 1] == 3 && k + 4 < udhl + 1u) {
				out->ref = ud[k + 2];
				out->parts = ud[k + 3];
				out->part = ud[k + 4];
			} else if (ud[k] == 0x08 && ud[k + 1] == 4 && k + 5 < udhl + 1u) {
				out->ref = (unsigned)ud[k + 2] << 8 | ud[k + 3];
				out->parts = ud[k + 4];
				out->part = ud[k + 5];
			}
		}
		udh_octets = udhl + 1;
	}
	if (charset == 0) {
		unsigned skip = (udh_octets * 8 + 6) / 7;

		if (udl < skip)
			return -EBADMSG;
		return gsm7_to_utf8(ud, ud_len, skip, udl - skip, out->text, sizeof(out->text));
	}
	if (udl > ud_len || udl < udh_octets)
		return -EBADMSG;
	if (charset == 2)
		return ucs2_to_utf8(ud + udh_octets, udl - udh_octets, out->text, sizeof(out->text));
	snprintf(out->text, sizeof(out->text), "<%u octets of 8-bit data>", udl - udh_octets);
	return 0;
}

/* --- USSD ---------------------------------------------------------------------------------- */

/* The USSD string of a component: DCS 0x0F and GSM 7-bit packed septets, or UCS2 (DCS 0x48)
 * when the text needs it. Returns the octets written to buf (dcs and string TLVs) or -EINVAL. */
static int ussd_string_tlvs(uint8_t *buf, size_t size, const char *text)
{
	uint8_t str[160];
	int octets, dcs;

	if (is_ascii(text)) {
		if (gsm_7bit_encode_n_ussd(str, sizeof(str), text, &octets) < 0)
			return -EINVAL;
		dcs = SIM_L3_DCS_USSD_7BIT;
	} else {
		octets = utf8_to_ucs2(text, str, sizeof(str));
		if (octets < 0)
			return -EINVAL;
		dcs = 0x48;
	}
	if ((size_t)octets + 5 > size || octets > 127)
		return -EINVAL;
	buf[0] = ASN1_OCTET_STRING_TAG;
	buf[1] = 1;
	buf[2] = (uint8_t)dcs;
	buf[3] = ASN1_OCTET_STRING_TAG;
	buf[4] = (uint8_t)octets;
	memcpy(buf + 5, str, octets);
	return octets + 5;
}

/* An SS message of mtype carrying one component (comp .. c): REGISTER takes the Facility as a
 * TLV and an SS version, FACILITY as an LV. */
static struct msgb *ss_message(uint8_t ti, uint8_t nsd, uint8_t mtype, const uint8_t *comp,
			       const uint8_t *c)
{
	struct msgb *msg = l3_alloc((uint8_t)(ti << 4 | GSM48_PDISC_NC_SS), mtype | SIM_L3_NSD(nsd));

	if (!msg)
		return NULL;
	if (mtype == GSM0480_MTYPE_REGISTER)
		msgb_put_u8(msg, GSM0480_IE_FACILITY);
	msgb_put_u8(msg, (uint8_t)(c - comp));
	memcpy(msgb_put(msg, c - comp), comp, c - comp);
	if (mtype == GSM0480_MTYPE_REGISTER) {
		msgb_put_u8(msg, GSM0480_IE_SS_VERSION);
		msgb_put_u8(msg, 1);
		msgb_put_u8(msg, 0);
	}
	return msg;
}

/* The start of a component: its type, length and invoke id. */
static uint8_t *component(uint8_t *c, uint8_t type, unsigned len, uint8_t invoke_id)
{
	*c++ = type;
	*c++ = (uint8_t)len;
	*c++ = GSM0480_COMPIDTAG_INVOKE_ID;
	*c++ = 1;
	*c++ = invoke_id;
	return c;
}

/* The operation code, then the USSD string's parameters as a sequence. */
static uint8_t *operation(uint8_t *c, uint8_t opcode, const uint8_t *param, int plen)
{
	*c++ = GSM0480_OPERATION_CODE;
	*c++ = 1;
	*c++ = opcode;
	*c++ = GSM_0480_SEQUENCE_TAG;
	*c++ = (uint8_t)plen;
	memcpy(c, param, plen);
	return c + plen;
}

struct msgb *sim_l3_ussd_register(uint8_t ti, uint8_t nsd, uint8_t invoke_id, const char *text)
{
	uint8_t param[170], comp[200], *c;
	int plen = ussd_string_tlvs(param, sizeof(param), text);

	if (plen < 0 || plen > 120)
		return NULL;
	c = component(comp, GSM0480_CTYPE_INVOKE, 3 + 3 + 2 + plen, invoke_id);
	c = operation(c, GSM0480_OP_CODE_PROCESS_USS_REQ, param, plen);
	return ss_message(ti, nsd, GSM0480_MTYPE_REGISTER, comp, c);
}

struct msgb *sim_l3_ussd_answer(uint8_t ti, uint8_t nsd, uint8_t invoke_id, uint8_t opcode,
				const char *text)
{
	uint8_t param[170], comp[200], *c;
	int plen = ussd_string_tlvs(param, sizeof(param), text);

	if (plen < 0 || plen > 110)
		return NULL;
	c = component(comp, GSM0480_CTYPE_RETURN_RESULT, 3 + 2 + 3 + 2 + plen, invoke_id);
	*c++ = GSM_0480_SEQUENCE_TAG;
	*c++ = (uint8_t)(3 + 2 + plen);
	c = operation(c, opcode, param, plen);
	return ss_message(ti, nsd, GSM0480_MTYPE_FACILITY, comp, c);
}

int sim_l3_ss_facility(const uint8_t *l3, size_t len, const uint8_t **ie, size_t *ie_len)
{
	size_t i = 2;

	if (len < 2)
		return -EBADMSG;
	if ((l3[1] & 0x3f) == GSM0480_MTYPE_FACILITY) {
		if (len < 3 || 3u + l3[2] > len)
			return -EBADMSG;
		*ie = l3 + 3;
		*ie_len = l3[2];
		return 0;
	}
	while (i + 2 <= len) {
		uint8_t iei = l3[i], l = l3[i + 1];

		if (i + 2 + l > len)
			return -EBADMSG;
		if (iei == GSM0480_IE_FACILITY) {
			*ie = l3 + i + 2;
			*ie_len = l;
			return 0;
		}
		i += 2u + l;
	}
	return -ENOENT;
}

/* A BER length at *p (short form or 0x81/0x82 long form); advances *p. */
static int ber_len(const uint8_t **p, const uint8_t *end, size_t *len)
{
	if (*p >= end)
		return -EBADMSG;
	if (**p < 0x80) {
		*len = *(*p)++;
	} else if (**p == 0x81 && *p + 1 < end) {
		*len = (*p)[1];
		*p += 2;
	} else if (**p == 0x82 && *p + 2 < end) {
		*len = (size_t)(*p)[1] << 8 | (*p)[2];
		*p += 3;
	} else {
		return -EBADMSG;
	}
	return *len <= (size_t)(end - *p) ? 0 : -EBADMSG;
}

/* Walks a component: the first INTEGER is the invoke id, the next the operation (or error)
 * code; a one-octet OCTET STRING is the DCS and the OCTET STRING after it the USSD string. */
static int facility_walk(const uint8_t *p, const uint8_t *end, struct sim_l3_ussd *u, bool *have_id,
			 const uint8_t **str, size_t *str_len)
{
	while (p < end) {
		uint8_t tag = *p++;
		size_t len;

		if (ber_len(&p, end, &len) < 0)
			return -EBADMSG;
		if (tag & 0x20) {
			if (facility_walk(p, p + len, u, have_id, str, str_len) < 0)
				return -EBADMSG;
		} else if (tag == GSM0480_COMPIDTAG_INVOKE_ID && len == 1 && !*have_id) {
			u->invoke_id = p[0];
			*have_id = true;
		} else if (tag == GSM0480_OPERATION_CODE && len == 1 && u->opcode < 0) {
			u->opcode = p[0];
		} else if (tag == ASN1_OCTET_STRING_TAG && len == 1 && u->dcs < 0) {
			u->dcs = p[0];
		} else if (tag == ASN1_OCTET_STRING_TAG && u->dcs >= 0 && !*str) {
			*str = p;
			*str_len = len;
		}
		p += len;
	}
	return 0;
}

int sim_l3_parse_facility(const uint8_t *ie, size_t len, struct sim_l3_ussd *out)
{
	const uint8_t *p = ie, *end = ie + len, *str = NULL;
	size_t clen, str_len = 0;
	bool have_id = false;

	memset(out, 0, sizeof(*out));
	out->opcode = -1;
	out->dcs = -1;
	if (len < 2)
		return -EBADMSG;
	out->ctype = *p++;
	if (ber_len(&p, end, &clen) < 0 || facility_walk(p, p + clen, out, &have_id, &str, &str_len) < 0)
		return -EBADMSG;
	if (!str)
		return 0;
	if (dcs_charset((uint8_t)out->dcs) == 2)
		return ucs2_to_utf8(str, str_len, out->text, sizeof(out->text));
	if (gsm7_to_utf8(str, str_len, 0, (unsigned)(str_len * 8 / 7), out->text, sizeof(out->text)) < 0)
		return -EBADMSG;
	/* 8 septets in 7 octets with a last septet of CR is padding (TS 23.038 6.1.2.3.1) */
	size_t tl = strlen(out->text);
	if (str_len % 7 == 0 && tl && out->text[tl - 1] == '\r')
		out->text[tl - 1] = '\0';
	return 0;
}
