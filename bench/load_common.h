/*
 * What the two load generators share (bench/smsc_load.c, and tests/ussd/gsup_msc.c in its load
 * mode): the clock, the walk over the subscribers and the latency percentiles they print.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The monotonic clock, in seconds. */
double load_now(void);

/* The first stride from start on that is coprime with n: walking sub = i * stride mod n asks
 * every one of the n subscribers once before any repeats. */
uint32_t load_stride(uint32_t n, uint32_t start);

/* Sorts latency[0..n) (seconds) in place and stores p50, p99 and p99.9 in ms (0s if n is 0). */
void load_percentiles(double *latency, size_t n, double p[3]);
