#ifndef RING_TEST_PAGES_H
#define RING_TEST_PAGES_H

#include "../realtime/realtime.h"
#include "../store/store.h"

/*
 * Pages that only the test build registers (meson option test_pages), for
 * the browser tests of the instructions beyond text:
 *   GET /test/collection        renders test/pages/collection.html, whose
 *                               scope "fixture" follows the channel
 *                               fixture:collection:listing;
 *   GET /test/collection/set?data=DATA
 *                               replaces the fixture's data and refreshes
 *                               every page that shows it; 200 "ok".
 * DATA is text, one entry per line, lines ended by a tab or a newline.
 * "NAME=VALUE" sets a field (see struct view_field) and "NAME" alone sets
 * it to NULL. "#ID" starts a list item whose fields follow, and lines before
 * the first "#" are the scope's fields. NOTE: through the URL, use tabs,
 * because lws 4.1.6 drops a query argument's text after an encoded newline.
 * The data lives in Redis at {ring}:test:collection with its version in
 * {ring}:test:version.
 */

/* Loads the page (the layout comes from templates_dir) and registers the
 * mutable "fixture", its query, action, mutator and routes. Returns 0, or
 * -1 after logging why. Call once, at start-up. */
int test_pages_register(struct realtime *rt, struct store *store,
                        const char *templates_dir);

/* Frees what test_pages_register() loaded; call after the server stops. */
void test_pages_free(void);

#endif
