#include "realtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* Close codes of RFC 6455, section 7.4.1. */
#define CLOSE_POLICY_VIOLATION 1008
#define CLOSE_INVALID_PAYLOAD 1007

void realtime_socket_wake(struct realtime_socket *socket)
{
    server_socket_request_write(socket->socket);
}

/* Subscribes the socket to the comma-separated channels of its URL's
 * `subscribe` argument. Returns 0, or -1 after closing the socket. */
static int session_subscribe_from_url(struct realtime_socket *s)
{
    char names[1024], reason[128];
    char *name, *rest;
    struct realtime_channel *channel;

    if (server_socket_query(s->socket, "subscribe", names, sizeof(names)) <= 0)
        return 0;
    for (name = strtok_r(names, ",", &rest); name;
         name = strtok_r(NULL, ",", &rest)) {
        channel = realtime_channel_get(s->rt, name);
        if (!channel) {
            snprintf(reason, sizeof(reason), "unknown channel \"%.80s\"",
                     name);
            server_socket_close(s->socket, CLOSE_POLICY_VIOLATION, reason);
            return -1;
        }
        if (realtime_subscribe(s, channel)) {
            server_socket_close(s->socket, CLOSE_POLICY_VIOLATION,
                                "too many channels");
            return -1;
        }
    }
    return 0;
}

int realtime_socket_opened(void *arg, struct server_socket *socket)
{
    struct realtime *rt = arg;
    struct realtime_socket *s;

    if (rt->stopped)
        return -1;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    s->socket = socket;
    s->rt = rt;
    list_init(&s->replies);
    server_socket_set_user(socket, s);
    if (session_subscribe_from_url(s))
        return 0;
    s->joined = 1;
    if (rt->joined)
        rt->joined(rt->app);
    return 0;
}

/* Queues a reply to a client message. */
static void session_reply(struct realtime_socket *s,
                          const struct protocol_message *msg, int status,
                          const char *body, const char *error)
{
    struct realtime_reply *reply;

    if (s->replies.count >= REALTIME_MAX_REPLIES) {
        server_socket_close(s->socket, CLOSE_POLICY_VIOLATION,
                            "too many requests waiting for replies");
        return;
    }
    reply = malloc(sizeof(*reply));
    if (!reply)
        return;
    buf_init(&reply->frame, server_frame_headroom);
    if (protocol_encode_reply(&reply->frame, msg, status, body, error)) {
        buf_free(&reply->frame);
        free(reply);
        return;
    }
    list_push(&s->replies, &reply->node);
    realtime_socket_wake(s);
}

static void session_dispatch(struct realtime_socket *s,
                             const struct protocol_message *msg)
{
    char error[96];

    if (!strcmp(msg->action, "ping")) {
        session_reply(s, msg, 200, "pong", NULL);
        return;
    }
    snprintf(error, sizeof(error), "unknown action \"%s\"", msg->action);
    session_reply(s, msg, 400, NULL, error);
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
        buf_free(&reply->frame);
        free(reply);
    } else if ((frame = realtime_next_push(s))) {
        server_socket_send(socket, frame);
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
        struct realtime_reply *reply =
            list_entry(n, struct realtime_reply, node);
        list_remove(&s->replies, n);
        buf_free(&reply->frame);
        free(reply);
    }
    if (s->joined && rt->left && !rt->stopped)
        rt->left(rt->app);
    server_socket_set_user(socket, NULL);
    free(s);
}
