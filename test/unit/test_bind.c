/*
 * Unit tests for binding beyond text: attributes, classes and removed
 * nodes, in view_render and view_state_diff, and the checks on attribute
 * names and URL values. Rendered output is parsed back with libxml2's HTML
 * parser to check what a browser would see.
 */

#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "check.h"
#include "json_reader.h"
#include "view/view.h"

#define PARSE_OPTIONS                                                          \
    (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |            \
     HTML_PARSE_RECOVER)

static struct view_template *load(const char *dir, const char *page)
{
    struct view_template *t = NULL;
    char err[512] = "";

    if (view_template_load(&t, dir, page, err, sizeof(err)))
        printf("    load %s/%s failed: %s\n", dir, page, err);
    CHECK(t != NULL, "template loads");
    return t;
}

/* Returns the first element, in document order, whose attribute `name` has
 * `value`, or NULL. Elements inside <template> count too. */
static xmlNodePtr find(xmlNodePtr node, const char *name, const char *value)
{
    for (; node; node = node->next) {
        xmlChar *attr;
        xmlNodePtr found;

        if (node->type != XML_ELEMENT_NODE)
            continue;
        attr = xmlGetProp(node, BAD_CAST name);
        found = attr && strcmp((const char *)attr, value) == 0 ? node : NULL;
        xmlFree(attr);
        if (!found)
            found = find(node->children, name, value);
        if (found)
            return found;
    }
    return NULL;
}

static void check_attribute(xmlNodePtr node, const char *name,
                            const char *expected, const char *label)
{
    xmlChar *value = node ? xmlGetProp(node, BAD_CAST name) : NULL;

    CHECK_STR((const char *)value, expected, label);
    xmlFree(value);
}

static void check_text(xmlNodePtr node, const char *expected, const char *label)
{
    xmlChar *text = node ? xmlNodeGetContent(node) : NULL;

    CHECK_STR((const char *)text, expected, label);
    xmlFree(text);
}

static int parent_is_removed_holder(xmlNodePtr node)
{
    xmlNodePtr parent = node ? node->parent : NULL;
    xmlChar *removed = parent ? xmlGetProp(parent, BAD_CAST "data-ring-removed")
                              : NULL;
    int held = removed && strcmp((const char *)parent->name, "template") == 0;

    xmlFree(removed);
    return held;
}

/* Renders the board scope with `record` and parses the output. */
static xmlDocPtr render(const struct view_template *t,
                        const struct view_record *record, struct buf *out)
{
    const struct view_binding binding = {"board", record, "board:q:m", 0};

    buf_reset(out);
    CHECK(view_render(t, &binding, 1, NULL, 0, out) == 0, "render succeeds");
    return htmlReadMemory(buf_data(out), (int)out->len, "bind.html", "UTF-8",
                          PARSE_OPTIONS);
}

static void test_render_defaults(const struct view_template *t)
{
    struct buf out;
    xmlDocPtr doc;
    xmlNodePtr board, title, link;

    buf_init(&out, 0);
    doc = render(t, NULL, &out);
    board = find(doc->children, "data-scope", "board");
    title = find(doc->children, "data-prop", "title");
    link = find(doc->children, "data-prop", "link");
    check_attribute(board, "data-state", "idle", "scope attribute default");
    check_attribute(board, "class", "board", "scope class default");
    check_attribute(title, "class", "heading", "static class kept");
    check_attribute(title, "title", NULL, "attribute absent by default");
    check_attribute(link, "href", "/default", "attribute default kept");
    check_text(find(doc->children, "data-prop", "note"), "Note",
               "text default");
    CHECK_LACKS(buf_data(&out), "data-ring-removed", "no node removed");
    CHECK_LACKS(buf_data(&out), "ring-slot-", "no marker in output");
    xmlFreeDoc(doc);
    buf_free(&out);
}

static void test_render_bound(const struct view_template *t)
{
    const char *hostile = "a\"b<c>&d'e";
    const struct view_field fields[] = {
        {"title", "Hello"},      {"title@title", hostile},
        {"title.urgent", "yes"}, {"@data-state", NULL},
        {".busy", ""},           {"link@href", "/next?a=1&b=2"},
        {"note", NULL},          {"title@onclick", "alert(1)"},
    };
    const struct view_record record = {.fields = fields, .count = 8};
    struct buf out;
    xmlDocPtr doc;
    xmlNodePtr board, title, note;

    buf_init(&out, 0);
    doc = render(t, &record, &out);
    board = find(doc->children, "data-scope", "board");
    title = find(doc->children, "data-prop", "title");
    note = find(doc->children, "data-prop", "note");
    check_attribute(title, "title", hostile,
                    "attribute value with quotes and markup reads back");
    CHECK_CONTAINS(buf_data(&out),
                   "title=\"a&quot;b&lt;c&gt;&amp;d&#39;e\"",
                   "attribute value escaped");
    check_attribute(title, "class", "heading urgent", "class added");
    check_attribute(board, "class", "board busy", "scope class added");
    check_attribute(board, "data-state", NULL, "NULL removes the attribute");
    check_attribute(find(doc->children, "data-prop", "link"), "href",
                    "/next?a=1&b=2", "href set");
    CHECK(parent_is_removed_holder(note),
          "NULL text puts the element in a removed-node template");
    check_attribute(note ? note->parent : NULL, "data-ring-removed", "note",
                    "removed-node template names the prop");
    CHECK_LACKS(buf_data(&out), "onclick", "undeclared attribute ignored");
    xmlFreeDoc(doc);
    buf_free(&out);
}

