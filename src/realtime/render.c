#include "realtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/metrics.h"

#define HTML_TYPE "text/html; charset=utf-8"

/* A render waiting for its query. */
struct render_call {
    struct realtime_request *request;
    const struct view_template *page;
    struct realtime_channel *channel;
};

/* Appends the URL-encoded text to out. */
static int append_url_encoded(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || strchr("-._~", c);
        if (plain ? buf_append(out, s, 1) : buf_append(out, esc, 3))
            return -1;
    }
    return 0;
}

/* Writes the socket address the page carries: the socket path with a
 * signed token naming the channel at `version`. Returns 0 or -1. */
static int render_socket_url(struct realtime *rt,
                             const struct realtime_channel *channel,
                             unsigned long long version, struct buf *out)
{
    struct token token;
    struct buf text;
    int r;

    memset(&token, 0, sizeof(token));
    token.expires = (long long)time(NULL) + rt->token_ttl;
    token.count = 1;
    snprintf(token.channels[0].name, sizeof(token.channels[0].name), "%s",
             channel->name);
    token.channels[0].version = version;

    buf_init(&text, 0);
    r = token_sign(&rt->keys, &token, &text) ||
        buf_append_str(out, rt->socket_path) ||
        buf_append_str(out, "?token=") ||
        append_url_encoded(out, buf_data(&text));
    buf_free(&text);
    return r ? -1 : 0;
}

static void render_query_done(void *arg, const struct view_record *record,
                              unsigned long long version)
{
    struct render_call *call = arg;
    struct realtime_channel *channel = call->channel;
    struct realtime *rt = channel->rt;
    struct realtime_request *request = call->request;
    struct view_binding binding = {channel->mutator->scope, record,
                                   channel->name, version};
    struct view_field meta = {"ring-socket", NULL};
    const struct view_template *page = call->page;
    struct buf socket_url, html;
    double started;

    free(call);
    buf_init(&socket_url, 0);
    buf_init(&html, 0);
    if (!record) {
        realtime_respond_unavailable(request, "query failed");
        goto done;
    }
    if (!rt->keys.has_current) {
        realtime_respond_unavailable(request, "the key that signs page "
                                              "tokens is not loaded yet");
        goto done;
    }
    /* The page's socket will ask for diffs from this version. */
    realtime_channel_offer_render(channel, record, version);
    if (render_socket_url(rt, channel, version, &socket_url))
        goto fail;
    meta.value = buf_data(&socket_url);
    started = metrics_now();
    if (view_render(page, &binding, 1, &meta, 1, &html))
        goto fail;
    metrics.render_seconds += metrics_now() - started;
    metrics.renders++;
    /* A HEAD gave the caller no page, so its socket needs the full state;
     * a GET showed the state at `version`. */
    if (request->socket)
        realtime_socket_follow(request->socket, channel,
                               strcmp(request->method, "HEAD") ? version : 0);
    realtime_respond(request, 200, HTML_TYPE, buf_data(&html), html.len);
    goto done;

fail:
    realtime_respond(request, 500, "text/plain", "out of memory\n", 14);
done:
    buf_free(&socket_url);
    buf_free(&html);
}

void realtime_render(struct realtime *rt, struct realtime_request *request,
                     const struct view_template *page, const char *query,
                     const char *mutator)
{
    const struct realtime_mutator *m = realtime_find_mutator(rt, mutator);
    struct render_call *call = malloc(sizeof(*call));
    char name[3 * REALTIME_NAME_MAX];

    snprintf(name, sizeof(name), "%s:%s:%s", m ? m->scope : "", query,
             mutator);
    if (!call || !(call->channel = realtime_channel_get(rt, name))) {
        lwsl_err("realtime: cannot render channel %s\n", name);
        free(call);
        realtime_respond(request, 500, "text/plain",
                         "internal server error\n", 22);
        return;
    }
    call->request = request;
    call->page = page;
    call->channel->query->fn(rt->app, render_query_done, call);
}
