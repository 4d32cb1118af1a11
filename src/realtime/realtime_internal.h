#ifndef RING_REALTIME_INTERNAL_H
#define RING_REALTIME_INTERNAL_H

#include "../util/buf.h"
#include "../util/list.h"
#include "protocol.h"
#include "realtime.h"
#include "token.h"

#define REALTIME_MAX_NAMES 16
#define REALTIME_NAME_MAX 48
#define REALTIME_MAX_SUBSCRIPTIONS 4  /* channels per socket */
#define REALTIME_MAX_REPLIES 32       /* replies queued or due per socket */

struct realtime_query {
    char name[REALTIME_NAME_MAX];
    int mutable_index;
    realtime_query_fn fn;
};

struct realtime_action {
    char name[REALTIME_NAME_MAX];
    int mutable_index;
    realtime_action_fn fn;
};

struct realtime_mutator {
    char name[REALTIME_NAME_MAX];
    char scope[REALTIME_NAME_MAX];
    const struct view_template *template;
};

struct realtime_route {
    char path[128];
    realtime_route_fn fn;
};

/*
 * A channel: one (scope, query, mutator) whose state is pushed to its
 * subscribers. Owned by struct realtime, made on first use, freed with it.
 * `diff_frame` turns the state at diff_from into the state at version;
 * `full_frame` is the whole state at version. Both are encoded once and
 * sent to every subscriber.
 */
struct realtime_channel {
    struct list_node node;          /* in realtime.channels */
    char name[3 * REALTIME_NAME_MAX];
    const struct realtime_query *query;
    const struct realtime_mutator *mutator;
    struct view_state *state;       /* last pushed state, or NULL */
    unsigned long long version;     /* of state, from Redis */
    unsigned long long diff_from;   /* 0: no diff frame */
    struct buf diff_frame;
    struct buf full_frame;
    struct list subscribers;        /* of struct realtime_subscription */
    int querying;                   /* a query is in flight */
    int stale;                      /* changed while it had no subscribers */
    double fanout_started;          /* when the newest state was made */
    struct server_timer *pace_timer;
    int dirty;                      /* changed again while querying */
    struct realtime *rt;
};

/* One socket following one channel; lives inside its realtime_socket. */
struct realtime_subscription {
    struct list_node node;          /* in channel.subscribers */
    struct realtime_channel *channel;
    unsigned long long sent_version; /* what the client shows; 0: nothing */
    struct realtime_socket *socket;
};

/* A reply waiting for the socket to become writable. */
struct realtime_reply {
    struct list_node node;
    struct buf frame;
};

/* Per-socket state; made when the socket opens, freed when it closes. */
struct realtime_socket {
    struct server_socket *socket;
    struct realtime *rt;
    struct realtime_subscription subs[REALTIME_MAX_SUBSCRIPTIONS];
    int sub_count;
    struct list replies;            /* of struct realtime_reply */
    struct list requests;           /* call-routes in progress */
    int joined;                     /* counted as a viewer */
};

/*
 * A request in progress, over HTTP or by a socket's call-route. Freed when
 * the route responds; if the client went away first, `http` or `socket` is
 * NULL and the response is dropped.
 */
struct realtime_request {
    struct realtime *rt;
    struct server_http *http;       /* over HTTP, or NULL */
    struct realtime_socket *socket; /* by call-route, or NULL */
    int by_socket;
    struct list_node node;          /* in socket->requests */
    char id[64];                    /* the call-route's id */
    int id_is_number;
    char method[16];
    char path[512];
    struct protocol_input input[PROTOCOL_MAX_INPUT];
    size_t input_count;
    struct buf input_storage;
};

struct realtime {
    struct server *server;
    struct store *store;
    void *app;
    char process_id[128];
    char socket_path[64];
    char changes_channel[64];
    int stopped;

