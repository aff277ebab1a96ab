/* I4, all-or-nothing, by exhaustive failure injection.
 *
 * For each operation, arch and kernel mode (tables given / tables required
 * as on seL4): run the operation once on a fresh standard state to count
 * its allocations and kernel calls; then for every N, rebuild the state,
 * snapshot it, make the Nth allocation (or kernel call) fail, and require
 * the documented error, an identical snapshot, a clean vs_check, and that
 * the same operation then succeeds (nothing half-done is left behind).
 * fx_fini after each run checks nothing leaked. */
#include <string.h>

#include "../support/harness.h"
#include "../support/snapshot.h"

/* The standard state every run starts from. */
typedef struct world {
    fixture fx;   /* fx.vs = A */
    vs_space *b;  /* a second vspace, share destination */
    unsigned big; /* log2 of the arch's second page size */
    vs_reservation *r1, *r2, *rbig, *rfar, *rd, *rdbig, *rdbig2;
    vs_addr r1s, r2s, rbigs, rfars, rds, rdbigs, rdbig2s;
} world;

static vs_addr start_of(const vs_space *vs, const vs_reservation *r)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, r, &info);
    return info.start;
}

static void map_caller(world *w, vs_space *vs, vs_addr va, size_t n, unsigned bits)
{
    for (size_t i = 0; i < n; i++) {
        vs_object o = fk_new_frame(w->fx.fk, bits);
        CHECK_RES(vs_map(vs, va + (i << bits), &o.cap, &o.cookie, 1, bits), VS_OK);
    }
}

static void world_init(world *w, const vs_arch *arch, unsigned fx_flags)
{
    memset(w, 0, sizeof *w);
    fx_init(&w->fx, arch, 0, 0, fx_flags);
    w->b = fx_second(&w->fx, NULL);
    w->big = arch->page_sizes[1].bits;
    uint64_t bs = 1ull << w->big;
    vs_attrs a = attrs_rw("w");
    vs_space *A = w->fx.vs;
    CHECK_RES(vs_reserve(A, 8 * PAGE_SIZE, 0, &a, &w->r1), VS_OK);
    CHECK_RES(vs_reserve_at(A, arch->user_base + 16 * PAGE_SIZE, 4 * PAGE_SIZE, &a, &w->r2), VS_OK);
    CHECK_RES(vs_reserve(A, 2 * bs, bs, &a, &w->rbig), VS_OK);
    /* Far enough that its root-table slot is unused: mapping there creates tables. */
    vs_addr far = (arch->user_end - 1) & ~((1ull << arch->levels[0].shift) - 1);
    CHECK_RES(vs_reserve_at(A, far, 4 * PAGE_SIZE, &a, &w->rfar), VS_OK);
    CHECK_RES(vs_reserve(w->b, 8 * PAGE_SIZE, 0, &a, &w->rd), VS_OK);
    CHECK_RES(vs_reserve(w->b, bs, bs, &a, &w->rdbig), VS_OK);
    w->r1s = start_of(A, w->r1), w->r2s = start_of(A, w->r2), w->rbigs = start_of(A, w->rbig);
    w->rfars = start_of(A, w->rfar), w->rds = start_of(w->b, w->rd), w->rdbigs = start_of(w->b, w->rdbig);
    map_caller(w, A, w->r1s, 2, 12);
    CHECK_RES(vs_map_new(A, w->r1s + 2 * PAGE_SIZE, 1, 12), VS_OK);
    CHECK_RES(vs_map_new(A, w->rbigs, 1, w->big), VS_OK);
    /* A base page mapped and unmapped where the large-page scenarios map
     * leaves its empty table in their way: the large page must take it
     * down, and a failed call must put it back. */
    CHECK_RES(vs_map_new(A, w->rbigs + bs, 1, 12), VS_OK);
    CHECK_RES(vs_unmap(A, w->rbigs + bs, PAGE_SIZE, 0), VS_OK);
    /* The same where share_big_over_table shares into the second vspace. */
    CHECK_RES(vs_reserve(w->b, bs, bs, &a, &w->rdbig2), VS_OK);
    w->rdbig2s = start_of(w->b, w->rdbig2);
    CHECK_RES(vs_map_new(w->b, w->rdbig2s, 1, 12), VS_OK);
    CHECK_RES(vs_unmap(w->b, w->rdbig2s, PAGE_SIZE, 0), VS_OK);
}

