/* The invariant check (I1, I3 and the structure behind them). It reads
 * everything twice, once through the reservations and once through the
 * shadow leaves, and reports every place the two disagree. */
#include "internal.h"

#include "libc.h"

typedef struct checker {
    const vs_space *vs;
    vs_violation_fn report;
    void *ctx;
    size_t count;
    uint64_t shadow_mapped; /* MAPPED pages seen through the leaves */
    uint64_t tree_pages;    /* pages seen through the reservations */
    size_t nodes;           /* reservations */
    size_t tree_nodes;      /* restree_nodes in the tree */
    size_t tree_leaves;     /* of which leaves */
    size_t spares;          /* and in its pool */
    size_t spare_leaves;    /* of which leaves */
    vs_addr prev_end;
    int tree_sound;       /* its structure can be navigated */
    const res_node *last; /* the reservation the last mapped page was in */
    uint64_t *per_slot;   /* MAPPED pages counted per handle slot */
    size_t slots;
    size_t slab_leaves;                     /* leaves seen in their block's slab */
    uint64_t large_seen[VS_MAX_PAGE_SIZES]; /* MAPPED pages of size index k > 0 seen through the leaves */
} checker;

static void violation(checker *c, vs_violation_kind kind, vs_addr vaddr, uint64_t expected, uint64_t found,
                      const char *what)
{
    c->count++;
    if (c->report != NULL) {
        vs_violation v = {kind, vaddr, expected, found, what};
        c->report(c->ctx, &v);
    }
}

/* ---- the reservation tree ---- */

/* The tree's record of a reservation agrees with the reservation, which
 * is the one its handle names. */
static void check_reservation(checker *c, const restree_node *leaf, uint32_t i)
{
    const res_node *n = leaf->ref[i].res;
    if (leaf->start[i] != n->start || leaf->end[i] != n->end) {
        violation(c, VS_V_TREE, n->start, n->end, leaf->end[i], "tree's copy of a reservation's range is stale");
    }
    if (restree_leaf_of(&c->vs->tree, n) != leaf) {
        violation(c, VS_V_TREE, n->start, 0, 0, "reservation's link to its leaf names another node");
    }
    const handle_table *h = &c->vs->handles;
    if (n->slot >= h->capacity || handles_record(h, n->slot) != n || n->state != RES_LIVE) {
        violation(c, VS_V_TREE, n->start, n->slot, h->capacity, "reservation node is not the one its handle names");
    }
}

static void check_node_range(checker *c, const res_node *n)
{
    const vs_space *vs = c->vs;
    if (n->start >= n->end || n->start < vs->base || n->end > vs->end) {
        violation(c, VS_V_RESERVATION_OVERLAP, n->start, vs->end, n->end, "reservation empty or outside the range");
    }
    if (c->nodes > 0 && n->start < c->prev_end) {
        violation(c, VS_V_RESERVATION_OVERLAP, n->start, c->prev_end, n->start,
                  "reservation overlaps or precedes the one before it");
    }
    c->prev_end = n->end;
    c->nodes++;
    if (n->end > n->start) {
        c->tree_pages += page_of(n->end - n->start);
    }
}

/* A B-tree node: on the level its depth says (so all leaves are equally
 * deep), filled at least half (the root: two entries, or none if a leaf;
 * the right spine, where appends split: one), and summarized right in its
 * parent. `level` is the level the parent expects. */
static int check_node_shape(checker *c, const restree_node *n, uint32_t level, int is_root, int on_spine)
{
    vs_addr at = n->count > 0 ? n->start[0] : 0;
    if (n->level != level) {
        violation(c, VS_V_TREE, at, level, n->level, "tree node on the wrong level: leaves at different depths");
        return 0;
    }
    /* The root leaf may be empty; an inner root has two children at least. */
    uint32_t least = is_root ? (level > 0 ? 2 : 0) : on_spine ? 1 : RESTREE_MIN_FILL;
    if (n->count < least || n->count > RESTREE_FANOUT) {
        violation(c, VS_V_TREE, at, least, n->count, "tree node under- or overfull");
    }
    return (n->count > 0 || level == 0) && n->count <= RESTREE_FANOUT;
}

