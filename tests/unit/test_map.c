/* Unit tests for vs_map, vs_map_new, vs_unmap, vs_lookup, vs_free with
 * mappings and vs_destroy, on every architecture and page size. */
#include <string.h>

#include "../support/harness.h"

static vs_page page_at(const vs_space *vs, vs_addr va)
{
    vs_page p;
    memset(&p, 0, sizeof p);
    p.state = (vs_page_state)-1;
    CHECK_RES(vs_lookup(vs, va, &p), VS_OK);
    return p;
}

static uint64_t mapped_in(const vs_space *vs, const vs_reservation *r)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, r, &info);
    return info.mapped_pages;
}

/* The kernel's translation of va agrees with the shadow entry. */
static void check_kernel_agrees(fixture *fx, vs_addr va)
{
    vs_page p = page_at(fx->vs, va);
    vs_translation t = fk_translate_now(fx->fk, fx->root, va);
    if (p.state != VS_PAGE_MAPPED) {
        CHECK(!t.mapped);
        return;
    }
    const fk_cap *k = fk_cap_get(fx->fk, p.cap);
    CHECK(k != NULL && k->mapped && k->vaddr == p.page_vaddr);
    CHECK(t.mapped && t.size_bits == p.size_bits);
    CHECK(k != NULL && t.paddr == k->paddr + (va - p.page_vaddr));
}

/* One page of every size, in a reservation twice its size; the page sits in
 * the second half so that page_vaddr != reservation start. A fresh vspace,
 * so the kernel asks for every table: with a cookie, through the shadow's
 * run machinery; without, the single-page path's own retry. */
static void map_one_size(const vs_arch *arch, unsigned idx, int with_cookie)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    unsigned bits = arch->page_sizes[idx].bits;
    uint64_t sz = 1ull << bits;
    vs_attrs a = {"sz", VS_RIGHT_READ | VS_RIGHT_EXEC, VS_CACHE_UNCACHED};
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2 * sz, sz, &a, &r), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    vs_addr va = info.start + sz;
    vs_object f = fk_new_frame(fx.fk, bits);
    uintptr_t cookie = with_cookie ? 0xc0ffee : 0;
    CHECK_RES(vs_map(fx.vs, va, &f.cap, with_cookie ? &cookie : NULL, 1, bits), VS_OK);
    vs_page p = page_at(fx.vs, va + sz / 2 + 5);
    CHECK(p.state == VS_PAGE_MAPPED && p.page_vaddr == va && p.size_bits == bits);
    CHECK(p.cap == f.cap && p.cookie == cookie && p.owner == VS_OWNER_CALLER);
    CHECK(page_at(fx.vs, va - 1).state == VS_PAGE_RESERVED);
    const fk_cap *k = fk_cap_get(fx.fk, f.cap);
    CHECK(k->mapped && k->vaddr == va && k->root == fx.root && k->size == idx);
    CHECK(k->rights == (VS_RIGHT_READ | VS_RIGHT_EXEC) && k->cache == VS_CACHE_UNCACHED);
    check_kernel_agrees(&fx, va + sz - 1);
    CHECK_EQ_U(mapped_in(fx.vs, r), sz / PAGE_SIZE);
    vs_stats st;
    vs_get_stats(fx.vs, &st);
    CHECK_EQ_U(st.mapped_pages, sz / PAGE_SIZE);
    CHECK_EQ_U(st.paging_tables, fk_count(fx.fk).mapped_tables);
    fx_check(&fx, fx.vs);
    CHECK_RES(vs_unmap(fx.vs, va, sz, 0), VS_OK);
    CHECK(!fk_cap_get(fx.fk, f.cap)->mapped);
    CHECK(page_at(fx.vs, va).state == VS_PAGE_RESERVED);
    CHECK_EQ_U(mapped_in(fx.vs, r), 0);
    fx_fini(&fx, 0);
}

