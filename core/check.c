/* The invariant check (I1, I3 and the structure behind them). It reads
 * everything twice, once through the reservations and once through the
 * shadow leaves, and reports every place the two disagree. */
#include "internal.h"

typedef struct checker {
    const vs_space *vs;
    vs_violation_fn report;
    void *ctx;
    size_t count;
    uint64_t shadow_pages;  /* non-EMPTY pages seen through the leaves */
    uint64_t shadow_mapped; /* MAPPED pages seen through the leaves */
    uint64_t tree_pages;    /* pages seen through the reservations */
    size_t nodes;
    vs_addr prev_end;
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

static void check_node_shape(checker *c, const res_node *n)
{
    res_node copy = *n;
    restree_pull(&copy);
    if (copy.height != n->height || copy.sub_min != n->sub_min || copy.sub_max != n->sub_max ||
        copy.sub_gap != n->sub_gap) {
        violation(c, VS_V_TREE, n->start, copy.sub_gap, n->sub_gap, "stale height or free-gap augmentation");
    }
    int balance = (int)(n->child[1] ? n->child[1]->height : 0) - (int)(n->child[0] ? n->child[0]->height : 0);
    if (balance > 1 || balance < -1) {
        violation(c, VS_V_TREE, n->start, 1, (uint64_t)(balance < 0 ? -balance : balance), "tree out of balance");
    }
    const handle_table *h = &c->vs->handles;
    if (n->slot >= h->capacity || h->slots[n->slot].node != n) {
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
}

/* A large page must start aligned and fill its base pages with one cap. */
static uint64_t check_large_page(checker *c, uint64_t page, const shadow_entry *head)
{
    const vs_space *vs = c->vs;
    uint64_t pages = pages_in(vs, head->size_index);
    if ((page & (pages - 1)) != 0) {
        violation(c, VS_V_LARGE_PAGE, page << SHADOW_PAGE_BITS, 0, page & (pages - 1),
                  "mapped page is not aligned to its page size");
        return 1;
    }
    for (uint64_t i = 1; i < pages; i++) {
        shadow_entry e;
        shadow_get(&vs->shadow, page + i, &e);
        if (e.state != VS_PAGE_MAPPED || e.cap != head->cap || e.size_index != head->size_index) {
            violation(c, VS_V_LARGE_PAGE, (page + i) << SHADOW_PAGE_BITS, head->cap, e.cap,
                      "base page of a large page disagrees with its head");
            return i;
        }
    }
    return pages;
}

static void check_reservation_pages(checker *c, const res_node *res)
{
    uint64_t mapped = 0;
    for (uint64_t page = page_of(res->start); page < page_of(res->end);) {
        shadow_entry e;
        shadow_get(&c->vs->shadow, page, &e);
        if (e.state == VS_PAGE_EMPTY) {
            violation(c, VS_V_PAGE_EMPTY_IN_RESERVATION, page << SHADOW_PAGE_BITS, VS_PAGE_RESERVED, VS_PAGE_EMPTY,
                      "page of a live reservation is EMPTY in the shadow table");
        }
        uint64_t step = e.state == VS_PAGE_MAPPED ? check_large_page(c, page, &e) : 1;
        mapped += e.state == VS_PAGE_MAPPED ? step : 0;
        page += step;
    }
    if (mapped != res->mapped_pages) {
        violation(c, VS_V_MAPPED_COUNT, res->start, mapped, res->mapped_pages,
                  "reservation's mapped-page count differs from its MAPPED shadow pages");
    }
}

static void check_tree(checker *c, const res_node *n)
{
    if (n == NULL) {
        return;
    }
    check_tree(c, n->child[0]);
    check_node_shape(c, n);
    check_node_range(c, n);
    if (n->end > n->start) {
        c->tree_pages += page_of(n->end - n->start);
        check_reservation_pages(c, n);
    }
    check_tree(c, n->child[1]);
}

/* ---- the shadow leaves ---- */

static int check_leaf(void *ctx, uint64_t key, const shadow_leaf *leaf)
{
    checker *c = ctx;
    int uses_ext = 0;
    int empty = 1;
    for (unsigned i = 0; i < SHADOW_LEAF_PAGES; i++) {
        unsigned state = leaf->meta[i] & META_STATE_MASK;
        uses_ext |= (leaf->meta[i] & META_EXT) != 0;
        if (state == VS_PAGE_EMPTY) {
            continue;
        }
        empty = 0;
        c->shadow_pages++;
        c->shadow_mapped += state == VS_PAGE_MAPPED;
        vs_addr vaddr = ((key << SHADOW_LEAF_BITS) + i) << SHADOW_PAGE_BITS;
        if (restree_containing(&c->vs->tree, vaddr) == NULL) {
            violation(c, VS_V_PAGE_OUTSIDE_RESERVATION, vaddr, VS_PAGE_EMPTY, state,
                      "page is RESERVED or MAPPED in the shadow table but in no reservation");
        }
    }
    if (empty || uses_ext != (leaf->ext != NULL)) {
        violation(c, VS_V_ACCOUNTING, key << (SHADOW_LEAF_BITS + SHADOW_PAGE_BITS), 0, empty,
                  "shadow leaf is empty, or its side array is unused or missing");
    }
    return 0;
}

static void check_counts(checker *c)
{
    const vs_space *vs = c->vs;
    if (c->shadow_pages != c->tree_pages || c->tree_pages != vs->reserved_pages) {
        violation(c, VS_V_PAGE_COUNT, 0, c->tree_pages, c->shadow_pages,
                  "pages counted through reservations and through the shadow table differ");
    }
    if (c->shadow_mapped != vs->mapped_pages) {
        violation(c, VS_V_MAPPED_COUNT, 0, c->shadow_mapped, vs->mapped_pages,
                  "vspace's mapped-page count differs from the shadow table");
    }
    size_t tables = 0;
    for (const table_rec *t = vs->tables.head; t != NULL; t = t->next) {
        tables++;
    }
    size_t bytes = sizeof(vs_space) + c->nodes * sizeof(res_node) + shadow_bytes(&vs->shadow) +
                   tables * sizeof(table_rec) + handles_bytes(&vs->handles);
    if (bytes != vs->alloc.bytes || tables != vs->tables.count || c->nodes != vs->tree.count) {
        violation(c, VS_V_ACCOUNTING, 0, bytes, vs->alloc.bytes,
                  "bookkeeping bytes, table count or reservation count disagree with the structures");
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
    checker c = {vs, report, ctx, 0, 0, 0, 0, 0, 0};
    check_tree(&c, vs->tree.root);
    shadow_for_each_leaf(&vs->shadow, check_leaf, &c);
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
