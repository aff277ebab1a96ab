/* The shadow's inline caps: a leaf keeps 32-bit caps under one shared high
 * half; a page whose cap has another high half, or that carries a cookie,
 * goes to the leaf's side array. Caps this wide cannot come from the fake
 * kernel, so the shadow is driven directly (through the core's private
 * header), with the vspace's counted allocator. */
#include "../support/harness.h"
#include "internal.h"

static void record(vs_space *vs, uint64_t page, vs_cap cap, uintptr_t cookie)
{
    uintptr_t cookies[1] = {cookie};
    shadow_run run = {&cap, cookies, 1, 1, 0, VS_OWNER_CALLER, 0};
    shadow_begin(&vs->shadow);
    CHECK_RES(shadow_prepare_run(&vs->shadow, &vs->alloc, page, &run), VS_OK);
    shadow_write_run(&vs->shadow, page, &run);
    shadow_end(&vs->shadow, &vs->alloc, 1);
}

static void expect(const vs_space *vs, uint64_t page, vs_cap cap, uintptr_t cookie)
{
    shadow_entry e;
    shadow_get(&vs->shadow, page, &e);
    CHECK_EQ_U(e.state, VS_PAGE_MAPPED);
    CHECK_EQ_U(e.cap, cap);
    CHECK_EQ_U(e.cookie, cookie);
    CHECK_EQ_U(vs_get_cap(vs, page << 12), cap);
}

static void test_inline_caps(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    size_t empty = vs->alloc.bytes;
    uint64_t p = page_of(arch->user_base) & ~(uint64_t)(SHADOW_LEAF_PAGES - 1);
    p += SHADOW_LEAF_PAGES;
    const vs_cap a = (5ull << 40) + 1, b = (5ull << 40) + 2, c = (7ull << 40) + 3, d = 9;
    record(vs, p, a, 0);
    record(vs, p + 1, b, 0); /* same high half: inline */
    CHECK_EQ_U(vs->shadow.ext_arrays, 0);
    record(vs, p + 2, c, 0); /* another high half: side array */
    CHECK_EQ_U(vs->shadow.ext_arrays, 1);
    record(vs, p + 3, d, 0xc0ffee);          /* a cookie: side array */
    record(vs, p + SHADOW_LEAF_PAGES, c, 0); /* next leaf: inline under its own high half */
    CHECK_EQ_U(vs->shadow.ext_arrays, 1);
    expect(vs, p, a, 0);
    expect(vs, p + 1, b, 0);
    expect(vs, p + 2, c, 0);
    expect(vs, p + 3, d, 0xc0ffee);
    expect(vs, p + SHADOW_LEAF_PAGES, c, 0);
    shadow_clear(&vs->shadow, &vs->alloc, p + 2, 2);
    CHECK_EQ_U(vs->shadow.ext_arrays, 0); /* the side array goes with its last user */
    expect(vs, p + 1, b, 0);
    shadow_clear(&vs->shadow, &vs->alloc, p, 2 * SHADOW_LEAF_PAGES);
    CHECK_EQ_U(vs->shadow.leaves, 0);
    CHECK_EQ_U(vs->alloc.bytes, empty);
    fx_fini(&fx, 0);
}

/* Runs of many pages decide leaf by leaf: a leaf whose part of the run has
 * one cap of another high half, or one cookie, goes to the side array as a
 * whole, its neighbours stay inline; a run whose caps all agree still goes
 * to the side array in a leaf that already holds inline caps under another
 * high half. */
static void record_run(vs_space *vs, uint64_t page, const vs_cap *caps, const uintptr_t *cookies, uint64_t n)
{
    shadow_run run = {caps, cookies, n, 1, 0, VS_OWNER_CALLER, 0};
    shadow_begin(&vs->shadow);
    CHECK_RES(shadow_prepare_run(&vs->shadow, &vs->alloc, page, &run), VS_OK);
    shadow_write_run(&vs->shadow, page, &run);
    shadow_end(&vs->shadow, &vs->alloc, 1);
}

static void test_mixed_runs(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    size_t empty = vs->alloc.bytes;
    uint64_t p = (page_of(arch->user_base) & ~(uint64_t)(SHADOW_LEAF_PAGES - 1)) + 4 * SHADOW_LEAF_PAGES;
    enum { N = 3 * SHADOW_LEAF_PAGES };
    vs_cap caps[N];
    uintptr_t cookies[N];
    for (unsigned j = 0; j < N; j++) {
        caps[j] = (5ull << 40) + j + 1;
        cookies[j] = 0;
    }
    caps[SHADOW_LEAF_PAGES + 7] = (7ull << 40) + 1; /* the run's second leaf: another high half */
    cookies[2 * SHADOW_LEAF_PAGES + 3] = 0xc0ffee;  /* its third: a cookie */
    record_run(vs, p + 3, caps, cookies, N);        /* from inside the first leaf into a fourth */
    CHECK_EQ_U(vs->shadow.ext_arrays, 2);
    for (unsigned j = 0; j < N; j++) {
        expect(vs, p + 3 + j, caps[j], cookies[j]);
    }
    CHECK(shadow_leaf_of(&vs->shadow, p)->ext == NULL);
    CHECK(shadow_leaf_of(&vs->shadow, p + SHADOW_LEAF_PAGES)->ext != NULL);
    CHECK(shadow_leaf_of(&vs->shadow, p + 2 * SHADOW_LEAF_PAGES)->ext != NULL);
    CHECK(shadow_leaf_of(&vs->shadow, p + 3 * SHADOW_LEAF_PAGES)->ext == NULL);
    /* A uniform run under another high half into the first leaf's free
     * entries (0-2): side array; into a fresh leaf: inline. */
    vs_cap other[4] = {(9ull << 40) + 1, (9ull << 40) + 2, (9ull << 40) + 3, (9ull << 40) + 4};
    record_run(vs, p, other, NULL, 3);
    CHECK(shadow_leaf_of(&vs->shadow, p)->ext != NULL);
    CHECK_EQ_U(vs->shadow.ext_arrays, 3);
    record_run(vs, p + 8 * SHADOW_LEAF_PAGES, other, NULL, 4);
    CHECK_EQ_U(vs->shadow.ext_arrays, 3);
    for (unsigned j = 0; j < 3; j++) {
        expect(vs, p + j, other[j], 0);
        expect(vs, p + 8 * SHADOW_LEAF_PAGES + j, other[j], 0);
    }
    expect(vs, p + 3, caps[0], 0);
    shadow_clear(&vs->shadow, &vs->alloc, p, 9 * SHADOW_LEAF_PAGES);
    CHECK_EQ_U(vs->shadow.leaves, 0);
    CHECK_EQ_U(vs->shadow.ext_arrays, 0);
    CHECK_EQ_U(vs->alloc.bytes, empty);
    fx_fini(&fx, 0);
}

