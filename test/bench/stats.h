/* Percentiles of latency samples, shared by the bench programs. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdlib.h>

struct percentiles {
    double p50, p99, max;
};

static int stats_compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Sorts `samples` in place and returns nearest-rank percentiles; all zero
 * when n is 0. */
static inline struct percentiles percentiles_of(double *samples, size_t n)
{
    struct percentiles p = { 0, 0, 0 };

    if (!n)
        return p;
    qsort(samples, n, sizeof(*samples), stats_compare);
    p.p50 = samples[(n * 50 + 99) / 100 - 1];
    p.p99 = samples[(n * 99 + 99) / 100 - 1];
    p.max = samples[n - 1];
    return p;
}

#endif
