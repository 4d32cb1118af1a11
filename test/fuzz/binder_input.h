#ifndef RING_FUZZ_BINDER_INPUT_H
#define RING_FUZZ_BINDER_INPUT_H

#include <stddef.h>

#include "view/view.h"

/*
 * The binder fuzz input: lines of text, each a command. Unknown lines are
 * ignored, and so is whatever exceeds the limits below.
 *
 *   T N           the template and scope to bind: row N of the target's
 *                 table (the last T line counts)
 *   A, B          the record the following lines fill (A at the start)
 *   F NAME=VALUE  a field; VALUE is the rest of the line
 *   N NAME        a field with a NULL value
 *   L SCOPE       a list for the collection SCOPE in the current record;
 *                 the following I lines add its items
 *   I ID, I       an item of the current list with that id, or a NULL id;
 *                 the following F and N lines fill the item
 *   R             back to the current record's own fields
 *   C CHANNEL     the channel written on the bound scope
 *   V N           the version written with it
 *   M NAME=VALUE  a <meta> tag for the head
 */

#define BINDER_MAX_FIELDS 24
#define BINDER_MAX_LISTS 4
#define BINDER_MAX_ITEMS 12
#define BINDER_MAX_ITEM_FIELDS 12
#define BINDER_MAX_META 4

struct binder_item_data {
    struct view_field fields[BINDER_MAX_ITEM_FIELDS];
};

struct binder_list_data {
    struct view_item items[BINDER_MAX_ITEMS];
    struct binder_item_data item_fields[BINDER_MAX_ITEMS];
};

/* One record with room for its fields, lists and items. */
struct binder_record {
    struct view_record record;
    struct view_field fields[BINDER_MAX_FIELDS];
    struct view_list lists[BINDER_MAX_LISTS];
    struct binder_list_data list_data[BINDER_MAX_LISTS];
};

/* A decoded input. Its strings point into `text`, which it owns. */
struct binder_input {
    char *text;
    unsigned row;
    struct binder_record a;
    struct binder_record b;
    const char *channel;
    unsigned long long version;
    struct view_field meta[BINDER_MAX_META];
    size_t meta_count;
};

/*
 * Decodes data into in. With `sanitize`, every '<', '>', '"' and '\'' in
 * values, ids, the channel and meta tags becomes 'x', which gives a record
 * with the same structure whose values cannot add markup. Field names keep
 * their bytes. Returns 0, or -1 when out of memory.
 */
int binder_input_decode(struct binder_input *in, const char *data, size_t size,
                        int sanitize);
void binder_input_free(struct binder_input *in);

#endif
