#ifndef RING_VIEW_STATE_H
#define RING_VIEW_STATE_H

/*
 * Private to src/view: the layout of struct view_state, shared by state.c,
 * which builds it, and diff.c, which compares two of them.
 */

#include "template.h"
#include "view.h"

/* One item of a collection: its id and one value per key of the item
 * scope (NULL where absent). Owns its strings. */
struct view_state_item {
    char *id;
    char **values;
};

/* The items of one collection, in list order, with unique ids. */
struct view_state_list {
    const struct view_scope *scope;
    struct view_state_item *items;
    size_t count;
};

/* One value per key of `scope` (NULL where absent), and one list per
 * collection of the scope, in the order of scope->lists. Owns its strings;
 * the scopes belong to the template. */
struct view_state {
    const struct view_scope *scope;
    char **values;
    struct view_state_list *lists;
    size_t list_count;
};

#endif
