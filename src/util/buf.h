#ifndef RING_BUF_H
#define RING_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer. `headroom` bytes are kept free before the data so
 * that the server can write a WebSocket header in place (lws needs LWS_PRE).
 * The owner frees it with buf_free(); every append returns 0, or -1 when out
 * of memory (the buffer is then unchanged).
 */
struct buf {
    char *mem;
    size_t headroom;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b, size_t headroom);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

/* Returns the first data byte (after the headroom); it is NUL-terminated. */
char *buf_data(const struct buf *b);

int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends text with &, <, > and both quotes written as character references,
 * safe in element content and in quoted attribute values. */
int buf_append_html(struct buf *b, const char *s, size_t len);

/* Appends s as a quoted JSON string. Invalid UTF-8 bytes become U+FFFD. */
int buf_append_json_string(struct buf *b, const char *s, size_t len);

#endif
