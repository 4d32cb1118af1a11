#include "versioned.h"

#include <stdio.h>
#include <string.h>

/* string.format keeps large versions out of Lua's 1.7e+15 notation. */
#define BUMP_LUA                                                              \
    "local function bump(key)\n"                                              \
    "  local t = redis.call('TIME')\n"                                        \
    "  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"               \
    "  local v = tonumber(redis.call('GET', key) or '0')\n"                   \
    "  if now > v then v = now else v = v + 1 end\n"                          \
    "  redis.call('SET', key, string.format('%.0f', v))\n"                    \
    "  return v\n"                                                            \
    "end\n"

const char store_version_bump_lua[] = BUMP_LUA;

/* KEYS: key, version, marker. ARGV: marker lifetime in seconds. Counts
 * once per marker, so sending it again after a lost reply is safe. */
static const char incr_once_script[] =
    BUMP_LUA
    "if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[1]) then\n"
    "  redis.call('INCR', KEYS[1])\n"
    "  return bump(KEYS[2])\n"
    "end\n"
    "return tonumber(redis.call('GET', KEYS[2]) or '0')\n";

/* KEYS: key, version. ARGV: value. */
static const char set_script[] =
    BUMP_LUA "redis.call('SET', KEYS[1], ARGV[1])\nreturn bump(KEYS[2])\n";

/* KEYS: key, version. */
static const char get_script[] =
    "return {redis.call('GET', KEYS[1]),\n"
    "        tonumber(redis.call('GET', KEYS[2]) or '0')}\n";

int store_versioned_incr_once(struct store *store, const char *key,
                              const char *version_key, const char *marker_key,
                              int timeout_ms, store_reply_fn fn, void *arg)
{
    const char *argv[7] = {"EVAL", incr_once_script, "3", key, version_key,
                           marker_key, "300"};

    return store_command_retry(store, fn, arg, timeout_ms, 7, argv);
}

struct store_request *store_versioned_set(struct store *store,
                                          const char *key, const char *value,
                                          const char *version_key,
                                          store_reply_fn fn, void *arg)
{
    const char *argv[6] = {"EVAL", set_script, "2", key, version_key, value};

    return store_command(store, fn, arg, 6, argv, NULL);
}

struct store_request *store_versioned_get(struct store *store,
                                          const char *key,
                                          const char *version_key,
                                          store_reply_fn fn, void *arg)
{
    const char *argv[5] = {"EVAL", get_script, "2", key, version_key};

    return store_command(store, fn, arg, 5, argv, NULL);
}

int store_reply_integer(const redisReply *reply, long long *out)
{
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        return -1;
    *out = reply->integer;
    return 0;
}
