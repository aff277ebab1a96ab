/* vspace-bench: shared declarations of the benchmark harness.
 *
 * The benchmark drives the core on x86_64 with a kernel whose calls cost
 * nothing (env.c) and a malloc-backed allocator that counts live bytes, so
 * the figures are the bookkeeping's own cost. Every measurement is repeated
 * and the minimum kept (report.c, bench_take). */
#ifndef VSPACE_BENCH_H
#define VSPACE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <vs/space.h>

enum { BENCH_PAGE = 4096, BENCH_PAGE_BITS = 12 };

/* ---- run configuration ---- */

typedef struct bench_config {
    int quick;          /* smaller sizes, fewer repetitions */
    int reps;           /* repetitions per measurement (the minimum is kept) */
    uint64_t budget_ns; /* stop repeating a measurement once it has used this much */
} bench_config;

/* ---- time ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* The best (smallest) of repeated timings of one measurement. */
typedef struct bench_min {
    double best_ns; /* per operation */
    int runs;
    uint64_t spent_ns;
} bench_min;

bench_min bench_min_start(void);

/* Non-zero while another repetition is wanted: at least one run, at most
 * cfg->reps, and no new run once cfg->budget_ns has been spent. */
int bench_min_more(const bench_min *m, const bench_config *cfg);

/* Records one run that took elapsed_ns for ops operations. */
void bench_min_add(bench_min *m, uint64_t elapsed_ns, uint64_t ops);

/* Keeps the compiler from proving that stores through p are dead. */
static inline void bench_escape(const void *p)
{
    __asm__ volatile("" : : "g"(p) : "memory");
}

/* ---- deterministic randomness (splitmix64) ---- */

typedef struct bench_rng {
    uint64_t state;
} bench_rng;

static inline uint64_t bench_rng_next(bench_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0 (the modulo bias is irrelevant here). */
static inline uint64_t bench_rng_below(bench_rng *r, uint64_t n)
{
    return bench_rng_next(r) % n;
}

/* A random permutation of 0..n-1 (Fisher-Yates). */
void bench_shuffled_indices(size_t *out, size_t n, bench_rng *r);

/* ---- environment: counting allocator, free kernel, vspace factory ---- */

typedef struct bench_heap {
    size_t live; /* bytes currently allocated */
    size_t peak;
    uint64_t allocs; /* calls to alloc that succeeded */
} bench_heap;

/* Non-zero (the default): the free kernel offers the optional batch calls
 * map_frames / unmap_frames; zero: only the per-page calls, as seL4. */
extern int bench_batch_kernel;

/* A fresh x86_64 vspace over the default range whose bookkeeping comes from
 * heap and whose kernel calls are free. Exits the process on failure. */
vs_space *bench_vspace_new(bench_heap *heap);

/* Destroys vs and warns on stderr if heap still holds bytes afterwards. */
void bench_vspace_destroy(vs_space *vs, const bench_heap *heap, const char *workload);

/* Reports a vspace call that should not have failed and exits with status 1:
 * the numbers would mean nothing. */
_Noreturn void bench_fail(const char *workload, const char *call, vs_result r);

/* Exits with status 1 when allocation of benchmark scratch memory fails. */
void *bench_xmalloc(size_t bytes);

/* The attributes every benchmark reservation uses. */
extern const vs_attrs bench_attrs;

/* The start address of a reservation. */
vs_addr bench_res_start(const vs_space *vs, const vs_reservation *res);

/* ---- results ---- */

typedef enum bench_verdict { BENCH_NO_TARGET = 0, BENCH_PASS, BENCH_MISS } bench_verdict;

typedef struct bench_record {
    const char *workload;
    uint64_t size;
    const char *unit;
    double value;
    int has_reference;
    double reference;
    const char *target; /* printed next to the value; NULL: none */
    bench_verdict verdict;
    const char *note; /* printed under the table; NULL: none */
} bench_record;

/* Appends a record without a reference or target and returns it so the
 * caller can fill in the optional fields. */
bench_record *bench_add(const char *workload, uint64_t size, const char *unit, double value);

/* Sets rec's target text and verdict: PASS when value <= limit. */
void bench_target_at_most(bench_record *rec, const char *text, double limit);

/* The record of workload at size, or NULL. */
const bench_record *bench_find(const char *workload, uint64_t size);

/* Prints every record as a table on stdout. */
void bench_print_table(void);

/* Writes every record as a JSON array to path. Returns 0 on success. */
int bench_write_json(const char *path);

/* ---- workloads ---- */

/* Sizes of one run; the arrays end with a 0. */
typedef struct bench_sizes {
    size_t w1_n[4];    /* W1 and W1c: live reservations */
    size_t w1c_pairs;  /* W1c: free/reserve pairs timed per run */
    size_t w2_m[4];    /* W2 and W3: mapped pages */
    size_t w3_lookups; /* W3: lookups timed per run */
    size_t w4_dense;   /* W4: pages of the dense mapping */
    size_t w4_sparse;  /* W4: one-page reservations 2 MiB apart */
} bench_sizes;

void bench_w1(const bench_config *cfg, const bench_sizes *sz);
void bench_w1c(const bench_config *cfg, const bench_sizes *sz);
void bench_w2_w3(const bench_config *cfg, const bench_sizes *sz);
void bench_w4(const bench_sizes *sz);
void bench_w5_w6(const bench_config *cfg);
/* spawn + destroy of busybox-static on the simulated x86_64 (w_spawn.c);
 * built only with the simulator and the process layer. */
void bench_spawn(const bench_config *cfg);
void bench_elf(const bench_config *cfg);
/* `vspace exec /bin/busybox true` against the direct run (w_exec.c). */
void bench_exec(const bench_config *cfg);

#endif
