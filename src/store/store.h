#ifndef RING_STORE_H
#define RING_STORE_H

#include <stddef.h>

#include <hiredis/hiredis.h>
#include <libwebsockets.h>

#include "../config.h"

/*
 * The Redis layer: asynchronous commands on one connection and pub/sub on a
 * second, both driven by the lws event loop, both reconnecting by
 * themselves. It knows nothing of views or sockets.
 */
struct store;

struct store_listener {
    /* The command connection came up (up = 1) or went down (up = 0). */
    void (*up_changed)(void *arg, int up);
    /* A pub/sub message arrived on a channel given to store_subscribe. */
    void (*message)(void *arg, const char *channel, const char *payload,
                    size_t len);
    /* The subscriber connection (re)subscribed: messages sent while it was
     * down are lost, so state must be read again. */
    void (*subscribed)(void *arg);
};

/* A reply callback. reply is NULL when the command failed (connection lost
 * or dropped); a Redis error arrives as a REDIS_REPLY_ERROR reply. */
typedef void (*store_reply_fn)(void *arg, redisReply *reply);

struct store_request;

/* The lws protocol that carries the Redis sockets. The vhost given to
 * store_new must list it (the server's one vhost does). */
const struct lws_protocols *store_lws_protocol(void);

/*
 * Creates the store and starts connecting, adopting the Redis sockets into
 * `vhost`. Returns NULL when out of memory.
 */
struct store *store_new(struct lws_context *context, struct lws_vhost *vhost,
                        const struct redis_address *addr, const char *url,
                        const struct store_listener *listener, void *arg);
void store_free(struct store *store);

/* Returns the lws context the store runs on, for timers. */
struct lws_context *store_context(const struct store *store);

/* Returns 1 while the command connection is up. */
int store_is_up(const struct store *store);

/* Returns why the store is down, or "" while it is up. */
const char *store_error(const struct store *store);

/* Most arguments an EVAL may carry after its script and key count. */
#define STORE_MAX_ARGS 14

/*
 * Sends one command. An EVAL (with lengths NULL, and a script that stays
 * in memory until the reply) goes out as EVALSHA, and is sent again as
 * EVAL only when Redis replies NOSCRIPT. Returns a handle, or NULL when
 * the store is down (fn is then never called); otherwise fn is called
 * exactly once. Commands run in the order they were sent.
 */
struct store_request *store_command(struct store *store, store_reply_fn fn,
                                    void *arg, int argc, const char **argv,
                                    const size_t *lengths);

/*
 * Sends a command that is safe to run twice (it must check itself whether
 * it ran, for example with SET NX of a request id). If the connection drops
 * before the reply, the command is sent again after the reconnect, until
 * timeout_ms passes; fn then gets NULL. Returns 0, or -1 when the store is
 * down or out of memory (fn is then never called).
 */
int store_command_retry(struct store *store, store_reply_fn fn, void *arg,
                        int timeout_ms, int argc, const char **argv);

/* Subscribes to a pub/sub channel now and after every reconnect. Returns 0,
 * or -1 when out of memory. */
int store_subscribe(struct store *store, const char *channel);

#endif
