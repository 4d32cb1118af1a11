/*
 * ringserver: a realtime server-rendered view server. main() reads the
 * command line, starts the server and the counters app, and stops both on
 * SIGINT or SIGTERM after removing this process's viewers from Redis.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "app/counters.h"
#include "config.h"
#include "server/server.h"

/* Largest WebSocket message a client may send; larger ones close with
 * 1009. */
#define MAX_MESSAGE (64 * 1024)
/* A deferred HTTP response that waits longer than this gets a 503. */
#define RESPONSE_TIMEOUT_MS 3000
/* How long shutdown waits for Redis to confirm the viewers left and for
 * the requests in flight, and then for the sockets to take their close
 * frames. Together they keep the whole stop under 2 s. */
#define STOP_TIMEOUT_MS 1200
#define CLOSE_TIMEOUT_MS 500
#define CLOSE_GOING_AWAY 1001

static struct server *running_server;

static void on_signal(int sig)
{
    (void)sig;
    if (running_server)
        server_interrupt(running_server);
}

/* The conditions stop() waits for before closing the sockets. */
struct stopping {
    struct server *server;
    int viewers_removed;
};

/* Returns 1 once Redis confirmed the viewers left and every HTTP request
 * in flight, whose page view may be counted already, got its response. */
static int stop_settled(void *arg)
{
    struct stopping *stopping = arg;

    return stopping->viewers_removed &&
           server_http_in_flight(stopping->server) == 0;
}

static int sockets_closed(void *arg)
{
    return server_socket_count(arg) == 0;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void fill_server_options(struct server_options *options,
                                const struct config *cfg)
{
    memset(options, 0, sizeof(*options));
    options->host = cfg->host;
    options->port = cfg->port;
    options->static_dir = cfg->static_dir;
    options->socket_path = "/ring";
    options->subprotocol = "ring";
    options->max_message = MAX_MESSAGE;
    options->response_timeout_ms = RESPONSE_TIMEOUT_MS;
    options->idle_timeout = cfg->idle_timeout;
    for (int i = 0; i < cfg->allow_origin_count; i++)
        options->allow_origins[i] = cfg->allow_origins[i];
    options->allow_origin_count = cfg->allow_origin_count;
    options->internal_protocol = app_lws_protocol();
}

/* Removes this process's viewers from Redis, finishes the HTTP requests in
 * flight (new ones get 503), closes every socket with 1001, then frees
 * everything in the order the layers need. */
static void stop(struct server *server, struct app *app)
{
    struct stopping stopping = {server, 0};

    lwsl_notice("ringserver: stopping\n");
    app_stop(app, &stopping.viewers_removed);
    server_run_until(server, stop_settled, &stopping, STOP_TIMEOUT_MS);
    server_close_sockets(server, CLOSE_GOING_AWAY, "server shutting down");
    server_run_until(server, sockets_closed, server, CLOSE_TIMEOUT_MS);
    app_close_store(app);
    running_server = NULL;
    server_free(server);
    app_free(app);
    lwsl_notice("ringserver: stopped\n");
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct server_options options;
    struct server *server;
    struct app *app;

    switch (config_parse(&cfg, argc, argv, stdout, stderr)) {
    case CONFIG_EXIT:
        return 0;
    case CONFIG_ERROR:
        return 2;
    case CONFIG_OK:
        break;
    }
    lws_set_log_level(cfg.log_level, NULL);
    srand((unsigned int)time(NULL) ^ (unsigned int)getpid());

    fill_server_options(&options, &cfg);
    server = server_new(&options);
    if (!server)
        return 1;
    app = app_new(server, server_context(server), server_vhost(server), &cfg);
    if (!app) {
        server_free(server);
        return 1;
    }

    running_server = server;
    install_signals();
    server_run(server);
    stop(server, app);
    return 0;
}
