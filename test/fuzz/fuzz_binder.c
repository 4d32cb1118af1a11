/*
 * Fuzz target for the template binder. A fixed set of templates under
 * test/fuzz/templates is compiled once; each input describes two records
 * A and B (see binder_input.h). For each input it
 *   - renders A and B, and checks that their values add no markup: the
 *     output has the same '<', '>', quotes and tag names as the render of
 *     the same records with those characters removed from every value;
 *   - builds the states of A and B, which must fail exactly when a list
 *     has a NULL or repeated id;
 *   - checks that snapshot(B), diff(A, B) and diff(B, B) are valid
 *     instruction arrays, that diff(B, B) is empty, and that applying
 *     diff(A, B) after snapshot(A) shows the same as snapshot(B).
 */

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binder_input.h"
#include "binder_model.h"
#include "fuzz_common.h"
#include "json_reader.h"
#include "view/view.h"

#define MAX_ITEM_SCOPES 2

/* One template and the scope the input binds, with its collections. */
struct binder_row {
    const char *page;
    const char *scope;
    const char *item_scopes[MAX_ITEM_SCOPES];
    struct view_template *template;
    struct binder_model defaults;
};

static struct binder_row rows[] = {
    {"board.html", "board", {"task"}, NULL, {0}},
    {"lists.html", "shelf", {"book", "row"}, NULL, {0}},
    {"lists.html", "side", {NULL}, NULL, {0}},
    {"counters.html", "stats", {NULL}, NULL, {0}},
};

#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

/* Parses an instruction array that must be valid. The caller frees it. */
static struct json_instruction *read_payload(const char *json, int expected,
                                             const char *what)
{
    struct json_instruction *list = NULL;
    int count = json_read_instructions(json, &list);

    FUZZ_CHECK(count == expected, "%s: %d instructions read, %d written: %s",
               what, count, expected, json);
    return list;
}

/* Builds the model a full snapshot of `state` shows. */
static void model_of_snapshot(const struct view_state *state,
                              const struct binder_model *defaults,
                              struct binder_model *model)
{
    struct buf out;
    struct json_instruction *list;
    char error[256];
    int count;

    buf_init(&out, 0);
    count = view_state_diff(NULL, state, &out);
    FUZZ_CHECK(count >= 0, "snapshot failed");
    list = read_payload(buf_data(&out), count, "snapshot");
    memset(model, 0, sizeof(*model));
    FUZZ_CHECK(binder_model_apply(model, list, count, defaults, error,
                                  sizeof(error)) == 0,
               "snapshot does not apply: %s: %s", error, buf_data(&out));
    json_instructions_free(list, count);
    buf_free(&out);
}

/* Computes, per row, the values a new item starts with: the snapshot of a
 * state whose lists hold one item with an empty record. */
static void load_defaults(struct binder_row *row)
{
    struct view_item items[MAX_ITEM_SCOPES];
    struct view_list lists[MAX_ITEM_SCOPES];
    struct view_record record = {NULL, 0, lists, 0};
    struct view_state *state;

    for (size_t i = 0; i < MAX_ITEM_SCOPES && row->item_scopes[i]; i++) {
        items[i] = (struct view_item){"default", {NULL, 0, NULL, 0}};
        lists[i] = (struct view_list){row->item_scopes[i], &items[i], 1};
        record.list_count++;
    }
    state = view_state_new(row->template, row->scope, &record);
    FUZZ_CHECK(state != NULL, "no state for scope %s of %s", row->scope,
               row->page);
    model_of_snapshot(state, NULL, &row->defaults);
    view_state_free(state);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *layout = FUZZ_TEMPLATES_DIR "/layouts/default.html";
    char path[4096], err[512];

    (void)argc;
    (void)argv;
    for (size_t i = 0; i < ROW_COUNT; i++) {
        for (size_t j = 0; j < i && !rows[i].template; j++)
            if (!strcmp(rows[j].page, rows[i].page))
                rows[i].template = rows[j].template;
        if (!rows[i].template) {
            snprintf(path, sizeof(path), "%s/%s", FUZZ_TEMPLATES_DIR,
                     rows[i].page);
            if (view_template_load_files(&rows[i].template, layout, path, err,
                                         sizeof(err))) {
                fprintf(stderr, "fuzz_binder: %s\n", err);
                abort();
            }
        }
        load_defaults(&rows[i]);
    }
    return 0;
}

