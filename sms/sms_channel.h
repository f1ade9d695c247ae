/*
 * The SMS channel: turns deliver_sm from the SMSC links into requests and replies into
 * submit_sm. It owns the SMPP links of the config ([smpp NAME] sections) and knows no SQL.
 * One SMS, socket to reply: smpp_link.c (PDU in) -> sms_channel.c (header, parts put together
 * by engine/sms_concat.c, decode, keyword) ->
 * service/request.c (record, rules, lookup) -> engine/reply_text.c (text) ->
 * sms_segment.c (parts) -> sms_channel.c -> smpp_link.c (submit_sm out).
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "common/config.h"

struct itin_sms_channel;

/* A link per [smpp NAME] of smpp; smpp, service ([service]: country codes, part cap, short
 * code), sms ([sms]: the bounds of the parts held) and keywords must outlive the channel, or
 * service, sms and keywords the next set_config. */
struct itin_sms_channel *itin_sms_channel_alloc(void *ctx, struct event_base *base,
						const struct itin_smpp_config *smpp,
						const struct itin_service_config *service,
						const struct itin_sms_config *sms,
						const struct itin_keywords_config *keywords);
int itin_sms_channel_start(struct itin_sms_channel *ch);
/* After SIGHUP: keywords, the part cap of new requests and the bounds of the parts held (links
 * keep their settings). */
void itin_sms_channel_set_config(struct itin_sms_channel *ch,
				 const struct itin_service_config *service,
				 const struct itin_sms_config *sms,
				 const struct itin_keywords_config *keywords);
/* Stop taking requests (a temporary error makes the SMSC keep them); replies still go out. */
void itin_sms_channel_stop(struct itin_sms_channel *ch);
/* Then unbind every link; is_unbound once all are closed. */
void itin_sms_channel_unbind(struct itin_sms_channel *ch);
bool itin_sms_channel_is_unbound(const struct itin_sms_channel *ch);

struct itin_sms_channel_stats {
	unsigned long long delivered, receipts, refused, undecodable, replies, parts, parts_failed;
	unsigned long long foreign;	/* from numbers outside the answered country codes */
	/* concatenated messages: parts received, messages whole, incomplete ones answered on
	 * their first part or not answered (parts too big to hold included), held now */
	unsigned long long concat_parts, concat_whole, concat_answered, concat_dropped;
	unsigned concat_held;
};
void itin_sms_channel_get_stats(const struct itin_sms_channel *ch, struct itin_sms_channel_stats *st);
/* The SMSC links, for their states and counters (smpp/smpp_link.h). */
unsigned itin_sms_channel_num_links(const struct itin_sms_channel *ch);
struct smpp_link *itin_sms_channel_link(const struct itin_sms_channel *ch, unsigned i);
