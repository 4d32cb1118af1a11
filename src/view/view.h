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

/*
 * One scope to bind at render time. When `channel` is not NULL, the scope's
 * element gets the attribute data-ring-channel="CHANNEL" so that ring.js can
 * find the region that follows that channel.
 */
struct view_binding {
    const char *scope;
    const struct view_record *record;
    const char *channel;
};

struct view_template;

/*
 * Parses and compiles layout + page from `templates_dir`. Returns 0 and sets
 * *out, or -1 with a message naming the file and the problem in err.
 */
int view_template_load(struct view_template **out, const char *templates_dir,
                       const char *page, char *err, size_t err_len);
void view_template_free(struct view_template *t);

/* Returns 1 if the template has a data-scope named `scope`, 0 if not. */
int view_template_has_scope(const struct view_template *t, const char *scope);

/*
 * Renders the page as UTF-8 HTML into out (appending). Each binding fills the
 * data-prop elements of its scope; a key missing from the record leaves that
 * element's template text as it is. `meta` entries are written as
 * <meta name="NAME" content="VALUE"> at the end of <head>. Returns 0, or -1
 * when out of memory.
 */
int view_render(const struct view_template *t,
                const struct view_binding *bindings, size_t binding_count,
                const struct view_field *meta, size_t meta_count,
                struct buf *out);

/*
 * The values a scope shows: one entry per data-prop element of the scope in
 * the template, in document order, with the value the record gives (or the
 * template text when the record lacks the key). Owned by the caller.
 */
struct view_state;

struct view_state *view_state_new(const struct view_template *t,
                                  const char *scope,
                                  const struct view_record *record);
void view_state_free(struct view_state *s);

/*
 * Appends to out a JSON array of the instructions that turn `from` into `to`:
 *   {"op":"text","scope":"SCOPE","prop":"KEY","value":"TEXT"}
 * one per value that differs. With from == NULL every value is included (a
 * full snapshot). Returns the number of instructions, or -1 when out of
 * memory.
 */
int view_state_diff(const struct view_state *from, const struct view_state *to,
                    struct buf *out);

#endif
