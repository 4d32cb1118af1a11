/* Parsing the template files and composing layout + page into one DOM. */

#include "template.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

/*
 * HTML_PARSE_NOERROR and NOWARNING silence the reports libxml2 2.9 makes for
 * HTML5 elements it does not know (section, main, template). RECOVER keeps
 * "</" inside an inline script as script text instead of ending the script.
 * NODEFDTD stops it from adding an HTML 4 doctype; view_compose adds
 * <!DOCTYPE html> itself.
 */
#define PARSE_OPTIONS                                                          \
    (HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |            \
     HTML_PARSE_RECOVER | HTML_PARSE_NODEFDTD)

/* Reads the whole file into a NUL-terminated string owned by the caller. */
static char *read_file(const char *path, size_t *length, char *err,
                       size_t err_len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size;

    if (!f)
        goto fail;
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
        goto fail;
    data = malloc((size_t)size + 1);
    if (!data)
        goto fail;
    if (fread(data, 1, (size_t)size, f) != (size_t)size)
        goto fail;
    data[size] = '\0';
    fclose(f);
    *length = (size_t)size;
    return data;

fail:
    snprintf(err, err_len, "%s: failed to read: %s", path,
             errno ? strerror(errno) : "read error");
    free(data);
    if (f)
        fclose(f);
    return NULL;
}

xmlDocPtr view_compose_parse_file(const char *path, char *err, size_t err_len)
{
    size_t length;
    char *data;
    xmlDocPtr doc;

    errno = 0;
    data = read_file(path, &length, err, err_len);
    if (!data)
        return NULL;
    if (length > (size_t)INT_MAX) {
        snprintf(err, err_len, "%s: file too large", path);
        free(data);
        return NULL;
    }
    doc = htmlReadMemory(data, (int)length, path, "UTF-8", PARSE_OPTIONS);
    free(data);
    if (!doc)
        snprintf(err, err_len, "%s: failed to parse as HTML (empty file?)",
                 path);
    return doc;
}

static int is_container_comment(xmlNodePtr node)
{
    const char *text = (const char *)node->content;
    size_t length;

    if (node->type != XML_COMMENT_NODE || !text)
        return 0;
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
        text++;
    length = strcspn(text, " \t\r\n");
    if (length != strlen("@container") || strncmp(text, "@container", length))
        return 0;
    return text[strspn(text + length, " \t\r\n") + length] == '\0';
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

/* Copies `node` into `layout` just before `container`. */
static int insert_copy(xmlNodePtr container, xmlDocPtr layout, xmlNodePtr node)
{
    xmlNodePtr copy = xmlDocCopyNode(node, layout, 1);

    if (!copy)
        return -1;
    if (!xmlAddPrevSibling(container, copy)) {
        xmlFreeNode(copy);
        return -1;
    }
    return 0;
}

/*
 * Copies the page's content in document order: comments outside <html>,
 * then whatever the parser put in <head> (a page that starts with a <script>
 * gets one), then the children of <body>. Copying, not moving, keeps each
 * node's strings in the dictionary of the document that owns it.
 */
static int insert_page(xmlNodePtr container, xmlDocPtr layout, xmlDocPtr page)
{
    for (xmlNodePtr node = page->children; node; node = node->next) {
        if (node->type == XML_COMMENT_NODE) {
            if (insert_copy(container, layout, node))
                return -1;
            continue;
        }
        if (node->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNodePtr part = node->children; part; part = part->next) {
            for (xmlNodePtr child = part->children; child;
                 child = child->next) {
                if (insert_copy(container, layout, child))
                    return -1;
            }
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

int view_compose(xmlDocPtr layout, const char *layout_path, xmlDocPtr page,
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
