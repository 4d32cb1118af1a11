#ifndef RING_VIEW_TEMPLATE_H
#define RING_VIEW_TEMPLATE_H

/*
 * Private to src/view: the compiled form of a template, shared by the
 * compiler (template.c, compose.c, slots.c, split.c), render.c and state.c.
 */

#include <stddef.h>

#include <libxml/tree.h>

#include "../util/buf.h"

/* Marker text put in the DOM where a slot goes; followed by the slot index. */
#define VIEW_MARKER_PREFIX "ring-slot-"

enum view_slot_kind {
    VIEW_SLOT_PROP_BEGIN, /* first child of a data-prop element */
    VIEW_SLOT_PROP_END,   /* last child of a data-prop element */
    VIEW_SLOT_CHANNEL,    /* attribute of a scope element */
    VIEW_SLOT_META,       /* last child of <head> */
    VIEW_SLOT_VOID_END,   /* only child of a void element libxml2 treats as
                             a container; its end tag is dropped */
};

/*
 * One place in the DOM that a marker stands for. The template owns the
 * strings, which are NULL where they do not apply: `scope` is set for
 * props and channels, `prop` for props, `default_text` (the element's text
 * content) for PROP_BEGIN and `element` (the tag name) for VOID_END.
 */
struct view_slot {
    enum view_slot_kind kind;
    char *scope;
    char *prop;
    char *default_text;
    char *element;
};

enum view_part_kind {
    VIEW_PART_HTML,       /* static HTML, written as it is */
    VIEW_PART_PROP_BEGIN, /* a bound value replaces parts up to `end` */
    VIEW_PART_PROP_END,   /* writes nothing */
    VIEW_PART_CHANNEL,    /* data-ring-channel when the binding has one */
    VIEW_PART_META,       /* the <meta> tags passed to view_render */
};

/*
 * One step of a render. HTML parts are bytes [offset, offset + length) of
 * view_template.html; other parts point to their slot in the template.
 */
struct view_part {
    enum view_part_kind kind;
    size_t offset;
    size_t length;
    const struct view_slot *slot;
    size_t end;
};

struct view_template {
    char *html;
    size_t html_length;
    struct view_slot *slots;
    size_t slot_count;
    struct view_part *parts;
    size_t part_count;
};

/* Grows *array (of elements of `size` bytes) to hold at least count + 1
 * elements. Returns 0, or -1 when out of memory (the array is unchanged). */
int view_array_reserve(void *array, size_t *capacity, size_t count,
                       size_t size);

/* Shortens b to its first `length` data bytes, dropping what a failed
 * append sequence left behind. */
void view_buf_truncate(struct buf *b, size_t length);

/* Parses the layout and the page with libxml2's HTML parser. Returns the
 * layout's document with the page's content in place of its
 * <!-- @container --> comment and <!DOCTYPE html> as its doctype, or NULL
 * with a message naming the file in err. The caller frees it. */
xmlDocPtr view_compose(const char *layout_path, const char *page_path,
                       char *err, size_t err_len);

/* Puts marker comments and attributes into `doc` and records one slot per
 * marker in t->slots; also moves content out of void elements. Returns 0, or
 * -1 with a message in err. */
int view_slots_mark(struct view_template *t, xmlDocPtr doc, char *err,
                    size_t err_len);

/* Serializes `doc` into t->html and splits it on the markers into t->parts.
 * Returns 0, or -1 with a message in err. */
int view_split(struct view_template *t, xmlDocPtr doc, char *err,
               size_t err_len);

#endif
