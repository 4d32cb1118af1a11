#ifndef RING_REALTIME_H
#define RING_REALTIME_H

#include <stddef.h>

#include "../server/server.h"
#include "../store/store.h"
#include "../view/view.h"

/*
 * The realtime layer, in Pakyow's terms: mutables (named data sources with
 * queries and actions), mutators (bind query data into a view scope), and
 * channels (a subscribed scope + query + mutator) whose state is pushed to
 * every subscribed socket when an action changes the mutable. It also owns
 * the routes and the socket protocol. It knows no application names.
 */
struct realtime;
struct realtime_request;

/* Completion of a query: record is NULL when the query failed. `version`
 * is the mutable's version the data was read at (versions only grow and
 * every process agrees on them). The record and its strings need only live
 * until the call returns. */
typedef void (*realtime_result_fn)(void *done_arg,
                                   const struct view_record *record,
                                   unsigned long long version);
typedef void (*realtime_query_fn)(void *app, realtime_result_fn done,
                                  void *done_arg);

/* Completion of an action: ok is 1 when the data changed as asked. */
typedef void (*realtime_done_fn)(void *done_arg, int ok);
typedef void (*realtime_action_fn)(void *app, realtime_done_fn done,
                                   void *done_arg);

/* A route handler. It must end the request with realtime_respond or
 * realtime_render exactly once, now or later. */
typedef void (*realtime_route_fn)(void *app, struct realtime_request *request);

/* Called when a socket joins (opens) or leaves (closes). */
typedef void (*realtime_socket_fn)(void *app);

struct realtime_options {
    const char *process_id;      /* unique per process, for pub/sub */
    const char *socket_path;     /* "/ring" */
    const char *changes_channel; /* Redis pub/sub channel for changes */
    const char *secret_file;     /* key for page tokens, or "" */
    const char *secret_key;      /* Redis key sharing a generated secret */
    int token_ttl;               /* seconds a page token stays valid */
};

struct realtime *realtime_new(struct server *server, struct store *store,
                              const struct realtime_options *options,
                              void *app);
void realtime_free(struct realtime *rt);

/* Registration, at start-up. Names are copied. Return 0, or -1 when out of
 * memory or when the name is taken. */
int realtime_add_mutable(struct realtime *rt, const char *name);
int realtime_add_query(struct realtime *rt, const char *mutable_name,
                       const char *query, realtime_query_fn fn);
int realtime_add_action(struct realtime *rt, const char *mutable_name,
                        const char *action, realtime_action_fn fn);
int realtime_add_mutator(struct realtime *rt, const char *name,
                         const char *scope,
                         const struct view_template *template);
int realtime_add_route(struct realtime *rt, const char *path,
                       realtime_route_fn fn);
void realtime_on_socket(struct realtime *rt, realtime_socket_fn joined,
                        realtime_socket_fn left);

/* Calls an action; when it succeeds, every channel of its mutable is
 * refreshed here and in every other process. done may be NULL. */
void realtime_call_action(struct realtime *rt, const char *mutable_name,
                          const char *action, realtime_done_fn done,
                          void *done_arg);

/* Requests */
const char *realtime_request_method(const struct realtime_request *request);
const char *realtime_request_path(const struct realtime_request *request);
/* Returns the value of input `name`: a URL query argument, or a member of a
 * call-route's "input" object. NULL when absent. */
const char *realtime_request_input(const struct realtime_request *request,
                                   const char *name);
void realtime_respond(struct realtime_request *request, int status,
                      const char *content_type, const char *body,
                      size_t len);
/* Responds 503 with the page set by realtime_set_unavailable_page, and
 * logs `why` (may be NULL) with the request. */
void realtime_respond_unavailable(struct realtime_request *request,
                                  const char *what);

/*
 * Runs `query`, binds the result with `mutator` into `page` and responds
 * 200. The page carries a signed token for the socket that will follow the
 * rendered scope; a call-route's socket is subscribed at once. Responds 503
 * when the query fails and 500 when out of memory.
 */
void realtime_render(struct realtime *rt, struct realtime_request *request,
                     const struct view_template *page, const char *query,
                     const char *mutator);

/* Sets the page answered with 503 when the store cannot be reached. */
int realtime_set_unavailable_page(struct realtime *rt, const char *html);

/* Store events, forwarded by the store's owner: the store came up or
 * resubscribed (every channel is read again, since changes may have been
 * missed), and a pub/sub message arrived. */
void realtime_store_up(struct realtime *rt);
void realtime_store_message(struct realtime *rt, const char *channel,
                            const char *payload, size_t len);

/* Returns the number of open sockets and of subscriptions, for metrics. */
unsigned int realtime_socket_count(const struct realtime *rt);
unsigned long realtime_subscription_count(const struct realtime *rt);

/* Stops all work: no more joins, leaves, queries or Redis calls. */
void realtime_stop(struct realtime *rt);

#endif
