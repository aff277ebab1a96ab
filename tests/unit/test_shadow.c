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

/* vs_map of one page records in place when it can (a new leaf, or one
 * whose inline caps it joins); a cookie takes the side array, and
 * unmapping page by page gives every leaf and array back. */
static void test_single_page_records(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_space *vs = fx.vs;
    vs_attrs attrs = attrs_rw("single");
    vs_reservation *res = NULL;
    CHECK_RES(vs_reserve(vs, 4 * SHADOW_LEAF_PAGES << 12, 0, &attrs, &res), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(vs, res, &info), VS_OK);
    vs_addr at = (info.start + (SHADOW_LEAF_PAGES << 12) - 1) & ~(((vs_addr)SHADOW_LEAF_PAGES << 12) - 1);
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

int main(void)
{
    run_all_archs("holding_hint", test_holding_hint);
    run_all_archs("inline_caps", test_inline_caps);
    run_all_archs("meta_words", test_meta_words);
    run_all_archs("single_page_records", test_single_page_records);
    return test_summary("core_shadow");
}
