/* vs_check must see corrupted bookkeeping. Each test builds a healthy
 * vspace, corrupts one fact through the core's private structures, and
 * requires vs_check to return INCONSISTENT and report a violation of the
 * right kind at the right address; then it undoes the corruption, so that
 * teardown runs on consistent state. */
#include <string.h>

#include "../support/harness.h"
#include "internal.h"

typedef struct seen {
    vs_violation_kind kind;
    vs_addr vaddr;
    int found;
    size_t total;
} seen;

static void collect(void *ctx, const vs_violation *v)
{
    seen *s = ctx;
    s->total++;
    CHECK(v->what != NULL && v->what[0] != '\0');
    if (v->kind == s->kind && v->vaddr == s->vaddr) {
        s->found = 1;
    }
}

static void expect_violation(const vs_space *vs, vs_violation_kind kind, vs_addr vaddr)
{
    seen s = {kind, vaddr, 0, 0};
    size_t count = 0;
    CHECK_RES(vs_check(vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    CHECK(count >= 1 && count == s.total);
    if (!s.found) {
        test_fail(__FILE__, __LINE__, "no %s reported at %#llx (%zu other violations)", vs_violation_kind_name(kind),
                  (unsigned long long)vaddr, s.total);
    }
}

/* A standard healthy state: [base, base + 8 pages) with pages 0 and 1 mapped. */
static vs_reservation *healthy(fixture *fx, const vs_arch *arch)
{
    fx_init(fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("h");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx->vs, 8 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_cap c[2] = {fx_frame(fx, 12), fx_frame(fx, 12)};
    CHECK_RES(vs_map(fx->vs, arch->user_base, c, NULL, 2, 12), VS_OK);
    fx_check(fx, fx->vs);
    return r;
}

/* The reservation holding mapped pages 0 and 1 is unlinked from the tree:
 * its pages are then mapped outside every reservation. */
static void test_page_outside_reservation(const vs_arch *arch)
{
    fixture fx;
    vs_reservation *h = healthy(&fx, arch); /* before fx.vs is read */
    res_node *r = handles_resolve(&fx.vs->handles, h);
    restree_remove(&fx.vs->tree, r, restree_leaf_of(&fx.vs->tree, r));
    expect_violation(fx.vs, VS_V_PAGE_OUTSIDE_RESERVATION, arch->user_base);
    expect_violation(fx.vs, VS_V_PAGE_OUTSIDE_RESERVATION, arch->user_base + PAGE_SIZE);
    CHECK_RES(restree_prepare(&fx.vs->tree, r->start, NULL), VS_OK);
    restree_insert(&fx.vs->tree, r);
    fx_fini(&fx, 0);
}

/* VS_V_PAGE_EMPTY_IN_RESERVATION cannot occur since the shadow holds mapped
 * pages only (a page of a reservation is RESERVED by definition). A mapped
 * page the shadow loses shows as the reservation's count disagreeing. */
static void test_mapped_page_lost(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    uint64_t page = page_of(arch->user_base + PAGE_SIZE);
    shadow_leaf *leaf = shadow_leaf_of(&fx.vs->shadow, page);
    unsigned i = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
    CHECK(leaf != NULL);
    uint8_t saved = leaf->meta[i];
    leaf->meta[i] = 0;
    expect_violation(fx.vs, VS_V_MAPPED_COUNT, arch->user_base);
    leaf->meta[i] = saved;
    fx_fini(&fx, 0);
}

static void test_mapped_count(const vs_arch *arch)
{
    fixture fx;
    vs_reservation *h = healthy(&fx, arch); /* before fx.vs is read */
    res_node *r = handles_resolve(&fx.vs->handles, h);
    r->mapped_pages += 1;
    expect_violation(fx.vs, VS_V_MAPPED_COUNT, r->start);
    r->mapped_pages -= 1;
    fx_fini(&fx, 0);
}

/* The second mapped page is made to name the first page's cap. */
static void test_cap_mapped_twice(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    uint64_t p0 = page_of(arch->user_base), p1 = p0 + 1;
    shadow_leaf *l0 = shadow_leaf_of(&fx.vs->shadow, p0), *l1 = shadow_leaf_of(&fx.vs->shadow, p1);
    unsigned i0 = (unsigned)(p0 & (SHADOW_LEAF_PAGES - 1)), i1 = (unsigned)(p1 & (SHADOW_LEAF_PAGES - 1));
    CHECK(l0 != NULL && l1 != NULL && !(l1->meta[i1] & META_EXT) && !(l0->meta[i0] & META_EXT));
    uint32_t saved = l1->cap[i1];
    l1->cap[i1] = l0->cap[i0];
    seen s = {VS_V_CAP_MAPPED_TWICE, 0, 0, 0};
    size_t count = 0;
    CHECK_RES(vs_check(fx.vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    s.vaddr = p1 << 12; /* reported at either mapping */
    s.found = 0;
    CHECK_RES(vs_check(fx.vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    int at_second = s.found;
    s.vaddr = p0 << 12;
    s.found = 0;
    CHECK_RES(vs_check(fx.vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    CHECK(at_second || s.found);
    l1->cap[i1] = saved;
    fx_fini(&fx, 0);
}

/* A large page's record filed under another size. (Its base pages cannot
 * disagree any more: a large page is one record.) */
static void test_large_page(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    unsigned bits = arch->page_sizes[1].bits;
    vs_attrs a = attrs_rw("big");
    vs_reservation *big = NULL;
    CHECK_RES(vs_reserve(fx.vs, 1ull << bits, 1ull << bits, &a, &big), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(fx.vs, big, &info), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, info.start, 1, bits), VS_OK);
    fx_check(&fx, fx.vs);
    unsigned i = 0;
    shadow_leaf *leaf = (shadow_leaf *)shadow_find_large(&fx.vs->shadow, page_of(info.start), &i);
    CHECK(leaf != NULL);
    if (leaf != NULL) {
        uint8_t saved = leaf->meta[i];
        leaf->meta[i] = (uint8_t)(saved & ~META_SIZE_MASK);
        expect_violation(fx.vs, VS_V_LARGE_PAGE, info.start);
        leaf->meta[i] = saved;
    }
    /* The per-size count lookups skip sizes by, and the total, each off by one. */
    fx.vs->shadow.large_pages[1]++;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    fx.vs->shadow.large_pages[1]--;
    fx.vs->shadow.large_total++;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    fx.vs->shadow.large_total--;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A tree of two levels: 40 one-page reservations, one page apart (so
 * every gap between them is one page). Inserted in descending address
 * order, each at the front, the leaves split in halves and fill to 16, 8,
 * 8, 8: the middle ones hold the least a leaf off the right spine may. */
static restree_node *two_levels(fixture *fx, const vs_arch *arch)
{
    fx_init(fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("t");
    for (vs_addr i = 40; i-- > 0;) {
        CHECK_RES(vs_reserve_at(fx->vs, arch->user_base + 2 * i * PAGE_SIZE, PAGE_SIZE, &a, NULL), VS_OK);
    }
    fx_check(fx, fx->vs);
    restree_node *root = fx->vs->tree.root;
    CHECK(fx->vs->tree.height == 2 && root->count == 4 && root->ref[1].child->count == RESTREE_MIN_FILL);
    return root;
}

/* Each of a child's lowest start, highest end and widest gap, as its
 * parent records them, made wrong in turn. */
static void test_tree_summary(const vs_arch *arch)
{
    fixture fx;
    restree_node *root = two_levels(&fx, arch);
    vs_addr at = root->start[1];
    restree_gaps(root)[1] += PAGE_SIZE;
    expect_violation(fx.vs, VS_V_TREE, at);
    restree_gaps(root)[1] -= PAGE_SIZE;
    root->end[1] += PAGE_SIZE;
    expect_violation(fx.vs, VS_V_TREE, at);
    root->end[1] -= PAGE_SIZE;
    root->start[1] -= PAGE_SIZE;
    expect_violation(fx.vs, VS_V_TREE, at - PAGE_SIZE);
    root->start[1] += PAGE_SIZE;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A leaf's copy of a reservation's end disagrees with the reservation
 * (the leaf's summary, its widest gap, unchanged). */
static void test_tree_stale_copy(const vs_arch *arch)
{
    fixture fx;
    restree_node *leaf = two_levels(&fx, arch)->ref[0].child;
    leaf->end[2] += PAGE_SIZE / 2;
    expect_violation(fx.vs, VS_V_TREE, leaf->start[2]);
    leaf->end[2] -= PAGE_SIZE / 2;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* The vspace's own reserved-page count disagrees with the reservations. */
static void test_page_count(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    fx.vs->reserved_pages += 3;
    expect_violation(fx.vs, VS_V_PAGE_COUNT, 0);
    fx.vs->reserved_pages -= 3;
    fx_fini(&fx, 0);
}

/* The vspace-wide mapped count (not a reservation's) is wrong. */
static void test_mapped_count_global(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    fx.vs->mapped_pages += 1;
    expect_violation(fx.vs, VS_V_MAPPED_COUNT, 0);
    fx.vs->mapped_pages -= 1;
    fx_fini(&fx, 0);
}

/* Two reservations made to overlap (the second's start moved into the
 * first), and a reservation made empty. */
static void test_reservation_overlap(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    vs_attrs a = attrs_rw("o");
    vs_reservation *h2 = NULL;
    vs_addr second = arch->user_base + 32 * PAGE_SIZE;
    CHECK_RES(vs_reserve_at(fx.vs, second, PAGE_SIZE, &a, &h2), VS_OK);
    res_node *r2 = handles_resolve(&fx.vs->handles, h2);
    vs_addr inside = arch->user_base + 4 * PAGE_SIZE;
    r2->start = inside;
    expect_violation(fx.vs, VS_V_RESERVATION_OVERLAP, inside);
    r2->start = second;
    r2->end = second;
    expect_violation(fx.vs, VS_V_RESERVATION_OVERLAP, second);
    r2->end = second + PAGE_SIZE;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A reservation that leaves the managed range (its pages RESERVED, so
 * only the range is wrong). */
static void test_reservation_outside_range(const vs_arch *arch)
{
    fixture fx;
    vs_addr base = arch->user_base, end = base + 16 * PAGE_SIZE;
    fx_init(&fx, arch, base, end, 0);
    vs_attrs a = attrs_rw("edge");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, end - 2 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &r), VS_OK);
    fx.vs->end = end - PAGE_SIZE; /* the range shrinks under the reservation */
    expect_violation(fx.vs, VS_V_RESERVATION_OVERLAP, end - 2 * PAGE_SIZE);
    fx.vs->end = end;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* Moves the last entry of child i of root (leaves) to the front of child
 * i + 1, or the first back (`back`), and summarizes both anew in root:
 * the tree stays sorted, linked and summarized, only the fill changes. */
static void shift_one(const restree *tree, restree_node *root, uint32_t i, int back)
{
    restree_node *left = root->ref[i].child, *right = root->ref[i + 1].child;
    restree_node *from = back ? right : left, *to = back ? left : right;
    uint32_t fi = back ? 0 : from->count - 1, ti = back ? to->count : 0;
    restree_node entry = *from;
    for (uint32_t j = fi; j + 1 < from->count; j++) {
        from->start[j] = from->start[j + 1], from->end[j] = from->end[j + 1], from->ref[j] = from->ref[j + 1];
    }
    from->count--;
    for (uint32_t j = to->count; j > ti; j--) {
        to->start[j] = to->start[j - 1], to->end[j] = to->end[j - 1], to->ref[j] = to->ref[j - 1];
    }
    to->start[ti] = entry.start[fi], to->end[ti] = entry.end[fi], to->ref[ti] = entry.ref[fi];
    *tree->link(tree->link_ctx, to->ref[ti].res) = to;
    to->count++;
    for (uint32_t k = i; k <= i + 1; k++) {
        restree_summary s = restree_summarize(root->ref[k].child);
        root->start[k] = s.start, root->end[k] = s.end, restree_gaps(root)[k] = s.gap;
    }
}

/* A leaf off the right spine left with one entry fewer than half,
 * otherwise sound; the spine's last leaf may hold fewer, down to one. */
static void test_tree_underfull(const vs_arch *arch)
{
    fixture fx;
    restree_node *root = two_levels(&fx, arch);
    vs_addr at = root->start[1];
    shift_one(&fx.vs->tree, root, 1, 0);
    expect_violation(fx.vs, VS_V_TREE, at);
    shift_one(&fx.vs->tree, root, 1, 1);
    fx_check(&fx, fx.vs);
    for (unsigned moved = 0; moved + 1 < RESTREE_MIN_FILL; moved++) {
        shift_one(&fx.vs->tree, root, 2, 1); /* the spine's last leaf down to one entry */
    }
    CHECK_EQ_U(root->ref[3].child->count, 1);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A reservation's link to its leaf, and a leaf's link to its parent, name
 * a sibling. */
static void test_tree_links(const vs_arch *arch)
{
    fixture fx;
    restree_node *root = two_levels(&fx, arch);
    restree_node *leaf = root->ref[1].child, *sibling = root->ref[2].child;
    res_node *res = leaf->ref[3].res;
    restree_node **link = handles_leaf_link(&fx.vs->handles, res);
    *link = sibling;
    expect_violation(fx.vs, VS_V_TREE, res->start);
    *link = leaf;
    leaf->parent = sibling;
    expect_violation(fx.vs, VS_V_TREE, leaf->start[0]);
    leaf->parent = root;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A tree node left in the pool of spares after a call: spares live only
 * from restree_prepare to restree_insert. */
static void test_tree_spare_left(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    restree *t = &fx.vs->tree;
    restree_node *spare = counted_alloc_get(&fx.vs->alloc, sizeof *spare);
    CHECK(spare != NULL);
    spare->ref[0].child = NULL;
    spare->level = 0;
    t->spares = spare;
    t->spare_count = 1;
    t->spare_leaves = 1;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    restree_unprepare(t);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A leaf that claims to be an inner node: leaves at different depths. */
static void test_tree_depth(const vs_arch *arch)
{
    fixture fx;
    restree_node *leaf = two_levels(&fx, arch)->ref[1].child;
    leaf->level = 1;
    expect_violation(fx.vs, VS_V_TREE, leaf->start[0]);
    leaf->level = 0;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A node of another vspace spliced into this one's tree: its handle slot
 * names another node here. */
static void test_tree_foreign_node(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    vs_space *other = fx_second(&fx, NULL);
    vs_attrs a = attrs_rw("foreign");
    vs_reservation *h = NULL;
    vs_addr at = arch->user_base + 64 * PAGE_SIZE;
    CHECK_RES(vs_reserve_at(other, at, PAGE_SIZE, &a, &h), VS_OK);
    res_node *n = handles_resolve(&other->handles, h);
    CHECK(n != NULL);
    /* The insert writes this vspace's leaf link of n's slot, which one of
     * its own reservations owns. */
    restree_node **link = handles_leaf_link(&fx.vs->handles, n);
    restree_node *owner = *link;
    CHECK_RES(restree_prepare(&fx.vs->tree, n->start, NULL), VS_OK);
    restree_insert(&fx.vs->tree, n);
    expect_violation(fx.vs, VS_V_TREE, at);
    restree_remove(&fx.vs->tree, n, *link);
    *link = owner;
    fx_check(&fx, fx.vs);
    fx_check(&fx, other);
    CHECK_RES(vs_destroy(other, 0, NULL), VS_OK);
    fx_fini(&fx, 0);
}

/* Bookkeeping bytes, the table count and the reservation count each
 * disagree with the structures; and a shadow leaf left with no page. */
static void test_accounting(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    fx.vs->alloc.bytes += 8;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    fx.vs->alloc.bytes -= 8;
    fx.vs->tables.count += 1;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    fx.vs->tables.count -= 1;
    fx.vs->tree.count += 1;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    fx.vs->tree.count -= 1;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* The head of the table index's bucket b (its segments as tables.h
 * describes them). */
static table_rec **bucket_head(const table_index *ix, size_t b)
{
    unsigned s = b < 8 ? 0 : (unsigned)(63 - __builtin_clzll(b)) - 2;
    return &ix->segments[s][b - (s == 0 ? 0 : (size_t)8 << (s - 1))];
}

/* The link to rec in the index's chains, found by walking them all rather
 * than through the index's own lookup; NULL if none. */
static table_rec **index_link_to(const table_index *ix, const table_rec *rec)
{
    for (size_t b = 0; b < ix->buckets; b++) {
        table_rec **link = bucket_head(ix, b);
        while (*link != NULL && *link != rec) {
            link = &(*link)->index_next;
        }
        if (*link == rec) {
            return link;
        }
    }
    return NULL;
}

/* The table index loses a table, files one in a bucket its key does not
 * lead to, holds a record that is no table, and has more buckets than its
 * table count calls for; a table is left detached, or kept without a keep. Twelve pages, each under its own last-level
 * table, make more tables than the index's first 8 buckets. */
static void test_table_index(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    unsigned span = arch->levels[arch->num_levels - 2].shift;
    vs_attrs a = attrs_rw("ti");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 16ull << span, 1ull << span, &a, &r), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    for (unsigned i = 0; i < 12; i++) {
        CHECK_RES(vs_map_new(fx.vs, info.start + ((vs_addr)i << span), 1, 12), VS_OK);
    }
    fx_check(&fx, fx.vs);
    table_index *ix = &fx.vs->tables.index;
    unsigned last = arch->num_levels - 1u;
    table_rec *rec = tables_find(&fx.vs->tables, last, info.start + (5ull << span));
    table_rec **link = rec != NULL ? index_link_to(ix, rec) : NULL;
    CHECK(link != NULL && ix->buckets > 8);
    if (link == NULL) {
        fx_fini(&fx, 0);
        return;
    }
    table_rec *next = rec->index_next;
    *link = next; /* lost */
    expect_violation(fx.vs, VS_V_ACCOUNTING, rec->vaddr);
    size_t misfiled = 0;
    for (size_t b = 0; b < ix->buckets && misfiled == 0; b++) {
        table_rec **head = bucket_head(ix, b);
        rec->index_next = *head;
        *head = rec;
        if (tables_find(&fx.vs->tables, rec->level, rec->vaddr) == NULL) {
            misfiled = b + 1;
            expect_violation(fx.vs, VS_V_ACCOUNTING, rec->vaddr);
        }
        *head = rec->index_next;
    }
    CHECK(misfiled != 0);
    rec->index_next = next;
    *link = rec;
    fx_check(&fx, fx.vs);
    table_rec stranger = {.level = last, .vaddr = info.start + (14ull << span)}; /* no such table */
    table_rec **head = bucket_head(ix, 0);
    stranger.index_next = *head;
    *head = &stranger;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    *head = stranger.index_next;
    ix->buckets++;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ix->buckets--;
    fx_check(&fx, fx.vs);
    /* A table left detached (tables_detach_span) after its call ended. */
    rec->place = TABLE_DETACHED;
    fx.vs->tables.detached = 1;
    expect_violation(fx.vs, VS_V_ACCOUNTING, rec->vaddr);
    rec->place = TABLE_IN_KERNEL;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    fx.vs->tables.detached = 0;
    fx_check(&fx, fx.vs);
    /* A table kept (vs_table_keep) with no keep open, then with the kept
     * count wrong. */
    rec->place = TABLE_KEPT;
    fx.vs->tables.kept = 1;
    expect_violation(fx.vs, VS_V_ACCOUNTING, rec->vaddr);
    fx.vs->tables.keeping = 1;
    fx.vs->tables.kept = 0;
    expect_violation(fx.vs, VS_V_ACCOUNTING, rec->vaddr);
    rec->place = TABLE_IN_KERNEL;
    fx.vs->tables.keeping = 0;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* The leaf holding the two mapped pages has them cleared by hand (the
 * leaf itself kept): an empty leaf is reported at its first address. */
static void test_accounting_empty_leaf(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    uint64_t p0 = page_of(arch->user_base), p1 = p0 + 1;
    shadow_leaf *l = shadow_leaf_of(&fx.vs->shadow, p0);
    CHECK(l != NULL && l == shadow_leaf_of(&fx.vs->shadow, p1));
    unsigned i0 = (unsigned)(p0 & (SHADOW_LEAF_PAGES - 1)), i1 = (unsigned)(p1 & (SHADOW_LEAF_PAGES - 1));
    uint8_t m0 = l->meta[i0], m1 = l->meta[i1];
    for (unsigned i = 0; i < SHADOW_LEAF_PAGES; i++) {
        CHECK(i == i0 || i == i1 || l->meta[i] == 0);
    }
    l->meta[i0] = 0;
    l->meta[i1] = 0;
    expect_violation(fx.vs, VS_V_ACCOUNTING, (p0 & ~(uint64_t)(SHADOW_LEAF_PAGES - 1)) << 12);
    l->meta[i0] = m0;
    l->meta[i1] = m1;
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_healthy_is_clean(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    size_t count = 5;
    CHECK_RES(vs_check(fx.vs, NULL, NULL, &count), VS_OK);
    CHECK_EQ_U(count, 0);
    talloc_fail_after(&fx.ta, 0); /* the duplicate-cap scan needs scratch memory */
    vs_result r = vs_check(fx.vs, NULL, NULL, &count);
    talloc_disarm(&fx.ta);
    CHECK(r == VS_OK || r == VS_ERR_NO_MEMORY);
    fx_fini(&fx, 0);
}

/* A dense block's slab loses the mark of a leaf the leaf table lists
 * (lookups through the directory would call its pages unmapped), then
 * gains the mark of a leaf that does not exist. */
static void test_slab_present(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    enum { BLOCK_PAGES = SHADOW_BLOCK_LEAVES * SHADOW_LEAF_PAGES, HALF = BLOCK_PAGES / 2 };
    vs_attrs a = attrs_rw("dense");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, (uint64_t)2 * BLOCK_PAGES * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(fx.vs, r, &info), VS_OK);
    uint64_t block = (page_of(info.start) + BLOCK_PAGES - 1) & ~(uint64_t)(BLOCK_PAGES - 1);
    static vs_cap caps[HALF];
    for (size_t i = 0; i < HALF; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    CHECK_RES(vs_map(fx.vs, block << 12, caps, NULL, HALF, 12), VS_OK);
    fx_check(&fx, fx.vs);
    shadow_block *b = shadow_block_of(&fx.vs->shadow, block >> SHADOW_LEAF_BITS);
    CHECK(b != NULL);
    if (b != NULL) {
        uint64_t saved = b->present;
        b->present &= ~(uint64_t)2; /* the leaf of pages block + 16 ... */
        expect_violation(fx.vs, VS_V_ACCOUNTING, (block + SHADOW_LEAF_PAGES) << 12);
        b->present = saved | (uint64_t)1 << (SHADOW_BLOCK_LEAVES - 1);
        expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
        b->present = saved;
    }
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* The handle table's own bookkeeping (core/handles.c): each chunk's free
 * list, in-use count and room bit, the table's in-use count and its first
 * chunk with room. Each is broken by hand and put back. */
static void test_handle_table(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    vs_attrs a = attrs_rw("x");
    vs_reservation *extra[6];
    for (int i = 0; i < 6; i++) { /* chunks 0 and 1 (4 records each) in use, one free */
        CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &extra[i]), VS_OK);
    }
    CHECK_RES(vs_free(fx.vs, extra[5], 0), VS_OK);
    CHECK_RES(vs_free(fx.vs, extra[4], 0), VS_OK);
    fx_check(&fx, fx.vs);
    handle_table *t = &fx.vs->handles;
    res_chunk *ch = &t->chunks[1];
    CHECK(ch->free_head != HANDLE_NONE);
    t->room[0] ^= 2u; /* chunk 1's bit */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    t->room[0] ^= 2u;
    t->room[0] ^= 1u << 9; /* a bit past the last chunk */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    t->room[0] ^= 1u << 9;
    ch->used++;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ch->used--;
    t->used--;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    t->used++;
    t->open = 0;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    t->open = 1;
    res_node *head = &ch->records[ch->free_head - 4];
    uint32_t next = head->next_free;
    head->next_free = head->slot; /* the free list loops */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    head->next_free = next;
    head->next_free = 0; /* the free list leaves the chunk */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    head->next_free = next;
    uint32_t free_head = ch->free_head;
    ch->free_head = 4; /* a record in use at the head of the free list */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ch->free_head = free_head;
    ch->first++; /* the chunk's stored place */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ch->first--;
    ch->size--;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ch->size++;
    uint32_t fresh = ch->fresh;
    ch->fresh = ch->size + 1;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ch->fresh = fresh;
    t->capacity++;
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    t->capacity--;
    ch->records[ch->size - 1].state = RES_LIVE; /* a never-used record, live */
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    ch->records[ch->size - 1].state = RES_FREE;
    /* A live record the tree does not hold: a handle to it would resolve,
     * and freeing it would find no leaf. */
    res_node *stray = handles_add(t);
    expect_violation(fx.vs, VS_V_ACCOUNTING, 0);
    handles_remove(t, stray, &fx.vs->alloc);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

int main(void)
{
    run_all_archs("slab_present", test_slab_present);
    run_all_archs("healthy_is_clean", test_healthy_is_clean);
    run_all_archs("page_outside_reservation", test_page_outside_reservation);
    run_all_archs("mapped_page_lost", test_mapped_page_lost);
    run_all_archs("mapped_count", test_mapped_count);
    run_all_archs("cap_mapped_twice", test_cap_mapped_twice);
    run_all_archs("large_page", test_large_page);
    run_all_archs("tree_summary", test_tree_summary);
    run_all_archs("tree_stale_copy", test_tree_stale_copy);
    run_all_archs("page_count", test_page_count);
    run_all_archs("mapped_count_global", test_mapped_count_global);
    run_all_archs("reservation_overlap", test_reservation_overlap);
    run_all_archs("reservation_outside_range", test_reservation_outside_range);
    run_all_archs("tree_underfull", test_tree_underfull);
    run_all_archs("tree_depth", test_tree_depth);
    run_all_archs("tree_links", test_tree_links);
    run_all_archs("tree_spare_left", test_tree_spare_left);
    run_all_archs("tree_foreign_node", test_tree_foreign_node);
    run_all_archs("accounting", test_accounting);
    run_all_archs("table_index", test_table_index);
    run_all_archs("accounting_empty_leaf", test_accounting_empty_leaf);
    run_all_archs("handle_table", test_handle_table);
    return test_summary("core_check_detects");
}
