/*
 * The /readyz body (itin_admin_readyz_body) for each kind of reason, and with every link down
 * under names far longer than the config allows (600 characters), which once overflowed a
 * fixed buffer: the body lists them all. Compared with readyz_test.ok; in the sanitizer run.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/admin.h"

static void show(const char *title, const struct itin_readiness *r)
{
	struct evbuffer *b = evbuffer_new();
	int reasons = itin_admin_readyz_body(b, r);
	size_t len = evbuffer_get_length(b);

	printf("%s: %d reason(s), %zu octets\n", title, reasons, len);
	fwrite(evbuffer_pullup(b, -1), 1, len, stdout);
	evbuffer_free(b);
}

int main(void)
{
	static char long_name[ITIN_MAX_SMPP_LINKS][601];
	struct itin_readiness r = { .db_up = true, .num_links = 2,
				    .link = { { "msc-1", true }, { "msc-2", true } } };

	show("all up", &r);
	r.link[1].bound = false;
	r.gsup_configured = true;
	show("one link down, GSUP down", &r);
	r.stopping = true;
	r.db_up = false;
	r.gsup_up = true;
	show("stopping, database down", &r);
	r = (struct itin_readiness){ .num_links = ITIN_MAX_SMPP_LINKS, .gsup_configured = true };
	for (int i = 0; i < ITIN_MAX_SMPP_LINKS; i++) {
		memset(long_name[i], 'a' + i, 600);
		r.link[i].name = long_name[i];
	}
	show("everything down, links of 600 characters", &r);
	return 0;
}
