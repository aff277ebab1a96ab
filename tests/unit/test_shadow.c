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

int main(void)
{
    run_all_archs("inline_caps", test_inline_caps);
    return test_summary("core_shadow");
}
