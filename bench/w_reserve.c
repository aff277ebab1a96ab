/* W1 and W1c: the reservation tree under load.
 *
 * W1  reserves N ranges of 1-64 pages anywhere (vs_reserve, lowest fit),
 *     then frees them in a random order; ns per call for each phase.
 * W1c keeps N reservations live and replaces a random one by a fresh one
 *     of random size, many times; ns per free+reserve pair.
 * Sizes, orders and victims come from a fixed seed and are drawn before
 * the clock starts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

enum { MAX_RES_PAGES = 64 };

/* Reservation sizes in bytes: 1..64 pages, uniformly. */
static uint64_t *random_sizes(size_t n, bench_rng *rng)
{
    uint64_t *sizes = bench_xmalloc(n * sizeof *sizes);
    for (size_t i = 0; i < n; i++) {
        sizes[i] = (1 + bench_rng_below(rng, MAX_RES_PAGES)) * BENCH_PAGE;
    }
    return sizes;
}

static void reserve_all(vs_space *vs, const uint64_t *sizes, size_t n, vs_reservation **res, const char *workload)
{
    for (size_t i = 0; i < n; i++) {
        vs_result r = vs_reserve(vs, sizes[i], 0, &bench_attrs, &res[i]);
        if (r != VS_OK) {
            bench_fail(workload, "vs_reserve", r);
        }
    }
}

static void free_in_order(vs_space *vs, vs_reservation **res, const size_t *order, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vs_result r = vs_free(vs, res[order[i]], 0);
        if (r != VS_OK) {
            bench_fail("W1-free", "vs_free", r);
        }
    }
}

/* One W1 run: times both phases into *reserve and *release. */
static void w1_run(size_t n, const uint64_t *sizes, const size_t *order, vs_reservation **res, bench_min *reserve,
                   bench_min *release)
{
    bench_heap heap = {0, 0, 0};
    vs_space *vs = bench_vspace_new(&heap);
    uint64_t t0 = bench_now_ns();
    reserve_all(vs, sizes, n, res, "W1-reserve");
    uint64_t t1 = bench_now_ns();
    free_in_order(vs, res, order, n);
    uint64_t t2 = bench_now_ns();
    if (vs_reservation_count(vs) != 0) {
        fprintf(stderr, "vspace-bench: W1: %zu reservations left after freeing all\n", vs_reservation_count(vs));
        exit(1);
    }
    bench_vspace_destroy(vs, &heap, "W1");
    bench_min_add(reserve, t1 - t0, n);
    bench_min_add(release, t2 - t1, n);
}

static void w1_size(const bench_config *cfg, size_t n, int is_target_size)
{
    bench_rng rng = {0x5eed0001u + n};
    uint64_t *sizes = random_sizes(n, &rng);
    size_t *order = bench_xmalloc(n * sizeof *order);
    vs_reservation **res = bench_xmalloc(n * sizeof(vs_reservation *));
    bench_shuffled_indices(order, n, &rng);
    bench_min reserve = bench_min_start();
    bench_min release = bench_min_start();
    while (bench_min_more(&reserve, cfg)) {
        w1_run(n, sizes, order, res, &reserve, &release);
    }
    bench_record *a = bench_add("W1-reserve", n, "ns/op", reserve.best_ns);
    bench_record *b = bench_add("W1-free", n, "ns/op", release.best_ns);
    if (is_target_size) {
        bench_target_at_most(a, "< 1000 ns", 1000.0);
        bench_target_at_most(b, "< 1000 ns", 1000.0);
    }
    free(sizes);
    free(order);
    free(res);
}

static size_t largest(const size_t *sizes)
{
    size_t n = 0;
    for (size_t i = 0; sizes[i] != 0; i++) {
        n = sizes[i];
    }
    return n;
}

/* The target applies at N = 100k; quick runs never reach it. */
static int is_target_size(size_t n)
{
    return n == 100000;
}

/* value(N_max) / value(N_min) for workload, with log(N_max)/log(N_min) as
 * the reference: a ratio at or below the reference grows no faster than
 * log N. */