/* Keeps the characters that make markup: '<', '>', quotes, and the name
 * after each '<'. */
static void project_markup(const char *html, struct buf *out)
{
    for (const char *p = html; *p; p++) {
        if (!strchr("<>\"'", *p))
            continue;
        buf_append(out, p, 1);
        if (*p != '<')
            continue;
        while (isalnum((unsigned char)p[1]) || p[1] == '!' || p[1] == '/' ||
               p[1] == '-') {
            p++;
            buf_append(out, p, 1);
        }
    }
}

static int has_script_tag(const char *html)
{
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<'))
        if (!strncasecmp(p + 1, "script", 6))
            return 1;
    return 0;
}

static void render_record(const struct binder_row *row,
                          const struct binder_input *in,
                          const struct view_record *record, struct buf *out)
{
    const struct view_binding binding = {row->scope, record, in->channel,
                                         in->version};

    FUZZ_CHECK(view_render(row->template, &binding, 1, in->meta, in->meta_count,
                           out) == 0,
               "render failed");
}

/* Renders the record of `in` and `plain` (the same input with markup
 * characters removed from values) and compares their markup. */
static void check_render(const struct binder_row *row,
                         const struct binder_input *in,
                         const struct binder_input *plain, int use_b)
{
    struct buf html, plain_html, markup, plain_markup;

    buf_init(&html, 0);
    buf_init(&plain_html, 0);
    buf_init(&markup, 0);
    buf_init(&plain_markup, 0);
    render_record(row, in, use_b ? &in->b.record : &in->a.record, &html);
    render_record(row, plain, use_b ? &plain->b.record : &plain->a.record,
                  &plain_html);
    FUZZ_CHECK(!has_script_tag(buf_data(&html)), "values made <script: %s",
               buf_data(&html));
    project_markup(buf_data(&html), &markup);
    project_markup(buf_data(&plain_html), &plain_markup);
    FUZZ_CHECK(!strcmp(buf_data(&markup), buf_data(&plain_markup)),
               "values changed the markup:\n%s\nwithout markup characters "
               "in values:\n%s",
               buf_data(&html), buf_data(&plain_html));
    buf_free(&html);
    buf_free(&plain_html);
    buf_free(&markup);
    buf_free(&plain_markup);
}

/* Returns 1 when the list has no NULL and no repeated id. */
static int list_ids_valid(const struct view_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        if (!list->items[i].id)
            return 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(list->items[i].id, list->items[j].id))
                return 0;
    }
    return 1;
}

/* Returns 1 when view_state_new must accept the record: the first list for
 * each collection of the scope has valid ids; other lists are ignored. */
static int record_ids_valid(const struct binder_row *row,
                            const struct view_record *record)
{
    for (size_t s = 0; s < MAX_ITEM_SCOPES && row->item_scopes[s]; s++) {
        for (size_t l = 0; l < record->list_count; l++) {
            if (strcmp(record->lists[l].scope, row->item_scopes[s]))
                continue;
            if (!list_ids_valid(&record->lists[l]))
                return 0;
            break;
        }
    }
    return 1;
}

/* A value the state shows for a field of the record is the field's value,
 * or "" for a class. */
static void check_state_values(const struct view_state *state,
                               const struct view_record *record)
{
    for (size_t i = 0; i < record->count; i++) {
        const struct view_field *field =
            view_record_find(record, record->fields[i].name);
        const char *state_value = view_state_value(state, field->name);

        if (!state_value)
            continue;
        FUZZ_CHECK(field->value != NULL,
                   "field %s is NULL but the state shows \"%s\"", field->name,
                   state_value);
        FUZZ_CHECK(!strcmp(state_value, field->value) || !state_value[0],
                   "field %s is \"%s\" but the state shows \"%s\"", field->name,
                   field->value, state_value);
    }
}

