/*
 * Unit tests for view_render. The output is parsed back with libxml2's HTML
 * parser to check what a browser would see: text stays text, attributes keep
 * their values.
 */

#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "check.h"
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

static xmlDocPtr parse(const struct buf *html)
{
    return htmlReadMemory(buf_data(html), (int)html->len, "render.html",
                          "UTF-8", PARSE_OPTIONS);
}

/* Returns the nth (from 0) element, in document order, whose attribute
 * `name` has `value`, or NULL. */
static xmlNodePtr find_nth(xmlNodePtr node, const char *name, const char *value,
                           int *nth)
{
    for (; node; node = node->next) {
        xmlChar *attr;
        xmlNodePtr found;

        if (node->type != XML_ELEMENT_NODE)
            continue;
        attr = xmlGetProp(node, BAD_CAST name);
        if (attr && strcmp((const char *)attr, value) == 0 && (*nth)-- == 0) {
            xmlFree(attr);
            return node;
        }
        xmlFree(attr);
        found = find_nth(node->children, name, value, nth);
        if (found)
            return found;
    }
    return NULL;
}

static xmlNodePtr find(xmlDocPtr doc, const char *name, const char *value,
                       int nth)
{
    return doc ? find_nth(doc->children, name, value, &nth) : NULL;
}

static xmlNodePtr find_tag(xmlNodePtr node, const char *tag)
{
    for (; node; node = node->next) {
        xmlNodePtr found;

        if (node->type == XML_ELEMENT_NODE &&
            strcmp((const char *)node->name, tag) == 0)
            return node;
        found = find_tag(node->children, tag);
        if (found)
            return found;
    }
    return NULL;
}

/* Checks the element's text, and that it has no child elements. */
static void check_text(xmlNodePtr node, const char *expected, const char *label)
{
    xmlChar *text = node ? xmlNodeGetContent(node) : NULL;
    int elements = 0;
    char line[160];

    CHECK_STR((const char *)text, expected, label);
    for (xmlNodePtr child = node ? node->children : NULL; child;
         child = child->next)
        elements += child->type == XML_ELEMENT_NODE;
    snprintf(line, sizeof(line), "%s: no markup inside", label);
    CHECK(elements == 0, line);
    xmlFree(text);
}

static void check_attribute(xmlNodePtr node, const char *name,
                            const char *expected, const char *label)
{
    xmlChar *value = node ? xmlGetProp(node, BAD_CAST name) : NULL;

    CHECK_STR((const char *)value, expected, label);
    xmlFree(value);
}

static const char *const hostile =
    "<b>bold</b> & \"double\" 'single' </span><script>x()</script>";

static void test_values_are_text(const struct view_template *t)
{
    const struct view_field fields[] = {
        {"title", hostile},
        {"count", "0"},
        {"last", ""},
        {"label", "not for this scope"},
        {"status", "not for this scope"},
    };
    const struct view_record record = {.fields = fields, .count = 5};
    const struct view_binding binding = {"card", &record, NULL, 0};
    struct buf out;
    xmlDocPtr doc;

    buf_init(&out, 0);
    CHECK(view_render(t, &binding, 1, NULL, 0, &out) == 0, "render succeeds");
    doc = parse(&out);
    check_text(find(doc, "data-prop", "title", 1), hostile,
               "< & \" ' in a value read back as the same text");
    CHECK_LACKS(buf_data(&out), "<b>bold", "no tag from a value in output");
    CHECK_LACKS(buf_data(&out), "<script>x()", "no script from a value");
    check_text(find(doc, "data-prop", "count", 0), "0", "value \"0\" shows 0");
    check_text(find(doc, "data-prop", "count", 1), "0",
               "every element of a prop gets the value");
    check_text(find(doc, "data-prop", "last", 0), "",
               "empty value replaces the template text");
    CHECK_CONTAINS(buf_data(&out),
                   "<span data-prop=\"note\"><em>none</em></span>",
                   "missing key keeps the template content");
    check_text(find(doc, "data-prop", "title", 0), "Outside every scope",
               "data-prop outside every scope is not bound");
    check_text(find(doc, "data-prop", "label", 0), "inner default",
               "a nested scope is not bound by its parent's record");
    check_text(find(doc, "data-prop", "status", 0), "idle",
               "a scope without a binding keeps its text");
    xmlFreeDoc(doc);
    buf_free(&out);
}

