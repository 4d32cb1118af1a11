/* Marking the places a render fills: scopes, props, <head>, void elements. */

#include "slots.h"

#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

/* HTML5 void elements: they have no content and no end tag. */
static const char *const void_elements[] = {
    "area",  "base", "br",   "col",   "embed",  "hr",    "img",
    "input", "link", "meta", "param", "source", "track", "wbr",
};

/* The walk's position: the nearest scope around the node (NULL and -1 when
 * none), whether that scope is a collection item, and the data-prop around
 * the node (NULL when none). */
struct walk_context {
    const char *scope;
    long scope_index;
    int in_item;
    const char *outer_prop;
};

int view_walk_fail(struct slot_walk *w, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vsnprintf(w->err, w->err_len, format, args);
    va_end(args);
    return -1;
}

static char *copy_string(const xmlChar *s)
{
    return s ? strdup((const char *)s) : NULL;
}

long view_slot_add(struct slot_walk *w, enum view_slot_kind kind,
                   const xmlChar *scope, const xmlChar *prop,
                   const xmlChar *element)
{
    struct view_template *t = w->t;
    struct view_slot *slot;

    if (view_array_reserve(&t->slots, &w->capacity, t->slot_count,
                           sizeof(*t->slots)))
        return -1;
    slot = &t->slots[t->slot_count];
    memset(slot, 0, sizeof(*slot));
    slot->kind = kind;
    slot->scope = copy_string(scope);
    slot->prop = copy_string(prop);
    slot->element = copy_string(element);
    t->slot_count++;
    if ((scope && !slot->scope) || (prop && !slot->prop) ||
        (element && !slot->element))
        return -1;
    return (long)(t->slot_count - 1);
}

static void format_marker(char *name, size_t size, long index)
{
    snprintf(name, size, VIEW_MARKER_PREFIX "%ld", index);
}

static xmlNodePtr new_marker_comment(struct slot_walk *w, long index)
{
    char name[32];

    format_marker(name, sizeof(name), index);
    return xmlNewDocComment(w->doc, BAD_CAST name);
}

/* Adds a marker comment for slot `index` as the first or last child. */
static int add_marker_comment(struct slot_walk *w, xmlNodePtr parent,
                              long index, int first)
{
    xmlNodePtr comment = new_marker_comment(w, index);

    if (!comment)
        return -1;
    if (first && parent->children)
        xmlAddPrevSibling(parent->children, comment);
    else
        xmlAddChild(parent, comment);
    return 0;
}

/* Adds a marker comment for slot `index` just before or after `node`. */
static int add_marker_sibling(struct slot_walk *w, xmlNodePtr node,
                              long index, int before)
{
    xmlNodePtr comment = new_marker_comment(w, index);

    if (!comment)
        return -1;
    if (before)
        xmlAddPrevSibling(node, comment);
    else
        xmlAddNextSibling(node, comment);
    return 0;
}

int view_slot_mark_attribute(xmlNodePtr node, long index)
{
    char name[32];

    format_marker(name, sizeof(name), index);
    return xmlNewProp(node, BAD_CAST name, NULL) ? 0 : -1;
}

/* Adds the slot pair BEGIN, END (consecutive indexes, which the splitter
 * relies on) with their comments around `node` or inside it. */
static int mark_pair(struct slot_walk *w, xmlNodePtr node,
                     enum view_slot_kind begin_kind, size_t scope_index,
                     size_t key_index, int inside, const xmlChar *scope,
                     const xmlChar *prop)
{
    long begin = view_slot_add(w, begin_kind, scope, prop, NULL);
    long end = begin < 0 ? -1 : view_slot_add(w, begin_kind + 1, scope, prop,
                                              NULL);

    if (end < 0)
        return -1;
    w->t->slots[begin].scope_index = w->t->slots[end].scope_index =
        scope_index;
    w->t->slots[begin].key_index = w->t->slots[end].key_index = key_index;
    if (inside)
        return add_marker_comment(w, node, begin, 1) ||
               add_marker_comment(w, node, end, 0);
    return add_marker_sibling(w, node, begin, 1) ||
           add_marker_sibling(w, node, end, 0);
}

/* Returns the index of the non-item scope `name`, adding it when new. */
static long scope_index_for(struct slot_walk *w, const char *name)
{
    long index = view_scope_find(w->t, name, 0);

    if (view_scope_find(w->t, name, 1) >= 0)
        return view_walk_fail(w, "data-scope \"%s\" is both a collection "
                                 "item and a plain scope", name);
    if (index < 0)
        index = view_scope_add(w->t, name, 0, 0);
    if (index < 0)
        view_walk_fail(w, "out of memory");
    return index;
}

/* Gives the scope element a CHANNEL marker in place of any
 * data-ring-channel or data-ring-version of its own. */
