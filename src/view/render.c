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

const char *view_record_get(const struct view_record *record, const char *name)
{
    if (!record)
        return NULL;
    for (size_t i = 0; i < record->count; i++) {
        if (strcmp(record->fields[i].name, name) == 0)
            return record->fields[i].value;
    }
    return NULL;
}

static int append_channel(struct buf *out, const char *channel)
{
    if (buf_append_str(out, " data-ring-channel=\"") ||
        buf_append_html(out, channel, strlen(channel)) ||
        buf_append_str(out, "\""))
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

struct render {
    const struct view_template *t;
    const struct view_binding *bindings;
    size_t binding_count;
    const struct view_field *meta;
    size_t meta_count;
    struct buf *out;
};

/* Writes the bound value in place of the element's template content and
 * moves *index past that content; writes nothing when no value is bound. */
static int render_prop(const struct render *r, const struct view_part *part,
                       size_t *index)
{
    const struct view_binding *binding =
        find_binding(r->bindings, r->binding_count, part->slot->scope);
    const char *value =
        binding ? view_record_get(binding->record, part->slot->prop) : NULL;

    if (!value)
        return 0;
    *index = part->end + 1;
    return buf_append_html(r->out, value, strlen(value));
}

static int render_channel(const struct render *r, const struct view_part *part)
{
    const struct view_binding *binding =
        find_binding(r->bindings, r->binding_count, part->slot->scope);

    if (!binding || !binding->channel)
        return 0;
    return append_channel(r->out, binding->channel);
}

/* Writes the part at *index and advances *index to the next part. */
static int render_part(const struct render *r, size_t *index)
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
    case VIEW_PART_PROP_END:
        break;
    }
    return 0;
}

int view_render(const struct view_template *t,
                const struct view_binding *bindings, size_t binding_count,
                const struct view_field *meta, size_t meta_count,
                struct buf *out)
{
    struct render r = {t, bindings, binding_count, meta, meta_count, out};
    size_t start = out->len;
    size_t index = 0;

    while (index < t->part_count) {
        if (render_part(&r, &index))
            goto fail;
    }
    return 0;

fail:
    view_buf_truncate(out, start);
    return -1;
}