/* The word-at-a-time meta tests against byte loops, over meta bytes
 * drawn from every value a byte can hold (states 0-3, EXT, owners, sizes)
 * and every index range of a leaf. */
static void test_meta_words(const vs_arch *arch)
{
    (void)arch;
    shadow_leaf leaf;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 4000; round++) {
        for (unsigned i = 0; i < SHADOW_LEAF_PAGES; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            /* Mostly empty or mapped, like real leaves, with every byte value now and then. */
            uint8_t r = (uint8_t)(seed >> 56);
            leaf.meta[i] = (seed >> 40) % 4 == 0 ? r : (seed >> 32) % 2 ? 0 : (uint8_t)(VS_PAGE_MAPPED | (r & 0x7c));
        }
        int has_inline = 0, uses_ext = 0, empty = 1;
        for (unsigned i = 0; i < SHADOW_LEAF_PAGES; i++) {
            has_inline |= (leaf.meta[i] & (META_STATE_MASK | META_EXT)) == VS_PAGE_MAPPED;
            uses_ext |= (leaf.meta[i] & META_EXT) != 0;
            empty &= leaf.meta[i] == 0;
        }
        CHECK_EQ_U(shadow_leaf_has_inline(&leaf) != 0, has_inline);
        CHECK_EQ_U(shadow_leaf_uses_ext(&leaf) != 0, uses_ext);
        CHECK_EQ_U(shadow_leaf_is_empty(&leaf) != 0, empty);
        for (unsigned from = 0; from <= SHADOW_LEAF_PAGES; from++) {
            for (unsigned to = from; to <= SHADOW_LEAF_PAGES; to++) {
                unsigned mapped = 0;
                for (unsigned i = from; i < to; i++) {
                    mapped += (leaf.meta[i] & META_STATE_MASK) == VS_PAGE_MAPPED;
                }
                CHECK_EQ_U(shadow_leaf_count_mapped(&leaf, from, to), mapped);
            }
        }
    }
}

/* Reserves `pages` base pages and returns the first page in them that is
 * a multiple of `align` (a power of two). */
static uint64_t first_aligned_page(vs_space *vs, uint64_t pages, uint64_t align)
{
    vs_attrs attrs = attrs_rw("aligned");
    vs_reservation *res = NULL;
    CHECK_RES(vs_reserve(vs, pages << 12, 0, &attrs, &res), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(vs, res, &info), VS_OK);
    return (page_of(info.start) + align - 1) & ~(align - 1);
}

/* vs_map of one page records in place when it can (a new leaf, or one
 * whose inline caps it joins); a cookie takes the side array, and
 * unmapping page by page gives every leaf and array back. */