/* Returns 0 if the tree cannot be navigated (a node on the wrong level or
 * with no room for its count), so nothing else should read through it. */
static int check_subtree(checker *c, const restree_node *n, uint32_t level, int is_root, int on_spine)
{
    c->tree_nodes++;
    c->tree_leaves += level == 0;
    if (!check_node_shape(c, n, level, is_root, on_spine)) {
        return 0;
    }
    int sound = 1;
    for (uint32_t i = 0; i < n->count; i++) {
        if (level == 0) {
            check_reservation(c, n, i);
            check_node_range(c, n->ref[i].res);
            continue;
        }
        const restree_node *child = n->ref[i].child;
        if (child->parent != n) {
            violation(c, VS_V_TREE, n->start[i], 0, 0, "tree node's link to its parent names another node");
        }
        if (!check_subtree(c, child, level - 1, 0, on_spine && i + 1 == n->count)) {
            sound = 0;
            continue;
        }
        restree_summary s = restree_summarize(child);
        uint64_t gap = restree_gaps_const(n)[i];
        if (s.start != n->start[i] || s.end != n->end[i] || s.gap != gap) {
            violation(c, VS_V_TREE, n->start[i], s.gap, gap,
                      "stale subtree summary (lowest start, highest end, widest gap)");
        }
    }
    return sound;
}

static int check_tree(checker *c)
{
    const restree *t = &c->vs->tree;
    if (t->root == NULL || t->height != t->root->level + 1 || t->root->parent != NULL) {
        violation(c, VS_V_TREE, 0, t->height, t->root != NULL ? t->root->level + 1 : 0,
                  "tree has no root, or a root with a parent or on another level than its height says");
        return 0;
    }
    /* Spares live only inside a call (restree_prepare to restree_insert). */
    for (const restree_node *n = t->spares; n != NULL && c->spares <= t->spare_count; n = n->ref[0].child) {
        c->spares++;
        c->spare_leaves += n->level == 0;
    }
    if (c->spares != 0 || t->spare_count != 0 || t->prepared_leaf != NULL) {
        violation(c, VS_V_ACCOUNTING, 0, 0, t->spare_count,
                  "spare tree nodes (or a prepared insert) left over between calls");
    }
    return check_subtree(c, t->root, t->root->level, 1, 1);
}

/* ---- the shadow leaves ---- */

/* Mappings never overlap: a base leaf's block, or a large page, must lie
 * under no (larger) large page. */
static void check_not_covered(checker *c, uint64_t page, unsigned smallest)
{
    const shadow *s = &c->vs->shadow;
    for (unsigned k = smallest; k < s->num_sizes && s->large_total != 0; k++) {
        const shadow_leaf *leaf = shadow_leaf_by_key(s, shadow_key(s, k, page));
        unsigned i = shadow_index(s, k, page);
        if (leaf != NULL && (leaf->meta[i] & META_STATE_MASK) != VS_PAGE_EMPTY) {
            violation(c, VS_V_LARGE_PAGE, page << SHADOW_PAGE_BITS, 0, (uint64_t)1 << (s->shift[k] + SHADOW_PAGE_BITS),
                      "mapping overlaps a large page");
        }
    }
}

/* Each mapped page lies in a reservation, whose slot counts it (I1). */
static void count_in_reservation(checker *c, uint64_t page, uint64_t pages)
{
    vs_addr vaddr = page << SHADOW_PAGE_BITS;
    const res_node *res = c->last;
    if (!c->tree_sound) {
        return; /* already reported: a lookup through it could go astray */
    }
    if (res == NULL || vaddr < res->start || vaddr >= res->end) {
        res = restree_containing(&c->vs->tree, vaddr);
        c->last = res;
    }
    if (res == NULL || page_of(res->end) - page < pages) {
        violation(c, VS_V_PAGE_OUTSIDE_RESERVATION, vaddr, VS_PAGE_EMPTY, VS_PAGE_MAPPED,
                  "page is MAPPED in the shadow table but not inside one reservation");
    } else if (c->per_slot != NULL && res->slot < c->slots) {
        c->per_slot[res->slot] += pages;
    }
}

