#include "server_internal.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

const size_t server_frame_headroom = LWS_PRE;

/* Descriptors kept free for Redis, static files and logs, so that lws stops
 * accepting before the process runs out (it spins on accept otherwise). */
#define FD_RESERVE 64

static int server_is_socket_reason(enum lws_callback_reasons reason)
{
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return 1;
    default:
        return 0;
    }
}

/* The one protocol of the vhost: HTTP and WebSocket events of every
 * connection arrive here, so a socket that names no subprotocol gets it. */
static int server_callback(struct lws *wsi, enum lws_callback_reasons reason,
                           void *user, void *in, size_t len)
{
    struct server_session *session = user;

    if (reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE)
        return server_socket_confirm_upgrade(
            wsi, lws_context_user(lws_get_context(wsi)));
    if (!session)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    if (server_is_socket_reason(reason))
        return server_socket_callback(wsi, reason, &session->u.socket, in,
                                      len);
    return server_http_callback(wsi, reason, &session->u.http, in, len);
}

/*
 * Sets the open-file limit lws sizes its tables by: the hard maximum less
 * FD_RESERVE. lws stops accepting when its table is full, before the
 * process runs out. (Passing a smaller fd_limit_per_thread instead would
 * make lws look every descriptor up by a linear scan.) Returns the limit
 * to restore once the context exists.
 */
static rlim_t server_limit_fds_for_lws(void)
{
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit))
        return 0;
    if (limit.rlim_max > 1000000)
        limit.rlim_max = 1000000;
    limit.rlim_cur = limit.rlim_max > 2 * FD_RESERVE
                         ? limit.rlim_max - FD_RESERVE
                         : limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_max;
}

/* Gives the process the whole limit again, reserve included. */
static void server_restore_fds(rlim_t max)
{
    struct rlimit limit;

    if (max && !getrlimit(RLIMIT_NOFILE, &limit)) {
        limit.rlim_cur = max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

static void server_copy_options(struct server *server,
                                const struct server_options *options)
{
    server->options = *options;
    snprintf(server->static_dir, sizeof(server->static_dir), "%s",
             options->static_dir);
    snprintf(server->socket_path, sizeof(server->socket_path), "%s",
             options->socket_path);
    snprintf(server->subprotocol, sizeof(server->subprotocol), "%s",
             options->subprotocol);
    server->options.allow_origin_count = options->allow_origin_count;
    if (server->options.allow_origin_count > SERVER_MAX_ORIGINS)
        server->options.allow_origin_count = SERVER_MAX_ORIGINS;
    for (int i = 0; i < server->options.allow_origin_count; i++) {
        snprintf(server->allow_origins[i], sizeof(server->allow_origins[i]),
                 "%s", options->allow_origins[i]);
        server->options.allow_origins[i] = server->allow_origins[i];
    }
    server->options.static_dir = server->static_dir;
    server->options.socket_path = server->socket_path;
    server->options.subprotocol = server->subprotocol;
}

static void server_fill_protocols(struct server *server)
{
    struct lws_http_mount *mount = &server->mount;

    server->protocols[0].name = server->subprotocol;
    server->protocols[0].callback = server_callback;
    server->protocols[0].per_session_data_size =
        sizeof(struct server_session);
    /* lws keeps a receive buffer of this size for every socket; larger
     * messages arrive in parts, which socket.c puts together. */
    server->protocols[0].rx_buffer_size = 512;
    if (server->options.internal_protocol)
        server->protocols[1] = *server->options.internal_protocol;

    mount->mountpoint = "/static";
    mount->mountpoint_len = 7;
    mount->origin = server->static_dir;
    mount->origin_protocol = LWSMPRO_FILE;
    mount->cache_max_age = 60;
    mount->cache_reusable = 1;
    mount->cache_revalidate = 1;
}

/*
 * Checks that host names an address of this machine, by binding a socket to
 * it on any port. lws 4.1 logs a host it cannot use and goes on without
 * listening, so the check is made before. Returns 0, or -1 after logging.
 */
static int server_check_host(const char *host)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *found;
    int fd, r;

    r = getaddrinfo(host, NULL, &hints, &found);
    if (r) {
        lwsl_err("server: cannot listen on %s: %s\n", host, gai_strerror(r));
        return -1;
    }
    fd = socket(found->ai_family, SOCK_STREAM, 0);
    r = fd < 0 ? -1 : bind(fd, found->ai_addr, found->ai_addrlen);
    if (r)
        lwsl_err("server: cannot listen on %s: %s\n", host, strerror(errno));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(found);
    return r ? -1 : 0;
}

struct server *server_new(const struct server_options *options)
{
    struct server *server = calloc(1, sizeof(*server));
    struct lws_context_creation_info info;
    rlim_t fd_max;

    if (!server)
        return NULL;
    if (server_check_host(options->host)) {
        free(server);
        return NULL;
    }
    list_init(&server->sockets);
    server_copy_options(server, options);
    server_fill_protocols(server);

    memset(&info, 0, sizeof(info));
    info.port = options->port;
    info.iface = server->options.host;
    info.protocols = server->protocols;
    info.mounts = &server->mount;
    info.user = server;
    info.timeout_secs = 10;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    info.vhost_name = "ringserver";
    /* No lws validity timers: they sit in one sorted list, so each socket
     * costs a walk of it. socket.c checks idleness with one timer. */
    info.retry_and_idle_policy = &server->idle_policy;
    fd_max = server_limit_fds_for_lws();
    server->context = lws_create_context(&info);
    server_restore_fds(fd_max);
    if (!server->context) {
        lwsl_err("server: cannot listen on http://%s:%d/\n",
                 options->host, options->port);
        free(server);
        return NULL;
    }
    server->vhost = lws_get_vhost_by_name(server->context, "ringserver");
    server_socket_start_idle_checks(server);
    lwsl_notice("server: listening on http://%s:%d/\n", options->host,
                options->port);
    return server;
}

void server_set_handlers(struct server *server,
                         const struct server_handlers *handlers)
{
    server->handlers = *handlers;
}

struct lws_context *server_context(struct server *server)
{
    return server->context;
}

struct lws_vhost *server_vhost(struct server *server)
{
    return server->vhost;
}

void server_run(struct server *server)
{
    while (!server->interrupted)
        if (lws_service(server->context, 0) < 0)
            break;
}

static void server_wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to end the wait in lws_service */
}

