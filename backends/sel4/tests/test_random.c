/* Randomized operations on two child vspaces over the seL4 backend and the
 * simulator, with DESIGN.md's invariant I2 checked against the simulated
 * MMU after every operation: every MAPPED shadow page has the same physical
 * address, page size and rights in the kernel's page tables, and the kernel
 * maps nothing else in the managed range. vs_check (I1, I3) runs too, and
 * at the end every slot, watermark and byte must be back.
 *
 * Usage: sel4be_random ARCH [--ops N] [--seed S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_fixture.h"

enum { POOL_MAX = 512, WINDOW_BITS = 24, NUM_VS = 2, MAX_SIZES = 4 };

static const vs_addr window_base = 0x40000000u;
static int verbose;

typedef struct pool_frame {
    vs_cap cap;
    uintptr_t cookie;
    unsigned size_index;
} pool_frame;

typedef struct rt {
    be_fx fx;
    be_child c[NUM_VS];
    pool_frame pool[POOL_MAX];
    size_t npool;
    unsigned sizes[MAX_SIZES]; /* page-size indices the test uses */
    unsigned nsizes;
    uint64_t rng;
    unsigned long op_no;
    unsigned long ok_ops;
} rt;

static uint64_t next_rand(rt *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return t->rng;
}

static uint64_t rand_below(rt *t, uint64_t n)
{
    return n == 0 ? 0 : next_rand(t) % n;
}

static uint64_t page_bytes(const rt *t, unsigned size_index)
{
    return (uint64_t)1 << t->fx.arch->page_sizes[size_index].bits;
}

static unsigned rand_size(rt *t)
{
    /* Base pages twice as often as any large size. */
    uint64_t r = rand_below(t, t->nsizes + 1);
    return r >= t->nsizes ? 0 : t->sizes[r];
}

/* ---- the I2 comparison ---- */

/* What the MMU should show for a reservation's rights on this arch: a
 * writable page is readable; x86 cannot withhold execute. */
static unsigned expected_rights(const rt *t, unsigned rights)
{
    unsigned r = rights | VS_RIGHT_READ;
    if (t->fx.arch->id == VS_ARCH_IA32 || t->fx.arch->id == VS_ARCH_X86_64) {
        r &= ~(unsigned)VS_RIGHT_EXEC;
    }
    return r;
}

static unsigned seen_rights(const rt *t, unsigned rights)
{
    if (t->fx.arch->id == VS_ARCH_IA32 || t->fx.arch->id == VS_ARCH_X86_64) {
        rights &= ~(unsigned)VS_RIGHT_EXEC;
    }
    return rights;
}

static void i2_fail(const rt *t, int which, vs_addr addr, const char *what)
{
    test_fail(__FILE__, __LINE__, "op %lu: vspace %d at %#llx: %s", t->op_no, which, (unsigned long long)addr, what);
}

static int i2_mapped_page(rt *t, int which, vs_addr addr, const vs_page *pg, const vs_translation *tr)
{
    vs_kernel k = vs_sel4_backend_kernel(t->fx.be);
    vs_addr pa = 0;
    vs_reservation *res = NULL;
    if (k.ops->frame_paddr(k.ctx, pg->cap, &pa) != 0 || vs_find(t->c[which].vs, addr, &res) != VS_OK) {
        i2_fail(t, which, addr, "mapped page without frame address or reservation");
        return 1;
    }
    vs_reservation_info info;
    vs_reservation_get_info(t->c[which].vs, res, &info);
    if (!tr->mapped || tr->paddr != pa + (addr - pg->page_vaddr) || tr->size_bits != pg->size_bits) {
        i2_fail(t, which, addr, "kernel mapping differs from the shadow (frame or size)");
        return 1;
    }
    if (seen_rights(t, tr->rights) != expected_rights(t, info.rights)) {
        i2_fail(t, which, addr, "kernel rights differ from the reservation's");
        return 1;
    }
    return 0;
}

