#include "realtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/metrics.h"

/* Close codes of RFC 6455, section 7.4.1. */
#define CLOSE_POLICY_VIOLATION 1008
#define CLOSE_INVALID_PAYLOAD 1007

void realtime_socket_wake(struct realtime_socket *socket)
{
    server_socket_request_write(socket->socket);
}

/* Closes the socket with 1008 and logs why, with the peer's address. */
static void session_reject(struct realtime_socket *s, const char *why)
{
    lwsl_warn("realtime: closing socket from %s: %s\n",
              server_socket_peer(s->socket), why);
    server_socket_close(s->socket, CLOSE_POLICY_VIOLATION, why);
}

static struct realtime_subscription *
session_find(struct realtime_socket *s, const char *channel)
{
    for (int i = 0; i < s->sub_count; i++)
        if (!strcmp(s->subs[i].channel->name, channel))
            return &s->subs[i];
    return NULL;
}

/* Sets what the client shows of a channel it follows; the next write
 * sends it what it lacks. */
static void session_set_shown(struct realtime_socket *s, const char *channel,
                              unsigned long long version)
{
    struct realtime_subscription *sub = session_find(s, channel);

    if (sub) {
        sub->sent_version = version;
        realtime_socket_wake(s);
    }
}

void realtime_socket_follow(struct realtime_socket *s,
                            struct realtime_channel *channel,
                            unsigned long long version)
{
    if (realtime_subscribe(s, channel)) {
        session_reject(s, "too many channels");
        return;
    }
    session_set_shown(s, channel->name, version);
}

/* Checks the page token and finds its channels. Returns 0, or -1 after
 * closing the socket. */
static int session_check_token(struct realtime_socket *s, const char *text,
                               struct token *token,
                               struct realtime_channel **channels)
{
    enum token_result result;
    char reason[120];

    if (!server_socket_has_origin(s->socket)) {
        session_reject(s, "a page token needs the page's Origin header");
        return -1;
    }
    result = token_verify(&s->rt->keys, text, (long long)time(NULL), token);
    if (result != TOKEN_OK) {
        snprintf(reason, sizeof(reason), "invalid token: %s",
                 token_result_text(result));
        session_reject(s, reason);
        return -1;
    }
    for (int i = 0; i < token->count; i++) {
        channels[i] = realtime_channel_get(s->rt, token->channels[i].name);
        if (!channels[i]) {
            session_reject(s, "token names an unknown channel");
            return -1;
        }
    }
    return 0;
}

/* Applies "since=CHANNEL@VERSION,…": what a reconnecting client shows. */
static void session_apply_since(struct realtime_socket *s, char *list)
{
    char *item, *rest, *at;

    for (item = strtok_r(list, ",", &rest); item;
         item = strtok_r(NULL, ",", &rest)) {
        at = strrchr(item, '@');
        if (!at)
            continue;
        *at = '\0';
        session_set_shown(s, item, strtoull(at + 1, NULL, 10));
    }
}

int realtime_socket_opened(void *arg, struct server_socket *socket)
{
    struct realtime *rt = arg;
    struct realtime_socket *s;
    struct realtime_channel *channels[TOKEN_MAX_CHANNELS];
    struct token token = {0};
    char value[2048];

    if (rt->stopped)
        return -1;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    s->socket = socket;
    s->rt = rt;
    list_init(&s->replies);
    list_init(&s->requests);
    server_socket_set_user(socket, s);
    switch (server_socket_query(socket, "token", value, sizeof(value))) {
    case -1:
        break; /* an anonymous socket */
    case -2:
        session_reject(s, "invalid token: too long");
        return 0;
    default:
        if (session_check_token(s, value, &token, channels))
            return 0;
    }

    /* Count the join before reading any channel, so that the first state
     * this socket gets already includes it. */
    s->joined = 1;
    if (rt->joined)
        rt->joined(rt->app);
    for (int i = 0; i < token.count; i++)
        realtime_socket_follow(s, channels[i], token.channels[i].version);
    if (server_socket_query(socket, "since", value, sizeof(value)) > 0)
        session_apply_since(s, value);
    return 0;
}

int realtime_socket_has_room(struct realtime_socket *s)
{
    if (s->replies.count + s->requests.count < REALTIME_MAX_REPLIES)
        return 1;
    server_socket_close(s->socket, CLOSE_POLICY_VIOLATION,
                        "too many requests waiting for replies");
    return 0;
}

void realtime_socket_queue(struct realtime_socket *s, struct buf *frame)
{
    struct realtime_reply *reply = malloc(sizeof(*reply));

    if (!reply) {
        buf_free(frame);
        server_socket_close(s->socket, 1011, "out of memory");
        return;
    }
    reply->frame = *frame;
    list_push(&s->replies, &reply->node);
    realtime_socket_wake(s);
}