static void world_fini(world *w)
{
    fx_check(&w->fx, w->b);
    CHECK_RES(vs_destroy(w->b, 0, NULL), VS_OK);
    fx_fini(&w->fx, 0);
}

typedef vs_result (*op_fn)(world *w);

typedef struct scenario {
    const char *name;
    op_fn run;
} scenario;

/* clang-format off */
static vs_result op_reserve(world *w) { vs_reservation *r; vs_attrs a = attrs_rw("n"); return vs_reserve(w->fx.vs, 3 * PAGE_SIZE, 0, &a, &r); }
static vs_result op_reserve_big(world *w) { vs_reservation *r; vs_attrs a = attrs_rw("n"); return vs_reserve(w->fx.vs, 1ull << w->big, 1ull << w->big, &a, &r); }
static vs_result op_reserve_at(world *w) { vs_reservation *r; vs_attrs a = attrs_rw("n"); return vs_reserve_at(w->fx.vs, w->r2s + 8 * PAGE_SIZE, 2 * PAGE_SIZE, &a, &r); }
static vs_result op_free(world *w) { return vs_free(w->fx.vs, w->r2, 0); }
static vs_result op_free_unmap(world *w) { return vs_free(w->fx.vs, w->r1, VS_FREE_UNMAP); }
static vs_result op_free_frames(world *w) { return vs_free(w->fx.vs, w->r1, VS_FREE_UNMAP | VS_FREE_FRAMES); }
static vs_result op_free_big(world *w) { return vs_free(w->fx.vs, w->rbig, VS_FREE_UNMAP | VS_FREE_FRAMES); }
static vs_result op_resize_grow(world *w) { return vs_resize(w->fx.vs, w->r2, 9 * PAGE_SIZE); }
static vs_result op_resize_shrink(world *w) { return vs_resize(w->fx.vs, w->r2, PAGE_SIZE); }
static vs_result op_resize_mapped(world *w) { return vs_resize(w->fx.vs, w->r1, 12 * PAGE_SIZE); }
static vs_result op_move(world *w) { return vs_move(w->fx.vs, w->r2, w->r2s + 2 * PAGE_SIZE); }
static vs_result op_map_new(world *w) { return vs_map_new(w->fx.vs, w->r1s + 3 * PAGE_SIZE, 3, 12); }
static vs_result op_map_new_big(world *w) { return vs_map_new(w->fx.vs, w->rbigs + (1ull << w->big), 1, w->big); }
static vs_result op_map_new_far(world *w) { return vs_map_new(w->fx.vs, w->rfars, 2, 12); }
static vs_result op_unmap(world *w) { return vs_unmap(w->fx.vs, w->r1s, 3 * PAGE_SIZE, 0); }
static vs_result op_unmap_free(world *w) { return vs_unmap(w->fx.vs, w->r1s, 3 * PAGE_SIZE, VS_UNMAP_FREE_FRAMES); }
static vs_result op_unmap_big(world *w) { return vs_unmap(w->fx.vs, w->rbigs, 1ull << w->big, VS_UNMAP_FREE_FRAMES); }
static vs_result op_share(world *w) { return vs_share(w->b, w->rds + PAGE_SIZE, w->fx.vs, w->r1s, 3 * PAGE_SIZE); }
static vs_result op_share_big(world *w) { return vs_share(w->b, w->rdbigs, w->fx.vs, w->rbigs, 1ull << w->big); }
static vs_result op_share_big_over_table(world *w) { return vs_share(w->b, w->rdbig2s, w->fx.vs, w->rbigs, 1ull << w->big); }
/* clang-format on */

/* vs_map needs fresh caller caps made before the snapshot, so it keeps them here. */
static vs_object map_objs[3];

static void prepare_map(world *w, unsigned bits)
{
    for (int i = 0; i < 3; i++) {
        map_objs[i] = fk_new_frame(w->fx.fk, bits);
    }
}

static vs_result op_map(world *w)
{
    vs_cap caps[3] = {map_objs[0].cap, map_objs[1].cap, map_objs[2].cap};
    uintptr_t cookies[3] = {map_objs[0].cookie, map_objs[1].cookie, map_objs[2].cookie};
    return vs_map(w->fx.vs, w->r1s + 3 * PAGE_SIZE, caps, cookies, 3, 12);
}

