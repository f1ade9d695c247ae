/*
 * The subscriber's itinerary reply: the mask, the itinerary at a time, the text
 * (subscriber_reply.h says why it is one function).
 */
#include <talloc.h>

#include "common/msisdn.h"
#include "engine/subscriber_reply.h"

/* The mask from the number, or opened from the sealed one; "" when neither can be had. */
static void subscriber_mask(const struct itin_service_config *service,
			    const struct itin_subscriber *who, struct itin_sealer *sealer,
			    char mask[16], bool *mask_lost)
{
	mask[0] = '\0';
	*mask_lost = false;
	if (who->e164) {
		if (itin_msisdn_mask(who->e164, service->country_code, mask) < 0)
			mask[0] = '\0';
	} else if (who->mask_sealed_len > 0 &&
		   itin_unseal(sealer, ITIN_SEAL_MASK, who->mask_sealed, who->mask_sealed_len, mask,
			       16) < 0) {
		mask[0] = '\0';
		*mask_lost = true;
	}
}

struct itin_reply *itin_subscriber_reply(void *ctx, const struct itin_service_config *service,
					 const struct itin_templates *templates,
					 const struct itin_subscriber *who,
					 const struct itin_reply_inputs *in, int64_t now,
					 enum itin_lang lang, bool *mask_lost)
{
	struct itin_itinerary itinerary;
	struct itin_reply *reply;
	char mask[16];

	subscriber_mask(service, who, in->sealer, mask, mask_lost);
	if (in->code && itin_verify_input_of(in->code->code, mask, in->code->input) < 0)
		in->code->input[0] = '\0';
	if (itin_itinerary_build(ctx, service, who->rows, who->num_rows, in->risks, in->num_risks, now,
				 &itinerary) < 0)
		return NULL;
	reply = itin_reply_render(ctx, service, templates,
				  itinerary.num_visits ? ITIN_TEXT_ITINERARY : ITIN_TEXT_NO_DATA, lang,
				  &(struct itin_reply_args){ .mask = mask, .updated_at = in->updated_at,
							     .now = now, .itinerary = &itinerary,
							     .code = in->code && in->code->input[0] ?
								     in->code->code : NULL });
	/* The reply's items may point into the visits: they live as long as the reply. */
	if (reply)
		talloc_steal(reply, itinerary.visits);
	else
		talloc_free(itinerary.visits);
	return reply;
}
