/*
 * Facility components. What the handset sent is read here with a strict BER walk rather than
 * with libosmocore's gsm0480_parse_facility_ie: that one (libosmocore 1.7) trusts the length
 * octet of the USSD string and copies up to 160 octets from wherever it points, past the end of
 * the IE, and it reads the DCS and the string at fixed offsets. osmo-hlr runs the same parser
 * and forwards such a facility unchanged when the garbage it decodes still starts with our
 * prefix, so it does reach us. Every length is checked against its enclosing one here.
 * BER lengths above 127 take the long form (a UCS2 page of 80 characters is 160 octets), which
 * is why our components are written here rather than with fixed-size length octets.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/msgb.h>
#include <osmocom/gsm/gsm0480.h>
#include <osmocom/gsm/protocol/gsm_04_80.h>

#include "engine/gsm_text.h"
#include "ussd/ss_facility.h"

#define DCS_GSM7 0x0f
#define DCS_UCS2 0x48
#define USSD_STRING_MAX 160	/* octets (MAP ussd-String) */

/* One TLV at *p: the tag, the value and its length (short form, or long form in one or two
 * octets); the value must end before end. -EINVAL otherwise. */
static int ber_next(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val,
		    size_t *len)
{
	const uint8_t *q = *p;
	size_t l, k;

	if (end - q < 2)
		return -EINVAL;
	*tag = *q++;
	l = *q++;
	if (l & 0x80) {
		k = l & 0x7f;
		if (k < 1 || k > 2 || (size_t)(end - q) < k)
			return -EINVAL;
		for (l = 0; k > 0; k--)
			l = l << 8 | *q++;
	}
	if ((size_t)(end - q) < l)
		return -EINVAL;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* A one-octet INTEGER with this tag, as invoke ids and operation codes are. */
static int ber_octet(const uint8_t **p, const uint8_t *end, uint8_t want_tag, uint8_t *out)
{
	const uint8_t *v;
	uint8_t tag;
	size_t len;

	if (ber_next(p, end, &tag, &v, &len) < 0 || tag != want_tag || len != 1)
		return -EINVAL;
	*out = v[0];
	return 0;
}

/* The alphabet of a USSD DCS (3GPP TS 23.038 section 5, the CBS coding groups): 0 GSM 7-bit,
 * 1 UCS2, -EINVAL for 8-bit data, compressed text and reserved values. */
static int dcs_alphabet(uint8_t dcs)
{
	switch (dcs >> 4) {
	case 0x0:		/* languages, GSM 7-bit (0x0F: unspecified) */
	case 0x2:
	case 0x3:
		return 0;
	case 0x4:		/* general data coding, uncompressed: bits 3-2 give the alphabet */
	case 0x5:
		return (dcs & 0x0c) == 0x00 ? 0 : (dcs & 0x0c) == 0x08 ? 1 : -EINVAL;
	case 0xf:
		return dcs & 0x04 ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* ussd-Arg / ussd-Res: SEQUENCE { ussd-DataCodingScheme OCTET STRING (SIZE (1)),
 * ussd-String OCTET STRING, ... }; what may follow the string (alertingPattern, msisdn) is
 * not read. */
static int parse_ussd_arg(const uint8_t *p, const uint8_t *end, struct ss_facility *out)
{
	const uint8_t *seq, *str;
	size_t seq_len, str_len;
	uint8_t tag, dcs;
	int alphabet, rc;

	if (ber_next(&p, end, &tag, &seq, &seq_len) < 0 || tag != GSM_0480_SEQUENCE_TAG || p != end)
		return -EINVAL;
	p = seq;
	end = seq + seq_len;
	if (ber_octet(&p, end, ASN1_OCTET_STRING_TAG, &dcs) < 0
	    || ber_next(&p, end, &tag, &str, &str_len) < 0 || tag != ASN1_OCTET_STRING_TAG
	    || str_len > USSD_STRING_MAX)
		return -EINVAL;
	alphabet = dcs_alphabet(dcs);
	if (alphabet < 0)
		return -EINVAL;
	if (alphabet == 1)
		rc = itin_text_decode_ucs2(str, str_len, out->text, sizeof(out->text));
	else
		rc = itin_text_decode_gsm_packed(str, str_len, out->text, sizeof(out->text));
	return rc < 0 ? -EINVAL : 0;
}

int ss_facility_parse(const uint8_t *ie, size_t len, struct ss_facility *out)
{
	const uint8_t *p = ie, *end = ie + len, *comp, *cend, *seq;
	size_t comp_len, seq_len;
	uint8_t ctype, tag, linked;

	memset(out, 0, sizeof(*out));
	/* One component, filling the IE: a handset sends no more in USSD. */
	if (ber_next(&p, end, &ctype, &comp, &comp_len) < 0 || p != end)
		return -EINVAL;
	p = comp;
	cend = comp + comp_len;
	if (ber_octet(&p, cend, GSM0480_COMPIDTAG_INVOKE_ID, &out->invoke_id) < 0)
		return -EINVAL;
	switch (ctype) {
	case GSM0480_CTYPE_INVOKE:
		/* invokeId, [0] linkedId OPTIONAL, opcode, argument */
		if (p < cend && *p == GSM0480_COMPIDTAG_LINKED_ID
		    && ber_octet(&p, cend, GSM0480_COMPIDTAG_LINKED_ID, &linked) < 0)
			return -EINVAL;
		if (ber_octet(&p, cend, GSM0480_OPERATION_CODE, &out->opcode) < 0)
			return -EINVAL;
		break;
	case GSM0480_CTYPE_RETURN_RESULT:
		/* invokeId, SEQUENCE { opcode, result } */
		if (ber_next(&p, cend, &tag, &seq, &seq_len) < 0 || tag != GSM_0480_SEQUENCE_TAG
		    || p != cend)
			return -EINVAL;
		p = seq;
		cend = seq + seq_len;
		if (ber_octet(&p, cend, GSM0480_OPERATION_CODE, &out->opcode) < 0)
			return -EINVAL;
		break;
	default:		/* ReturnError, Reject: no USSD string */
		return -EINVAL;
	}
	if (out->opcode != GSM0480_OP_CODE_PROCESS_USS_REQ && out->opcode != GSM0480_OP_CODE_USS_REQUEST)
		return -EINVAL;
	return parse_ussd_arg(p, cend, out);
}

/* Tag and BER length; returns the octets written. */
static size_t put_tl(uint8_t *p, uint8_t tag, size_t len)
{
	p[0] = tag;
	if (len < 128) {
		p[1] = len;
		return 2;
	}
	p[1] = 0x81;
	p[2] = len;
	return 3;
}

static size_t tl_len(size_t len)
{
	return len < 128 ? 2 : 3;
}

int ss_facility_build(uint8_t *out, size_t max, bool final, uint8_t invoke_id, const char *utf8)
{
	uint8_t str[256];
	size_t septets, str_len, seq_len, op_len, body_len, total, n = 0;
	uint8_t dcs;
	int rc;

	if (itin_gsm_fits(utf8, strlen(utf8))) {
		dcs = DCS_GSM7;
		rc = itin_text_encode_gsm_packed(utf8, strlen(utf8), str, sizeof(str), &septets);
	} else {
		dcs = DCS_UCS2;
		rc = itin_text_encode(ITIN_CODING_UCS2, utf8, strlen(utf8), str, sizeof(str));
	}
	if (rc < 0)
		return rc;
	str_len = rc;
	/* ussd-Arg / ussd-Res: SEQUENCE { dcs OCTET STRING, string OCTET STRING } */
	seq_len = 3 + tl_len(str_len) + str_len;
	op_len = 3 + tl_len(seq_len) + seq_len;		/* opcode, then the SEQUENCE */
	body_len = 3 + (final ? tl_len(op_len) + op_len : op_len);	/* invoke id first */
	total = tl_len(body_len) + body_len;
	if (total > max || str_len > 255 || body_len > 255)
		return -ENOSPC;
	n += put_tl(out + n, final ? GSM0480_CTYPE_RETURN_RESULT : GSM0480_CTYPE_INVOKE, body_len);
	n += put_tl(out + n, GSM0480_COMPIDTAG_INVOKE_ID, 1);
	out[n++] = invoke_id;
	if (final)
		n += put_tl(out + n, GSM_0480_SEQUENCE_TAG, op_len);
	n += put_tl(out + n, GSM0480_OPERATION_CODE, 1);
	out[n++] = final ? GSM0480_OP_CODE_PROCESS_USS_REQ : GSM0480_OP_CODE_USS_REQUEST;
	n += put_tl(out + n, GSM_0480_SEQUENCE_TAG, seq_len);
	n += put_tl(out + n, ASN1_OCTET_STRING_TAG, 1);
	out[n++] = dcs;
	n += put_tl(out + n, ASN1_OCTET_STRING_TAG, str_len);
	memcpy(out + n, str, str_len);
	return n + str_len;
}

static int build_return_error(uint8_t *out, size_t max, uint8_t invoke_id, uint8_t error_code)
{
	struct msgb *msg = gsm0480_gen_return_error(invoke_id, error_code);
	int len;

	if (!msg)
		return -ENOMEM;
	len = msgb_length(msg);
	if ((size_t)len > max)
		len = -ENOSPC;
	else
		memcpy(out, msgb_data(msg), len);
	msgb_free(msg);
	return len;
}

int ss_facility_build_error(uint8_t *out, size_t max, uint8_t invoke_id)
{
	return build_return_error(out, max, invoke_id, GSM0480_ERR_CODE_UNEXPECTED_DATA_VALUE);
}

int ss_facility_build_release(uint8_t *out, size_t max, uint8_t invoke_id)
{
	return build_return_error(out, max, invoke_id, GSM0480_ERR_CODE_SYSTEM_FAILURE);
}
