/* Unit tests for view_template_load: the files found and the errors. */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "view/view.h"

/* Loads DIR/PAGE, which must fail, and checks the message mentions each of
 * the `expected` strings (NULL-terminated). */
static void check_load_fails(const char *dir, const char *page,
                             const char *label, const char *const *expected)
{
    static char sentinel;
    struct view_template *t = (struct view_template *)&sentinel;
    char err[512] = "";
    char line[160];

    snprintf(line, sizeof(line), "%s: load fails", label);
    CHECK(view_template_load(&t, dir, page, err, sizeof(err)) == -1, line);
    snprintf(line, sizeof(line), "%s: *out set to NULL", label);
    CHECK(t == NULL, line);
    for (; *expected; expected++) {
        snprintf(line, sizeof(line), "%s: message names \"%s\"", label,
                 *expected);
        CHECK_CONTAINS(err, *expected, line);
    }
    if (t != (struct view_template *)&sentinel)
        view_template_free(t);
}

static void test_missing_files(void)
{
    check_load_fails(FIXTURES_DIR, "missing.html", "missing page",
                     (const char *const[]){FIXTURES_DIR "/missing.html",
                                           "No such file", NULL});
    check_load_fails(FIXTURES_DIR "/no-layout", "page.html", "missing layout",
                     (const char *const[]){FIXTURES_DIR
                                           "/no-layout/layouts/default.html",
                                           "No such file", NULL});
    check_load_fails("/nonexistent-ring-dir", "index.html", "missing directory",
                     (const char *const[]){"/nonexistent-ring-dir/", NULL});
}

static void test_layout_errors(void)
{
    check_load_fails(
        FIXTURES_DIR "/no-container", "page.html", "layout without container",
        (const char *const[]){FIXTURES_DIR "/no-container/layouts/default.html",
                              "no <!-- @container --> comment", NULL});
    check_load_fails(FIXTURES_DIR "/two-containers", "page.html",
                     "layout with two containers",
                     (const char *const[]){"two-containers/layouts/default",
                                           "more than one", NULL});
    check_load_fails(
        FIXTURES_DIR "/no-head", "page.html", "layout without head",
        (const char *const[]){"no-head/page.html", "<head>", NULL});
}

static void test_page_errors(void)
{
    check_load_fails(FIXTURES_DIR, "nested-prop.html", "nested data-prop",
                     (const char *const[]){"nested-prop.html",
                                           "\"inner\" is inside data-prop "
                                           "\"outer\"",
                                           NULL});
    check_load_fails(
        FIXTURES_DIR, "reserved-text.html", "reserved marker text",
        (const char *const[]){"reserved-text.html", "\"ring-slot-\"", NULL});
}

static void test_fixture_scopes(void)
{
    struct view_template *t = NULL;
    char err[512] = "";

    CHECK(view_template_load(&t, FIXTURES_DIR, "page.html", err, sizeof(err)) ==
              0,
          "fixture page loads");
    CHECK_STR(err, "", "fixture page: no message");
    if (!t)
        return;
    CHECK(view_template_has_scope(t, "card"), "fixture has scope card");
    CHECK(view_template_has_scope(t, "inner"),
          "fixture has nested scope inner");
    CHECK(view_template_has_scope(t, "side"), "fixture has scope side");
    CHECK(!view_template_has_scope(t, "stats"), "fixture lacks scope stats");
    CHECK(!view_template_has_scope(t, "title"), "a prop name is not a scope");
    view_template_free(t);
}

static void test_real_templates(void)
{
    struct view_template *t = NULL;
    char err[512] = "";

    CHECK(view_template_load(&t, TEMPLATES_DIR, "index.html", err,
                             sizeof(err)) == 0,
          "templates/index.html loads");
    CHECK_STR(err, "", "templates/index.html: no message");
    if (!t)
        return;
    CHECK(view_template_has_scope(t, "stats"),
          "templates/index.html has scope stats");
    view_template_free(t);
}

int main(void)
{
    test_missing_files();
    test_layout_errors();
    test_page_errors();
    test_fixture_scopes();
    test_real_templates();
    view_template_free(NULL);
    view_cleanup();
    return check_finish();
}
