#include "server_internal.h"

#include <string.h>

/* Returns 1 if the upgrade request is for the realtime endpoint. */
static int socket_path_matches(struct lws *wsi, const struct server *server)
{
    char path[128];

    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0)
        return 0;
    return strcmp(path, server->socket_path) == 0;
}

/* Returns 1 if the comma-separated header `offered` names `wanted`. */
static int socket_offers(const char *offered, const char *wanted)
{
    size_t n = strlen(wanted);
    const char *p = offered;

    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!strncmp(p, wanted, n) && (p[n] == '\0' || p[n] == ',' ||
                                       p[n] == ' '))
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

/* Returns 1 if `origin` (scheme://host[:port]) names the host the request
 * was sent to, as its Host header gives it. */
static int socket_origin_is_own(struct lws *wsi, const char *origin)
{
    char host[256];
    const char *origin_host = strstr(origin, "://");

    if (!origin_host ||
        lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
        return 0;
    return strcasecmp(origin_host + 3, host) == 0;
}

/* Returns 1 if the request has no Origin header (not a browser), or one
 * that is the server's own or in the --allow-origin list. */
static int socket_origin_allowed(struct lws *wsi, const struct server *server)
{
    char origin[256];
    int len = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);

    if (len <= 0)
        return 1;
    if (len >= (int)sizeof(origin) ||
        lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
        return 0;
    if (socket_origin_is_own(wsi, origin))
        return 1;
    for (int i = 0; i < server->options.allow_origin_count; i++)
        if (!strcasecmp(origin, server->options.allow_origins[i]))
            return 1;
    lwsl_warn("socket: rejected WebSocket from origin %s\n", origin);
    return 0;
}

/*
 * Checks an upgrade request before lws accepts it, so that a wrong path or
 * a client that names only other subprotocols gets an HTTP error it can
 * show, instead of a dropped connection. Returns 0 to allow the upgrade,
 * 1 after writing the rejection.
 */
int server_socket_confirm_upgrade(struct lws *wsi, struct server *server)
{
    char offered[256], message[384];
    int len = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);

    if (!socket_path_matches(wsi, server)) {
        snprintf(message, sizeof(message), "no WebSocket endpoint here: "
                 "connect to %s", server->socket_path);
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, message);
        return 1;
    }
    if (!socket_origin_allowed(wsi, server)) {
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN,
                               "origin not allowed: start --allow-origin "
                               "with it to accept it");
        return 1;
    }
    if (len <= 0)
        return 0;
    if (len < (int)sizeof(offered) &&
        lws_hdr_copy(wsi, offered, sizeof(offered), WSI_TOKEN_PROTOCOL) > 0 &&
        server->options.internal_protocol &&
        socket_offers(offered, server->options.internal_protocol->name)) {
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST,
                               "that subprotocol is internal");
        return 1;
    }
    if (len < (int)sizeof(offered) &&
        lws_hdr_copy(wsi, offered, sizeof(offered), WSI_TOKEN_PROTOCOL) > 0 &&
        socket_offers(offered, server->subprotocol))
        return 0;
    snprintf(message, sizeof(message), "unsupported WebSocket subprotocol: "
             "this endpoint speaks \"%s\" only", server->subprotocol);
    lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, message);
    return 1;
}

static void socket_heard(struct server_socket *socket)
{
    socket->last_heard = lws_now_usecs();
    socket->ping_sent = 0;
}

/*
 * Checks every socket against the idle timeout, from one timer: a socket
 * silent for half the timeout gets a ping, and one silent for all of it
 * (no frame, no pong) is dropped, which counts as a leave.
 */
static void socket_check_idle(lws_sorted_usec_list_t *sul)
{
    struct server *server = lws_container_of(sul, struct server, sul_idle);
    lws_usec_t now = lws_now_usecs();
    lws_usec_t timeout = (lws_usec_t)server->options.idle_timeout *
                         LWS_USEC_PER_SEC;
    struct list_node *n;

    list_for_each(&server->sockets, n) {
        struct server_socket *socket =
            list_entry(n, struct server_socket, node);
        lws_usec_t silent = now - socket->last_heard;

        if (silent >= timeout) {
            lwsl_info("socket: dropping %s, silent for %d s\n", socket->peer,
                      server->options.idle_timeout);
            lws_set_timeout(socket->wsi, 1, LWS_TO_KILL_ASYNC);
        } else if (silent >= timeout / 2 && !socket->ping_sent) {
            socket->ping_due = 1;
            lws_callback_on_writable(socket->wsi);
        }
    }
    lws_sul_schedule(server->context, 0, &server->sul_idle, socket_check_idle,
                     timeout / 4);
}

void server_socket_start_idle_checks(struct server *server)
{
    lws_sul_schedule(server->context, 0, &server->sul_idle, socket_check_idle,
                     (lws_usec_t)server->options.idle_timeout *
                         LWS_USEC_PER_SEC / 4);
}

static int socket_send_ping(struct server_socket *socket)
{
    /* A payload, because lws 4.1 delivers no RECEIVE_PONG for an empty
     * pong. */
    unsigned char frame[LWS_PRE + 4] = {0};

    memcpy(frame + LWS_PRE, "ring", 4);
    socket->ping_due = 0;
    socket->ping_sent = 1;
    if (lws_write(socket->wsi, frame + LWS_PRE, 4, LWS_WRITE_PING) < 0)
        return -1;
    lws_callback_on_writable(socket->wsi); /* for anything else due */
    return 0;
}

