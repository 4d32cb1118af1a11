#ifndef RING_VIEW_H
#define RING_VIEW_H

#include <stddef.h>

#include "../util/buf.h"

/*
 * The view layer: templates parsed with libxml2's HTML parser once at
 * start-up, then rendered and diffed without parsing again. It knows nothing
 * of sockets or Redis: callers pass data in and get HTML or instructions out.
 * docs/instructions.md describes the template conventions, the data and the
 * instructions in full.
 *
 * Template conventions:
 *   - templates/layouts/default.html is the layout; the comment
 *     <!-- @container --> in it marks where the page's body goes.
 *   - templates/<page> holds the page's body content.
 *   - data-scope="NAME" marks a scope; data-prop="KEY" inside it marks an
 *     element whose text is the bound value of KEY.
 *   - A data-prop element belongs to the nearest data-scope element around
 *     it (not counting itself); one outside every scope is left alone.
 *   - The element's template content (e.g. "0") is the default; a bound
 *     value replaces all of it. A data-prop inside another is rejected.
 *   - data-attrs="NAME ..." on a data-prop element, or on a data-scope
 *     element without data-prop, lists the attributes that data sets on it;
 *     data-classes="NAME ..." lists the classes that data adds or removes.
 *     The template's own values are the defaults. Attribute names must match
 *     [a-zA-Z_:][-a-zA-Z0-9_:.]*; on* handlers, class, style, srcdoc and the
 *     data-* names above are rejected at load.
 *   - A data-scope element that also has data-id is a collection item: it
 *     is repeated once per item of the list named like it in the record of
 *     the enclosing scope, and the page carries a copy of it, with the
 *     template's defaults, in <template data-ring-template="SCOPE">. Only one
 *     level: an item may not contain another data-scope.
 *   - Names in data-scope and data-prop may not contain '@' or '.'.
 *   - Neither file may contain the text "ring-slot-", which the compiler
 *     uses as its marker.
 */

/*
 * One bound value. `name` names what it sets, for the prop KEY of a scope:
 *   "KEY"        the text of the data-prop="KEY" elements; a NULL value
 *                removes them from the page (until a later value brings
 *                them back);
 *   "KEY@ATTR"   attribute ATTR of those elements; NULL removes it;
 *   "KEY.CLASS"  class CLASS of those elements: present unless NULL;
 *   "@ATTR", ".CLASS"  the same on the scope or item element itself.
 * Only what the template declares is bound; other names are ignored. A
 * field that is missing leaves the template's default. `value` is text and
 * is escaped on output. A URL attribute (href, src, action, ...) whose value
 * starts with "javascript:" or "vbscript:" is treated as NULL.
 */
struct view_field {
    const char *name;
    const char *value;
};

struct view_list;

/* The data bound into one scope: fields, and the lists of its collections
 * (none inside an item's record). Zero-filling lists and list_count gives a
 * record without collections. */
struct view_record {
    const struct view_field *fields;
    size_t count;
    const struct view_list *lists;
    size_t list_count;
};

/* One item of a collection; ids must be unique within the list. */
struct view_item {
    const char *id;
    struct view_record record;
};

/* The items of the collection whose item element has data-scope="SCOPE".
 * A record that has no list for a collection shows it empty. */
struct view_list {
    const char *scope;
    const struct view_item *items;
    size_t count;
};

/* Returns the value of the first field named `name`, or NULL when the record
 * (which may be NULL) has none or the field's value is NULL. */
const char *view_record_get(const struct view_record *record, const char *name);

/* Returns the first field named `name`, or NULL when the record (which may be
 * NULL) has none. */
const struct view_field *view_record_find(const struct view_record *record,
                                          const char *name);

/* Returns 1 when `name` may be bound as an attribute: it matches
 * [a-zA-Z_:][-a-zA-Z0-9_:.]*, is not an on* event handler, and is not class,
 * style, srcdoc or a name the view layer itself uses. Returns 0 otherwise. */
int view_attribute_name_valid(const char *name);

/* Returns 0 when `name` is a URL attribute (href, src, ...) and `value`
 * starts with a javascript: or vbscript: scheme, else 1. Like browsers, the
 * check ignores case, leading spaces and control characters, and tabs or
 * line breaks inside the scheme. */
