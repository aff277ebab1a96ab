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
    shadow_run run = {&cap, cookies, 1, 1, 0, VS_OWNER_CALLER};
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

int main(void)
{
    run_all_archs("dense_blocks", test_dense_blocks);
    run_all_archs("holding_hint", test_holding_hint);
    run_all_archs("inline_caps", test_inline_caps);
    run_all_archs("meta_words", test_meta_words);
    run_all_archs("single_page_records", test_single_page_records);
    return test_summary("core_shadow");
}
