/* Marking bound attributes and classes: data-attrs and data-classes. */

#include "slots.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX 128
#define WHITESPACE " \t\r\n\f"

/* The ATTRS slot being built for one element. */
struct attrs_mark {
    struct slot_walk *w;
    xmlNodePtr node;
    struct view_scope *scope;
    const char *prop;
    size_t *keys;
    size_t key_count;
    size_t key_capacity;
};

/* Copies the next whitespace-separated token of *text into token and moves
 * *text past it. Returns 1 for a token, 0 at the end, -1 when it is longer
 * than TOKEN_MAX - 1 bytes. */
static int next_token(const char **text, char *token)
{
    const char *start = *text + strspn(*text, WHITESPACE);
    size_t length = strcspn(start, WHITESPACE);

    *text = start + length;
    if (length == 0)
        return 0;
    if (length >= TOKEN_MAX)
        return -1;
    memcpy(token, start, length);
    token[length] = '\0';
    return 1;
}

/* Returns 1 when the whitespace-separated list contains `token`. */
static int has_token(const char *list, const char *token)
{
    char item[TOKEN_MAX];
    int rc;

    while ((rc = next_token(&list, item)) != 0) {
        if (rc > 0 && strcmp(item, token) == 0)
            return 1;
    }
    return 0;
}

static int add_key_to_slot(struct attrs_mark *m, long key)
{
    if (key < 0 || view_array_reserve(&m->keys, &m->key_capacity,
                                      m->key_count, sizeof(*m->keys)))
        return view_walk_fail(m->w, "out of memory");
    for (size_t i = 0; i < m->key_count; i++) {
        if (m->keys[i] == (size_t)key)
            return 0;
    }
    m->keys[m->key_count++] = (size_t)key;
    return 0;
}

/* HTML attribute names are case-insensitive and libxml2 stores them in
 * lower case, so the declared names are compared in lower case too. */
static void to_lower(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

/* One name of data-attrs: its template value becomes the key's default and
 * leaves the static markup. */
static int mark_attribute(struct attrs_mark *m, char *name)
{
    xmlChar *value;
    long key;

    to_lower(name);
    if (!view_attribute_name_valid(name))
        return view_walk_fail(m->w,
                              "data-attrs names \"%s\", which data may not "
                              "set: use a plain attribute name that is not "
                              "an on* handler, class, style or srcdoc",
                              name);
    value = xmlGetProp(m->node, BAD_CAST name);
    key = view_key_add(m->scope, VIEW_KEY_ATTR, m->prop, name,
                       (const char *)value);
    xmlFree(value);
    xmlUnsetProp(m->node, BAD_CAST name);
    return add_key_to_slot(m, key);
}

static int mark_attribute_list(struct attrs_mark *m, const char *list)
{
    char name[TOKEN_MAX];
    int rc;

    while ((rc = next_token(&list, name)) != 0) {
        if (rc < 0)
            return view_walk_fail(m->w, "data-attrs has a name longer than "
                                        "%d bytes", TOKEN_MAX - 1);
        if (mark_attribute(m, name))
            return -1;
    }
    return 0;
}

/* Adds one key per class of data-classes, present by default when the
 * template's class attribute has it, and appends every other class of the
 * class attribute to `fixed`. */
static int mark_class_list(struct attrs_mark *m, const char *classes,
                           const char *template_classes, struct buf *fixed)
{
    const char *list = classes;
    char name[TOKEN_MAX];
    int rc;

    while ((rc = next_token(&list, name)) != 0) {
        const char *present;

        if (rc < 0)
            return view_walk_fail(m->w, "data-classes has a name longer "
                                        "than %d bytes", TOKEN_MAX - 1);
        present = has_token(template_classes, name) ? "" : NULL;
        if (add_key_to_slot(m, view_key_add(m->scope, VIEW_KEY_CLASS,
                                            m->prop, name, present)))
            return -1;
    }
    list = template_classes;
    while ((rc = next_token(&list, name)) != 0) {
        if (rc < 0 || has_token(classes, name))
            continue;
        if ((fixed->len && buf_append_str(fixed, " ")) ||
            buf_append_str(fixed, name))
            return view_walk_fail(m->w, "out of memory");
    }
    return 0;
}

/* Adds the ATTRS slot with the keys found and marks the node. With bound
 * classes the slot writes the whole class attribute, so the node's own
 * class attribute goes and the classes no key controls are kept in the
 * slot. */
static int finish_slot(struct attrs_mark *m, int binds_classes,
                       const struct buf *fixed)
{
    long index = view_slot_add(m->w, VIEW_SLOT_ATTRS, NULL, NULL, NULL);
    struct view_slot *slot;

    if (index < 0)
        return view_walk_fail(m->w, "out of memory");
    slot = &m->w->t->slots[index];
    slot->scope_index = (size_t)(m->scope - m->w->t->scopes);
    slot->keys = m->keys;
    slot->key_count = m->key_count;
    m->keys = NULL;
    if (fixed->len) {
        slot->static_class = strdup(buf_data(fixed));
        if (!slot->static_class)
            return view_walk_fail(m->w, "out of memory");
    }
    if (binds_classes)
        xmlUnsetProp(m->node, BAD_CAST "class");
    if (view_slot_mark_attribute(m->node, index))
        return view_walk_fail(m->w, "out of memory");
    return 0;
}

int view_attrs_mark(struct slot_walk *w, xmlNodePtr node, size_t scope_index,
                    const char *prop)
{
    struct attrs_mark m = {w, node, &w->t->scopes[scope_index], prop,
                           NULL, 0, 0};
    xmlChar *attrs = xmlGetProp(node, BAD_CAST "data-attrs");
    xmlChar *classes = xmlGetProp(node, BAD_CAST "data-classes");
    xmlChar *template_classes = xmlGetProp(node, BAD_CAST "class");
    struct buf fixed;
    int rc = 0;

    buf_init(&fixed, 0);
    if (!attrs && !classes)
        goto done;
    if (attrs)
        rc = mark_attribute_list(&m, (const char *)attrs);
    if (!rc && classes)
        rc = mark_class_list(&m, (const char *)classes,
                             template_classes ? (const char *)template_classes
                                              : "",
                             &fixed);
    if (!rc)
        rc = finish_slot(&m, classes != NULL, &fixed);

done:
    free(m.keys);
    buf_free(&fixed);
    xmlFree(attrs);
    xmlFree(classes);
    xmlFree(template_classes);
    return rc;
}
