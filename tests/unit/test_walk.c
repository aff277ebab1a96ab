/* Unit tests for the walks (include/vs/walk.h), on every architecture: the
 * pages, runs and table occupancy they report are compared with what
 * vs_lookup says page by page over a small managed range, and with the
 * reservations' own attributes. */
#include <stdlib.h>
#include <string.h>

#include <vs/walk.h>

#include "../support/harness.h"

enum { RANGE_BASE = 0x10000000, RANGE_SIZE = 64 << 20, MAX_ITEMS = 4096 };

typedef struct page_list {
    vs_mapping items[MAX_ITEMS];
    size_t count;
    size_t stop_after; /* 0: never stop */
} page_list;

static int take_page(void *ctx, const vs_mapping *m)
{
    page_list *l = ctx;
    if (l->count < MAX_ITEMS) {
        l->items[l->count++] = *m;
    }
    return l->stop_after != 0 && l->count == l->stop_after;
}

typedef struct run_list {
    vs_mapped_run items[MAX_ITEMS];
    size_t count;
} run_list;

static int take_run(void *ctx, const vs_mapped_run *r)
{
    run_list *l = ctx;
    if (l->count < MAX_ITEMS) {
        l->items[l->count++] = *r;
    }
    return 0;
}

typedef struct table_list_t {
    vs_table_occupancy items[MAX_ITEMS];
    size_t count;
} table_list_t;

static int take_table(void *ctx, const vs_table_occupancy *t)
{
    table_list_t *l = ctx;
    if (l->count < MAX_ITEMS) {
        l->items[l->count++] = *t;
    }
    return 0;
}

static vs_reservation *reserve(fixture *fx, uint64_t size, uint64_t align, const char *name, uint8_t rights)
{
    vs_attrs a = {name, rights, VS_CACHE_DEFAULT};
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx->vs, size, align, &a, &r), VS_OK);
    return r;
}

static vs_addr start_of(const vs_space *vs, const vs_reservation *r)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, r, &info);
    return info.start;
}

static void map_pages(fixture *fx, vs_addr va, size_t n, unsigned bits)
{
    for (size_t i = 0; i < n; i++) {
        vs_object f = fk_new_frame(fx->fk, bits); /* a non-zero cookie per frame */
        CHECK_RES(vs_map(fx->vs, va + (i << bits), &f.cap, &f.cookie, 1, bits), VS_OK);
    }
}

/* A layout with every page size up to 16 MiB, holes, a reserved-only
 * range, and two adjacent reservations mapped across their boundary. */
static void build(fixture *fx)
{
    const vs_arch *arch = fx->arch;
    for (unsigned i = 1; i < arch->num_page_sizes; i++) {
        unsigned bits = arch->page_sizes[i].bits;
        if (bits > 24) {
            continue;
        }
        vs_reservation *r = reserve(fx, 2ull << bits, 1ull << bits, "large", VS_RIGHT_READ | VS_RIGHT_WRITE);
        map_pages(fx, start_of(fx->vs, r) + (1ull << bits), 1, bits);
    }
    vs_reservation *text = reserve(fx, 16 * PAGE_SIZE, 0, ".text", VS_RIGHT_READ | VS_RIGHT_EXEC);
    map_pages(fx, start_of(fx->vs, text), 5, 12);
    map_pages(fx, start_of(fx->vs, text) + 6 * PAGE_SIZE, 3, 12);
    vs_reservation *a = reserve(fx, 4 * PAGE_SIZE, 0, "a", VS_RIGHT_READ);
    vs_reservation *b = reserve(fx, 4 * PAGE_SIZE, 0, "b", VS_RIGHT_READ);
    CHECK(start_of(fx->vs, b) == start_of(fx->vs, a) + 4 * PAGE_SIZE);
    map_pages(fx, start_of(fx->vs, a) + 2 * PAGE_SIZE, 4, 12);
    reserve(fx, 300 * PAGE_SIZE, 0, "unmapped", VS_RIGHT_READ);
}

