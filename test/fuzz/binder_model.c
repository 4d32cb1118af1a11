#include "binder_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *copy_or_null(const char *s)
{
    char *copy;

    if (!s)
        return NULL;
    copy = strdup(s);
    if (!copy)
        abort();
    return copy;
}

static void *grow(void *array, size_t count, size_t size)
{
    void *moved = realloc(array, (count + 1) * size);

    if (!moved)
        abort();
    return moved;
}

static struct model_value *find_value(const struct model_item *item,
                                      const char *key)
{
    for (size_t i = 0; i < item->count; i++)
        if (!strcmp(item->values[i].key, key))
            return &item->values[i];
    return NULL;
}

static void set_value(struct model_item *item, const char *key,
                      const char *value)
{
    struct model_value *v = find_value(item, key);

    if (!v) {
        item->values = grow(item->values, item->count, sizeof(*item->values));
        v = &item->values[item->count++];
        v->key = copy_or_null(key);
    } else {
        free(v->value);
    }
    v->value = copy_or_null(value);
}

static void item_free(struct model_item *item)
{
    for (size_t i = 0; i < item->count; i++) {
        free(item->values[i].key);
        free(item->values[i].value);
    }
    free(item->values);
    free(item->id);
    memset(item, 0, sizeof(*item));
}

static void item_copy_values(struct model_item *to,
                             const struct model_item *from)
{
    for (size_t i = 0; from && i < from->count; i++)
        set_value(to, from->values[i].key, from->values[i].value);
}

static struct model_list *find_list(const struct binder_model *model,
                                    const char *scope)
{
    for (size_t i = 0; i < model->list_count; i++)
        if (!strcmp(model->lists[i].scope, scope))
            return &model->lists[i];
    return NULL;
}

static struct model_list *list_for(struct binder_model *model,
                                   const char *scope)
{
    struct model_list *list = find_list(model, scope);

    if (list)
        return list;
    model->lists = grow(model->lists, model->list_count, sizeof(*list));
    list = &model->lists[model->list_count++];
    memset(list, 0, sizeof(*list));
    list->scope = copy_or_null(scope);
    return list;
}

static long find_item(const struct model_list *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++)
        if (!strcmp(list->items[i].id, id))
            return (long)i;
    return -1;
}

/* Returns the values a new item of `scope` starts with, or NULL. */
static const struct model_item *default_item(const struct binder_model *d,
                                             const char *scope)
{
    const struct model_list *list = d ? find_list(d, scope) : NULL;

    return list && list->count ? &list->items[0] : NULL;
}

/* Moves item `from` of the list to position `to`. */
static void move_item(struct model_list *list, size_t from, size_t to)
{
    struct model_item item = list->items[from];

    if (from < to)
        memmove(&list->items[from], &list->items[from + 1],
                (to - from) * sizeof(item));
    else
        memmove(&list->items[to + 1], &list->items[to],
                (from - to) * sizeof(item));
    list->items[to] = item;
}

static void insert_new_item(struct model_list *list, const char *id,
                            size_t index, const struct binder_model *defaults)
{
    struct model_item item = {copy_or_null(id), NULL, 0};

    item_copy_values(&item, default_item(defaults, list->scope));
    list->items = grow(list->items, list->count, sizeof(item));
    memmove(&list->items[index + 1], &list->items[index],
            (list->count - index) * sizeof(item));
    list->items[index] = item;
    list->count++;
}

/* Makes the list exactly `ids`, keeping the items that exist. */
static void set_list(struct model_list *list, char **ids, size_t id_count,
                     const struct binder_model *defaults)
{
    struct model_item *items = calloc(id_count + 1, sizeof(*items));

    if (!items)
        abort();
    for (size_t i = 0; i < id_count; i++) {
        long at = find_item(list, ids[i]);

        if (at >= 0) {
            items[i] = list->items[at];
            list->items[at].id = NULL; /* taken */
            list->items[at].values = NULL;
            list->items[at].count = 0;
            continue;
        }
        items[i].id = copy_or_null(ids[i]);
        item_copy_values(&items[i], default_item(defaults, list->scope));
    }
    for (size_t i = 0; i < list->count; i++)
        item_free(&list->items[i]);
    free(list->items);
    list->items = items;
    list->count = id_count;
}

static int apply_item_op(struct binder_model *model,
                         const struct json_instruction *op,
                         const struct binder_model *defaults, char *error,
                         size_t error_len)
{
    struct model_list *list = list_for(model, op->scope);
    long at = op->id ? find_item(list, op->id) : -1;

    if (!strcmp(op->op, "list")) {
        set_list(list, op->ids, op->id_count, defaults);
        return 0;
    }
    if (!strcmp(op->op, "remove-item") && at >= 0) {
        item_free(&list->items[at]);
        memmove(&list->items[at], &list->items[at + 1],
                (list->count - (size_t)at - 1) * sizeof(*list->items));
        list->count--;
        return 0;
    }
    if (!strcmp(op->op, "insert-item") && at < 0 &&
        (size_t)op->index <= list->count) {
        insert_new_item(list, op->id, (size_t)op->index, defaults);
        return 0;
    }
    if (at >= 0 && (size_t)op->index < list->count &&
        (!strcmp(op->op, "insert-item") || !strcmp(op->op, "move-item"))) {
        move_item(list, (size_t)at, (size_t)op->index);
        return 0;
    }
    snprintf(error, error_len, "%s of item \"%s\" at %ld in a list of %zu",
             op->op, op->id ? op->id : "", op->index, list->count);
    return -1;
}