static void test_render_unsafe_urls(const struct view_template *t)
{
    static const char *const unsafe[] = {
        "javascript:alert(1)", "JavaScript:alert(1)", "  javascript:x",
        "java\tscript:x",      "\x01javascript:x",     "vbscript:x",
    };
    struct buf out;

    buf_init(&out, 0);
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        const struct view_field fields[] = {{"link@href", unsafe[i]},
                                            {"icon@src", unsafe[i]}};
        const struct view_record record = {.fields = fields, .count = 2};
        xmlDocPtr doc = render(t, &record, &out);
        char label[96];

        snprintf(label, sizeof(label), "unsafe href %zu left out", i);
        check_attribute(find(doc->children, "data-prop", "link"), "href",
                        NULL, label);
        snprintf(label, sizeof(label), "unsafe src %zu left out", i);
        check_attribute(find(doc->children, "data-prop", "icon"), "src", NULL,
                        label);
        xmlFreeDoc(doc);
    }
    buf_free(&out);
    CHECK(view_attribute_value_safe("href", "https://example.org/"),
          "https URL is safe");
    CHECK(view_attribute_value_safe("href", "/javascript:x"),
          "path containing javascript: is safe");
    CHECK(view_attribute_value_safe("title", "javascript:x"),
          "javascript: in a non-URL attribute is text");
    CHECK(!view_attribute_value_safe("HREF", "javascript:x"),
          "attribute name compared without case");
}

static void test_attribute_names(void)
{
    static const char *const valid[] = {"title", "href", "aria-label",
                                        "data-state", "xlink:href", "_x.y"};
    static const char *const invalid[] = {
        "",          "1abc",       "a b",          "a\"b",    "a>b",
        "onclick",   "ONLOAD",     "onmouseover",  "style",   "srcdoc",
        "class",     "data-scope", "data-prop",    "data-id", "data-attrs",
        "data-ring-channel",       "-x",           "a=b",     "é",
    };

    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        char label[96];

        snprintf(label, sizeof(label), "attribute name \"%s\" valid",
                 valid[i]);
        CHECK(view_attribute_name_valid(valid[i]), label);
    }
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        char label[96];

        snprintf(label, sizeof(label), "attribute name \"%s\" rejected",
                 invalid[i]);
        CHECK(!view_attribute_name_valid(invalid[i]), label);
    }
}

/* Diffs and checks the count and JSON; returns the instructions. */
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
    if (!CHECK(count == expected, line))
        printf("    output: %s\n", buf_data(&out));
    snprintf(line, sizeof(line), "%s: valid instructions", label);
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

/* Checks one instruction; NULL expectations mean the member is absent. */
static void check_op(const struct json_instruction *list, int i,
                     const char *op, const char *prop, const char *name,
                     const char *value, const char *label)
{
    const struct json_instruction *item = list ? &list[i] : NULL;
    char line[160];

    snprintf(line, sizeof(line), "%s: op", label);
    CHECK_STR(item ? item->op : NULL, op, line);
    snprintf(line, sizeof(line), "%s: prop", label);
    CHECK_STR(item ? item->prop : NULL, prop, line);
    snprintf(line, sizeof(line), "%s: name", label);
    CHECK_STR(item ? item->name : NULL, name, line);
    snprintf(line, sizeof(line), "%s: value", label);
    CHECK_STR(item ? item->value : NULL, value, line);
}

static void test_full_snapshot(const struct view_template *t)
{
    struct view_state *s = view_state_new(t, "board", NULL);
    struct json_instruction *list = diff(NULL, s, 12, "defaults snapshot");

    check_op(list, 0, "set-attr", NULL, "data-state", "idle",
             "scope attribute");
    check_op(list, 1, "remove-class", NULL, "busy", NULL, "scope class");
    check_op(list, 2, "text", "title", NULL, "Board", "title text");
    check_op(list, 3, "remove-attr", "title", "title", NULL,
             "absent attribute");
    check_op(list, 4, "remove-class", "title", "urgent", NULL,
             "class not set");
    check_op(list, 6, "set-attr", "link", "href", "/default", "href");
    check_op(list, 7, "text", "note", NULL, "Note", "note text");
    check_op(list, 10, "set-attr", "icon", "alt", "", "empty attribute");
    check_op(list, 11, "list", NULL, NULL, NULL, "empty list");
    CHECK(list && list[11].ids, "snapshot list has ids member");
    CHECK(list && list[11].id_count == 0, "snapshot list has no ids");
    json_instructions_free(list, 12);
    view_state_free(s);
}

