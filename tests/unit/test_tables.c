/* The paging tables the core creates, and their index (core/tables.c).
 *
 * Base pages scattered over many large-page slots make tables at many
 * places; large pages then go over some of those slots, where the core
 * must find and remove the tables first (the fake kernel, like seL4,
 * refuses a large page over a table), and where no table is. A model of
 * the tables that must exist is compared with vs_stats and the fake
 * kernel after every step, and vs_check (which proves the index holds
 * exactly the tables) runs after every step. Then base pages that each
 * need new tables are mapped with every allocation and kernel call failing
 * in turn, so that the index grows across its bucket segments inside
 * calls that fail: each must leave everything as it was. Last, a large
 * page the kernel refuses over such tables, with the kernel also refusing
 * to map some of them back (a double fault): what cannot go back is freed
 * and counted, and nothing is left half-attached. */
#include <string.h>

#include <vs/undo.h>

#include "../support/harness.h"
#include "../support/snapshot.h"

enum { SLOTS = 24, FRESH_SLOTS = 4, MODEL_MAX = 1024, GROWTH_PAGES = 40 };

/* The tables that must exist: (level, first address translated). */
typedef struct table_model {
    const vs_arch *arch;
    size_t count;
    unsigned level[MODEL_MAX];
    vs_addr base[MODEL_MAX];
} table_model;

static vs_addr table_base(const vs_arch *arch, unsigned level, vs_addr vaddr)
{
    return vaddr & ~(((vs_addr)1 << arch->levels[level - 1].shift) - 1);
}

/* A page whose entry is in a table of entry_level needs tables 1..entry_level. */
static void model_map(table_model *m, vs_addr vaddr, unsigned entry_level)
{
    for (unsigned level = 1; level <= entry_level; level++) {
        vs_addr base = table_base(m->arch, level, vaddr);
        size_t i = 0;
        while (i < m->count && (m->level[i] != level || m->base[i] != base)) {
            i++;
        }
        if (i == m->count && m->count < MODEL_MAX) {
            m->level[m->count] = level;
            m->base[m->count++] = base;
        }
    }
}

/* A large page removes every table below its entry inside its span. */
static void model_map_large(table_model *m, vs_addr vaddr, unsigned bits, unsigned entry_level)
{
    for (size_t i = 0; i < m->count;) {
        if (m->level[i] > entry_level && m->base[i] >= vaddr && m->base[i] - vaddr < ((vs_addr)1 << bits)) {
            m->count--;
            m->level[i] = m->level[m->count];
            m->base[i] = m->base[m->count];
        } else {
            i++;
        }
    }
    model_map(m, vaddr, entry_level);
}

static void check_tables(fixture *fx, const table_model *m)
{
    vs_stats st;
    CHECK_RES(vs_get_stats(fx->vs, &st), VS_OK);
    CHECK_EQ_U(st.paging_tables, m->count);
    CHECK_EQ_U(fk_count(fx->fk).mapped_tables, m->count);
    fx_check(fx, fx->vs);
}

static vs_addr reserve_slots(fixture *fx, unsigned bits, size_t slots)
{
    vs_attrs a = attrs_rw("tables");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx->vs, (uint64_t)slots << bits, (uint64_t)1 << bits, &a, &r), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(fx->vs, r, &info), VS_OK);
    return info.start;
}

/* Base pages at scattered offsets of a slot, under up to 8 of the slot's
 * last-level tables (which ones turns with the slot, so that the slot's
 * first is not always among them), and in every third slot one more at
 * the slot's end: several tables lie under one large page, and enough
 * tables for the large page's probes of the index, not a walk of the list
 * (taken when there are fewer tables than probes), to be what finds them. */
static void map_base_pages(fixture *fx, table_model *m, vs_addr slot, unsigned bits, size_t i, int map)
{
    const vs_page_size *base = &fx->arch->page_sizes[0];
    unsigned span = fx->arch->levels[fx->arch->num_levels - 2].shift; /* of a last-level table */
    uint64_t tables = (uint64_t)1 << (bits - span);
    uint64_t used = tables < 8 ? tables : 8;
    uint64_t pages = (uint64_t)1 << (span - base->bits);
    vs_addr at[9];
    size_t n = 0;
    for (uint64_t j = 0; j < used; j++) {
        uint64_t table = (j * (tables / used) + i) % tables;
        at[n++] = slot + (table << span) + (((i * 7919u + j * 31u) % pages) << base->bits);
    }
    vs_addr last = slot + ((vs_addr)1 << bits) - ((vs_addr)1 << base->bits);
    size_t k = 0;
    while (k < n && at[k] != last) {
        k++;
    }
    if (i % 3 == 0 && k == n) {
        at[n++] = last;
    }
    for (k = 0; k < n; k++) {
        if (map) {
            CHECK_RES(vs_map_new(fx->vs, at[k], 1, base->bits), VS_OK);
            model_map(m, at[k], base->level);
        } else {
            CHECK_RES(vs_unmap(fx->vs, at[k], (uint64_t)1 << base->bits, 0), VS_OK);
        }
    }
}

