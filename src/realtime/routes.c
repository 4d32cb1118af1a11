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

static struct realtime_request *request_new(struct realtime *rt,
                                            const char *method)
{
    struct realtime_request *request = calloc(1, sizeof(*request));

    if (!request)
        return NULL;
    request->rt = rt;
    snprintf(request->method, sizeof(request->method), "%s", method);
    buf_init(&request->input_storage, 0);
    return request;
}

static void request_free(struct realtime_request *request)
{
    buf_free(&request->input_storage);
    free(request);
}

/* Adds one input; the storage is laid out first and pointed into at the
 * end by request_resolve_input. Returns 0 or -1. */
static int request_add_input(struct realtime_request *request,
                             const char *name, size_t name_len,
                             const char *value, size_t value_len)
{
    struct protocol_input *in = &request->input[request->input_count];
    struct buf *b = &request->input_storage;

    if (request->input_count == PROTOCOL_MAX_INPUT)
        return -1;
    in->name = (const char *)(uintptr_t)b->len;
    if (buf_append(b, name, name_len) || buf_append(b, "", 1))
        return -1;
    in->value = (const char *)(uintptr_t)b->len;
    if (buf_append(b, value, value_len) || buf_append(b, "", 1))
        return -1;
    request->input_count++;
    return 0;
}

static void request_resolve_input(struct realtime_request *request)
{
    char *base = buf_data(&request->input_storage);

    for (size_t i = 0; i < request->input_count; i++) {
        request->input[i].name = base + (uintptr_t)request->input[i].name;
        request->input[i].value = base + (uintptr_t)request->input[i].value;
    }
}

/* Adds one decoded "name=value" (or "name") query argument. */
static int request_add_query_arg(struct realtime_request *request,
                                 const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const char *value = eq ? eq + 1 : "";

    return request_add_input(request, arg, name_len, value, strlen(value));
}

/* Runs the route for the request, or answers 404 or 405. */
static void routes_dispatch(struct realtime *rt,
                            struct realtime_request *request)
{
    const struct realtime_route *route = routes_find(rt, request->path);

    request_resolve_input(request);
    if (!route) {
        realtime_respond(request, 404, HTML_TYPE, not_found_page,
                         sizeof(not_found_page) - 1);
        return;
    }
    if (strcmp(request->method, "GET") && strcmp(request->method, "HEAD")) {
        realtime_respond(request, 405, HTML_TYPE, not_allowed_page,
                         sizeof(not_allowed_page) - 1);
        return;
    }
    route->fn(rt->app, request);
}

void realtime_http_request(void *arg, struct server_http *http)
{
    struct realtime *rt = arg;
    struct realtime_request *request;
    char query[4096];

    request = request_new(rt, server_http_method(http));
    if (!request) {
        server_http_respond(http, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    request->http = http;
    snprintf(request->path, sizeof(request->path), "%s",
             server_http_path(http));
    server_http_set_user(http, request);
    if (rt->stopped) {
        realtime_respond_unavailable(request, "the server is stopping");
        return;
    }
    for (int i = 0; server_http_query_arg(http, i, query, sizeof(query)) >= 0;
         i++) {
        if (request_add_query_arg(request, query)) {
            realtime_respond(request, 400, "text/plain",
                             "too many query arguments\n", 25);
            return;
        }
    }
    routes_dispatch(rt, request);
}

void realtime_http_aborted(void *arg, struct server_http *http)
{
    struct realtime_request *request = server_http_user(http);

    (void)arg;
    if (request)
        request->http = NULL; /* the route still ends it */
}

/* Decodes %XX escapes (and '+' in queries) in place. Returns 0, or -1 for
 * a bad escape or an encoded NUL. */
static int url_decode(char *s, int plus_is_space)
{
    char *out = s;
    unsigned int byte;

    for (; *s; s++) {
        if (*s == '%') {
            if (sscanf(s + 1, "%2x", &byte) != 1 || !s[1] || !s[2] ||
                byte == 0)
                return -1;
            *out++ = (char)byte;
            s += 2;
        } else {
            *out++ = plus_is_space && *s == '+' ? ' ' : *s;
        }
    }
    *out = '\0';
    return 0;
}

/* Fills the request's path and input from a call-route's uri and input.
 * Returns NULL, or what is wrong. */
static const char *request_from_message(struct realtime_request *request,
                                        const struct protocol_message *msg)
{
    char uri[sizeof(msg->uri)], *query, *arg, *rest;

    if (!msg->has_uri)
        return "missing \"uri\"";
    if (msg->uri[0] != '/')
        return "\"uri\" must be a path starting with /";
    strcpy(uri, msg->uri);
    query = strchr(uri, '?');
    if (query)
        *query++ = '\0';
    if (url_decode(uri, 0) || strlen(uri) >= sizeof(request->path))
        return "\"uri\" has an invalid escape or is too long";
    strcpy(request->path, uri);
    for (size_t i = 0; i < msg->input_count; i++)
        if (request_add_input(request, msg->input[i].name,
                              strlen(msg->input[i].name),
                              msg->input[i].value,
                              strlen(msg->input[i].value)))
            return "out of memory";
    for (arg = query ? strtok_r(query, "&", &rest) : NULL; arg;
         arg = strtok_r(NULL, "&", &rest)) {
        if (url_decode(arg, 1))
            return "\"uri\" has an invalid escape";
        if (request_add_query_arg(request, arg))
            return "too many input values";
    }
    return NULL;
}

static int method_known(const char *method)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT",
                                        "PATCH", "DELETE", "OPTIONS"};

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcmp(method, known[i]))
            return 1;
    return 0;
}

