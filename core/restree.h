/* The reservation tree: a B+-tree of reservations keyed by start address.
 *
 * Leaves hold up to RESTREE_FANOUT reservations as (start, end, res_node *),
 * the range copied next to the pointer so that lookups and the free-range
 * search read whole arrays of a node and never the res_node itself. Inner
 * nodes hold, per child, that child's lowest start, highest end and largest
 * free gap between two of its reservations, so that the lowest free range
 * of a given size is found on one path down the tree, one node (a few cache
 * lines, read in order) per level: about log16(n) levels instead of the
 * 1.44 log2(n) scattered nodes of the AVL tree it replaces.
 *
 * A res_node is the stable record of a reservation, kept in the handle
 * table (handles.h): the tree points at it and never moves it, so callers
 * keep res_node pointers across calls. Each reservation's leaf is kept
 * outside the record, in a cell the tree's owner provides (restree_link:
 * the handle table's array of leaf links), and each node points at its
 * parent, so that removal starts at the leaf instead of waiting on every
 * level from the root. The cell is not in the record so that a removal
 * by handle can fetch the leaf without first waiting for the record: the
 * record and the small array of links are read at the same time.
 *
 * Memory: an insert splits the full nodes on its path and may add a root.
 * restree_prepare takes exactly those nodes from the counted allocator
 * beforehand, so that restree_insert never fails and a caller gets
 * NO_MEMORY before it changes anything; none is left over between calls,
 * so the bytes a tree holds are its nodes'. Removal never needs memory;
 * merged-away nodes go back to the allocator. The root leaf is made with
 * the tree and kept while it lives, even empty. */
#ifndef VSPACE_CORE_RESTREE_H
#define VSPACE_CORE_RESTREE_H

#include <stddef.h>
#include <stdint.h>

#include <vs/space.h>

#include "counted.h"

typedef struct res_node res_node;
typedef struct restree_node restree_node;

/* What a handle table record (handles.h) is used for. */
enum { RES_FREE = 0, RES_LIVE = 1, RES_DROPPED = 2 };

struct res_node {
    vs_addr start;
    vs_addr end;           /* exclusive */
    uint64_t mapped_pages; /* base pages MAPPED inside [start, end) */
    uint32_t slot;         /* the handle table's (handles.h): this record's index */
    uint32_t gen;          /* and generation, in every handle to it */
    uint8_t rights;
    uint8_t cache;
    uint8_t state; /* RES_FREE, RES_LIVE, or RES_DROPPED (vs_legacy_drop_reservation: out of the
                      tree, kept for vs_destroy) */
    char name[VS_NAME_MAX];
    uint32_t next_free; /* while free: the next free record's slot, or HANDLE_NONE */
};

enum {
    RESTREE_FANOUT = 16,                   /* entries per node, chosen by measuring W1c (docs/core.md) */
    RESTREE_MIN_FILL = RESTREE_FANOUT / 2, /* entries of every node but the root and the right spine */
    RESTREE_MAX_LEVELS = 32,               /* 8^32 reservations: never reached */
};

typedef union restree_ref {
    restree_node *child;
    res_node *res;
} restree_ref;

/* Entry i of a leaf (level 0) is a reservation: start[i], end[i] copy
 * res[i]'s range. Entry i of an inner node is a subtree: start[i] is its
 * lowest start, end[i] its highest end, and gap[i] (restree_inner) its
 * largest gap between consecutive reservations (0 if it holds one).
 * Entries are in address order and do not overlap. A leaf is a bare
 * restree_node: it has no gap[], since its gaps lie between its own
 * entries; that makes leaves, most of the tree, a quarter smaller. */
struct restree_node {
    uint32_t count;
    uint32_t level;       /* 0: a leaf; the root's is the tree's height - 1 */
    restree_node *parent; /* NULL at the root */
    vs_addr start[RESTREE_FANOUT];
    vs_addr end[RESTREE_FANOUT];
    restree_ref ref[RESTREE_FANOUT];
};

/* An inner node (level > 0): the node, then its children's widest gaps. */
typedef struct restree_inner {
    restree_node node;
    uint64_t gap[RESTREE_FANOUT];
} restree_inner;