static void test_diff_each_kind(const struct view_template *t)
{
    const struct view_field set[] = {
        {"title@title", "tip"}, {"title.urgent", ""}, {"@data-state", NULL},
        {".busy", "1"},         {"note", NULL},       {"link@href", "/b"},
    };
    const struct view_field back[] = {{"note", "Back again"}};
    const struct view_record set_record = {.fields = set, .count = 6};
    const struct view_record back_record = {.fields = back, .count = 1};
    struct view_state *base = view_state_new(t, "board", NULL);
    struct view_state *changed = view_state_new(t, "board", &set_record);
    struct view_state *restored = view_state_new(t, "board", &back_record);
    struct json_instruction *list;

    list = diff(base, changed, 6, "set every kind");
    check_op(list, 0, "remove-attr", NULL, "data-state", NULL,
             "scope attribute removed");
    check_op(list, 1, "add-class", NULL, "busy", NULL, "scope class added");
    check_op(list, 2, "set-attr", "title", "title", "tip", "attribute set");
    check_op(list, 3, "add-class", "title", "urgent", NULL, "class added");
    check_op(list, 4, "set-attr", "link", "href", "/b", "href changed");
    check_op(list, 5, "remove-node", "note", NULL, NULL, "node removed");
    json_instructions_free(list, 6);

    list = diff(changed, restored, 6, "back to defaults, note back");
    check_op(list, 0, "set-attr", NULL, "data-state", "idle",
             "scope attribute back to its default");
    check_op(list, 1, "remove-class", NULL, "busy", NULL,
             "scope class removed");
    check_op(list, 2, "remove-attr", "title", "title", NULL,
             "attribute removed");
    check_op(list, 3, "remove-class", "title", "urgent", NULL,
             "class removed");
    check_op(list, 4, "set-attr", "link", "href", "/default",
             "href back to its default");
    check_op(list, 5, "text", "note", NULL, "Back again",
             "text brings the node back");
    json_instructions_free(list, 6);

    CHECK_STR(view_state_value(changed, "note"), NULL,
              "removed node has no value");
    CHECK_STR(view_state_value(changed, "title.urgent"), "",
              "class set is \"\"");
    CHECK_STR(view_state_value(base, "title.urgent"), NULL,
              "class not set is NULL");
    view_state_free(base);
    view_state_free(changed);
    view_state_free(restored);
}

static void test_diff_unsafe_url(const struct view_template *t)
{
    const struct view_field fields[] = {{"link@href", "javascript:x()"}};
    const struct view_record record = {.fields = fields, .count = 1};
    struct view_state *base = view_state_new(t, "board", NULL);
    struct view_state *s = view_state_new(t, "board", &record);
    struct json_instruction *list = diff(base, s, 1, "unsafe href");

    check_op(list, 0, "remove-attr", "link", "href", NULL,
             "unsafe href removes the attribute");
    json_instructions_free(list, 1);
    view_state_free(base);
    view_state_free(s);
}

/* Loads DIR/PAGE, which must fail with a message containing `expected`. */
static void check_load_fails(const char *page, const char *expected)
{
    struct view_template *t = NULL;
    char err[512] = "";
    char label[160];

    snprintf(label, sizeof(label), "%s: load fails", page);
    CHECK(view_template_load(&t, FIXTURES_DIR "/bad", page, err,
                             sizeof(err)) == -1,
          label);
    snprintf(label, sizeof(label), "%s: message names \"%s\"", page, expected);
    CHECK_CONTAINS(err, expected, label);
    view_template_free(t);
}

static void test_load_errors(void)
{
    check_load_fails("onclick.html", "\"onclick\"");
    check_load_fails("style.html", "\"style\"");
    check_load_fails("bad-name.html", "\"1bad\"");
    check_load_fails("dotted-prop.html", "\"a.b\"");
    check_load_fails("nested-item.html", "may not be nested");
    check_load_fails("item-outside.html", "outside every data-scope");
    check_load_fails("item-twice.html", "not the only data-scope");
}

int main(void)
{
    struct view_template *t = load(FIXTURES_DIR, "bind.html");

    if (t) {
        test_render_defaults(t);
        test_render_bound(t);
        test_render_unsafe_urls(t);
        test_full_snapshot(t);
        test_diff_each_kind(t);
        test_diff_unsafe_url(t);
        view_template_free(t);
    }
    test_attribute_names();
    test_load_errors();
    view_cleanup();
    return check_finish();
}
