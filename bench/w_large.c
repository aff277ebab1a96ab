/* W5 and W6: costs that must not grow with the size of what is reserved
 * or mapped (issue 8).
 *
 * W5 reserves one range of 1 GiB, 64 GiB and 1 TiB and frees it again;
 *    ns per reserve + free pair, and the bookkeeping bytes the vspace holds
 *    while the range is reserved (beyond those of the empty vspace).
 * W6 maps and unmaps one page of 4 KiB (the yardstick), 2 MiB and 1 GiB in
 *    a reservation of that page's size; ns per map + unmap pair (vs_map,
 *    the caller's cap), and the bytes the mapping holds beyond those of the
 *    reservation. */
#include <stdio.h>

#include "bench.h"

enum { PAIRS_MAX = 100000 };
static const uint64_t PAIR_BUDGET_NS = 20000000; /* per timed run */

static size_t live_of(const vs_space *vs)
{
    vs_stats st;
    vs_get_stats(vs, &st);
    return st.bookkeeping_bytes;
}

/* Reserve + free pairs until the budget is spent; ns per pair. */
static void w5_run(vs_space *vs, uint64_t size, bench_min *time, size_t *held)
{
    size_t empty = live_of(vs);
    uint64_t t0 = bench_now_ns();
    uint64_t pairs = 0;
    uint64_t t1 = t0;
    do {
        vs_reservation *res = NULL;
        vs_result r = vs_reserve(vs, size, 0, &bench_attrs, &res);
        if (r != VS_OK) {
            bench_fail("W5-reserve-free", "vs_reserve", r);
        }
        if (pairs == 0) {
            *held = live_of(vs) - empty;
        }
        r = vs_free(vs, res, 0);
        if (r != VS_OK) {
            bench_fail("W5-reserve-free", "vs_free", r);
        }
        pairs++;
        if ((pairs & 15) == 0 || pairs < 16) {
            t1 = bench_now_ns();
        }
    } while (pairs < PAIRS_MAX && t1 - t0 < PAIR_BUDGET_NS);
    bench_min_add(time, bench_now_ns() - t0, pairs);
}

static void w5(const bench_config *cfg)
{
    static const uint64_t sizes[] = {1ull << 30, 64ull << 30, 1ull << 40};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        bench_heap heap = {0, 0, 0};
        vs_space *vs = bench_vspace_new(&heap);
        bench_min time = bench_min_start();
        size_t held = 0;
        while (bench_min_more(&time, cfg)) {
            w5_run(vs, sizes[i], &time, &held);
        }
        bench_vspace_destroy(vs, &heap, "W5-reserve-free");
        bench_record *t = bench_add("W5-reserve-free", sizes[i], "ns", time.best_ns);
        bench_target_at_most(t, "<= 1 us", 1000.0);
        bench_record *b = bench_add("W5-reserve-free", sizes[i], "B", (double)held);
        bench_target_at_most(b, "<= 256 B", 256.0);
        b->note = "W5: size = bytes reserved; B = bookkeeping held while reserved";
    }
}

static void w6_run(vs_space *vs, vs_addr at, unsigned bits, bench_min *time, size_t *held)
{
    const vs_cap cap = 7;
    size_t before = live_of(vs);
    uint64_t t0 = bench_now_ns();
    uint64_t pairs = 0;
    uint64_t t1 = t0;
    do {
        vs_result r = vs_map(vs, at, &cap, NULL, 1, bits);
        if (r != VS_OK) {
            bench_fail("W6-large-page", "vs_map", r);
        }
        if (pairs == 0) {
            *held = live_of(vs) - before;
        }
        r = vs_unmap(vs, at, (uint64_t)1 << bits, 0);
        if (r != VS_OK) {
            bench_fail("W6-large-page", "vs_unmap", r);
        }
        pairs++;
        if ((pairs & 15) == 0 || pairs < 16) {
            t1 = bench_now_ns();
        }
    } while (pairs < PAIRS_MAX && t1 - t0 < PAIR_BUDGET_NS);
    bench_min_add(time, bench_now_ns() - t0, pairs);
}

static void w6(const bench_config *cfg)
{
    static const unsigned bits[] = {12, 21, 30};
    double base_ns = 0;
    double base_b = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        bench_heap heap = {0, 0, 0};
        vs_space *vs = bench_vspace_new(&heap);
        uint64_t size = (uint64_t)1 << bits[i];
        vs_reservation *res = NULL;
        vs_result r = vs_reserve(vs, size, size, &bench_attrs, &res);
        if (r != VS_OK) {
            bench_fail("W6-large-page", "vs_reserve", r);
        }
        bench_min time = bench_min_start();
        size_t held = 0;
        while (bench_min_more(&time, cfg)) {
            w6_run(vs, bench_res_start(vs, res), bits[i], &time, &held);
        }
        bench_vspace_destroy(vs, &heap, "W6-large-page");
        bench_record *t = bench_add("W6-large-page", size, "ns", time.best_ns);
        bench_record *b = bench_add("W6-large-page", size, "B", (double)held);
        if (i == 0) {
            base_ns = time.best_ns;
            base_b = (double)held;
            b->note = "W6: size = page size; one map + unmap; B = bookkeeping the mapping holds; target: 2x 4 KiB";
        } else {
            bench_target_at_most(t, "<= 2x 4K", 2 * base_ns);
            bench_target_at_most(b, "<= 2x 4K", 2 * base_b);
        }
    }
}

void bench_w5_w6(const bench_config *cfg)
{
    w5(cfg);
    w6(cfg);
}