static void test_map_every_size(const vs_arch *arch)
{
    for (unsigned i = 0; i < arch->num_page_sizes; i++) {
        map_one_size(arch, i, 1);
        map_one_size(arch, i, 0);
    }
}

static void test_map_args(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    unsigned big = arch->page_sizes[1].bits;
    vs_attrs a = attrs_rw("m");
    vs_reservation *r = NULL, *r2 = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2ull << big, 1ull << big, &a, &r), VS_OK);
    CHECK(fx_nth_reservation(fx.vs, 0) == r);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    vs_addr s = info.start;
    CHECK_RES(vs_reserve_at(fx.vs, info.end, PAGE_SIZE, &a, &r2), VS_OK);
    vs_cap f = fx_frame(&fx, 12);
    vs_cap caps2[2] = {f, fx_frame(&fx, 12)};
    CHECK_RES(vs_map(fx.vs, s + 1, &f, NULL, 1, 12), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_map(fx.vs, s, &f, NULL, 0, 12), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_map(fx.vs, s, &f, NULL, 1, 13), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_map(fx.vs, s, &f, NULL, 1, 64), VS_ERR_INVALID_ARG);
    vs_cap bigf = fx_frame(&fx, big);
    CHECK_RES(vs_map(fx.vs, s + PAGE_SIZE, &bigf, NULL, 1, big), VS_ERR_INVALID_ARG);
    vs_cap null_cap = 0;
    CHECK_RES(vs_map(fx.vs, s, &null_cap, NULL, 1, 12), VS_ERR_CAP_RANGE);
    if (arch->word_bits == 32) {
        vs_cap wide = 1ull << 32;
        CHECK_RES(vs_map(fx.vs, s, &wide, NULL, 1, 12), VS_ERR_CAP_RANGE);
    }
    CHECK_RES(vs_map(fx.vs, arch->user_end - PAGE_SIZE, &f, NULL, 1, 12), VS_ERR_NOT_RESERVED);
    /* Crossing the end of r into the adjacent r2 is two reservations. */
    CHECK_RES(vs_map(fx.vs, info.end - PAGE_SIZE, caps2, NULL, 2, 12), VS_ERR_NOT_RESERVED);
    /* Crossing the end of r2 into nothing. */
    CHECK_RES(vs_map(fx.vs, info.end, caps2, NULL, 2, 12), VS_ERR_NOT_RESERVED);
    CHECK_EQ_U(fk_count(fx.fk).mapped_frames, 0);
    CHECK_EQ_U(mapped_in(fx.vs, r), 0);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* The core must refuse to map over a mapping even where the kernel (x86,
 * Arm) would silently replace it; the fake counts such replacements. */