/* Queues a reply to a client message. */
static void session_reply(struct realtime_socket *s,
                          const struct protocol_message *msg, int status,
                          const char *body, const char *error)
{
    struct buf frame;

    if (!realtime_socket_has_room(s))
        return;
    buf_init(&frame, server_frame_headroom);
    if (protocol_encode_reply(&frame, msg, status, body, error)) {
        buf_free(&frame);
        return;
    }
    realtime_socket_queue(s, &frame);
}

/* catch-up: the client states the versions it shows; each channel that
 * moved on gets its current state, the others nothing. */
static void session_catch_up(struct realtime_socket *s,
                             const struct protocol_message *msg)
{
    char error[200];

    if (!msg->has_versions) {
        session_reply(s, msg, 400, NULL, "missing \"versions\"");
        return;
    }
    for (size_t i = 0; i < msg->version_count; i++) {
        if (!session_find(s, msg->versions[i].channel)) {
            snprintf(error, sizeof(error), "not subscribed to \"%.160s\"",
                     msg->versions[i].channel);
            session_reply(s, msg, 400, NULL, error);
            return;
        }
    }
    for (size_t i = 0; i < msg->version_count; i++)
        session_set_shown(s, msg->versions[i].channel,
                          msg->versions[i].version);
    session_reply(s, msg, 200, "ok", NULL);
}

static void session_dispatch(struct realtime_socket *s,
                             const struct protocol_message *msg)
{
    char error[96];

    if (!strcmp(msg->action, "ping")) {
        session_reply(s, msg, 200, "pong", NULL);
    } else if (!strcmp(msg->action, "call-route")) {
        if (realtime_socket_has_room(s))
            realtime_call_route(s, msg);
    } else if (!strcmp(msg->action, "catch-up")) {
        session_catch_up(s, msg);
    } else {
        snprintf(error, sizeof(error), "unknown action \"%s\"", msg->action);
        session_reply(s, msg, 400, NULL, error);
    }
}

void realtime_socket_message(void *arg, struct server_socket *socket,
                             const char *data, size_t len)
{
    struct realtime_socket *s = server_socket_user(socket);
    struct protocol_message msg;
    char reason[124];

    (void)arg;
    switch (protocol_parse(data, len, &msg)) {
    case PROTOCOL_INVALID_JSON:
        snprintf(reason, sizeof(reason), "%.123s", msg.error);
        server_socket_close(socket, CLOSE_INVALID_PAYLOAD, reason);
        break;
    case PROTOCOL_BAD_REQUEST:
        session_reply(s, &msg, 400, NULL, msg.error);
        break;
    case PROTOCOL_OK:
        session_dispatch(s, &msg);
        break;
    }
    protocol_message_free(&msg);
}

static int session_has_work(const struct realtime_socket *s)
{
    if (s->replies.count)
        return 1;
    for (int i = 0; i < s->sub_count; i++)
        if (s->subs[i].channel->state &&
            s->subs[i].sent_version < s->subs[i].channel->version)
            return 1;
    return 0;
}

static void reply_free(struct realtime_reply *reply)
{
    buf_free(&reply->frame);
    free(reply);
}

void realtime_socket_writable(void *arg, struct server_socket *socket)
{
    struct realtime_socket *s = server_socket_user(socket);
    const struct buf *frame;

    (void)arg;
    if (s->replies.count) {
        struct list_node *n = s->replies.head.next;
        struct realtime_reply *reply =
            list_entry(n, struct realtime_reply, node);
        list_remove(&s->replies, n);
        server_socket_send(socket, &reply->frame);
        reply_free(reply);
    } else if ((frame = realtime_next_push(s))) {
        if (!server_socket_send(socket, frame))
            metrics.pushes_sent++;
    }
    if (session_has_work(s))
        realtime_socket_wake(s);
}

void realtime_socket_closed(void *arg, struct server_socket *socket)
{
    struct realtime *rt = arg;
    struct realtime_socket *s = server_socket_user(socket);

    if (!s)
        return;
    realtime_unsubscribe_all(s);
    while (s->replies.count) {
        struct list_node *n = s->replies.head.next;
        list_remove(&s->replies, n);
        reply_free(list_entry(n, struct realtime_reply, node));
    }
    while (s->requests.count)
        realtime_request_detach(list_entry(s->requests.head.next,
                                           struct realtime_request, node));
    if (s->joined && rt->left && !rt->stopped)
        rt->left(rt->app);
    server_socket_set_user(socket, NULL);
    free(s);
}