/* Walks the whole managed window page by page; stops at the first error. */
static void check_i2(rt *t, int which)
{
    vs_kernel k = vs_sel4_backend_kernel(t->fx.be);
    for (vs_addr addr = window_base; addr < window_base + ((vs_addr)1 << WINDOW_BITS); addr += 4096) {
        vs_page pg;
        vs_translation tr;
        if (vs_lookup(t->c[which].vs, addr, &pg) != VS_OK ||
            k.ops->translate(k.ctx, t->c[which].root.cap, addr, &tr) != 0) {
            i2_fail(t, which, addr, "lookup or translate failed");
            return;
        }
        if (pg.state == VS_PAGE_MAPPED ? i2_mapped_page(t, which, addr, &pg, &tr) : tr.mapped) {
            if (pg.state != VS_PAGE_MAPPED) {
                i2_fail(t, which, addr, "kernel maps a page the shadow does not know");
            }
            return;
        }
    }
}

static void check_all(rt *t)
{
    for (int i = 0; i < NUM_VS; i++) {
        size_t count = 0;
        if (vs_check(t->c[i].vs, NULL, NULL, &count) != VS_OK) {
            test_fail(__FILE__, __LINE__, "op %lu: vs_check found %zu violation(s)", t->op_no, count);
        }
        check_i2(t, i);
    }
}

/* ---- picking things ---- */

static vs_reservation *rand_reservation(rt *t, int which, vs_reservation_info *info)
{
    size_t n = vs_reservation_count(t->c[which].vs);
    vs_reservation *res = n ? fx_nth_reservation(t->c[which].vs, (size_t)rand_below(t, n)) : NULL;
    if (res != NULL) {
        vs_reservation_get_info(t->c[which].vs, res, info);
    }
    return res;
}

/* A random address in [info) aligned to `align`, leaving room for `size`; 0 if none. */
static vs_addr rand_addr_in(rt *t, const vs_reservation_info *info, uint64_t align, uint64_t size)
{
    vs_addr first = (info->start + align - 1) & ~(align - 1);
    if (first + size > info->end || first + size < first) {
        return 0;
    }
    uint64_t slots = (info->end - size - first) / align + 1;
    return first + rand_below(t, slots) * align;
}

/* A random MAPPED page of the reservation, by its first address; 0 if none. */
static vs_addr rand_mapped_page(rt *t, int which, const vs_reservation_info *info, vs_page *pg)
{
    if (info->mapped_pages == 0) {
        return 0;
    }
    vs_addr probe = info->start + rand_below(t, (info->end - info->start) / 4096) * 4096;
    for (vs_addr a = probe;;) {
        if (vs_lookup(t->c[which].vs, a, pg) == VS_OK && pg->state == VS_PAGE_MAPPED) {
            return pg->page_vaddr;
        }
        a = a + 4096 >= info->end ? info->start : a + 4096;
        if (a == probe) {
            return 0;
        }
    }
}

/* Frames the caller gets back when [addr, addr + size) is unmapped without
 * freeing: its own (vs_map) pages. The vspace frees the frames it
 * allocated and deletes share copies either way. */
static size_t collect_frames(rt *t, int which, vs_addr addr, uint64_t size, pool_frame *out, size_t max)
{
    size_t n = 0;
    for (vs_addr a = addr; a < addr + size;) {
        vs_page pg;
        if (vs_lookup(t->c[which].vs, a, &pg) != VS_OK || pg.state != VS_PAGE_MAPPED) {
            a += 4096;
            continue;
        }
        if (pg.owner == VS_OWNER_CALLER && n < max) {
            int idx = vs_arch_page_size_index(t->fx.arch, pg.size_bits);
            out[n++] = (pool_frame){pg.cap, pg.cookie, (unsigned)idx};
            if (verbose) {
                printf("  collect %#llx cap %llu cookie %lu owner %d\n", (unsigned long long)a,
                       (unsigned long long)pg.cap, (unsigned long)pg.cookie, (int)pg.owner);
            }
        }
        a = pg.page_vaddr + ((vs_addr)1 << pg.size_bits);
    }
    return n;
}

