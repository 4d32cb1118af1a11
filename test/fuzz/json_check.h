#ifndef RING_FUZZ_JSON_CHECK_H
#define RING_FUZZ_JSON_CHECK_H

/*
 * A strict JSON validator (RFC 8259) for the fuzz targets, which check that
 * every encoder output is valid JSON of any shape. Strings must be valid
 * UTF-8 and nesting is limited to JSON_CHECK_MAX_DEPTH levels.
 */

#define JSON_CHECK_MAX_DEPTH 64

/* Validates the one JSON value at text, after optional white space.
 * Returns the first character after the value, or NULL when it is not
 * valid JSON. */
const char *json_check_value(const char *text);

/* Returns 1 when text is exactly one JSON value with optional white space
 * around it, 0 otherwise. */
int json_check_document(const char *text);

#endif