/* A base leaf whose block has a slab is that slab's leaf, marked present
 * (the directory answers lookups: it must name the leaf the table lists). */
static void check_in_slab(checker *c, uint64_t key, const shadow_leaf *leaf)
{
    const shadow *s = &c->vs->shadow;
    const shadow_block *b = shadow_block_of(s, key);
    if (b == NULL) {
        return;
    }
    unsigned i = (unsigned)(key & (SHADOW_BLOCK_LEAVES - 1));
    c->slab_leaves++;
    if (leaf != &b->leaves[i] || !((b->present >> i) & 1)) {
        violation(c, VS_V_ACCOUNTING, shadow_key_page(s, key) << SHADOW_PAGE_BITS, 1, (b->present >> i) & 1,
                  "leaf of a dense block is not its slab's leaf, or not marked present");
    }
}

/* The per-size counts of large pages, by which lookups skip sizes with
 * none mapped, agree with the large pages the leaves hold. */
static void check_large_counts(checker *c)
{
    const shadow *s = &c->vs->shadow;
    uint64_t total = 0;
    for (unsigned k = 1; k < VS_MAX_PAGE_SIZES; k++) {
        total += c->large_seen[k];
        if (c->large_seen[k] != s->large_pages[k]) {
            violation(c, VS_V_ACCOUNTING, 0, c->large_seen[k], s->large_pages[k],
                      "count of mapped large pages of one size disagrees with the shadow's leaves");
        }
    }
    if (total != s->large_total) {
        violation(c, VS_V_ACCOUNTING, 0, total, s->large_total,
                  "total of mapped large pages disagrees with the shadow's leaves");
    }
}

/* Every slab holds a leaf, and its present bits are exactly the leaves
 * check_in_slab found in it (those were distinct and marked, so equal
 * totals leave no stray bit). The window shows every slab inside it and
 * nothing else: each block there has its own slab as its entry, and the
 * entries in use are as many as those blocks. */
static void check_slabs(checker *c)
{
    const shadow *s = &c->vs->shadow;
    size_t blocks = 0;
    size_t marked = 0;
    size_t in_window = 0;
    for (size_t i = 0; i < s->block_capacity; i++) {
        const shadow_block *b = &s->blocks[i];
        if (b->leaves == NULL) {
            continue;
        }
        blocks++;
        marked += shadow_bit_count(b->present);
        vs_addr vaddr = b->key << (SHADOW_BLOCK_BITS + SHADOW_LEAF_BITS + SHADOW_PAGE_BITS);
        if (b->present == 0 || shadow_block_of(s, b->key << SHADOW_BLOCK_BITS) != b) {
            violation(c, VS_V_ACCOUNTING, vaddr, 1, b->present == 0 ? 0 : 1,
                      "dense block has no leaf, or its directory entry cannot be found");
        }
        shadow_leaf *const *entry = shadow_window_entry(s, b->key);
        if (entry != NULL && *entry != b->leaves) {
            violation(c, VS_V_ACCOUNTING, vaddr, 1, 0, "dense block inside the window is not its window entry");
        }
        in_window += entry != NULL;
    }
    size_t entries = 0;
    for (size_t i = 0; s->window != NULL && i < s->block_capacity; i++) {
        entries += s->window[i] != NULL;
    }
    if (entries != in_window) {
        violation(c, VS_V_ACCOUNTING, 0, in_window, entries,
                  "block window entries in use differ from the dense blocks inside it");
    }
    if (blocks != s->block_count || marked != c->slab_leaves || marked != s->slab_leaves) {
        violation(c, VS_V_ACCOUNTING, 0, c->slab_leaves, marked,
                  "dense blocks' present leaves or block count disagree with the leaf table");
    }
}