static int mark_scope(struct slot_walk *w, xmlNodePtr node, const char *scope)
{
    long index = view_slot_add(w, VIEW_SLOT_CHANNEL, BAD_CAST scope, NULL,
                               NULL);

    if (index < 0)
        return -1;
    xmlUnsetProp(node, BAD_CAST "data-ring-channel");
    xmlUnsetProp(node, BAD_CAST "data-ring-version");
    return view_slot_mark_attribute(node, index);
}

/* Marks a data-prop element: its text key, the NODE pair around it, the
 * PROP pair inside it (not for void elements), and its bound attributes. */
static int mark_prop(struct slot_walk *w, xmlNodePtr node,
                     const struct walk_context *ctx, const char *prop,
                     int is_void)
{
    struct view_scope *scope = &w->t->scopes[ctx->scope_index];
    xmlChar *text = xmlNodeGetContent(node);
    long key;

    if (!text)
        return view_walk_fail(w, "out of memory");
    key = view_key_add(scope, VIEW_KEY_TEXT, prop, NULL, (const char *)text);
    xmlFree(text);
    if (key < 0 ||
        mark_pair(w, node, VIEW_SLOT_NODE_OPEN, (size_t)ctx->scope_index,
                  (size_t)key, 0, BAD_CAST ctx->scope, BAD_CAST prop) ||
        (!is_void &&
         mark_pair(w, node, VIEW_SLOT_PROP_BEGIN, (size_t)ctx->scope_index,
                   (size_t)key, 1, BAD_CAST ctx->scope, BAD_CAST prop)))
        return view_walk_fail(w, "out of memory");
    return view_attrs_mark(w, node, (size_t)ctx->scope_index, prop);
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
    index = view_slot_add(w, VIEW_SLOT_VOID_END, NULL, NULL, node->name);
    if (index < 0)
        return -1;
    return add_marker_comment(w, node, index, 0);
}

/* Applies only the void-element repair to a subtree that is written as it
 * is: the <template> copy of a collection's item. */
static int mark_static(struct slot_walk *w, xmlNodePtr node)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (is_void_element(node->name) ? mark_void(w, node)
                                        : mark_static(w, node->children))
            return -1;
    }
    return 0;
}

/* Checks a data-scope or data-prop name for the characters that record
 * field names use as separators. */
static int check_name(struct slot_walk *w, const char *kind, const char *name)
{
    if (strpbrk(name, "@."))
        return view_walk_fail(w, "%s \"%s\" contains '@' or '.', which "
                                 "field names use to name attributes and "
                                 "classes", kind, name);
    return 0;
}

static int mark_tree(struct slot_walk *w, xmlNodePtr node,
                     const struct walk_context *ctx);

/*
 * Puts after the item element a <template data-ring-template="SCOPE"> with
 * a copy of it as the template left it (without data-id), so that ring.js
 * can make new items. The copy is taken before the element is marked.
 */
static int add_item_template(struct slot_walk *w, xmlNodePtr node,
                             const char *scope)
{
    xmlNodePtr copy = xmlDocCopyNode(node, w->doc, 1);
    xmlNodePtr holder = xmlNewDocNode(w->doc, NULL, BAD_CAST "template", NULL);

    if (!copy || !holder ||
        !xmlNewProp(holder, BAD_CAST "data-ring-template", BAD_CAST scope)) {
        xmlFreeNode(copy);
        xmlFreeNode(holder);
        return -1;
    }
    xmlUnsetProp(copy, BAD_CAST "data-id");
    xmlAddChild(holder, copy);
    xmlAddNextSibling(node, holder);
    return mark_static(w, copy);
}

/* Registers the item scope under the scope around it. Returns its index. */
static long add_item_scope(struct slot_walk *w, const struct walk_context *ctx,
                           const char *scope)
{
    struct view_scope *parent;
    long index;

    if (view_scope_find(w->t, scope, 1) >= 0 ||
        view_scope_find(w->t, scope, 0) >= 0)
        return view_walk_fail(w, "collection item data-scope \"%s\" is not "
                                 "the only data-scope of that name", scope);
    index = view_scope_add(w->t, scope, 1, (size_t)ctx->scope_index);
    parent = &w->t->scopes[ctx->scope_index];
    if (index < 0 || view_array_reserve(&parent->lists, &parent->list_capacity,
                                        parent->list_count,
                                        sizeof(*parent->lists)))
        return view_walk_fail(w, "out of memory");
    parent->lists[parent->list_count++] = (size_t)index;
    return index;
}

/* Checks the item element's place: inside a plain scope, outside data-prop
 * elements and other items, with no data-prop of its own. */
static int check_item_place(struct slot_walk *w, const struct walk_context *ctx,
                            const char *scope, const char *prop)
{
    if (!ctx->scope)
        return view_walk_fail(w, "collection item data-scope \"%s\" is "
                                 "outside every data-scope; its list comes "
                                 "from the record of the scope around it",
                              scope);
    if (ctx->in_item)
        return view_walk_fail(w, "collection item data-scope \"%s\" is "
                                 "inside item \"%s\"; collections may not "
                                 "be nested", scope, ctx->scope);
    if (prop || ctx->outer_prop)
        return view_walk_fail(w, "collection item data-scope \"%s\" is or "
                                 "is inside a data-prop element", scope);
    return 0;
}

