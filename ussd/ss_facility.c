/*
 * Facility components. BER lengths above 127 take the long form (a UCS2 page of 80 characters
 * is 160 octets), which is why the components are written here rather than with fixed-size
 * length octets.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/msgb.h>
#include <osmocom/gsm/gsm0480.h>
#include <osmocom/gsm/protocol/gsm_04_80.h>

#include "sms/gsm_text.h"
#include "ussd/ss_facility.h"

#define DCS_GSM7 0x0f
#define DCS_UCS2 0x48

int ss_facility_parse(const uint8_t *ie, size_t len, struct ss_facility *out)
{
	struct ss_request req;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(out, 0, sizeof(*out));
	if (len > 0xffff || gsm0480_parse_facility_ie(ie, len, &req) != 0)
		return -EINVAL;
	/* A ReturnError also parses as 0, with opcode 0: not a USSD string. */
	if (req.opcode != GSM0480_OP_CODE_PROCESS_USS_REQ && req.opcode != GSM0480_OP_CODE_USS_REQUEST)
		return -EINVAL;
	out->invoke_id = req.invoke_id;
	out->opcode = req.opcode;
	if ((req.ussd_data_dcs & 0xf0) == 0x40 && (req.ussd_data_dcs & 0x0c) == 0x08)
		rc = itin_text_decode_ucs2(req.ussd_data, req.ussd_data_len, out->text, sizeof(out->text));
	else
		rc = itin_text_decode_gsm_packed(req.ussd_data, req.ussd_data_len, out->text,
						 sizeof(out->text));
	return rc < 0 ? -EINVAL : 0;
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

int ss_facility_build_error(uint8_t *out, size_t max, uint8_t invoke_id)
{
	struct msgb *msg = gsm0480_gen_return_error(invoke_id, GSM0480_ERR_CODE_UNEXPECTED_DATA_VALUE);
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
