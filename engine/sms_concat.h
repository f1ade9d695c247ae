/*
 * Incoming concatenated SMS: the user data header of a deliver_sm (3GPP TS 23.040 9.2.3.24,
 * SMPP 3.4 5.2.12 esm_class 0x40) and the reassembly of the parts of one message, whether
 * they say so in the header (IE 0x00, 8-bit reference; IE 0x08, 16-bit) or in the SAR TLVs.
 * Pure: no I/O, no clock (the caller passes the time in), so the fuzzers drive it as the SMS
 * channel does. What is held is bounded per sender and in total; a message that does not
 * complete within the timeout, or that the bounds push out, is handed back incomplete.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a user data header says. The text starts len octets into the message: over SMPP a
 * GSM 7-bit text is one code per octet after the header (osmo-msc and the npm smpp package
 * expand it so), so the fill bits that align the septets after the header in the air
 * interface's packed form are already gone. */
struct itin_udh {
	size_t len;			/* the header, its length octet included */
	bool concat;			/* it names a part: seq of total, reference ref */
	bool ref16;			/* IE 0x08 (16-bit reference), else IE 0x00 */
	uint16_t ref;
	uint8_t total, seq;
};

/* -EINVAL when the header or one of its elements runs past the end. A concatenation element
 * with total 0, seq 0 or seq past total is ignored, as TS 23.040 says; of several, the last
 * counts. */
int itin_udh_parse(const uint8_t *msg, size_t len, struct itin_udh *udh);

enum itin_concat_kind { ITIN_CONCAT_UDH8, ITIN_CONCAT_UDH16, ITIN_CONCAT_SAR };

/* A part: whose, which message (kind, ref, total), which part (seq, 1-based), its text. */
struct itin_concat_part {
	const char *sender;		/* E.164 digits, at most 15 */
	enum itin_concat_kind kind;
	uint16_t ref;
	uint8_t total, seq;
	uint8_t data_coding;
	const uint8_t *data;		/* the text without its header */
	size_t len;
};

struct itin_concat_limits {
	unsigned timeout_s;		/* from a message's first part */
	unsigned max_messages;		/* incomplete messages held in all */
	size_t max_bytes;		/* their text in all */
	unsigned sender_messages;	/* per sender */
	size_t sender_bytes;
};

/* A whole message, or one handed back incomplete. Free it with talloc_free(). */
struct itin_concat_msg {
	char sender[16];
	enum itin_concat_kind kind;
	uint16_t ref;
	uint8_t total;
	unsigned held;			/* parts received */
	size_t bytes;
	bool evicted;			/* pushed out by the bounds, not timed out */
	struct itin_concat_text {
		uint8_t *data;		/* NULL: not received */
		size_t len;
		uint8_t data_coding;
	} *part;			/* [total], by seq - 1 */

	/* the set's own */
	double first_at;
	struct itin_concat_msg *next;
};

enum itin_concat_result {
	ITIN_CONCAT_HELD,		/* kept until the rest comes */
	ITIN_CONCAT_WHOLE,		/* the last part: the message is handed back */
	ITIN_CONCAT_REPEAT,		/* a part held already, or of a message completed within
					 * the timeout (an SMSC delivering it again) */
	ITIN_CONCAT_TOO_BIG,		/* larger than sender_bytes alone: dropped */
};

struct itin_concat;

struct itin_concat *itin_concat_alloc(void *ctx, const struct itin_concat_limits *limits);
/* New limits (after SIGHUP): the timeout applies at once, the bounds at the next add, which
 * pushes out what is held beyond them. */
void itin_concat_set_limits(struct itin_concat *c, const struct itin_concat_limits *limits);
/* Adds a part at time now (seconds, monotonic). WHOLE sets *whole, -ENOMEM leaves the part
 * out. Making room may push older messages out: take them with itin_concat_expired() after. */
int itin_concat_add(struct itin_concat *c, const struct itin_concat_part *p, double now,
		    struct itin_concat_msg **whole);
/* The next message timed out by now or pushed out by the bounds (NULL: none). */
struct itin_concat_msg *itin_concat_expired(struct itin_concat *c, double now);

struct itin_concat_stats {
	unsigned messages;		/* incomplete messages held */
	size_t bytes;
	unsigned remembered;		/* completed messages remembered, to know their repeats */
};
void itin_concat_get_stats(const struct itin_concat *c, struct itin_concat_stats *st);
