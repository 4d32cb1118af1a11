/* The values a scope shows, read from a record once per change. */

#include "state.h"

#include <stdlib.h>
#include <string.h>

static int copy_value(char **out, const char *value)
{
    *out = value ? strdup(value) : NULL;
    return value && !*out ? -1 : 0;
}

/* Returns a new array with one value per key of `scope`, or NULL. */
static char **read_values(const struct view_scope *scope,
                          const struct view_record *record)
{
    char **values = calloc(scope->key_count + 1, sizeof(*values));

    if (!values)
        return NULL;
    for (size_t i = 0; i < scope->key_count; i++) {
        if (copy_value(&values[i], view_key_value(&scope->keys[i], record)))
            goto fail;
    }
    return values;

fail:
    for (size_t i = 0; i < scope->key_count; i++)
        free(values[i]);
    free(values);
    return NULL;
}

static void free_values(char **values, size_t count)
{
    if (!values)
        return;
    for (size_t i = 0; i < count; i++)
        free(values[i]);
    free(values);
}

static const struct view_list *find_list(const struct view_record *record,
                                         const char *scope)
{
    for (size_t i = 0; record && i < record->list_count; i++) {
        if (strcmp(record->lists[i].scope, scope) == 0)
            return &record->lists[i];
    }
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns 1 when every item has an id and no two share one, else 0; -1
 * when out of memory. Sorting copies of the pointers keeps it n log n. */
static int ids_valid(const struct view_list *list)
{
    const char **ids = malloc((list->count + 1) * sizeof(*ids));
    int valid = 1;

    if (!ids)
        return -1;
    for (size_t i = 0; i < list->count; i++) {
        ids[i] = list->items[i].id;
        if (!ids[i])
            valid = 0;
    }
    if (valid && list->count > 1) {
        qsort(ids, list->count, sizeof(*ids), compare_ids);
        for (size_t i = 1; i < list->count && valid; i++)
            valid = strcmp(ids[i - 1], ids[i]) != 0;
    }
    free(ids);
    return valid;
}

/* Fills `state_list` from the record's list for its scope (none: empty).
 * Returns 0, or -1 when an id is missing or repeated or memory is out. */
static int read_list(struct view_state_list *state_list,
                     const struct view_record *record)
{
    const struct view_list *list =
        find_list(record, state_list->scope->name);

    if (!list || list->count == 0)
        return 0;
    if (ids_valid(list) != 1)
        return -1;
    state_list->items = calloc(list->count, sizeof(*state_list->items));
    if (!state_list->items)
        return -1;
    for (size_t i = 0; i < list->count; i++) {
        struct view_state_item *item = &state_list->items[i];

        state_list->count++;
        item->id = strdup(list->items[i].id);
        item->values = read_values(state_list->scope, &list->items[i].record);
        if (!item->id || !item->values)
            return -1;
    }
    return 0;
}

static int read_lists(struct view_state *s, const struct view_template *t,
                      const struct view_record *record)
{
    const struct view_scope *scope = s->scope;

    if (scope->list_count == 0)
        return 0;
    s->lists = calloc(scope->list_count, sizeof(*s->lists));
    if (!s->lists)
        return -1;
    for (size_t i = 0; i < scope->list_count; i++) {
        s->list_count++;
        s->lists[i].scope = &t->scopes[scope->lists[i]];
        if (read_list(&s->lists[i], record))
            return -1;
    }
    return 0;
}

struct view_state *view_state_new(const struct view_template *t,
                                  const char *scope,
                                  const struct view_record *record)
{
    long index = view_scope_find(t, scope, 0);
    struct view_state *s;

    if (index < 0)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->scope = &t->scopes[index];
    s->values = read_values(s->scope, record);
    if (!s->values || read_lists(s, t, record)) {
        view_state_free(s);
        return NULL;
    }
    return s;
}

void view_state_free(struct view_state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->list_count; i++) {
        struct view_state_list *list = &s->lists[i];

        for (size_t j = 0; j < list->count; j++) {
            free(list->items[j].id);
            free_values(list->items[j].values, list->scope->key_count);
        }
        free(list->items);
    }
    free(s->lists);
    free_values(s->values, s->scope->key_count);
    free(s);
}

const char *view_state_value(const struct view_state *s, const char *name)
{
    long key = view_key_find(s->scope, name);

    return key < 0 ? NULL : s->values[key];
}
