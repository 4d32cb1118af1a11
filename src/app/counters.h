#ifndef RING_COUNTERS_H
#define RING_COUNTERS_H

#include "../config.h"

struct lws_context;
struct lws_protocols;
struct lws_vhost;
struct server;

/*
 * The live traffic counters: mutable `stats` (total page views, viewers
 * now), mutator `post` for scope `stats`, and the routes `/` and
 * `/healthz`.
 */
struct app;

/* The lws protocol the app's Redis sockets need in the server's vhost. */
const struct lws_protocols *app_lws_protocol(void);

/* Loads the templates and connects to Redis over the server's lws loop.
 * Returns NULL after logging the reason. */
struct app *app_new(struct server *server, struct lws_context *context,
                    struct lws_vhost *vhost, const struct config *cfg);

/* Stops counting and removes this process's viewers from Redis; *done
 * becomes 1 when Redis confirmed (or at once when it is down). */
void app_stop(struct app *app, int *done);

/* Closes the Redis connections: call after app_stop, before the server is
 * freed. */
void app_close_store(struct app *app);

/* Frees the rest: call after the server is freed. */
void app_free(struct app *app);

#endif