static struct view_state *new_state(const struct binder_row *row,
                                    const struct view_record *record)
{
    struct view_state *state =
        view_state_new(row->template, row->scope, record);

    FUZZ_CHECK((state != NULL) == record_ids_valid(row, record),
               "view_state_new returned %p for a record whose ids are %s",
               (void *)state,
               record_ids_valid(row, record) ? "valid" : "invalid");
    if (state)
        check_state_values(state, record);
    return state;
}

/* Returns diff(from, to) parsed, after checking that it is a valid
 * instruction array. */
static struct json_instruction *diff_of(const struct view_state *from,
                                        const struct view_state *to, int *count)
{
    struct buf out;
    struct json_instruction *list;

    buf_init(&out, 0);
    *count = view_state_diff(from, to, &out);
    FUZZ_CHECK(*count >= 0, "diff failed");
    if (from == to)
        FUZZ_CHECK(*count == 0 && !strcmp(buf_data(&out), "[]"),
                   "diff of a state with itself: %s", buf_data(&out));
    list = read_payload(buf_data(&out), *count, from ? "diff" : "snapshot");
    buf_free(&out);
    return list;
}

/* Returns 1 when every item id of the record is valid UTF-8. */
static int record_ids_utf8(const struct view_record *record)
{
    for (size_t l = 0; l < record->list_count; l++)
        for (size_t i = 0; i < record->lists[l].count; i++) {
            const char *id = record->lists[l].items[i].id;

            if (id && !json_utf8_valid(id, strlen(id)))
                return 0;
        }
    return 1;
}

/*
 * Applies snapshot(A) and diff(A, B) to one model and snapshot(B) to
 * another; the two must be equal.
 * NOTE: skipped when an item id is invalid UTF-8. The JSON encoder writes
 * each invalid byte as U+FFFD, so ids such as "a\xff" and "a\xfe" reach the
 * client as the same id, while view_state_new() accepts them as two.
 */
static void check_diff(const struct binder_row *row,
                       const struct binder_input *in,
                       const struct view_state *a, const struct view_state *b)
{
    struct binder_model applied, expected;
    struct json_instruction *list;
    char error[512];
    int count;

    list = diff_of(b, b, &count);
    json_instructions_free(list, count);
    if (!a || !record_ids_utf8(&in->a.record) ||
        !record_ids_utf8(&in->b.record))
        return;
    model_of_snapshot(a, &row->defaults, &applied);
    model_of_snapshot(b, &row->defaults, &expected);
    list = diff_of(a, b, &count);
    FUZZ_CHECK(binder_model_apply(&applied, list, count, &row->defaults, error,
                                  sizeof(error)) == 0,
               "diff does not apply: %s", error);
    FUZZ_CHECK(binder_model_equal(&applied, &expected, error, sizeof(error)),
               "snapshot(A) + diff(A, B) differs from snapshot(B): %s", error);
    json_instructions_free(list, count);
    binder_model_free(&applied);
    binder_model_free(&expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct binder_input in, plain;
    const struct binder_row *row;
    struct view_state *a, *b;

    if (binder_input_decode(&in, (const char *)data, size, 0) ||
        binder_input_decode(&plain, (const char *)data, size, 1))
        abort();
    row = &rows[in.row % ROW_COUNT];

    check_render(row, &in, &plain, 0);
    check_render(row, &in, &plain, 1);

    a = new_state(row, &in.a.record);
    b = new_state(row, &in.b.record);
    if (b)
        check_diff(row, &in, a, b);

    view_state_free(a);
    view_state_free(b);
    binder_input_free(&in);
    binder_input_free(&plain);
    return 0;
}
