#include "test_pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/versioned.h"
#include "../view/view.h"

#define KEY_DATA "{ring}:test:collection"
#define KEY_VERSION "{ring}:test:version"
#define PAGE_FILE RING_SOURCE_DIR "/test/pages/collection.html"
#define MAX_FIELDS 16
#define MAX_ITEMS 32
#define MAX_DATA 8192

/* The registered pages. Static because routes, queries and actions get the
 * application's pointer, not ours; one set of test pages per process. */
static struct {
    struct realtime *rt;
    struct store *store;
    struct view_template *page;
    const char *pending; /* data for the replace action being called */
} pages;

/* The fixture's data parsed into a record; its strings point into `text`. */
struct fixture {
    char *text;
    struct view_field fields[MAX_FIELDS];
    struct view_field item_fields[MAX_ITEMS][MAX_FIELDS];
    struct view_item items[MAX_ITEMS];
    struct view_list list;
    struct view_record record;
};

/* Adds the line "NAME=VALUE" or "NAME" to `record`. Returns 0 or -1. */
static int add_field(struct view_record *record, struct view_field *fields,
                     char *line)
{
    char *equals = strchr(line, '=');

    if (record->count == MAX_FIELDS)
        return -1;
    if (equals)
        *equals = '\0';
    fields[record->count].name = line;
    fields[record->count].value = equals ? equals + 1 : NULL;
    record->count++;
    return 0;
}

/* Parses one line into f; `item` is the index of the current item, or -1
 * before the first "#ID" line. */
static int parse_line(struct fixture *f, char *line, long *item)
{
    size_t length = strlen(line);

    if (length > 0 && line[length - 1] == '\r')
        line[--length] = '\0';
    if (length == 0)
        return 0;
    if (line[0] == '#') {
        if (f->list.count == MAX_ITEMS)
            return -1;
        *item = (long)f->list.count++;
        f->items[*item].id = line + 1;
        f->items[*item].record.fields = f->item_fields[*item];
        return 0;
    }
    if (*item < 0)
        return add_field(&f->record, f->fields, line);
    return add_field(&f->items[*item].record, f->item_fields[*item], line);
}

/* Parses DATA (see test_pages.h). Returns a new fixture, or NULL when the
 * data has too many fields or items or memory is out. */
static struct fixture *fixture_parse(const char *data)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *line, *next;
    long item = -1;

    if (!f || !(f->text = strdup(data)))
        goto fail;
    f->list.scope = "entry";
    f->list.items = f->items;
    f->record.fields = f->fields;
    f->record.lists = &f->list;
    f->record.list_count = 1;
    for (line = f->text; line; line = next) {
        next = strpbrk(line, "\t\n");
        if (next)
            *next++ = '\0';
        if (parse_line(f, line, &item))
            goto fail;
    }
    return f;

fail:
    if (f)
        free(f->text);
    free(f);
    return NULL;
}

static void fixture_free(struct fixture *f)
{
    if (f)
        free(f->text);
    free(f);
}

/* A query or action waiting for Redis. */
struct pending {
    realtime_result_fn result;
    realtime_done_fn done;
    void *done_arg;
};

static struct pending *pending_new(realtime_result_fn result,
                                   realtime_done_fn done, void *done_arg)
{
    struct pending *p = malloc(sizeof(*p));

    if (p) {
        p->result = result;
        p->done = done;
        p->done_arg = done_arg;
    }
    return p;
}

/* Reply to GET with version: {value or nil, version}. */
static void collection_read_reply(void *arg, redisReply *reply)
{
    struct pending *p = arg;
    struct fixture *f = NULL;
    long long version;
    const redisReply *value;

    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        store_reply_integer(reply->element[1], &version)) {
        lwsl_err("test pages: reading %s failed\n", KEY_DATA);
        p->result(p->done_arg, NULL, 0);
        goto done;
    }
    value = reply->element[0];
    f = fixture_parse(value->type == REDIS_REPLY_STRING ? value->str : "");
    if (!f) {
        lwsl_err("test pages: %s holds data that does not parse\n", KEY_DATA);
        p->result(p->done_arg, NULL, 0);
        goto done;
    }
    p->result(p->done_arg, &f->record, (unsigned long long)version);