int view_attribute_value_safe(const char *name, const char *value);

/*
 * One scope to bind at render time; `record` may be NULL. When `channel` is
 * not NULL, the scope's element gets the attribute
 * data-ring-channel="CHANNEL" so that ring.js can find the region that
 * follows that channel, and, when `version` is not 0, data-ring-version=
 * "VERSION", the version of the state the page shows. Otherwise the element
 * has neither attribute.
 */
struct view_binding {
    const char *scope;
    const struct view_record *record;
    const char *channel;
    unsigned long long version;
};

struct view_template;

/*
 * Parses and compiles templates_dir/layouts/default.html with
 * templates_dir/PAGE. Returns 0 and sets *out, or -1, sets *out to NULL and
 * writes a message naming the file and the problem to err. Not thread-safe:
 * call it at start-up. The caller frees *out with view_template_free().
 */
int view_template_load(struct view_template **out, const char *templates_dir,
                       const char *page, char *err, size_t err_len);

/* Like view_template_load(), with the layout and the page given as paths,
 * for pages kept apart from the templates folder. */
int view_template_load_files(struct view_template **out,
                             const char *layout_path, const char *page_path,
                             char *err, size_t err_len);

/* Frees a template from view_template_load(); NULL is allowed. */
void view_template_free(struct view_template *t);

/* Returns 1 if the template has a data-scope named `scope` that is not a
 * collection item, 0 if not. */
int view_template_has_scope(const struct view_template *t, const char *scope);

/*
 * Renders the page as UTF-8 HTML into out (appending). Each binding fills the
 * data-prop elements, bound attributes and classes, and collections of its
 * scope; a field missing from the record leaves the template's default. An
 * element whose text field is NULL is written inside
 * <template data-ring-removed="KEY">, which browsers do not show. `meta`
 * entries are written as <meta name="NAME" content="VALUE"> at the end of
 * <head>. Every value is escaped, so it shows as text. Item ids are not
 * checked for duplicates here (view_state_new() rejects them). Uses no
 * libxml2 and parses nothing. Returns 0, or -1 when out of memory (out is
 * then as it was before the call).
 */
int view_render(const struct view_template *t,
                const struct view_binding *bindings, size_t binding_count,
                const struct view_field *meta, size_t meta_count,
                struct buf *out);

/*
 * The values a scope shows: one entry per text, attribute and class the
 * template binds in the scope, in document order, with the value the record
 * gives or the template's default. Each item of each of its collections
 * has the same. It points into the template, which must outlive it. Owned by
 * the caller.
 */
struct view_state;

/* Returns a new state for `scope` (record may be NULL), or NULL when the
 * template has no such scope, a list has an item with a NULL or repeated
 * id, or memory is out. Free it with view_state_free(), which accepts
 * NULL. */
struct view_state *view_state_new(const struct view_template *t,
                                  const char *scope,
                                  const struct view_record *record);
void view_state_free(struct view_state *s);

/* Returns the state's value for the field `name` ("KEY", "KEY@ATTR", ...),
 * or NULL when the scope binds no such field or its value is absent (a
 * removed node or attribute, a class not set). The string lives as long as
 * the state. */
const char *view_state_value(const struct view_state *s, const char *name);

/*
 * Appends to out a JSON array of the instructions that turn `from` into `to`
 * (docs/instructions.md lists them), for example
 *   {"op":"text","scope":"SCOPE","prop":"KEY","value":"TEXT"}
 * one per value of `to` that differs from `from`, plus the item inserts,
 * removals and moves of its collections. Both states must be of the same
 * scope of the same template; `to` must not be NULL. With from == NULL every
 * value is included (a full snapshot, which also lists each collection's
 * ids); with no difference it appends "[]". Returns the number of
 * instructions, or -1 when out of memory (out is then as it was).
 */
int view_state_diff(const struct view_state *from, const struct view_state *to,
                    struct buf *out);

/*
 * Frees libxml2's global state. Call it once at exit, after the last
 * view_template_load(), because libxml2 cannot be used again afterwards.
 * Loaded templates still render, since rendering does not use libxml2.
 */
void view_cleanup(void);

#endif