static int check_leaf(void *ctx, uint64_t key, const shadow_leaf *leaf)
{
    checker *c = ctx;
    const shadow *s = &c->vs->shadow;
    unsigned k = shadow_key_size(key);
    uint64_t first = shadow_key_page(s, key);
    uint64_t pages = (uint64_t)1 << shadow_key_shift(s, key);
    int uses_ext = 0;
    int empty = 1;
    if (k == 0) {
        check_not_covered(c, first, 1);
        check_in_slab(c, key, leaf);
    }
    for (unsigned i = 0; i < SHADOW_LEAF_PAGES; i++) {
        unsigned state = leaf->meta[i] & META_STATE_MASK;
        uses_ext |= (leaf->meta[i] & META_EXT) != 0;
        if (state == VS_PAGE_EMPTY) {
            continue;
        }
        empty = 0;
        uint64_t page = first + ((uint64_t)i << shadow_key_shift(s, key));
        if (state != VS_PAGE_MAPPED) {
            violation(c, VS_V_ACCOUNTING, page << SHADOW_PAGE_BITS, VS_PAGE_MAPPED, state,
                      "shadow page is neither EMPTY nor MAPPED");
            continue;
        }
        c->shadow_mapped += pages;
        count_in_reservation(c, page, pages);
        shadow_entry e;
        shadow_decode(leaf, i, &e);
        if (e.size_index != k) {
            violation(c, VS_V_LARGE_PAGE, page << SHADOW_PAGE_BITS, k, e.size_index,
                      "page's size differs from the size its record is filed under");
        }
        if (k != 0) {
            check_not_covered(c, page, k + 1);
            c->large_seen[k]++;
        }
    }
    if (empty || uses_ext != (leaf->ext != NULL)) {
        violation(c, VS_V_ACCOUNTING, first << SHADOW_PAGE_BITS, 0, empty,
                  "shadow leaf is empty, or its side array is unused or missing");
    }
    return 0;
}

/* Each reservation's mapped count against the pages counted in its slot. */
static int check_mapped_count(void *ctx, const res_node *res)
{
    checker *c = ctx;
    uint64_t counted = res->slot < c->slots ? c->per_slot[res->slot] : 0;
    if (counted != res->mapped_pages) {
        violation(c, VS_V_MAPPED_COUNT, res->start, counted, res->mapped_pages,
                  "reservation's mapped-page count differs from its MAPPED shadow pages");
    }
    return 0;
}

static void check_counts(checker *c)
{
    const vs_space *vs = c->vs;
    if (c->tree_pages != vs->reserved_pages) {
        violation(c, VS_V_PAGE_COUNT, 0, c->tree_pages, vs->reserved_pages,
                  "pages counted through the reservations differ from the vspace's reserved-page count");
    }
    if (c->shadow_mapped != vs->mapped_pages) {
        violation(c, VS_V_MAPPED_COUNT, 0, c->shadow_mapped, vs->mapped_pages,
                  "vspace's mapped-page count differs from the shadow table");
    }
    size_t tables = 0;
    size_t detached = 0, kept = 0;
    vs_addr detached_at = 0, kept_at = 0;
    for (const table_rec *t = vs->tables.head; t != NULL; t = t->next) {
        tables++;
        detached += t->place == TABLE_DETACHED;
        detached_at = t->place == TABLE_DETACHED ? t->vaddr : detached_at;
        kept += t->place == TABLE_KEPT;
        kept_at = t->place == TABLE_KEPT ? t->vaddr : kept_at;
    }
    if (detached != 0 || vs->tables.detached != 0) {
        /* Only a call in progress holds a table out of the kernel. */
        violation(c, VS_V_ACCOUNTING, detached_at, 0, detached,
                  "paging table left detached (unmapped for a large page) after the call that detached it");
    }
    if (kept != vs->tables.kept || (kept != 0 && !vs->tables.keeping)) {
        /* Beyond a call, only an open vs_table_keep holds one out. */
        violation(c, VS_V_ACCOUNTING, kept_at, vs->tables.kept, kept,
                  "paging table kept out of the kernel without an open vs_table_keep, or the kept count is wrong");
    }
    vs_addr where = 0;
    const char *index_wrong = tables_index_disagreement(&vs->tables, &where);
    if (index_wrong != NULL) {
        violation(c, VS_V_ACCOUNTING, where, vs->tables.count, tables, index_wrong);
    }
    uint32_t slot = HANDLE_NONE;
    const char *handles_wrong = handles_disagreement(&vs->handles, vs->tree.count, &slot);
    if (handles_wrong != NULL) {
        violation(c, VS_V_ACCOUNTING, 0, vs->handles.used, slot, handles_wrong);
    }
    size_t leaves = c->tree_leaves + c->spare_leaves;
    size_t inner = c->tree_nodes - c->tree_leaves + c->spares - c->spare_leaves;
    size_t bytes = sizeof(vs_space) + leaves * restree_node_bytes(0) + inner * restree_node_bytes(1) +
                   shadow_bytes(&vs->shadow) + tables * sizeof(table_rec) + tables_index_bytes(&vs->tables) +
                   handles_bytes(&vs->handles);
    if (bytes != vs->alloc.bytes || tables != vs->tables.count || c->nodes != vs->tree.count ||
        c->tree_nodes != vs->tree.nodes || c->tree_leaves != vs->tree.leaves || c->spares != vs->tree.spare_count) {
        violation(c, VS_V_ACCOUNTING, 0, bytes, vs->alloc.bytes,
                  "bookkeeping bytes, table count, reservation or tree node count disagree with the structures");
    }
}