static void test_map_already_mapped(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    unsigned big = arch->page_sizes[1].bits;
    vs_attrs a = attrs_rw("am");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2ull << big, 1ull << big, &a, &r), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    vs_addr s = info.start;
    vs_cap f1 = fx_frame(&fx, 12), f2 = fx_frame(&fx, 12);
    CHECK_RES(vs_map(fx.vs, s + 2 * PAGE_SIZE, &f1, NULL, 1, 12), VS_OK);
    CHECK_RES(vs_map(fx.vs, s + 2 * PAGE_SIZE, &f2, NULL, 1, 12), VS_ERR_ALREADY_MAPPED);
    vs_cap three[3] = {f2, fx_frame(&fx, 12), fx_frame(&fx, 12)};
    CHECK_RES(vs_map(fx.vs, s, three, NULL, 3, 12), VS_ERR_ALREADY_MAPPED);
    CHECK(page_at(fx.vs, s).state == VS_PAGE_RESERVED); /* all or nothing */
    CHECK(page_at(fx.vs, s + PAGE_SIZE).state == VS_PAGE_RESERVED);
    vs_cap bf = fx_frame(&fx, big);
    CHECK_RES(vs_map(fx.vs, s, &bf, NULL, 1, big), VS_ERR_ALREADY_MAPPED);
    CHECK_RES(vs_map(fx.vs, s + (1ull << big), &bf, NULL, 1, big), VS_OK);
    CHECK_RES(vs_map(fx.vs, s + (1ull << big) + PAGE_SIZE, &f2, NULL, 1, 12), VS_ERR_ALREADY_MAPPED);
    /* The same cap twice in one vspace is refused by someone. */
    CHECK(vs_map(fx.vs, s + PAGE_SIZE, &f1, NULL, 1, 12) != VS_OK);
    CHECK(page_at(fx.vs, s + PAGE_SIZE).state == VS_PAGE_RESERVED);
    vs_page p = page_at(fx.vs, s + 2 * PAGE_SIZE);
    CHECK(p.cap == f1);
    CHECK(fk_cap_get(fx.fk, f1)->vaddr == s + 2 * PAGE_SIZE);
    CHECK(!fk_cap_get(fx.fk, f2)->mapped);
    CHECK_EQ_U(fx.fk->silent_replacements, 0);
    CHECK_EQ_U(fk_count(fx.fk).mapped_frames, 2);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_map_new_and_unmap_free(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("new");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 4 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_addr s = arch->user_base;
    CHECK_RES(vs_map_new(fx.vs, s, 3, 12), VS_OK);
    vs_page p0 = page_at(fx.vs, s), p2 = page_at(fx.vs, s + 2 * PAGE_SIZE);
    CHECK(p0.state == VS_PAGE_MAPPED && p0.owner == VS_OWNER_VSPACE);
    CHECK(p2.state == VS_PAGE_MAPPED && p2.cap != p0.cap);
    const fk_cap *k = fk_cap_get(fx.fk, p0.cap);
    CHECK(k != NULL && k->by_alloc && k->cookie == p0.cookie && k->mapped);
    CHECK_EQ_U(fk_count(fx.fk).core_objects, 3);
    CHECK_RES(vs_map_new(fx.vs, s + 2 * PAGE_SIZE, 2, 12), VS_ERR_ALREADY_MAPPED);
    CHECK_RES(vs_map_new(fx.vs, s + 3 * PAGE_SIZE, 2, 12), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_map_new(fx.vs, s, 0, 12), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(fk_count(fx.fk).core_objects, 3);
    CHECK_RES(vs_unmap(fx.vs, s, 2 * PAGE_SIZE, VS_UNMAP_FREE_FRAMES), VS_OK);
    CHECK(fk_cap_get(fx.fk, p0.cap) == NULL || fk_cap_get(fx.fk, p0.cap)->kind != FK_KIND_FRAME ||
          !fk_cap_get(fx.fk, p0.cap)->by_alloc);
    CHECK_EQ_U(fk_count(fx.fk).core_objects, 1);
    CHECK(page_at(fx.vs, s).state == VS_PAGE_RESERVED);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0); /* destroy frees the last vspace-owned frame */
}

/* BUGS.md B1: a frame the vspace allocated (vs_map_new) and then unmapped
 * without VS_UNMAP_FREE_FRAMES must not outlive the vspace: the caller never
 * owned it, so either unmap frees it or destroy does. */
static void test_unmap_keeps_owned(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("own");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &a, &r), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, arch->user_base, 2, 12), VS_OK);
    CHECK_RES(vs_unmap(fx.vs, arch->user_base, PAGE_SIZE, 0), VS_OK);
    CHECK_RES(vs_free(fx.vs, r, VS_FREE_UNMAP), VS_OK);
    fx_fini(&fx, 0); /* checks core_objects == 0 after destroy */
}

/* BUGS.md B2: once small pages were mapped and unmapped in a large-page
 * slot, the paging table the core created for them stays installed, and
 * seL4 (like the fake) refuses a large page over a table (DeleteFirst).
 * The shadow says the range is free, so vs_map must succeed. Every size
 * mapped above the base page's level, through each single-page path: a
 * new frame and a frame with a cookie go through the shadow's run
 * machinery, a caller's frame without one is recorded in place. */