static void map_large(fixture *fx, table_model *m, vs_addr at, unsigned size_index)
{
    const vs_page_size *size = &fx->arch->page_sizes[size_index];
    CHECK_RES(vs_map_new(fx->vs, at, 1, size->bits), VS_OK);
    model_map_large(m, at, size->bits, size->level);
    vs_page p;
    CHECK_RES(vs_lookup(fx->vs, at + ((vs_addr)1 << size->bits) - 1, &p), VS_OK);
    CHECK(p.state == VS_PAGE_MAPPED && p.size_bits == size->bits && p.page_vaddr == at);
    check_tables(fx, m);
}

/* Large pages of one size over slots where base pages were, and over
 * slots where none ever was. */
static void large_over_tables(const vs_arch *arch, unsigned size_index)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    static table_model m;
    memset(&m, 0, sizeof m);
    m.arch = arch;
    unsigned bits = arch->page_sizes[size_index].bits;
    vs_addr start = reserve_slots(&fx, bits, SLOTS);
    vs_addr fresh = reserve_slots(&fx, bits, FRESH_SLOTS);
    for (size_t i = 0; i < SLOTS; i++) {
        map_base_pages(&fx, &m, start + ((vs_addr)i << bits), bits, i, 1);
    }
    check_tables(&fx, &m);
    for (size_t i = 0; i < SLOTS; i++) {
        map_base_pages(&fx, &m, start + ((vs_addr)i << bits), bits, i, 0);
    }
    check_tables(&fx, &m); /* empty tables stay */
    for (size_t i = 0; i < SLOTS; i += 2) {
        map_large(&fx, &m, start + ((vs_addr)i << bits), size_index);
    }
    for (size_t i = 0; i < FRESH_SLOTS; i++) {
        map_large(&fx, &m, fresh + ((vs_addr)i << bits), size_index);
    }
    /* Tables made again where large pages were, then large pages over
     * the others. */
    for (size_t i = 0; i < SLOTS; i += 2) {
        CHECK_RES(vs_unmap(fx.vs, start + ((vs_addr)i << bits), (uint64_t)1 << bits, 0), VS_OK);
        map_base_pages(&fx, &m, start + ((vs_addr)i << bits), bits, i + 1, 1);
    }
    check_tables(&fx, &m);
    for (size_t i = 1; i < SLOTS; i += 2) {
        map_large(&fx, &m, start + ((vs_addr)i << bits), size_index);
    }
    fx_fini(&fx, 0);
}

/* Every size whose entry lies above the last level: those are the ones
 * the kernel refuses over a table. */
static void test_large_over_tables(const vs_arch *arch)
{
    for (unsigned k = 1; k < arch->num_page_sizes; k++) {
        if (arch->page_sizes[k].level + 1u < arch->num_levels) {
            large_over_tables(arch, k);
        }
    }
}

/* The Nth allocation or kernel call of a map that creates tables fails,
 * for every N until the map succeeds: the failed call must leave the
 * snapshot (allocator bytes and count included) and vs_check as they were.
 * GROWTH_PAGES pages, each in its own last-level table's span, take the
 * table count across the index's 8, 16 and 32 buckets; allocations and
 * kernel calls fail on alternate pages. */
static void test_index_growth_all_or_nothing(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    unsigned span = arch->levels[arch->num_levels - 2].shift;
    vs_addr start = reserve_slots(&fx, span, GROWTH_PAGES);
    vs_space *vss[1] = {fx.vs};
    for (size_t i = 0; i < GROWTH_PAGES; i++) {
        int kernel = i % 2;
        for (uint64_t n = 1;; n++) {
            snapshot before;
            snap_take(&before, vss, 1, fx.fk, &fx.ta);
            if (kernel) {
                fk_fail_nth(fx.fk, n, FK_FAIL_ERROR);
            } else {
                talloc_fail_nth(&fx.ta, n);
            }
            vs_result r = vs_map_new(fx.vs, start + ((vs_addr)i << span), 1, 12);
            int fired = kernel ? fx.fk->fired : fx.ta.fired;
            fk_disarm(fx.fk);
            talloc_disarm(&fx.ta);
            if (r == VS_OK) {
                CHECK(!fired && n > 1);
                snap_free(&before);
                break;
            }
            CHECK(fired);
            CHECK_RES(r, kernel ? VS_ERR_KERNEL : VS_ERR_NO_MEMORY);
            snapshot after;
            snap_take(&after, vss, 1, fx.fk, &fx.ta);
            CHECK(snap_compare(&before, &after, test_context) == 0);
            snap_free(&after);
            snap_free(&before);
            fx_check(&fx, fx.vs);
        }
    }
    vs_stats st;
    CHECK_RES(vs_get_stats(fx.vs, &st), VS_OK);
    CHECK(st.paging_tables >= GROWTH_PAGES);
    CHECK_EQ_U(st.paging_tables, fk_count(fx.fk).mapped_tables);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

/* A kernel that refuses every large page of size index refuse_size, and
 * while it does, the map_table calls whose number (from 0) is set in
 * refuse_tables: the map-backs of the tables detached for it (one under a
 * 2 MiB slot, a directory and its tables under a 1 GiB one). */
static const vs_kernel_ops *real_ops;
static int refuse_size = -1;
static unsigned table_calls, refuse_tables;

static vs_kstatus refusing_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned size_index,
                                     unsigned rights, vs_cache cache)
{
    if ((int)size_index == refuse_size) {
        return (vs_kstatus){FK_INJECTED, -1};
    }
    return real_ops->map_frame(ctx, root, frame, vaddr, size_index, rights, cache);
}