/* Expected pages from vs_lookup over the whole managed range. */
static void expected_pages(const fixture *fx, page_list *want)
{
    want->count = 0;
    for (vs_addr va = RANGE_BASE; va < RANGE_BASE + RANGE_SIZE; va += PAGE_SIZE) {
        vs_page p;
        CHECK_RES(vs_lookup(fx->vs, va, &p), VS_OK);
        if (p.state != VS_PAGE_MAPPED || p.page_vaddr != va) {
            continue;
        }
        vs_reservation *r = NULL;
        CHECK_RES(vs_find(fx->vs, va, &r), VS_OK);
        vs_reservation_info info;
        vs_reservation_get_info(fx->vs, r, &info);
        want->items[want->count++] =
            (vs_mapping){va, p.size_bits, info.rights, info.cache, p.owner, p.cap, p.cookie, r};
    }
}

static void check_pages(fixture *fx)
{
    static page_list want, got;
    expected_pages(fx, &want);
    got.count = 0;
    got.stop_after = 0;
    CHECK_RES(vs_walk_pages(fx->vs, take_page, &got), VS_OK);
    CHECK_EQ_U(got.count, want.count);
    for (size_t i = 0; i < want.count && i < got.count; i++) {
        const vs_mapping *w = &want.items[i], *g = &got.items[i];
        CHECK_EQ_U(g->vaddr, w->vaddr);
        CHECK_EQ_U(g->size_bits, w->size_bits);
        CHECK_EQ_U(g->rights, w->rights);
        CHECK_EQ_U(g->cap, w->cap);
        CHECK_EQ_U(g->cookie, w->cookie);
        CHECK_EQ_U(g->owner, w->owner);
        CHECK(g->res == w->res);
    }
    /* Stopping early. */
    got.count = 0;
    got.stop_after = 3;
    CHECK_RES(vs_walk_pages(fx->vs, take_page, &got), VS_OK);
    CHECK_EQ_U(got.count, 3);

    /* Runs, rebuilt from the expected pages. */
    static run_list runs;
    runs.count = 0;
    CHECK_RES(vs_walk_runs(fx->vs, take_run, &runs), VS_OK);
    size_t r = 0;
    for (size_t i = 0; i < want.count; r++) {
        size_t j = i + 1;
        uint64_t size = 1ull << want.items[i].size_bits;
        while (j < want.count && want.items[j].vaddr == want.items[j - 1].vaddr + size &&
               want.items[j].size_bits == want.items[i].size_bits && want.items[j].res == want.items[i].res) {
            j++;
        }
        if (r < runs.count) {
            const vs_mapped_run *g = &runs.items[r];
            CHECK_EQ_U(g->start, want.items[i].vaddr);
            CHECK_EQ_U(g->end, want.items[j - 1].vaddr + size);
            CHECK_EQ_U(g->pages, j - i);
            CHECK_EQ_U(g->size_bits, want.items[i].size_bits);
            CHECK_EQ_U(g->rights, want.items[i].rights);
            CHECK(g->res == want.items[i].res);
        }
        i = j;
    }
    CHECK_EQ_U(runs.count, r);
}

/* State of one entry [lo, hi), by looking up every base page of it inside
 * the managed range (nothing outside it can be reserved or mapped). */
static unsigned entry_state(const fixture *fx, vs_addr lo, vs_addr hi)
{
    vs_addr from = lo > RANGE_BASE ? lo : RANGE_BASE;
    vs_addr to = hi < (vs_addr)RANGE_BASE + RANGE_SIZE ? hi : (vs_addr)RANGE_BASE + RANGE_SIZE;
    unsigned state = VS_PAGE_EMPTY;
    for (vs_addr va = from; va < to; va += PAGE_SIZE) {
        vs_page p;
        CHECK_RES(vs_lookup(fx->vs, va, &p), VS_OK);
        state = p.state > state ? p.state : state;
    }
    return state;
}

