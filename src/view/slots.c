/* Marking the places a render fills: scopes, props, <head>, void elements. */

#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

/* HTML5 void elements: they have no content and no end tag. */
static const char *const void_elements[] = {
    "area",  "base", "br",   "col",   "embed",  "hr",    "img",
    "input", "link", "meta", "param", "source", "track", "wbr",
};

struct slot_walk {
    struct view_template *t;
    xmlDocPtr doc;
    size_t capacity;
    char *err;
    size_t err_len;
};

static char *copy_string(const xmlChar *s)
{
    return s ? strdup((const char *)s) : NULL;
}

/* Appends a slot; takes ownership of nothing. Returns its index, or -1. */
static long add_slot(struct slot_walk *w, enum view_slot_kind kind,
                     const xmlChar *scope, const xmlChar *prop,
                     const xmlChar *default_text, const xmlChar *element)
{
    struct view_template *t = w->t;
    struct view_slot *slot;

    if (view_array_reserve(&t->slots, &w->capacity, t->slot_count,
                           sizeof(*t->slots)))
        return -1;
    slot = &t->slots[t->slot_count];
    slot->kind = kind;
    slot->scope = copy_string(scope);
    slot->prop = copy_string(prop);
    slot->default_text = copy_string(default_text);
    slot->element = copy_string(element);
    t->slot_count++;
    if ((scope && !slot->scope) || (prop && !slot->prop) ||
        (default_text && !slot->default_text) || (element && !slot->element))
        return -1;
    return (long)(t->slot_count - 1);
}

static void format_marker(char *name, size_t size, long index)
{
    snprintf(name, size, VIEW_MARKER_PREFIX "%ld", index);
}

/* Adds a marker comment for slot `index` as the first or last child. */
static int add_marker_comment(struct slot_walk *w, xmlNodePtr parent,
                              long index, int first)
{
    char name[32];
    xmlNodePtr comment;

    format_marker(name, sizeof(name), index);
    comment = xmlNewDocComment(w->doc, BAD_CAST name);
    if (!comment)
        return -1;
    if (first && parent->children)
        xmlAddPrevSibling(parent->children, comment);
    else
        xmlAddChild(parent, comment);
    return 0;
}

/* Gives the scope element a valueless marker attribute, serialized as
 * " ring-slot-N" inside its start tag. */
static int mark_scope(struct slot_walk *w, xmlNodePtr node,
                      const xmlChar *scope)
{
    char name[32];
    long index = add_slot(w, VIEW_SLOT_CHANNEL, scope, NULL, NULL, NULL);

    if (index < 0)
        return -1;
    xmlUnsetProp(node, BAD_CAST "data-ring-channel");
    format_marker(name, sizeof(name), index);
    return xmlNewProp(node, BAD_CAST name, NULL) ? 0 : -1;
}

/* Brackets the element's content with begin and end markers. */
static int mark_prop(struct slot_walk *w, xmlNodePtr node, const xmlChar *scope,
                     const xmlChar *prop)
{
    xmlChar *text = xmlNodeGetContent(node);
    long begin, end;

    if (!text)
        return -1;
    begin = add_slot(w, VIEW_SLOT_PROP_BEGIN, scope, prop, text, NULL);
    xmlFree(text);
    if (begin < 0 || add_marker_comment(w, node, begin, 1))
        return -1;
    end = add_slot(w, VIEW_SLOT_PROP_END, scope, prop, NULL, NULL);
    if (end < 0 || add_marker_comment(w, node, end, 0))
        return -1;
    return 0;
}

static int is_void_element(const xmlChar *name)
{
    size_t count = sizeof(void_elements) / sizeof(void_elements[0]);

    for (size_t i = 0; i < count; i++) {
        if (xmlStrcmp(name, BAD_CAST void_elements[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * libxml2 2.9 does not know wbr, source and track, so it parses what follows
 * them as their content and writes an end tag for them. Moves that content
 * back out, after the element, and marks the end tag for removal.
 */
static int mark_void(struct slot_walk *w, xmlNodePtr node)
{
    const htmlElemDesc *known = htmlTagLookup(node->name);
    long index;

    while (node->last) {
        xmlNodePtr child = node->last;

        xmlUnlinkNode(child);
        xmlAddNextSibling(node, child);
    }
    if (known && known->empty)
        return 0;
    index = add_slot(w, VIEW_SLOT_VOID_END, NULL, NULL, NULL, node->name);
    if (index < 0)
        return -1;
    return add_marker_comment(w, node, index, 0);
}

static int mark_tree(struct slot_walk *w, xmlNodePtr node, const xmlChar *scope,
                     const xmlChar *outer_prop);

/* Marks one element and its descendants. `scope` is the nearest enclosing
 * scope and `outer_prop` the enclosing data-prop, both NULL when none. */
static int mark_element(struct slot_walk *w, xmlNodePtr node,
                        const xmlChar *scope, const xmlChar *outer_prop)
{
    xmlChar *own_scope = xmlGetProp(node, BAD_CAST "data-scope");
    xmlChar *prop = scope ? xmlGetProp(node, BAD_CAST "data-prop") : NULL;
    int rc = -1;

    if (prop && outer_prop) {
        snprintf(w->err, w->err_len,
                 "data-prop \"%s\" is inside data-prop \"%s\"; a bound value "
                 "replaces the whole content of its element",
                 (const char *)prop, (const char *)outer_prop);
        goto done;
    }
    if (prop && mark_prop(w, node, scope, prop))
        goto oom;
    if (own_scope && mark_scope(w, node, own_scope))
        goto oom;
    rc = mark_tree(w, node->children, own_scope ? own_scope : scope,
                   prop ? prop : outer_prop);
    goto done;

oom:
    snprintf(w->err, w->err_len, "out of memory");
done:
    xmlFree(own_scope);
    xmlFree(prop);
    return rc;
}

static int mark_tree(struct slot_walk *w, xmlNodePtr node, const xmlChar *scope,
                     const xmlChar *outer_prop)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (is_void_element(node->name)) {
            if (mark_void(w, node)) {
                snprintf(w->err, w->err_len, "out of memory");
                return -1;
            }
            continue;
        }
        if (mark_element(w, node, scope, outer_prop))
            return -1;
    }
    return 0;
}

static xmlNodePtr find_head(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);

    for (xmlNodePtr node = root ? root->children : NULL; node;
         node = node->next) {
        if (node->type == XML_ELEMENT_NODE &&
            xmlStrcmp(node->name, BAD_CAST "head") == 0)
            return node;
    }
    return NULL;
}

int view_slots_mark(struct view_template *t, xmlDocPtr doc, char *err,
                    size_t err_len)
{
    struct slot_walk w = {t, doc, 0, err, err_len};
    xmlNodePtr head = find_head(doc);
    long index;

    if (!head) {
        snprintf(err, err_len, "the layout has no <head> element");
        return -1;
    }
    index = add_slot(&w, VIEW_SLOT_META, NULL, NULL, NULL, NULL);
    if (index < 0 || add_marker_comment(&w, head, index, 0)) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return mark_tree(&w, doc->children, NULL, NULL);
}