/* Returns the item a value instruction applies to, or NULL. */
static struct model_item *target_of(struct binder_model *model,
                                    const struct json_instruction *op)
{
    struct model_list *list;
    long at;

    if (!op->id)
        return &model->top;
    list = find_list(model, op->scope);
    at = list ? find_item(list, op->id) : -1;
    return at >= 0 ? &list->items[at] : NULL;
}

static int apply_value_op(struct binder_model *model,
                          const struct json_instruction *op, char *error,
                          size_t error_len)
{
    struct model_item *item = target_of(model, op);
    const char *kind = op->op;
    char key[512];
    const char *value = op->value;

    if (!item) {
        snprintf(error, error_len, "%s for item \"%s\" of %s, not in the list",
                 op->op, op->id, op->scope);
        return -1;
    }
    if (!strcmp(kind, "add-class"))
        value = "";
    snprintf(key, sizeof(key), "%c|%s|%s",
             !strcmp(kind, "text") || !strcmp(kind, "remove-node") ? 't'
             : strstr(kind, "class")                               ? 'c'
                                                                   : 'a',
             op->prop ? op->prop : "", op->name ? op->name : "");
    set_value(item, key, value);
    return 0;
}

int binder_model_apply(struct binder_model *model,
                       const struct json_instruction *list, int count,
                       const struct binder_model *defaults, char *error,
                       size_t error_len)
{
    for (int i = 0; i < count; i++) {
        const struct json_instruction *op = &list[i];
        int is_item_op = !strcmp(op->op, "list") || strstr(op->op, "-item");
        int rc = is_item_op
                     ? apply_item_op(model, op, defaults, error, error_len)
                     : apply_value_op(model, op, error, error_len);

        if (rc)
            return -1;
    }
    return 0;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Returns 1 when every value of `a` is in `b` with the same text. */
static int values_within(const struct model_item *a, const struct model_item *b,
                         char *error, size_t error_len)
{
    for (size_t i = 0; i < a->count; i++) {
        const struct model_value *other = find_value(b, a->values[i].key);

        if (other && same_text(a->values[i].value, other->value))
            continue;
        snprintf(error, error_len, "item \"%s\" %s: \"%s\" against \"%s\"",
                 a->id ? a->id : "(scope)", a->values[i].key,
                 a->values[i].value ? a->values[i].value : "(null)",
                 other ? other->value ? other->value : "(null)" : "(missing)");
        return 0;
    }
    return 1;
}

static int items_equal(const struct model_item *a, const struct model_item *b,
                       char *error, size_t error_len)
{
    return values_within(a, b, error, error_len) &&
           values_within(b, a, error, error_len);
}

/* Returns 1 when every list of `a` is in `b` with the same items. A
 * missing list counts as an empty one. */
static int lists_within(const struct binder_model *a,
                        const struct binder_model *b, char *error,
                        size_t error_len)
{
    for (size_t l = 0; l < a->list_count; l++) {
        const struct model_list *list = &a->lists[l];
        const struct model_list *other = find_list(b, list->scope);
        size_t other_count = other ? other->count : 0;

        if (list->count != other_count) {
            snprintf(error, error_len, "list %s: %zu items against %zu",
                     list->scope, list->count, other_count);
            return 0;
        }
        for (size_t i = 0; i < list->count; i++) {
            if (strcmp(list->items[i].id, other->items[i].id)) {
                snprintf(error, error_len, "list %s item %zu: %s against %s",
                         list->scope, i, list->items[i].id, other->items[i].id);
                return 0;
            }
            if (!items_equal(&list->items[i], &other->items[i], error,
                             error_len))
                return 0;
        }
    }
    return 1;
}

int binder_model_equal(const struct binder_model *a,
                       const struct binder_model *b, char *error,
                       size_t error_len)
{
    return items_equal(&a->top, &b->top, error, error_len) &&
           lists_within(a, b, error, error_len) &&
           lists_within(b, a, error, error_len);
}

void binder_model_free(struct binder_model *model)
{
    item_free(&model->top);
    for (size_t l = 0; l < model->list_count; l++) {
        for (size_t i = 0; i < model->lists[l].count; i++)
            item_free(&model->lists[l].items[i]);
        free(model->lists[l].items);
        free(model->lists[l].scope);
    }
    free(model->lists);
    memset(model, 0, sizeof(*model));
}
