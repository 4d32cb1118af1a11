/*
 * Unit tests for collections: a data-scope with data-id repeated once per
 * list item, in view_render and view_state_diff (insert, remove, move,
 * change, empty and refill).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_reader.h"
#include "view/view.h"

#define MAX_ITEMS 8

static struct view_template *load(const char *dir, const char *page)
{
    struct view_template *t = NULL;
    char err[512] = "";

    if (view_template_load(&t, dir, page, err, sizeof(err)))
        printf("    load %s/%s failed: %s\n", dir, page, err);
    CHECK(t != NULL, "template loads");
    return t;
}

/*
 * A list of up to MAX_ITEMS tasks, written as a string of one character
 * per item: the id, e.g. "132". An upper-case id gives the item the name
 * "renamed" and the class "done"; otherwise the name is "task ID".
 */
struct fixture {
    char ids[MAX_ITEMS][2];
    char names[MAX_ITEMS][16];
    struct view_field fields[MAX_ITEMS][2];
    struct view_item items[MAX_ITEMS];
    struct view_list list;
    struct view_record record;
};

static void fixture_fill(struct fixture *f, const char *spec)
{
    size_t count = strlen(spec);

    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < count && i < MAX_ITEMS; i++) {
        int renamed = spec[i] >= 'A' && spec[i] <= 'Z';

        f->ids[i][0] = renamed ? (char)(spec[i] - 'A' + 'a') : spec[i];
        snprintf(f->names[i], sizeof(f->names[i]), "%s%s",
                 renamed ? "renamed" : "task ", renamed ? "" : f->ids[i]);
        f->fields[i][0] = (struct view_field){"name", f->names[i]};
        f->fields[i][1] = (struct view_field){".done", renamed ? "" : NULL};
        f->items[i].id = f->ids[i];
        f->items[i].record.fields = f->fields[i];
        f->items[i].record.count = 2;
    }
    f->list = (struct view_list){"task", f->items, count};
    f->record = (struct view_record){.lists = &f->list, .list_count = 1};
}

static struct view_state *state_of(const struct view_template *t,
                                   const char *spec)
{
    struct fixture f;

    fixture_fill(&f, spec);
    return view_state_new(t, "board", &f.record);
}

static char *render(const struct view_template *t, const char *spec,
                    struct buf *out)
{
    struct fixture f;
    struct view_binding binding = {"board", NULL, NULL, 0};

    fixture_fill(&f, spec);
    binding.record = &f.record;
    buf_reset(out);
    CHECK(view_render(t, &binding, 1, NULL, 0, out) == 0, "render succeeds");
    return buf_data(out);
}

static void test_render_items(const struct view_template *t)
{
    struct buf out;
    const char *html;
    const char *first, *second, *holder;

    buf_init(&out, 0);
    html = render(t, "2A", &out);
    first = strstr(html, "data-id=\"2\"");
    second = strstr(html, "data-id=\"a\"");
    holder = strstr(html, "<template data-ring-template=\"task\">");
    CHECK(first != NULL, "first item written");
    CHECK(second != NULL, "second item written");
    CHECK(first < second, "items in list order");
    CHECK(holder != NULL, "item template written");
    CHECK(second < holder, "item template after the items");
    CHECK_CONTAINS(html, "<span data-prop=\"name\">task 2</span>",
                   "first item's text");
    CHECK_CONTAINS(html, "<span data-prop=\"name\">renamed</span>",
                   "second item's text");
    CHECK_CONTAINS(html, "data-id=\"a\" class=\"task done\"",
                   "item class bound");
    CHECK_CONTAINS(html, "data-id=\"2\" class=\"task\"",
                   "item class not set");
    CHECK_CONTAINS(holder,
                   "<li data-scope=\"task\" data-attrs=\"title\" "
                   "data-classes=\"done\" class=\"task\">\n      "
                   "<span data-prop=\"name\">Unnamed</span>",
                   "item template keeps the template's defaults");
    CHECK_LACKS(holder, "data-id", "item template has no data-id");

    html = render(t, "", &out);
    CHECK_LACKS(html, "data-id", "empty list renders no item");
    CHECK_CONTAINS(html, "<template data-ring-template=\"task\">",
                   "empty list keeps the item template");
    buf_free(&out);
}

static void test_render_escapes_items(const struct view_template *t)
{
    const struct view_field fields[] = {{"name", "<i>x</i>"},
                                        {"@title", "\"t\"&<"}};
    const struct view_item item = {"q\"<&", {.fields = fields, .count = 2}};
    const struct view_list list = {"task", &item, 1};
    const struct view_record record = {.lists = &list, .list_count = 1};
    const struct view_binding binding = {"board", &record, NULL, 0};
    struct buf out;

    buf_init(&out, 0);
    view_render(t, &binding, 1, NULL, 0, &out);
    CHECK_CONTAINS(buf_data(&out), "data-id=\"q&quot;&lt;&amp;\"",
                   "item id escaped");
    CHECK_CONTAINS(buf_data(&out), "title=\"&quot;t&quot;&amp;&lt;\"",
                   "item attribute escaped");
    CHECK_CONTAINS(buf_data(&out), "&lt;i&gt;x&lt;/i&gt;", "item text escaped");
    buf_free(&out);
}

