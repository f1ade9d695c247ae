/*
 * The step driver of the tests that send statements on a real pool (db_pool_test,
 * request_db_test): a step is one loop turn's statements, sent together so that they share a
 * batch or a transaction; the next step starts once every one of them has been answered, the
 * first once the pool is up.
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "db/db_pool.h"

/* Sends step n's statements, each counted with pool_steps_sent(); false: no more steps. */
typedef bool (*pool_step_fn)(unsigned n);

/* Runs the steps on base until the last; 0, or -ENOMEM (nothing run). */
int pool_steps_run(struct event_base *base, struct itin_db_pool *pool, pool_step_fn step);
/* One statement sent, one answered (from its callback). */
void pool_steps_sent(void);
void pool_steps_answered(void);
