#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../util/metrics.h"

static const struct {
    enum lws_token_indexes token;
    const char *name;
} http_methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},
    {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
    {WSI_TOKEN_PUT_URI, "PUT"},
    {WSI_TOKEN_PATCH_URI, "PATCH"},
    {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
};

static void http_read_method(struct server_http *http)
{
    strcpy(http->method, "OTHER");
    for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]);
         i++) {
        if (lws_hdr_total_length(http->wsi, http_methods[i].token) > 0) {
            strcpy(http->method, http_methods[i].name);
            return;
        }
    }
}

/* Longest path a route may have; realtime keeps paths in 512 bytes. */
#define HTTP_MAX_PATH 511

static void http_reset(struct server_http *http)
{
    if (http->state != HTTP_IDLE)
        http->server->http_in_flight--;
    free(http->path);
    http->path = NULL;
    buf_free(&http->body);
    http->state = HTTP_IDLE;
    http->user = NULL;
}

static int http_has_body(struct lws *wsi)
{
    char length[32];

    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return 1;
    return lws_hdr_copy(wsi, length, sizeof(length),
                        WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
           strtoull(length, NULL, 10) > 0;
}

static int http_answer_body_request(struct server_http *http);

/* Hands the request to the upper layer, which responds now or later. */
static void http_dispatch(struct server_http *http)
{
    struct server *server = http->server;

    http->state = HTTP_PENDING;
    /* lws's own idle timeout would kill a deferred response; ours sends a
     * 503 instead. */
    lws_set_timeout(http->wsi, NO_PENDING_TIMEOUT, 0);
    lws_set_timer_usecs(http->wsi,
                        (lws_usec_t)server->options.response_timeout_ms *
                            1000);
    server->handlers.http_request(server->handlers.arg, http);
}

/* Starts a request. Returns 0, or -1 to close the connection. */
static int http_begin(struct lws *wsi, struct server_http *http,
                      const char *path, size_t len)
{
    struct server *server = lws_context_user(lws_get_context(wsi));

    http->wsi = wsi;
    http->server = server;
    buf_init(&http->body, LWS_PRE);
    http->state = HTTP_PENDING;
    server->http_in_flight++;
    http->user = NULL;
    http_read_method(http);
    http->path = malloc(len + 1);
    if (!http->path)
        return -1;
    memcpy(http->path, path, len);
    http->path[len] = '\0';
    if (len > HTTP_MAX_PATH)
        return server_http_respond(http, 414, "text/plain",
                                   "URI too long\n", 13);

    if (http_has_body(wsi))
        return http_answer_body_request(http);
    http_dispatch(http);
    return 0;
}

static void http_abort(struct server_http *http)
{
    if (http->state == HTTP_PENDING)
        http->server->handlers.http_aborted(http->server->handlers.arg,
                                            http);
}

/* Ends the transaction. NOTE: with lws 4.1 a request pipelined behind this
 * one in the same packet waits until the client sends more; browsers do
 * not pipeline. lws may free the session memory (http itself) in
 * lws_http_transaction_completed, so everything is released first. Returns
 * -1 to close the connection, else 0. */
static int http_finish(struct server_http *http)
{
    struct lws *wsi = http->wsi;

    http_reset(http);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Writes the status line and headers of the queued response, with
 * "Connection: close" when `close` is set. Returns 0 or -1. */
static int http_send_headers(struct server_http *http, int close)
{
    unsigned char headers[LWS_PRE + 1024];
    unsigned char *start = headers + LWS_PRE, *p = start;
    unsigned char *end = headers + sizeof(headers) - 1;

    if (lws_add_http_common_headers(http->wsi, (unsigned int)http->status,
                                    http->content_type, http->body.len, &p,
                                    end))
        return -1;
    if (lws_add_http_header_by_token(http->wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8,
                                     &p, end))
        return -1;
    if (http->status == 405 &&
        lws_add_http_header_by_token(http->wsi, WSI_TOKEN_HTTP_ALLOW,
                                     (const unsigned char *)"GET, HEAD", 9,
                                     &p, end))
        return -1;
    if (close &&
        lws_add_http_header_by_token(http->wsi, WSI_TOKEN_CONNECTION,
                                     (const unsigned char *)"close", 5, &p,
                                     end))
        return -1;
    return lws_finalize_write_http_header(http->wsi, start, &p, end) ? -1 : 0;
}

/* Writes the response's headers, with "Connection: close", and body in one
 * go, outside a writable callback, as lws allows while it handles the
 * request's headers. Returns 0 or -1. */
static int http_write_now(struct server_http *http)
{
    if (http_send_headers(http, 1))
        return -1;
    if (strcmp(http->method, "HEAD") && http->body.len &&
        lws_write(http->wsi, (unsigned char *)buf_data(&http->body),
                  http->body.len, LWS_WRITE_HTTP_FINAL) <
            (int)http->body.len)
        return -1;
    return 0;
}

static int http_write_headers(struct server_http *http)
{
    int head = !strcmp(http->method, "HEAD");

    if (http_send_headers(http, 0))
        return -1;
    if (head || http->body.len == 0)
        return http_finish(http);
    http->state = HTTP_BODY;
    lws_callback_on_writable(http->wsi);
    return 0;
}

static int http_write_body(struct server_http *http)
{
    int n = lws_write(http->wsi, (unsigned char *)buf_data(&http->body),
                      http->body.len, LWS_WRITE_HTTP_FINAL);

    if (n < (int)http->body.len)
        return -1;
    return http_finish(http);
}

/*
 * Answers a request with a body before its body is read, then closes the
 * connection. lws 4.1 spins at full CPU when a request is pipelined behind
 * a body, whether the answer waits for BODY_COMPLETION or lets lws drop the
 * body, so no connection goes on after a body. Routes answer requests with
 * a body at once (404 or 405); one that would not is told the client went
 * away and the request gets a 405.
 */
static int http_answer_body_request(struct server_http *http)
{
    static const char no_body[] = "This server takes no request bodies.\n";

    if (!strcmp(http->method, "GET") || !strcmp(http->method, "HEAD"))
        server_http_respond(http, 400, "text/plain", no_body,
                            sizeof(no_body) - 1);
    else
        http_dispatch(http);
    if (http->state == HTTP_PENDING) {
        http_abort(http);
        server_http_respond(http, 405, "text/plain", no_body,
                            sizeof(no_body) - 1);
    }
    if (http->state == HTTP_HEADERS)
        http_write_now(http);
    http_reset(http);
    return -1;
}

/* Writes the next part of a queued response. Returns -1 to close. */
static int http_writable(struct server_http *http)
{
    if (http->state == HTTP_HEADERS)
        return http_write_headers(http);
    if (http->state == HTTP_BODY)
        return http_write_body(http);
    return 0;
}

static int http_timed_out(struct server_http *http)
{
    static const char body[] = "<!DOCTYPE html><title>503</title>"
                               "<p>The server took too long to answer.\n";

    if (http->state != HTTP_PENDING)
        return 0;
    lwsl_warn("http: %s %s timed out after %d ms\n", http->method,
              http->path, http->server->options.response_timeout_ms);
    http_abort(http);
    return server_http_respond(http, 503, "text/html; charset=utf-8", body,
                               sizeof(body) - 1);
}

int server_http_callback(struct lws *wsi, enum lws_callback_reasons reason,
                         struct server_http *http, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return http_begin(wsi, http, in, strlen(in));
    case LWS_CALLBACK_HTTP_BODY:
        return 0; /* no route takes a body: it is dropped */
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writable(http);
    case LWS_CALLBACK_TIMER:
        return http_timed_out(http);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (http->wsi == wsi) {
            http_abort(http);
            http_reset(http);
            http->wsi = NULL;
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, http, in, len);
    }
}

int server_http_query_arg(struct server_http *http, int index, char *out,
                          size_t out_len)
{
    if (out_len > INT32_MAX)
        out_len = INT32_MAX;
    return lws_hdr_copy_fragment(http->wsi, out, (int)out_len,
                                 WSI_TOKEN_HTTP_URI_ARGS, index);
}

const char *server_http_method(const struct server_http *http)
{
    return http->method;
}

const char *server_http_path(const struct server_http *http)
{
    return http->path;
}

void server_http_set_user(struct server_http *http, void *user)
{
    http->user = user;
}

void *server_http_user(const struct server_http *http)
{
    return http->user;
}

int server_http_respond(struct server_http *http, int status,
                        const char *content_type, const char *body,
                        size_t len)
{
    lws_set_timer_usecs(http->wsi, LWS_SET_TIMER_USEC_CANCEL);
    metrics_count_response(status);
    http->status = status;
    http->content_type = content_type;
    buf_reset(&http->body);
    if (buf_append(&http->body, body, len)) {
        lws_set_timeout(http->wsi, 1, LWS_TO_KILL_ASYNC);
        return -1;
    }
    http->state = HTTP_HEADERS;
    lws_callback_on_writable(http->wsi);
    return 0;
}
