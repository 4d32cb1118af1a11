#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "../util/list.h"
#include "../util/metrics.h"
#include "redis_link.h"

#define MAX_CHANNELS 8
#define MAX_SCRIPTS 16

/* Owned by the caller of store_new; lives for the whole process. */
struct store {
    struct lws_context *context;
    struct lws_vhost *vhost;
    struct redis_link *commands;
    struct redis_link *subscriber;
    struct redis_address addr;
    struct store_listener listener;
    void *arg;
    char url[512];
    char error[768];
    char *channels[MAX_CHANNELS];
    int channel_count;
    struct list retries;            /* of struct store_retry */
    struct {
        const char *text;           /* a script that lives as long */
        char sha[41];
    } scripts[MAX_SCRIPTS];         /* SHA1s already computed */
    int script_count;
    lws_sorted_usec_list_t sul_retries;
    int freeing;
};

/*
 * A command that is safe to send twice, kept until it gets a reply or its
 * deadline passes: when the connection drops before the reply, it is sent
 * again after the reconnect. Owned by the store's retries list.
 */
struct store_retry {
    struct list_node node;
    struct store *store;
    store_reply_fn fn;
    void *arg;
    double deadline;
    int in_flight;
    int argc;
    char **argv;
    size_t *lengths;
};

/* One command in flight; freed when its reply (or failure) arrives. */
struct store_request {
    store_reply_fn fn;
    void *arg;
    double sent_at;     /* for the round-trip metric */
    /* For an EVAL sent as EVALSHA: the script and a copy of the arguments
     * after it, to send the EVAL itself when Redis lacks the script. */
    const char *script;
    int argc;
    const char **argv;
    size_t *lengths;
};

static void store_on_reply(redisAsyncContext *ac, void *reply, void *data);

/* Sends the EVAL an EVALSHA stood for. Returns 0, or -1 when it could not
 * be sent. */
static int store_send_eval(redisAsyncContext *ac,
                           struct store_request *request)
{
    const char *argv[2 + STORE_MAX_ARGS];
    size_t lengths[2 + STORE_MAX_ARGS];

    argv[0] = "EVAL";
    lengths[0] = 4;
    argv[1] = request->script;
    lengths[1] = strlen(request->script);
    for (int i = 0; i < request->argc; i++) {
        argv[2 + i] = request->argv[i];
        lengths[2 + i] = request->lengths[i];
    }
    request->script = NULL; /* one fallback at most */
    return redisAsyncCommandArgv(ac, store_on_reply, request,
                                 2 + request->argc, argv, lengths) ==
                   REDIS_OK
               ? 0
               : -1;
}

static void store_on_reply(redisAsyncContext *ac, void *reply, void *data)
{
    struct store_request *request = data;
    redisReply *r = reply;

    if (r && r->type == REDIS_REPLY_ERROR && request->script &&
        !strncmp(r->str, "NOSCRIPT", 8) && !store_send_eval(ac, request))
        return; /* Redis lost its script cache, so the EVAL's reply counts */
    if (reply) {
        metrics.redis_replies++;
        metrics.redis_roundtrip_seconds += metrics_now() - request->sent_at;
    }
    if (request->fn)
        request->fn(request->arg, reply);
    free(request);
}

/* A failed SELECT (a db index the server does not have) would send every
 * command to db 0, so the connection is dropped and retried instead. */
static void store_on_select(redisAsyncContext *ac, void *r, void *data)
{
    struct store *store = data;
    redisReply *reply = r;

    (void)ac;
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        lwsl_err("redis: SELECT %d on %s failed: %s\n", store->addr.db,
                 store->url, reply->str);
        redis_link_reset(store->commands, "SELECT failed");
    }
}

static void retry_send(struct store_retry *retry);

static void commands_connected(void *arg, redisAsyncContext *ac)
{
    struct store *store = arg;
    struct list_node *n;

    if (store->addr.db)
        redisAsyncCommand(ac, store_on_select, store, "SELECT %d",
                          store->addr.db);
    store->error[0] = '\0';
    list_for_each(&store->retries, n)
        retry_send(list_entry(n, struct store_retry, node));
    store->listener.up_changed(store->arg, 1);
}

static void commands_disconnected(void *arg, const char *error)
{
    struct store *store = arg;
    int was_up = store->error[0] == '\0';

    snprintf(store->error, sizeof(store->error), "Redis at %s: %s",
             store->url, error);
    if (was_up)
        store->listener.up_changed(store->arg, 0);
}

