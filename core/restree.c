/* The B+-tree of reservations (restree.h). Inserts and queries go down
 * from the root; removals and resizes start at the reservation's leaf.
 * Either way changes go back up through the parent links, fixing the
 * parents' summaries of the children that changed, and stop once a
 * summary comes out as it was, since nothing above it can change then.
 * Recursion (search, visit, destroy) is bounded by the height, log8 n + 1. */
#include "restree.h"

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* ---- nodes and the pool of spares ---- */

vs_result restree_init(restree *tree, counted_alloc *alloc, restree_link link, void *link_ctx)
{
    *tree = (restree){.alloc = alloc, .link = link, .link_ctx = link_ctx};
    restree_node *leaf = counted_alloc_get(alloc, sizeof *leaf);
    if (leaf == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    *leaf = (restree_node){.count = 0, .level = 0, .parent = NULL};
    tree->root = leaf;
    tree->height = 1;
    tree->nodes = 1;
    tree->leaves = 1;
    return VS_OK;
}

size_t restree_bytes(const restree *tree)
{
    size_t leaves = tree->leaves + tree->spare_leaves;
    size_t inner = tree->nodes - tree->leaves + tree->spare_count - tree->spare_leaves;
    return leaves * restree_node_bytes(0) + inner * restree_node_bytes(1);
}

/* A spare's level says its kind: 0 a leaf, 1 an inner node. */
static void push_spare(restree *tree, restree_node *n, uint32_t kind)
{
    n->level = kind;
    n->ref[0].child = tree->spares;
    tree->spares = n;
    tree->spare_count++;
    tree->spare_leaves += kind == 0;
}

/* A spare of the kind a node on `level` needs; restree_prepare put it there. */
static restree_node *pop_spare(restree *tree, uint32_t level)
{
    uint32_t kind = level == 0 ? 0 : 1;
    restree_node **link = &tree->spares;
    while ((*link)->level != kind) {
        link = &(*link)->ref[0].child;
    }
    restree_node *n = *link;
    *link = n->ref[0].child;
    tree->spare_count--;
    tree->spare_leaves -= kind == 0;
    return n;
}

static uint32_t count_up_to(const restree_node *n, vs_addr key);

/* Nodes an insert at start splits: the full ones from the leaf up, and a
 * new root if they reach the top. Notes the leaf (where leaf_for would
 * go) for the insert, which then need not go down again. */
static size_t insert_need(restree *tree, vs_addr start)
{
    size_t chain = 0;
    restree_node *n = tree->root;
    for (;;) {
        chain = n->count == RESTREE_FANOUT ? chain + 1 : 0;
        if (n->level == 0) {
            break;
        }
        uint32_t below = count_up_to(n, start);
        n = n->ref[below > 0 ? below - 1 : 0].child;
    }
    tree->prepared_leaf = n;
    tree->prepared_start = start;
    return chain == tree->height ? chain + 1 : chain;
}

vs_result restree_prepare(restree *tree, vs_addr start, const res_node *leaving)
{
    /* The nodes split are the leaf (if it is full) and inner nodes above.
     * A removal first (a move) changes the path: it can route start to
     * another leaf and take out levels, so then prepare for the worst, a
     * split on every level and a new root; insert gives back the rest. */
    tree->prepared_leaf = NULL;
    size_t need = leaving != NULL ? tree->height + 1 : insert_need(tree, start);
    size_t need_leaves = need > 0 ? 1 : 0;
    while (tree->spare_count < need) {
        uint32_t kind = tree->spare_leaves < need_leaves ? 0 : 1;
        restree_node *n = counted_alloc_get(tree->alloc, restree_node_bytes(kind));
        if (n == NULL) {
            restree_unprepare(tree);
            return VS_ERR_NO_MEMORY;
        }
        push_spare(tree, n, kind);
    }
    return VS_OK;
}

void restree_unprepare(restree *tree)
{
    tree->prepared_leaf = NULL;
    while (tree->spares != NULL) {
        restree_node *n = tree->spares;
        pop_spare(tree, n->level);
        counted_alloc_put(tree->alloc, n, restree_node_bytes(n->level));
    }
}

static restree_node *new_node(restree *tree, uint32_t level)
{
    restree_node *n = pop_spare(tree, level);
    n->count = 0;
    n->level = level;
    n->parent = NULL;
    tree->nodes++;
    tree->leaves += level == 0;
    return n;
}

static void release_node(restree *tree, restree_node *n)
{
    tree->nodes--;
    tree->leaves -= n->level == 0;
    counted_alloc_put(tree->alloc, n, restree_node_bytes(n->level));
}

static void free_subtree(restree *tree, restree_node *n, void (*drop)(void *ctx, res_node *res), void *ctx)
{
    for (uint32_t i = 0; i < n->count; i++) {
        if (n->level == 0) {
            drop(ctx, n->ref[i].res);
        } else {
            free_subtree(tree, n->ref[i].child, drop, ctx);
        }
    }
    counted_alloc_put(tree->alloc, n, restree_node_bytes(n->level));
}

void restree_destroy(restree *tree, void (*drop)(void *ctx, res_node *res), void *ctx)
{
    if (tree->root != NULL) {
        free_subtree(tree, tree->root, drop, ctx);
    }
    restree_unprepare(tree);
    *tree = (restree){.alloc = tree->alloc, .link = tree->link, .link_ctx = tree->link_ctx};
}

/* ---- entries ---- */

/* One entry, on its way into a node. */
typedef struct entry {
    vs_addr start;
    vs_addr end;
    uint64_t gap;
    restree_ref ref;
} entry;

/* dst and src are on the same level. */
static void copy_entry(restree_node *dst, uint32_t to, const restree_node *src, uint32_t from)
{
    dst->start[to] = src->start[from];
    dst->end[to] = src->end[from];
    dst->ref[to] = src->ref[from];
    if (dst->level != 0) {
        restree_gaps(dst)[to] = restree_gaps_const(src)[from];
    }
}

/* Moves entries [at, count) of n one place up (by > 0) or down (by < 0). */
static void shift_entries(restree_node *n, uint32_t at, int by)
{
    if (by > 0) {
        for (uint32_t i = n->count; i > at; i--) {
            copy_entry(n, i, n, i - 1);
        }
    } else {
        for (uint32_t i = at; i < n->count; i++) {
            copy_entry(n, i - 1, n, i);
        }
    }
    n->count = (uint32_t)((int)n->count + by);
}

/* Points entry i of n back at n: the reservation's leaf link, or the
 * child's parent link. Every entry that lands in another node needs it. */
static void adopt(const restree *tree, restree_node *n, uint32_t i)
{
    if (n->level == 0) {
        *tree->link(tree->link_ctx, n->ref[i].res) = n;
    } else {
        n->ref[i].child->parent = n;
    }
}

/* Appends entries [from, src->count) of src to dst; src keeps `from`. */
static void move_tail(const restree *tree, restree_node *dst, restree_node *src, uint32_t from)
{
    for (uint32_t i = from; i < src->count; i++) {
        copy_entry(dst, dst->count, src, i);
        adopt(tree, dst, dst->count++);
    }
    src->count = from;
}

restree_summary restree_summarize(const restree_node *n)
{
    restree_summary s = {n->start[0], n->end[n->count - 1], 0};
    for (uint32_t i = 1; i < n->count; i++) {
        s.gap = max_u64(s.gap, n->start[i] - n->end[i - 1]);
    }
    for (uint32_t i = 0; n->level != 0 && i < n->count; i++) {
        s.gap = max_u64(s.gap, restree_gaps_const(n)[i]);
    }
    return s;
}

/* Writes the summary of child i into its entry in parent; 1 if that
 * changed the entry. */
static int update_entry(restree_node *parent, uint32_t i)
{
    restree_summary s = restree_summarize(parent->ref[i].child);
    uint64_t *gap = &restree_gaps(parent)[i];
    int changed = s.start != parent->start[i] || s.end != parent->end[i] || s.gap != *gap;
    parent->start[i] = s.start;
    parent->end[i] = s.end;
    *gap = s.gap;
    return changed;
}

/* Where n is among its parent's children. */
static uint32_t index_in_parent(const restree_node *n)
{
    uint32_t i = 0;
    while (n->parent->ref[i].child != n) {
        i++;
    }
    return i;
}

/* Fixes the summaries above n, which changed, up to where one comes out
 * unchanged: nothing above that can change. */
static void update_up(restree_node *n)
{
    for (; n->parent != NULL && update_entry(n->parent, index_in_parent(n)); n = n->parent) {
    }
}

/* Entries of n whose start is at most key: starts are sorted, so this is
 * the index just past the last such entry. A binary search whose halving
 * step the compiler turns into conditional moves, not branches. */
static uint32_t count_up_to(const restree_node *n, vs_addr key)
{
    uint32_t below = 0;
    for (uint32_t len = n->count; len > 0;) {
        uint32_t half = len / 2;
        int right = n->start[below + half] <= key;
        below = right ? below + half + 1 : below;
        len = right ? len - half - 1 : half;
    }
    return below;
}

/* ---- one path down ---- */

/* Asks for every cache line of n at once. A descent needs the keys first
 * and then, once it knows the index, the child link, which lives lines
 * away: fetched on demand those are two misses in a row per level, a
 * prefetch makes them one. */
static void prefetch_lines(const restree_node *n, size_t bytes)
{
    for (size_t line = 0; line < bytes; line += 64) {
        __builtin_prefetch((const char *)n + line);
    }
}

/* Two calls with constant sizes, so that each loop unrolls. */
static void prefetch_node(const restree_node *n, uint32_t level)
{
    if (level == 0) {
        prefetch_lines(n, sizeof(restree_node));
    } else {
        prefetch_lines(n, sizeof(restree_inner));
    }
}

/* The leaf where key belongs: in each node, the child holding key, or the
 * first child if key is below all of them. */
static restree_node *leaf_for(const restree *tree, vs_addr key)
{
    restree_node *n = tree->root;
    while (n->level != 0) {
        uint32_t below = count_up_to(n, key);
        uint32_t level = n->level - 1;
        n = n->ref[below > 0 ? below - 1 : 0].child;
        prefetch_node(n, level);
    }
    return n;
}

/* Leaf and entry of the reservation with the greatest start below addr;
 * leaf NULL if there is none. */
typedef struct leaf_pos {
    const restree_node *leaf;
    uint32_t index;
} leaf_pos;

static leaf_pos last_below(const restree *tree, vs_addr addr)
{
    const restree_node *n = addr > 0 ? tree->root : NULL;
    while (n != NULL) {
        uint32_t below = count_up_to(n, addr - 1);
        if (below == 0) {
            break; /* only at the root: below every subtree's lowest start */
        }
        if (n->level == 0) {
            return (leaf_pos){n, below - 1};
        }
        uint32_t level = n->level - 1;
        n = n->ref[below - 1].child;
        prefetch_node(n, level);
    }
    return (leaf_pos){NULL, 0};
}

/* ---- insert ---- */

/* Puts e at `at` in n; if n is full, splits it and returns the new right
 * node (else NULL). In halves, but when appending (e goes past every
 * reservation, so n is on the right spine and at is its end) n stays full
 * and e alone starts the right node: reservations made in address order
 * then fill their nodes instead of leaving each half empty. Only the right
 * spine may hold fewer than RESTREE_MIN_FILL entries, so removals stay
 * O(log n) (restree_remove). */
static restree_node *insert_entry(restree *tree, restree_node *n, uint32_t at, const entry *e, int append)
{
    restree_node *right = NULL;
    if (n->count == RESTREE_FANOUT) {
        uint32_t keep = append ? RESTREE_FANOUT : RESTREE_FANOUT / 2;
        right = new_node(tree, n->level);
        move_tail(tree, right, n, keep);
        if (at > keep || at == RESTREE_FANOUT) {
            n = right;
            at -= keep;
        }
    }
    shift_entries(n, at, 1);
    n->start[at] = e->start;
    n->end[at] = e->end;
    n->ref[at] = e->ref;
    if (n->level != 0) {
        restree_gaps(n)[at] = e->gap;
    }
    adopt(tree, n, at);
    return right;
}

static void grow_root(restree *tree, restree_node *right)
{
    restree_node *left = tree->root;
    restree_node *root = new_node(tree, left->level + 1);
    root->count = 2;
    root->ref[0].child = left;
    root->ref[1].child = right;
    for (uint32_t i = 0; i < 2; i++) {
        adopt(tree, root, i);
        update_entry(root, i);
    }
    tree->root = root;
    tree->height++;
}

void restree_insert(restree *tree, res_node *node)
{
    entry e = {node->start, node->end, 0, {.res = node}};
    const restree_node *root = tree->root;
    int append = root->count == 0 || node->start >= root->end[root->count - 1];
    tree->count++;
    restree_node *n = tree->prepared_leaf != NULL && tree->prepared_start == node->start ? tree->prepared_leaf
                                                                                         : leaf_for(tree, node->start);
    uint32_t at = count_up_to(n, node->start);
    /* Splitting a gap narrower than the leaf's widest, between two of its
     * reservations, changes no summary: the common case, checked in O(1). */
    uint64_t split_gap = at > 0 && at < n->count ? n->start[at] - n->end[at - 1] : UINT64_MAX;
    restree_node *right = insert_entry(tree, n, at, &e, append);
    if (right == NULL && n->parent != NULL && restree_gaps(n->parent)[index_in_parent(n)] > split_gap) {
        restree_unprepare(tree); /* nothing split: any prepared node is over */
        return;
    }
    /* Invariant: n (the left half if split) needs its summary updated in
     * its parent, and right, if set, an entry after it there. */
    while (right != NULL && n->parent != NULL) {
        restree_node *parent = n->parent; /* the left half, if it splits (n may move to the right one) */
        uint32_t i = index_in_parent(n);
        update_entry(parent, i);
        restree_summary s = restree_summarize(right);
        entry up = {s.start, s.end, s.gap, {.child = right}};
        right = insert_entry(tree, parent, i + 1, &up, append);
        n = parent;
    }
    if (right != NULL) {
        grow_root(tree, right);
    } else {
        update_up(n);
    }
    restree_unprepare(tree); /* what prepare took for a worse case */
}

/* ---- remove ---- */

/* Moves every entry of child i of parent into into, its left sibling, and
 * takes child i out. */
static void merge(restree *tree, restree_node *into, restree_node *parent, uint32_t i)
{
    restree_node *gone = parent->ref[i].child;
    move_tail(tree, into, gone, 0);
    shift_entries(parent, i + 1, -1);
    release_node(tree, gone);
}

/* Child i of parent, not on the right spine, has one entry too few: takes
 * one from a sibling that can spare it, else merges it with a sibling
 * (parent loses an entry). Its left sibling has RESTREE_MIN_FILL entries
 * at least; its right one may be on the spine and hold fewer, which a
 * merge takes as well (MIN_FILL - 1 + MIN_FILL fit in a node). */
static void refill(restree *tree, restree_node *parent, uint32_t i)
{
    restree_node *n = parent->ref[i].child;
    restree_node *left = i > 0 ? parent->ref[i - 1].child : NULL;
    restree_node *right = i + 1 < parent->count ? parent->ref[i + 1].child : NULL;
    if (left != NULL && left->count > RESTREE_MIN_FILL) {
        shift_entries(n, 0, 1);
        copy_entry(n, 0, left, --left->count);
        adopt(tree, n, 0);
        update_entry(parent, i - 1);
    } else if (right != NULL && right->count > RESTREE_MIN_FILL) {
        copy_entry(n, n->count, right, 0);
        adopt(tree, n, n->count++);
        shift_entries(right, 1, -1);
        update_entry(parent, i + 1);
    } else if (left != NULL) {
        merge(tree, left, parent, i);
        i--;
    } else if (right != NULL) {
        merge(tree, n, parent, i + 1);
    }
    update_entry(parent, i);
}

/* Takes out inner roots left with one child (a spine of single children
 * can leave several). The root leaf stays, even empty, so that a tree of
 * one reservation costs no allocation. */
static void shrink_root(restree *tree)
{
    while (tree->root->level != 0 && tree->root->count == 1) {
        restree_node *root = tree->root;
        tree->root = root->ref[0].child;
        tree->root->parent = NULL;
        tree->height--;
        release_node(tree, root);
    }
}

/* True if n is the last node of its level: the path from the root to the
 * highest reservation (insert_entry's appends split there). */
static int on_right_spine(const restree_node *n)
{
    for (; n->parent != NULL; n = n->parent) {
        if (n->parent->ref[n->parent->count - 1].child != n) {
            return 0;
        }
    }
    return 1;
}

/* A node that needs refilling: below half full off the right spine, or
 * empty on it. */
static int short_of_entries(const restree_node *n)
{
    return n->count == 0 || (n->count < RESTREE_MIN_FILL && !on_right_spine(n));
}

/* A gap inside n became `gap` wide, no other changed, and n's range is
 * the same: each ancestor's widest gap becomes at least that, in O(1) a
 * level, up to the first that already had one as wide. */
static void widen_up(restree_node *n, uint64_t gap)
{
    for (; n->parent != NULL; n = n->parent) {
        uint64_t *widest = &restree_gaps(n->parent)[index_in_parent(n)];
        if (*widest >= gap) {
            return;
        }
        *widest = gap;
    }
}

restree_node *restree_leaf_of(const restree *tree, const res_node *node)
{
    return *tree->link(tree->link_ctx, node);
}

/* Removal starts at the reservation's leaf, not at the root: going down
 * would wait on each level in turn. */
void restree_remove(restree *tree, res_node *node, restree_node *leaf)
{
    if (tree->hint == node) {
        tree->hint = NULL;
    }
    tree->prepared_leaf = NULL;
    restree_node *n = leaf;
    prefetch_node(n, 0); /* the search and the shift below read most of its lines */
    if (n->parent != NULL) {
        prefetch_node(n->parent, 1); /* most removals change the leaf's summary */
    }
    uint32_t at = count_up_to(n, node->start) - 1;
    int inside = at > 0 && at + 1 < n->count;
    uint64_t merged = inside ? n->start[at + 1] - n->end[at - 1] : 0;
    shift_entries(n, at + 1, -1);
    tree->count--;
    if (inside && (n->count >= RESTREE_MIN_FILL || n->parent == NULL)) {
        widen_up(n, merged);
        return;
    }
    /* Invariant: nodes below n are sound and summarized in their parents;
     * n lost an entry or changed, and may be short of one. */
    while (n->parent != NULL && short_of_entries(n)) {
        restree_node *parent = n->parent;
        uint32_t i = index_in_parent(n);
        if (n->count == 0) { /* the spine's last node emptied: it goes */
            shift_entries(parent, i + 1, -1);
            release_node(tree, n);
        } else {
            refill(tree, parent, i); /* may free n */
        }
        n = parent;
    }
    update_up(n);
    shrink_root(tree);
}

void restree_refresh(restree *tree, const res_node *node)
{
    restree_node *leaf = restree_leaf_of(tree, node);
    leaf->end[count_up_to(leaf, node->start) - 1] = node->end;
    update_up(leaf);
}

/* ---- queries ---- */

res_node *restree_last_below(const restree *tree, vs_addr addr)
{
    leaf_pos at = last_below(tree, addr);
    return at.leaf != NULL ? at.leaf->ref[at.index].res : NULL;
}

res_node *restree_containing(const restree *tree, vs_addr addr)
{
    if (addr == UINT64_MAX) {
        return NULL;
    }
    leaf_pos at = last_below(tree, addr + 1);
    return at.leaf != NULL && addr < at.leaf->end[at.index] ? at.leaf->ref[at.index].res : NULL;
}

int restree_is_free(const restree *tree, vs_addr start, vs_addr end)
{
    leaf_pos at = last_below(tree, end);
    return at.leaf == NULL || at.leaf->end[at.index] <= start;
}

typedef struct gap_query {
    uint64_t size;
    uint64_t align;
    vs_addr *out;
} gap_query;

static int gap_fits(const gap_query *q, vs_addr from, vs_addr to)
{
    vs_addr aligned = (from + q->align - 1) & ~(q->align - 1);
    if (aligned < from || aligned > to || to - aligned < q->size) {
        return 0;
    }
    *q->out = aligned;
    return 1;
}

/* Searches the gaps between the reservations of subtree n, lowest address
 * first: before each entry lies the gap from the previous one's end, then
 * (in an inner node) the gaps inside the entry's subtree. A subtree whose
 * widest gap is too small is skipped unread; with an alignment larger
 * than a page a wide-enough gap can still fail, and the search goes on. */
static int search_inside(const restree_node *n, const gap_query *q)
{
    for (uint32_t i = 0; i < n->count; i++) {
        if (i > 0 && n->start[i] - n->end[i - 1] >= q->size && gap_fits(q, n->end[i - 1], n->start[i])) {
            return 1;
        }
        if (n->level != 0 && restree_gaps_const(n)[i] >= q->size) {
            const restree_node *child = n->ref[i].child;
            if (n->level == 1) {
                prefetch_node(child, 0); /* the insert will write lines the search does not read */
            }
            if (search_inside(child, q)) {
                return 1;
            }
        }
    }
    return 0;
}

int restree_find_gap(const restree *tree, vs_addr lo, vs_addr hi, uint64_t size, uint64_t align, vs_addr *out)
{
    gap_query q = {size, align, out};
    if (tree->root->count == 0) {
        return gap_fits(&q, lo, hi);
    }
    const restree_node *root = tree->root;
    return gap_fits(&q, lo, root->start[0]) || search_inside(root, &q) || gap_fits(&q, root->end[root->count - 1], hi);
}

static int visit(const restree_node *n, int (*fn)(void *ctx, const res_node *res), void *ctx)
{
    int r = 0;
    for (uint32_t i = 0; r == 0 && i < n->count; i++) {
        r = n->level == 0 ? fn(ctx, n->ref[i].res) : visit(n->ref[i].child, fn, ctx);
    }
    return r;
}

int restree_for_each(const restree *tree, int (*fn)(void *ctx, const res_node *res), void *ctx)
{
    return visit(tree->root, fn, ctx);
}
