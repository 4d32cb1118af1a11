#ifndef RING_VIEW_TEMPLATE_H
#define RING_VIEW_TEMPLATE_H

/*
 * Private to src/view: the compiled form of a template, shared by the
 * compiler (template.c, compose.c, slots.c, split.c), render.c and state.c.
 */

#include <stddef.h>

#include <libxml/tree.h>

#include "../util/buf.h"
#include "view.h"

/* Marker text put in the DOM where a slot goes; followed by the slot index. */
#define VIEW_MARKER_PREFIX "ring-slot-"

/* The kind of value a key sets on its element. */
enum view_key_kind {
    VIEW_KEY_TEXT,  /* textContent; NULL removes the element */
    VIEW_KEY_ATTR,  /* one attribute; NULL removes it */
    VIEW_KEY_CLASS, /* one class; present unless NULL */
};

/*
 * One value a scope shows, named in records by `field` ("KEY", "KEY@ATTR",
 * "KEY.CLASS", "@ATTR" or ".CLASS"). `prop` is NULL for the scope element
 * itself, `name` is the attribute or class (NULL for text). The default is
 * the template's: its text content, its attribute value (NULL when it has
 * none), or "" for a class the template sets and NULL for one it does not.
 * The template owns the strings.
 */
struct view_key {
    enum view_key_kind kind;
    char *field;
    char *prop;
    char *name;
    char *default_value;
};

/*
 * Everything bound under one scope name, merged over every element of that
 * name, in document order. An item scope (a collection's element) has
 * `parent`, the index of the scope around it; other scopes list the item
 * scopes inside them in `lists`.
 */
struct view_scope {
    char *name;
    int is_item;
    size_t parent;
    struct view_key *keys;
    size_t key_count;
    size_t key_capacity;
    size_t *lists;
    size_t list_count;
    size_t list_capacity;
};

enum view_slot_kind {
    VIEW_SLOT_PROP_BEGIN, /* first child of a data-prop element */
    VIEW_SLOT_PROP_END,   /* last child of a data-prop element */
    VIEW_SLOT_CHANNEL,    /* attribute of a scope element */
    VIEW_SLOT_META,       /* last child of <head> */
    VIEW_SLOT_VOID_END,   /* only child of a void element libxml2 treats as
                             a container; its end tag is dropped */
    VIEW_SLOT_NODE_OPEN,  /* before a data-prop element */
    VIEW_SLOT_NODE_CLOSE, /* after a data-prop element */
    VIEW_SLOT_ATTRS,      /* attribute of an element with bound attributes
                             or classes */
    VIEW_SLOT_ITEM_BEGIN, /* before a collection's item element */
    VIEW_SLOT_ITEM_END,   /* after it */
    VIEW_SLOT_ITEM_ID,    /* attribute of the item element: its data-id */
};

/*
 * One place in the DOM that a marker stands for. The template owns the
 * strings, which are NULL where they do not apply: `scope` is set for
 * props and channels, `prop` for props and `element` (the tag name) for
 * VOID_END.
 * `scope_index` names the scope of props, nodes, attributes and items, and
 * `key_index` the text key of PROP_BEGIN, NODE_OPEN and NODE_CLOSE. ATTRS
 * slots list their keys in `keys` and keep the class names no key controls
 * in `static_class` (NULL when none).
 */
struct view_slot {
    enum view_slot_kind kind;
    char *scope;
    char *prop;
    char *element;
    size_t scope_index;
    size_t key_index;
    size_t *keys;
    size_t key_count;
    char *static_class;
};

enum view_part_kind {
    VIEW_PART_HTML,       /* static HTML, written as it is */
    VIEW_PART_PROP_BEGIN, /* a bound value replaces parts up to `end` */
    VIEW_PART_PROP_END,   /* writes nothing */
    VIEW_PART_CHANNEL,    /* data-ring-channel when the binding has one */
    VIEW_PART_META,       /* the <meta> tags passed to view_render */
    VIEW_PART_NODE_OPEN,  /* <template data-ring-removed> when text is NULL */
    VIEW_PART_NODE_CLOSE, /* </template> when text is NULL */
    VIEW_PART_ATTRS,      /* the bound attributes and class attribute */
    VIEW_PART_ITEM_BEGIN, /* parts up to `end`, once per item */
    VIEW_PART_ITEM_END,   /* writes nothing */
    VIEW_PART_ITEM_ID,    /* data-id of the item being written */
};

/*
 * One step of a render. HTML parts are bytes [offset, offset + length) of
 * view_template.html; other parts point to their slot in the template.
 * PROP_BEGIN and ITEM_BEGIN parts keep the index of their END part in `end`.
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
    struct view_scope *scopes;
    size_t scope_count;
    size_t scope_capacity;
};

/* Returns the value a record gives `key`, or the key's default when the
 * record (which may be NULL) lacks its field; NULL means absent. Unsafe URL
 * values come back as NULL, and any non-NULL class value as "". */
const char *view_key_value(const struct view_key *key,
                           const struct view_record *record);

/* Returns the index of the scope named `name` with the given is_item, or
 * -1 when the template has none. */
long view_scope_find(const struct view_template *t, const char *name,
                     int is_item);

/* Returns the index of the key with `field` in scope s, or -1. */
long view_key_find(const struct view_scope *s, const char *field);

/* Adds a scope; returns its index, or -1 when out of memory. */
long view_scope_add(struct view_template *t, const char *name, int is_item,
                    size_t parent);

/* Adds a key to scope s unless one with the same field is there. Returns
 * its index, or -1 when out of memory. default_value may be NULL. */
long view_key_add(struct view_scope *s, enum view_key_kind kind,
                  const char *prop, const char *name,
                  const char *default_value);

/* Frees the scopes of t. */
void view_scopes_free(struct view_template *t);

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
 * marker in t->slots and the bound values in t->scopes; also moves content
 * out of void elements and adds the <template> copy of each collection's
 * item. Returns 0, or -1 with a message in err. */
int view_slots_mark(struct view_template *t, xmlDocPtr doc, char *err,
                    size_t err_len);

/* Serializes `doc` into t->html and splits it on the markers into t->parts.
 * Returns 0, or -1 with a message in err. */
int view_split(struct view_template *t, xmlDocPtr doc, char *err,
               size_t err_len);

#endif