static int socket_open(struct lws *wsi, struct server_socket *socket)
{
    struct server *server = lws_context_user(lws_get_context(wsi));

    memset(socket, 0, sizeof(*socket));
    socket->wsi = wsi;
    socket->server = server;
    socket->has_origin = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0;
    lws_get_peer_simple(wsi, socket->peer, sizeof(socket->peer));
    buf_init(&socket->message, 0);
    socket_heard(socket);
    list_push(&server->sockets, &socket->node);
    socket->opened = 1;
    if (server->handlers.socket_opened(server->handlers.arg, socket)) {
        server_socket_close(socket, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                            "server cannot take the socket");
    }
    return 0;
}

static void socket_deliver(struct server_socket *socket, const char *data,
                           size_t len)
{
    struct server *server = socket->server;

    server->handlers.socket_message(server->handlers.arg, socket, data, len);
}

/* Collects one message from its fragments and hands it up whole. */
static void socket_receive(struct lws *wsi, struct server_socket *socket,
                           const char *in, size_t len)
{
    size_t max = socket->server->options.max_message;
    int first = lws_is_first_fragment(wsi), last = lws_is_final_fragment(wsi);
    char reason[64];

    if (socket->close_code)
        return;
    socket_heard(socket);
    if (first)
        socket->skipping = 0;
    if (socket->skipping)
        return;
    if (lws_frame_is_binary(wsi)) {
        server_socket_close(socket, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                            "binary messages are not supported");
        return;
    }
    if (socket->message.len + len > max) {
        buf_free(&socket->message);
        snprintf(reason, sizeof(reason), "message larger than %zu bytes",
                 max);
        server_socket_close(socket, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                            reason);
        return;
    }
    if (first && last) {
        socket_deliver(socket, in, len);
        return;
    }
    if (buf_append(&socket->message, in, len)) {
        server_socket_close(socket, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                            "out of memory");
        return;
    }
    if (last) {
        socket_deliver(socket, buf_data(&socket->message),
                       socket->message.len);
        buf_free(&socket->message);
    }
}

static int socket_writable(struct server_socket *socket)
{
    struct server *server = socket->server;

    if (socket->close_code) {
        lws_close_reason(socket->wsi, (enum lws_close_status)socket->close_code,
                         (unsigned char *)socket->close_reason,
                         strlen(socket->close_reason));
        return -1;
    }
    if (socket->ping_due)
        return socket_send_ping(socket);
    server->handlers.socket_writable(server->handlers.arg, socket);
    return socket->close_code ? -1 : 0;
}

static void socket_closed(struct server_socket *socket)
{
    struct server *server = socket->server;

    if (!socket->opened)
        return;
    socket->opened = 0;
    list_remove(&server->sockets, &socket->node);
    buf_free(&socket->message);
    server->handlers.socket_closed(server->handlers.arg, socket);
}

int server_socket_callback(struct lws *wsi, enum lws_callback_reasons reason,
                           struct server_socket *socket, void *in, size_t len)
{
    struct server *server = lws_context_user(lws_get_context(wsi));

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return socket_path_matches(wsi, server) ? 0 : 1;
    case LWS_CALLBACK_ESTABLISHED:
        return socket_open(wsi, socket);
    case LWS_CALLBACK_RECEIVE:
        socket_receive(wsi, socket, in, len);
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        socket_heard(socket);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return socket_writable(socket);
    case LWS_CALLBACK_CLOSED:
        socket_closed(socket);
        return 0;
    default:
        return 0;
    }
}

void server_socket_set_user(struct server_socket *socket, void *user)
{
    socket->user = user;
}

void *server_socket_user(const struct server_socket *socket)
{
    return socket->user;
}

int server_socket_query(struct server_socket *socket, const char *name,
                        char *out, size_t out_len)
{
    /* Larger than lws's whole header buffer, so any argument fits. */
    char key[64], arg[8192];
    const char *value;
    size_t n;

    snprintf(key, sizeof(key), "%s=", name);
    value = lws_get_urlarg_by_name(socket->wsi, key, arg, sizeof(arg));
    if (!value)
        return -1;
    n = strlen(value);
    if (n >= out_len)
        return -2;
    memcpy(out, value, n + 1);
    return (int)n;
}

int server_socket_has_origin(const struct server_socket *socket)
{
    return socket->has_origin;
}

const char *server_socket_peer(const struct server_socket *socket)
{
    return socket->peer;
}

void server_socket_request_write(struct server_socket *socket)
{
    lws_callback_on_writable(socket->wsi);
}

int server_socket_send(struct server_socket *socket, const struct buf *frame)
{
    int n = lws_write(socket->wsi, (unsigned char *)buf_data(frame),
                      frame->len, LWS_WRITE_TEXT);

    if (n < (int)frame->len) {
        server_socket_close(socket, LWS_CLOSE_STATUS_ABNORMAL_CLOSE,
                            "write failed");
        return -1;
    }
    return 0;
}

void server_socket_close(struct server_socket *socket, int code,
                         const char *reason)
{
    if (socket->close_code)
        return;
    socket->close_code = code;
    snprintf(socket->close_reason, sizeof(socket->close_reason), "%s",
             reason);
    lwsl_info("socket: closing with %d: %s\n", code, reason);
    lws_callback_on_writable(socket->wsi);
}
