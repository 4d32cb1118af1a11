#ifndef RING_LIST_H
#define RING_LIST_H

#include <stddef.h>

/* An intrusive doubly-linked list: embed a list_node in each element. */
struct list_node {
    struct list_node *prev, *next;
};

struct list {
    struct list_node head;
    size_t count;
};

#define list_entry(node, type, member)                                        \
    ((type *)((char *)(node) - offsetof(type, member)))

static inline void list_init(struct list *l)
{
    l->head.prev = l->head.next = &l->head;
    l->count = 0;
}

static inline void list_push(struct list *l, struct list_node *n)
{
    n->prev = l->head.prev;
    n->next = &l->head;
    l->head.prev->next = n;
    l->head.prev = n;
    l->count++;
}

static inline void list_remove(struct list *l, struct list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
    l->count--;
}

#define list_for_each(l, n) \
    for ((n) = (l)->head.next; (n) != &(l)->head; (n) = (n)->next)

#endif
