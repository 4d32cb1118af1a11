#include "realtime_internal.h"

static void realtime_mutable_apply(struct realtime *rt, int mutable_index,
                                   int publish);

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_name(char *dst, const char *src)
{
    size_t n = strlen(src);

    if (n == 0 || n >= REALTIME_NAME_MAX)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

int realtime_find_mutable(const struct realtime *rt, const char *name)
{
    for (int i = 0; i < rt->mutable_count; i++)
        if (!strcmp(rt->mutables[i], name))
            return i;
    return -1;
}

const struct realtime_query *realtime_find_query(const struct realtime *rt,
                                                 const char *name)
{
    for (int i = 0; i < rt->query_count; i++)
        if (!strcmp(rt->queries[i].name, name))
            return &rt->queries[i];
    return NULL;
}

const struct realtime_mutator *
realtime_find_mutator(const struct realtime *rt, const char *name)
{
    for (int i = 0; i < rt->mutator_count; i++)
        if (!strcmp(rt->mutators[i].name, name))
            return &rt->mutators[i];
    return NULL;
}

static const struct realtime_action *
realtime_find_action(const struct realtime *rt, int mutable_index,
                     const char *name)
{
    for (int i = 0; i < rt->action_count; i++)
        if (rt->actions[i].mutable_index == mutable_index &&
            !strcmp(rt->actions[i].name, name))
            return &rt->actions[i];
    return NULL;
}

int realtime_add_mutable(struct realtime *rt, const char *name)
{
    if (rt->mutable_count == REALTIME_MAX_NAMES ||
        realtime_find_mutable(rt, name) >= 0 ||
        copy_name(rt->mutables[rt->mutable_count], name))
        return -1;
    rt->mutable_count++;
    return 0;
}

int realtime_add_query(struct realtime *rt, const char *mutable_name,
                       const char *query, realtime_query_fn fn)
{
    struct realtime_query *q = &rt->queries[rt->query_count];
    int index = realtime_find_mutable(rt, mutable_name);

    if (index < 0 || rt->query_count == REALTIME_MAX_NAMES ||
        realtime_find_query(rt, query) || copy_name(q->name, query))
        return -1;
    q->mutable_index = index;
    q->fn = fn;
    rt->query_count++;
    return 0;
}

int realtime_add_action(struct realtime *rt, const char *mutable_name,
                        const char *action, realtime_action_fn fn)
{
    struct realtime_action *a = &rt->actions[rt->action_count];
    int index = realtime_find_mutable(rt, mutable_name);

    if (index < 0 || rt->action_count == REALTIME_MAX_NAMES ||
        realtime_find_action(rt, index, action) || copy_name(a->name, action))
        return -1;
    a->mutable_index = index;
    a->fn = fn;
    rt->action_count++;
    return 0;
}

int realtime_add_mutator(struct realtime *rt, const char *name,
                         const char *scope,
                         const struct view_template *template)
{
    struct realtime_mutator *m = &rt->mutators[rt->mutator_count];

    if (rt->mutator_count == REALTIME_MAX_NAMES ||
        realtime_find_mutator(rt, name) || copy_name(m->name, name) ||
        copy_name(m->scope, scope) || !view_template_has_scope(template,
                                                               scope))
        return -1;
    m->template = template;
    rt->mutator_count++;
    return 0;
}

/* Applies the changes of one loop turn: at most one PUBLISH and one refresh
 * per mutable, however many actions ran. */
void realtime_apply_changes(void *arg)
{
    struct realtime *rt = arg;

    for (int i = 0; i < rt->mutable_count; i++) {
        unsigned char pending = rt->pending_changes[i];
        rt->pending_changes[i] = 0;
        if (pending)
            realtime_mutable_apply(rt, i, pending & 2);
    }
}

void realtime_mutable_changed(struct realtime *rt, int mutable_index,
                              int publish)
{
    if (rt->stopped)
        return;
    rt->pending_changes[mutable_index] |= (unsigned char)(publish ? 3 : 1);
    if (!server_timer_pending(rt->change_timer))
        server_timer_start(rt->change_timer, 0);
}

static void realtime_mutable_apply(struct realtime *rt, int mutable_index,
                                   int publish)
{
    struct list_node *n;
    char payload[sizeof(rt->process_id) + REALTIME_NAME_MAX + 2];
    const char *argv[3];

    if (rt->stopped)
        return;
    if (publish) {
        snprintf(payload, sizeof(payload), "%s %s", rt->process_id,
                 rt->mutables[mutable_index]);
        argv[0] = "PUBLISH";
        argv[1] = rt->changes_channel;
        argv[2] = payload;
        /* NOTE: a change published while Redis is down is lost; other
         * processes catch up at their next heartbeat or reconnect. */
        if (!store_command(rt->store, NULL, NULL, 3, argv, NULL))
            lwsl_warn("realtime: could not publish a change of %s\n",
                      rt->mutables[mutable_index]);
    }
    list_for_each(&rt->channels, n) {
        struct realtime_channel *channel =
            list_entry(n, struct realtime_channel, node);
        if (channel->query->mutable_index == mutable_index)
            realtime_channel_refresh(channel);
    }
}

/* A change published by another process: "PROCESS_ID MUTABLE". */
void realtime_handle_message(struct realtime *rt, const char *payload,
                             size_t len)
{
    const char *space = memchr(payload, ' ', len);
    char name[REALTIME_NAME_MAX];
    size_t id_len, name_len;
    int index;

    if (!space)
        return;
    id_len = (size_t)(space - payload);
    name_len = len - id_len - 1;
    if ((id_len == strlen(rt->process_id) &&
         !memcmp(payload, rt->process_id, id_len)) ||
        name_len >= sizeof(name))
        return; /* our own change, already applied */
    memcpy(name, space + 1, name_len);
    name[name_len] = '\0';
    index = realtime_find_mutable(rt, name);
    if (index >= 0)
        realtime_mutable_changed(rt, index, 0);
}

/* One action in flight. */
struct action_call {
    struct realtime *rt;
    int mutable_index;
    realtime_done_fn done;
    void *done_arg;
};

static void action_finished(void *arg, int ok)
{
    struct action_call *call = arg;

    if (ok)
        realtime_mutable_changed(call->rt, call->mutable_index, 1);
    if (call->done)
        call->done(call->done_arg, ok);
    free(call);
}

void realtime_call_action(struct realtime *rt, const char *mutable_name,
                          const char *action, realtime_done_fn done,
                          void *done_arg)
{
    int index = realtime_find_mutable(rt, mutable_name);
    const struct realtime_action *a =
        index < 0 ? NULL : realtime_find_action(rt, index, action);
    struct action_call *call = a ? malloc(sizeof(*call)) : NULL;

    if (!call) {
        if (!a)
            lwsl_err("realtime: no action %s.%s\n", mutable_name, action);
        if (done)
            done(done_arg, 0);
        return;
    }
    call->rt = rt;
    call->mutable_index = index;
    call->done = done;
    call->done_arg = done_arg;
    a->fn(rt->app, action_finished, call);
}
