/* Unit tests for view_state_new and view_state_diff. */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "json_reader.h"
#include "view/view.h"

static struct view_template *load(const char *dir, const char *page)
{
    struct view_template *t = NULL;
    char err[512] = "";

    if (view_template_load(&t, dir, page, err, sizeof(err)))
        printf("    load %s/%s failed: %s\n", dir, page, err);
    CHECK(t != NULL, "template loads");
    return t;
}

/* Diffs `from` into `to`, checks the count returned and that the output is
 * valid JSON with that many instructions; returns them (or NULL). */
static struct json_instruction *diff(const struct view_state *from,
                                     const struct view_state *to, int expected,
                                     const char *label)
{
    struct json_instruction *list = NULL;
    struct buf out;
    char line[160];
    int count;

    buf_init(&out, 0);
    count = view_state_diff(from, to, &out);
    snprintf(line, sizeof(line), "%s: returns %d", label, expected);
    CHECK(count == expected, line);
    snprintf(line, sizeof(line), "%s: valid JSON, %d instructions", label,
             expected);
    count = json_read_instructions(buf_data(&out), &list);
    if (!CHECK(count == expected, line)) {
        printf("    output: %s\n", buf_data(&out));
        if (count > 0)
            json_instructions_free(list, count);
        list = NULL;
    }
    buf_free(&out);
    return list;
}

static void check_instruction(const struct json_instruction *item,
                              const char *scope, const char *prop,
                              const char *value, const char *label)
{
    char line[160];

    snprintf(line, sizeof(line), "%s: op", label);
    CHECK_STR(item ? item->op : NULL, "text", line);
    snprintf(line, sizeof(line), "%s: scope", label);
    CHECK_STR(item ? item->scope : NULL, scope, line);
    snprintf(line, sizeof(line), "%s: prop", label);
    CHECK_STR(item ? item->prop : NULL, prop, line);
    snprintf(line, sizeof(line), "%s: value", label);
    CHECK_STR(item ? item->value : NULL, value, line);
}

static void test_state_values(const struct view_template *t)
{
    const struct view_field fields[] = {{"count", "7"}, {"label", "x"}};
    const struct view_record record = {.fields = fields, .count = 2};
    struct view_state *s = view_state_new(t, "card", &record);

    CHECK(view_state_new(t, "no-such-scope", NULL) == NULL,
          "state of an unknown scope is NULL");
    CHECK(s != NULL, "state of scope card");
    if (!s)
        return;
    CHECK_STR(view_state_value(s, "count"), "7", "record value used");
    CHECK_STR(view_state_value(s, "title"), "Untitled",
              "template text used when the record lacks the key");
    CHECK_STR(view_state_value(s, "note"), "none",
              "template text of markup is its text content");
    CHECK_STR(view_state_value(s, "label"), NULL,
              "a nested scope's prop is not in the outer state");
    CHECK_STR(view_state_value(s, "status"), NULL, "unknown prop is NULL");
    view_state_free(s);
    view_state_free(NULL);
}

static void test_full_snapshot(const struct view_template *t)
{
    struct view_state *s = view_state_new(t, "card", NULL);
    struct json_instruction *list = diff(NULL, s, 4, "full snapshot");

    if (list) {
        check_instruction(&list[0], "card", "title", "Untitled", "first");
        check_instruction(&list[1], "card", "count", "-",
                          "second, once for two elements");
        check_instruction(&list[2], "card", "note", "none", "third");
        check_instruction(&list[3], "card", "last", "x", "fourth");
    }
    json_instructions_free(list, 4);
    view_state_free(s);

    s = view_state_new(t, "inner", NULL);
    list = diff(NULL, s, 1, "nested scope snapshot");
    if (list)
        check_instruction(&list[0], "inner", "label", "inner default",
                          "nested scope");
    json_instructions_free(list, 1);
    view_state_free(s);
}

static void test_changes_only(const struct view_template *t)
{
    const struct view_field one[] = {{"count", "5"}};
    const struct view_field two[] = {{"count", "6"}, {"last", "y"}};
    const struct view_record one_record = {.fields = one, .count = 1};
    const struct view_record two_record = {.fields = two, .count = 2};
    struct view_state *before = view_state_new(t, "card", NULL);
    struct view_state *after_one = view_state_new(t, "card", &one_record);
    struct view_state *after_two = view_state_new(t, "card", &two_record);
    struct json_instruction *list;

    list = diff(before, after_one, 1, "one value changed");
    if (list)
        check_instruction(&list[0], "card", "count", "5", "changed count");
    json_instructions_free(list, 1);

    list = diff(after_one, after_two, 2, "two values changed");
    if (list) {
        check_instruction(&list[0], "card", "count", "6", "count again");
        check_instruction(&list[1], "card", "last", "y", "last changed");
    }
    json_instructions_free(list, 2);

    list = diff(after_two, before, 2, "changed back");
    json_instructions_free(list, 2);

    view_state_free(before);
    view_state_free(after_one);
    view_state_free(after_two);
}