    char mutables[REALTIME_MAX_NAMES][REALTIME_NAME_MAX];
    int mutable_count;
    /* Changes waiting for the end of this loop turn, per mutable: bit 1
     * refresh its channels, bit 2 also publish to other processes. */
    unsigned char pending_changes[REALTIME_MAX_NAMES];
    struct server_timer *change_timer;
    struct realtime_query queries[REALTIME_MAX_NAMES];
    int query_count;
    struct realtime_action actions[REALTIME_MAX_NAMES];
    int action_count;
    struct realtime_mutator mutators[REALTIME_MAX_NAMES];
    int mutator_count;
    struct realtime_route routes[REALTIME_MAX_NAMES];
    int route_count;
    realtime_socket_fn joined, left;
    char *unavailable_page;

    struct token_keys keys;
    int key_from_file;              /* else shared through Redis */
    char key_candidate[65];         /* ours, offered to Redis */
    char secret_key[64];            /* Redis key of the shared secret */
    int token_ttl;                  /* seconds */

    struct list channels;
    unsigned long subscription_count;
};

/* mutable.c */
int realtime_find_mutable(const struct realtime *rt, const char *name);
const struct realtime_query *realtime_find_query(const struct realtime *rt,
                                                 const char *name);
const struct realtime_mutator *
realtime_find_mutator(const struct realtime *rt, const char *name);
/* Notes that a mutable changed. At the end of the loop turn its channels
 * are refreshed here and, when `publish` is set, the change is published
 * to other processes, once for all the changes of that turn. */
void realtime_mutable_changed(struct realtime *rt, int mutable_index,
                              int publish);
/* The change timer's callback. */
void realtime_apply_changes(void *arg);
void realtime_handle_message(struct realtime *rt, const char *payload,
                             size_t len);

/* channel.c */
struct realtime_channel *realtime_channel_get(struct realtime *rt,
                                              const char *name);
void realtime_channel_refresh(struct realtime_channel *channel);
/* Makes record, read at version, the channel's state if it is newer than
 * what the channel has: from a query, or from a page render. */
void realtime_channel_offer(struct realtime_channel *channel,
                            const struct view_record *record,
                            unsigned long long version);
/* The same for a page render's state, unless the channel is pacing. */
void realtime_channel_offer_render(struct realtime_channel *channel,
                                   const struct view_record *record,
                                   unsigned long long version);
void realtime_channel_refresh_all(struct realtime *rt);
void realtime_channel_free_all(struct realtime *rt);
/* Returns 0, or -1 when the socket follows too many channels. */
int realtime_subscribe(struct realtime_socket *socket,
                       struct realtime_channel *channel);
void realtime_unsubscribe_all(struct realtime_socket *socket);
/* Returns the next push frame the socket needs, or NULL. */
const struct buf *realtime_next_push(struct realtime_socket *socket);

/* session.c: the server's WebSocket events */
void realtime_socket_wake(struct realtime_socket *socket);
int realtime_socket_opened(void *arg, struct server_socket *socket);
void realtime_socket_message(void *arg, struct server_socket *socket,
                             const char *data, size_t len);
void realtime_socket_writable(void *arg, struct server_socket *socket);
void realtime_socket_closed(void *arg, struct server_socket *socket);

/* routes.c: the server's HTTP events, and call-route */
void realtime_http_request(void *arg, struct server_http *http);
void realtime_http_aborted(void *arg, struct server_http *http);
void realtime_call_route(struct realtime_socket *socket,
                         const struct protocol_message *msg);
void realtime_request_detach(struct realtime_request *request);
/* Queues a frame for the socket; takes ownership of frame's memory. */
void realtime_socket_queue(struct realtime_socket *socket, struct buf *frame);
/* Subscribes the socket to channel, showing the state at version. */
void realtime_socket_follow(struct realtime_socket *socket,
                            struct realtime_channel *channel,
                            unsigned long long version);
/* Returns 1 if the socket may start one more request or reply. */
int realtime_socket_has_room(struct realtime_socket *socket);

/* keys.c: the key that signs page tokens */
int realtime_keys_init(struct realtime *rt, const char *secret_file);
void realtime_keys_fetch(struct realtime *rt);

#endif