static void store_on_message(redisAsyncContext *ac, void *r, void *data)
{
    struct store *store = data;
    redisReply *reply = r;

    (void)ac;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return;
    if (!strcmp(reply->element[0]->str, "subscribe")) {
        if (reply->element[2]->type == REDIS_REPLY_INTEGER &&
            reply->element[2]->integer == store->channel_count)
            store->listener.subscribed(store->arg);
        return;
    }
    if (strcmp(reply->element[0]->str, "message") ||
        reply->element[1]->type != REDIS_REPLY_STRING ||
        reply->element[2]->type != REDIS_REPLY_STRING)
        return;
    store->listener.message(store->arg, reply->element[1]->str,
                            reply->element[2]->str,
                            reply->element[2]->len);
}

static void store_send_subscribe(struct store *store, const char *channel)
{
    redisAsyncContext *ac = redis_link_context(store->subscriber);

    if (ac)
        redisAsyncCommand(ac, store_on_message, store, "SUBSCRIBE %s",
                          channel);
}

static void subscriber_connected(void *arg, redisAsyncContext *ac)
{
    struct store *store = arg;

    (void)ac;
    for (int i = 0; i < store->channel_count; i++)
        store_send_subscribe(store, store->channels[i]);
}

static void subscriber_disconnected(void *arg, const char *error)
{
    (void)arg;
    (void)error; /* logged by the link; the next connect subscribes again */
}

static const struct redis_link_events commands_events = {
    .connected = commands_connected,
    .disconnected = commands_disconnected,
};

static const struct redis_link_events subscriber_events = {
    .connected = subscriber_connected,
    .disconnected = subscriber_disconnected,
};

const struct lws_protocols *store_lws_protocol(void)
{
    return &redis_link_protocol;
}

struct store *store_new(struct lws_context *context, struct lws_vhost *vhost,
                        const struct redis_address *addr, const char *url,
                        const struct store_listener *listener, void *arg)
{
    struct store *store = calloc(1, sizeof(*store));

    if (!store)
        return NULL;
    store->addr = *addr;
    store->listener = *listener;
    store->arg = arg;
    list_init(&store->retries);
    snprintf(store->url, sizeof(store->url), "%s", url);
    snprintf(store->error, sizeof(store->error),
             "Redis at %s: not connected yet", url);
    store->context = context;
    store->vhost = vhost;
    store->commands = redis_link_new(context, store->vhost, addr, url,
                                     "commands", &commands_events, store);
    store->subscriber = redis_link_new(context, store->vhost, addr, url,
                                       "subscriber", &subscriber_events,
                                       store);
    if (!store->commands || !store->subscriber)
        goto fail;
    return store;

fail:
    store_free(store);
    return NULL;
}

static void retry_finish(struct store_retry *retry, redisReply *reply);

void store_free(struct store *store)
{
    if (!store)
        return;
    store->freeing = 1;
    lws_sul_cancel(&store->sul_retries);
    redis_link_free(store->subscriber);
    redis_link_free(store->commands);
    while (store->retries.count)
        retry_finish(list_entry(store->retries.head.next, struct store_retry,
                                node), NULL);
    for (int i = 0; i < store->channel_count; i++)
        free(store->channels[i]);
    free(store);
}

struct lws_context *store_context(const struct store *store)
{
    return store->context;
}

int store_is_up(const struct store *store)
{
    return redis_link_context(store->commands) != NULL;
}

const char *store_error(const struct store *store)
{
    return store_is_up(store) ? "" : store->error;
}

/* Returns the hex SHA1 of a script, as EVALSHA names it. */
static const char *store_script_sha(struct store *store, const char *script,
                                    char *scratch)
{
    unsigned char digest[SHA_DIGEST_LENGTH];
    char *sha = scratch;

    for (int i = 0; i < store->script_count; i++)
        if (store->scripts[i].text == script)
            return store->scripts[i].sha;
    if (store->script_count < MAX_SCRIPTS) {
        store->scripts[store->script_count].text = script;
        sha = store->scripts[store->script_count++].sha;
    }
    SHA1((const unsigned char *)script, strlen(script), digest);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        sprintf(sha + 2 * i, "%02x", digest[i]);
    return sha;
}

/* Makes a request; for an EVAL it also keeps the arguments after the
 * script, in the same allocation, for a fallback EVAL. */
static struct store_request *store_request_new(int argc, const char **argv,
                                               int is_eval)
{
    size_t size = sizeof(struct store_request), text = 0;
    int kept = is_eval ? argc - 2 : 0;
    struct store_request *request;
    char *p;

    for (int i = 0; i < kept; i++)
        text += strlen(argv[2 + i]) + 1;
    size += (size_t)kept * (sizeof(char *) + sizeof(size_t)) + text;
    request = calloc(1, size);
    if (!request || !kept)
        return request;
    request->script = argv[1];
    request->argc = kept;
    request->argv = (const char **)(request + 1);
    request->lengths = (size_t *)(request->argv + kept);
    p = (char *)(request->lengths + kept);
    for (int i = 0; i < kept; i++) {
        request->lengths[i] = strlen(argv[2 + i]);
        memcpy(p, argv[2 + i], request->lengths[i] + 1);
        request->argv[i] = p;
        p += request->lengths[i] + 1;
    }
    return request;
}