static void test_single_page_records(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    vs_addr at = first_aligned_page(vs, 4 * SHADOW_LEAF_PAGES, SHADOW_LEAF_PAGES) << 12;
    size_t before = vs->alloc.bytes;
    vs_cap caps[4];
    for (int i = 0; i < 4; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    const uintptr_t cookie = 77;
    CHECK_RES(vs_map(vs, at, &caps[0], NULL, 1, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.leaves, 1);
    CHECK_RES(vs_map(vs, at + 0x1000, &caps[1], NULL, 1, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.leaves, 1);
    CHECK_EQ_U(vs->shadow.ext_arrays, 0);
    CHECK_RES(vs_map(vs, at + 0x2000, &caps[2], &cookie, 1, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.ext_arrays, 1);
    CHECK_RES(vs_map(vs, at + 0x2000, &caps[3], NULL, 1, 12), VS_ERR_ALREADY_MAPPED);
    CHECK_RES(vs_map(vs, at + (SHADOW_LEAF_PAGES << 12), &caps[3], NULL, 1, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.leaves, 2);
    expect(vs, page_of(at), caps[0], 0);
    expect(vs, page_of(at + 0x1000), caps[1], 0);
    expect(vs, page_of(at + 0x2000), caps[2], cookie);
    expect(vs, page_of(at + (SHADOW_LEAF_PAGES << 12)), caps[3], 0);
    fx_check(&fx, vs);
    const vs_addr mapped[] = {at + 0x2000, at, at + (SHADOW_LEAF_PAGES << 12), at + 0x1000};
    for (int i = 0; i < 4; i++) {
        CHECK_RES(vs_unmap(vs, mapped[i], 0x1000, 0), VS_OK);
    }
    CHECK_RES(vs_unmap(vs, at, 0x1000, 0), VS_ERR_NOT_MAPPED);
    CHECK_EQ_U(vs->shadow.leaves, 0);
    CHECK_EQ_U(vs->shadow.ext_arrays, 0);
    CHECK_EQ_U(vs->alloc.bytes, before);
    fx_check(&fx, vs);
    fx_fini(&fx, 0);
}

/* The reservation a single-page call found last is asked first: it must
 * stop answering once it shrinks, moves or is freed, even when a new
 * reservation takes its place. */
static void test_holding_hint(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    vs_attrs attrs = attrs_rw("hinted");
    vs_reservation *a = NULL;
    CHECK_RES(vs_reserve(vs, 4 << 12, 0, &attrs, &a), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(vs, a, &info), VS_OK);
    vs_addr at = info.start;
    vs_cap f = fx_frame(&fx, 12);
    CHECK_RES(vs_map(vs, at + 0x3000, &f, NULL, 1, 12), VS_OK); /* a is now the hint */
    CHECK_RES(vs_unmap(vs, at + 0x3000, 0x1000, 0), VS_OK);
    CHECK_RES(vs_resize(vs, a, 2 << 12), VS_OK);
    CHECK_RES(vs_map(vs, at + 0x3000, &f, NULL, 1, 12), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_map(vs, at + 0x1000, &f, NULL, 1, 12), VS_OK);
    CHECK_RES(vs_unmap(vs, at + 0x1000, 0x1000, 0), VS_OK);
    CHECK_RES(vs_free(vs, a, 0), VS_OK);
    CHECK_RES(vs_map(vs, at, &f, NULL, 1, 12), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_unmap(vs, at, 0x1000, 0), VS_ERR_NOT_RESERVED);
    vs_reservation *b = NULL;
    CHECK_RES(vs_reserve_at(vs, at, 1 << 12, &attrs, &b), VS_OK); /* same place, maybe the same memory */
    CHECK_RES(vs_map(vs, at, &f, NULL, 1, 12), VS_OK);
    CHECK_RES(vs_reservation_get_info(vs, b, &info), VS_OK);
    CHECK_EQ_U(info.mapped_pages, 1);
    CHECK_RES(vs_map(vs, at + 0x1000, &f, NULL, 1, 12), VS_ERR_NOT_RESERVED);
    fx_check(&fx, vs);
    CHECK_RES(vs_unmap(vs, at, 0x1000, 0), VS_OK);
    fx_fini(&fx, 0);
}

enum { BLOCK_PAGES = SHADOW_BLOCK_LEAVES * SHADOW_LEAF_PAGES };

/* Every page of [page, page + n) reads back as mapped with caps[i] (or, if
 * caps is NULL, as not mapped as a base page: get_cap 0 unless `large`). */
static void expect_pages(const vs_space *vs, uint64_t page, size_t n, const vs_cap *caps)
{
    for (size_t i = 0; i < n; i++) {
        vs_page pg;
        CHECK_RES(vs_lookup(vs, (page + i) << 12, &pg), VS_OK);
        CHECK_EQ_U(pg.state, caps != NULL ? VS_PAGE_MAPPED : VS_PAGE_RESERVED);
        CHECK_EQ_U(pg.cap, caps != NULL ? caps[i] : 0);
        CHECK_EQ_U(vs_get_cap(vs, (page + i) << 12), caps != NULL ? caps[i] : 0);
    }
}

/* Dense blocks: a batch covering half a block gets the block's leaves as
 * one slab; lookups through the directory agree with the leaf table, also
 * for a large page in the slab's block and for the slab's unused leaves;
 * a page mapped later into the block takes its slab leaf (no allocation);
 * the slab goes with its last leaf; ascending page-by-page mapping into
 * a new block makes a slab too; a failed map leaves no slab behind. */
static void test_dense_blocks(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    uint64_t block = first_aligned_page(vs, 3 * BLOCK_PAGES, BLOCK_PAGES);
    size_t empty = vs->alloc.bytes;
    enum { HALF = BLOCK_PAGES / 2 };
    static vs_cap caps[BLOCK_PAGES];
    for (size_t i = 0; i < BLOCK_PAGES; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    /* One page short of half a block: leaves one by one. */
    CHECK_RES(vs_map(vs, block << 12, caps, NULL, HALF - SHADOW_LEAF_PAGES, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 0);
    CHECK_RES(vs_unmap(vs, block << 12, (uint64_t)(HALF - SHADOW_LEAF_PAGES) << 12, 0), VS_OK);
    /* Half a block: a slab. */
    CHECK_RES(vs_map(vs, block << 12, caps, NULL, HALF, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    CHECK_EQ_U(vs->shadow.slab_leaves, HALF / SHADOW_LEAF_PAGES);
    expect_pages(vs, block, HALF, caps);
    expect_pages(vs, block + HALF, 2 * SHADOW_LEAF_PAGES, NULL); /* the slab's unused leaves */
    fx_check(&fx, vs);
    /* A later page of the block takes its slab leaf. */
    size_t bytes = vs->alloc.bytes;
    vs_cap one = fx_frame(&fx, 12);
    CHECK_RES(vs_map(vs, (block + HALF + 3) << 12, &one, NULL, 1, 12), VS_OK);
    CHECK_EQ_U(vs->alloc.bytes, bytes);
    CHECK_EQ_U(vs->shadow.slab_leaves, HALF / SHADOW_LEAF_PAGES + 1);
    expect_pages(vs, block + HALF + 3, 1, &one);
    fx_check(&fx, vs);
    CHECK_RES(vs_unmap(vs, (block + HALF + 3) << 12, 0x1000, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.slab_leaves, HALF / SHADOW_LEAF_PAGES);
    /* A large page in the other half of the slab's block. */
    int k = -1;
    for (unsigned i = 1; i < arch->num_page_sizes; i++) {
        if (arch->page_sizes[i].bits - 12 <= __builtin_ctzll(HALF)) {
            k = (int)i;
        }
    }
    if (k > 0) {
        unsigned bits = arch->page_sizes[k].bits;
        vs_cap large = fx_frame(&fx, bits);
        CHECK_RES(vs_map(vs, (block + HALF) << 12, &large, NULL, 1, bits), VS_OK);
        CHECK_EQ_U(vs_get_cap(vs, (block + HALF + 1) << 12), large);
        vs_page pg;
        CHECK_RES(vs_lookup(vs, (block + HALF + 1) << 12, &pg), VS_OK);
        CHECK_EQ_U(pg.state, VS_PAGE_MAPPED);
        CHECK_EQ_U(pg.size_bits, bits);
        CHECK_EQ_U(pg.page_vaddr, (block + HALF) << 12);
        CHECK_RES(vs_unmap(vs, (block + HALF + 1) << 12, 0x1000, 0), VS_ERR_INVALID_ARG);
        expect_pages(vs, block, HALF, caps);
        fx_check(&fx, vs);
        CHECK_RES(vs_unmap(vs, (block + HALF) << 12, (uint64_t)1 << bits, 0), VS_OK);
    }
    /* Down to 5 leaves the slab stays; at 4 its leaves move out (if they
     * can be allocated: a refused one leaves the slab, and no error). */
    enum { KEEP = 5 * SHADOW_LEAF_PAGES };
    CHECK_RES(vs_unmap(vs, block << 12, (uint64_t)(HALF - KEEP) << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    CHECK_EQ_U(vs->shadow.slab_leaves, 5);
    talloc_fail_nth(&fx.ta, 3);
    CHECK_RES(vs_unmap(vs, (block + HALF - KEEP) << 12, SHADOW_LEAF_PAGES << 12, 0), VS_OK);
    CHECK(fx.ta.fired);
    talloc_disarm(&fx.ta);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    CHECK_EQ_U(vs->shadow.slab_leaves, 4);
    expect_pages(vs, block + HALF - KEEP + SHADOW_LEAF_PAGES, KEEP - SHADOW_LEAF_PAGES,
                 caps + HALF - KEEP + SHADOW_LEAF_PAGES);
    fx_check(&fx, vs);
    CHECK_RES(vs_map(vs, (block + HALF - KEEP) << 12, caps + HALF - KEEP, NULL, SHADOW_LEAF_PAGES, 12), VS_OK);
    CHECK_RES(vs_unmap(vs, (block + HALF - KEEP) << 12, SHADOW_LEAF_PAGES << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 0);
    CHECK_EQ_U(vs->shadow.slab_leaves, 0);
    CHECK_EQ_U(vs->shadow.leaves, 4);
    expect_pages(vs, block + HALF - KEEP + SHADOW_LEAF_PAGES, KEEP - SHADOW_LEAF_PAGES,
                 caps + HALF - KEEP + SHADOW_LEAF_PAGES);
    fx_check(&fx, vs);
    CHECK_RES(
        vs_unmap(vs, (block + HALF - KEEP + SHADOW_LEAF_PAGES) << 12, (uint64_t)(KEEP - SHADOW_LEAF_PAGES) << 12, 0),
        VS_OK);
    CHECK_EQ_U(vs->alloc.bytes, empty);
    /* Ascending single pages into the next block (with a table large
     * enough to have a directory: 25 leaves, too few for a slab). */
    enum { FEW = 25 * SHADOW_LEAF_PAGES };
    CHECK_RES(vs_map(vs, block << 12, caps, NULL, FEW, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 0);
    uint64_t from = block + BLOCK_PAGES - SHADOW_LEAF_PAGES;
    for (size_t i = 0; i < 2 * SHADOW_LEAF_PAGES; i++) {
        CHECK_RES(vs_map(vs, (from + i) << 12, &caps[FEW + i], NULL, 1, 12), VS_OK);
    }
    CHECK_EQ_U(vs->shadow.block_count, 1);
    expect_pages(vs, from, 2 * SHADOW_LEAF_PAGES, caps + FEW);
    expect_pages(vs, block, FEW, caps);
    fx_check(&fx, vs);
    for (size_t i = 0; i < 2 * SHADOW_LEAF_PAGES; i++) {
        CHECK_RES(vs_unmap(vs, (from + i) << 12, 0x1000, 0), VS_OK);
    }
    CHECK_RES(vs_unmap(vs, block << 12, (uint64_t)FEW << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 0);
    CHECK_EQ_U(vs->alloc.bytes, empty);
    /* A batch over the second half of one block (a slab) and 20 leaves of
     * the next (leaf by leaf), with allocation n refused: 1 the table, 2
     * the slab (no error: the leaves are then allocated one by one), 3
     * and 4 leaves after the slab was filled. A failed map leaves nothing. */
    enum { RUN = HALF + 20 * SHADOW_LEAF_PAGES };
    for (uint64_t n = 1; n <= 4; n++) {
        talloc_fail_nth(&fx.ta, n);
        vs_result r = vs_map(vs, (block + HALF) << 12, caps, NULL, RUN, 12);
        talloc_disarm(&fx.ta);
        CHECK_RES(r, n == 2 ? VS_OK : VS_ERR_NO_MEMORY);
        CHECK_EQ_U(vs->shadow.block_count, 0);
        if (r == VS_OK) {
            expect_pages(vs, block + HALF, RUN, caps);
            fx_check(&fx, vs);
            CHECK_RES(vs_unmap(vs, (block + HALF) << 12, (uint64_t)RUN << 12, 0), VS_OK);
        }
        CHECK_EQ_U(vs->alloc.bytes, empty);
        fx_check(&fx, vs);
    }
    CHECK_RES(vs_map(vs, (block + HALF) << 12, caps, NULL, RUN, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    expect_pages(vs, block + HALF, RUN, caps);
    fx_check(&fx, vs);
    fx_fini(&fx, 0);
}

/* The block window agrees with the directory, checked here on its own
 * (not only through vs_check): each slab of a block inside the window is
 * its entry, no other entry is set, and the window is no longer than the
 * directory and does not wrap. */
static void expect_window(const vs_space *vs)
{
    const shadow *s = &vs->shadow;
    size_t in_window = 0;
    size_t blocks = 0;
    for (size_t i = 0; i < s->block_capacity; i++) {
        const shadow_block *b = &s->blocks[i];
        if (b->leaves == NULL) {
            continue;
        }
        blocks++;
        shadow_leaf *const *entry = shadow_window_entry(s, b->key);
        if (entry != NULL) {
            CHECK(*entry == b->leaves);
            in_window++;
        }
    }
    CHECK(s->block_capacity == 0 || s->window != NULL);
    size_t entries = 0;
    for (size_t i = 0; s->window != NULL && i < s->block_capacity; i++) {
        entries += s->window[i] != NULL;
    }
    CHECK_EQ_U(blocks, s->block_count);
    CHECK_EQ_U(entries, in_window);
    CHECK(s->window_base + s->block_capacity >= s->window_base);
}

/* The fast path agrees with the exact lookup on every page of [page,
 * page + n): where it reads MAPPED its leaf is the one the directory or
 * table lists. */
static void expect_fast_agrees(const vs_space *vs, uint64_t page, uint64_t n)
{
    for (uint64_t p = page; p < page + n; p++) {
        const shadow_leaf *fast = shadow_base_leaf_fast(&vs->shadow, p);
        unsigned i = (unsigned)(p & (SHADOW_LEAF_PAGES - 1));
        if (fast != NULL && (fast->meta[i] & META_STATE_MASK) == VS_PAGE_MAPPED) {
            CHECK(fast == shadow_leaf_of(&vs->shadow, p));
        } else {
            const shadow_leaf *exact = shadow_leaf_of(&vs->shadow, p);
            CHECK(exact == NULL || (exact->meta[i] & META_STATE_MASK) != VS_PAGE_MAPPED);
        }
    }
}

/* What a failed call must leave exactly as it was. */
typedef struct shadow_state {
    size_t alloc_bytes;
    size_t shadow_bytes;
    size_t capacity;
    size_t block_count;
    size_t leaves;
    size_t slab_leaves;
} shadow_state;

static shadow_state state_of(const vs_space *vs)
{
    return (shadow_state){vs->alloc.bytes,        shadow_bytes(&vs->shadow), vs->shadow.capacity,
                          vs->shadow.block_count, vs->shadow.leaves,         vs->shadow.slab_leaves};
}

static void expect_state(const vs_space *vs, const shadow_state *was)
{
    shadow_state now = state_of(vs);
    CHECK_EQ_U(now.alloc_bytes, was->alloc_bytes);
    CHECK_EQ_U(now.shadow_bytes, was->shadow_bytes);
    CHECK_EQ_U(now.capacity, was->capacity);
    CHECK_EQ_U(now.block_count, was->block_count);
    CHECK_EQ_U(now.leaves, was->leaves);
    CHECK_EQ_U(now.slab_leaves, was->slab_leaves);
}

/* Maps caps[0, n) at page with the allocator failing every attempt from
 * the (budget + 1)th on, for budget 0, 1, ... until the call succeeds with
 * no attempt refused: each failure must leave the state, every lookup of
 * the pages mapped before (`mapped`, n_mapped pages from `first`) and
 * vs_check as they were. A success after a refused attempt (a slab is
 * optional) is unmapped again. */
static void map_failing(fixture *fx, uint64_t page, const vs_cap *caps, uint64_t n, uint64_t first,
                        const vs_cap *mapped, uint64_t n_mapped)
{
    vs_space *vs = fx->vs;
    for (uint64_t budget = 0;; budget++) {
        shadow_state was = state_of(vs);
        talloc_fail_after(&fx->ta, budget);
        vs_result r = vs_map(vs, page << 12, caps, NULL, n, 12);
        int fired = fx->ta.fired;
        talloc_disarm(&fx->ta);
        if (r == VS_OK && !fired) {
            break;
        }
        if (r == VS_OK) {
            expect_pages(vs, page, n, caps);
            fx_check(fx, vs);
            CHECK_RES(vs_unmap(vs, page << 12, n << 12, 0), VS_OK);
        } else {
            CHECK_RES(r, VS_ERR_NO_MEMORY);
            expect_state(vs, &was);
        }
        expect_window(vs);
        expect_pages(vs, page, n, NULL);
        expect_pages(vs, first, n_mapped, mapped);
        fx_check(fx, vs);
        if (budget > 4 * SHADOW_BLOCK_LEAVES) {
            CHECK(0); /* never succeeds */
            break;
        }
    }
    expect_window(vs);
    expect_pages(vs, page, n, caps);
    fx_check(fx, vs);
}

/* The block window: the first slab places it; a slab made or freed while
 * other slabs exist (without the table growing) enters or clears its entry
 * in place; a block beyond it is found through the directory; a grown
 * table re-places it over all blocks (also when they span more than it
 * holds); a failed call, growing the table or making the first slab,
 * leaves every lookup, the shadow's bytes and vs_check as they were; and
 * once the last leaf goes the table, window included, goes too. */
static void test_block_window(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    enum { HALF = BLOCK_PAGES / 2, FAR = 20, SPAN = 12 };
    uint64_t b0 = first_aligned_page(vs, (FAR + 2) * (uint64_t)BLOCK_PAGES, BLOCK_PAGES);
    size_t empty = vs->alloc.bytes;
    static vs_cap caps[SPAN * BLOCK_PAGES];
    for (size_t i = 0; i < SPAN * BLOCK_PAGES; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    static vs_cap far[HALF];
    for (size_t i = 0; i < HALF; i++) {
        far[i] = fx_frame(&fx, 12);
    }
    /* Two whole blocks: two slabs, the first placing the window. */
    CHECK_RES(vs_map(vs, b0 << 12, caps, NULL, 2 * BLOCK_PAGES, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 2);
    CHECK(shadow_window_entry(&vs->shadow, b0 >> 10) != NULL);
    expect_window(vs);
    expect_pages(vs, b0, 2 * BLOCK_PAGES, caps);
    fx_check(&fx, vs);
    /* The second block unmapped (its slab freed, its entry cleared) and
     * half of it mapped again: a new slab while another exists, and the
     * table as it was. */
    size_t capacity = vs->shadow.capacity;
    CHECK_RES(vs_unmap(vs, (b0 + BLOCK_PAGES) << 12, (uint64_t)BLOCK_PAGES << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    expect_window(vs);
    expect_pages(vs, b0 + BLOCK_PAGES, BLOCK_PAGES, NULL);
    expect_fast_agrees(vs, b0, 2 * BLOCK_PAGES);
    fx_check(&fx, vs);
    CHECK_RES(vs_map(vs, (b0 + BLOCK_PAGES) << 12, caps + BLOCK_PAGES, NULL, HALF, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 2);
    CHECK_EQ_U(vs->shadow.capacity, capacity);
    expect_window(vs);
    expect_pages(vs, b0, BLOCK_PAGES + HALF, caps);
    expect_fast_agrees(vs, b0, 2 * BLOCK_PAGES);
    fx_check(&fx, vs);
    /* A block beyond the window: through the directory, and a single
     * page unmapped and mapped again there. */
    uint64_t fb = b0 + FAR * (uint64_t)BLOCK_PAGES;
    CHECK_RES(vs_map(vs, fb << 12, far, NULL, HALF, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 3);
    CHECK(shadow_window_entry(&vs->shadow, fb >> 10) == NULL);
    expect_window(vs);
    expect_pages(vs, fb, HALF, far);
    CHECK_RES(vs_unmap(vs, (fb + 5) << 12, 0x1000, 0), VS_OK);
    expect_pages(vs, fb + 5, 1, NULL);
    CHECK_RES(vs_unmap(vs, (fb + 5) << 12, 0x1000, 0), VS_ERR_NOT_MAPPED);
    CHECK_RES(vs_map(vs, (fb + 5) << 12, &far[5], NULL, 1, 12), VS_OK);
    expect_pages(vs, fb, HALF, far);
    fx_check(&fx, vs);
    /* Two more whole blocks grow the table: the window is re-placed over
     * all the slabs, which span more blocks than it holds. */
    CHECK_RES(vs_map(vs, (b0 + 2 * BLOCK_PAGES) << 12, caps + 2 * BLOCK_PAGES, NULL, 2 * BLOCK_PAGES, 12), VS_OK);
    CHECK(vs->shadow.capacity > capacity);
    CHECK_EQ_U(vs->shadow.block_count, 5);
    CHECK(shadow_window_entry(&vs->shadow, b0 >> 10) != NULL);
    expect_window(vs);
    expect_pages(vs, b0, BLOCK_PAGES + HALF, caps);
    expect_pages(vs, b0 + 2 * BLOCK_PAGES, 2 * BLOCK_PAGES, caps + 2 * BLOCK_PAGES);
    expect_pages(vs, fb, HALF, far);
    expect_fast_agrees(vs, b0, 4 * BLOCK_PAGES);
    fx_check(&fx, vs);
    /* The next blocks at once, enough to grow the table again, with each
     * allocation refused in turn. */
    enum { MORE = SPAN - 4 };
    static vs_cap runs[MORE * BLOCK_PAGES];
    for (size_t i = 0; i < MORE * BLOCK_PAGES; i++) {
        runs[i] = caps[4 * BLOCK_PAGES + i];
    }
    capacity = vs->shadow.capacity;
    map_failing(&fx, b0 + 4 * BLOCK_PAGES, runs, MORE * BLOCK_PAGES, b0 + 2 * BLOCK_PAGES, caps + 2 * BLOCK_PAGES,
                2 * BLOCK_PAGES);
    CHECK(vs->shadow.capacity > capacity);
    expect_pages(vs, b0, BLOCK_PAGES + HALF, caps);
    expect_pages(vs, fb, HALF, far);
    expect_fast_agrees(vs, b0, (FAR + 1) * (uint64_t)BLOCK_PAGES);
    /* Everything but the far block unmapped: the window empties, and a
     * slab made then enters it in place. */
    CHECK_RES(vs_unmap(vs, b0 << 12, (uint64_t)(BLOCK_PAGES + HALF) << 12, 0), VS_OK);
    CHECK_RES(vs_unmap(vs, (b0 + 2 * BLOCK_PAGES) << 12, (uint64_t)(SPAN - 2) * BLOCK_PAGES << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    expect_window(vs);
    expect_pages(vs, b0, SPAN * BLOCK_PAGES, NULL);
    fx_check(&fx, vs);
    CHECK_RES(vs_map(vs, (b0 + 5 * BLOCK_PAGES) << 12, caps, NULL, HALF, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 2);
    expect_window(vs);
    expect_pages(vs, b0 + 5 * BLOCK_PAGES, HALF, caps);
    fx_check(&fx, vs);
    CHECK_RES(vs_unmap(vs, fb << 12, (uint64_t)HALF << 12, 0), VS_OK);
    CHECK_RES(vs_unmap(vs, (b0 + 5 * BLOCK_PAGES) << 12, (uint64_t)HALF << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.leaves, 0);
    CHECK_EQ_U(vs->shadow.block_capacity, 0);
    CHECK(vs->shadow.window == NULL);
    CHECK_EQ_U(vs->alloc.bytes, empty);
    expect_pages(vs, b0 + 5 * BLOCK_PAGES, HALF, NULL);
    expect_pages(vs, fb, HALF, NULL);
    fx_check(&fx, vs);
    /* Leaves without a slab (20 a block: too few), then a failing call
     * that makes the first slab and then needs a leaf of the next block:
     * first in a table with room for both, then in one it must grow. */
    enum { FEW = 20 * SHADOW_LEAF_PAGES, CROSS = 2 * SHADOW_LEAF_PAGES };
    for (unsigned k = 0; k < 3; k++) {
        CHECK_RES(vs_map(vs, (b0 + k * BLOCK_PAGES) << 12, caps + k * FEW, NULL, FEW, 12), VS_OK);
    }
    CHECK_EQ_U(vs->shadow.block_count, 0);
    capacity = vs->shadow.capacity;
    CHECK(vs->shadow.leaves + (HALF + CROSS) / SHADOW_LEAF_PAGES <= capacity / 4 * 3);
    map_failing(&fx, b0 + 4 * BLOCK_PAGES + HALF, caps + 3 * FEW, HALF + CROSS, b0, caps, FEW);
    CHECK_EQ_U(vs->shadow.capacity, capacity);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    CHECK_RES(vs_unmap(vs, (b0 + 4 * BLOCK_PAGES + HALF) << 12, (uint64_t)(HALF + CROSS) << 12, 0), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 0);
    CHECK(vs->shadow.leaves + (BLOCK_PAGES + CROSS) / SHADOW_LEAF_PAGES > capacity / 4 * 3);
    map_failing(&fx, b0 + 6 * BLOCK_PAGES, caps + 3 * FEW, BLOCK_PAGES + CROSS, b0 + BLOCK_PAGES, caps + FEW, FEW);
    CHECK(vs->shadow.capacity > capacity);
    CHECK_EQ_U(vs->shadow.block_count, 1);
    expect_pages(vs, b0, FEW, caps);
    expect_pages(vs, b0 + 2 * BLOCK_PAGES, FEW, caps + 2 * FEW);
    fx_check(&fx, vs);
    fx_fini(&fx, 0);
}

/* No page outside [base, end) is mapped, but a slab's block may reach
 * past either end of the range: addresses there (and far outside, up to
 * 2^64 - 1) read as out of range through vs_lookup, as no cap through
 * vs_get_cap, and as nothing to unmap. With the range's blocks in the
 * window and then (a slab near the arch's top) outside it. */
static void expect_outside(vs_space *vs, vs_addr vaddr)
{
    vs_page pg = {.state = VS_PAGE_MAPPED};
    CHECK_RES(vs_lookup(vs, vaddr, &pg), VS_ERR_OUT_OF_RANGE);
    CHECK_EQ_U(pg.state, VS_PAGE_MAPPED); /* not written */
    CHECK_EQ_U(vs_get_cap(vs, vaddr), 0);
    CHECK(vs_unmap(vs, vaddr & ~(vs_addr)0xfff, 0x1000, 0) != VS_OK);
}

static void test_window_range_edges(const vs_arch *arch)
{
    enum { BLOCK_BYTES = BLOCK_PAGES << 12 };
    const vs_addr at = 16 * (vs_addr)BLOCK_BYTES; /* inside every arch's user range */
    const vs_addr base = at + SHADOW_LEAF_PAGES * 4096;
    const vs_addr end = at + 2 * (vs_addr)BLOCK_BYTES - SHADOW_LEAF_PAGES * 4096;
    fixture fx;
    fx_init(&fx, arch, base, end, 0);
    vs_space *vs = fx.vs;
    uint64_t pages = (end - base) >> 12;
    static vs_cap caps[2 * BLOCK_PAGES];
    for (uint64_t i = 0; i < pages; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    vs_attrs attrs = attrs_rw("edges");
    vs_reservation *res = NULL;
    CHECK_RES(vs_reserve_at(vs, base, end - base, &attrs, &res), VS_OK);
    CHECK_RES(vs_map(vs, base, caps, NULL, pages, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 2); /* both blocks reach past the range */
    expect_window(vs);
    fx_check(&fx, vs);
    const vs_addr outside[] = {0,
                               0xfff,
                               base - 1,
                               base - 4096,
                               at,
                               end,
                               end + 4096,
                               at + 2 * (vs_addr)BLOCK_BYTES - 1,
                               at + 2 * (vs_addr)BLOCK_BYTES,
                               (vs_addr)1 << 32,
                               (vs_addr)1 << 47,
                               (vs_addr)1 << 63,
                               ((vs_addr)1 << 63) + base,
                               ~(vs_addr)0 - 4095,
                               ~(vs_addr)0};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        expect_outside(vs, outside[i]);
    }
    expect_pages(vs, page_of(base), pages, caps);
    fx_check(&fx, vs);
    CHECK_RES(vs_unmap(vs, base, end - base, 0), VS_OK);
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        expect_outside(vs, outside[i]);
    }
    fx_fini(&fx, 0);

    /* The whole arch range: a slab in a low block and one in the highest
     * whole block below user_end (far beyond the window on 64-bit arches). */
    fx_init(&fx, arch, 0, 0, 0);
    vs = fx.vs;
    for (uint64_t i = 0; i < 2 * BLOCK_PAGES; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    vs_addr top = (arch->user_end & ~(vs_addr)(BLOCK_BYTES - 1)) - BLOCK_BYTES;
    uint64_t low = first_aligned_page(vs, 2 * BLOCK_PAGES, BLOCK_PAGES);
    CHECK(top > low << 12);
    CHECK_RES(vs_reserve_at(vs, top, BLOCK_BYTES, &attrs, &res), VS_OK);
    CHECK_RES(vs_map(vs, low << 12, caps, NULL, BLOCK_PAGES / 2, 12), VS_OK);
    CHECK_RES(vs_map(vs, top, caps + BLOCK_PAGES, NULL, BLOCK_PAGES / 2, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 2);
    expect_window(vs);
    expect_pages(vs, low, BLOCK_PAGES / 2, caps);
    expect_pages(vs, page_of(top), BLOCK_PAGES / 2, caps + BLOCK_PAGES);
    expect_fast_agrees(vs, page_of(top), BLOCK_PAGES);
    fx_check(&fx, vs);
    const vs_addr beyond[] = {0,
                              arch->user_end,
                              arch->user_end + BLOCK_BYTES,
                              top + ((vs_addr)1 << 63),
                              (low << 12) + ((vs_addr)1 << 63),
                              ~(vs_addr)0};
    for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
        expect_outside(vs, beyond[i]);
    }
    CHECK_RES(vs_unmap(vs, top + 4096, 4096, 0), VS_OK);
    expect_pages(vs, page_of(top) + 1, 1, NULL);
    fx_check(&fx, vs);
    fx_fini(&fx, 0);
}

/* vs_check sees a window that disagrees with the directory: a slab's entry
 * cleared (a missing entry), a block without a slab given one (a stale
 * entry, which the fast paths would read as that block's slab), and two
 * slabs' entries swapped. */
static size_t violations(const vs_space *vs)
{
    size_t count = 0;
    CHECK_RES(vs_check(vs, NULL, NULL, &count), VS_ERR_INCONSISTENT);
    return count;
}

static void test_window_check(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    uint64_t b0 = first_aligned_page(vs, 3 * BLOCK_PAGES, BLOCK_PAGES);
    static vs_cap caps[2 * BLOCK_PAGES];
    for (size_t i = 0; i < 2 * BLOCK_PAGES; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    CHECK_RES(vs_map(vs, b0 << 12, caps, NULL, 2 * BLOCK_PAGES, 12), VS_OK);
    CHECK_EQ_U(vs->shadow.block_count, 2);
    fx_check(&fx, vs);
    shadow *s = &vs->shadow;
    shadow_leaf **first = shadow_window_entry(s, b0 >> 10);
    shadow_leaf **second = shadow_window_entry(s, (b0 >> 10) + 1);
    shadow_leaf **empty = shadow_window_entry(s, (b0 >> 10) + 2);
    CHECK(first != NULL && second != NULL && empty != NULL);
    if (first != NULL && second != NULL && empty != NULL) {
        shadow_leaf *a = *first;
        shadow_leaf *b = *second;
        CHECK(a != NULL && b != NULL && *empty == NULL);
        *first = NULL;
        CHECK(violations(vs) >= 1);
        *first = a;
        *empty = a;
        CHECK(violations(vs) >= 1);
        *empty = NULL;
        *first = b;
        *second = a;
        CHECK(violations(vs) >= 1);
        *first = a;
        *second = b;
    }
    fx_check(&fx, vs);
    fx_fini(&fx, 0);
}

/* A single page mapped in ascending order into a new block makes the
 * block's slab (the first, so it also places the window) before the
 * kernel is called; a kernel failure then must give the slab back and
 * leave the state, the lookups and vs_check as they were: with a table
 * that has room, and with one the page makes grow. The same for a batch
 * whose first slab is made before the kernel refuses it. */
static void test_window_kernel_failure(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    uint64_t b0 = first_aligned_page(vs, 4 * BLOCK_PAGES, BLOCK_PAGES);
    enum { LOW = 25 * SHADOW_LEAF_PAGES, MORE = 23 * SHADOW_LEAF_PAGES, HALF = BLOCK_PAGES / 2 };
    static vs_cap caps[BLOCK_PAGES + HALF];
    for (size_t i = 0; i < BLOCK_PAGES + HALF; i++) {
        caps[i] = fx_frame(&fx, 12);
    }
    uint64_t next = b0 + BLOCK_PAGES;
    CHECK_RES(vs_map(vs, (next - LOW) << 12, caps, NULL, LOW, 12), VS_OK);
    for (int grow = 0; grow < 2; grow++) {
        if (grow) {
            CHECK_RES(vs_map(vs, (next - LOW - MORE) << 12, caps + LOW, NULL, MORE, 12), VS_OK);
        }
        CHECK_EQ_U(vs->shadow.block_count, 0);
        uint64_t low_pages = grow ? LOW + MORE : LOW;
        size_t capacity = vs->shadow.capacity;
        CHECK_EQ_U(vs->shadow.leaves + 1 > capacity / 4 * 3, grow);
        shadow_state was = state_of(vs);
        vs_cap one = caps[LOW + MORE];
        fk_fail_nth(fx.fk, 1, FK_FAIL_ERROR);
        vs_result r = vs_map(vs, next << 12, &one, NULL, 1, 12);
        fk_disarm(fx.fk);
        CHECK(r != VS_OK);
        expect_state(vs, &was);
        expect_window(vs);
        expect_pages(vs, next, 1, NULL);
        expect_pages(vs, next - LOW, LOW, caps);
        expect_pages(vs, next - low_pages, low_pages - LOW, caps + LOW);
        fx_check(&fx, vs);
        CHECK_RES(vs_map(vs, next << 12, &one, NULL, 1, 12), VS_OK);
        CHECK_EQ_U(vs->shadow.block_count, 1);
        expect_window(vs);
        expect_pages(vs, next, 1, &one);
        fx_check(&fx, vs);
        CHECK_RES(vs_unmap(vs, next << 12, 0x1000, 0), VS_OK);
        CHECK_EQ_U(vs->shadow.block_count, 0);
        CHECK_EQ_U(vs->shadow.capacity, grow ? capacity * 2 : capacity);
    }
    /* A batch: half a block (its slab) and a leaf of the next, refused. */
    shadow_state was = state_of(vs);
    fk_fail_nth(fx.fk, 1, FK_FAIL_ERROR);
    vs_result r = vs_map(vs, (next + HALF) << 12, caps + LOW + MORE, NULL, HALF + SHADOW_LEAF_PAGES, 12);
    fk_disarm(fx.fk);
    CHECK(r != VS_OK);
    expect_state(vs, &was);
    expect_window(vs);
    expect_pages(vs, next + HALF, HALF + SHADOW_LEAF_PAGES, NULL);
    fx_check(&fx, vs);
    fx_fini(&fx, 0);
}

int main(void)
{
    run_all_archs("block_window", test_block_window);
    run_all_archs("dense_blocks", test_dense_blocks);
    run_all_archs("holding_hint", test_holding_hint);
    run_all_archs("inline_caps", test_inline_caps);
    run_all_archs("meta_words", test_meta_words);
    run_all_archs("mixed_runs", test_mixed_runs);
    run_all_archs("single_page_records", test_single_page_records);
    run_all_archs("window_check", test_window_check);
    run_all_archs("window_kernel_failure", test_window_kernel_failure);
    run_all_archs("window_range_edges", test_window_range_edges);
    return test_summary("core_shadow");
}
