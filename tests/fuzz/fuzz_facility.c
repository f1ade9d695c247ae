/*
 * libFuzzer harness: the GSM 04.80 facility reader of the USSD channel on arbitrary octets,
 * as osmo-hlr relays a handset's facility IE over GSUP; a facility that parses is answered,
 * as the session would, with a component built from its own text.
 * sources: ussd/ss_facility.c engine/gsm_text.c
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ussd/ss_facility.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_facility f;
	uint8_t out[512];

	if (ss_facility_parse(data, size, &f) < 0)
		return 0;
	ss_facility_build(out, sizeof(out), size % 2, f.invoke_id, f.text);
	ss_facility_build_error(out, sizeof(out), f.invoke_id);
	return 0;
}
