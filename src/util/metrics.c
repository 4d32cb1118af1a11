#include "metrics.h"

#include <time.h>

struct metrics metrics;

double metrics_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void metrics_count_response(int status)
{
    if (status >= 100 && status < 600)
        metrics.http_by_status[status]++;
}

static int render_counter(struct buf *out, const char *name, const char *help,
                          uint64_t value)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name,
                      help, name, name, (unsigned long long)value);
}

static int render_gauge(struct buf *out, const char *name, const char *help,
                        double value)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name,
                      help, name, name, value);
}

static int render_summary(struct buf *out, const char *name,
                          const char *help, double sum, uint64_t count)
{
    return buf_printf(out,
                      "# HELP %s %s\n# TYPE %s summary\n%s_sum %.9f\n"
                      "%s_count %llu\n",
                      name, help, name, name, sum, name,
                      (unsigned long long)count);
}

static int render_responses(struct buf *out)
{
    const char *name = "ringserver_http_responses_total";

    if (buf_printf(out, "# HELP %s HTTP responses of the routes, by status "
                        "(files under /static are not counted).\n"
                        "# TYPE %s counter\n", name, name))
        return -1;
    for (int status = 100; status < 600; status++)
        if (metrics.http_by_status[status] &&
            buf_printf(out, "%s{status=\"%d\"} %llu\n", name, status,
                       (unsigned long long)metrics.http_by_status[status]))
            return -1;
    return 0;
}

int metrics_render(struct buf *out, unsigned int sockets,
                   unsigned long subscriptions, int redis_up)
{
    if (render_gauge(out, "ringserver_sockets_open",
                     "Open realtime WebSockets.", sockets) ||
        render_gauge(out, "ringserver_subscriptions",
                     "Channels followed, summed over the open sockets.",
                     (double)subscriptions) ||
        render_counter(out, "ringserver_pushes_sent_total",
                       "Pushes written to sockets.", metrics.pushes_sent) ||
        render_counter(out, "ringserver_pushes_coalesced_total",
                       "Pushes a slow socket never got because a newer "
                       "state replaced them.", metrics.pushes_coalesced) ||
        render_gauge(out, "ringserver_redis_up",
                     "1 while the Redis command connection is up.",
                     redis_up) ||
        render_counter(out, "ringserver_redis_reconnects_total",
                       "Redis connections made again after a loss.",
                       metrics.redis_reconnects) ||
        render_summary(out, "ringserver_redis_roundtrip_seconds",
                       "Time from sending a Redis command to its reply.",
                       metrics.redis_roundtrip_seconds,
                       metrics.redis_replies) ||
        render_summary(out, "ringserver_render_seconds",
                       "Time to render a page from its bound data.",
                       metrics.render_seconds, metrics.renders) ||
        render_responses(out))
        return -1;
    return 0;
}
