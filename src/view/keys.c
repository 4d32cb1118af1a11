/* The values a template binds: scopes, their keys, and attribute checks. */

#include "view.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Attributes whose value browsers load or follow as a URL. */
static const char *const url_attributes[] = {
    "action",     "background", "cite",   "codebase", "data",
    "formaction", "href",       "poster", "src",      "xlink:href",
};

/* Attributes that data may not set: HTML parsed from a value (srcdoc), CSS
 * (style), the class list (data-classes binds single classes) and the
 * attributes the view layer and ring.js read. */
static const char *const reserved_attributes[] = {
    "class",     "data-attrs", "data-classes", "data-id",
    "data-prop", "data-scope", "srcdoc",       "style",
};

static int is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == ':';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int in_list(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(name, list[i]) == 0)
            return 1;
    }
    return 0;
}

int view_attribute_name_valid(const char *name)
{
    size_t reserved =
        sizeof(reserved_attributes) / sizeof(reserved_attributes[0]);

    if (!name || !is_name_start(name[0]))
        return 0;
    for (const char *c = name + 1; *c; c++) {
        if (!is_name_char(*c))
            return 0;
    }
    if (strncasecmp(name, "on", 2) == 0 ||
        strncasecmp(name, "data-ring-", 10) == 0)
        return 0;
    return !in_list(name, reserved_attributes, reserved);
}

/* Returns 1 when the URL starts with `scheme` (lower case, with its colon)
 * as a browser reads it: leading spaces and control characters skipped,
 * tabs and line breaks inside ignored, letters in any case. */
static int has_scheme(const char *url, const char *scheme)
{
    while (*url && (unsigned char)*url <= 0x20)
        url++;
    while (*scheme) {
        char c = *url++;

        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *scheme++)
            return 0;
    }
    return 1;
}

int view_attribute_value_safe(const char *name, const char *value)
{
    size_t count = sizeof(url_attributes) / sizeof(url_attributes[0]);

    if (!value || !in_list(name, url_attributes, count))
        return 1;
    return !has_scheme(value, "javascript:") &&
           !has_scheme(value, "vbscript:");
}

const struct view_field *view_record_find(const struct view_record *record,
                                          const char *name)
{
    if (!record)
        return NULL;
    for (size_t i = 0; i < record->count; i++) {
        if (strcmp(record->fields[i].name, name) == 0)
            return &record->fields[i];
    }
    return NULL;
}

const char *view_record_get(const struct view_record *record, const char *name)
{
    const struct view_field *field = view_record_find(record, name);

    return field ? field->value : NULL;
}

const char *view_key_value(const struct view_key *key,
                           const struct view_record *record)
{
    const struct view_field *field = view_record_find(record, key->field);
    const char *value = field ? field->value : key->default_value;

    if (!value)
        return NULL;
    if (key->kind == VIEW_KEY_CLASS)
        return "";
    if (key->kind == VIEW_KEY_ATTR &&
        !view_attribute_value_safe(key->name, value))
        return NULL;
    return value;
}

long view_scope_find(const struct view_template *t, const char *name,
                     int is_item)
{
    for (size_t i = 0; i < t->scope_count; i++) {
        if (t->scopes[i].is_item == is_item &&
            strcmp(t->scopes[i].name, name) == 0)
            return (long)i;
    }
    return -1;
}

long view_key_find(const struct view_scope *s, const char *field)
{
    for (size_t i = 0; i < s->key_count; i++) {
        if (strcmp(s->keys[i].field, field) == 0)
            return (long)i;
    }
    return -1;
}

long view_scope_add(struct view_template *t, const char *name, int is_item,
                    size_t parent)
{
    struct view_scope *s;

    if (view_array_reserve(&t->scopes, &t->scope_capacity, t->scope_count,
                           sizeof(*t->scopes)))
        return -1;
    s = &t->scopes[t->scope_count];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    if (!s->name)
        return -1;
    s->is_item = is_item;
    s->parent = parent;
    return (long)t->scope_count++;
}

/* Builds the record field name of a key: "KEY", "KEY@ATTR", "KEY.CLASS",
 * "@ATTR" or ".CLASS". Returns a new string, or NULL. */
static char *make_field(enum view_key_kind kind, const char *prop,
                        const char *name)
{
    const char *separator = kind == VIEW_KEY_ATTR ? "@" : ".";
    size_t size;
    char *field;

    if (kind == VIEW_KEY_TEXT)
        return strdup(prop);
    size = (prop ? strlen(prop) : 0) + 1 + strlen(name) + 1;
    field = malloc(size);
    if (field)
        snprintf(field, size, "%s%s%s", prop ? prop : "", separator, name);
    return field;
}

long view_key_add(struct view_scope *s, enum view_key_kind kind,
                  const char *prop, const char *name,
                  const char *default_value)
{
    char *field = make_field(kind, prop, name);
    struct view_key *key;
    long found;

    if (!field)
        return -1;
    found = view_key_find(s, field);
    if (found >= 0 || view_array_reserve(&s->keys, &s->key_capacity,
                                         s->key_count, sizeof(*s->keys))) {
        free(field);
        return found;
    }
    key = &s->keys[s->key_count];
    key->kind = kind;
    key->field = field;
    key->prop = prop ? strdup(prop) : NULL;
    key->name = name ? strdup(name) : NULL;
    key->default_value = default_value ? strdup(default_value) : NULL;
    s->key_count++;
    if ((prop && !key->prop) || (name && !key->name) ||
        (default_value && !key->default_value))
        return -1;
    return (long)(s->key_count - 1);
}

void view_scopes_free(struct view_template *t)
{
    for (size_t i = 0; i < t->scope_count; i++) {
        struct view_scope *s = &t->scopes[i];

        for (size_t k = 0; k < s->key_count; k++) {
            free(s->keys[k].field);
            free(s->keys[k].prop);
            free(s->keys[k].name);
            free(s->keys[k].default_value);
        }
        free(s->keys);
        free(s->lists);
        free(s->name);
    }
    free(t->scopes);
}
