#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t headroom)
{
    b->mem = NULL;
    b->headroom = headroom;
    b->len = 0;
    b->cap = 0;
}

void buf_free(struct buf *b)
{
    free(b->mem);
    buf_init(b, b->headroom);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->mem)
        b->mem[b->headroom] = '\0';
}

char *buf_data(const struct buf *b)
{
    static char empty[1];

    return b->mem ? b->mem + b->headroom : empty;
}

/* Makes room for `more` bytes plus a NUL after the current data. */
static int buf_reserve(struct buf *b, size_t more)
{
    size_t need = b->headroom + b->len + more + 1;
    size_t cap = b->cap ? b->cap : 256;
    char *mem;

    if (need <= b->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    mem = realloc(b->mem, cap);
    if (!mem)
        return -1;
    b->mem = mem;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len))
        return -1;
    memcpy(b->mem + b->headroom + b->len, data, len);
    b->len += len;
    b->mem[b->headroom + b->len] = '\0';
    return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n))
        return -1;

    va_start(ap, fmt);
    vsnprintf(b->mem + b->headroom + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_append_html(struct buf *b, const char *s, size_t len)
{
    size_t start = 0;
    const char *ref;

    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: continue;
        }
        if (buf_append(b, s + start, i - start) || buf_append_str(b, ref))
            return -1;
        start = i + 1;
    }
    return buf_append(b, s + start, len - start);
}

/* Returns the length of the valid UTF-8 sequence at s, or 0 if invalid. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    size_t n;
    unsigned int cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* Returns the letter of the two-character JSON escape for c, or 0. */
static char json_short_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
    }
}

int buf_append_json_string(struct buf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n;

    if (buf_append(b, "\"", 1))
        return -1;
    while (i < len) {
        n = utf8_sequence_length(u + i, len - i);
        if (n == 0) {
            if (buf_append_str(b, "\\ufffd"))
                return -1;
            i++;
            continue;
        }
        if (n > 1 || (u[i] >= 0x20 && u[i] != '"' && u[i] != '\\' &&
                      u[i] != 0x7f)) {
            if (buf_append(b, s + i, n))
                return -1;
        } else if (json_short_escape(u[i])) {
            char esc[2] = {'\\', json_short_escape(u[i])};
            if (buf_append(b, esc, 2))
                return -1;
        } else if (buf_printf(b, "\\u%04x", u[i])) {
            return -1;
        }
        i += n;
    }
    return buf_append(b, "\"", 1);
}
