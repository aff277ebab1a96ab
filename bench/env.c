/* The benchmark's environment: a kernel whose every call succeeds at once,
 * a malloc-backed allocator that counts live bytes, and time. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

/* ---- time ---- */

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bench_min bench_min_start(void)
{
    bench_min m = {0.0, 0, 0};
    return m;
}

int bench_min_more(const bench_min *m, const bench_config *cfg)
{
    if (m->runs == 0) {
        return 1;
    }
    return m->runs < cfg->reps && m->spent_ns < cfg->budget_ns;
}

void bench_min_add(bench_min *m, uint64_t elapsed_ns, uint64_t ops)
{
    double per_op = ops > 0 ? (double)elapsed_ns / (double)ops : 0.0;
    if (m->runs == 0 || per_op < m->best_ns) {
        m->best_ns = per_op;
    }
    m->runs++;
    m->spent_ns += elapsed_ns;
}

void bench_shuffled_indices(size_t *out, size_t n, bench_rng *r)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = i;
    }
    /* Invariant: out[i+1..n) is a uniformly shuffled suffix. */
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bench_rng_below(r, i);
        size_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}

/* ---- counting allocator ---- */

static void *heap_alloc(void *ctx, size_t size)
{
    bench_heap *h = ctx;
    void *p = malloc(size);
    if (p != NULL) {
        h->live += size;
        h->allocs++;
        if (h->live > h->peak) {
            h->peak = h->live;
        }
    }
    return p;
}

static void heap_free(void *ctx, void *ptr, size_t size)
{
    bench_heap *h = ctx;
    if (ptr != NULL) {
        h->live -= size;
        free(ptr);
    }
}

/* ---- a kernel that costs nothing ---- */

/* Kernel-made caps start high so they never equal the caller's caps, which
 * the workloads number from 1. */
static uint64_t next_kernel_cap = 1ull << 40;

static int k_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    (void)ctx;
    (void)kind;
    (void)size;
    out->cap = next_kernel_cap++;
    out->cookie = 0;
    return 0;
}

static int k_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    (void)ctx;
    (void)kind;
    (void)size;
    (void)obj;
    return 0;
}

static vs_kstatus k_ok(void)
{
    vs_kstatus s = {0, -1};
    return s;
}

static vs_kstatus k_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned page_size, unsigned rights,
                              vs_cache cache)
{
    (void)ctx;
    (void)root;
    (void)frame;
    (void)vaddr;
    (void)page_size;
    (void)rights;
    (void)cache;
    return k_ok();
}

static vs_kstatus k_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    (void)ctx;
    (void)root;
    (void)table;
    (void)level;
    (void)vaddr;
    return k_ok();
}

static int k_unmap(void *ctx, vs_cap cap, unsigned size)
{
    (void)ctx;
    (void)cap;
    (void)size;
    return 0;
}

static int k_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    (void)ctx;
    (void)src;
    *out = next_kernel_cap++;
    return 0;
}

static int k_delete_cap(void *ctx, vs_cap cap)
{
    (void)ctx;
    (void)cap;
    return 0;
}

static int k_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    (void)ctx;
    *paddr = frame << BENCH_PAGE_BITS;
    return 0;
}

static int k_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    (void)ctx;
    (void)root;
    (void)vaddr;
    out->mapped = 0;
    out->paddr = 0;
    out->size_bits = 0;
    out->rights = 0;
    return 0;
}

static vs_kstatus k_map_frames(void *ctx, vs_cap root, const vs_cap *frames, unsigned n, vs_addr vaddr,
                               unsigned page_size, unsigned rights, vs_cache cache, unsigned *done)
{
    (void)ctx;
    (void)root;
    (void)frames;
    (void)vaddr;
    (void)page_size;
    (void)rights;
    (void)cache;
    *done = n;
    return k_ok();
}

static int k_unmap_frames(void *ctx, const vs_cap *frames, unsigned n, unsigned page_size, unsigned *done)
{
    (void)ctx;
    (void)frames;
    (void)page_size;
    *done = n;
    return 0;
}

/* Like seL4, one kernel call per page; free_kernel_ops() adds the optional
 * batch calls (a kernel that maps a run in one call) when asked. */
static const vs_kernel_ops free_kernel = {
    .alloc_object = k_alloc_object,
    .free_object = k_free_object,
    .map_frame = k_map_frame,
    .map_table = k_map_table,
    .unmap_frame = k_unmap,
    .unmap_table = k_unmap,
    .copy_cap = k_copy_cap,
    .delete_cap = k_delete_cap,
    .frame_paddr = k_frame_paddr,
    .translate = k_translate,
};

static const vs_kernel_ops *free_kernel_ops(void)
{
    static vs_kernel_ops batch;
    if (!bench_batch_kernel) {
        return &free_kernel;
    }
    batch = free_kernel;
    batch.map_frames = k_map_frames;
    batch.unmap_frames = k_unmap_frames;
    return &batch;
}

/* ---- vspaces ---- */

int bench_batch_kernel = 1;

const vs_attrs bench_attrs = {"bench", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};

vs_space *bench_vspace_new(bench_heap *heap)
{
    vs_config cfg = {
        .arch = vs_arch_get(VS_ARCH_X86_64),
        .allocator = {heap_alloc, heap_free, heap},
        .kernel = {free_kernel_ops(), NULL},
        .root = 1,
        .range_base = 0,
        .range_end = 0,
    };
    vs_space *vs = NULL;
    vs_result r = vs_create(&cfg, &vs);
    if (r != VS_OK) {
        bench_fail("setup", "vs_create", r);
    }
    return vs;
}

void bench_vspace_destroy(vs_space *vs, const bench_heap *heap, const char *workload)
{
    vs_result r = vs_destroy(vs, 0, NULL);
    if (r != VS_OK) {
        bench_fail(workload, "vs_destroy", r);
    }
    if (heap->live != 0) {
        fprintf(stderr, "vspace-bench: %s: %zu bookkeeping bytes still allocated after vs_destroy\n", workload,
                heap->live);
    }
}

_Noreturn void bench_fail(const char *workload, const char *call, vs_result r)
{
    fprintf(stderr, "vspace-bench: %s: %s failed: %s (%s)\n", workload, call, vs_result_name(r), vs_strerror(r));
    exit(1);
}

void *bench_xmalloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (p == NULL) {
        fprintf(stderr, "vspace-bench: out of memory allocating %zu bytes of scratch\n", bytes);
        exit(1);
    }
    return p;
}

vs_addr bench_res_start(const vs_space *vs, const vs_reservation *res)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, res, &info);
    return info.start;
}
