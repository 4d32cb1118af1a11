#include "realtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/metrics.h"
#include "protocol.h"

/* Splits "SCOPE:QUERY:MUTATOR" and checks that the parts fit together.
 * Returns 0 and sets the query and mutator, or -1. */
static int channel_parse_name(struct realtime *rt, const char *name,
                              const struct realtime_query **query,
                              const struct realtime_mutator **mutator)
{
    char copy[3 * REALTIME_NAME_MAX];
    char *scope, *query_name, *mutator_name, *rest;

    if (strlen(name) >= sizeof(copy))
        return -1;
    strcpy(copy, name);
    scope = strtok_r(copy, ":", &rest);
    query_name = strtok_r(NULL, ":", &rest);
    mutator_name = strtok_r(NULL, ":", &rest);
    if (!scope || !query_name || !mutator_name || strtok_r(NULL, ":", &rest))
        return -1;
    *query = realtime_find_query(rt, query_name);
    *mutator = realtime_find_mutator(rt, mutator_name);
    if (!*query || !*mutator || strcmp((*mutator)->scope, scope))
        return -1;
    return 0;
}

static struct realtime_channel *channel_find(struct realtime *rt,
                                             const char *name)
{
    struct list_node *n;

    list_for_each(&rt->channels, n) {
        struct realtime_channel *channel =
            list_entry(n, struct realtime_channel, node);
        if (!strcmp(channel->name, name))
            return channel;
    }
    return NULL;
}

static void channel_paced(void *arg)
{
    realtime_channel_refresh(arg);
}

struct realtime_channel *realtime_channel_get(struct realtime *rt,
                                              const char *name)
{
    struct realtime_channel *channel = channel_find(rt, name);
    const struct realtime_query *query;
    const struct realtime_mutator *mutator;

    if (channel)
        return channel;
    if (channel_parse_name(rt, name, &query, &mutator))
        return NULL;
    channel = calloc(1, sizeof(*channel));
    if (!channel)
        return NULL;
    channel->pace_timer = server_timer_new(rt->server, channel_paced, channel);
    if (!channel->pace_timer) {
        free(channel);
        return NULL;
    }
    snprintf(channel->name, sizeof(channel->name), "%s", name);
    channel->query = query;
    channel->mutator = mutator;
    channel->rt = rt;
    buf_init(&channel->diff_frame, server_frame_headroom);
    buf_init(&channel->full_frame, server_frame_headroom);
    list_init(&channel->subscribers);
    list_push(&rt->channels, &channel->node);
    return channel;
}

static void channel_free(struct realtime_channel *channel)
{
    server_timer_free(channel->pace_timer);
    view_state_free(channel->state);
    buf_free(&channel->diff_frame);
    buf_free(&channel->full_frame);
    free(channel);
}

void realtime_channel_free_all(struct realtime *rt)
{
    while (rt->channels.count) {
        struct list_node *n = rt->channels.head.next;
        list_remove(&rt->channels, n);
        channel_free(list_entry(n, struct realtime_channel, node));
    }
}

/* Encodes the push from `from` to `to` into frame. Returns the number of
 * instructions, or -1 when out of memory. */
static int channel_encode(struct realtime_channel *channel, struct buf *frame,
                          const struct view_state *from,
                          const struct view_state *to,
                          unsigned long long version)
{
    unsigned long long from_version = from ? channel->version : 0;
    struct buf payload;
    int n;

    buf_init(&payload, 0);
    n = view_state_diff(from, to, &payload);
    buf_reset(frame);
    if (n >= 0 && protocol_encode_push(frame, channel->name, version,
                                       from_version, buf_data(&payload),
                                       payload.len))
        n = -1;
    buf_free(&payload);
    return n;
}

/* Wakes the subscribers that lack the new state. One that had not yet
 * got the previous state skips it: that push was coalesced. */
static void channel_wake_subscribers(struct realtime_channel *channel,
                                     unsigned long long previous)
{
    struct list_node *n;

    list_for_each(&channel->subscribers, n) {
        struct realtime_subscription *sub =
            list_entry(n, struct realtime_subscription, node);
        if (previous && sub->sent_version < previous)
            metrics.pushes_coalesced++;
        if (sub->sent_version < channel->version)
            realtime_socket_wake(sub->socket);
    }
}

/*
 * Returns the earliest time the channel may read its state again after a
 * push: about what writing the push to every subscriber costs (10 us
 * each), at most 200 ms, after the push was made. A burst of changes thus
 * costs one fan-out per interval, and a lone change goes out at once.
 * NOTE: a longer wait would leave more time for HTTP during a storm, but
 * with poll() every loop turn costs O(sockets) anyway, and a longer wait
 * delays the next change of a quiet channel (measured in
 * docs/benchmarks.md).
 */
static double channel_next_refresh(const struct realtime_channel *channel)
{
    double pace = (double)channel->subscribers.count * 10e-6;

    return channel->fanout_started + (pace < 0.2 ? pace : 0.2);
}

/*
 * Makes `state`, read at `version`, the channel's newest state if it shows
 * something new. A read with no visible change keeps the older version, so
 * that clients which show it need nothing.
 */
