/* Unit tests for reservations: vs_reserve, vs_reserve_at, vs_free,
 * vs_resize, vs_move, vs_find, on every architecture. */
#include <string.h>

#include "../support/harness.h"

enum { BASE = 0x100000, SMALL_PAGES = 16 };

/* The generation bits a handle carries, as core/handles.c has them. */
#ifndef VSPACE_HANDLE_SLOT_BITS
#define VSPACE_HANDLE_SLOT_BITS (sizeof(uintptr_t) >= 8 ? 32 : 22)
#endif
#define HANDLE_GEN_BITS (VSPACE_HANDLE_SLOT_BITS == 32 ? 32 : 32 - VSPACE_HANDLE_SLOT_BITS)

/* Bookkeeping back where it was, after chunks were given back: exactly
 * with 32-bit generations; with 10-bit ones each of `given_back` slots
 * keeps its generation (2 bytes) while its chunk is away, and the array
 * of them stays (core/handles.h). */
static void bytes_back(uint64_t now, uint64_t was, uint64_t given_back)
{
    if (HANDLE_GEN_BITS < 32) {
        CHECK(now >= was && now - was <= 2 * given_back + 16 * sizeof(void *));
    } else {
        CHECK_EQ_U(now, was);
    }
}

static vs_addr start_of(const vs_space *vs, const vs_reservation *r)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, r, &info);
    return info.start;
}

static vs_addr end_of(const vs_space *vs, const vs_reservation *r)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, r, &info);
    return info.end;
}

static vs_page_state state_at(const vs_space *vs, vs_addr va)
{
    vs_page p;
    memset(&p, 0xff, sizeof p);
    if (vs_lookup(vs, va, &p) != VS_OK) {
        return (vs_page_state)-1;
    }
    return p.state;
}

static void test_reserve_args(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, BASE, BASE + 64 * PAGE_SIZE, 0);
    vs_attrs a = attrs_rw("x");
    vs_reservation *r = NULL;
    size_t bytes_before = fx.ta.live_bytes;
    CHECK_RES(vs_reserve(fx.vs, 0, 0, &a, &r), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE + 1, 0, &a, &r), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 3 * PAGE_SIZE, &a, &r), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, PAGE_SIZE / 2, &a, &r), VS_ERR_INVALID_ARG);
    vs_attrs bad_rights = {"r", 8, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &bad_rights, &r), VS_ERR_INVALID_ARG);
    vs_attrs bad_cache = {"c", VS_RIGHT_READ, VS_CACHE_COUNT};
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &bad_cache, &r), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 0);
    CHECK_EQ_U(fx.ta.live_bytes, bytes_before);
    fx_fini(&fx, 0);
}

/* Fill a small range, free the middle, and the next reservation must land
 * in the hole: the search is lowest-address first fit, with no cursor. */
static void test_reserve_first_fit_reuses_holes(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, BASE, BASE + SMALL_PAGES * PAGE_SIZE, 0);
    vs_attrs a = attrs_rw("fill");
    vs_reservation *rs[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        CHECK_RES(vs_reserve(fx.vs, 4 * PAGE_SIZE, 0, &a, &rs[i]), VS_OK);
        CHECK(rs[i] != NULL && start_of(fx.vs, rs[i]) == BASE + (vs_addr)i * 4 * PAGE_SIZE);
    }
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &r), VS_ERR_NO_SPACE);
    CHECK_RES(vs_free(fx.vs, rs[1], 0), VS_OK);
    CHECK_RES(vs_reserve(fx.vs, 5 * PAGE_SIZE, 0, &a, &r), VS_ERR_NO_SPACE);
    CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &a, &r), VS_OK);
    CHECK(r != NULL && start_of(fx.vs, r) == BASE + 4 * PAGE_SIZE);
    CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &a, &r), VS_OK);
    CHECK(r != NULL && start_of(fx.vs, r) == BASE + 6 * PAGE_SIZE);
    CHECK_RES(vs_free(fx.vs, rs[0], 0), VS_OK);
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &r), VS_OK);
    CHECK(r != NULL && start_of(fx.vs, r) == BASE);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 5);
    fx_fini(&fx, 0);
}

