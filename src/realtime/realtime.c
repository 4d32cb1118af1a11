#include "realtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct realtime *realtime_new(struct server *server, struct store *store,
                              const struct realtime_options *options,
                              void *app)
{
    struct realtime *rt = calloc(1, sizeof(*rt));
    struct server_handlers handlers = {
        .http_request = realtime_http_request,
        .http_aborted = realtime_http_aborted,
        .socket_opened = realtime_socket_opened,
        .socket_message = realtime_socket_message,
        .socket_writable = realtime_socket_writable,
        .socket_closed = realtime_socket_closed,
    };

    if (!rt)
        return NULL;
    rt->server = server;
    rt->store = store;
    rt->app = app;
    if (strlen(options->process_id) >= sizeof(rt->process_id)) {
        lwsl_err("realtime: process id %s is too long\n",
                 options->process_id);
        free(rt);
        return NULL;
    }
    strcpy(rt->process_id, options->process_id);
    snprintf(rt->socket_path, sizeof(rt->socket_path), "%s",
             options->socket_path);
    snprintf(rt->changes_channel, sizeof(rt->changes_channel), "%s",
             options->changes_channel);
    snprintf(rt->secret_key, sizeof(rt->secret_key), "%s",
             options->secret_key);
    rt->token_ttl = options->token_ttl;
    list_init(&rt->channels);
    rt->change_timer = server_timer_new(server, realtime_apply_changes, rt);
    if (!rt->change_timer || realtime_keys_init(rt, options->secret_file) ||
        store_subscribe(store, rt->changes_channel)) {
        server_timer_free(rt->change_timer);
        free(rt);
        return NULL;
    }
    handlers.arg = rt;
    server_set_handlers(server, &handlers);
    return rt;
}

void realtime_free(struct realtime *rt)
{
    if (!rt)
        return;
    realtime_channel_free_all(rt);
    server_timer_free(rt->change_timer);
    free(rt->unavailable_page);
    free(rt);
}

void realtime_on_socket(struct realtime *rt, realtime_socket_fn joined,
                        realtime_socket_fn left)
{
    rt->joined = joined;
    rt->left = left;
}

int realtime_set_unavailable_page(struct realtime *rt, const char *html)
{
    char *copy = strdup(html);

    if (!copy)
        return -1;
    free(rt->unavailable_page);
    rt->unavailable_page = copy;
    return 0;
}

void realtime_store_up(struct realtime *rt)
{
    realtime_keys_fetch(rt);
    realtime_channel_refresh_all(rt);
}

void realtime_store_message(struct realtime *rt, const char *channel,
                            const char *payload, size_t len)
{
    if (!strcmp(channel, rt->changes_channel))
        realtime_handle_message(rt, payload, len);
}

unsigned int realtime_socket_count(const struct realtime *rt)
{
    return server_socket_count(rt->server);
}

unsigned long realtime_subscription_count(const struct realtime *rt)
{
    return rt->subscription_count;
}

void realtime_stop(struct realtime *rt)
{
    rt->stopped = 1;
}