static void test_large_after_small(const vs_arch *arch)
{
    for (unsigned i = 1; i < arch->num_page_sizes; i++) {
        if (arch->page_sizes[i].level == arch->page_sizes[0].level) {
            continue;
        }
        fixture fx;
        fx_init(&fx, arch, 0, 0, FX_TABLES);
        unsigned big = arch->page_sizes[i].bits;
        vs_attrs a = attrs_rw("ls");
        vs_reservation *r = NULL;
        CHECK_RES(vs_reserve(fx.vs, 1ull << big, 1ull << big, &a, &r), VS_OK);
        vs_reservation_info info;
        vs_reservation_get_info(fx.vs, r, &info);
        for (int path = 0; path < 3; path++) {
            /* A base page in the slot's last table: every level below the
             * large page's entry then has a table in the span. */
            vs_addr small = info.start + (1ull << big) - PAGE_SIZE;
            CHECK_RES(vs_map_new(fx.vs, small, 1, 12), VS_OK);
            CHECK_RES(vs_unmap(fx.vs, small, PAGE_SIZE, VS_UNMAP_FREE_FRAMES), VS_OK);
            if (path == 0) {
                CHECK_RES(vs_map_new(fx.vs, info.start, 1, big), VS_OK);
            } else {
                vs_object f = fk_new_frame(fx.fk, big);
                CHECK(f.cookie != 0);
                CHECK_RES(vs_map(fx.vs, info.start, &f.cap, path == 1 ? &f.cookie : NULL, 1, big), VS_OK);
                CHECK(page_at(fx.vs, small).cookie == (path == 1 ? f.cookie : 0));
            }
            check_kernel_agrees(&fx, info.start);
            check_kernel_agrees(&fx, small);
            CHECK_EQ_U(mapped_in(fx.vs, r), 1ull << (big - 12));
            vs_stats st;
            vs_get_stats(fx.vs, &st);
            CHECK_EQ_U(st.paging_tables, fk_count(fx.fk).mapped_tables);
            fx_check(&fx, fx.vs);
            CHECK_RES(vs_unmap(fx.vs, info.start, 1ull << big, path == 0 ? VS_UNMAP_FREE_FRAMES : 0), VS_OK);
        }
        fx_fini(&fx, 0);
    }
}