done:
    fixture_free(f);
    free(p);
}

/* Query fixture.collection: the stored data and its version. */
static void fixture_collection(void *app, realtime_result_fn result,
                               void *done_arg)
{
    struct pending *p = pending_new(result, NULL, done_arg);

    (void)app;
    if (!p || !store_versioned_get(pages.store, KEY_DATA, KEY_VERSION,
                                   collection_read_reply, p)) {
        free(p);
        result(done_arg, NULL, 0);
    }
}

static void replace_reply(void *arg, redisReply *reply)
{
    struct pending *p = arg;
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;

    if (!ok)
        lwsl_err("test pages: writing %s failed\n", KEY_DATA);
    p->done(p->done_arg, ok);
    free(p);
}

/* Action fixture.replace: stores pages.pending, set by the caller of
 * realtime_call_action(), which runs this function before returning. */
static void fixture_replace(void *app, realtime_done_fn done, void *done_arg)
{
    struct pending *p = pending_new(NULL, done, done_arg);

    (void)app;
    if (!p || !pages.pending ||
        !store_versioned_set(pages.store, KEY_DATA, pages.pending,
                             KEY_VERSION, replace_reply, p)) {
        free(p);
        done(done_arg, 0);
    }
}

/* Route /test/collection. */
static void route_collection(void *app, struct realtime_request *request)
{
    (void)app;
    if (!store_is_up(pages.store)) {
        realtime_respond_unavailable(request, store_error(pages.store));
        return;
    }
    realtime_render(pages.rt, request, pages.page, "collection", "listing");
}

static void respond_text(struct realtime_request *request, int status,
                         const char *text)
{
    realtime_respond(request, status, "text/plain", text, strlen(text));
}

static void replace_done(void *arg, int ok)
{
    struct realtime_request *request = arg;

    if (ok)
        respond_text(request, 200, "ok\n");
    else
        realtime_respond_unavailable(request, "the fixture store");
}

/* Route /test/collection/set?data=DATA: checks DATA, then stores it. */
static void route_collection_set(void *app, struct realtime_request *request)
{
    const char *data = realtime_request_input(request, "data");
    struct fixture *f;

    (void)app;
    if (!data || strlen(data) > MAX_DATA) {
        respond_text(request, 400, "missing or too long data argument\n");
        return;
    }
    f = fixture_parse(data);
    if (!f) {
        respond_text(request, 400, "data has too many fields or items\n");
        return;
    }
    fixture_free(f);
    pages.pending = data;
    realtime_call_action(pages.rt, "fixture", "replace", replace_done,
                         request);
    pages.pending = NULL;
}

int test_pages_register(struct realtime *rt, struct store *store,
                        const char *templates_dir)
{
    char layout[1024], error[512];

    pages.rt = rt;
    pages.store = store;
    snprintf(layout, sizeof(layout), "%s/layouts/default.html",
             templates_dir);
    if (view_template_load_files(&pages.page, layout, PAGE_FILE, error,
                                 sizeof(error))) {
        lwsl_err("test pages: %s\n", error);
        return -1;
    }
    if (realtime_add_mutable(rt, "fixture") ||
        realtime_add_query(rt, "fixture", "collection", fixture_collection) ||
        realtime_add_action(rt, "fixture", "replace", fixture_replace) ||
        realtime_add_mutator(rt, "listing", "fixture", pages.page) ||
        realtime_add_route(rt, "/test/collection", route_collection) ||
        realtime_add_route(rt, "/test/collection/set",
                           route_collection_set)) {
        lwsl_err("test pages: cannot register the fixture\n");
        return -1;
    }
    lwsl_notice("test pages: /test/collection registered\n");
    return 0;
}

void test_pages_free(void)
{
    view_template_free(pages.page);
    pages.page = NULL;
}
