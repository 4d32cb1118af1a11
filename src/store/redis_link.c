#include "redis_link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/sds.h>

#include "../util/metrics.h"

#define CONNECT_TIMEOUT_US (2 * LWS_USEC_PER_SEC)
/* A reconnect waits a jittered 50-100 ms at first, doubling up to 300-600 ms,
 * so pages converge within a second of Redis coming back. */
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 600

/*
 * Owned by the store. `ac` and `wsi` exist together while a connection is up
 * or being made: hiredis owns the socket and lws watches a dup() of it,
 * because lws closes every descriptor it adopted.
 */
struct redis_link {
    struct lws_context *context;
    struct lws_vhost *vhost;
    struct redis_address addr;
    char url[512];
    char name[32];
    struct redis_link_events events;
    void *arg;

    redisAsyncContext *ac;
    struct lws *wsi;
    int connected;
    int freeing;
    const char *drop_reason;    /* why we dropped it ourselves, if we did */
    unsigned int failures;      /* connect failures in a row */
    int ever_connected;

    lws_sorted_usec_list_t sul_retry;
    lws_sorted_usec_list_t sul_timeout;
    lws_sorted_usec_list_t sul_rearm;
    lws_sorted_usec_list_t sul_lost;
};

static void redis_link_start(struct redis_link *link);

static unsigned int backoff_ms(unsigned int failures)
{
    unsigned int ms = BACKOFF_BASE_MS;

    while (failures-- > 0 && ms < BACKOFF_CAP_MS)
        ms *= 2;
    if (ms > BACKOFF_CAP_MS)
        ms = BACKOFF_CAP_MS;
    return ms / 2 + (unsigned int)rand() % (ms / 2 + 1);
}

static void redis_link_retry_cb(lws_sorted_usec_list_t *sul)
{
    redis_link_start(lws_container_of(sul, struct redis_link, sul_retry));
}

/*
 * Schedules the next connect. A connect failure (error not NULL) is logged,
 * the first few and then one in ten, and makes the next wait longer.
 */
static void redis_link_schedule_retry(struct redis_link *link,
                                      const char *error)
{
    unsigned int ms = backoff_ms(link->failures);

    if (error)
        link->failures++;
    if (error && (link->failures <= 3 || link->failures % 10 == 0))
        lwsl_warn("redis (%s): %s failed: %s; retrying in %u ms "
                  "(%u failures in a row)\n", link->name, link->url,
                  error, ms, link->failures);
    lws_sul_schedule(link->context, 0, &link->sul_retry, redis_link_retry_cb,
                     (lws_usec_t)ms * 1000);
}

/* hiredis event hooks: lws polls for input all the time, so only writes
 * need asking for. */
static void hook_add_write(void *data)
{
    struct redis_link *link = data;

    if (link->wsi)
        lws_callback_on_writable(link->wsi);
}

static void hook_noop(void *data)
{
    (void)data;
}

/* Called by hiredis while it frees the context, for any reason. */
static void hook_cleanup(void *data)
{
    struct redis_link *link = data;
    const char *error;
    int was_connected = link->connected;

    error = link->drop_reason ? link->drop_reason
            : link->ac && link->ac->err ? link->ac->errstr
            : "connection closed";
    if (link->wsi) {
        lws_set_opaque_user_data(link->wsi, NULL);
        lws_set_timeout(link->wsi, 1, LWS_TO_KILL_ASYNC);
        link->wsi = NULL;
    }
    link->ac = NULL;
    link->connected = 0;
    link->drop_reason = NULL;
    lws_sul_cancel(&link->sul_timeout);
    lws_sul_cancel(&link->sul_rearm);
    if (link->freeing)
        return;

    if (was_connected) {
        lwsl_warn("redis (%s): lost connection to %s: %s\n", link->name,
                  link->url, error);
        link->events.disconnected(link->arg, error);
        redis_link_schedule_retry(link, NULL);
        return;
    }
    link->events.disconnected(link->arg, error);
    redis_link_schedule_retry(link, error);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_link *link = ac->data;

    if (status != REDIS_OK)
        return; /* hiredis frees the context next: see hook_cleanup */

    lws_sul_cancel(&link->sul_timeout);
    link->connected = 1;
    link->failures = 0;
    if (link->ever_connected)
        metrics.redis_reconnects++;
    link->ever_connected = 1;
    lwsl_notice("redis (%s): connected to %s\n", link->name, link->url);
    link->events.connected(link->arg, link->ac);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)ac;
    (void)status; /* reported by hook_cleanup, which runs first */
}

static void redis_link_timeout_cb(lws_sorted_usec_list_t *sul)
{
    struct redis_link *link =
        lws_container_of(sul, struct redis_link, sul_timeout);

    if (link->ac && !link->connected)
        redis_link_reset(link, "connect timed out");
}

static redisAsyncContext *redis_link_open(const struct redis_link *link)
{
    if (link->addr.is_unix)
        return redisAsyncConnectUnix(link->addr.path);
    return redisAsyncConnect(link->addr.host, link->addr.port);
}

