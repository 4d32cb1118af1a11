#include "counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../realtime/realtime.h"
#include "../store/presence.h"
#include "../store/store.h"
#include "../store/versioned.h"
#include "../util/metrics.h"
#include "../view/view.h"
#ifdef RING_TEST_PAGES
#include "test_pages.h"
#endif

/* Every key shares the hash tag {ring}, so that one script touching several
 * of them stays in one Redis Cluster slot. */
#define KEY_TOTAL "{ring}:total"
#define KEY_SHARES "{ring}:active"
#define KEY_EXPIRY "{ring}:procs"
#define KEY_VERSION "{ring}:version:stats"
#define CHANGES_CHANNEL "{ring}:changes"
#define KEY_SECRET "{ring}:secret"
/* Prefix of the request ids that keep a page view from counting twice. */
#define KEY_COUNTED "{ring}:counted:"

/* How long a page view may wait for Redis to come back before the page is
 * answered 503; below the server's 3 s response timeout. */
#define COUNT_TIMEOUT_MS 2500

/* How long a rendered page's token lets its socket (re)connect. */
#define TOKEN_TTL (24 * 60 * 60)

static const char unavailable_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><meta charset=\"utf-8\">"
    "<title>Counts unavailable</title><h1>Counts unavailable</h1>"
    "<p>The page view and viewer counts are unavailable right now, because "
    "the server cannot reach its database. Reload in a moment.</p></html>\n";

/* Owned by main; one per process. */
struct app {
    struct store *store;
    struct store_presence *presence;
    struct realtime *rt;
    struct view_template *page;
    char process_id[128];
    long viewers;               /* open sockets of this process */
    long viewers_at_stop;
    unsigned long long views_sent; /* page views sent to Redis, for ids */
    struct pending *viewers_waiting;  /* actions for the next count write */
    struct pending *viewers_answered; /* actions the write in flight ends */
    int viewers_writing;
    int *stop_done;
};

/* A store reply on its way to an action's or a query's caller. */
struct pending {
    struct pending *next;       /* in a list of actions waiting together */
    struct app *app;
    const char *what;           /* the action or query, for logs */
    realtime_done_fn done;
    realtime_result_fn result;
    void *done_arg;
};

static struct pending *pending_new(struct app *app, const char *what,
                                   realtime_done_fn done,
                                   realtime_result_fn result, void *done_arg)
{
    struct pending *p = malloc(sizeof(*p));

    if (p) {
        p->next = NULL;
        p->app = app;
        p->what = what;
        p->done = done;
        p->result = result;
        p->done_arg = done_arg;
    }
    return p;
}

static int reply_ok(const redisReply *reply, int type, const char *what)
{
    if (reply && reply->type == REDIS_REPLY_ERROR)
        lwsl_err("stats: %s failed: %s\n", what, reply->str);
    return reply && reply->type == type;
}

/* Query stats.for_default_post: {total, active} and the version. */
static void stats_read_reply(void *arg, redisReply *reply)
{
    struct pending *p = arg;
    char total[24], active[24];
    struct view_field fields[2] = {{"total", total}, {"active", active}};
    struct view_record record = {.fields = fields, .count = 2};

    long long values[3];

    if (!reply_ok(reply, REDIS_REPLY_ARRAY, "for_default_post") ||
        reply->elements != 3 ||
        store_reply_integer(reply->element[0], &values[0]) ||
        store_reply_integer(reply->element[1], &values[1]) ||
        store_reply_integer(reply->element[2], &values[2])) {
        p->result(p->done_arg, NULL, 0);
    } else {
        snprintf(total, sizeof(total), "%lld", values[0]);
        snprintf(active, sizeof(active), "%lld", values[1]);
        p->result(p->done_arg, &record, (unsigned long long)values[2]);
    }
    free(p);
}