static vs_result op_map_far(world *w)
{
    vs_cap caps[2] = {map_objs[0].cap, map_objs[1].cap};
    return vs_map(w->fx.vs, w->rfars + PAGE_SIZE, caps, NULL, 2, 12);
}

/* One base page per call takes its own path (core/map.c map_one): into a
 * leaf that exists, with a cookie (side array), and into an empty part of
 * the space (a new leaf and new tables). */
static vs_result op_map_one(world *w)
{
    return vs_map(w->fx.vs, w->r1s + 3 * PAGE_SIZE, &map_objs[0].cap, NULL, 1, 12);
}

static vs_result op_map_one_cookie(world *w)
{
    return vs_map(w->fx.vs, w->r1s + 3 * PAGE_SIZE, &map_objs[0].cap, &map_objs[0].cookie, 1, 12);
}

static vs_result op_map_one_far(world *w)
{
    return vs_map(w->fx.vs, w->rfars + PAGE_SIZE, &map_objs[0].cap, NULL, 1, 12);
}

static vs_result op_map_new_one(world *w)
{
    return vs_map_new(w->fx.vs, w->r1s + 3 * PAGE_SIZE, 1, 12);
}
static vs_result op_map_new_one_far(world *w)
{
    return vs_map_new(w->fx.vs, w->rfars, 1, 12);
}
static vs_result op_unmap_one(world *w)
{
    return vs_unmap(w->fx.vs, w->r1s + 2 * PAGE_SIZE, PAGE_SIZE, 0);
}
static vs_result op_unmap_one_free(world *w)
{
    return vs_unmap(w->fx.vs, w->r1s, PAGE_SIZE, VS_UNMAP_FREE_FRAMES);
}

static vs_result op_map_big(world *w)
{
    return vs_map(w->fx.vs, w->rbigs + (1ull << w->big), &map_objs[0].cap, &map_objs[0].cookie, 1, w->big);
}

/* Without a cookie one large page is recorded in place (core/map.c
 * map_one_at with its size), not through the run machinery: next to a
 * large page (its leaf exists), and in the second vspace's empty
 * reservation (a new leaf, tables the kernel asks for). */
static vs_result op_map_big_inline(world *w)
{
    return vs_map(w->fx.vs, w->rbigs + (1ull << w->big), &map_objs[0].cap, NULL, 1, w->big);
}

static vs_result op_map_big_inline_fresh(world *w)
{
    return vs_map(w->b, w->rdbigs, &map_objs[0].cap, NULL, 1, w->big);
}

static const scenario scenarios[] = {
    {"reserve", op_reserve},
    {"reserve_big", op_reserve_big},
    {"reserve_at", op_reserve_at},
    {"free", op_free},
    {"free_unmap", op_free_unmap},
    {"free_frames", op_free_frames},
    {"free_big", op_free_big},
    {"resize_grow", op_resize_grow},
    {"resize_shrink", op_resize_shrink},
    {"resize_mapped", op_resize_mapped},
    {"move", op_move},
    {"map", op_map},
    {"map_far", op_map_far},
    {"map_big", op_map_big},
    {"map_big_inline", op_map_big_inline},
    {"map_big_inline_fresh", op_map_big_inline_fresh},
    {"map_new", op_map_new},
    {"map_new_big", op_map_new_big},
    {"map_new_far", op_map_new_far},
    {"unmap", op_unmap},
    {"unmap_free", op_unmap_free},
    {"unmap_big", op_unmap_big},
    {"map_one", op_map_one},
    {"map_one_cookie", op_map_one_cookie},
    {"map_one_far", op_map_one_far},
    {"map_new_one", op_map_new_one},
    {"map_new_one_far", op_map_new_one_far},
    {"unmap_one", op_unmap_one},
    {"unmap_one_free", op_unmap_one_free},
    {"share", op_share},
    {"share_big", op_share_big},
    {"share_big_over_table", op_share_big_over_table},
};

typedef enum inject_kind { INJ_NONE, INJ_ALLOC, INJ_KERNEL, INJ_MISSING } inject_kind;

static void world_prepare(world *w, const vs_arch *arch, unsigned tables, const scenario *sc)
{
    world_init(w, arch, tables);
    prepare_map(w, sc->run == op_map_big || sc->run == op_map_big_inline || sc->run == op_map_big_inline_fresh ? w->big
                                                                                                               : 12);
    fk_log_clear(w->fx.fk);
}