static void test_nested_scope_binding(const struct view_template *t)
{
    const struct view_field fields[] = {{"label", "inner value"}};
    const struct view_record record = {.fields = fields, .count = 1};
    const struct view_binding bindings[] = {
        {"card", NULL, NULL, 0},
        {"inner", &record, NULL, 0},
        {"no-such-scope", &record, "ignored", 0},
    };
    struct buf out;
    xmlDocPtr doc;

    buf_init(&out, 0);
    CHECK(view_render(t, bindings, 3, NULL, 0, &out) == 0,
          "render with NULL record and unknown scope succeeds");
    doc = parse(&out);
    check_text(find(doc, "data-prop", "label", 0), "inner value",
               "nested scope is bound by its own binding");
    check_text(find(doc, "data-prop", "title", 1), "Untitled",
               "NULL record keeps the template text");
    CHECK_LACKS(buf_data(&out), "ignored", "unknown scope binding is unused");
    xmlFreeDoc(doc);
    buf_free(&out);
}

static void test_channel_attribute(const struct view_template *t)
{
    const char *channel = "card:\"1\"<&>";
    const struct view_binding bindings[] = {
        {"card", NULL, channel, 0},
        {"side", NULL, NULL, 0},
    };
    struct buf out;
    xmlDocPtr doc;

    buf_init(&out, 0);
    CHECK(view_render(t, bindings, 2, NULL, 0, &out) == 0,
          "render with channel succeeds");
    doc = parse(&out);
    check_attribute(find(doc, "data-scope", "card", 0), "data-ring-channel",
                    channel, "channel attribute reads back as given");
    CHECK_CONTAINS(buf_data(&out),
                   "<article data-scope=\"card\" data-ring-channel=\"card:"
                   "&quot;1&quot;&lt;&amp;&gt;\">",
                   "channel attribute escaped in the start tag");
    check_attribute(find(doc, "data-scope", "side", 0), "data-ring-channel",
                    NULL, "no channel: template's own attribute removed");
    check_attribute(find(doc, "data-scope", "inner", 0), "data-ring-channel",
                    NULL, "unbound scope gets no channel attribute");
    xmlFreeDoc(doc);

    buf_reset(&out);
    view_render(t, NULL, 0, NULL, 0, &out);
    CHECK_LACKS(buf_data(&out), "data-ring-channel",
                "no bindings: no channel attribute anywhere");
    buf_free(&out);
}

/* Checks that the last two elements in <head> are the two meta tags. */
static void check_meta_at_end(xmlDocPtr doc, const struct view_field *meta)
{
    xmlNodePtr head = doc ? find_tag(doc->children, "head") : NULL;
    xmlNodePtr last = head ? xmlLastElementChild(head) : NULL;
    xmlNodePtr before = last ? xmlPreviousElementSibling(last) : NULL;

    CHECK_STR(before ? (const char *)before->name : NULL, "meta",
              "first meta tag is in head, before the second");
    check_attribute(before, "name", meta[0].name, "first meta name");
    check_attribute(before, "content", meta[0].value, "first meta content");
    CHECK_STR(last ? (const char *)last->name : NULL, "meta",
              "second meta tag is the last element in head");
    check_attribute(last, "name", meta[1].name, "second meta name");
    check_attribute(last, "content", meta[1].value,
                    "second meta content reads back as given");
}

