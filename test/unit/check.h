#ifndef RING_TEST_CHECK_H
#define RING_TEST_CHECK_H

/*
 * Checks for the unit tests: each prints one line, "ok - LABEL" or
 * "FAIL - LABEL" with the file and line, and a failure makes check_finish()
 * return a non-zero exit status.
 */

#define CHECK(condition, label)                                                \
    check_report(!!(condition), __FILE__, __LINE__, (label))
#define CHECK_STR(actual, expected, label)                                     \
    check_strings((actual), (expected), __FILE__, __LINE__, (label))
#define CHECK_CONTAINS(haystack, needle, label)                                \
    check_contains((haystack), (needle), 1, __FILE__, __LINE__, (label))
#define CHECK_LACKS(haystack, needle, label)                                   \
    check_contains((haystack), (needle), 0, __FILE__, __LINE__, (label))

/* Prints the check's line. Returns `ok`. */
int check_report(int ok, const char *file, int line, const char *label);

/* Checks that two strings are equal (NULL equals only NULL); on failure
 * prints both. Returns 1 when they are equal. */
int check_strings(const char *actual, const char *expected, const char *file,
                  int line, const char *label);

/* Checks that `needle` occurs in `haystack` (want = 1) or does not (want =
 * 0); on failure prints the haystack. Returns 1 when the check passed. */
int check_contains(const char *haystack, const char *needle, int want,
                   const char *file, int line, const char *label);

/* Prints the totals. Returns the exit status for main(): 0 when every
 * check passed, 1 otherwise. */
int check_finish(void);

#endif
