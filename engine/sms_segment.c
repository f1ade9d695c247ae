/*
 * SMS segmentation on top of text_layout.c: one unconcatenated part if the whole reply fits
 * (160 septets / 70 UCS2 units, every item kept), else parts sized for the 6-octet
 * concatenation UDH (which costs 7 septets or 3 UCS2 units: 153 / 67), at most max_parts,
 * leaving out the oldest items when needed. A limit of one part means one unconcatenated part
 * with as many items as fit. A limit too small for the head and tail alone is exceeded by as
 * few parts as they need (an operator's short cap must not silence the service). Each part's text is then encoded into its short_message.
 */
#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "engine/gsm_text.h"
#include "engine/sms_segment.h"
#include "engine/text_layout.h"

#define UDH_LEN 6

int itin_sms_segment(const struct itin_reply *reply, unsigned max_parts, uint8_t ref,
		     struct itin_sms_part *parts, unsigned max_out)
{
	void *ctx;
	struct itin_layout *l;
	bool concat = false;
	int rc;

	if (max_out < max_parts)
		max_parts = max_out;
	if (max_parts == 0 || max_parts > 255)
		return -EINVAL;
	if (!(ctx = talloc_named_const(NULL, 0, "sms_segment")))
		return -ENOMEM;
	rc = itin_layout_reply(ctx, reply, NULL, 160, 70, 1, max_parts == 1, &l);
	if (rc == -EMSGSIZE) {
		concat = true;
		rc = itin_layout_reply(ctx, reply, NULL, 153, 67, max_parts, true, &l);
	}
	/* The cap leaves out places, never the head and tail: they get the parts they need. */
	while (rc == -EMSGSIZE && max_parts < max_out && max_parts < 255)
		rc = itin_layout_reply(ctx, reply, NULL, 153, 67, ++max_parts, true, &l);
	if (rc < 0)
		goto out;
	for (unsigned i = 0; i < l->num_parts; i++) {
		struct itin_sms_part *p = &parts[i];
		unsigned off = 0;
		int n;

		p->data_coding = l->coding == ITIN_CODING_GSM7 ? 0 : 8;
		p->udhi = concat;
		if (concat) {
			const uint8_t udh[UDH_LEN] = { 5, 0x00, 3, ref, l->num_parts, i + 1 };
			memcpy(p->msg, udh, UDH_LEN);
			off = UDH_LEN;
		}
		n = itin_text_encode(l->coding, l->text + l->cut[i], l->cut[i + 1] - l->cut[i],
				     p->msg + off, sizeof(p->msg) - off);
		if (n < 0) {
			rc = n;
			goto out;
		}
		p->msg_len = off + n;
	}
	rc = l->num_parts;
out:
	talloc_free(ctx);
	return rc;
}
