/* Rendering a compiled template: concatenating parts and escaped values. */

#include "view.h"
#include "template.h"

#include <string.h>

static const struct view_binding *
find_binding(const struct view_binding *bindings, size_t count,
             const char *scope)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(bindings[i].scope, scope) == 0)
            return &bindings[i];
    }
    return NULL;
}

static int append_channel(struct buf *out, const char *channel,
                          unsigned long long version)
{
    if (buf_append_str(out, " data-ring-channel=\"") ||
        buf_append_html(out, channel, strlen(channel)) ||
        buf_append_str(out, "\""))
        return -1;
    if (version && buf_printf(out, " data-ring-version=\"%llu\"", version))
        return -1;
    return 0;
}

static int append_meta(struct buf *out, const struct view_field *meta,
                       size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (buf_append_str(out, "<meta name=\"") ||
            buf_append_html(out, meta[i].name, strlen(meta[i].name)) ||
            buf_append_str(out, "\" content=\"") ||
            buf_append_html(out, meta[i].value, strlen(meta[i].value)) ||
            buf_append_str(out, "\">\n"))
            return -1;
    }
    return 0;
}

/* One render in progress; `item` is the collection item being written,
 * NULL outside items. */
struct render {
    const struct view_template *t;
    const struct view_binding *bindings;
    size_t binding_count;
    const struct view_field *meta;
    size_t meta_count;
    struct buf *out;
    const struct view_item *item;
};

static const struct view_scope *slot_scope(const struct render *r,
                                           const struct view_part *part)
{
    return &r->t->scopes[part->slot->scope_index];
}

/* Returns the record bound to the part's scope: the item's inside an item,
 * else the binding's, or NULL. */
static const struct view_record *slot_record(const struct render *r,
                                             const struct view_part *part)
{
    const struct view_binding *binding;

    if (r->item)
        return &r->item->record;
    binding = find_binding(r->bindings, r->binding_count,
                           slot_scope(r, part)->name);
    return binding ? binding->record : NULL;
}

static const struct view_key *slot_text_key(const struct render *r,
                                            const struct view_part *part)
{
    return &slot_scope(r, part)->keys[part->slot->key_index];
}

/* Writes the bound value in place of the element's template content and
 * moves *index past that content; writes nothing when no value is bound
 * or the value is NULL (the element is then inside a removed-node
 * <template>). */
static int render_prop(const struct render *r, const struct view_part *part,
                       size_t *index)
{
    const char *value =
        view_record_get(slot_record(r, part), slot_text_key(r, part)->field);

    if (!value)
        return 0;
    *index = part->end + 1;
    return buf_append_html(r->out, value, strlen(value));
}

/* Opens or closes the <template> that contains an element whose text
 * field is NULL. */
static int render_node(const struct render *r, const struct view_part *part)
{
    const struct view_key *key = slot_text_key(r, part);
    const struct view_field *field =
        view_record_find(slot_record(r, part), key->field);

    if (!field || field->value)
        return 0;
    if (part->kind == VIEW_PART_NODE_CLOSE)
        return buf_append_str(r->out, "</template>");
    return buf_append_str(r->out, "<template data-ring-removed=\"") ||
           buf_append_html(r->out, key->prop, strlen(key->prop)) ||
           buf_append_str(r->out, "\">");
}

static int append_attribute(struct buf *out, const char *name,
                            const char *value)
{
    return buf_append_str(out, " ") || buf_append_str(out, name) ||
           buf_append_str(out, "=\"") ||
           buf_append_html(out, value, strlen(value)) ||
           buf_append_str(out, "\"");
}

/* Appends one class name to the class attribute, opening it first. */
static int append_class(struct buf *out, const char *name, int *open)
{
    int rc = buf_append_str(out, *open ? " " : " class=\"");

    *open = 1;
    return rc || buf_append_html(out, name, strlen(name));
}

/* Writes the bound attributes that have a value, then the class attribute
 * with the static classes and the bound classes that are set. */
