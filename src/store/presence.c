#include "presence.h"

#include "versioned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lua, after the bump function: KEYS: shares, expiry, version. ARGV:
 * member, count, ttl in ms. Bumps the version when the share changes. */
static const char set_body[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local old = redis.call('HGET', KEYS[1], ARGV[1]) or '0'\n"
    "if tonumber(ARGV[2]) > 0 then\n"
    "  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
    "  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])\n"
    "else\n"
    "  redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "  redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "end\n"
    "if tonumber(old) ~= tonumber(ARGV[2]) then return bump(KEYS[3]) end\n"
    "return tonumber(redis.call('GET', KEYS[3]) or '0')\n";

/* Lua, after the bump function: KEYS: counter, shares, expiry, version.
 * Returns {counter, sum of live shares, version}. Dropping the shares of
 * dead processes is a change, so it bumps the version. */
static const char read_body[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)\n"
    "for i = 1, #dead do redis.call('HDEL', KEYS[2], dead[i]) end\n"
    "local version = tonumber(redis.call('GET', KEYS[4]) or '0')\n"
    "if #dead > 0 then\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)\n"
    "  version = bump(KEYS[4])\n"
    "end\n"
    "local sum = 0\n"
    "for _, v in ipairs(redis.call('HVALS', KEYS[2])) do\n"
    "  sum = sum + tonumber(v)\n"
    "end\n"
    "return {tonumber(redis.call('GET', KEYS[1]) or '0'), sum, version}\n";

/* Owned by the app; lives as long as the store. */
struct store_presence {
    struct store *store;
    struct lws_context *context;
    char shares[128];
    char expiry[128];
    char version[128];
    char set_script[1024];
    char read_script[1024];
    char member[128];
    int ttl_seconds;
    long count;
    store_presence_beat_fn beat;
    void *arg;
    lws_sorted_usec_list_t sul_beat;
};

static struct store_request *presence_send(struct store_presence *p,
                                           store_reply_fn fn, void *arg)
{
    char count[24], ttl[24];
    const char *argv[9] = {"EVAL", p->set_script, "3", p->shares, p->expiry,
                           p->version, p->member, count, ttl};

    snprintf(count, sizeof(count), "%ld", p->count);
    snprintf(ttl, sizeof(ttl), "%ld", (long)p->ttl_seconds * 1000);
    return store_command(p->store, fn, arg, 9, argv, NULL);
}

static void presence_beat_done(void *arg, redisReply *reply)
{
    struct store_presence *p = arg;

    if (reply && reply->type == REDIS_REPLY_ERROR)
        lwsl_err("presence: heartbeat failed: %s\n", reply->str);
    if (reply && p->beat)
        p->beat(p->arg);
}

static void presence_beat_cb(lws_sorted_usec_list_t *sul)
{
    struct store_presence *p =
        lws_container_of(sul, struct store_presence, sul_beat);

    presence_send(p, presence_beat_done, p);
    /* A third of the TTL, so that two lost beats in a row still keep the
     * share alive. */
    lws_sul_schedule(p->context, 0, &p->sul_beat, presence_beat_cb,
                     (lws_usec_t)p->ttl_seconds * LWS_USEC_PER_SEC / 3);
}

struct store_presence *store_presence_new(struct store *store,
                                          const struct store_presence_keys *keys,
                                          int ttl_seconds,
                                          store_presence_beat_fn beat,
                                          void *arg)
{
    struct store_presence *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->store = store;
    p->context = store_context(store);
    snprintf(p->shares, sizeof(p->shares), "%s", keys->shares);
    snprintf(p->expiry, sizeof(p->expiry), "%s", keys->expiry);
    snprintf(p->member, sizeof(p->member), "%s", keys->member);
    snprintf(p->version, sizeof(p->version), "%s", keys->version);
    snprintf(p->set_script, sizeof(p->set_script), "%s%s",
             store_version_bump_lua, set_body);
    snprintf(p->read_script, sizeof(p->read_script), "%s%s",
             store_version_bump_lua, read_body);
    p->ttl_seconds = ttl_seconds;
    p->beat = beat;
    p->arg = arg;
    lws_sul_schedule(p->context, 0, &p->sul_beat, presence_beat_cb,
                     (lws_usec_t)ttl_seconds * LWS_USEC_PER_SEC / 3);
    return p;
}

void store_presence_free(struct store_presence *p)
{
    if (!p)
        return;
    lws_sul_cancel(&p->sul_beat);
    free(p);
}

void store_presence_set(struct store_presence *p, long count,
                        store_reply_fn fn, void *arg)
{
    p->count = count;
    if (!presence_send(p, fn, arg) && fn)
        fn(arg, NULL);
}

void store_presence_resync(struct store_presence *p)
{
    presence_send(p, NULL, NULL);
}

struct store_request *store_presence_read(struct store_presence *p,
                                          const char *counter_key,
                                          store_reply_fn fn, void *arg)
{
    const char *argv[7] = {"EVAL", p->read_script, "4", counter_key,
                           p->shares, p->expiry, p->version};

    return store_command(p->store, fn, arg, 7, argv, NULL);
}
