#include "json_check.h"

#include <string.h>

#include "json_reader.h"

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *check_value(const char *p, int depth);

/* Returns the end of the string token at p. Escaped surrogates are not
 * paired up: JSON allows a lone one, and so does this check. */
static const char *check_string(const char *p)
{
    const char *start;

    if (*p++ != '"')
        return NULL;
    start = p;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20)
            return NULL; /* a raw control character, or the end of text */
        if (c != '\\') {
            p++;
            continue;
        }
        p++;
        if (*p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!is_hex(p[i]))
                    return NULL;
            p += 5;
        } else if (*p && strchr("\"\\/bfnrt", *p)) {
            p++;
        } else {
            return NULL;
        }
    }
    if (!json_utf8_valid(start, (size_t)(p - start)))
        return NULL;
    return p + 1;
}

static const char *check_digits(const char *p)
{
    if (!is_digit(*p))
        return NULL;
    while (is_digit(*p))
        p++;
    return p;
}

static const char *check_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (!(p = check_digits(p)))
        return NULL;
    if (*p == '.' && !(p = check_digits(p + 1)))
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        p = check_digits(p);
    }
    return p;
}

/* Checks "[v, ...]" or "{"k": v, ...}" starting at p. */
static const char *check_container(const char *p, int depth)
{
    char close = *p == '[' ? ']' : '}';

    if (depth >= JSON_CHECK_MAX_DEPTH)
        return NULL;
    p = skip_space(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            p = check_string(skip_space(p));
            if (!p)
                return NULL;
            p = skip_space(p);
            if (*p++ != ':')
                return NULL;
        }
        p = check_value(p, depth + 1);
        if (!p)
            return NULL;
        p = skip_space(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *check_value(const char *p, int depth)
{
    p = skip_space(p);
    switch (*p) {
    case '{':
    case '[':
        return check_container(p, depth);
    case '"':
        return check_string(p);
    case 't':
        return strncmp(p, "true", 4) ? NULL : p + 4;
    case 'f':
        return strncmp(p, "false", 5) ? NULL : p + 5;
    case 'n':
        return strncmp(p, "null", 4) ? NULL : p + 4;
    default:
        return check_number(p);
    }
}

const char *json_check_value(const char *text)
{
    return check_value(text, 0);
}

int json_check_document(const char *text)
{
    const char *end = json_check_value(text);

    return end && *skip_space(end) == '\0';
}