static vs_kstatus refusing_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    if (refuse_size >= 0 && table_calls < 32 && (refuse_tables >> table_calls++) & 1) {
        return (vs_kstatus){FK_INJECTED, -1};
    }
    return real_ops->map_table(ctx, root, table, level, vaddr);
}

static void reattach_refused(const vs_arch *arch, unsigned size_index, unsigned mask)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    vs_kernel kernel = fk_kernel(fx.fk);
    real_ops = kernel.ops;
    vs_kernel_ops ops = *real_ops;
    ops.map_frame = refusing_map_frame;
    ops.map_table = refusing_map_table;
    vs_config cfg = {arch, talloc_allocator(&fx.ta), {&ops, kernel.ctx}, fk_new_root(fx.fk), 0, 0};
    vs_space *vs = NULL;
    CHECK_RES(vs_create(&cfg, &vs), VS_OK);
    unsigned bits = arch->page_sizes[size_index].bits;
    vs_attrs a = attrs_rw("slot");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(vs, (uint64_t)1 << bits, (uint64_t)1 << bits, &a, &r), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(vs, r, &info), VS_OK);
    /* Tables under three places of the slot: more than one to map back. */
    vs_addr at[3] = {info.start, info.start + ((vs_addr)1 << (bits - 1)), info.end - PAGE_SIZE};
    for (int i = 0; i < 3; i++) {
        CHECK_RES(vs_map_new(vs, at[i], 1, 12), VS_OK);
        CHECK_RES(vs_unmap(vs, at[i], PAGE_SIZE, VS_UNMAP_FREE_FRAMES), VS_OK);
    }
    vs_stats before, after;
    vs_get_stats(vs, &before);
    refuse_size = (int)size_index;
    table_calls = 0;
    refuse_tables = mask;
    CHECK_RES(vs_map_new(vs, info.start, 1, bits), VS_ERR_KERNEL);
    refuse_size = -1;
    vs_get_stats(vs, &after);
    fk_counts k = fk_count(fx.fk);
    /* Every table the vspace still counts is mapped in the kernel, none is
     * stranded there unmapped, and only a refused map-back loses one. */
    CHECK_EQ_U(after.paging_tables, k.mapped_tables);
    CHECK_EQ_U(k.tables, k.mapped_tables);
    int refused = (mask & ((1u << table_calls) - 1)) != 0;
    CHECK(table_calls > 0); /* there was something to map back */
    CHECK(refused ? after.release_failures > before.release_failures && after.paging_tables < before.paging_tables
                  : after.release_failures == before.release_failures && after.paging_tables == before.paging_tables);
    fx_check(&fx, vs);
    CHECK_RES(vs_map_new(vs, info.start, 1, bits), VS_OK);
    fx_check(&fx, vs);
    CHECK_RES(vs_destroy(vs, 0, NULL), VS_OK);
    fx_fini(&fx, 0);
}

static void test_reattach_refused(const vs_arch *arch)
{
    for (unsigned k = 1; k < arch->num_page_sizes; k++) {
        for (unsigned mask = 0; mask < 8 && arch->page_sizes[k].level + 1u < arch->num_levels; mask++) {
            reattach_refused(arch, k, mask);
        }
    }
}

/* Takes a snapshot of fx's vspace and checks it against `before`. */
static void check_unchanged(fixture *fx, const snapshot *before)
{
    vs_space *vss[1] = {fx->vs};
    snapshot after;
    snap_take(&after, vss, 1, fx->fk, &fx->ta);
    CHECK(snap_compare(before, &after, test_context) == 0);
    snap_free(&after);
    fx_check(fx, fx->vs);
}

