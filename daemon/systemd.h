/*
 * systemd's service manager (Type=notify in contrib/systemd/itinerad.service): the state
 * notifications and the watchdog. Without $NOTIFY_SOCKET (not started by systemd) both do
 * nothing.
 */
#pragma once

#include <event2/event.h>

/* "READY=1", "STOPPING=1": sd_notify(3). */
void itin_systemd_notify(const char *state);

/* When the unit sets WatchdogSec: WATCHDOG=1 from the loop every half of it, so that a loop
 * that hangs stops the pings and systemd restarts the daemon. The timer is freed with ctx.
 * 0, or -ENOMEM. */
int itin_systemd_watchdog_start(void *ctx, struct event_base *base);
