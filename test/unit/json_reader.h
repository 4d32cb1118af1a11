#ifndef RING_TEST_JSON_READER_H
#define RING_TEST_JSON_READER_H

#include <stddef.h>

#include "util/buf.h"

/*
 * A strict JSON reader for the unit tests, written apart from the code under
 * test so that the tests do not check the encoder against itself. It rejects
 * all invalid JSON, and valid JSON of any shape but two: one string, and an
 * array of instruction objects.
 */

/* One instruction object, strings decoded to UTF-8; members the object
 * lacks are NULL (index: -1). */
struct json_instruction {
    char *op;
    char *scope;
    char *id;
    char *prop;
    char *name;
    char *value;
    long index;
    char **ids;
    size_t id_count;
};

/* Returns 1 when s[0..length) is valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 otherwise. */
int json_utf8_valid(const char *s, size_t length);

/* Decodes `text`, which must be exactly one JSON string with optional
 * whitespace around it, appending the UTF-8 result to out (which may then
 * contain NUL bytes). Returns 0, or -1 when the text is not valid JSON. */
int json_read_string(const char *text, struct buf *out);

/* Parses `text` as an array of instruction objects, each with exactly the
 * members its op has in docs/instructions.md. Returns the number of objects and sets
 * *out (free it with json_instructions_free), or -1 when the text is not
 * such JSON. */
int json_read_instructions(const char *text, struct json_instruction **out);
void json_instructions_free(struct json_instruction *list, int count);

#endif
