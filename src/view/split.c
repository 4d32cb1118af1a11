/* Serializing the marked DOM once and splitting it into render parts. */

#include "template.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLtree.h>

#define NO_PART SIZE_MAX

struct splitter {
    struct view_template *t;
    size_t capacity;
    size_t *slot_part; /* part index per slot, NO_PART until found */
    size_t position;   /* first byte of t->html not yet in a part */
};

/* A marker found in t->html: bytes [start, end) and the slot it stands for.*/
struct marker {
    size_t start;
    size_t end;
    size_t slot;
};

/*
 * Writes `doc` as UTF-8 into a new string. An output buffer without an
 * encoder keeps libxml2's UTF-8 as it is, where htmlDocDumpMemory (2.9.14)
 * would write non-ASCII characters as entities unless the document declares its
 * charset with http-equiv.
 */
static int serialize(xmlDocPtr doc, char **html, size_t *length)
{
    xmlOutputBufferPtr out = xmlAllocOutputBuffer(NULL);
    const xmlChar *content;
    size_t size;
    int rc = -1;

    if (!out)
        return -1;
    htmlDocContentDumpFormatOutput(out, doc, "UTF-8", 0);
    content = xmlOutputBufferGetContent(out);
    size = xmlOutputBufferGetSize(out);
    if (out->error || !content)
        goto done;
    *html = malloc(size + 1);
    if (!*html)
        goto done;
    memcpy(*html, content, size);
    (*html)[size] = '\0';
    *length = size;
    rc = 0;

done:
    xmlOutputBufferClose(out);
    return rc;
}

static int has_text(const char *html, size_t at, const char *text)
{
    return strncmp(html + at, text, strlen(text)) == 0;
}

/* Extends m->end past the end tag that libxml2 wrote for a void element. */
static int skip_void_end_tag(const struct view_template *t, struct marker *m)
{
    const char *element = t->slots[m->slot].element;

    if (!has_text(t->html, m->end, "</") ||
        !has_text(t->html, m->end + 2, element) ||
        !has_text(t->html, m->end + 2 + strlen(element), ">"))
        return -1;
    m->end += 2 + strlen(element) + 1;
    return 0;
}

static int is_attribute_slot(enum view_slot_kind kind)
{
    return kind == VIEW_SLOT_CHANNEL || kind == VIEW_SLOT_ATTRS ||
           kind == VIEW_SLOT_ITEM_ID;
}

/*
 * Reads the marker whose prefix starts at `at`: " ring-slot-N" for a
 * channel, attributes or item id, "<!--ring-slot-N-->" for the other
 * slots. Returns -1
 * when the text is not a marker this template put there.
 */
static int read_marker(const struct view_template *t, size_t at,
                       struct marker *m)
{
    const char *digits = t->html + at + strlen(VIEW_MARKER_PREFIX);
    char *after;
    unsigned long index = strtoul(digits, &after, 10);

    if (*digits < '0' || *digits > '9' || index >= t->slot_count)
        return -1;
    m->slot = index;
    m->end = (size_t)(after - t->html);
    if (is_attribute_slot(t->slots[index].kind)) {
        if (at < 1 || t->html[at - 1] != ' ')
            return -1;
        m->start = at - 1;
        return 0;
    }
    if (at < 4 || !has_text(t->html, at - 4, "<!--") ||
        !has_text(t->html, m->end, "-->"))
        return -1;
    m->start = at - 4;
    m->end += 3;
    if (t->slots[index].kind == VIEW_SLOT_VOID_END)
        return skip_void_end_tag(t, m);
    return 0;
}

static int add_part(struct splitter *s, enum view_part_kind kind, size_t offset,
                    size_t length, const struct view_slot *slot)
{
    struct view_template *t = s->t;
    struct view_part *part;

    if (view_array_reserve(&t->parts, &s->capacity, t->part_count,
                           sizeof(*t->parts)))
        return -1;
    part = &t->parts[t->part_count++];
    part->kind = kind;
    part->offset = offset;
    part->length = length;
    part->slot = slot;
    part->end = 0;
    return 0;
}