static void check_counts(fixture *fx, size_t tables, size_t in_kernel)
{
    vs_stats st;
    CHECK_RES(vs_get_stats(fx->vs, &st), VS_OK);
    CHECK_EQ_U(st.paging_tables, tables);
    CHECK_EQ_U(fk_count(fx->fk).mapped_tables, in_kernel);
    fx_check(fx, fx->vs);
}

/* The rules of a keep (<vs/undo.h>), for a large page of size index k
 * over the empty tables a base page left: a second keep only returns the
 * mark; while a table is kept, a base page where it lies is refused, and
 * so is a rollback while a page is mapped where it is to go back, each
 * naming the address and changing nothing; a rollback once the page is
 * gone maps it back; keep_end without a keep does nothing, with one it
 * frees the kept tables, after which a base page makes a new one. */
static void keep_rules(const vs_arch *arch, unsigned k)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    const vs_page_size *large = &arch->page_sizes[k];
    vs_addr slot = reserve_slots(&fx, large->bits, 1);
    CHECK_RES(vs_map_new(fx.vs, slot, 1, 12), VS_OK);
    CHECK_RES(vs_unmap(fx.vs, slot, PAGE_SIZE, VS_UNMAP_FREE_FRAMES), VS_OK);
    vs_stats st;
    CHECK_RES(vs_get_stats(fx.vs, &st), VS_OK);
    size_t all = st.paging_tables;
    size_t below = arch->num_levels - 1u - large->level; /* the base page's tables under the large entry */
    vs_space *vss[1] = {fx.vs};

    uint64_t mark = vs_table_keep(fx.vs);
    CHECK_EQ_U(vs_table_keep(fx.vs), mark);
    CHECK_RES(vs_map_new(fx.vs, slot, 1, large->bits), VS_OK);
    check_counts(&fx, all, all - below); /* kept: counted, out of the kernel */

    snapshot before;
    snap_take(&before, vss, 1, fx.fk, &fx.ta);
    CHECK_RES(vs_table_rollback(fx.vs, mark), VS_ERR_HAS_MAPPINGS);
    CHECK_EQ_U(vs_last_error(fx.vs)->vaddr, slot);
    check_unchanged(&fx, &before);
    snap_free(&before);

    CHECK_RES(vs_unmap(fx.vs, slot, (uint64_t)1 << large->bits, VS_UNMAP_FREE_FRAMES), VS_OK);
    snap_take(&before, vss, 1, fx.fk, &fx.ta);
    CHECK_RES(vs_map_new(fx.vs, slot + PAGE_SIZE, 1, 12), VS_ERR_INVALID_ARG);
    CHECK(strstr(vs_last_error(fx.vs)->reason, "kept") != NULL);
    vs_addr table_at = vs_last_error(fx.vs)->vaddr;
    CHECK(table_at <= slot + PAGE_SIZE && slot + PAGE_SIZE - table_at < ((vs_addr)1 << large->bits));
    check_unchanged(&fx, &before);
    snap_free(&before);

    CHECK_RES(vs_table_rollback(fx.vs, mark), VS_OK);
    check_counts(&fx, all, all);
    CHECK_RES(vs_map_new(fx.vs, slot + PAGE_SIZE, 1, 12), VS_OK); /* under the tables mapped back */
    check_counts(&fx, all, all);
    CHECK_RES(vs_unmap(fx.vs, slot + PAGE_SIZE, PAGE_SIZE, VS_UNMAP_FREE_FRAMES), VS_OK);

    snap_take(&before, vss, 1, fx.fk, &fx.ta);
    vs_table_keep_end(fx.vs); /* no keep open */
    check_unchanged(&fx, &before);
    snap_free(&before);

    (void)vs_table_keep(fx.vs);
    CHECK_RES(vs_map_new(fx.vs, slot, 1, large->bits), VS_OK);
    vs_table_keep_end(fx.vs);
    check_counts(&fx, all - below, all - below);
    CHECK_RES(vs_unmap(fx.vs, slot, (uint64_t)1 << large->bits, VS_UNMAP_FREE_FRAMES), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, slot + PAGE_SIZE, 1, 12), VS_OK); /* no keep: new tables */
    check_counts(&fx, all, all);
    fx_fini(&fx, 0);
}

static void test_keep_rules(const vs_arch *arch)
{
    for (unsigned k = 1; k < arch->num_page_sizes; k++) {
        if (arch->page_sizes[k].level + 1u < arch->num_levels) {
            keep_rules(arch, k);
        }
    }
}

int main(void)
{
    run_all_archs("large_over_tables", test_large_over_tables);
    run_all_archs("index_growth_all_or_nothing", test_index_growth_all_or_nothing);
    run_all_archs("reattach_refused", test_reattach_refused);
    run_all_archs("keep_rules", test_keep_rules);
    return test_summary("core_tables");
}