static void test_meta_tags(const struct view_template *t)
{
    const struct view_field meta[] = {
        {"ring-socket", "/ring?subscribe=card%3A1"},
        {"x-note", "a\"b<c&d'e"},
    };
    struct buf out;
    xmlDocPtr doc;
    const char *html;

    buf_init(&out, 0);
    CHECK(view_render(t, NULL, 0, meta, 2, &out) == 0,
          "render with meta succeeds");
    html = buf_data(&out);
    doc = parse(&out);
    check_meta_at_end(doc, meta);
    CHECK_CONTAINS(html,
                   "<meta name=\"x-note\" "
                   "content=\"a&quot;b&lt;c&amp;d&#39;e\">",
                   "meta content escaped");
    CHECK(strstr(html, "<title>") &&
              strstr(html, "<title>") < strstr(html, "name=\"ring-socket\""),
          "meta tags come after the layout's title");
    CHECK(strstr(html, "name=\"x-note\"") < strstr(html, "</head>"),
          "meta tags come before the end of head");
    xmlFreeDoc(doc);

    buf_reset(&out);
    view_render(t, NULL, 0, NULL, 0, &out);
    CHECK_LACKS(buf_data(&out), "ring-socket", "no meta given: none written");
    buf_free(&out);
}

static void test_utf8_output(const struct view_template *t)
{
    const struct view_field fields[] = {{"title", "naïve ✓ 😀"}};
    const struct view_record record = {.fields = fields, .count = 1};
    const struct view_binding binding = {"card", &record, NULL, 0};
    struct buf out;

    buf_init(&out, 0);
    view_render(t, &binding, 1, NULL, 0, &out);
    CHECK_CONTAINS(buf_data(&out), ">naïve ✓ 😀</h2>",
                   "non-ASCII value written as UTF-8");
    CHECK_CONTAINS(buf_data(&out), "<title>Zähler</title>",
                   "non-ASCII template text written as UTF-8");
    CHECK_CONTAINS(buf_data(&out), "list © naïve",
                   "&copy; in the template written as UTF-8");
    CHECK_LACKS(buf_data(&out), "&#", "no numeric character references");
    CHECK_LACKS(buf_data(&out), "&auml;", "no named references for ä");
    buf_free(&out);
}

static void test_template_markup(const struct view_template *t)
{
    struct buf out;
    const char *html;

    buf_init(&out, 0);
    view_render(t, NULL, 0, NULL, 0, &out);
    html = buf_data(&out);
    CHECK(strncmp(html, "<!DOCTYPE html>\n", strlen("<!DOCTYPE html>\n")) == 0,
          "output starts with the HTML5 doctype");
    CHECK_CONTAINS(html, "<html lang=\"de\">", "layout's html tag kept");
    CHECK_CONTAINS(html, "<h1>Card &amp; list", "template's &amp; kept");
    CHECK_CONTAINS(html, "<p>Line<wbr>break</p>", "wbr has no end tag");
    CHECK_CONTAINS(html,
                   "<video><source src=\"clip.mp4\"><track "
                   "src=\"captions.vtt\">No video support.</video>",
                   "source and track have no end tags");
    CHECK_CONTAINS(html,
                   "<script>var close = \"</div>\"; "
                   "if (1 < 2 && 3 > 2) {}</script>",
                   "inline script kept byte for byte");
    CHECK(strstr(html, "</script>") &&
              strstr(html, "</script>") < strstr(html, "<footer>"),
          "page content comes before the layout's footer");
    CHECK_LACKS(html, "@container", "container comment removed");
    CHECK_LACKS(html, "ring-slot-", "no marker left in output");
    buf_free(&out);
}

static void test_render_appends(const struct view_template *t)
{
    struct buf first, second;

    buf_init(&first, 0);
    buf_init(&second, 32);
    buf_append_str(&second, "before|");
    view_render(t, NULL, 0, NULL, 0, &first);
    view_render(t, NULL, 0, NULL, 0, &second);
    CHECK(strncmp(buf_data(&second), "before|", 7) == 0,
          "render appends after existing content");
    CHECK_STR(buf_data(&second) + 7, buf_data(&first),
              "rendering again gives the same page");
    buf_free(&first);
    buf_free(&second);
}

/* libxml2 2.9 puts a leading script in <head> and wraps leading text in
 * <p> unless the page is parsed as body content. */
