#ifndef RING_VIEW_SLOTS_H
#define RING_VIEW_SLOTS_H

/*
 * Private to the template compiler's marking step (slots.c, attrs.c): the
 * state of one walk over the composed DOM.
 */

#include "template.h"

/* One walk of view_slots_mark(); err receives the first problem found. */
struct slot_walk {
    struct view_template *t;
    xmlDocPtr doc;
    size_t capacity;
    char *err;
    size_t err_len;
};

/* Appends a slot of `kind` with copies of the strings, which may be NULL.
 * Returns its index, or -1 when out of memory. */
long view_slot_add(struct slot_walk *w, enum view_slot_kind kind,
                   const xmlChar *scope, const xmlChar *prop,
                   const xmlChar *element);

/* Gives the element a valueless marker attribute for slot `index`,
 * serialized as " ring-slot-N" inside its start tag. Returns 0 or -1. */
int view_slot_mark_attribute(xmlNodePtr node, long index);

/* Writes the message to w->err and returns -1. */
int view_walk_fail(struct slot_walk *w, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reads data-attrs and data-classes of `node` into keys of scope
 * `scope_index` for `prop` (NULL for the scope element itself), takes the
 * bound attributes and the class attribute out of the node, and marks it
 * with an ATTRS slot. Does nothing for a node without either attribute.
 * Returns 0, or -1 with a message in w->err.
 */
int view_attrs_mark(struct slot_walk *w, xmlNodePtr node, size_t scope_index,
                    const char *prop);

#endif