/* Adopts a dup() of hiredis's socket into lws. Returns 0 or -1. */
static int redis_link_adopt(struct redis_link *link)
{
    lws_sock_file_fd_type fd;

    fd.filefd = dup(link->ac->c.fd);
    if (fd.filefd < 0)
        return -1;
    link->wsi = lws_adopt_descriptor_vhost(link->vhost,
                                           LWS_ADOPT_RAW_FILE_DESC, fd,
                                           redis_link_protocol.name, NULL);
    if (!link->wsi)
        return -1; /* lws closed the dup */
    lws_set_opaque_user_data(link->wsi, link);
    return 0;
}

static void redis_link_start(struct redis_link *link)
{
    redisAsyncContext *ac = redis_link_open(link);
    char error[256];

    if (!ac || ac->err) {
        snprintf(error, sizeof(error), "%s",
                 ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        redis_link_schedule_retry(link, error);
        return;
    }
    link->ac = ac;
    ac->data = link;
    if (redis_link_adopt(link)) {
        link->freeing = 1; /* nothing to report through the hooks */
        redisAsyncFree(ac);
        link->freeing = 0;
        link->ac = NULL;
        redis_link_schedule_retry(link, "cannot watch the socket");
        return;
    }

    /* The hooks must be in place before the connect callback is set,
     * because setting it asks for a write. */
    ac->ev.data = link;
    ac->ev.addRead = hook_noop;
    ac->ev.delRead = hook_noop;
    ac->ev.addWrite = hook_add_write;
    ac->ev.delWrite = hook_noop;
    ac->ev.cleanup = hook_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    lws_sul_schedule(link->context, 0, &link->sul_timeout,
                     redis_link_timeout_cb, CONNECT_TIMEOUT_US);
}

struct redis_link *redis_link_new(struct lws_context *context,
                                  struct lws_vhost *vhost,
                                  const struct redis_address *addr,
                                  const char *url, const char *name,
                                  const struct redis_link_events *events,
                                  void *arg)
{
    struct redis_link *link = calloc(1, sizeof(*link));

    if (!link)
        return NULL;
    link->vhost = vhost;
    link->context = context;
    link->addr = *addr;
    snprintf(link->url, sizeof(link->url), "%s", url);
    snprintf(link->name, sizeof(link->name), "%s", name);
    link->events = *events;
    link->arg = arg;
    redis_link_start(link);
    return link;
}

void redis_link_free(struct redis_link *link)
{
    if (!link)
        return;
    link->freeing = 1;
    lws_sul_cancel(&link->sul_retry);
    lws_sul_cancel(&link->sul_lost);
    if (link->ac)
        redisAsyncFree(link->ac);
    lws_sul_cancel(&link->sul_timeout);
    lws_sul_cancel(&link->sul_rearm);
    free(link);
}

redisAsyncContext *redis_link_context(const struct redis_link *link)
{
    return link->connected ? link->ac : NULL;
}

void redis_link_reset(struct redis_link *link, const char *why)
{
    if (!link->ac)
        return;
    link->drop_reason = why;
    redisAsyncFree(link->ac);
}

static void redis_link_rearm_cb(lws_sorted_usec_list_t *sul)
{
    struct redis_link *link =
        lws_container_of(sul, struct redis_link, sul_rearm);

    if (link->wsi)
        lws_callback_on_writable(link->wsi);
}

static void redis_link_lost_cb(lws_sorted_usec_list_t *sul)
{
    redis_link_reset(lws_container_of(sul, struct redis_link, sul_lost),
                     "socket closed");
}

/*
 * A writable request made from inside this wsi's own WRITEABLE callback is
 * lost, so when hiredis still has output we ask again from a timer.
 */
static void redis_link_after_write(struct redis_link *link)
{
    if (link->ac && link->wsi && sdslen(link->ac->c.obuf) > 0)
        lws_sul_schedule(link->context, 0, &link->sul_rearm,
                         redis_link_rearm_cb, 1);
}

static int redis_link_callback(struct lws *wsi,
                               enum lws_callback_reasons reason, void *user,
                               void *in, size_t len)
{
    struct redis_link *link = lws_get_opaque_user_data(wsi);

    (void)user;
    (void)in;
    (void)len;
    if (!link)
        return 0;

    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (link->ac)
            redisAsyncHandleRead(link->ac);
        break;
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        if (link->ac) {
            redisAsyncHandleWrite(link->ac);
            redis_link_after_write(link);
        }
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        /* lws gave up on the descriptor (hang-up): drop hiredis's side
         * from a timer, outside this callback. */
        if (link->wsi == wsi) {
            link->wsi = NULL;
            lws_sul_schedule(link->context, 0, &link->sul_lost,
                             redis_link_lost_cb, 1);
        }
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols redis_link_protocol = {
    .name = "ring-redis-link",
    .callback = redis_link_callback,
};