static void test_leading_content(void)
{
    struct view_template *t = load(FIXTURES_DIR, "leading-content.html");
    struct buf out;
    const char *body;

    if (!t)
        return;
    buf_init(&out, 0);
    view_render(t, NULL, 0, NULL, 0, &out);
    body = strstr(buf_data(&out), "<body>");
    CHECK_CONTAINS(body,
                   "<body>\n<!-- leading comment -->\n"
                   "Leading text, <b>bold</b>.\n"
                   "<script>var first = 1;</script>\n"
                   "<h1>After the script</h1>\n",
                   "leading comment, text and script stay in body, in order");
    buf_free(&out);
    view_template_free(t);
}

/* Renders DIR/page.html and checks the output starts with the HTML5
 * doctype whatever doctype the layout has. */
static void check_doctype(const char *dir, const char *label)
{
    const char *start = "<!DOCTYPE html>\n<html lang=\"en\">";
    struct view_template *t = load(dir, "page.html");
    struct buf out;

    if (!t)
        return;
    buf_init(&out, 0);
    view_render(t, NULL, 0, NULL, 0, &out);
    CHECK(strncmp(buf_data(&out), start, strlen(start)) == 0, label);
    CHECK_LACKS(buf_data(&out), "DTD", "no other doctype in the output");
    buf_free(&out);
    view_template_free(t);
}

static void test_real_templates(void)
{
    struct view_template *t = load(TEMPLATES_DIR, "index.html");
    const struct view_field fields[] = {{"total", "12"}, {"active", "1"}};
    const struct view_record record = {.fields = fields, .count = 2};
    const struct view_binding binding = {"stats", &record,
                                         "stats:for_default_post:post", 0};
    const struct view_field meta = {
        "ring-socket", "/ring?subscribe=stats%3Afor_default_post%3Apost"};
    struct buf out;
    xmlDocPtr doc;

    if (!t)
        return;
    buf_init(&out, 0);
    view_render(t, &binding, 1, &meta, 1, &out);
    doc = parse(&out);
    check_text(find(doc, "data-prop", "total", 0), "12", "index: total");
    check_text(find(doc, "data-prop", "active", 0), "1", "index: active");
    check_attribute(find(doc, "data-scope", "stats", 0), "data-ring-channel",
                    "stats:for_default_post:post", "index: channel");
    check_attribute(find(doc, "name", "ring-socket", 0), "content", meta.value,
                    "index: ring-socket meta");
    check_attribute(find(doc, "rel", "stylesheet", 0), "href",
                    "/static/style.css", "index: stylesheet link");
    check_attribute(find_tag(doc ? doc->children : NULL, "script"), "src",
                    "/static/ring.js", "index: ring.js script");
    check_attribute(find_tag(doc ? doc->children : NULL, "html"), "lang", "en",
                    "index: lang=en");
    CHECK_CONTAINS(buf_data(&out), "<meta charset=\"utf-8\">",
                   "index: charset meta");
    CHECK_CONTAINS(buf_data(&out), "name=\"viewport\"", "index: viewport");
    CHECK_CONTAINS(buf_data(&out), "Total page views", "index: total label");
    CHECK_CONTAINS(buf_data(&out), "Viewers now", "index: active label");
    xmlFreeDoc(doc);

    buf_reset(&out);
    view_render(t, NULL, 0, NULL, 0, &out);
    doc = parse(&out);
    check_text(find(doc, "data-prop", "total", 0), "0", "index: total is 0");
    check_text(find(doc, "data-prop", "active", 0), "0", "index: active 0");
    xmlFreeDoc(doc);
    buf_free(&out);
    view_template_free(t);
}

int main(void)
{
    struct view_template *t = load(FIXTURES_DIR, "page.html");

    if (t) {
        test_values_are_text(t);
        test_nested_scope_binding(t);
        test_channel_attribute(t);
        test_meta_tags(t);
        test_utf8_output(t);
        test_template_markup(t);
        test_render_appends(t);
        view_template_free(t);
    }
    test_leading_content();
    check_doctype(FIXTURES_DIR "/no-doctype",
                  "layout without doctype gets <!DOCTYPE html>");
    check_doctype(FIXTURES_DIR "/old-doctype",
                  "HTML 4 doctype replaced by <!DOCTYPE html>");
    test_real_templates();
    view_cleanup();
    return check_finish();
}