static void stats_for_default_post(void *arg, realtime_result_fn result,
                                   void *done_arg)
{
    struct app *app = arg;
    struct pending *p = pending_new(app, "for_default_post", NULL, result,
                                    done_arg);

    if (!p || !store_presence_read(app->presence, KEY_TOTAL,
                                   stats_read_reply, p)) {
        free(p);
        result(done_arg, NULL, 0);
    }
}

static void stats_action_reply(void *arg, redisReply *reply)
{
    struct pending *p = arg;

    p->done(p->done_arg, reply_ok(reply, REDIS_REPLY_INTEGER, p->what));
    free(p);
}

/* Action stats.view_default_post: total + 1, exactly once per page even
 * when Redis is lost before it replies. */
static void stats_view_default_post(void *arg, realtime_done_fn done,
                                    void *done_arg)
{
    struct app *app = arg;
    struct pending *p = pending_new(app, "view_default_post", done, NULL,
                                    done_arg);
    char marker[192];

    snprintf(marker, sizeof(marker), KEY_COUNTED "%s:%llu", app->process_id,
             ++app->views_sent);
    if (!p || store_versioned_incr_once(app->store, KEY_TOTAL, KEY_VERSION,
                                        marker, COUNT_TIMEOUT_MS,
                                        stats_action_reply, p)) {
        free(p);
        done(done_arg, 0);
    }
}

static void viewers_send(struct app *app);

/* Ends every action the write answered, then sends the next write if
 * more actions came meanwhile. */
static void viewers_written(void *arg, redisReply *reply)
{
    struct app *app = arg;
    struct pending *p = app->viewers_answered, *next;
    int ok = reply_ok(reply, REDIS_REPLY_INTEGER, "viewer count");

    app->viewers_answered = NULL;
    app->viewers_writing = 0;
    for (; p; p = next) {
        next = p->next;
        p->done(p->done_arg, ok);
        free(p);
    }
    if (app->viewers_waiting)
        viewers_send(app);
}

static void viewers_send(struct app *app)
{
    app->viewers_answered = app->viewers_waiting;
    app->viewers_waiting = NULL;
    app->viewers_writing = 1;
    store_presence_set(app->presence, app->viewers, viewers_written, app);
}

/*
 * Sends this process's viewer count; the action succeeds when Redis has
 * it. One write is in flight at a time and carries the newest count, so a
 * burst of joins costs a few writes. A failed write is made good by the
 * next heartbeat or reconnect.
 */
static void stats_write_viewers(struct app *app, const char *action,
                                realtime_done_fn done, void *done_arg)
{
    struct pending *p = pending_new(app, action, done, NULL, done_arg);

    if (!p) {
        done(done_arg, 0);
        return;
    }
    p->next = app->viewers_waiting;
    app->viewers_waiting = p;
    if (!app->viewers_writing)
        viewers_send(app);
}

/* Action stats.viewer_joined: active + 1. */
static void stats_viewer_joined(void *arg, realtime_done_fn done,
                                void *done_arg)
{
    struct app *app = arg;

    app->viewers++;
    stats_write_viewers(app, "viewer_joined", done, done_arg);
}

/* Action stats.viewer_left: active - 1, never below zero. */
static void stats_viewer_left(void *arg, realtime_done_fn done,
                              void *done_arg)
{
    struct app *app = arg;

    if (app->viewers > 0)
        app->viewers--;
    stats_write_viewers(app, "viewer_left", done, done_arg);
}

static void socket_joined(void *arg)
{
    struct app *app = arg;

    realtime_call_action(app->rt, "stats", "viewer_joined", NULL, NULL);
}

static void socket_left(void *arg)
{
    struct app *app = arg;

    realtime_call_action(app->rt, "stats", "viewer_left", NULL, NULL);
}

/* A GET / waiting for its page view to be counted. */
struct index_call {
    struct app *app;
    struct realtime_request *request;
};

static void index_counted(void *arg, int ok)
{
    struct index_call *call = arg;

    if (ok)
        realtime_render(call->app->rt, call->request, call->app->page,
                        "for_default_post", "post");
    else
        realtime_respond_unavailable(call->request,
                                     store_error(call->app->store));
    free(call);
}

