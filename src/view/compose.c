/* Parsing the template files and composing layout + page into one DOM. */

#include "template.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#define WHITESPACE " \t\r\n"
#define CONTAINER "@container"

/*
 * HTML_PARSE_NOERROR and NOWARNING silence the reports libxml2 2.9 makes for
 * HTML5 elements it does not know (section, main, template). RECOVER keeps
 * "</" inside an inline script as script text instead of ending the script.
 * NODEFDTD stops it from adding an HTML 4 doctype; compose() sets
 * <!DOCTYPE html> itself.
 */
#define PARSE_OPTIONS                                                          \
    (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |            \
     HTML_PARSE_RECOVER | HTML_PARSE_NODEFDTD)

/* Appends `prefix` and then the file's bytes to out. */
static int read_file(const char *path, const char *prefix, struct buf *out,
                     char *err, size_t err_len)
{
    char chunk[4096];
    FILE *f;
    size_t n;

    errno = 0;
    f = fopen(path, "rb");
    if (!f || buf_append_str(out, prefix))
        goto fail;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(out, chunk, n))
            goto fail;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    return 0;

fail:
    snprintf(err, err_len, "%s: failed to read: %s", path,
             errno ? strerror(errno) : "read error");
    if (f)
        fclose(f);
    return -1;
}

/* Parses `prefix` followed by the file's content as HTML. Returns the
 * document, or NULL with a message naming the path in err. */
static xmlDocPtr parse_file(const char *path, const char *prefix, char *err,
                            size_t err_len)
{
    struct buf text;
    xmlDocPtr doc = NULL;

    buf_init(&text, 0);
    if (read_file(path, prefix, &text, err, err_len))
        goto done;
    if (text.len > (size_t)INT_MAX) {
        snprintf(err, err_len, "%s: file too large", path);
        goto done;
    }
    doc = htmlReadMemory(buf_data(&text), (int)text.len, path, "UTF-8",
                         PARSE_OPTIONS);
    if (!doc)
        snprintf(err, err_len, "%s: failed to parse as HTML; is it empty?",
                 path);

done:
    buf_free(&text);
    return doc;
}

static int is_container_comment(xmlNodePtr node)
{
    const char *text = (const char *)node->content;
    size_t length;

    if (node->type != XML_COMMENT_NODE || !text)
        return 0;
    text += strspn(text, WHITESPACE);
    length = strlen(text);
    while (length > 0 && strchr(WHITESPACE, text[length - 1]))
        length--;
    return length == strlen(CONTAINER) && strncmp(text, CONTAINER, length) == 0;
}

/* Stores in *found the first container comment under `node` and counts all
 * of them in *count. */
static void find_container(xmlNodePtr node, xmlNodePtr *found, int *count)
{
    for (; node; node = node->next) {
        if (is_container_comment(node)) {
            if (*count == 0)
                *found = node;
            (*count)++;
        }
        find_container(node->children, found, count);
    }
}

static xmlNodePtr find_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr node = parent ? parent->children : NULL; node;
         node = node->next) {
        if (node->type == XML_ELEMENT_NODE &&
            xmlStrcmp(node->name, BAD_CAST name) == 0)
            return node;
    }
    return NULL;
}

/*
 * Copies the children of the page's <body> to just before `container`.
 * Copying, not moving, keeps each node's strings in the dictionary of the
 * document that owns it.
 */
static int insert_page(xmlNodePtr container, xmlDocPtr layout, xmlDocPtr page)
{
    xmlNodePtr body = find_child(xmlDocGetRootElement(page), "body");

    for (xmlNodePtr node = body ? body->children : NULL; node;
         node = node->next) {
        xmlNodePtr copy = xmlDocCopyNode(node, layout, 1);

        if (!copy)
            return -1;
        if (!xmlAddPrevSibling(container, copy)) {
            xmlFreeNode(copy);
            return -1;
        }
    }
    return 0;
}

/* Replaces any doctype with <!DOCTYPE html>. */
static int set_html5_doctype(xmlDocPtr doc)
{
    xmlDtdPtr dtd = xmlGetIntSubset(doc);

    if (dtd && !dtd->ExternalID && !dtd->SystemID)
        return 0;
    if (dtd) {
        xmlUnlinkNode((xmlNodePtr)dtd);
        xmlFreeDtd(dtd);
    }
    return xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL) ? 0 : -1;
}

/* Puts the page's content in place of the layout's container comment. */
static int compose(xmlDocPtr layout, const char *layout_path, xmlDocPtr page,
                   char *err, size_t err_len)
{
    xmlNodePtr container = NULL;
    int count = 0;

    find_container(layout->children, &container, &count);
    if (count != 1) {
        snprintf(err, err_len,
                 "%s: %s <!-- @container --> comment; the layout needs "
                 "exactly one, where the page's content goes",
                 layout_path, count ? "more than one" : "no");
        return -1;
    }
    if (insert_page(container, layout, page) || set_html5_doctype(layout)) {
        snprintf(err, err_len, "%s: out of memory", layout_path);
        return -1;
    }
    xmlUnlinkNode(container);
    xmlFreeNode(container);
    return 0;
}

xmlDocPtr view_compose(const char *layout_path, const char *page_path,
                       char *err, size_t err_len)
{
    xmlDocPtr layout = parse_file(layout_path, "", err, err_len);
    xmlDocPtr page = NULL;

    if (!layout)
        return NULL;
    /* Opening <body> first keeps text, comments and scripts at the start of
     * the page in the body: libxml2 2.9 would put a leading script in <head>
     * and wrap leading text in an implied <p>. */
    page = parse_file(page_path, "<body>", err, err_len);
    if (!page || compose(layout, layout_path, page, err, err_len)) {
        xmlFreeDoc(layout);
        layout = NULL;
    }
    xmlFreeDoc(page);
    return layout;
}