/* Diffs the two lists and returns the instructions, checking the count. */
static struct json_instruction *diff(const struct view_template *t,
                                     const char *from_spec,
                                     const char *to_spec, int expected)
{
    struct view_state *from = from_spec ? state_of(t, from_spec) : NULL;
    struct view_state *to = state_of(t, to_spec);
    struct json_instruction *list = NULL;
    struct buf out;
    char label[96];
    int count;

    buf_init(&out, 0);
    count = view_state_diff(from, to, &out);
    snprintf(label, sizeof(label), "%s -> %s: %d instructions",
             from_spec ? from_spec : "(none)", to_spec, expected);
    if (!CHECK(count == expected, label))
        printf("    output: %s\n", buf_data(&out));
    snprintf(label, sizeof(label), "%s -> %s: valid instructions",
             from_spec ? from_spec : "(none)", to_spec);
    count = json_read_instructions(buf_data(&out), &list);
    if (!CHECK(count == expected, label)) {
        printf("    output: %s\n", buf_data(&out));
        if (count > 0)
            json_instructions_free(list, count);
        list = NULL;
    }
    buf_free(&out);
    view_state_free(from);
    view_state_free(to);
    return list;
}

static void check_item_op(const struct json_instruction *list, int i,
                          const char *op, const char *id, long index,
                          const char *label)
{
    const struct json_instruction *item = list ? &list[i] : NULL;
    char line[160];

    snprintf(line, sizeof(line), "%s: op", label);
    CHECK_STR(item ? item->op : NULL, op, line);
    snprintf(line, sizeof(line), "%s: scope", label);
    CHECK_STR(item ? item->scope : NULL, "task", line);
    snprintf(line, sizeof(line), "%s: id", label);
    CHECK_STR(item ? item->id : NULL, id, line);
    snprintf(line, sizeof(line), "%s: index", label);
    CHECK(item && item->index == index, line);
}

static void check_value_op(const struct json_instruction *list, int i,
                           const char *op, const char *id, const char *prop,
                           const char *value, const char *label)
{
    const struct json_instruction *item = list ? &list[i] : NULL;
    char line[160];

    snprintf(line, sizeof(line), "%s: op", label);
    CHECK_STR(item ? item->op : NULL, op, line);
    snprintf(line, sizeof(line), "%s: id", label);
    CHECK_STR(item ? item->id : NULL, id, line);
    snprintf(line, sizeof(line), "%s: prop", label);
    CHECK_STR(item ? item->prop : NULL, prop, line);
    snprintf(line, sizeof(line), "%s: value", label);
    CHECK_STR(item ? item->value : NULL, value, line);
}

static void test_diff_insert(const struct view_template *t)
{
    struct json_instruction *list = diff(t, "13", "123", 2);

    check_item_op(list, 0, "insert-item", "2", 1, "insert in the middle");
    check_value_op(list, 1, "text", "2", "name", "task 2",
                   "new item's text that differs from the template");
    json_instructions_free(list, 2);

    list = diff(t, "12", "12C", 3);
    check_item_op(list, 0, "insert-item", "c", 2, "insert at the end");
    check_value_op(list, 1, "add-class", "c", NULL, NULL, "new item's class");
    json_instructions_free(list, 3);
}

static void test_diff_remove_move_change(const struct view_template *t)
{
    struct json_instruction *list = diff(t, "123", "13", 1);

    check_item_op(list, 0, "remove-item", "2", -1, "remove");
    json_instructions_free(list, 1);

    list = diff(t, "123", "312", 1);
    check_item_op(list, 0, "move-item", "3", 0, "move last to first");
    json_instructions_free(list, 1);

    list = diff(t, "1b3", "1B3", 2);
    check_value_op(list, 0, "add-class", "b", NULL, NULL, "changed class");
    check_value_op(list, 1, "text", "b", "name", "renamed", "changed text");
    json_instructions_free(list, 2);

    list = diff(t, "123", "123", 0);
    json_instructions_free(list, 0);
}

static void test_diff_empty_refill(const struct view_template *t)
{
    struct json_instruction *list = diff(t, "12", "", 2);

    check_item_op(list, 0, "remove-item", "1", -1, "empty: first removed");
    check_item_op(list, 1, "remove-item", "2", -1, "empty: second removed");
    json_instructions_free(list, 2);

    list = diff(t, "", "45", 4);
    check_item_op(list, 0, "insert-item", "4", 0, "refill: first");
    check_value_op(list, 1, "text", "4", "name", "task 4", "refill: text");
    check_item_op(list, 2, "insert-item", "5", 1, "refill: second");
    json_instructions_free(list, 4);
}