static void snap(world *w, snapshot *s)
{
    vs_space *vss[2] = {w->fx.vs, w->b};
    snap_take(s, vss, 2, w->fx.fk, &w->fx.ta);
}

static void arm(world *w, inject_kind kind, uint64_t n)
{
    talloc_disarm(&w->fx.ta);
    fk_disarm(w->fx.fk);
    if (kind == INJ_ALLOC) {
        talloc_fail_nth(&w->fx.ta, n);
    } else if (kind == INJ_KERNEL || kind == INJ_MISSING) {
        fk_fail_nth(w->fx.fk, n, kind == INJ_KERNEL ? FK_FAIL_ERROR : FK_FAIL_MISSING_LEVEL);
    }
}

static unsigned notes;
static unsigned long injected_runs;

/* The logged call the injection failed, or NULL. */
static const fk_call *injected_call(const fakek *fk)
{
    for (size_t i = 0; i < fk->nlog; i++) {
        if (fk->log[i].error == FK_INJECTED) {
            return &fk->log[i];
        }
    }
    return NULL;
}

/* A failure injected into a call the core makes after committing (freeing a
 * frame or deleting a copy once it is unmapped) is absorbed by design: the
 * call returns VS_OK, vs_stats.release_failures counts it and the object
 * stays allocated in the kernel. Check exactly that, and release the object
 * here so the leak checks stay strict for everything else. */
static int absorbed_release(world *w, vs_result r)
{
    const fk_call *c = injected_call(w->fx.fk);
    if (r != VS_OK || c == NULL || (c->op != FK_OP_FREE_OBJECT && c->op != FK_OP_DELETE_CAP)) {
        return 0;
    }
    vs_stats sa, sb;
    vs_get_stats(w->fx.vs, &sa);
    vs_get_stats(w->b, &sb);
    CHECK_EQ_U(sa.release_failures + sb.release_failures, 1);
    const fk_cap *k = fk_cap_get(w->fx.fk, c->cap);
    CHECK(k != NULL && !k->mapped);
    CHECK_EQ_U(fk_reclaim_injected(w->fx.fk), c->op);
    return 1;
}

static void check_failed_run(world *w, inject_kind kind, vs_result r, const snapshot *before, const char *label)
{
    if (kind != INJ_ALLOC && absorbed_release(w, r)) {
        notes++;
        return;
    }
    if (kind == INJ_ALLOC) {
        CHECK_RES(r, VS_ERR_NO_MEMORY);
    } else if (kind == INJ_KERNEL) {
        CHECK_RES(r, VS_ERR_KERNEL);
        CHECK_EQ_U(vs_last_kernel_error(w->fx.vs) == FK_INJECTED || vs_last_kernel_error(w->b) == FK_INJECTED, 1);
    } else if (r == VS_OK) {
        return; /* a spurious missing level the core could satisfy by creating a table */
    }
    snapshot after;
    snap(w, &after);
    if (snap_compare(before, &after, label)) {
        test_fail(__FILE__, __LINE__, "%s: state changed by a failed call (%s)", label, vs_result_name(r));
    }
    snap_free(&after);
}

/* One run with the Nth event of `kind` failing. */
static void run_injected(const vs_arch *arch, unsigned tables, const scenario *sc, inject_kind kind, uint64_t n)
{
    world w;
    char label[160];
    snprintf(label, sizeof label, "%s %s mode=%u inject=%d n=%llu", test_context, sc->name, tables, (int)kind,
             (unsigned long long)n);
    injected_runs++;
    const char *saved_context = test_context;
    test_context = label; /* failures inside the fixture name this run */
    world_prepare(&w, arch, tables, sc);
    snapshot before;
    snap(&w, &before);
    arm(&w, kind, n);
    vs_result r = sc->run(&w);
    int fired = kind == INJ_ALLOC ? w.fx.ta.fired : w.fx.fk->fired;
    int preempted = kind != INJ_ALLOC && w.fx.fk->preempted;
    arm(&w, INJ_NONE, 0);
    if (preempted) {
        /* The batch call met a real missing table first; nothing was injected. */
    } else if (!fired) {
        test_fail(__FILE__, __LINE__, "%s: injection did not fire (path differs from the counting run)", label);
    } else {
        check_failed_run(&w, kind, r, &before, label);
    }
    snap_free(&before);
    fx_check(&w.fx, w.fx.vs);
    fx_check(&w.fx, w.b);
    if (r != VS_OK) {
        vs_result again = sc->run(&w);
        if (again != VS_OK) {
            test_fail(__FILE__, __LINE__, "%s: retry without injection gave %s", label, vs_result_name(again));
        }
    }
    world_fini(&w);
    test_context = saved_context;
}

