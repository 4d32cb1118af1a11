#ifndef RING_SERVER_INTERNAL_H
#define RING_SERVER_INTERNAL_H

#include <libwebsockets.h>

#include "../util/list.h"
#include "server.h"

/* Owned by main through server_new/server_free; one per process. */
struct server {
    struct lws_context *context;
    struct lws_vhost *vhost;
    struct server_handlers handlers;
    struct server_options options;
    char static_dir[1024];
    char socket_path[64];
    char subprotocol[32];
    struct lws_http_mount mount;
    lws_retry_bo_t idle_policy;     /* all zero: lws checks no idleness */
    lws_sorted_usec_list_t sul_idle;
    char allow_origins[SERVER_MAX_ORIGINS][256];
    struct lws_protocols protocols[3];
    struct list sockets;        /* of struct server_socket */
    unsigned int http_in_flight; /* requests not yet answered in full */
    volatile int interrupted;
};

enum http_state {
    HTTP_IDLE,       /* no request, or one being read */
    HTTP_PENDING,    /* handed to the upper layer, no response yet */
    HTTP_HEADERS,    /* response queued, headers not yet written */
    HTTP_BODY,       /* headers written, body next */
};

/* Per-connection data of an HTTP request; lives in lws's session memory. */
struct server_http {
    struct lws *wsi;
    struct server *server;
    enum http_state state;
    char method[8];
    char *path;             /* allocated per request */
    int status;
    const char *content_type;  /* static, as server_http_respond takes it */
    struct buf body;
    void *user;
};

/* Per-connection data of a WebSocket; lives in lws's session memory. */
struct server_socket {
    struct list_node node;  /* in server.sockets */
    struct lws *wsi;
    struct server *server;
    struct buf message;     /* a message arriving in fragments */
    int opened;             /* socket_opened accepted it */
    int skipping;           /* rest of an oversized or binary message */
    int has_origin;         /* the upgrade carried an Origin header */
    lws_usec_t last_heard;  /* last frame or pong from the peer */
    int ping_due;           /* send a ping at the next writable */
    int ping_sent;          /* waiting for its pong */
    char peer[48];          /* address, for logs */
    int close_code;         /* non-zero: close at the next writable */
    char close_reason[64];
    void *user;
};

/* lws keeps one of these per connection; which half is live depends on
 * whether the connection was upgraded. */
struct server_session {
    union {
        struct server_http http;
        struct server_socket socket;
    } u;
};

int server_http_callback(struct lws *wsi, enum lws_callback_reasons reason,
                         struct server_http *http, void *in, size_t len);
int server_socket_confirm_upgrade(struct lws *wsi, struct server *server);
void server_socket_start_idle_checks(struct server *server);
int server_socket_callback(struct lws *wsi, enum lws_callback_reasons reason,
                           struct server_socket *socket, void *in,
                           size_t len);

#endif
