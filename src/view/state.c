/* The values a scope shows, and the instructions between two of them. */

#include "view.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>

struct view_state_entry {
    char *prop;
    char *value;
};

/* Owns its strings; entries are unique by prop, in document order. */
struct view_state {
    char *scope;
    struct view_state_entry *entries;
    size_t count;
    size_t capacity;
};

const char *view_state_value(const struct view_state *s, const char *prop)
{
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->entries[i].prop, prop) == 0)
            return s->entries[i].value;
    }
    return NULL;
}

static int add_entry(struct view_state *s, const char *prop, const char *value)
{
    struct view_state_entry *entry;

    if (view_array_reserve(&s->entries, &s->capacity, s->count,
                           sizeof(*s->entries)))
        return -1;
    entry = &s->entries[s->count];
    entry->prop = strdup(prop);
    entry->value = strdup(value);
    if (!entry->prop || !entry->value) {
        free(entry->prop);
        free(entry->value);
        return -1;
    }
    s->count++;
    return 0;
}

/* Adds the value of one data-prop element unless the prop is already in. */
static int add_prop(struct view_state *s, const struct view_slot *slot,
                    const struct view_record *record)
{
    const char *value = view_record_get(record, slot->prop);

    if (strcmp(slot->scope, s->scope) != 0 || view_state_value(s, slot->prop))
        return 0;
    return add_entry(s, slot->prop, value ? value : slot->default_text);
}

struct view_state *view_state_new(const struct view_template *t,
                                  const char *scope,
                                  const struct view_record *record)
{
    struct view_state *s;

    if (!view_template_has_scope(t, scope))
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s || !(s->scope = strdup(scope)))
        goto fail;
    for (size_t i = 0; i < t->part_count; i++) {
        const struct view_part *part = &t->parts[i];

        if (part->kind == VIEW_PART_PROP_BEGIN &&
            add_prop(s, part->slot, record))
            goto fail;
    }
    return s;

fail:
    view_state_free(s);
    return NULL;
}

void view_state_free(struct view_state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->entries[i].prop);
        free(s->entries[i].value);
    }
    free(s->entries);
    free(s->scope);
    free(s);
}

static int append_instruction(struct buf *out, const char *scope,
                              const struct view_state_entry *entry)
{
    if (buf_append_str(out, "{\"op\":\"text\",\"scope\":") ||
        buf_append_json_string(out, scope, strlen(scope)) ||
        buf_append_str(out, ",\"prop\":") ||
        buf_append_json_string(out, entry->prop, strlen(entry->prop)) ||
        buf_append_str(out, ",\"value\":") ||
        buf_append_json_string(out, entry->value, strlen(entry->value)) ||
        buf_append_str(out, "}"))
        return -1;
    return 0;
}

/* Returns 1 when `from` already shows the entry's value. */
static int is_unchanged(const struct view_state *from,
                        const struct view_state_entry *entry)
{
    const char *old = from ? view_state_value(from, entry->prop) : NULL;

    return old && strcmp(old, entry->value) == 0;
}

int view_state_diff(const struct view_state *from, const struct view_state *to,
                    struct buf *out)
{
    size_t start = out->len;
    int count = 0;

    if (buf_append_str(out, "["))
        goto fail;
    for (size_t i = 0; i < to->count; i++) {
        if (is_unchanged(from, &to->entries[i]))
            continue;
        if (count > 0 && buf_append_str(out, ","))
            goto fail;
        if (append_instruction(out, to->scope, &to->entries[i]))
            goto fail;
        count++;
    }
    if (buf_append_str(out, "]"))
        goto fail;
    return count;

fail:
    view_buf_truncate(out, start);
    return -1;
}
