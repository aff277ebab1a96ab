/* The reservation tree: an AVL tree of reservations keyed by start address,
 * augmented per subtree with its lowest start, highest end and the largest
 * free gap between two of its reservations, so that the lowest free range of
 * a given size is found on one path down the tree. */
#ifndef VSPACE_CORE_RESTREE_H
#define VSPACE_CORE_RESTREE_H

#include <stddef.h>
#include <stdint.h>

#include <vs/space.h>

typedef struct res_node res_node;

struct res_node {
    struct res_node *child[2];
    vs_addr start;
    vs_addr end;      /* exclusive */
    vs_addr sub_min;  /* lowest start in this subtree */
    vs_addr sub_max;  /* highest end in this subtree */
    uint64_t sub_gap; /* largest gap between consecutive reservations of this subtree */
    uint8_t height;   /* with the fields above: what a tree walk reads */
    uint8_t rights;
    uint8_t cache;
    uint64_t mapped_pages; /* base pages MAPPED inside [start, end) */
    uint32_t slot;         /* index in the handle table (handles.h) */
    char name[VS_NAME_MAX];
};

typedef struct restree {
    res_node *root;
    size_t count;
} restree;

/* Inserts node, whose [start, end) overlaps no reservation in the tree. */
void restree_insert(restree *tree, res_node *node);

/* Removes node, which is in the tree. Other nodes keep their addresses. */
void restree_remove(restree *tree, res_node *node);

/* Recomputes the augmentation on the path to node after its end changed. */
void restree_refresh(restree *tree, const res_node *node);

/* The reservation with the greatest start below addr, or NULL. */
res_node *restree_last_below(const restree *tree, vs_addr addr);

/* The reservation containing addr, or NULL. */
res_node *restree_containing(const restree *tree, vs_addr addr);

/* True if [start, end) overlaps no reservation. */
int restree_is_free(const restree *tree, vs_addr start, vs_addr end);

/* Lowest address a in [lo, hi) with a aligned to align (a power of two)
 * such that [a, a + size) is free and ends by hi. Returns 1 and sets *out
 * if found, else 0. All reservations lie inside [lo, hi). */
int restree_find_gap(const restree *tree, vs_addr lo, vs_addr hi, uint64_t size, uint64_t align, vs_addr *out);

/* In-order visit; stops at and returns the first non-zero fn result. */
int restree_for_each(const restree *tree, int (*fn)(void *ctx, const res_node *res), void *ctx);

/* Recomputes height and augmentation of a single node from its children. */
void restree_pull(res_node *node);

#endif