void server_run_until(struct server *server, int (*done)(void *arg),
                      void *arg, int timeout_ms)
{
    lws_usec_t wait = (lws_usec_t)timeout_ms * 1000;
    lws_usec_t deadline = lws_now_usecs() + wait;
    lws_sorted_usec_list_t wake;

    memset(&wake, 0, sizeof(wake));
    lws_sul_schedule(server->context, 0, &wake, server_wake_cb, wait);
    while (!done(arg) && lws_now_usecs() < deadline)
        if (lws_service(server->context, 0) < 0)
            break;
    lws_sul_cancel(&wake);
}

void server_interrupt(struct server *server)
{
    server->interrupted = 1;
    lws_cancel_service(server->context);
}

void server_free(struct server *server)
{
    if (!server)
        return;
    lws_sul_cancel(&server->sul_idle);
    lws_context_destroy(server->context);
    free(server);
}

unsigned int server_socket_count(const struct server *server)
{
    return (unsigned int)server->sockets.count;
}

unsigned int server_http_in_flight(const struct server *server)
{
    return server->http_in_flight;
}

void server_close_sockets(struct server *server, int code, const char *reason)
{
    struct list_node *n;

    list_for_each(&server->sockets, n)
        server_socket_close(list_entry(n, struct server_socket, node), code,
                            reason);
}

/* Owned by the caller of server_timer_new. */
struct server_timer {
    lws_sorted_usec_list_t sul;
    struct server *server;
    server_timer_fn fn;
    void *arg;
    int pending;
};

static void server_timer_fire(lws_sorted_usec_list_t *sul)
{
    struct server_timer *timer =
        lws_container_of(sul, struct server_timer, sul);

    timer->pending = 0;
    timer->fn(timer->arg);
}

struct server_timer *server_timer_new(struct server *server,
                                      server_timer_fn fn, void *arg)
{
    struct server_timer *timer = calloc(1, sizeof(*timer));

    if (timer) {
        timer->server = server;
        timer->fn = fn;
        timer->arg = arg;
    }
    return timer;
}

void server_timer_start(struct server_timer *timer, unsigned long delay_us)
{
    timer->pending = 1;
    lws_sul_schedule(timer->server->context, 0, &timer->sul,
                     server_timer_fire, (lws_usec_t)delay_us);
}

int server_timer_pending(const struct server_timer *timer)
{
    return timer->pending;
}

void server_timer_free(struct server_timer *timer)
{
    if (!timer)
        return;
    lws_sul_cancel(&timer->sul);
    free(timer);
}