static void pool_add(rt *t, const pool_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t->npool < POOL_MAX) {
            t->pool[t->npool++] = f[i];
        } else {
            CHECK_EQ_U(vs_sel4_alloc_free_object(t->fx.alloc, f[i].cap, f[i].cookie), 0);
        }
    }
}

/* ---- operations ---- */

static const uint8_t rights_set[] = {VS_RIGHT_READ, VS_RIGHT_READ | VS_RIGHT_WRITE, VS_RIGHT_READ | VS_RIGHT_EXEC,
                                     VS_RIGHTS_ALL};

static vs_result op_reserve(rt *t, int which)
{
    unsigned si = rand_size(t);
    uint64_t pages = si == 0 ? 1 + rand_below(t, 24) : 1 + rand_below(t, 2);
    vs_attrs attrs = {"r", rights_set[rand_below(t, 4)], VS_CACHE_DEFAULT};
    return vs_reserve(t->c[which].vs, pages * page_bytes(t, si), page_bytes(t, si), &attrs, NULL);
}

static vs_result op_free(rt *t, int which)
{
    vs_reservation_info info;
    vs_reservation *res = rand_reservation(t, which, &info);
    if (res == NULL) {
        return VS_OK;
    }
    static const unsigned flag_set[] = {0, VS_FREE_UNMAP, VS_FREE_UNMAP | VS_FREE_FRAMES};
    unsigned flags = flag_set[rand_below(t, 3)];
    pool_frame back[64];
    size_t n = flags == VS_FREE_UNMAP ? collect_frames(t, which, info.start, info.end - info.start, back, 64) : 0;
    if (n == 64) {
        flags |= VS_FREE_FRAMES; /* too many to keep track of: let the vspace free them */
        n = 0;
    }
    vs_result r = vs_free(t->c[which].vs, res, flags);
    if (r == VS_OK) {
        pool_add(t, back, n);
    }
    return r;
}

static vs_result op_map_new(rt *t, int which)
{
    vs_reservation_info info;
    if (rand_reservation(t, which, &info) == NULL) {
        return VS_OK;
    }
    unsigned si = rand_size(t);
    size_t n = 1 + (size_t)rand_below(t, si == 0 ? 6 : 2);
    vs_addr a = rand_addr_in(t, &info, page_bytes(t, si), n * page_bytes(t, si));
    return a == 0 ? VS_OK : vs_map_new(t->c[which].vs, a, n, t->fx.arch->page_sizes[si].bits);
}

/* Maps one pooled frame (the caller's) at a random fitting place. */
static vs_result op_map_pool(rt *t, int which)
{
    vs_reservation_info info;
    if (t->npool == 0 || rand_reservation(t, which, &info) == NULL) {
        return VS_OK;
    }
    size_t i = (size_t)rand_below(t, t->npool);
    pool_frame f = t->pool[i];
    vs_addr a = rand_addr_in(t, &info, page_bytes(t, f.size_index), page_bytes(t, f.size_index));
    if (a == 0) {
        return VS_OK;
    }
    vs_result r = vs_map(t->c[which].vs, a, &f.cap, &f.cookie, 1, t->fx.arch->page_sizes[f.size_index].bits);
    if (r == VS_OK) {
        t->pool[i] = t->pool[--t->npool];
    }
    return r;
}

static vs_result op_unmap(rt *t, int which)
{
    vs_reservation_info info;
    vs_page pg;
    if (rand_reservation(t, which, &info) == NULL) {
        return VS_OK;
    }
    vs_addr a = rand_mapped_page(t, which, &info, &pg);
    if (a == 0) {
        return VS_OK;
    }
    uint64_t size = (uint64_t)1 << pg.size_bits;
    unsigned flags = rand_below(t, 2) ? VS_UNMAP_FREE_FRAMES : 0;
    pool_frame back[1];
    size_t n = flags ? 0 : collect_frames(t, which, a, size, back, 1);
    vs_result r = vs_unmap(t->c[which].vs, a, size, flags);
    if (r == VS_OK) {
        pool_add(t, back, n);
    }
    return r;
}