static void test_unmap(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    unsigned big = arch->page_sizes[1].bits;
    vs_attrs a = attrs_rw("um");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2ull << big, 1ull << big, &a, &r), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    vs_addr s = info.start;
    vs_cap c[4];
    uintptr_t cookies[4];
    for (int i = 0; i < 4; i++) {
        vs_object o = fk_new_frame(fx.fk, 12);
        c[i] = o.cap;
        cookies[i] = o.cookie; /* the fake checks it when the frame is freed */
    }
    CHECK_RES(vs_map(fx.vs, s, c, cookies, 4, 12), VS_OK);
    CHECK_RES(vs_unmap(fx.vs, s + PAGE_SIZE, 2 * PAGE_SIZE, 0), VS_OK);
    CHECK(fk_cap_get(fx.fk, c[1]) != NULL && !fk_cap_get(fx.fk, c[1])->mapped);
    CHECK(fk_cap_get(fx.fk, c[0])->mapped && fk_cap_get(fx.fk, c[3])->mapped);
    CHECK(page_at(fx.vs, s + PAGE_SIZE).state == VS_PAGE_RESERVED);
    CHECK_RES(vs_unmap(fx.vs, s, 2 * PAGE_SIZE, 0), VS_ERR_NOT_MAPPED);
    CHECK(page_at(fx.vs, s).state == VS_PAGE_MAPPED && fk_cap_get(fx.fk, c[0])->mapped);
    CHECK_RES(vs_unmap(fx.vs, s, 0, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_unmap(fx.vs, s + 1, PAGE_SIZE, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_unmap(fx.vs, info.end, PAGE_SIZE, 0), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_unmap(fx.vs, s + 3 * PAGE_SIZE, PAGE_SIZE, VS_UNMAP_FREE_FRAMES), VS_OK);
    CHECK(fk_cap_get(fx.fk, c[3]) == NULL); /* the caller's frame was freed on request */
    vs_cap bf = fx_frame(&fx, big);
    vs_addr bva = s + (1ull << big);
    CHECK_RES(vs_map(fx.vs, bva, &bf, NULL, 1, big), VS_OK);
    CHECK_RES(vs_unmap(fx.vs, bva, PAGE_SIZE, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_unmap(fx.vs, bva + PAGE_SIZE, (1ull << big) - PAGE_SIZE, 0), VS_ERR_INVALID_ARG);
    CHECK(fk_cap_get(fx.fk, bf)->mapped && page_at(fx.vs, bva).state == VS_PAGE_MAPPED);
    CHECK_RES(vs_unmap(fx.vs, bva, 1ull << big, 0), VS_OK);
    CHECK(!fk_cap_get(fx.fk, bf)->mapped);
    CHECK_EQ_U(mapped_in(fx.vs, r), 1);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_lookup_states(const vs_arch *arch)
{
    fixture fx;
    vs_addr base = 0x400000, end = base + 64 * PAGE_SIZE;
    fx_init(&fx, arch, base, end, 0);
    vs_attrs a = attrs_rw("lk");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, base + 8 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &r), VS_OK);
    vs_cap f = fx_frame(&fx, 12);
    CHECK_RES(vs_map(fx.vs, base + 9 * PAGE_SIZE, &f, NULL, 1, 12), VS_OK);
    CHECK(page_at(fx.vs, base).state == VS_PAGE_EMPTY);
    CHECK(page_at(fx.vs, base + 8 * PAGE_SIZE + 77).state == VS_PAGE_RESERVED);
    CHECK(page_at(fx.vs, base + 9 * PAGE_SIZE + 4095).state == VS_PAGE_MAPPED);
    CHECK(page_at(fx.vs, base + 10 * PAGE_SIZE).state == VS_PAGE_EMPTY);
    CHECK(page_at(fx.vs, end - 1).state == VS_PAGE_EMPTY);
    vs_page p;
    CHECK_RES(vs_lookup(fx.vs, end, &p), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_lookup(fx.vs, base - 1, &p), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_lookup(fx.vs, base, NULL), VS_ERR_INVALID_ARG);
    fx_fini(&fx, 0);
}

/* I5: a reservation with mappings is only freed on request, and the fake
 * kernel sees exactly the unmaps (and frees) asked for. */
static void test_free_with_mappings(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    vs_attrs a = attrs_rw("fm");
    vs_reservation *r1 = NULL, *r2 = NULL;
    CHECK_RES(vs_reserve(fx.vs, 4 * PAGE_SIZE, 0, &a, &r1), VS_OK);
    CHECK_RES(vs_reserve(fx.vs, 4 * PAGE_SIZE, 0, &a, &r2), VS_OK);
    vs_addr s1 = arch->user_base, s2 = s1 + 4 * PAGE_SIZE;
    vs_cap c[2] = {fx_frame(&fx, 12), fx_frame(&fx, 12)};
    CHECK_RES(vs_map(fx.vs, s1, c, NULL, 2, 12), VS_OK);
    CHECK_RES(vs_free(fx.vs, r1, 0), VS_ERR_HAS_MAPPINGS);
    CHECK_RES(vs_free(fx.vs, r1, VS_FREE_FRAMES), VS_ERR_HAS_MAPPINGS);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 2);
    fk_log_clear(fx.fk);
    CHECK_RES(vs_free(fx.vs, r1, VS_FREE_UNMAP), VS_OK);
    CHECK_EQ_U(fk_log_count(fx.fk, FK_OP_UNMAP_FRAME, c[0]), 1);
    CHECK_EQ_U(fk_log_count(fx.fk, FK_OP_UNMAP_FRAME, c[1]), 1);
    CHECK_EQ_U(fk_log_count(fx.fk, FK_OP_FREE_OBJECT, c[0]), 0);
    CHECK(fk_cap_get(fx.fk, c[0]) != NULL && !fk_cap_get(fx.fk, c[0])->mapped);
    CHECK(page_at(fx.vs, s1).state == VS_PAGE_EMPTY);
    vs_object dobj = fk_new_frame(fx.fk, 12);
    vs_cap d = dobj.cap;
    CHECK_RES(vs_map(fx.vs, s2, &d, &dobj.cookie, 1, 12), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, s2 + PAGE_SIZE, 2, 12), VS_OK);
    fk_log_clear(fx.fk);
    CHECK_RES(vs_free(fx.vs, r2, VS_FREE_UNMAP | VS_FREE_FRAMES), VS_OK);
    CHECK_EQ_U(fk_log_count(fx.fk, FK_OP_FREE_OBJECT, d), 1);
    CHECK(fk_cap_get(fx.fk, d) == NULL);
    CHECK_EQ_U(fk_count(fx.fk).mapped_frames, 0);
    CHECK_EQ_U(fk_count(fx.fk).frames, 2); /* c[0], c[1]: the caller's, unmapped, alive */
    CHECK_EQ_U(vs_reservation_count(fx.vs), 0);
    vs_stats st;
    vs_get_stats(fx.vs, &st);
    CHECK(st.mapped_pages == 0 && st.reserved_pages == 0);
    fx_fini(&fx, 0);
}