static void test_full_snapshot(const struct view_template *t)
{
    /* 11 values of the board, the list, then 4 values per item. */
    struct json_instruction *list = diff(t, NULL, "2A", 11 + 1 + 2 * 4);
    const struct json_instruction *ids = list ? &list[11] : NULL;

    CHECK_STR(ids ? ids->op : NULL, "list", "snapshot lists the ids");
    CHECK(ids && ids->id_count == 2, "snapshot has two ids");
    CHECK_STR(ids && ids->id_count == 2 ? ids->ids[0] : NULL, "2",
              "snapshot's first id");
    CHECK_STR(ids && ids->id_count == 2 ? ids->ids[1] : NULL, "a",
              "snapshot's second id");
    check_value_op(list, 12, "remove-attr", "2", NULL, NULL,
                   "snapshot gives every item value");
    check_value_op(list, 17, "add-class", "a", NULL, NULL,
                   "snapshot gives the second item's class");
    check_value_op(list, 19, "text", "a", "badge", "new",
                   "snapshot gives values equal to the defaults too");
    json_instructions_free(list, 11 + 1 + 2 * 4);
}

static void test_invalid_ids(const struct view_template *t)
{
    struct fixture f;

    fixture_fill(&f, "121");
    CHECK(view_state_new(t, "board", &f.record) == NULL,
          "repeated id rejected");
    fixture_fill(&f, "12");
    f.items[1].id = NULL;
    CHECK(view_state_new(t, "board", &f.record) == NULL, "NULL id rejected");
}

/* Applies the item instructions to `shown` (ids, one char each) as ring.js
 * would. Returns 0, or -1 when an instruction cannot apply. */
static int apply(char *shown, const struct json_instruction *list, int count)
{
    for (int i = 0; i < count; i++) {
        const struct json_instruction *op = &list[i];
        size_t length = strlen(shown);
        char *at = op->id ? strchr(shown, op->id[0]) : NULL;

        if (strcmp(op->op, "remove-item") == 0 && at) {
            memmove(at, at + 1, strlen(at));
        } else if (strcmp(op->op, "move-item") == 0 && at &&
                   (size_t)op->index < length) {
            memmove(at, at + 1, strlen(at));
            memmove(shown + op->index + 1, shown + op->index,
                    strlen(shown + op->index) + 1);
            shown[op->index] = op->id[0];
        } else if (strcmp(op->op, "insert-item") == 0 && !at &&
                   (size_t)op->index <= length) {
            memmove(shown + op->index + 1, shown + op->index,
                    length - (size_t)op->index + 1);
            shown[op->index] = op->id[0];
        } else if (strstr(op->op, "item")) {
            return -1;
        }
    }
    return 0;
}

/* Picks `count` distinct ids out of "12345678" in a random order. */
static void random_list(char *out, size_t count, unsigned *seed)
{
    char pool[] = "12345678";

    for (size_t i = 0; i < count; i++) {
        size_t left = 8 - i;
        size_t pick;

        *seed = *seed * 1103515245u + 12345u;
        pick = (*seed >> 16) % left;
        out[i] = pool[pick];
        pool[pick] = pool[left - 1];
    }
    out[count] = '\0';
}

/* Every diff between random lists, applied to the old order, gives the
 * new order. */
static void test_diff_reorders(const struct view_template *t)
{
    unsigned seed = 7;
    int failures = 0;

    for (int round = 0; round < 300; round++) {
        char from[9], to[9], shown[10];
        struct view_state *a, *b;
        struct json_instruction *list = NULL;
        struct buf out;
        int count;

        random_list(from, (size_t)(round % 9), &seed);
        random_list(to, (size_t)((round / 9) % 9), &seed);
        a = state_of(t, from);
        b = state_of(t, to);
        buf_init(&out, 0);
        view_state_diff(a, b, &out);
        count = json_read_instructions(buf_data(&out), &list);
        snprintf(shown, sizeof(shown), "%s", from);
        if (count < 0 || apply(shown, list, count) || strcmp(shown, to)) {
            if (failures++ == 0)
                printf("    %s -> %s gave %s: %s\n", from, to, shown,
                       buf_data(&out));
        }
        if (count > 0)
            json_instructions_free(list, count);
        buf_free(&out);
        view_state_free(a);
        view_state_free(b);
    }
    CHECK(failures == 0, "300 random list diffs reorder to the new list");
}

int main(void)
{
    struct view_template *t = load(FIXTURES_DIR, "bind.html");

    if (t) {
        test_render_items(t);
        test_render_escapes_items(t);
        test_diff_insert(t);
        test_diff_remove_move_change(t);
        test_diff_empty_refill(t);
        test_full_snapshot(t);
        test_invalid_ids(t);
        test_diff_reorders(t);
        view_template_free(t);
    }
    view_cleanup();
    return check_finish();
}
