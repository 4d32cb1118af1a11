/* Loading a template: parse, compose, mark and split, once at start-up. */

#include "view.h"
#include "template.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#define LAYOUT_FILE "layouts/default.html"

int view_array_reserve(void *array, size_t *capacity, size_t count, size_t size)
{
    void **items = array;
    size_t grown = *capacity ? *capacity * 2 : 8;
    void *moved;

    if (count < *capacity)
        return 0;
    if (grown > SIZE_MAX / size)
        return -1;
    moved = realloc(*items, grown * size);
    if (!moved)
        return -1;
    *items = moved;
    *capacity = grown;
    return 0;
}

void view_buf_truncate(struct buf *b, size_t length)
{
    if (!b->mem || length > b->len)
        return;
    b->len = length;
    b->mem[b->headroom + length] = '\0';
}

/* Runs the compile steps that work on the composed DOM; their messages
 * name no file, so this prefixes the page's path. */
static int compile_doc(struct view_template *t, xmlDocPtr doc,
                       const char *page_path, char *err, size_t err_len)
{
    char message[512];

    if (view_slots_mark(t, doc, message, sizeof(message)) == 0 &&
        view_split(t, doc, message, sizeof(message)) == 0)
        return 0;
    snprintf(err, err_len, "%s: %s", page_path, message);
    return -1;
}

/* Parses, composes and compiles the two files into t. */
static int compile_files(struct view_template *t, const char *layout_path,
                         const char *page_path, char *err, size_t err_len)
{
    xmlDocPtr doc = view_compose(layout_path, page_path, err, err_len);
    int rc;

    if (!doc)
        return -1;
    rc = compile_doc(t, doc, page_path, err, err_len);
    xmlFreeDoc(doc);
    return rc;
}

int view_template_load_files(struct view_template **out,
                             const char *layout_path, const char *page_path,
                             char *err, size_t err_len)
{
    struct view_template *t = calloc(1, sizeof(*t));
    int rc = -1;

    if (!t)
        snprintf(err, err_len, "out of memory loading template %s",
                 page_path);
    else
        rc = compile_files(t, layout_path, page_path, err, err_len);
    if (rc) {
        view_template_free(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

int view_template_load(struct view_template **out, const char *templates_dir,
                       const char *page, char *err, size_t err_len)
{
    struct buf layout_path, page_path;
    int rc = -1;

    *out = NULL;
    buf_init(&layout_path, 0);
    buf_init(&page_path, 0);
    if (buf_printf(&layout_path, "%s/" LAYOUT_FILE, templates_dir) ||
        buf_printf(&page_path, "%s/%s", templates_dir, page))
        snprintf(err, err_len, "out of memory loading template %s", page);
    else
        rc = view_template_load_files(out, buf_data(&layout_path),
                                      buf_data(&page_path), err, err_len);
    buf_free(&layout_path);
    buf_free(&page_path);
    return rc;
}

void view_template_free(struct view_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->slot_count; i++) {
        free(t->slots[i].scope);
        free(t->slots[i].prop);
        free(t->slots[i].element);
        free(t->slots[i].keys);
        free(t->slots[i].static_class);
    }
    view_scopes_free(t);
    free(t->slots);
    free(t->parts);
    free(t->html);
    free(t);
}

int view_template_has_scope(const struct view_template *t, const char *scope)
{
    return view_scope_find(t, scope, 0) >= 0;
}

void view_cleanup(void)
{
    xmlCleanupParser();
}