static void test_reserve_alignment(const vs_arch *arch)
{
    fixture fx;
    uint64_t big = 1ull << arch->page_sizes[1].bits;
    fx_init(&fx, arch, BASE, BASE + 4 * big, 0);
    vs_attrs a = attrs_rw("al");
    vs_reservation *small = NULL, *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &small), VS_OK);
    CHECK(small != NULL && start_of(fx.vs, small) == BASE);
    CHECK_RES(vs_reserve(fx.vs, big, big, &a, &r), VS_OK);
    vs_addr want = (BASE + PAGE_SIZE + big - 1) & ~(big - 1);
    CHECK(r != NULL && start_of(fx.vs, r) == want && end_of(fx.vs, r) == want + big);
    /* The gap below the aligned one is still usable. */
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &r), VS_OK);
    CHECK(r != NULL && start_of(fx.vs, r) == BASE + PAGE_SIZE);
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 16 * PAGE_SIZE, &a, &r), VS_OK);
    CHECK(r != NULL && (start_of(fx.vs, r) & (16 * PAGE_SIZE - 1)) == 0);
    fx_fini(&fx, 0);
}

static void test_reserve_attributes(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = {"a-name-longer-than-twenty-four-bytes", VS_RIGHT_READ | VS_RIGHT_EXEC, VS_CACHE_UNCACHED};
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 3 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    CHECK(info.start == arch->user_base && info.end == arch->user_base + 3 * PAGE_SIZE);
    CHECK(strlen(info.name) == VS_NAME_MAX - 1 && strncmp(info.name, a.name, VS_NAME_MAX - 1) == 0);
    CHECK(info.rights == (VS_RIGHT_READ | VS_RIGHT_EXEC) && info.cache == VS_CACHE_UNCACHED);
    CHECK_EQ_U(info.mapped_pages, 0);
    CHECK(state_at(fx.vs, info.start) == VS_PAGE_RESERVED);
    CHECK(state_at(fx.vs, info.end - 1) == VS_PAGE_RESERVED);
    CHECK(state_at(fx.vs, info.end) == VS_PAGE_EMPTY);
    vs_attrs unnamed = {NULL, VS_RIGHT_READ, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &unnamed, &r), VS_OK);
    vs_reservation_get_info(fx.vs, r, &info);
    CHECK(info.name[0] == '\0');
    vs_stats st;
    vs_get_stats(fx.vs, &st);
    CHECK(st.reservations == 2 && st.reserved_pages == 4 && st.mapped_pages == 0);
    CHECK_EQ_U(st.bookkeeping_bytes, fx.ta.live_bytes);
    fx_fini(&fx, 0);
}

static void test_reserve_at(const vs_arch *arch)
{
    fixture fx;
    vs_addr end = BASE + 32 * PAGE_SIZE;
    fx_init(&fx, arch, BASE, end, 0);
    vs_attrs a = attrs_rw("at");
    vs_reservation *r = NULL, *r2 = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 4 * PAGE_SIZE, 4 * PAGE_SIZE, &a, &r), VS_OK);
    CHECK(r != NULL && start_of(fx.vs, r) == BASE + 4 * PAGE_SIZE);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 7 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &r2), VS_ERR_OVERLAP);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 3 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &r2), VS_ERR_OVERLAP);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 2 * PAGE_SIZE, 8 * PAGE_SIZE, &a, &r2), VS_ERR_OVERLAP);
    CHECK_RES(vs_reserve_at(fx.vs, BASE - PAGE_SIZE, PAGE_SIZE, &a, &r2), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_reserve_at(fx.vs, BASE - PAGE_SIZE, 2 * PAGE_SIZE, &a, &r2), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_reserve_at(fx.vs, end - PAGE_SIZE, 2 * PAGE_SIZE, &a, &r2), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_reserve_at(fx.vs, end, PAGE_SIZE, &a, &r2), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 1, PAGE_SIZE, &a, &r2), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reserve_at(fx.vs, BASE, 0, &a, &r2), VS_ERR_INVALID_ARG);
    vs_result wrap = vs_reserve_at(fx.vs, BASE, ~(uint64_t)0 - PAGE_SIZE + 1, &a, &r2);
    CHECK(wrap == VS_ERR_OUT_OF_RANGE || wrap == VS_ERR_INVALID_ARG);
    /* Adjacent on both sides is fine; so are the first and last page. */
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 3 * PAGE_SIZE, PAGE_SIZE, &a, &r2), VS_OK);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 8 * PAGE_SIZE, PAGE_SIZE, &a, &r2), VS_OK);
    CHECK_RES(vs_reserve_at(fx.vs, BASE, PAGE_SIZE, &a, &r2), VS_OK);
    CHECK_RES(vs_reserve_at(fx.vs, end - PAGE_SIZE, PAGE_SIZE, &a, &r2), VS_OK);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 5);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_free_args(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_cap root2;
    vs_space *other = fx_second(&fx, &root2);
    vs_attrs a = attrs_rw("f");
    vs_reservation *r = NULL, *theirs = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &a, &r), VS_OK);
    CHECK_RES(vs_reserve(other, 2 * PAGE_SIZE, 0, &a, &theirs), VS_OK);
    CHECK_RES(vs_free(fx.vs, NULL, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_free(fx.vs, theirs, 0), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(vs_reservation_count(other), 1);
    CHECK_RES(vs_free(fx.vs, r, 0), VS_OK);
    CHECK(state_at(fx.vs, arch->user_base) == VS_PAGE_EMPTY);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 0);
    CHECK_RES(vs_destroy(other, 0, NULL), VS_OK);
    fx_fini(&fx, 0);
}