static void test_no_change(const struct view_template *t)
{
    const struct view_field fields[] = {{"count", "5"}};
    const struct view_record record = {.fields = fields, .count = 1};
    struct view_state *a = view_state_new(t, "card", &record);
    struct view_state *b = view_state_new(t, "card", &record);
    struct buf out;

    buf_init(&out, 0);
    buf_append_str(&out, "prefix:");
    CHECK(view_state_diff(a, b, &out) == 0, "no change returns 0");
    CHECK_STR(buf_data(&out), "prefix:[]", "no change appends an empty array");
    CHECK(view_state_diff(a, a, &out) == 0, "state against itself is 0");
    buf_free(&out);
    view_state_free(a);
    view_state_free(b);
}

/* Values that need escaping must come out as valid JSON that decodes to
 * the same text, or with U+FFFD for bytes that are not UTF-8. */
static void test_json_escaping(const struct view_template *t)
{
    const struct view_field fields[] = {
        {"title", "\"quoted\" back\\slash </script>"},
        {"count", "line\nbreak\ttab\x01"},
        {"note", "naïve ✓ 😀"},
        {"last", "bad \xff byte"},
    };
    const struct view_record record = {.fields = fields, .count = 4};
    struct view_state *s = view_state_new(t, "card", &record);
    struct json_instruction *list = diff(NULL, s, 4, "escaped values");

    if (list) {
        CHECK_STR(list[0].value, fields[0].value, "quotes and backslash");
        CHECK_STR(list[1].value, fields[1].value, "control characters");
        CHECK_STR(list[2].value, fields[2].value, "non-ASCII UTF-8");
        CHECK_STR(list[3].value, "bad \xef\xbf\xbd byte",
                  "invalid UTF-8 byte becomes U+FFFD");
    }
    json_instructions_free(list, 4);
    view_state_free(s);
}

static void test_real_templates(void)
{
    struct view_template *t = load(TEMPLATES_DIR, "index.html");
    const struct view_field fields[] = {{"active", "1"}, {"total", "12"}};
    const struct view_record record = {.fields = fields, .count = 2};
    struct view_state *zero, *now;
    struct buf out;

    if (!t)
        return;
    zero = view_state_new(t, "stats", NULL);
    now = view_state_new(t, "stats", &record);
    CHECK_STR(zero ? view_state_value(zero, "total") : NULL, "0",
              "index: total defaults to 0");
    CHECK_STR(zero ? view_state_value(zero, "active") : NULL, "0",
              "index: active defaults to 0");
    buf_init(&out, 0);
    CHECK(view_state_diff(NULL, now, &out) == 2, "index: snapshot has 2");
    CHECK_STR(buf_data(&out),
              "[{\"op\":\"text\",\"scope\":\"stats\",\"prop\":\"total\","
              "\"value\":\"12\"},{\"op\":\"text\",\"scope\":\"stats\","
              "\"prop\":\"active\",\"value\":\"1\"}]",
              "index: snapshot in document order");
    buf_free(&out);
    view_state_free(zero);
    view_state_free(now);
    view_template_free(t);
}

/* The checks above rely on the reader rejecting what is not JSON or not
 * an instruction. */
static void test_reader_rejects(void)
{
    static const char *const invalid[] = {
        "",
        "[",
        "[{\"op\":\"text\",\"scope\":\"s\",\"prop\":\"p\",\"value\":\"v\"},]",
        "[{\"op\":\"text\",\"scope\":\"s\",\"prop\":\"p\"}]",
        "[{\"op\":\"text\",\"scope\":\"s\",\"prop\":\"p\",\"value\":1}]",
        "[{\"op\":\"text\",\"op\":\"text\",\"scope\":\"s\",\"prop\":\"p\","
        "\"value\":\"v\"}]",
        "[{\"op\":\"text\",\"scope\":\"s\",\"prop\":\"p\",\"value\":\"v\","
        "\"extra\":\"x\"}]",
        "[{\"op\":\"text\" \"scope\":\"s\",\"prop\":\"p\",\"value\":\"v\"}]",
        "[] []",
    };
    struct json_instruction *list = NULL;

    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        char label[96];

        snprintf(label, sizeof(label), "json reader rejects invalid case %zu",
                 i);
        CHECK(json_read_instructions(invalid[i], &list) == -1, label);
    }
    CHECK(json_read_instructions(" [ ] ", &list) == 0,
          "json reader accepts an empty array");
    json_instructions_free(list, 0);
}

int main(void)
{
    struct view_template *t = load(FIXTURES_DIR, "page.html");

    if (t) {
        test_state_values(t);
        test_full_snapshot(t);
        test_changes_only(t);
        test_no_change(t);
        test_json_escaping(t);
        view_template_free(t);
    }
    test_real_templates();
    test_reader_rejects();
    view_cleanup();
    return check_finish();
}