/* Marks a collection's item element (data-scope with data-id). */
static int mark_item(struct slot_walk *w, xmlNodePtr node,
                     const struct walk_context *ctx, const char *scope,
                     const char *prop)
{
    struct walk_context inner = {scope, -1, 1, NULL};
    long id_slot;

    if (check_item_place(w, ctx, scope, prop))
        return -1;
    inner.scope_index = add_item_scope(w, ctx, scope);
    if (inner.scope_index < 0)
        return -1;
    if (add_item_template(w, node, scope) ||
        mark_pair(w, node, VIEW_SLOT_ITEM_BEGIN, (size_t)inner.scope_index,
                  0, 0, BAD_CAST scope, NULL))
        return view_walk_fail(w, "out of memory");
    xmlUnsetProp(node, BAD_CAST "data-id");
    id_slot = view_slot_add(w, VIEW_SLOT_ITEM_ID, BAD_CAST scope, NULL, NULL);
    if (id_slot < 0 || view_slot_mark_attribute(node, id_slot))
        return view_walk_fail(w, "out of memory");
    if (view_attrs_mark(w, node, (size_t)inner.scope_index, NULL))
        return -1;
    return mark_tree(w, node->children, &inner);
}

/* Marks a data-scope element that is not an item, then its content. */
static int mark_plain_scope(struct slot_walk *w, xmlNodePtr node,
                            const struct walk_context *ctx, const char *scope,
                            const char *prop)
{
    struct walk_context inner = {scope, -1, 0, prop ? prop : ctx->outer_prop};

    if (ctx->in_item)
        return view_walk_fail(w, "data-scope \"%s\" is inside collection "
                                 "item \"%s\"; items may not contain scopes",
                              scope, ctx->scope);
    inner.scope_index = scope_index_for(w, scope);
    if (inner.scope_index < 0)
        return -1;
    if (mark_scope(w, node, scope))
        return view_walk_fail(w, "out of memory");
    /* An element with data-prop too binds its attributes to that prop. */
    if (!prop && view_attrs_mark(w, node, (size_t)inner.scope_index, NULL))
        return -1;
    return mark_tree(w, node->children, &inner);
}

/* Marks one element and its descendants. */
static int mark_element(struct slot_walk *w, xmlNodePtr node,
                        const struct walk_context *ctx, int is_void)
{
    xmlChar *own = xmlGetProp(node, BAD_CAST "data-scope");
    xmlChar *prop_value =
        ctx->scope ? xmlGetProp(node, BAD_CAST "data-prop") : NULL;
    const char *scope = (const char *)own;
    const char *prop = (const char *)prop_value;
    struct walk_context inner = *ctx;
    int rc = -1;

    if ((scope && check_name(w, "data-scope", scope)) ||
        (prop && check_name(w, "data-prop", prop)))
        goto done;
    if (prop && ctx->outer_prop) {
        view_walk_fail(w, "data-prop \"%s\" is inside data-prop \"%s\"; a "
                          "bound value replaces the whole content of its "
                          "element", prop, ctx->outer_prop);
        goto done;
    }
    if (scope && xmlHasProp(node, BAD_CAST "data-id")) {
        rc = mark_item(w, node, ctx, scope, prop);
        goto done;
    }
    if (prop && mark_prop(w, node, ctx, prop, is_void))
        goto done;
    if (scope) {
        rc = mark_plain_scope(w, node, ctx, scope, prop);
        goto done;
    }
    if (prop)
        inner.outer_prop = prop;
    rc = is_void ? 0 : mark_tree(w, node->children, &inner);

done:
    xmlFree(own);
    xmlFree(prop_value);
    return rc;
}

/* Marks each element of a sibling list. The next sibling is taken before an
 * element is marked, so the comments and <template> put after it are not
 * walked; a void element is repaired first, and the content it gave up
 * follows it and is walked. */
static int mark_tree(struct slot_walk *w, xmlNodePtr node,
                     const struct walk_context *ctx)
{
    xmlNodePtr next;

    for (; node; node = next) {
        next = node->next;
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (is_void_element(node->name)) {
            if (mark_void(w, node))
                return view_walk_fail(w, "out of memory");
            next = node->next;
            if (mark_element(w, node, ctx, 1))
                return -1;
            continue;
        }
        if (mark_element(w, node, ctx, 0))
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
    struct walk_context top = {NULL, -1, 0, NULL};
    xmlNodePtr head = find_head(doc);
    long index;

    if (!head) {
        snprintf(err, err_len, "the layout has no <head> element");
        return -1;
    }
    index = view_slot_add(&w, VIEW_SLOT_META, NULL, NULL, NULL);
    if (index < 0 || add_marker_comment(&w, head, index, 0)) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return mark_tree(&w, doc->children, &top);
}
