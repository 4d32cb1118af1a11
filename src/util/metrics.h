#ifndef RING_METRICS_H
#define RING_METRICS_H

#include <stdint.h>

#include "buf.h"

/*
 * Process-wide counters for GET /metrics. Every layer adds to them from the
 * one event-loop thread, so plain integers suffice.
 */
struct metrics {
    uint64_t pushes_sent;
    uint64_t pushes_coalesced;     /* versions a slow socket skipped */
    uint64_t redis_reconnects;
    uint64_t redis_replies;
    double redis_roundtrip_seconds;
    uint64_t renders;
    double render_seconds;
    uint64_t http_by_status[600];  /* index: the status code */
};

extern struct metrics metrics;

/* Returns a monotonic time in seconds, for durations. */
double metrics_now(void);

/* Counts one HTTP response with its status code. */
void metrics_count_response(int status);

/*
 * Appends every metric in the Prometheus text format (version 0.0.4).
 * Gauges the caller knows (open sockets, subscriptions, Redis up) are
 * passed in. Returns 0, or -1 when out of memory.
 */
int metrics_render(struct buf *out, unsigned int sockets,
                   unsigned long subscriptions, int redis_up);

#endif