static void check_tables(fixture *fx)
{
    const vs_arch *arch = fx->arch;
    static table_list_t got;
    got.count = 0;
    CHECK_RES(vs_walk_tables(fx->vs, take_table, &got), VS_OK);
    CHECK(got.count >= 1 && got.items[0].level == 0 && got.items[0].vaddr == 0);
    static page_list want;
    expected_pages(fx, &want);
    size_t expected_tables = 1;
    for (unsigned level = 1; level < arch->num_levels; level++) {
        uint64_t span = 1ull << (arch->levels[level].shift + arch->levels[level].index_bits);
        vs_addr last = 1; /* never a table base */
        for (size_t i = 0; i < want.count; i++) {
            int idx = vs_arch_page_size_index(arch, want.items[i].size_bits);
            vs_addr base = want.items[i].vaddr & ~(span - 1);
            if (arch->page_sizes[idx].level >= level && base != last) {
                expected_tables++;
                last = base;
            }
        }
    }
    CHECK_EQ_U(got.count, expected_tables);
    unsigned prev_level = 0;
    for (size_t i = 0; i < got.count; i++) {
        const vs_table_occupancy *t = &got.items[i];
        const vs_paging_level *lv = &arch->levels[t->level];
        CHECK(t->level >= prev_level);
        prev_level = t->level;
        CHECK_EQ_U(t->entries, 1u << lv->index_bits);
        CHECK(strcmp(t->name, lv->name) == 0);
        CHECK_EQ_U(t->empty + t->reserved + t->mapped, t->entries);
        unsigned counts[3] = {0, 0, 0};
        for (uint64_t e = 0; e < t->entries; e++) {
            vs_addr lo = t->vaddr + (e << lv->shift);
            vs_addr hi = lo + (1ull << lv->shift);
            if (hi <= RANGE_BASE || lo >= (vs_addr)RANGE_BASE + RANGE_SIZE) {
                counts[VS_PAGE_EMPTY]++;
            } else {
                counts[entry_state(fx, lo, hi)]++;
            }
        }
        CHECK_EQ_U(t->empty, counts[VS_PAGE_EMPTY]);
        CHECK_EQ_U(t->reserved, counts[VS_PAGE_RESERVED]);
        CHECK_EQ_U(t->mapped, counts[VS_PAGE_MAPPED]);
        CHECK(t->mapped > 0 || t->level == 0);
    }
}

static void test_walks(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, RANGE_BASE, RANGE_BASE + RANGE_SIZE, FX_TABLES);
    static page_list empty;
    empty.count = 0;
    empty.stop_after = 0;
    CHECK_RES(vs_walk_pages(fx.vs, take_page, &empty), VS_OK);
    CHECK_EQ_U(empty.count, 0);
    build(&fx);
    check_pages(&fx);
    check_tables(&fx);
    CHECK_RES(vs_walk_pages(NULL, take_page, &empty), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_walk_runs(fx.vs, NULL, NULL), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_walk_tables(fx.vs, NULL, NULL), VS_ERR_INVALID_ARG);
    /* Scratch memory exhausted: NO_MEMORY, nothing leaked or changed. */
    vs_stats before;
    vs_get_stats(fx.vs, &before);
    talloc_fail_after(&fx.ta, 0);
    CHECK_RES(vs_walk_pages(fx.vs, take_page, &empty), VS_ERR_NO_MEMORY);
    CHECK_RES(vs_walk_tables(fx.vs, take_table, &empty), VS_ERR_NO_MEMORY);
    talloc_fail_after(&fx.ta, 1);
    static table_list_t tl;
    tl.count = 0;
    CHECK_RES(vs_walk_tables(fx.vs, take_table, &tl), VS_ERR_NO_MEMORY);
    CHECK_EQ_U(tl.count, 0);
    talloc_disarm(&fx.ta);
    vs_stats after;
    vs_get_stats(fx.vs, &after);
    CHECK_EQ_U(after.bookkeeping_bytes, before.bookkeeping_bytes);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, VS_DESTROY_FREE_CALLER_FRAMES);
}

int main(void)
{
    run_all_archs("walks", test_walks);
    return test_summary("core_walk");
}
