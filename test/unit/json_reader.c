#include "json_reader.h"

#include <stdlib.h>
#include <string.h>

/* Returns the length of the UTF-8 sequence at s, or 0 when it is invalid. */
static size_t utf8_length(const unsigned char *s, size_t left)
{
    static const struct {
        unsigned char lead_min, lead_max, next_min, next_max;
        size_t length;
    } forms[] = {
        /* Valid lead bytes, the range the second byte must be in after each
         * (which excludes overlong forms, surrogates and code points above
         * U+10FFFF), and the sequence length. */
        {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
        {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3},
        {0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
        {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
    };

    if (s[0] < 0x80)
        return 1;
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        if (s[0] < forms[f].lead_min || s[0] > forms[f].lead_max)
            continue;
        if (forms[f].length > left || s[1] < forms[f].next_min ||
            s[1] > forms[f].next_max)
            return 0;
        for (size_t i = 2; i < forms[f].length; i++) {
            if (s[i] < 0x80 || s[i] > 0xbf)
                return 0;
        }
        return forms[f].length;
    }
    return 0;
}

int json_utf8_valid(const char *s, size_t length)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < length) {
        size_t n = utf8_length(u + i, length - i);

        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static int read_hex4(const char *p, unsigned int *unit)
{
    *unit = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned int digit;

        if (c >= '0' && c <= '9')
            digit = (unsigned int)(c - '0');
        else if (c >= 'a' && c <= 'f')
            digit = (unsigned int)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            digit = (unsigned int)(c - 'A' + 10);
        else
            return -1;
        *unit = *unit * 16 + digit;
    }
    return 0;
}

static int append_code_point(struct buf *out, unsigned int cp)
{
    unsigned char bytes[4];
    size_t n;

    if (cp < 0x80) {
        bytes[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        bytes[0] = (unsigned char)(0xc0 | (cp >> 6));
        bytes[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        bytes[0] = (unsigned char)(0xe0 | (cp >> 12));
        bytes[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        bytes[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        bytes[0] = (unsigned char)(0xf0 | (cp >> 18));
        bytes[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        bytes[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        bytes[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_append(out, bytes, n);
}

/* Decodes a \uXXXX escape (p after the 'u'), joining surrogate pairs;
 * rejects a lone surrogate. Returns the text after it, or NULL. */
static const char *read_unicode_escape(const char *p, struct buf *out)
{
    unsigned int unit, low;

    if (read_hex4(p, &unit))
        return NULL;
    p += 4;
    if (unit >= 0xdc00 && unit <= 0xdfff)
        return NULL;
    if (unit >= 0xd800 && unit <= 0xdbff) {
        if (p[0] != '\\' || p[1] != 'u' || read_hex4(p + 2, &low) ||
            low < 0xdc00 || low > 0xdfff)
            return NULL;
        unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        p += 6;
    }
    return append_code_point(out, unit) ? NULL : p;
}

/* Decodes the escape after a backslash. Returns the text after it, or
 * NULL. */
static const char *read_escape(const char *p, struct buf *out)
{
    static const char names[] = "\"\\/bfnrt";
    static const char values[] = "\"\\/\b\f\n\r\t";
    const char *at;

    if (*p == 'u')
        return read_unicode_escape(p + 1, out);
    at = *p ? strchr(names, *p) : NULL;
    if (!at || buf_append(out, &values[at - names], 1))
        return NULL;
    return p + 1;
}

/* Decodes the string token at p. Returns the text after it, or NULL. */
static const char *read_string_token(const char *p, struct buf *out)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        const unsigned char c = (unsigned char)*p;
        size_t n;

        if (c < 0x20)
            return NULL; /* a raw control character, or the end of text */
        if (c == '\\') {
            p = read_escape(p + 1, out);
            if (!p)
                return NULL;
            continue;
        }
        n = utf8_length((const unsigned char *)p, strlen(p));
        if (n == 0 || buf_append(out, p, n))
            return NULL;
        p += n;
    }
    return p + 1;
}

int json_read_string(const char *text, struct buf *out)
{
    const char *p = read_string_token(skip_space(text), out);

    return p && *skip_space(p) == '\0' ? 0 : -1;
}

/* Reads a non-negative integer of at most 9 digits into *out. Returns the
 * text after it, or NULL. */
static const char *read_index(const char *p, long *out)
{
    long value = 0;
    int digits = 0;

    while (*p >= '0' && *p <= '9' && digits < 10) {
        value = value * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 9 || (digits > 1 && p[-digits] == '0'))
        return NULL;
    *out = value;
    return p;
}

/* Reads an array of strings into item->ids. Returns the text after it, or
 * NULL. */
static const char *read_ids(const char *p, struct json_instruction *item)
{
    if (*p != '[')
        return NULL;
    p = skip_space(p + 1);
    item->ids = calloc(1, sizeof(*item->ids));
    while (item->ids && *p != ']') {
        struct buf id;
        char **grown;

        if (item->id_count > 0) {
            if (*p != ',')
                return NULL;
            p = skip_space(p + 1);
        }
        buf_init(&id, 0);
        p = read_string_token(p, &id);
        grown = realloc(item->ids, (item->id_count + 2) * sizeof(*grown));
        if (!p || !grown) {
            if (grown)
                item->ids = grown;
            buf_free(&id);
            return NULL;
        }
        item->ids = grown;
        item->ids[item->id_count++] = strdup(buf_data(&id));
        buf_free(&id);
        p = skip_space(p);
    }
    return item->ids ? p + 1 : NULL;
}

/* Returns the string field of item named `key`, or NULL. */
static char **string_field(struct json_instruction *item, const char *key)
{
    static const char *const names[] = {"op", "scope", "id", "prop", "name",
                                        "value"};
    char **fields[] = {&item->op,   &item->scope, &item->id,
                       &item->prop, &item->name,  &item->value};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(key, names[i]) == 0)
            return fields[i];
    }
    return NULL;
}

/* Reads one member's value into the matching field, which must be unset so
 * far: a string, "index" (a number) or "ids" (an array of strings). Returns
 * the text after the value, or NULL. */
static const char *read_member(const char *p, struct json_instruction *item)
{
    struct buf key, value;
    char **field;

    buf_init(&key, 0);
    buf_init(&value, 0);
    p = read_string_token(skip_space(p), &key);
    if (p)
        p = skip_space(p);
    if (!p || *p != ':' || strlen(buf_data(&key)) != key.len)
        p = NULL;
    else
        p = skip_space(p + 1);
    field = p ? string_field(item, buf_data(&key)) : NULL;
    if (field && !*field) {
        p = read_string_token(p, &value);
        if (p)
            *field = strdup(buf_data(&value));
    } else if (p && strcmp(buf_data(&key), "index") == 0 && item->index < 0) {
        p = read_index(p, &item->index);
    } else if (p && strcmp(buf_data(&key), "ids") == 0 && !item->ids) {
        p = read_ids(p, item);
    } else {
        p = NULL;
    }
    buf_free(&key);
    buf_free(&value);
    return p;
}

/* Returns 1 when the members present are exactly those the op needs:
 * `required` and `optional` list them as letters (s scope, i id, p prop,
 * n name, v value, x index, l ids). */
static int has_members(const struct json_instruction *item,
                       const char *required, const char *optional)
{
    const struct {
        char letter;
        int present;
    } members[] = {
        {'s', item->scope != NULL}, {'i', item->id != NULL},
        {'p', item->prop != NULL},  {'n', item->name != NULL},
        {'v', item->value != NULL}, {'x', item->index >= 0},
        {'l', item->ids != NULL},
    };

    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        int needed = strchr(required, members[i].letter) != NULL;
        int allowed = needed || strchr(optional, members[i].letter) != NULL;

        if ((needed && !members[i].present) ||
            (!allowed && members[i].present))
            return 0;
    }
    return 1;
}

/* Checks the members against the op's shape in docs/instructions.md. */
static int valid_shape(const struct json_instruction *item)
{
    static const struct {
        const char *op, *required, *optional;
    } shapes[] = {
        {"text", "spv", "i"},         {"remove-node", "sp", "i"},
        {"set-attr", "snv", "ip"},    {"remove-attr", "sn", "ip"},
        {"add-class", "sn", "ip"},    {"remove-class", "sn", "ip"},
        {"insert-item", "six", ""},   {"move-item", "six", ""},
        {"remove-item", "si", ""},    {"list", "sl", ""},
    };

    for (size_t i = 0; item->op && i < sizeof(shapes) / sizeof(shapes[0]);
         i++) {
        if (strcmp(item->op, shapes[i].op) == 0)
            return has_members(item, shapes[i].required, shapes[i].optional);
    }
    return 0;
}

/* Reads one instruction object. Returns the text after it, or NULL. */
static const char *read_object(const char *p, struct json_instruction *item)
{
    memset(item, 0, sizeof(*item));
    item->index = -1;
    p = skip_space(p);
    if (*p != '{')
        return NULL;
    do {
        p = read_member(p + 1, item);
        if (!p)
            return NULL;
        p = skip_space(p);
    } while (*p == ',');
    if (*p != '}' || !valid_shape(item))
        return NULL;
    return p + 1;
}

/* Grows the list by one object read at p. Returns the text after it, or
 * NULL. */
static const char *read_next(const char *p, struct json_instruction **list,
                             int *count)
{
    struct json_instruction *grown;

    grown = realloc(*list, ((size_t)*count + 1) * sizeof(**list));
    if (!grown)
        return NULL;
    *list = grown;
    p = read_object(p, &grown[*count]);
    (*count)++;
    return p;
}

int json_read_instructions(const char *text, struct json_instruction **out)
{
    struct json_instruction *list = NULL;
    const char *p = skip_space(text);
    int count = 0;

    if (*p != '[')
        return -1;
    p = skip_space(p + 1);
    while (*p != ']') {
        p = read_next(p, &list, &count);
        if (!p)
            break;
        p = skip_space(p);
        if (*p != ',')
            break;
        p = skip_space(p + 1);
        if (*p == ']') {
            p = NULL; /* a trailing comma */
            break;
        }
    }
    if (!p || *p != ']' || *skip_space(p + 1) != '\0') {
        json_instructions_free(list, count);
        return -1;
    }
    *out = list;
    return count;
}

void json_instructions_free(struct json_instruction *list, int count)
{
    for (int i = 0; i < count && list; i++) {
        free(list[i].op);
        free(list[i].scope);
        free(list[i].id);
        free(list[i].prop);
        free(list[i].name);
        free(list[i].value);
        for (size_t j = 0; j < list[i].id_count; j++)
            free(list[i].ids[j]);
        free(list[i].ids);
    }
    free(list);
}