static void add_growth(const char *workload, const char *growth_name, const size_t *sizes)
{
    size_t lo = sizes[0];
    size_t hi = largest(sizes);
    const bench_record *a = bench_find(workload, lo);
    const bench_record *b = bench_find(workload, hi);
    if (lo == hi || a == NULL || b == NULL || a->value <= 0.0) {
        return;
    }
    bench_record *g = bench_add(growth_name, hi, "ratio", b->value / a->value);
    g->has_reference = 1;
    g->reference = log((double)hi) / log((double)lo);
    g->note = "ratio = value(N max) / value(N min); reference = log(N max) / log(N min)";
}

void bench_w1(const bench_config *cfg, const bench_sizes *sz)
{
    for (size_t i = 0; sz->w1_n[i] != 0; i++) {
        w1_size(cfg, sz->w1_n[i], is_target_size(sz->w1_n[i]));
    }
    add_growth("W1-reserve", "W1-reserve-growth", sz->w1_n);
    add_growth("W1-free", "W1-free-growth", sz->w1_n);
}

/* ---- W1c ---- */

typedef struct churn_plan {
    size_t n;
    size_t pairs;
    uint64_t *initial; /* n sizes */
    uint64_t *fresh;   /* pairs sizes */
    size_t *victim;    /* pairs indices into the live set */
} churn_plan;

static churn_plan churn_plan_make(size_t n, size_t pairs)
{
    bench_rng rng = {0x5eed0002u + n};
    churn_plan p = {n, pairs, random_sizes(n, &rng), random_sizes(pairs, &rng), NULL};
    p.victim = bench_xmalloc(pairs * sizeof *p.victim);
    for (size_t k = 0; k < pairs; k++) {
        p.victim[k] = (size_t)bench_rng_below(&rng, n);
    }
    return p;
}

static void churn_plan_free(churn_plan *p)
{
    free(p->initial);
    free(p->fresh);
    free(p->victim);
}

/* Invariant of the timed loop: res[0..n) are the n live reservations. */
static uint64_t churn_pairs(vs_space *vs, const churn_plan *p, vs_reservation **res)
{
    uint64_t t0 = bench_now_ns();
    for (size_t k = 0; k < p->pairs; k++) {
        size_t j = p->victim[k];
        vs_result r = vs_free(vs, res[j], 0);
        if (r != VS_OK) {
            bench_fail("W1c", "vs_free", r);
        }
        r = vs_reserve(vs, p->fresh[k], 0, &bench_attrs, &res[j]);
        if (r != VS_OK) {
            bench_fail("W1c", "vs_reserve", r);
        }
    }
    return bench_now_ns() - t0;
}

static void w1c_size(const bench_config *cfg, size_t n, size_t pairs, int is_target)
{
    churn_plan plan = churn_plan_make(n, pairs);
    vs_reservation **res = bench_xmalloc(n * sizeof(vs_reservation *));
    bench_min best = bench_min_start();
    while (bench_min_more(&best, cfg)) {
        bench_heap heap = {0, 0, 0};
        vs_space *vs = bench_vspace_new(&heap);
        reserve_all(vs, plan.initial, n, res, "W1c");
        bench_min_add(&best, churn_pairs(vs, &plan, res), pairs);
        bench_vspace_destroy(vs, &heap, "W1c");
    }
    bench_record *rec = bench_add("W1c-churn", n, "ns/pair", best.best_ns);
    if (is_target) {
        bench_target_at_most(rec, "< 1000 ns", 1000.0);
    }
    free(res);
    churn_plan_free(&plan);
}

void bench_w1c(const bench_config *cfg, const bench_sizes *sz)
{
    for (size_t i = 0; sz->w1_n[i] != 0; i++) {
        w1c_size(cfg, sz->w1_n[i], sz->w1c_pairs, is_target_size(sz->w1_n[i]));
    }
    add_growth("W1c-churn", "W1c-churn-growth", sz->w1_n);
}