static enum view_part_kind part_kind(enum view_slot_kind kind)
{
    switch (kind) {
    case VIEW_SLOT_PROP_BEGIN:
        return VIEW_PART_PROP_BEGIN;
    case VIEW_SLOT_PROP_END:
        return VIEW_PART_PROP_END;
    case VIEW_SLOT_CHANNEL:
        return VIEW_PART_CHANNEL;
    case VIEW_SLOT_NODE_OPEN:
        return VIEW_PART_NODE_OPEN;
    case VIEW_SLOT_NODE_CLOSE:
        return VIEW_PART_NODE_CLOSE;
    case VIEW_SLOT_ATTRS:
        return VIEW_PART_ATTRS;
    case VIEW_SLOT_ITEM_BEGIN:
        return VIEW_PART_ITEM_BEGIN;
    case VIEW_SLOT_ITEM_END:
        return VIEW_PART_ITEM_END;
    case VIEW_SLOT_ITEM_ID:
        return VIEW_PART_ITEM_ID;
    default:
        return VIEW_PART_META;
    }
}

/* Adds the HTML before the marker, then the marker's own part. A void
 * element's marker has no part because it only removes text. */
static int add_marker_parts(struct splitter *s, const struct marker *m)
{
    const struct view_slot *slot = &s->t->slots[m->slot];

    if (m->start > s->position &&
        add_part(s, VIEW_PART_HTML, s->position, m->start - s->position, NULL))
        return -1;
    s->position = m->end;
    s->slot_part[m->slot] = s->t->part_count;
    if (slot->kind == VIEW_SLOT_VOID_END)
        return 0;
    return add_part(s, part_kind(slot->kind), 0, 0, slot);
}

/* Points each PROP_BEGIN and ITEM_BEGIN part at the END part of the same
 * element, whose slot comes right after the begin slot. */
static int link_props(struct splitter *s)
{
    struct view_template *t = s->t;

    for (size_t i = 0; i < t->part_count; i++) {
        struct view_part *part = &t->parts[i];
        size_t slot = (size_t)(part->slot - t->slots);

        if (part->kind != VIEW_PART_PROP_BEGIN &&
            part->kind != VIEW_PART_ITEM_BEGIN)
            continue;
        if (slot + 1 >= t->slot_count || s->slot_part[slot + 1] <= i)
            return -1;
        part->end = s->slot_part[slot + 1];
    }
    return 0;
}

/* Cuts t->html at every marker. Returns 0, 1 when the markers are not all
 * found exactly once, or -1 when out of memory. */
static int split_markers(struct splitter *s)
{
    struct view_template *t = s->t;
    const char *hit = t->html;
    struct marker m;

    while ((hit = strstr(hit, VIEW_MARKER_PREFIX))) {
        if (read_marker(t, (size_t)(hit - t->html), &m) ||
            s->slot_part[m.slot] != NO_PART || m.start < s->position)
            return 1;
        if (add_marker_parts(s, &m))
            return -1;
        hit = t->html + m.end;
    }
    if (t->html_length > s->position &&
        add_part(s, VIEW_PART_HTML, s->position, t->html_length - s->position,
                 NULL))
        return -1;
    for (size_t i = 0; i < t->slot_count; i++) {
        if (s->slot_part[i] == NO_PART)
            return 1;
    }
    return link_props(s) ? 1 : 0;
}

int view_split(struct view_template *t, xmlDocPtr doc, char *err,
               size_t err_len)
{
    struct splitter s = {t, 0, NULL, 0};
    int rc = -1;

    if (serialize(doc, &t->html, &t->html_length))
        goto oom;
    s.slot_part = malloc((t->slot_count + 1) * sizeof(*s.slot_part));
    if (!s.slot_part)
        goto oom;
    for (size_t i = 0; i < t->slot_count; i++)
        s.slot_part[i] = NO_PART;
    rc = split_markers(&s);
    if (rc < 0)
        goto oom;
    if (rc > 0) {
        snprintf(err, err_len,
                 "the template text contains \"" VIEW_MARKER_PREFIX
                 "\", which is reserved for the template compiler");
        rc = -1;
    }
    free(s.slot_part);
    return rc;

oom:
    snprintf(err, err_len, "out of memory");
    free(s.slot_part);
    return -1;
}