/* Issue 6: a freed handle must stay dead when a new reservation takes the
 * same address (and, here, the same slot and node memory). */
static void test_stale_handle(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("a"), b = attrs_rw("b");
    vs_reservation *ra = NULL, *rb = NULL;
    CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &a, &ra), VS_OK);
    vs_addr at = start_of(fx.vs, ra);
    CHECK_RES(vs_free(fx.vs, ra, 0), VS_OK);
    CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &b, &rb), VS_OK);
    CHECK(start_of(fx.vs, rb) == at);
    CHECK(ra != rb);
    vs_reservation_info info;
    memset(&info, 0x5a, sizeof info);
    CHECK_RES(vs_reservation_get_info(fx.vs, ra, &info), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(info.start, 0); /* zeroed */
    CHECK_RES(vs_free(fx.vs, ra, 0), VS_ERR_INVALID_ARG);
    CHECK(strstr(vs_last_error(fx.vs)->reason, "freed") != NULL);
    CHECK_RES(vs_resize(fx.vs, ra, 4 * PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_move(fx.vs, ra, at + 8 * PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 1);
    CHECK_RES(vs_reservation_get_info(fx.vs, rb, &info), VS_OK);
    CHECK(info.start == at && info.end == at + 2 * PAGE_SIZE && strcmp(info.name, "b") == 0);
    CHECK_RES(vs_reservation_get_info(NULL, rb, &info), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reservation_get_info(fx.vs, rb, NULL), VS_ERR_INVALID_ARG);
    /* Many generations of one slot: every old handle stays refused. */
    vs_reservation *old[8];
    for (int i = 0; i < 8; i++) {
        old[i] = rb;
        CHECK_RES(vs_free(fx.vs, rb, 0), VS_OK);
        CHECK_RES(vs_reserve(fx.vs, 2 * PAGE_SIZE, 0, &b, &rb), VS_OK);
    }
    for (int i = 0; i < 8; i++) {
        CHECK_RES(vs_free(fx.vs, old[i], 0), VS_ERR_INVALID_ARG);
    }
    vs_reservation *found = NULL;
    CHECK_RES(vs_find(fx.vs, at, &found), VS_OK);
    CHECK(found == rb);
    fx_check(&fx, fx.vs);
    CHECK_RES(vs_free(fx.vs, rb, 0), VS_OK);
    fx_fini(&fx, 0);
}

static void test_resize(const vs_arch *arch)
{
    fixture fx;
    vs_addr end = BASE + 16 * PAGE_SIZE;
    fx_init(&fx, arch, BASE, end, 0);
    vs_attrs a = attrs_rw("rs");
    vs_reservation *r = NULL, *next = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, BASE, 2 * PAGE_SIZE, &a, &r), VS_OK);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 8 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &next), VS_OK);
    CHECK_RES(vs_resize(fx.vs, r, 8 * PAGE_SIZE), VS_OK);
    CHECK(end_of(fx.vs, r) == BASE + 8 * PAGE_SIZE && start_of(fx.vs, r) == BASE);
    CHECK(state_at(fx.vs, BASE + 7 * PAGE_SIZE) == VS_PAGE_RESERVED);
    CHECK_RES(vs_resize(fx.vs, r, 9 * PAGE_SIZE), VS_ERR_OVERLAP);
    CHECK_RES(vs_resize(fx.vs, next, 9 * PAGE_SIZE), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_resize(fx.vs, r, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_resize(fx.vs, r, 3 * PAGE_SIZE + 5), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_resize(fx.vs, r, 3 * PAGE_SIZE), VS_OK);
    CHECK(end_of(fx.vs, r) == BASE + 3 * PAGE_SIZE);
    CHECK(state_at(fx.vs, BASE + 3 * PAGE_SIZE) == VS_PAGE_EMPTY);
    CHECK(state_at(fx.vs, BASE + 2 * PAGE_SIZE) == VS_PAGE_RESERVED);
    /* A shrink that would drop a mapped page is refused. */
    vs_cap f = fx_frame(&fx, 12);
    CHECK_RES(vs_map(fx.vs, BASE + 2 * PAGE_SIZE, &f, NULL, 1, 12), VS_OK);
    CHECK_RES(vs_resize(fx.vs, r, 2 * PAGE_SIZE), VS_ERR_HAS_MAPPINGS);
    CHECK(end_of(fx.vs, r) == BASE + 3 * PAGE_SIZE);
    CHECK_RES(vs_resize(fx.vs, r, 6 * PAGE_SIZE), VS_OK);
    CHECK(state_at(fx.vs, BASE + 2 * PAGE_SIZE) == VS_PAGE_MAPPED);
    vs_stats st;
    vs_get_stats(fx.vs, &st);
    CHECK(st.reserved_pages == 8 && st.mapped_pages == 1);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_move(const vs_arch *arch)
{
    fixture fx;
    vs_addr end = BASE + 16 * PAGE_SIZE;
    fx_init(&fx, arch, BASE, end, 0);
    vs_attrs a = {"mv", VS_RIGHT_READ, VS_CACHE_WRITE_COMBINE};
    vs_reservation *r = NULL, *other = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, BASE, 4 * PAGE_SIZE, &a, &r), VS_OK);
    CHECK_RES(vs_reserve_at(fx.vs, BASE + 12 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &other), VS_OK);
    CHECK_RES(vs_move(fx.vs, r, BASE + 2 * PAGE_SIZE), VS_OK); /* overlaps its own old range */
    CHECK(start_of(fx.vs, r) == BASE + 2 * PAGE_SIZE && end_of(fx.vs, r) == BASE + 6 * PAGE_SIZE);
    CHECK(state_at(fx.vs, BASE) == VS_PAGE_EMPTY && state_at(fx.vs, BASE + PAGE_SIZE) == VS_PAGE_EMPTY);
    CHECK(state_at(fx.vs, BASE + 5 * PAGE_SIZE) == VS_PAGE_RESERVED);
    CHECK_RES(vs_move(fx.vs, r, BASE + 10 * PAGE_SIZE), VS_ERR_OVERLAP);
    CHECK_RES(vs_move(fx.vs, r, BASE + 14 * PAGE_SIZE), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_move(fx.vs, r, BASE + 100), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_move(fx.vs, r, BASE + 8 * PAGE_SIZE), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(fx.vs, r, &info);
    CHECK(strcmp(info.name, "mv") == 0 && info.rights == VS_RIGHT_READ && info.cache == VS_CACHE_WRITE_COMBINE);
    vs_reservation *found = NULL;
    CHECK_RES(vs_find(fx.vs, BASE + 9 * PAGE_SIZE, &found), VS_OK);
    CHECK(found == r);
    vs_cap f = fx_frame(&fx, 12);
    CHECK_RES(vs_map(fx.vs, BASE + 8 * PAGE_SIZE, &f, NULL, 1, 12), VS_OK);
    CHECK_RES(vs_move(fx.vs, r, BASE), VS_ERR_HAS_MAPPINGS);
    CHECK(start_of(fx.vs, r) == BASE + 8 * PAGE_SIZE);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_find_boundaries(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("find");
    vs_addr s = arch->user_base + 8 * PAGE_SIZE;
    vs_reservation *r = NULL, *adj = NULL, *found = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, s, 3 * PAGE_SIZE, &a, &r), VS_OK);
    CHECK_RES(vs_find(fx.vs, s, &found), VS_OK);
    CHECK(found == r);
    found = NULL;
    CHECK_RES(vs_find(fx.vs, s + 3 * PAGE_SIZE - 1, &found), VS_OK);
    CHECK(found == r);
    CHECK_RES(vs_find(fx.vs, s + 3 * PAGE_SIZE, &found), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_find(fx.vs, s - 1, &found), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_find(fx.vs, 0, &found), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_find(fx.vs, arch->user_end + PAGE_SIZE, &found), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_reserve_at(fx.vs, s + 3 * PAGE_SIZE, PAGE_SIZE, &a, &adj), VS_OK);
    CHECK_RES(vs_find(fx.vs, s + 3 * PAGE_SIZE, &found), VS_OK);
    CHECK(found == adj);
    CHECK_RES(vs_find(fx.vs, s + 3 * PAGE_SIZE - 1, &found), VS_OK);
    CHECK(found == r);
    /* Many reservations: every one is found at its first and last byte. */
    vs_reservation *many[40];
    for (int i = 0; i < 40; i++) {
        CHECK_RES(vs_reserve(fx.vs, (vs_addr)(1 + i % 3) * PAGE_SIZE, 0, &a, &many[i]), VS_OK);
    }
    for (int i = 0; i < 40; i++) {
        CHECK_RES(vs_find(fx.vs, start_of(fx.vs, many[i]), &found), VS_OK);
        CHECK(found == many[i]);
        CHECK_RES(vs_find(fx.vs, end_of(fx.vs, many[i]) - 1, &found), VS_OK);
        CHECK(found == many[i]);
    }
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* The default range is the arch's user range, and its top page is usable. */
static void test_default_range_edges(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("top");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_end - PAGE_SIZE, PAGE_SIZE, &a, &r), VS_OK);
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_end, PAGE_SIZE, &a, &r), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_base - PAGE_SIZE, PAGE_SIZE, &a, &r), VS_ERR_OUT_OF_RANGE);
    vs_page p;
    CHECK_RES(vs_lookup(fx.vs, arch->user_end, &p), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_lookup(fx.vs, arch->user_end - 1, &p), VS_OK);
    CHECK(p.state == VS_PAGE_RESERVED);
    fx_fini(&fx, 0);
}