void realtime_call_route(struct realtime_socket *socket,
                         const struct protocol_message *msg)
{
    const char *method = msg->has_method ? msg->method : "GET";
    struct realtime_request *request = request_new(socket->rt, method);
    const char *problem = NULL;
    struct buf frame;

    if (!request)
        return;
    request->by_socket = 1;
    request->socket = socket;
    list_push(&socket->requests, &request->node);
    snprintf(request->id, sizeof(request->id), "%s", msg->id);
    request->id_is_number = msg->id_is_number;
    if (!method_known(method))
        problem = "unsupported \"method\"";
    else
        problem = request_from_message(request, msg);
    if (!problem) {
        routes_dispatch(socket->rt, request);
        return;
    }
    realtime_request_detach(request);
    request_free(request);
    buf_init(&frame, server_frame_headroom);
    if (protocol_encode_reply(&frame, msg, 400, NULL, problem))
        buf_free(&frame);
    else
        realtime_socket_queue(socket, &frame);
}

void realtime_request_detach(struct realtime_request *request)
{
    if (request->socket) {
        list_remove(&request->socket->requests, &request->node);
        request->socket = NULL;
    }
}

const char *realtime_request_method(const struct realtime_request *request)
{
    return request->method;
}

const char *realtime_request_path(const struct realtime_request *request)
{
    return request->path;
}

const char *realtime_request_input(const struct realtime_request *request,
                                   const char *name)
{
    for (size_t i = 0; i < request->input_count; i++)
        if (!strcmp(request->input[i].name, name))
            return request->input[i].value;
    return NULL;
}

/* Queues a call-route's reply on its socket, if the socket is still open. */
static void respond_by_socket(struct realtime_request *request, int status,
                              const char *content_type, const char *body,
                              size_t len)
{
    struct realtime_socket *socket = request->socket;
    struct buf frame;

    if (!socket)
        return;
    realtime_request_detach(request);
    buf_init(&frame, server_frame_headroom);
    if (!strcmp(request->method, "HEAD"))
        len = 0;
    if (protocol_encode_route_reply(&frame, request->id,
                                    request->id_is_number, status,
                                    content_type, body, len))
        buf_free(&frame);
    else
        realtime_socket_queue(socket, &frame);
}

void realtime_respond(struct realtime_request *request, int status,
                      const char *content_type, const char *body,
                      size_t len)
{
    if (request->by_socket) {
        respond_by_socket(request, status, content_type, body, len);
    } else if (request->http) {
        server_http_set_user(request->http, NULL);
        server_http_respond(request->http, status, content_type, body, len);
    }
    request_free(request);
}

void realtime_respond_unavailable(struct realtime_request *request,
                                  const char *why)
{
    const char *page = request->rt->unavailable_page;
    static const char fallback[] = "Service unavailable\n";

    if (why)
        lwsl_warn("http: %s %s answered 503: %s\n", request->method,
                  request->path, why);
    if (page)
        realtime_respond(request, 503, HTML_TYPE, page, strlen(page));
    else
        realtime_respond(request, 503, "text/plain", fallback,
                         sizeof(fallback) - 1);
}
