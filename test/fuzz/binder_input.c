#include "binder_input.h"

#include <stdlib.h>
#include <string.h>

/* Where F and N lines go: a record's own fields or an item's. */
struct decoder {
    struct binder_input *in;
    struct binder_record *record;
    struct view_item *item;
    int sanitize;
};

static void sanitize_text(char *s, int sanitize)
{
    for (; sanitize && *s; s++)
        if (strchr("<>\"'", *s))
            *s = 'x';
}

static void add_field(struct decoder *d, char *name, char *value)
{
    struct view_field *fields;
    size_t *count;
    size_t max;

    if (d->item) {
        /* The item's record points at its own field array. */
        fields = (struct view_field *)d->item->record.fields;
        count = &d->item->record.count;
        max = BINDER_MAX_ITEM_FIELDS;
    } else {
        fields = d->record->fields;
        count = &d->record->record.count;
        max = BINDER_MAX_FIELDS;
    }
    if (*count == max)
        return;
    if (value)
        sanitize_text(value, d->sanitize);
    fields[(*count)++] = (struct view_field){name, value};
}

/* Splits "NAME=VALUE" at the first '='; a line without one is a field
 * with an empty value. */
static void add_field_line(struct decoder *d, char *arg)
{
    char *eq = strchr(arg, '=');

    if (eq)
        *eq = '\0';
    add_field(d, arg, eq ? eq + 1 : arg + strlen(arg));
}

static void add_list(struct decoder *d, const char *scope)
{
    struct binder_record *r = d->record;
    size_t n = r->record.list_count;

    d->item = NULL;
    if (n == BINDER_MAX_LISTS)
        return;
    r->lists[n] = (struct view_list){scope, r->list_data[n].items, 0};
    r->record.list_count++;
}

static void add_item(struct decoder *d, char *id)
{
    struct binder_record *r = d->record;
    struct view_list *list;
    size_t list_index, n;

    d->item = NULL;
    if (r->record.list_count == 0)
        return;
    list_index = r->record.list_count - 1;
    list = &r->lists[list_index];
    n = list->count;
    if (n == BINDER_MAX_ITEMS)
        return;
    if (id)
        sanitize_text(id, d->sanitize);
    d->item = &r->list_data[list_index].items[n];
    d->item->id = id;
    d->item->record = (struct view_record){
        r->list_data[list_index].item_fields[n].fields, 0, NULL, 0};
    list->count++;
}

static void add_meta(struct decoder *d, char *arg)
{
    struct binder_input *in = d->in;
    char *eq = strchr(arg, '=');

    if (in->meta_count == BINDER_MAX_META)
        return;
    if (eq)
        *eq = '\0';
    sanitize_text(arg, d->sanitize);
    in->meta[in->meta_count].name = arg;
    in->meta[in->meta_count].value = eq ? eq + 1 : "";
    if (eq)
        sanitize_text(eq + 1, d->sanitize);
    in->meta_count++;
}

static void decode_line(struct decoder *d, char *line)
{
    char command = line[0];
    char *arg = line[0] && line[1] == ' ' ? line + 2 : NULL;

    if (command == 'A' || command == 'B') {
        d->record = command == 'A' ? &d->in->a : &d->in->b;
        d->item = NULL;
    } else if (command == 'R') {
        d->item = NULL;
    } else if (command == 'I') {
        add_item(d, arg);
    } else if (!arg) {
        return; /* the commands below need an argument */
    } else if (command == 'T') {
        d->in->row = (unsigned)strtoul(arg, NULL, 10);
    } else if (command == 'F') {
        add_field_line(d, arg);
    } else if (command == 'N') {
        add_field(d, arg, NULL);
    } else if (command == 'L') {
        add_list(d, arg);
    } else if (command == 'C') {
        sanitize_text(arg, d->sanitize);
        d->in->channel = arg;
    } else if (command == 'V') {
        d->in->version = strtoull(arg, NULL, 10);
    } else if (command == 'M') {
        add_meta(d, arg);
    }
}

static void record_init(struct binder_record *r)
{
    memset(r, 0, sizeof(*r));
    r->record.fields = r->fields;
    r->record.lists = r->lists;
}

int binder_input_decode(struct binder_input *in, const char *data, size_t size,
                        int sanitize)
{
    struct decoder d = {in, &in->a, NULL, sanitize};
    char *line, *next;

    memset(in, 0, sizeof(*in));
    record_init(&in->a);
    record_init(&in->b);
    in->text = malloc(size + 1);
    if (!in->text)
        return -1;
    memcpy(in->text, data, size);
    in->text[size] = '\0';
    /* memchr, not strchr: a NUL byte ends its line's text, not the input. */
    for (line = in->text; line; line = next) {
        next = memchr(line, '\n', (size_t)(in->text + size - line));
        if (next)
            *next++ = '\0';
        decode_line(&d, line);
    }
    return 0;
}

void binder_input_free(struct binder_input *in)
{
    free(in->text);
    in->text = NULL;
}