struct store_request *store_command(struct store *store, store_reply_fn fn,
                                    void *arg, int argc, const char **argv,
                                    const size_t *lengths)
{
    redisAsyncContext *ac = redis_link_context(store->commands);
    int is_eval = argc >= 3 && argc <= STORE_MAX_ARGS + 2 && !lengths &&
                  !strcmp(argv[0], "EVAL");
    const char *sent[STORE_MAX_ARGS + 2];
    struct store_request *request;
    char scratch[41];

    if (!ac)
        return NULL;
    request = store_request_new(argc, argv, is_eval);
    if (!request)
        return NULL;
    request->fn = fn;
    request->arg = arg;
    request->sent_at = metrics_now();
    if (is_eval) {
        /* EVALSHA spares Redis the script's text and hashing. */
        sent[0] = "EVALSHA";
        sent[1] = store_script_sha(store, argv[1], scratch);
        for (int i = 2; i < argc; i++)
            sent[i] = argv[i];
        argv = sent;
    }
    if (redisAsyncCommandArgv(ac, store_on_reply, request, argc, argv,
                              lengths) != REDIS_OK) {
        free(request);
        return NULL;
    }
    return request;
}

int store_subscribe(struct store *store, const char *channel)
{
    char *copy;

    if (store->channel_count == MAX_CHANNELS || !(copy = strdup(channel)))
        return -1;
    store->channels[store->channel_count++] = copy;
    store_send_subscribe(store, channel);
    return 0;
}

static void retry_free(struct store_retry *retry)
{
    for (int i = 0; i < retry->argc; i++)
        free(retry->argv[i]);
    free(retry->argv);
    free(retry->lengths);
    free(retry);
}

static void retry_finish(struct store_retry *retry, redisReply *reply)
{
    list_remove(&retry->store->retries, &retry->node);
    retry->fn(retry->arg, reply);
    retry_free(retry);
}

static void retries_check_cb(lws_sorted_usec_list_t *sul)
{
    struct store *store = lws_container_of(sul, struct store, sul_retries);
    double now = metrics_now();
    struct list_node *n = store->retries.head.next, *next;

    for (; n != &store->retries.head; n = next) {
        struct store_retry *retry = list_entry(n, struct store_retry, node);
        next = n->next;
        if (!retry->in_flight && now >= retry->deadline)
            retry_finish(retry, NULL);
    }
    if (store->retries.count)
        lws_sul_schedule(store->context, 0, &store->sul_retries,
                         retries_check_cb, 100 * LWS_US_PER_MS);
}

static void retry_reply(void *arg, redisReply *reply)
{
    struct store_retry *retry = arg;
    struct store *store = retry->store;

    retry->in_flight = 0;
    if (reply || store->freeing || metrics_now() >= retry->deadline) {
        retry_finish(retry, reply);
        return;
    }
    /* The connection dropped before the reply: send it again once the
     * store reconnects, unless the deadline passes first. */
    lws_sul_schedule(store->context, 0, &store->sul_retries,
                     retries_check_cb, 100 * LWS_US_PER_MS);
}

static void retry_send(struct store_retry *retry)
{
    if (retry->in_flight)
        return;
    retry->in_flight = store_command(retry->store, retry_reply, retry,
                                     retry->argc,
                                     (const char **)retry->argv,
                                     retry->lengths) != NULL;
}

/* Copies the arguments, so the command can be sent again later. */
static int retry_copy_args(struct store_retry *retry, int argc,
                           const char **argv)
{
    retry->argv = calloc((size_t)argc, sizeof(*retry->argv));
    retry->lengths = calloc((size_t)argc, sizeof(*retry->lengths));
    if (!retry->argv || !retry->lengths)
        return -1;
    retry->argc = argc;
    for (int i = 0; i < argc; i++) {
        retry->lengths[i] = strlen(argv[i]);
        retry->argv[i] = strdup(argv[i]);
        if (!retry->argv[i])
            return -1;
    }
    return 0;
}

int store_command_retry(struct store *store, store_reply_fn fn, void *arg,
                        int timeout_ms, int argc, const char **argv)
{
    struct store_retry *retry = calloc(1, sizeof(*retry));

    if (!retry || !store_is_up(store) ||
        retry_copy_args(retry, argc, argv))
        goto fail;
    retry->store = store;
    retry->fn = fn;
    retry->arg = arg;
    retry->deadline = metrics_now() + timeout_ms / 1000.0;
    list_push(&store->retries, &retry->node);
    retry_send(retry);
    if (!retry->in_flight) {
        list_remove(&store->retries, &retry->node);
        goto fail;
    }
    return 0;

fail:
    if (retry)
        retry_free(retry);
    return -1;
}