/* Route /: counts a page view (not for HEAD, which nobody sees), then
 * renders the page and subscribes its counters. */
static void route_index(void *arg, struct realtime_request *request)
{
    struct app *app = arg;
    struct index_call *call;

    if (!store_is_up(app->store)) {
        realtime_respond_unavailable(request, store_error(app->store));
        return;
    }
    if (!strcmp(realtime_request_method(request), "HEAD")) {
        realtime_render(app->rt, request, app->page, "for_default_post",
                        "post");
        return;
    }
    call = malloc(sizeof(*call));
    if (!call) {
        realtime_respond(request, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    call->app = app;
    call->request = request;
    realtime_call_action(app->rt, "stats", "view_default_post",
                         index_counted, call);
}

static void respond_unhealthy(struct app *app,
                              struct realtime_request *request)
{
    char body[900];

    snprintf(body, sizeof(body), "unavailable: %s\n",
             store_is_up(app->store) ? "Redis did not answer PING"
                                     : store_error(app->store));
    realtime_respond(request, 503, "text/plain", body, strlen(body));
}

/* A /healthz waiting for Redis to answer PING. */
struct health_check {
    struct app *app;
    struct realtime_request *request;
};

static void healthz_pong(void *arg, redisReply *reply)
{
    struct health_check *check = arg;

    if (reply && reply->type == REDIS_REPLY_STATUS)
        realtime_respond(check->request, 200, "text/plain", "ok\n", 3);
    else
        respond_unhealthy(check->app, check->request);
    free(check);
}

/* Route /healthz: 200 once Redis answers a PING, for load balancers. A
 * stalled Redis answers nothing, and the server's response timeout then
 * gives the 503. */
static void route_healthz(void *arg, struct realtime_request *request)
{
    struct app *app = arg;
    struct health_check *check = malloc(sizeof(*check));
    const char *argv[1] = {"PING"};

    if (check) {
        check->app = app;
        check->request = request;
    }
    if (!check || !store_command(app->store, healthz_pong, check, 1, argv,
                                 NULL)) {
        free(check);
        respond_unhealthy(app, request);
    }
}

/* Route /metrics: the Prometheus text format, for monitoring. */
static void route_metrics(void *arg, struct realtime_request *request)
{
    struct app *app = arg;
    struct buf body;

    buf_init(&body, 0);
    if (metrics_render(&body, realtime_socket_count(app->rt),
                       realtime_subscription_count(app->rt),
                       store_is_up(app->store)))
        realtime_respond(request, 500, "text/plain", "out of memory\n", 14);
    else
        realtime_respond(request, 200,
                         "text/plain; version=0.0.4; charset=utf-8",
                         buf_data(&body), body.len);
    buf_free(&body);
}

static void store_up_changed(void *arg, int up)
{
    struct app *app = arg;

    if (!up || !app->rt)
        return;
    store_presence_resync(app->presence);
    realtime_store_up(app->rt);
}

static void store_message(void *arg, const char *channel, const char *payload,
                          size_t len)
{
    struct app *app = arg;

    if (app->rt)
        realtime_store_message(app->rt, channel, payload, len);
}

/* After a heartbeat or a resubscribe, read every channel again: another
 * process may have died or published while we could not hear it. */
static void store_resubscribed(void *arg)
{
    struct app *app = arg;

    if (app->rt)
        realtime_store_up(app->rt);
}

static void make_process_id(char *out, size_t len)
{
    unsigned char bytes[6] = {0};
    char host[64] = "host";

    gethostname(host, sizeof(host) - 1);
    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
        bytes[0] = (unsigned char)rand();
    snprintf(out, len, "%s:%ld:%02x%02x%02x%02x%02x%02x", host,
             (long)getpid(), bytes[0], bytes[1], bytes[2], bytes[3],
             bytes[4], bytes[5]);
}

static int app_register(struct app *app)
{
    struct realtime *rt = app->rt;

    return realtime_add_mutable(rt, "stats") ||
           realtime_add_query(rt, "stats", "for_default_post",
                              stats_for_default_post) ||
           realtime_add_action(rt, "stats", "view_default_post",
                               stats_view_default_post) ||
           realtime_add_action(rt, "stats", "viewer_joined",
                               stats_viewer_joined) ||
           realtime_add_action(rt, "stats", "viewer_left",
                               stats_viewer_left) ||
           realtime_add_mutator(rt, "post", "stats", app->page) ||
           realtime_add_route(rt, "/", route_index) ||
           realtime_add_route(rt, "/healthz", route_healthz) ||
           realtime_add_route(rt, "/metrics", route_metrics) ||
           realtime_set_unavailable_page(rt, unavailable_page);
}

const struct lws_protocols *app_lws_protocol(void)
{
    return store_lws_protocol();
}

struct app *app_new(struct server *server, struct lws_context *context,
                    struct lws_vhost *vhost, const struct config *cfg)
{
    struct app *app = calloc(1, sizeof(*app));
    struct store_listener listener = {store_up_changed, store_message,
                                      store_resubscribed};
    struct store_presence_keys keys = {KEY_SHARES, KEY_EXPIRY, NULL,
                                       KEY_VERSION};
    struct realtime_options options = {
        .socket_path = "/ring",
        .changes_channel = CHANGES_CHANNEL,
        .secret_file = cfg->secret_file,
        .secret_key = KEY_SECRET,
        .token_ttl = TOKEN_TTL,
    };
    char error[512];

    if (!app)
        return NULL;
    make_process_id(app->process_id, sizeof(app->process_id));
    if (view_template_load(&app->page, cfg->templates_dir, "index.html",
                           error, sizeof(error))) {
        lwsl_err("templates: %s\n", error);
        goto fail;
    }
    app->store = store_new(context, vhost, &cfg->redis,
                           cfg->redis_url, &listener, app);
    if (!app->store)
        goto fail;
    keys.member = app->process_id;
    app->presence = store_presence_new(app->store, &keys, cfg->presence_ttl,
                                       store_resubscribed, app);
    options.process_id = app->process_id;
    app->rt = realtime_new(server, app->store, &options, app);
    if (!app->presence || !app->rt || app_register(app)) {
        lwsl_err("app: cannot set up the counters\n");
        goto fail;
    }
#ifdef RING_TEST_PAGES
    if (test_pages_register(app->rt, app->store, cfg->templates_dir))
        goto fail;
#endif
    realtime_on_socket(app->rt, socket_joined, socket_left);
    lwsl_notice("app: process %s, templates in %s\n", app->process_id,
                cfg->templates_dir);
    return app;

fail:
    app_close_store(app);
    app_free(app);
    return NULL;
}

static void app_stop_reply(void *arg, redisReply *reply)
{
    struct app *app = arg;

    if (!reply)
        lwsl_warn("app: could not remove %ld viewers from Redis (%s); they "
                  "expire within the presence TTL\n", app->viewers_at_stop,
                  store_error(app->store));
    *app->stop_done = 1;
}

void app_stop(struct app *app, int *done)
{
    realtime_stop(app->rt);
    app->stop_done = done;
    lwsl_notice("app: stopping, removing %ld viewers\n", app->viewers);
    app->viewers_at_stop = app->viewers;
    app->viewers = 0;
    store_presence_set(app->presence, 0, app_stop_reply, app);
}

void app_close_store(struct app *app)
{
    store_presence_free(app->presence);
    app->presence = NULL;
    store_free(app->store);
    app->store = NULL;
}

void app_free(struct app *app)
{
    if (!app)
        return;
    realtime_free(app->rt);
    view_template_free(app->page);
#ifdef RING_TEST_PAGES
    test_pages_free();
#endif
    view_cleanup();
    free(app);
}