/* Reserves [at, at + PAGE_SIZE) with the 1st, 2nd, ... allocation
 * failing, each failure changing nothing, then for real. */
static vs_reservation *reserve_every_way(fixture *fx, vs_addr at, const vs_attrs *a)
{
    for (uint64_t nth = 1;; nth++) {
        vs_stats before;
        vs_get_stats(fx->vs, &before);
        vs_reservation *r = NULL;
        talloc_fail_nth(&fx->ta, nth);
        vs_result result = vs_reserve_at(fx->vs, at, PAGE_SIZE, a, &r);
        int fired = fx->ta.fired;
        talloc_disarm(&fx->ta);
        if (!fired) {
            CHECK_RES(result, VS_OK);
            return r;
        }
        vs_stats now;
        vs_get_stats(fx->vs, &now);
        CHECK_RES(result, VS_ERR_NO_MEMORY);
        CHECK_EQ_U(now.bookkeeping_bytes, before.bookkeeping_bytes);
        CHECK_EQ_U(now.reservations, before.reservations);
    }
}

/* Reservation records live in the handle table's chunks (4, 4, 8, ...,
 * 1024, then 1024 records each): 3000 reservations cross eleven chunk
 * boundaries and a growth of the chunk array, each reserve failing first
 * at every allocation it makes. Each handle names its own range; freed
 * ones go stale, and reserving the same ranges again reuses their records
 * (and rebuilds the same tree): the same bytes as before the frees. */
