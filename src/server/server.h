#ifndef RING_SERVER_H
#define RING_SERVER_H

#include <stddef.h>

#include "../util/buf.h"

/*
 * The lws layer: one context, one vhost, one port for the HTTP routes, the
 * /static mount and the realtime WebSocket at /ring. It is the only code
 * that calls lws_write; upper layers see opaque handles and get events
 * through the handlers they register.
 */
struct server;

/* One HTTP request. Valid from http_request until the response is written
 * or http_aborted is called, whichever comes first. */
struct server_http;

/* One open WebSocket. Valid from socket_opened until socket_closed. */
struct server_socket;

/* Bytes to reserve before a WebSocket frame's payload (lws's LWS_PRE). */
extern const size_t server_frame_headroom;

struct server_handlers {
    void *arg;
    /* A request outside /static. Respond now or later with
     * server_http_respond. */
    void (*http_request)(void *arg, struct server_http *http);
    /* The client went away, or the response timed out, before the
     * response was written. The handle dies when this returns. */
    void (*http_aborted)(void *arg, struct server_http *http);
    /* A WebSocket opened. Return 0 to keep it. */
    int (*socket_opened)(void *arg, struct server_socket *socket);
    /* One whole text message (at most options.max_message bytes). */
    void (*socket_message)(void *arg, struct server_socket *socket,
                           const char *data, size_t len);
    /* The socket can take one frame now: call server_socket_send once. */
    void (*socket_writable)(void *arg, struct server_socket *socket);
    /* The socket closed, for any reason. Called once for every socket
     * that socket_opened saw, even one it rejected. */
    void (*socket_closed)(void *arg, struct server_socket *socket);
};

#define SERVER_MAX_ORIGINS 16

struct lws_protocols;
struct lws_vhost;

struct server_options {
    const char *host;
    int port;
    const char *static_dir;
    const char *socket_path;     /* "/ring" */
    const char *subprotocol;     /* "ring" */
    size_t max_message;          /* larger messages close with 1009 */
    int response_timeout_ms;     /* deferred HTTP responses get a 503 */
    int idle_timeout;            /* seconds without a pong before a drop */
    /* Origins accepted besides the server's own (scheme://host[:port]). */
    const char *allow_origins[SERVER_MAX_ORIGINS];
    int allow_origin_count;
    /* A protocol for descriptors that other layers adopt into the vhost
     * (the Redis sockets), or NULL. Clients cannot bind to it. */
    const struct lws_protocols *internal_protocol;
};

/* Creates the context and starts listening. Returns NULL after logging the
 * reason. */
struct server *server_new(const struct server_options *options);
void server_set_handlers(struct server *server,
                         const struct server_handlers *handlers);
/* The context and the one vhost, for layers that run on the lws loop. */
struct lws_context *server_context(struct server *server);
struct lws_vhost *server_vhost(struct server *server);

/* Runs the event loop until server_interrupt() or server_stop_loop(). */
void server_run(struct server *server);
/* Runs the loop until done(arg) returns non-zero or timeout_ms passes. */
void server_run_until(struct server *server, int (*done)(void *arg),
                      void *arg, int timeout_ms);
/* Async-signal-safe: makes server_run return. */
void server_interrupt(struct server *server);
/* Closes every connection and frees the context. */
void server_free(struct server *server);

/* Timers on the event loop, for the layers above the server. */
struct server_timer;
typedef void (*server_timer_fn)(void *arg);

/* Returns a stopped timer that calls fn(arg), or NULL when out of memory. */
struct server_timer *server_timer_new(struct server *server,
                                      server_timer_fn fn, void *arg);
/* Starts the timer to fire once after delay_us; a start replaces the
 * pending one. */
void server_timer_start(struct server_timer *timer, unsigned long delay_us);
/* Returns 1 while the timer is started and has not fired. */
int server_timer_pending(const struct server_timer *timer);
/* Stops and frees the timer; NULL is allowed. */
void server_timer_free(struct server_timer *timer);

/* HTTP requests */
const char *server_http_method(const struct server_http *http);
const char *server_http_path(const struct server_http *http);
void server_http_set_user(struct server_http *http, void *user);
void *server_http_user(const struct server_http *http);
/* Copies the URL-decoded query argument number `index` ("name=value")
 * into out. Returns its length, or -1 when there is no such argument or it
 * does not fit. Only valid in http_request. */
int server_http_query_arg(struct server_http *http, int index, char *out,
                          size_t out_len);
/* Queues the response; the body is copied, and content_type must be a
 * string that lives as long as the process (a literal). HEAD responses
 * send no body. Returns 0, or -1 when out of memory (the connection is
 * then closed). */
int server_http_respond(struct server_http *http, int status,
                        const char *content_type, const char *body,
                        size_t len);

/* WebSockets */
void server_socket_set_user(struct server_socket *socket, void *user);
void *server_socket_user(const struct server_socket *socket);
/* Returns 1 if the upgrade request carried an Origin header, as browsers
 * always send. */
int server_socket_has_origin(const struct server_socket *socket);
/* Returns the peer's address as text, for logs. */
const char *server_socket_peer(const struct server_socket *socket);
/* Copies the URL-decoded query argument `name` into out. Returns its
 * length, -1 when it is absent, or -2 when it does not fit in out. */
int server_socket_query(struct server_socket *socket, const char *name,
                        char *out, size_t out_len);
/* Asks for a socket_writable event. */
void server_socket_request_write(struct server_socket *socket);
/* Writes one text frame; only from socket_writable. `frame` must have
 * server_frame_headroom bytes of headroom and is left as it was. Returns 0
 * or -1 (the socket is then closing). */
int server_socket_send(struct server_socket *socket, const struct buf *frame);
/* Closes the socket with a close code and a short reason. */
void server_socket_close(struct server_socket *socket, int code,
                         const char *reason);
/* Returns the number of open WebSockets. */
unsigned int server_socket_count(const struct server *server);
/* Returns the number of HTTP requests not yet answered in full. */
unsigned int server_http_in_flight(const struct server *server);
/* Starts closing every open WebSocket with a close code and reason. */
void server_close_sockets(struct server *server, int code, const char *reason);

#endif