/* gap[] of an inner node (n->level > 0). */
static inline uint64_t *restree_gaps(restree_node *n)
{
    return ((restree_inner *)(void *)n)->gap;
}

static inline const uint64_t *restree_gaps_const(const restree_node *n)
{
    return ((const restree_inner *)(const void *)n)->gap;
}

/* Bytes of a node on `level`: a leaf or a restree_inner. */
static inline size_t restree_node_bytes(uint32_t level)
{
    return level == 0 ? sizeof(restree_node) : sizeof(restree_inner);
}

/* The cell holding the leaf of res (a reservation given to restree_insert):
 * the tree writes it whenever res moves to another leaf. */
typedef restree_node **(*restree_link)(void *ctx, const res_node *res);

typedef struct restree {
    restree_node *root;   /* a leaf, maybe empty, or an inner node */
    size_t count;         /* reservations */
    unsigned height;      /* levels: root->level + 1 */
    size_t nodes;         /* restree_nodes in the tree */
    size_t leaves;        /* of which leaves */
    restree_node *spares; /* restree_prepare's, linked through ref[0].child, level 0 or 1 saying
                             which kind; none between calls */
    size_t spare_count;
    size_t spare_leaves; /* of which leaves */
    /* restree_prepare's leaf for an insert at prepared_start (not after a
     * removal), so restree_insert need not go down again; NULL otherwise.
     * Valid only until the tree changes: insert and unprepare clear it. */
    restree_node *prepared_leaf;
    vs_addr prepared_start;
    counted_alloc *alloc;
    restree_link link;
    void *link_ctx;
    /* The reservation the last address lookup of a mutating call found
     * (vs_reservation_holding): single-page maps and unmaps mostly hit the
     * same one, so they skip the descent. restree_remove clears it when
     * that reservation leaves the tree; never dereferenced otherwise. */
    res_node *hint;
} restree;

/* What an inner node records of a child: see restree_node. */
typedef struct restree_summary {
    vs_addr start;
    vs_addr end;
    uint64_t gap;
} restree_summary;

/* An empty tree (its root leaf) whose nodes come from alloc, which must
 * outlive it, and which keeps each reservation's leaf in the cell
 * link(link_ctx, res) names. VS_ERR_NO_MEMORY: nothing allocated; the tree
 * may only be destroyed. */
vs_result restree_init(restree *tree, counted_alloc *alloc, restree_link link, void *link_ctx);

/* Frees every node and spare, and hands each reservation to drop (which
 * may free it). The tree has no root afterwards: only init may follow. */
void restree_destroy(restree *tree, void (*drop)(void *ctx, res_node *res), void *ctx);

/* Allocates the nodes that inserting a reservation starting at start will
 * take, after `leaving` (if not NULL, a reservation in the tree) has been
 * removed. VS_OK, or VS_ERR_NO_MEMORY with nothing changed. */
vs_result restree_prepare(restree *tree, vs_addr start, const res_node *leaving);

/* Gives back what restree_prepare allocated, for a caller whose later step
 * failed before its insert. */
void restree_unprepare(restree *tree);

/* Inserts node, whose [start, end) is non-empty and overlaps no
 * reservation in the tree, after restree_prepare(tree, node->start, ...)
 * (and the removal it was told of). Never fails; gives back the prepared
 * nodes it did not take. */
void restree_insert(restree *tree, res_node *node);

/* The leaf holding node, which is in the tree (its link cell). */
restree_node *restree_leaf_of(const restree *tree, const res_node *node);

/* Removes node, which is in the tree, from leaf, the leaf holding it
 * (restree_leaf_of, or the cell read directly). Never fails; other
 * res_nodes keep their addresses. */
void restree_remove(restree *tree, res_node *node, restree_node *leaf);

/* Takes node's new end (its start unchanged, [start, end) still free of
 * other reservations) into the tree. */
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

/* The summary of a node (count >= 1) from its own entries: what its
 * parent's entry for it must say. */
restree_summary restree_summarize(const restree_node *node);

/* Bytes the tree holds: its nodes and its spares. */
size_t restree_bytes(const restree *tree);

#endif