/* Paging tables are created on demand when the kernel asks for them, shared
 * by neighbouring pages, and all freed by vs_destroy (fx_fini checks). */
static void test_tables_on_demand(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    vs_attrs a = attrs_rw("t");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 8 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_cap c = fx_frame(&fx, 12);
    CHECK_RES(vs_map(fx.vs, arch->user_base, &c, NULL, 1, 12), VS_OK);
    size_t want = arch->page_sizes[0].level; /* tables at levels 1..level of the base page */
    CHECK_EQ_U(fk_count(fx.fk).mapped_tables, want);
    vs_stats st;
    vs_get_stats(fx.vs, &st);
    CHECK_EQ_U(st.paging_tables, want);
    fk_log_clear(fx.fk);
    CHECK_RES(vs_map_new(fx.vs, arch->user_base + PAGE_SIZE, 3, 12), VS_OK);
    CHECK_EQ_U(fk_log_count(fx.fk, FK_OP_MAP_TABLE, 0), 0);
    CHECK_EQ_U(fk_count(fx.fk).mapped_tables, want);
    for (int i = 0; i < 4; i++) {
        check_kernel_agrees(&fx, arch->user_base + (vs_addr)i * PAGE_SIZE);
    }
    check_kernel_agrees(&fx, arch->user_base + 4 * PAGE_SIZE);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void destroy_frees(const vs_arch *arch, unsigned flags)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    vs_attrs a = attrs_rw("d");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 8 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_object o = fk_new_frame(fx.fk, 12);
    vs_cap c = o.cap;
    CHECK_RES(vs_map(fx.vs, arch->user_base, &c, &o.cookie, 1, 12), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, arch->user_base + PAGE_SIZE, 2, 12), VS_OK);
    CHECK_RES(vs_destroy(fx.vs, flags, NULL), VS_OK);
    fx.vs = NULL; /* fx_fini then checks that everything else came back */
    const fk_cap *k = fk_cap_get(fx.fk, c);
    if (flags & VS_DESTROY_FREE_CALLER_FRAMES) {
        CHECK(k == NULL);
    } else {
        CHECK(k != NULL && !k->mapped);
    }
    fx_fini(&fx, 0);
}

/* vs_map_new_filled: the fill sees each run of new frames before any is
 * mapped, in address order; a refused fill leaves nothing. */