static void run_scenario(const vs_arch *arch, unsigned tables, const scenario *sc)
{
    world w;
    world_prepare(&w, arch, tables, sc);
    arm(&w, INJ_NONE, 0);
    vs_result r = sc->run(&w);
    uint64_t allocs = w.fx.ta.armed_attempts, kcalls = w.fx.fk->armed_calls;
    if (r != VS_OK) {
        test_fail(__FILE__, __LINE__, "%s mode=%u: counting run failed: %s", sc->name, tables, vs_result_name(r));
    }
    world_fini(&w);
    if (r != VS_OK) {
        return;
    }
    for (uint64_t n = 1; n <= allocs; n++) {
        run_injected(arch, tables, sc, INJ_ALLOC, n);
    }
    for (uint64_t n = 1; n <= kcalls; n++) {
        run_injected(arch, tables, sc, INJ_KERNEL, n);
        if (tables & FX_TABLES) {
            run_injected(arch, tables, sc, INJ_MISSING, n);
        }
    }
}

static void test_all_scenarios(const vs_arch *arch)
{
    for (unsigned mode = 0; mode <= (FX_TABLES | FX_BATCH); mode++) {
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
            run_scenario(arch, mode, &scenarios[i]);
        }
    }
}

/* An operation refused for a reason other than injection also changes
 * nothing; a sample of such refusals, checked with snapshots. */
static void test_refusals_change_nothing(const vs_arch *arch)
{
    world w;
    world_init(&w, arch, FX_TABLES);
    snapshot before, after;
    snap(&w, &before);
    vs_attrs a = attrs_rw("x");
    vs_reservation *r;
    CHECK_RES(vs_reserve_at(w.fx.vs, w.r1s + PAGE_SIZE, PAGE_SIZE, &a, &r), VS_ERR_OVERLAP);
    CHECK_RES(vs_free(w.fx.vs, w.r1, 0), VS_ERR_HAS_MAPPINGS);
    CHECK_RES(vs_resize(w.fx.vs, w.r1, PAGE_SIZE), VS_ERR_HAS_MAPPINGS);
    CHECK_RES(vs_move(w.fx.vs, w.r1, w.r2s + 8 * PAGE_SIZE), VS_ERR_HAS_MAPPINGS);
    CHECK_RES(vs_map_new(w.fx.vs, w.r1s + PAGE_SIZE, 2, 12), VS_ERR_ALREADY_MAPPED);
    CHECK_RES(vs_unmap(w.fx.vs, w.r1s, 4 * PAGE_SIZE, 0), VS_ERR_NOT_MAPPED);
    CHECK_RES(vs_share(w.b, w.rds, w.fx.vs, w.r1s, 4 * PAGE_SIZE), VS_ERR_NOT_MAPPED);
    snap(&w, &after);
    CHECK(snap_compare(&before, &after, test_context) == 0);
    snap_free(&before);
    snap_free(&after);
    world_fini(&w);
}

/* BUGS.md B3: an allocation fails after the kernel mapped a large page (the
 * shadow needed new leaves; since large pages are one record, allocated
 * before the kernel is called, and here not needed at all), and the kernel call that should undo the mapping
 * fails too. The call must not leave the kernel mapping a page the shadow
 * does not know about: either nothing changed, or the shadow still says
 * MAPPED; and the result must be an error. */
