#ifndef RING_REDIS_LINK_H
#define RING_REDIS_LINK_H

#include <hiredis/async.h>
#include <libwebsockets.h>

#include "../config.h"

/*
 * One hiredis async connection driven by the lws event loop. It connects,
 * notices loss, and reconnects with capped, jittered backoff by itself. The
 * owner (the store) frees it with redis_link_free().
 */
struct redis_link;

struct redis_link_events {
    /* The connection is up and `ac` accepts commands. */
    void (*connected)(void *arg, redisAsyncContext *ac);
    /* The connection was lost or never came up; pending replies were failed
     * before this is called. */
    void (*disconnected)(void *arg, const char *error);
};

/* The lws protocol that carries hiredis's descriptor; one per context. */
extern const struct lws_protocols redis_link_protocol;

/*
 * Starts connecting at once. `vhost` must serve redis_link_protocol; `name`
 * tells the links apart in logs ("commands", "subscriber"). Returns NULL when
 * out of memory.
 */
struct redis_link *redis_link_new(struct lws_context *context,
                                  struct lws_vhost *vhost,
                                  const struct redis_address *addr,
                                  const char *url, const char *name,
                                  const struct redis_link_events *events,
                                  void *arg);
void redis_link_free(struct redis_link *link);

/* Returns the hiredis context while connected, else NULL. */
redisAsyncContext *redis_link_context(const struct redis_link *link);

/* Drops the connection (failing pending replies) and reconnects later. */
void redis_link_reset(struct redis_link *link, const char *why);


#endif
