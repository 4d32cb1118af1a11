#include "realtime_internal.h"

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>

#define MIN_SECRET 16
#define MAX_SECRET_FILE 4096

/* Reads the secret file, without trailing white space. Returns 0 or -1. */
static int keys_read_file(struct realtime *rt, const char *path)
{
    unsigned char data[MAX_SECRET_FILE];
    struct token_key key;
    FILE *f = fopen(path, "rb");
    size_t len;

    if (!f) {
        lwsl_err("realtime: cannot open secret file %s: %s\n", path,
                 strerror(errno));
        return -1;
    }
    len = fread(data, 1, sizeof(data), f);
    fclose(f);
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
                   data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    if (len < MIN_SECRET) {
        lwsl_err("realtime: secret file %s holds %zu bytes; it needs at "
                 "least %d\n", path, len, MIN_SECRET);
        return -1;
    }
    if (token_key_set(&key, data, len))
        return -1;
    token_keys_rotate(&rt->keys, &key);
    rt->key_from_file = 1;
    lwsl_notice("realtime: page tokens signed with the key in %s (id %s)\n",
                path, key.id);
    return 0;
}

int realtime_keys_init(struct realtime *rt, const char *secret_file)
{
    unsigned char random[32];

    if (secret_file && *secret_file)
        return keys_read_file(rt, secret_file);
    if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random)) {
        lwsl_err("realtime: cannot generate a secret: %s\n", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof(random); i++)
        sprintf(rt->key_candidate + 2 * i, "%02x", random[i]);
    return 0;
}

static void keys_fetched(void *arg, redisReply *reply)
{
    struct realtime *rt = arg;
    struct token_key key;
    int changed;

    if (!reply || reply->type != REDIS_REPLY_STRING || reply->len < 32) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            lwsl_err("realtime: reading the shared secret failed: %s\n",
                     reply->str);
        return; /* tried again on the next reconnect */
    }
    if (token_key_set(&key, reply->str, reply->len))
        return;
    changed = !rt->keys.has_current || strcmp(rt->keys.current.id, key.id);
    token_keys_rotate(&rt->keys, &key);
    if (changed)
        lwsl_notice("realtime: page tokens signed with the key shared "
                    "through Redis (id %s)\n", key.id);
}

/*
 * Adopts the secret shared through Redis, offering ours when there is none
 * yet, so that every process accepts every page. Runs after each
 * (re)connect, since a Redis restart may have lost it.
 */
void realtime_keys_fetch(struct realtime *rt)
{
    static const char script[] =
        "redis.call('SET', KEYS[1], ARGV[1], 'NX')\n"
        "return redis.call('GET', KEYS[1])\n";
    const char *argv[5] = {"EVAL", script, "1", rt->secret_key,
                           rt->key_candidate};

    if (rt->key_from_file || rt->stopped)
        return;
    store_command(rt->store, keys_fetched, rt, 5, argv, NULL);
}
