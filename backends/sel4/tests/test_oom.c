/* Failure cleanup, per architecture: the simulated machine runs out of
 * untyped memory, the allocator runs out of slots, the bookkeeping
 * allocator fails at every possible point. Each failing call must report
 * the right error and leave slots, watermarks, kernel objects, bookkeeping
 * memory and the vspace exactly as they were (DESIGN.md I4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_fixture.h"

enum { MANY_PAGES = 512, SMALL_SLOTS = 40 };

typedef struct state {
    be_acct acct;
    size_t live_bytes;
    vs_stats stats;
} state;

static void take(be_fx *fx, vs_space *vs, state *s)
{
    be_acct_take(fx->bi, &s->acct);
    s->live_bytes = fx->ta.live_bytes;
    vs_get_stats(vs, &s->stats);
}

static void same(const state *want, const state *got, const char *label)
{
    be_acct_compare(&want->acct, &got->acct, label);
    CHECK_EQ_U(got->live_bytes, want->live_bytes);
    CHECK(memcmp(&got->stats, &want->stats, sizeof got->stats) == 0);
}

static vs_addr reserve(vs_space *vs, uint64_t size, uint64_t align)
{
    vs_attrs attrs = attrs_rw("oom");
    vs_reservation *res = NULL;
    CHECK_RES(vs_reserve(vs, size, align, &attrs, &res), VS_OK);
    vs_reservation_info info = {0};
    if (res != NULL) {
        vs_reservation_get_info(vs, res, &info);
    }
    return info.start;
}

/* 2 MiB of pages on a 1 MiB machine: the untypeds run dry part way. */
static void out_of_untyped(be_fx *fx, be_child *c)
{
    vs_addr base = reserve(c->vs, MANY_PAGES * 4096, 0);
    state before, after;
    take(fx, c->vs, &before);
    CHECK_RES(vs_map_new(c->vs, base, MANY_PAGES, 12), VS_ERR_KERNEL);
    CHECK_EQ_U(vs_last_kernel_error(c->vs), seL4_NotEnoughMemory);
    take(fx, c->vs, &after);
    same(&before, &after, "after running out of untyped memory");
    vs_page pg;
    CHECK_RES(vs_lookup(c->vs, base, &pg), VS_OK);
    CHECK(pg.state == VS_PAGE_RESERVED);
    /* The memory really came back: a smaller request now fits. */
    CHECK_RES(vs_map_new(c->vs, base, 8, 12), VS_OK);
    CHECK_RES(vs_unmap(c->vs, base, 8 * 4096, VS_UNMAP_FREE_FRAMES), VS_OK);
}

/* Takes all but SMALL_SLOTS free slots away, so a child's root and a few
 * pages fit but 64 pages (and the tables and untyped splits for them) do
 * not; the failing map must leave everything as it was. */
static void out_of_slots(be_fx *fx, be_child *c)
{
    vs_sel4_alloc_stats st;
    vs_sel4_alloc_get_stats(fx->alloc, &st);
    size_t hold = st.free_slots - SMALL_SLOTS;
    seL4_CPtr *held = malloc(hold * sizeof *held);
    for (size_t i = 0; i < hold; i++) {
        CHECK_EQ_U(vs_sel4_alloc_slot(fx->alloc, &held[i]), seL4_NoError);
    }
    vs_addr base = reserve(c->vs, 64 * 4096, 0);
    state before, after;
    take(fx, c->vs, &before);
    CHECK_RES(vs_map_new(c->vs, base, 64, 12), VS_ERR_KERNEL);
    CHECK_EQ_U(vs_last_kernel_error(c->vs), seL4_NotEnoughMemory);
    take(fx, c->vs, &after);
    same(&before, &after, "after running out of slots");
    vs_sel4_alloc_get_stats(fx->alloc, &st);
    CHECK_EQ_U(st.free_slots, SMALL_SLOTS);
    for (size_t i = 0; i < hold; i++) {
        CHECK_EQ_U(vs_sel4_free_slot(fx->alloc, held[i]), seL4_NoError);
    }
    free(held);
}

/* Fails the Nth bookkeeping allocation for N = 1, 2, ... until the call
 * succeeds; every failure must change nothing. */
static void bookkeeping_failures(be_fx *fx, be_child *c)
{
    vs_addr base = reserve(c->vs, 4 * 4096, 0);
    for (uint64_t n = 1; n < 1000; n++) {
        state before, after;
        take(fx, c->vs, &before);
        talloc_fail_nth(&fx->ta, n);
        vs_result r = vs_map_new(c->vs, base, 4, 12);
        int fired = fx->ta.fired;
        talloc_disarm(&fx->ta);
        if (r == VS_OK) {
            CHECK(!fired);
            break;
        }
        CHECK_RES(r, VS_ERR_NO_MEMORY);
        take(fx, c->vs, &after);
        same(&before, &after, "after a failed bookkeeping allocation");
    }
    vs_page pg;
    CHECK_RES(vs_lookup(c->vs, base, &pg), VS_OK);
    for (uint64_t n = 1; n < 1000; n++) {
        state before, after;
        take(fx, fx->root_vs, &before);
        vs_sel4_temp_map tm;
        talloc_fail_nth(&fx->ta, n);
        vs_result r = vs_sel4_temp_map_frame(fx->be, fx->root_vs, pg.cap, 12, &tm, NULL);
        talloc_disarm(&fx->ta);
        if (r == VS_OK) {
            CHECK_RES(vs_sel4_temp_unmap(fx->be, fx->root_vs, &tm), VS_OK);
            break;
        }
        CHECK_RES(r, VS_ERR_NO_MEMORY);
        take(fx, fx->root_vs, &after);
        same(&before, &after, "after a failed temporary mapping");
    }
}

static void run_arch(const vs_arch *arch)
{
    be_fx fx;
    be_fx_init(&fx, arch->id, 1u << 20);
    be_child c;
    CHECK_EQ_U(be_child_create(&fx, &c, 0, 0), 0);
    if (c.vs != NULL) {
        out_of_untyped(&fx, &c);
        out_of_slots(&fx, &c);
        bookkeeping_failures(&fx, &c);
        be_child_destroy(&fx, &c, 0);
    }
    be_fx_fini(&fx);
}

int main(void)
{
    run_all_archs("sel4be_oom", run_arch);
    return test_summary("sel4be_oom");
}