/* Shares one mapped page of the other vspace into this one. */
static vs_result op_share(rt *t, int which)
{
    vs_reservation_info src_info, dst_info;
    vs_page pg;
    int other = 1 - which;
    if (rand_reservation(t, other, &src_info) == NULL || rand_reservation(t, which, &dst_info) == NULL) {
        return VS_OK;
    }
    vs_addr src = rand_mapped_page(t, other, &src_info, &pg);
    if (src == 0) {
        return VS_OK;
    }
    uint64_t size = (uint64_t)1 << pg.size_bits;
    vs_addr dst = rand_addr_in(t, &dst_info, size, size);
    return dst == 0 ? VS_OK : vs_share(t->c[which].vs, dst, t->c[other].vs, src, size);
}

typedef vs_result (*op_fn)(rt *t, int which);

static const op_fn ops[] = {op_reserve, op_reserve,  op_free,  op_map_new, op_map_new,
                            op_map_new, op_map_pool, op_unmap, op_unmap,   op_share};
static const char *const op_names[] = {"reserve", "reserve",  "free",  "map_new", "map_new",
                                       "map_new", "map_pool", "unmap", "unmap",   "share"};

/* ---- driver ---- */

static void setup(rt *t, vs_arch_id id, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->rng = seed * 2654435761u + 88172645463325252ull;
    be_fx_init(&t->fx, id, 256u << 20);
    for (unsigned i = 0; i < t->fx.arch->num_page_sizes && t->nsizes < MAX_SIZES; i++) {
        if (t->fx.arch->page_sizes[i].bits <= 22) {
            t->sizes[t->nsizes++] = i;
        }
    }
    for (int i = 0; i < NUM_VS; i++) {
        if (be_child_create(&t->fx, &t->c[i], window_base, window_base + ((vs_addr)1 << WINDOW_BITS)) != 0) {
            fprintf(stderr, "FATAL [%s] cannot create child vspace\n", test_context);
            exit(2);
        }
    }
}

static void teardown(rt *t)
{
    for (int i = 0; i < NUM_VS; i++) {
        be_child_destroy(&t->fx, &t->c[i], VS_DESTROY_FREE_CALLER_FRAMES);
    }
    for (size_t i = 0; i < t->npool; i++) {
        CHECK_EQ_U(vs_sel4_alloc_free_object(t->fx.alloc, t->pool[i].cap, t->pool[i].cookie), 0);
    }
    be_fx_fini(&t->fx);
}

static void run(vs_arch_id id, unsigned long nops, uint64_t seed)
{
    static rt t;
    setup(&t, id, seed);
    for (t.op_no = 1; t.op_no <= nops && test_failures == 0; t.op_no++) {
        int which = (int)rand_below(&t, NUM_VS);
        size_t op = (size_t)rand_below(&t, sizeof ops / sizeof ops[0]);
        vs_result r = ops[op](&t, which);
        if (verbose) {
            printf("op %lu: %s on vspace %d: %s\n", t.op_no, op_names[op], which, vs_result_name(r));
        }
        t.ok_ops += r == VS_OK;
        if (r == VS_ERR_KERNEL) {
            test_fail(__FILE__, __LINE__, "op %lu: kernel error %d", t.op_no, vs_last_kernel_error(t.c[which].vs));
        }
        check_all(&t);
    }
    printf("%s: %lu ops, %lu succeeded, %zu pooled frames\n", test_context, nops, t.ok_ops, t.npool);
    teardown(&t);
}

int main(int argc, char **argv)
{
    unsigned long nops = 2000;
    uint64_t seed = 1;
    const vs_arch *arch = argc > 1 ? vs_arch_by_name(argv[1]) : NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--ops") == 0) {
            nops = strtoul(argv[i + 1], NULL, 0);
        } else if (strcmp(argv[i], "--verbose") == 0) {
            verbose = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--seed") == 0) {
            seed = strtoull(argv[i + 1], NULL, 0);
        }
    }
    if (arch == NULL) {
        fprintf(stderr, "usage: sel4be_random ARCH [--ops N] [--seed S]\n");
        return 2;
    }
    test_context = arch->name;
    run(arch->id, nops, seed);
    return test_summary("sel4be_random");
}
