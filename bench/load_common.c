/*
 * The load generators' shared clock, walk and percentiles (bench/load_common.h).
 */
#include <stdlib.h>
#include <time.h>

#include "bench/load_common.h"

double load_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

uint32_t load_stride(uint32_t n, uint32_t start)
{
	uint32_t s = start;

	while (n > 1 && (s % n == 0 || gcd(s, n) != 1))
		s++;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void load_percentiles(double *latency, size_t n, double p[3])
{
	static const double q[3] = { 0.5, 0.99, 0.999 };

	if (n == 0) {
		p[0] = p[1] = p[2] = 0;
		return;
	}
	qsort(latency, n, sizeof(double), cmp_double);
	for (int i = 0; i < 3; i++)
		p[i] = latency[(size_t)(q[i] * (n - 1))] * 1e3;
}