static void test_handle_chunks(const vs_arch *arch)
{
    enum { COUNT = 3000 };
    static vs_reservation *res[COUNT];
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("c");
    vs_addr base = arch->user_base;
    for (size_t i = 0; i < COUNT; i++) {
        res[i] = reserve_every_way(&fx, base + 2 * i * PAGE_SIZE, &a);
    }
    fx_check(&fx, fx.vs);
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_EQ_U(start_of(fx.vs, res[i]), base + 2 * i * PAGE_SIZE);
    }
    vs_stats before;
    vs_get_stats(fx.vs, &before);
    for (size_t i = COUNT / 3; i < COUNT; i++) {
        CHECK_RES(vs_free(fx.vs, res[i], 0), VS_OK);
    }
    for (size_t i = COUNT / 3; i < COUNT; i++) {
        vs_reservation_info info;
        CHECK_RES(vs_reservation_get_info(fx.vs, res[i], &info), VS_ERR_INVALID_ARG);
        CHECK_RES(vs_reserve_at(fx.vs, base + 2 * i * PAGE_SIZE, PAGE_SIZE, &a, &res[i]), VS_OK);
    }
    vs_stats after;
    vs_get_stats(fx.vs, &after);
    bytes_back(after.bookkeeping_bytes, before.bookkeeping_bytes, 0); /* chunks made again */
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_EQ_U(start_of(fx.vs, res[i]), base + 2 * i * PAGE_SIZE);
    }
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* Chunks the table no longer needs are given back: 3000 reservations
 * freed in a shuffled order leave the bookkeeping where one reservation
 * left it, and every freed handle stays refused, also once 3000 new
 * reservations have made the chunks again at the same slots. With the
 * table full at a chunk boundary, a reserve and a free in turn keep the
 * chunk the reserve made (no chunk made and given back each time). */