static void test_double_fault_map(const vs_arch *arch)
{
    world w;
    world_init(&w, arch, 0);
    prepare_map(&w, w.big);
    vs_addr va = w.rbigs + (1ull << w.big);
    talloc_fail_nth(&w.fx.ta, 1);
    fk_fail_nth(w.fx.fk, 2, FK_FAIL_ERROR); /* call 1 maps the frame, call 2 is the undo */
    vs_result r = op_map_big(&w);
    int both = w.fx.ta.fired && w.fx.fk->fired;
    int any = w.fx.ta.fired || w.fx.fk->fired;
    arm(&w, INJ_NONE, 0);
    vs_page p;
    CHECK_RES(vs_lookup(w.fx.vs, va, &p), VS_OK);
    if (r == VS_OK) {
        /* A large page is one record now: its leaf exists already, so the
         * call allocates nothing and the injected faults never happen. */
        CHECK(!any && p.state == VS_PAGE_MAPPED);
        world_fini(&w);
        return;
    }
    vs_translation t = fk_translate_now(w.fx.fk, w.fx.root, va);
    if (both && t.mapped != (p.state == VS_PAGE_MAPPED)) {
        test_fail(__FILE__, __LINE__, "kernel maps %#llx: %d, shadow state %d (result %s)", (unsigned long long)va,
                  t.mapped, (int)p.state, vs_result_name(r));
    }
    if (t.mapped) {
        vs_stats st;
        vs_get_stats(w.fx.vs, &st);
        CHECK(st.release_failures >= 1); /* at least the caller can see something went wrong */
        fk_kernel(w.fx.fk).ops->unmap_frame(w.fx.fk, map_objs[0].cap, fk_cap_get(w.fx.fk, map_objs[0].cap)->size);
    }
    world_fini(&w);
}

/* The nth kernel call of vs_destroy fails (n 0: none; *calls: how many it
 * made). Teardown goes on: VS_ERR_KERNEL with the injected code, every
 * byte of bookkeeping returned, and nothing left in the kernel but what
 * the failed call itself did not do. */
static void destroy_injected(const vs_arch *arch, unsigned mode, uint64_t n, uint64_t *calls)
{
    world w;
    char label[120];
    snprintf(label, sizeof label, "%s destroy mode=%u n=%llu", test_context, mode, (unsigned long long)n);
    const char *saved_context = test_context;
    test_context = label;
    world_init(&w, arch, mode);
    CHECK_RES(vs_share(w.b, w.rds + PAGE_SIZE, w.fx.vs, w.r1s, 3 * PAGE_SIZE), VS_OK);
    vs_stats sb;
    CHECK_RES(vs_get_stats(w.b, &sb), VS_OK);
    size_t b_bytes = sb.bookkeeping_bytes;
    arm(&w, n == 0 ? INJ_NONE : INJ_KERNEL, n);
    int kerr = -1;
    vs_result r = vs_destroy(w.fx.vs, 0, &kerr);
    w.fx.vs = NULL;
    *calls = w.fx.fk->armed_calls;
    int fired = w.fx.fk->fired;
    arm(&w, INJ_NONE, 0);
    CHECK_EQ_U(w.fx.ta.live_bytes, b_bytes); /* all of A's bookkeeping is back */
    if (n == 0) {
        CHECK_RES(r, VS_OK);
        CHECK_EQ_U(kerr, 0);
    } else {
        CHECK(fired);
        CHECK_RES(r, VS_ERR_KERNEL);
        CHECK_EQ_U(kerr, FK_INJECTED);
    }
    fx_check(&w.fx, w.b);
    CHECK_RES(vs_destroy(w.b, 0, NULL), VS_OK);
    /* Only the object whose call failed may be left: once it is given back,
     * fx_fini finds nothing the core created. */
    if (n != 0) {
        fk_reclaim_injected(w.fx.fk);
    }
    fx_fini(&w.fx, 0);
    test_context = saved_context;
}

static void test_destroy_injected(const vs_arch *arch)
{
    for (unsigned mode = 0; mode <= (FX_TABLES | FX_BATCH); mode++) {
        uint64_t calls = 0, ignored = 0;
        destroy_injected(arch, mode, 0, &calls);
        CHECK(calls >= 4); /* frames, copies' source, tables: there is something to fail */
        for (uint64_t n = 1; n <= calls; n++) {
            destroy_injected(arch, mode, n, &ignored);
        }
    }
}

int main(void)
{
    run_all_archs("inject", test_all_scenarios);
    run_all_archs("refusals", test_refusals_change_nothing);
    run_all_archs("double_fault_map", test_double_fault_map);
    run_all_archs("destroy_injected", test_destroy_injected);
    printf("%lu injected runs\n", injected_runs);
    CHECK(injected_runs > 1000); /* the loops really ran */
    if (notes != 0) {
        printf("note: %u injected release failures were absorbed after commit (call returned VS_OK)\n", notes);
    }
    return test_summary("core_inject");
}
