#ifndef RING_VIEW_H
#define RING_VIEW_H

#include <stddef.h>

#include "../util/buf.h"

/*
 * The view layer: templates parsed with libxml2's HTML parser once at
 * start-up, then rendered and diffed without parsing again. It knows nothing
 * of sockets or Redis: callers pass data in and get HTML or instructions out.
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
 *   - Neither file may contain the text "ring-slot-", which the compiler
 *     uses as its marker.
 */

/* One bound value; `value` is text and is escaped on output. */
struct view_field {
    const char *name;
    const char *value;
};

/* The data bound into one scope: a flat list of fields. */
struct view_record {
    const struct view_field *fields;
    size_t count;
};

/* Returns the value of the first field named `name`, or NULL when the record
 * (which may be NULL) has none. */
const char *view_record_get(const struct view_record *record, const char *name);

/*
 * One scope to bind at render time; `record` may be NULL. When `channel` is
 * not NULL, the scope's element gets the attribute
 * data-ring-channel="CHANNEL" so that ring.js can find the region that
 * follows that channel; otherwise the element has no such attribute.
 */
struct view_binding {
    const char *scope;
    const struct view_record *record;
    const char *channel;
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

/* Frees a template from view_template_load(); NULL is allowed. */
void view_template_free(struct view_template *t);

/* Returns 1 if the template has a data-scope named `scope`, 0 if not. */
int view_template_has_scope(const struct view_template *t, const char *scope);

/*
 * Renders the page as UTF-8 HTML into out (appending). Each binding fills the
 * data-prop elements of its scope; a key missing from the record leaves that
 * element's template text as it is. `meta` entries are written as
 * <meta name="NAME" content="VALUE"> at the end of <head>. Every value is
 * escaped, so it shows as text. Uses no libxml2 and parses nothing. Returns
 * 0, or -1 when out of memory (out is then as it was before the call).
 */
int view_render(const struct view_template *t,
                const struct view_binding *bindings, size_t binding_count,
                const struct view_field *meta, size_t meta_count,
                struct buf *out);

/*
 * The values a scope shows: one entry per data-prop key of the scope in the
 * template, in document order, with the value the record gives, or the
 * element's text content in the template when the record lacks the key.
 * Owned by the caller.
 */
struct view_state;

/* Returns a new state for `scope` (record may be NULL), or NULL when the
 * template has no such scope or memory is out. Free it with
 * view_state_free(), which accepts NULL. */
struct view_state *view_state_new(const struct view_template *t,
                                  const char *scope,
                                  const struct view_record *record);
void view_state_free(struct view_state *s);

/* Returns the state's value for `prop`, or NULL when the scope has no such
 * data-prop. The string lives as long as the state. */
const char *view_state_value(const struct view_state *s, const char *prop);

/*
 * Appends to out a JSON array of the instructions that turn `from` into `to`:
 *   {"op":"text","scope":"SCOPE","prop":"KEY","value":"TEXT"}
 * one per value of `to` that differs from the value `from` has for the same
 * prop, with the scope of `to` (which must not be NULL). With from == NULL
 * every value is included (a full snapshot); with no difference it appends
 * "[]". Returns the number of instructions, or -1 when out of memory (out is
 * then as it was).
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