static void test_handle_chunks_released(const vs_arch *arch)
{
    enum { COUNT = 3000, BOUNDARY = 1024 };
    static vs_reservation *res[COUNT], *again[COUNT];
    static size_t order[COUNT];
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("r");
    vs_reservation *first = NULL;
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &first), VS_OK);
    vs_stats one, now;
    vs_get_stats(fx.vs, &one);
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &res[i]), VS_OK);
        order[i] = i;
    }
    /* The last reservation's record goes through generations 1-5 first:
     * the floor must come from the highest a released record reached,
     * not from any one record, or a rebuilt slot would take one of its
     * old handles' generations. */
    enum { CHURN = 5 };
    vs_reservation *churned[CHURN];
    for (int k = 0; k < CHURN; k++) {
        churned[k] = res[COUNT - 1];
        CHECK_RES(vs_free(fx.vs, res[COUNT - 1], 0), VS_OK);
        CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &res[COUNT - 1]), VS_OK);
    }
    uint64_t seed = 12345;
    for (size_t i = COUNT - 1; i > 0; i--) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)((seed >> 33) % (i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_RES(vs_free(fx.vs, res[order[i]], 0), VS_OK);
    }
    vs_get_stats(fx.vs, &now);
    bytes_back(now.bookkeeping_bytes, one.bookkeeping_bytes, 3068); /* chunks 1-10 */
    fx_check(&fx, fx.vs);
    vs_reservation_info info;
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &again[i]), VS_OK);
    }
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_RES(vs_reservation_get_info(fx.vs, res[i], &info), VS_ERR_INVALID_ARG);
        CHECK_RES(vs_reservation_get_info(fx.vs, again[i], &info), VS_OK);
    }
    for (int k = 0; k < CHURN; k++) {
        CHECK_RES(vs_reservation_get_info(fx.vs, churned[k], &info), VS_ERR_INVALID_ARG);
    }
    fx_check(&fx, fx.vs);
    for (size_t i = 0; i < COUNT; i++) {
        CHECK_RES(vs_free(fx.vs, again[i], 0), VS_OK);
    }
    vs_get_stats(fx.vs, &now);
    bytes_back(now.bookkeeping_bytes, one.bookkeeping_bytes, 3068);

    for (size_t i = 1; i < BOUNDARY; i++) { /* with `first`: every record of chunks 0-8 in use */
        CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &res[i]), VS_OK);
    }
    vs_stats full, cycled;
    vs_get_stats(fx.vs, &full);
    for (int k = 0; k < 4; k++) {
        vs_reservation *x = NULL;
        CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, &x), VS_OK);
        CHECK_RES(vs_free(fx.vs, x, 0), VS_OK);
        vs_get_stats(fx.vs, &now);
        if (k == 0) {
            cycled = now;
            CHECK(now.bookkeeping_bytes >= full.bookkeeping_bytes + BOUNDARY * sizeof(void *)); /* the chunk stays */
        }
        CHECK_EQ_U(now.bookkeeping_bytes, cycled.bookkeeping_bytes);
    }
    for (size_t i = 1; i < BOUNDARY; i++) {
        CHECK_RES(vs_free(fx.vs, res[i], 0), VS_OK);
    }
    vs_get_stats(fx.vs, &now);
    bytes_back(now.bookkeeping_bytes, one.bookkeeping_bytes, 3068);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

int main(void)
{
    run_all_archs("reserve_args", test_reserve_args);
    run_all_archs("reserve_first_fit", test_reserve_first_fit_reuses_holes);
    run_all_archs("reserve_alignment", test_reserve_alignment);
    run_all_archs("reserve_attributes", test_reserve_attributes);
    run_all_archs("reserve_at", test_reserve_at);
    run_all_archs("free_args", test_free_args);
    run_all_archs("stale_handle", test_stale_handle);
    run_all_archs("handle_chunks", test_handle_chunks);
    run_all_archs("handle_chunks_released", test_handle_chunks_released);
    run_all_archs("resize", test_resize);
    run_all_archs("move", test_move);
    run_all_archs("find_boundaries", test_find_boundaries);
    run_all_archs("default_range_edges", test_default_range_edges);
    return test_summary("core_reserve");
}
