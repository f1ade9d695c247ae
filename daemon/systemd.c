/*
 * Notifications to systemd through libsystemd's sd_notify(3). The watchdog ping runs on the
 * daemon's own event loop rather than a thread of its own: it shows that the loop turns, which
 * is what answers requests.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <systemd/sd-daemon.h>
#include <talloc.h>

#include "common/log.h"
#include "daemon/systemd.h"

void itin_systemd_notify(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		LOGP(DMAIN, LOGL_ERROR, "systemd notification %s failed: %s\n", state, strerror(-rc));
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	itin_systemd_notify("WATCHDOG=1");
}

static int watchdog_destructor(struct event **ev)
{
	event_free(*ev);
	return 0;
}

int itin_systemd_watchdog_start(void *ctx, struct event_base *base)
{
	uint64_t usec;
	struct event **ev;
	struct timeval tv;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	ev = talloc(ctx, struct event *);
	if (!ev)
		return -ENOMEM;
	*ev = event_new(base, -1, EV_PERSIST, watchdog_cb, NULL);
	if (!*ev) {
		talloc_free(ev);
		return -ENOMEM;
	}
	talloc_set_destructor(ev, watchdog_destructor);
	usec /= 2;
	tv.tv_sec = usec / 1000000;
	tv.tv_usec = usec % 1000000;
	event_add(*ev, &tv);
	LOGP(DMAIN, LOGL_INFO, "systemd watchdog: a ping every %llu ms\n",
	     (unsigned long long)usec / 1000);
	return 0;
}
