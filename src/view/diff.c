/* The instructions that turn one state of a scope into another. */

#include "state.h"

#include <stdlib.h>
#include <string.h>

/* The JSON array being written: the number of instructions so far. */
struct writer {
    struct buf *out;
    int count;
};

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int append_member(struct buf *out, const char *name, const char *value)
{
    return buf_append_str(out, ",\"") || buf_append_str(out, name) ||
           buf_append_str(out, "\":") ||
           buf_append_json_string(out, value, strlen(value));
}

/* Opens an instruction object: {"op":OP,"scope":SCOPE and, for an item,
 * ,"id":ID. */
static int begin(struct writer *w, const char *op, const char *scope,
                 const char *id)
{
    if ((w->count > 0 && buf_append_str(w->out, ",")) ||
        buf_append_str(w->out, "{\"op\":\"") ||
        buf_append_str(w->out, op) || buf_append_str(w->out, "\"") ||
        append_member(w->out, "scope", scope) ||
        (id && append_member(w->out, "id", id)))
        return -1;
    return 0;
}

static int end(struct writer *w)
{
    w->count++;
    return buf_append_str(w->out, "}");
}

static const char *key_op(const struct view_key *key, const char *value)
{
    switch (key->kind) {
    case VIEW_KEY_TEXT:
        return value ? "text" : "remove-node";
    case VIEW_KEY_ATTR:
        return value ? "set-attr" : "remove-attr";
    default:
        return value ? "add-class" : "remove-class";
    }
}

/* Writes the instruction that makes `key` show `value` (NULL: absent). */
static int write_key(struct writer *w, const struct view_scope *scope,
                     const char *id, const struct view_key *key,
                     const char *value)
{
    if (begin(w, key_op(key, value), scope->name, id) ||
        (key->prop && append_member(w->out, "prop", key->prop)) ||
        (key->name && append_member(w->out, "name", key->name)) ||
        (value && key->kind != VIEW_KEY_CLASS &&
         append_member(w->out, "value", value)))
        return -1;
    return end(w);
}

/* Writes an instruction for each value of `to` that differs from `from`
 * (every value when from is NULL). */
static int write_values(struct writer *w, const struct view_scope *scope,
                        const char *id, char *const *from, char *const *to)
{
    for (size_t i = 0; i < scope->key_count; i++) {
        if (from && same(from[i], to[i]))
            continue;
        if (write_key(w, scope, id, &scope->keys[i], to[i]))
            return -1;
    }
    return 0;
}

/* Writes the values of a new item that differ from the template's
 * defaults, which a copy of the item's <template> shows. */
static int write_new_item(struct writer *w, const struct view_scope *scope,
                          const struct view_state_item *item)
{
    for (size_t i = 0; i < scope->key_count; i++) {
        const struct view_key *key = &scope->keys[i];

        if (same(key->default_value, item->values[i]))
            continue;
        if (write_key(w, scope, item->id, key, item->values[i]))
            return -1;
    }
    return 0;
}

static int write_item_op(struct writer *w, const char *op,
                         const struct view_scope *scope, const char *id,
                         long index)
{
    if (begin(w, op, scope->name, id) ||
        (index >= 0 && buf_printf(w->out, ",\"index\":%ld", index)))
        return -1;
    return end(w);
}

/* {"op":"list","scope":S,"ids":[...]}: the whole list, for a snapshot. */
static int write_list_ids(struct writer *w, const struct view_state_list *l)
{
    if (begin(w, "list", l->scope->name, NULL) ||
        buf_append_str(w->out, ",\"ids\":["))
        return -1;
    for (size_t i = 0; i < l->count; i++) {
        const char *id = l->items[i].id;

        if ((i > 0 && buf_append_str(w->out, ",")) ||
            buf_append_json_string(w->out, id, strlen(id)))
            return -1;
    }
    return buf_append_str(w->out, "]") || end(w);
}

static int write_full_list(struct writer *w, const struct view_state_list *l)
{
    if (write_list_ids(w, l))
        return -1;
    for (size_t i = 0; i < l->count; i++) {
        if (write_values(w, l->scope, l->items[i].id, NULL,
                         l->items[i].values))
            return -1;
    }
    return 0;
}

