/*
 * SMS parts of a reply (SPEC section 6): one part of up to 160 GSM 7-bit or 70 UCS2
 * characters, or concatenated parts of up to 153 / 67 with an 8-bit-reference UDH, at most
 * max_parts; beyond, the most recent places and "等{k}个地区" / "and {k} more".
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/reply.h"

struct itin_sms_part {
	uint8_t data_coding;	/* 0: GSM 7-bit, one code per octet (SMPP short_message); 8: UCS2 */
	bool udhi;		/* the message starts with a UDH: esm_class 0x40 */
	uint8_t msg[160];	/* short_message: UDH (05 00 03 ref total seq), then the text */
	uint16_t msg_len;
};

/* Flattens reply (head, items joined by the separator, tail) into parts: one unconcatenated
 * part when everything fits, else concatenated parts of 153 / 67 units with the UDH
 * 05 00 03 ref total seq. An item is never cut; head and tail are cut only when they alone
 * exceed a part, preferably between words (text_layout.h). With more items than max_parts
 * (capped by max_out) can carry, the most recent are kept and the last part ends with
 * reply->more ("等{k}个地区") and the tail. When the head and tail alone need more than
 * max_parts, they get as many parts as they need (up to max_out), with the count of places.
 * Returns the number of parts written, -EINVAL for max_parts 0 or above 255 or invalid
 * UTF-8, -EMSGSIZE when the head and tail do not fit even in max_out parts, or -ENOMEM. */
int itin_sms_segment(const struct itin_reply *reply, unsigned max_parts, uint8_t ref,
		     struct itin_sms_part *parts, unsigned max_out);
