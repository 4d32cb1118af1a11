#ifndef RING_FUZZ_BINDER_MODEL_H
#define RING_FUZZ_BINDER_MODEL_H

#include <stddef.h>

#include "json_reader.h"

/*
 * A model of what a page shows for one scope, built only from instructions
 * as docs/instructions.md defines them: the scope's values and, per
 * collection, the items in order with their values. The binder fuzz target
 * applies snapshot(A) then diff(A, B) to one model and snapshot(B) to
 * another, and the two must be equal.
 *
 * A value is keyed by kind, prop and name: "t|PROP|" for text,
 * "a|PROP|NAME" for an attribute, "c|PROP|NAME" for a class. NULL is a
 * removed node or attribute, or a class not set.
 */

struct model_value {
    char *key;
    char *value;
};

struct model_item {
    char *id; /* NULL for the scope itself */
    struct model_value *values;
    size_t count;
};

struct model_list {
    char *scope;
    struct model_item *items;
    size_t count;
};

struct binder_model {
    struct model_item top;
    struct model_list *lists;
    size_t list_count;
};

/*
 * Applies the instructions to model. `defaults` (may be NULL) gives the
 * values of a new item: those of the first item in its list of the same
 * scope, which stand for the item's <template> copy. Returns 0, or -1 with
 * what was wrong in error (an item that is not there, an index out of
 * range).
 */
int binder_model_apply(struct binder_model *model,
                       const struct json_instruction *list, int count,
                       const struct binder_model *defaults, char *error,
                       size_t error_len);

/* Returns 1 when both models show the same, else 0 with the first
 * difference in error. */
int binder_model_equal(const struct binder_model *a,
                       const struct binder_model *b, char *error,
                       size_t error_len);

void binder_model_free(struct binder_model *model);

#endif