typedef struct fill_log {
    fixture *fx;
    unsigned calls, fail_on; /* fail_on: the call that refuses (0: none) */
    vs_result refusal;
    vs_addr next;  /* where the next run must start */
    size_t frames; /* frames seen */
    int all_fresh; /* every frame seen was the core's and mapped nowhere */
    vs_cap first_cap;
} fill_log;

static vs_result log_fill(void *ctx, vs_addr vaddr, const vs_cap *frames, size_t n, unsigned size_bits)
{
    fill_log *l = ctx;
    l->calls++;
    CHECK(vaddr == l->next && size_bits == 12 && n >= 1);
    for (size_t i = 0; i < n; i++) {
        const fk_cap *k = fk_cap_get(l->fx->fk, frames[i]);
        l->all_fresh &= k != NULL && k->by_alloc && !k->mapped;
    }
    if (l->frames == 0) {
        l->first_cap = frames[0];
    }
    l->frames += n;
    l->next = vaddr + ((vs_addr)n << 12);
    return l->calls == l->fail_on ? l->refusal : VS_OK;
}

static void test_map_new_filled(const vs_arch *arch)
{
    enum { PAGES = 100 }; /* more than one run of new frames */
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("filled");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, PAGES * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_addr s = arch->user_base;
    CHECK_RES(vs_map_new_filled(fx.vs, s, PAGES, 12, NULL, NULL), VS_ERR_INVALID_ARG);
    const vs_result refusals[2] = {VS_ERR_NO_SPACE, (vs_result)1234};
    const vs_result expected[2] = {VS_ERR_NO_SPACE, VS_ERR_INVALID_ARG};
    for (int i = 0; i < 2; i++) {
        fill_log l = {&fx, 0, 2, refusals[i], s, 0, 1, 0};
        CHECK_RES(vs_map_new_filled(fx.vs, s, PAGES, 12, log_fill, &l), expected[i]);
        CHECK(l.calls == 2 && l.all_fresh);
        CHECK_EQ_U(fk_count(fx.fk).core_objects, 0);
        CHECK_EQ_U(mapped_in(fx.vs, r), 0);
        CHECK(page_at(fx.vs, s).state == VS_PAGE_RESERVED);
        fx_check(&fx, fx.vs);
    }
    fill_log l = {&fx, 0, 0, VS_OK, s, 0, 1, 0};
    CHECK_RES(vs_map_new_filled(fx.vs, s, PAGES, 12, log_fill, &l), VS_OK);
    CHECK(l.calls >= 2 && l.frames == PAGES && l.all_fresh && l.next == s + PAGES * PAGE_SIZE);
    vs_page p0 = page_at(fx.vs, s);
    CHECK(p0.state == VS_PAGE_MAPPED && p0.owner == VS_OWNER_VSPACE && p0.cap == l.first_cap);
    CHECK_EQ_U(mapped_in(fx.vs, r), PAGES);
    CHECK_EQ_U(fk_count(fx.fk).core_objects, PAGES);
    check_kernel_agrees(&fx, s + (PAGES - 1) * PAGE_SIZE);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0); /* destroy frees the vspace's frames */
}

static void test_destroy(const vs_arch *arch)
{
    destroy_frees(arch, 0);
    destroy_frees(arch, VS_DESTROY_FREE_CALLER_FRAMES);
}

int main(void)
{
    run_all_archs("map_every_size", test_map_every_size);
    run_all_archs("map_args", test_map_args);
    run_all_archs("map_already_mapped", test_map_already_mapped);
    run_all_archs("map_new_unmap_free", test_map_new_and_unmap_free);
    run_all_archs("map_new_filled", test_map_new_filled);
    run_all_archs("unmap", test_unmap);
    run_all_archs("unmap_keeps_owned", test_unmap_keeps_owned);
    run_all_archs("large_after_small", test_large_after_small);
    run_all_archs("lookup_states", test_lookup_states);
    run_all_archs("free_with_mappings", test_free_with_mappings);
    run_all_archs("tables_on_demand", test_tables_on_demand);
    run_all_archs("destroy", test_destroy);
    return test_summary("core_map");
}