static int count_leaves(void *ctx, uint64_t key, const shadow_leaf *leaf)
{
    (void)key, (void)leaf;
    (*(size_t *)ctx)++;
    return 0;
}

static void report_duplicate(void *ctx, vs_addr vaddr, vs_cap cap)
{
    checker *c = ctx;
    violation(c, VS_V_CAP_MAPPED_TWICE, vaddr, 1, cap, "frame cap is mapped at more than one address");
}

vs_result vs_check(const vs_space *vs, vs_violation_fn report, void *ctx, size_t *count)
{
    if (vs == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    checker c = {.vs = vs, .report = report, .ctx = ctx};
    const vs_allocator *a = &vs->alloc.base;
    size_t slots = vs->handles.capacity;
    if (slots != 0) {
        c.per_slot = a->alloc(a->ctx, slots * sizeof(uint64_t));
        if (c.per_slot == NULL) {
            return VS_ERR_NO_MEMORY;
        }
        memset(c.per_slot, 0, slots * sizeof(uint64_t));
        c.slots = slots;
    }
    c.tree_sound = check_tree(&c);
    shadow_for_each_leaf(&vs->shadow, check_leaf, &c);
    check_slabs(&c);
    check_large_counts(&c);
    if (c.tree_sound) {
        restree_for_each(&vs->tree, check_mapped_count, &c);
    }
    if (c.per_slot != NULL) {
        a->free(a->ctx, c.per_slot, slots * sizeof(uint64_t));
    }
    size_t leaves = 0;
    shadow_for_each_leaf(&vs->shadow, count_leaves, &leaves);
    if (leaves != vs->shadow.leaves) {
        violation(&c, VS_V_ACCOUNTING, 0, leaves, vs->shadow.leaves, "shadow leaf count is wrong");
    }
    check_counts(&c);
    vs_result r = vs_check_caps(vs, report_duplicate, &c);
    if (count != NULL) {
        *count = c.count;
    }
    if (r != VS_OK) {
        return r;
    }
    return c.count == 0 ? VS_OK : VS_ERR_INCONSISTENT;
}

const char *vs_violation_kind_name(vs_violation_kind kind)
{
    static const char *const names[] = {
        [VS_V_PAGE_OUTSIDE_RESERVATION] = "page-outside-reservation",
        [VS_V_PAGE_EMPTY_IN_RESERVATION] = "page-empty-in-reservation",
        [VS_V_PAGE_COUNT] = "page-count",
        [VS_V_MAPPED_COUNT] = "mapped-count",
        [VS_V_RESERVATION_OVERLAP] = "reservation-overlap",
        [VS_V_TREE] = "tree",
        [VS_V_CAP_MAPPED_TWICE] = "cap-mapped-twice",
        [VS_V_LARGE_PAGE] = "large-page",
        [VS_V_ACCOUNTING] = "accounting",
    };
    if ((unsigned)kind >= sizeof names / sizeof names[0] || names[kind] == NULL) {
        return "unknown";
    }
    return names[kind];
}