static const struct view_state_item *
find_item(const struct view_state_list *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i].id, id) == 0)
            return &list->items[i];
    }
    return NULL;
}

/*
 * The items a page shows while a list diff is applied, in page order:
 * from's items minus the removed ones, then reordered and grown as the
 * moves and inserts are written. A NULL entry is an inserted item.
 */
struct shown_list {
    const struct view_state_item **items;
    size_t count;
};

/* Moves entry `at` of the shown list to position `to` (to < at). */
static void shown_move(struct shown_list *shown, size_t at, size_t to)
{
    const struct view_state_item *item = shown->items[at];

    memmove(&shown->items[to + 1], &shown->items[to],
            (at - to) * sizeof(*shown->items));
    shown->items[to] = item;
}

static void shown_insert(struct shown_list *shown, size_t to)
{
    memmove(&shown->items[to + 1], &shown->items[to],
            (shown->count - to) * sizeof(*shown->items));
    shown->items[to] = NULL;
    shown->count++;
}

/* Returns the position of item `id` in the shown list at or after
 * `start`, or -1. */
static long shown_find(const struct shown_list *shown, size_t start,
                       const char *id)
{
    for (size_t i = start; i < shown->count; i++) {
        if (shown->items[i] && strcmp(shown->items[i]->id, id) == 0)
            return (long)i;
    }
    return -1;
}

/* Writes remove-item for each item of `from` that `to` lacks, and keeps
 * the others in `shown`. */
static int write_removals(struct writer *w, const struct view_state_list *from,
                          const struct view_state_list *to,
                          struct shown_list *shown)
{
    for (size_t i = 0; i < from->count; i++) {
        const struct view_state_item *item = &from->items[i];

        if (find_item(to, item->id)) {
            shown->items[shown->count++] = item;
            continue;
        }
        if (write_item_op(w, "remove-item", from->scope, item->id, -1))
            return -1;
    }
    return 0;
}

/* Puts item i of `to` at position i: patched where it is, moved there, or
 * inserted there. Positions before i already hold to's items 0..i-1. */
static int place_item(struct writer *w, const struct view_state_list *to,
                      size_t i, struct shown_list *shown)
{
    const struct view_state_item *item = &to->items[i];
    long at = shown_find(shown, i, item->id);
    const struct view_state_item *old;

    if (at < 0) {
        shown_insert(shown, i);
        return write_item_op(w, "insert-item", to->scope, item->id,
                             (long)i) ||
               write_new_item(w, to->scope, item);
    }
    old = shown->items[at];
    if ((size_t)at != i) {
        shown_move(shown, (size_t)at, i);
        if (write_item_op(w, "move-item", to->scope, item->id, (long)i))
            return -1;
    }
    return write_values(w, to->scope, item->id, old->values, item->values);
}

/*
 * Writes the removals, then walks `to` in order and places each item.
 * NOTE: ids are found by linear scans, so a diff costs O(n * m) for lists of
 * n and m items. A rotation by one costs up to n - 1 moves. Both are fine
 * for the short lists a page shows and slow for thousands of items.
 */
static int write_list_diff(struct writer *w, const struct view_state_list *from,
                           const struct view_state_list *to)
{
    struct shown_list shown = {NULL, 0};
    int rc = -1;

    shown.items = malloc((from->count + to->count + 1) * sizeof(*shown.items));
    if (!shown.items)
        return -1;
    if (write_removals(w, from, to, &shown))
        goto done;
    for (size_t i = 0; i < to->count; i++) {
        if (place_item(w, to, i, &shown))
            goto done;
    }
    rc = 0;

done:
    free(shown.items);
    return rc;
}

int view_state_diff(const struct view_state *from, const struct view_state *to,
                    struct buf *out)
{
    struct writer w = {out, 0};
    size_t start = out->len;

    if (buf_append_str(out, "[") ||
        write_values(&w, to->scope, NULL, from ? from->values : NULL,
                     to->values))
        goto fail;
    for (size_t i = 0; i < to->list_count; i++) {
        if (from ? write_list_diff(&w, &from->lists[i], &to->lists[i])
                 : write_full_list(&w, &to->lists[i]))
            goto fail;
    }
    if (buf_append_str(out, "]"))
        goto fail;
    return w.count;

fail:
    view_buf_truncate(out, start);
    return -1;
}
