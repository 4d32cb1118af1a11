#include "realtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char not_found_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><meta charset=\"utf-8\">"
    "<title>Not found</title><h1>Not found</h1>"
    "<p>There is no page at this address. <a href=\"/\">Go to the "
    "start page</a>.</p></html>\n";

static const char not_allowed_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><meta charset=\"utf-8\">"
    "<title>Method not allowed</title><h1>Method not allowed</h1>"
    "<p>This page answers GET and HEAD only.</p></html>\n";

#define HTML_TYPE "text/html; charset=utf-8"

static const struct realtime_route *routes_find(const struct realtime *rt,
                                                const char *path)
{
    for (int i = 0; i < rt->route_count; i++)
        if (!strcmp(rt->routes[i].path, path))
            return &rt->routes[i];
    return NULL;
}

int realtime_add_route(struct realtime *rt, const char *path,
                       realtime_route_fn fn)
{
    struct realtime_route *route = &rt->routes[rt->route_count];

    if (rt->route_count == REALTIME_MAX_NAMES || routes_find(rt, path) ||
        strlen(path) >= sizeof(route->path))
        return -1;
    strcpy(route->path, path);
    route->fn = fn;
    rt->route_count++;
    return 0;
}

void realtime_http_request(void *arg, struct server_http *http)
{
    struct realtime *rt = arg;
    const char *method = server_http_method(http);
    const struct realtime_route *route = routes_find(rt, server_http_path(http));
    struct realtime_request *request;

    if (!route) {
        server_http_respond(http, 404, HTML_TYPE, not_found_page,
                            sizeof(not_found_page) - 1);
        return;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        server_http_respond(http, 405, HTML_TYPE, not_allowed_page,
                            sizeof(not_allowed_page) - 1);
        return;
    }
    request = calloc(1, sizeof(*request));
    if (!request) {
        server_http_respond(http, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    request->rt = rt;
    request->http = http;
    snprintf(request->method, sizeof(request->method), "%s", method);
    snprintf(request->path, sizeof(request->path), "%s",
             server_http_path(http));
    server_http_set_user(http, request);
    route->fn(rt->app, request);
}

void realtime_http_aborted(void *arg, struct server_http *http)
{
    struct realtime_request *request = server_http_user(http);

    (void)arg;
    if (request)
        request->http = NULL; /* the route still ends it */
}

const char *realtime_request_method(const struct realtime_request *request)
{
    return request->method;
}

const char *realtime_request_path(const struct realtime_request *request)
{
    return request->path;
}

void realtime_respond(struct realtime_request *request, int status,
                      const char *content_type, const char *body,
                      size_t len)
{
    if (request->http) {
        server_http_set_user(request->http, NULL);
        server_http_respond(request->http, status, content_type, body, len);
    }
    free(request);
}

void realtime_respond_unavailable(struct realtime_request *request,
                                  const char *why)
{
    const char *page = request ? request->rt->unavailable_page : NULL;
    static const char fallback[] = "Service unavailable\n";

    if (!request)
        return;
    if (why)
        lwsl_warn("http: %s %s answered 503: %s\n", request->method,
                  request->path, why);
    if (page)
        realtime_respond(request, 503, HTML_TYPE, page, strlen(page));
    else
        realtime_respond(request, 503, "text/plain", fallback,
                         sizeof(fallback) - 1);
}

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

static void render_query_done(void *arg, const struct view_record *record,
                              unsigned long long version)
{
    struct render_call *call = arg;
    struct realtime_channel *channel = call->channel;
    struct realtime *rt = channel->rt;
    struct view_binding binding = {channel->mutator->scope, record,
                                   channel->name};
    struct view_field meta = {"ring-socket", NULL};
    struct buf socket_url, html;

    (void)version;
    buf_init(&socket_url, 0);
    buf_init(&html, 0);
    if (!record) {
        realtime_respond_unavailable(call->request, "query failed");
        goto done;
    }
    if (buf_append_str(&socket_url, rt->socket_path) ||
        buf_append_str(&socket_url, "?subscribe=") ||
        append_url_encoded(&socket_url, channel->name))
        goto fail;
    meta.value = buf_data(&socket_url);
    if (view_render(call->page, &binding, 1, &meta, 1, &html))
        goto fail;
    realtime_respond(call->request, 200, HTML_TYPE, buf_data(&html),
                     html.len);
    goto done;

fail:
    realtime_respond(call->request, 500, "text/plain", "out of memory\n", 14);
done:
    buf_free(&socket_url);
    buf_free(&html);
    free(call);
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
