/*
 * The step driver of tests/db/pool_steps.h: one timer, made active when the last statement of
 * a step is answered, polled every 10 ms until the pool is up.
 */
#include <errno.h>

#include "tests/db/pool_steps.h"

static struct {
	struct event_base *base;
	struct itin_db_pool *pool;
	pool_step_fn step;
	struct event *timer;
	unsigned next, waiting;
} steps;

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { 0, 10000 };

	if (steps.next == 0 && !itin_db_pool_is_up(steps.pool)) {
		evtimer_add(steps.timer, &tv);
		return;
	}
	if (!steps.step(steps.next++))
		event_base_loopbreak(steps.base);
}

int pool_steps_run(struct event_base *base, struct itin_db_pool *pool, pool_step_fn step)
{
	struct timeval tv = { 0, 0 };

	steps.base = base;
	steps.pool = pool;
	steps.step = step;
	steps.timer = evtimer_new(base, step_cb, NULL);
	if (!steps.timer)
		return -ENOMEM;
	evtimer_add(steps.timer, &tv);
	event_base_dispatch(base);
	event_free(steps.timer);
	return 0;
}

void pool_steps_sent(void)
{
	steps.waiting++;
}

void pool_steps_answered(void)
{
	if (--steps.waiting == 0)
		event_active(steps.timer, EV_TIMEOUT, 0);
}