static int render_attrs(const struct render *r, const struct view_part *part)
{
    const struct view_slot *slot = part->slot;
    const struct view_scope *scope = slot_scope(r, part);
    const struct view_record *record = slot_record(r, part);
    int open = 0;

    for (size_t i = 0; i < slot->key_count; i++) {
        const struct view_key *key = &scope->keys[slot->keys[i]];
        const char *value = view_key_value(key, record);

        if (key->kind == VIEW_KEY_ATTR && value &&
            append_attribute(r->out, key->name, value))
            return -1;
    }
    if (slot->static_class && append_class(r->out, slot->static_class, &open))
        return -1;
    for (size_t i = 0; i < slot->key_count; i++) {
        const struct view_key *key = &scope->keys[slot->keys[i]];

        if (key->kind == VIEW_KEY_CLASS && view_key_value(key, record) &&
            append_class(r->out, key->name, &open))
            return -1;
    }
    return open ? buf_append_str(r->out, "\"") : 0;
}

static int render_channel(const struct render *r, const struct view_part *part)
{
    const struct view_binding *binding =
        find_binding(r->bindings, r->binding_count, part->slot->scope);

    if (!binding || !binding->channel)
        return 0;
    return append_channel(r->out, binding->channel, binding->version);
}

/* Returns the list the record of the enclosing scope gives the item scope
 * of `part`, or NULL. */
static const struct view_list *find_list(const struct render *r,
                                         const struct view_part *part)
{
    const struct view_scope *scope = slot_scope(r, part);
    const struct view_binding *binding =
        find_binding(r->bindings, r->binding_count,
                     r->t->scopes[scope->parent].name);
    const struct view_record *record = binding ? binding->record : NULL;

    for (size_t i = 0; record && i < record->list_count; i++) {
        if (strcmp(record->lists[i].scope, scope->name) == 0)
            return &record->lists[i];
    }
    return NULL;
}

static int render_range(struct render *r, size_t index, size_t end);

/* Writes the item element once per item with an id, then moves *index
 * past the ITEM_END part. */
static int render_items(struct render *r, const struct view_part *part,
                        size_t *index)
{
    const struct view_list *list = find_list(r, part);
    size_t first = *index;

    *index = part->end + 1;
    for (size_t i = 0; list && i < list->count; i++) {
        if (!list->items[i].id)
            continue;
        r->item = &list->items[i];
        if (render_range(r, first, part->end))
            return -1;
    }
    r->item = NULL;
    return 0;
}

static int render_item_id(const struct render *r)
{
    if (!r->item)
        return 0;
    return append_attribute(r->out, "data-id", r->item->id);
}

/* Writes the part at *index and advances *index to the next part. */
static int render_part(struct render *r, size_t *index)
{
    const struct view_part *part = &r->t->parts[(*index)++];

    switch (part->kind) {
    case VIEW_PART_HTML:
        return buf_append(r->out, r->t->html + part->offset, part->length);
    case VIEW_PART_PROP_BEGIN:
        return render_prop(r, part, index);
    case VIEW_PART_CHANNEL:
        return render_channel(r, part);
    case VIEW_PART_META:
        return append_meta(r->out, r->meta, r->meta_count);
    case VIEW_PART_NODE_OPEN:
    case VIEW_PART_NODE_CLOSE:
        return render_node(r, part);
    case VIEW_PART_ATTRS:
        return render_attrs(r, part);
    case VIEW_PART_ITEM_BEGIN:
        return render_items(r, part, index);
    case VIEW_PART_ITEM_ID:
        return render_item_id(r);
    case VIEW_PART_PROP_END:
    case VIEW_PART_ITEM_END:
        break;
    }
    return 0;
}

/* Writes parts [index, end). */
static int render_range(struct render *r, size_t index, size_t end)
{
    while (index < end) {
        if (render_part(r, &index))
            return -1;
    }
    return 0;
}

int view_render(const struct view_template *t,
                const struct view_binding *bindings, size_t binding_count,
                const struct view_field *meta, size_t meta_count,
                struct buf *out)
{
    struct render r = {t, bindings, binding_count, meta, meta_count, out,
                       NULL};
    size_t start = out->len;

    if (render_range(&r, 0, t->part_count)) {
        view_buf_truncate(out, start);
        return -1;
    }
    return 0;
}