static void channel_update(struct realtime_channel *channel,
                           struct view_state *state,
                           unsigned long long version)
{
    unsigned long long previous;
    struct buf diff, full, old;

    /* Encode aside: the frames in use must not change unless the state
     * does, or a lagging socket would be sent a frame for a version the
     * channel never reached. */
    buf_init(&diff, server_frame_headroom);
    buf_init(&full, server_frame_headroom);
    if ((channel->state &&
         channel_encode(channel, &diff, channel->state, state, version) <= 0) ||
        channel_encode(channel, &full, NULL, state, version) < 0) {
        buf_free(&diff);
        buf_free(&full);
        view_state_free(state);
        return;
    }
    old = channel->diff_frame;
    channel->diff_frame = diff;
    buf_free(&old);
    old = channel->full_frame;
    channel->full_frame = full;
    buf_free(&old);
    previous = channel->state ? channel->version : 0;
    channel->diff_from = previous;
    channel->fanout_started = metrics_now();
    view_state_free(channel->state);
    channel->state = state;
    channel->version = version;
    channel_wake_subscribers(channel, previous);
}

void realtime_channel_offer(struct realtime_channel *channel,
                            const struct view_record *record,
                            unsigned long long version)
{
    struct view_state *state;

    if (channel->state && version <= channel->version)
        return;
    state = view_state_new(channel->mutator->template,
                           channel->mutator->scope, record);
    if (state)
        channel_update(channel, state, version);
    else
        lwsl_err("realtime: out of memory updating channel %s\n",
                 channel->name);
}

void realtime_channel_offer_render(struct realtime_channel *channel,
                                   const struct view_record *record,
                                   unsigned long long version)
{
    /* Under a burst, a render's state waits for the paced refresh like
     * any other change, or every page view would be a fan-out. */
    if (channel->subscribers.count &&
        metrics_now() < channel_next_refresh(channel))
        return;
    realtime_channel_offer(channel, record, version);
}

static void channel_query_done(void *arg, const struct view_record *record,
                               unsigned long long version)
{
    struct realtime_channel *channel = arg;

    channel->querying = 0;
    if (channel->rt->stopped)
        return;
    if (record)
        realtime_channel_offer(channel, record, version);
    if (channel->dirty) {
        channel->dirty = 0;
        realtime_channel_refresh(channel);
    }
}

void realtime_channel_refresh(struct realtime_channel *channel)
{
    struct realtime *rt = channel->rt;
    double now, earliest;

    if (channel->querying) {
        channel->dirty = 1; /* one more query when this one returns */
        return;
    }
    if (rt->stopped || !store_is_up(rt->store))
        return; /* refreshed again when the store comes back */
    if (channel->subscribers.count == 0) {
        channel->stale = 1; /* refreshed when someone subscribes */
        return;
    }
    now = metrics_now();
    earliest = channel_next_refresh(channel);
    if (now < earliest) {
        if (!server_timer_pending(channel->pace_timer))
            server_timer_start(channel->pace_timer,
                               (unsigned long)((earliest - now) * 1e6) + 1);
        return;
    }
    channel->stale = 0;
    channel->querying = 1;
    channel->query->fn(rt->app, channel_query_done, channel);
}

void realtime_channel_refresh_all(struct realtime *rt)
{
    struct list_node *n;

    list_for_each(&rt->channels, n)
        realtime_channel_refresh(list_entry(n, struct realtime_channel, node));
}

int realtime_subscribe(struct realtime_socket *socket,
                       struct realtime_channel *channel)
{
    struct realtime_subscription *sub;

    for (int i = 0; i < socket->sub_count; i++)
        if (socket->subs[i].channel == channel)
            return 0;
    if (socket->sub_count == REALTIME_MAX_SUBSCRIPTIONS)
        return -1;
    sub = &socket->subs[socket->sub_count++];
    sub->channel = channel;
    sub->sent_version = 0;
    sub->socket = socket;
    list_push(&channel->subscribers, &sub->node);
    socket->rt->subscription_count++;
    if (channel->state)
        realtime_socket_wake(socket);
    if (!channel->state || channel->stale)
        realtime_channel_refresh(channel);
    return 0;
}

void realtime_unsubscribe_all(struct realtime_socket *socket)
{
    for (int i = 0; i < socket->sub_count; i++)
        list_remove(&socket->subs[i].channel->subscribers,
                    &socket->subs[i].node);
    socket->rt->subscription_count -= (unsigned long)socket->sub_count;
    socket->sub_count = 0;
}

/*
 * Picks the push a subscriber needs: the diff when the client shows the
 * state the diff starts from, else the full state. A socket that lagged
 * several versions thus gets only the newest state, and no queue grows.
 */
const struct buf *realtime_next_push(struct realtime_socket *socket)
{
    for (int i = 0; i < socket->sub_count; i++) {
        struct realtime_subscription *sub = &socket->subs[i];
        struct realtime_channel *channel = sub->channel;
        int diff_ok = channel->diff_from != 0 &&
                      sub->sent_version == channel->diff_from &&
                      channel->diff_frame.len;

        if (!channel->state || sub->sent_version >= channel->version)
            continue;
        sub->sent_version = channel->version;
        return diff_ok ? &channel->diff_frame : &channel->full_frame;
    }
    return NULL;
}
