/* The core's model-based randomized test (tests/model) run over the seL4
 * backend on the simulator, with kernel failures injected in front of the
 * backend. verify() is DESIGN.md's I2 against the simulated MMU: every page
 * of every reservation agrees with the shadow (frame address, page size,
 * rights), and every address the backend was ever asked to map that the
 * shadow no longer maps is unmapped in the kernel too. check_clean() frees
 * the epoch's roots and requires the simulator's slots, watermarks and
 * objects to be back where the epoch began.
 *
 * Usage: sel4be_model ARCH [--ops N] [--seed S] [--kernel-fail PERMILLE]
 *                          [--alloc-fail PERMILLE] [-v] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_fixture.h"
#include "model_test.h"

enum { INJECTED = 99, MAX_ROOTS = 8 };

typedef struct mapped_at {
    vs_cap root;
    vs_addr vaddr;
} mapped_at;

typedef struct shim {
    be_fx fx;
    vs_kernel real;
    uint64_t fail_in; /* calls until the injected failure; 0: off */
    int fired;
    mapped_at *seen; /* addresses map_frame succeeded at, not yet seen clean */
    size_t nseen, capseen;
    vs_object roots[MAX_ROOTS];
    size_t nroots;
    be_acct epoch_start;
    /* The release or unmap the injection refused, for mb_reclaim. */
    enum { REFUSED_NONE, REFUSED_FREE, REFUSED_DELETE, REFUSED_UNMAP_FRAME, REFUSED_UNMAP_TABLE } refused;
    vs_object_kind refused_kind;
    unsigned refused_size;
    vs_object refused_obj;
} shim;

static shim S;

static int inject_now(void)
{
    if (S.fail_in == 0 || --S.fail_in != 0) {
        return 0;
    }
    S.fired = 1;
    return 1;
}

/* inject_now() for a call mb_reclaim can carry out later. */
static int inject_refusing(int what, vs_object_kind kind, unsigned size, vs_cap cap, uintptr_t cookie)
{
    if (!inject_now()) {
        return 0;
    }
    S.refused = what;
    S.refused_kind = kind;
    S.refused_size = size;
    S.refused_obj = (vs_object){cap, cookie};
    return 1;
}

static void remember(vs_cap root, vs_addr vaddr)
{
    if (S.nseen == S.capseen) {
        S.capseen = S.capseen ? 2 * S.capseen : 1024;
        S.seen = realloc(S.seen, S.capseen * sizeof *S.seen);
        if (S.seen == NULL) {
            abort();
        }
    }
    S.seen[S.nseen++] = (mapped_at){root, vaddr};
}

/* ---- the kernel ops, each one possibly failing first ---- */

static int sh_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    return inject_now() ? INJECTED : S.real.ops->alloc_object(ctx, kind, size, out);
}

static int sh_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    return inject_refusing(REFUSED_FREE, kind, size, obj->cap, obj->cookie)
               ? INJECTED
               : S.real.ops->free_object(ctx, kind, size, obj);
}

static vs_kstatus sh_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned page_size, unsigned rights,
                               vs_cache cache)
{
    if (inject_now()) {
        return (vs_kstatus){INJECTED, -1};
    }
    vs_kstatus st = S.real.ops->map_frame(ctx, root, frame, vaddr, page_size, rights, cache);
    if (st.error == 0) {
        remember(root, vaddr);
    } else if (getenv("SEL4BE_DEBUG") != NULL) {
        fprintf(stderr, "map_frame(root %llu, frame %llu, %#llx, size %u, rights %u, cache %d) = %d, missing %d\n",
                (unsigned long long)root, (unsigned long long)frame, (unsigned long long)vaddr, page_size, rights,
                (int)cache, st.error, st.missing_level);
    }
    return st;
}

static vs_kstatus sh_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    return inject_now() ? (vs_kstatus){INJECTED, -1} : S.real.ops->map_table(ctx, root, table, level, vaddr);
}

static int sh_unmap_frame(void *ctx, vs_cap frame, unsigned page_size)
{
    return inject_refusing(REFUSED_UNMAP_FRAME, VS_OBJ_FRAME, page_size, frame, 0)
               ? INJECTED
               : S.real.ops->unmap_frame(ctx, frame, page_size);
}

static int sh_unmap_table(void *ctx, vs_cap table, unsigned level)
{
    return inject_refusing(REFUSED_UNMAP_TABLE, VS_OBJ_PAGING_TABLE, level, table, 0)
               ? INJECTED
               : S.real.ops->unmap_table(ctx, table, level);
}

static int sh_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    return inject_now() ? INJECTED : S.real.ops->copy_cap(ctx, src, out);
}

static int sh_delete_cap(void *ctx, vs_cap cap)
{
    return inject_refusing(REFUSED_DELETE, VS_OBJ_FRAME, 0, cap, 0) ? INJECTED : S.real.ops->delete_cap(ctx, cap);
}

static int sh_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    return inject_now() ? INJECTED : S.real.ops->frame_paddr(ctx, frame, paddr);
}

static int sh_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    return inject_now() ? INJECTED : S.real.ops->translate(ctx, root, vaddr, out);
}

/* No batch forms: the core then maps and unmaps page by page. */
static const vs_kernel_ops shim_ops = {
    .alloc_object = sh_alloc_object,
    .free_object = sh_free_object,
    .map_frame = sh_map_frame,
    .map_table = sh_map_table,
    .unmap_frame = sh_unmap_frame,
    .unmap_table = sh_unmap_table,
    .copy_cap = sh_copy_cap,
    .delete_cap = sh_delete_cap,
    .frame_paddr = sh_frame_paddr,
    .translate = sh_translate,
};

/* ---- the model's backend hooks ---- */

static void mb_epoch_begin(void *ctx, uint64_t epoch)
{
    (void)ctx;
    (void)epoch;
    S.nseen = 0;
    S.nroots = 0;
    be_acct_take(S.fx.bi, &S.epoch_start);
}

static vs_kernel mb_kernel(void *ctx)
{
    return (vs_kernel){&shim_ops, ctx};
}

static vs_cap mb_new_root(void *ctx)
{
    if (S.nroots == MAX_ROOTS || vs_sel4_create_root(ctx, &S.roots[S.nroots]) != 0) {
        return 0;
    }
    return S.roots[S.nroots++].cap;
}

static int mb_new_frame(void *ctx, unsigned bits, vs_object *out)
{
    int si = vs_arch_page_size_index(S.fx.arch, bits);
    return si < 0 ? -1 : S.real.ops->alloc_object(ctx, VS_OBJ_FRAME, (unsigned)si, out);
}

static void mb_free_frame(void *ctx, unsigned size_index, const vs_object *obj)
{
    CHECK_EQ_U(S.real.ops->free_object(ctx, VS_OBJ_FRAME, size_index, obj), 0);
}

static unsigned normal_rights(vs_arch_id id, unsigned rights)
{
    int x86 = id == VS_ARCH_IA32 || id == VS_ARCH_X86_64;
    rights |= VS_RIGHT_READ; /* seL4 cannot map write-only; it implies read */
    return x86 ? rights & ~(unsigned)VS_RIGHT_EXEC : rights;
}

/* seL4 on RISC-V writes an invalid entry for a mapping with no rights at
 * all (R = W = X = 0 would mean "next-level table" to the MMU). */
static int invisible(vs_arch_id id, unsigned rights)
{
    return (id == VS_ARCH_RISCV32 || id == VS_ARCH_RISCV64) && rights == 0;
}

typedef struct walk {
    const vs_space *vs;
    vs_cap root;
    char *msg;
    size_t len;
    int bad;
} walk;

static uint64_t verify_page(walk *w, vs_addr va, unsigned rights)
{
    vs_page p;
    vs_translation t;
    vs_addr pa = 0;
    vs_lookup(w->vs, va, &p);
    if (S.real.ops->translate(S.real.ctx, w->root, va, &t) != 0) {
        w->bad = snprintf(w->msg, w->len, "translate %#llx failed", (unsigned long long)va) > 0;
        return 4096;
    }
    if (p.state != VS_PAGE_MAPPED) {
        if (t.mapped) {
            w->bad = snprintf(w->msg, w->len, "kernel maps %#llx, shadow does not", (unsigned long long)va) > 0;
        }
        return 4096;
    }
    if (invisible(S.fx.arch->id, rights) && !t.mapped) {
        return (1ull << p.size_bits) - ((va - p.page_vaddr) & ((1ull << p.size_bits) - 1));
    }
    S.real.ops->frame_paddr(S.real.ctx, p.cap, &pa);
    if (!t.mapped || t.paddr != pa + (va - p.page_vaddr) || t.size_bits != p.size_bits ||
        normal_rights(S.fx.arch->id, t.rights) != normal_rights(S.fx.arch->id, rights)) {
        w->bad =
            snprintf(w->msg, w->len, "page %#llx: kernel mapped %d paddr %#llx bits %u rights %u (want %#llx %u %u)",
                     (unsigned long long)va, t.mapped, (unsigned long long)t.paddr, t.size_bits, t.rights,
                     (unsigned long long)pa + (va - p.page_vaddr), p.size_bits, rights) > 0;
    }
    return (1ull << p.size_bits) - ((va - p.page_vaddr) & ((1ull << p.size_bits) - 1));
}

static int verify_point(void *ctx, vs_addr va, unsigned rights)
{
    walk *w = ctx;
    verify_page(w, va, rights);
    return w->bad;
}

/* Addresses the kernel was told to map in this root that the shadow does
 * not map must be unmapped; those are then forgotten (only a new map call
 * can map them again). */
static void verify_seen(walk *w)
{
    size_t keep = 0;
    for (size_t i = 0; i < S.nseen && !w->bad; i++) {
        mapped_at m = S.seen[i];
        vs_page p;
        vs_translation t;
        int ours = m.root == w->root;
        int shadow_mapped = vs_lookup(w->vs, m.vaddr, &p) == VS_OK && p.state == VS_PAGE_MAPPED;
        if (ours && !shadow_mapped && (S.real.ops->translate(S.real.ctx, m.root, m.vaddr, &t) != 0 || t.mapped)) {
            w->bad = snprintf(w->msg, w->len, "kernel still maps %#llx", (unsigned long long)m.vaddr) > 0;
        }
        if (!ours || shadow_mapped) {
            S.seen[keep++] = m;
        }
    }
    if (!w->bad) {
        S.nseen = keep;
    }
}

static int mb_verify(void *ctx, const vs_space *vs, vs_cap root, char *msg, size_t len)
{
    (void)ctx;
    walk w = {vs, root, msg, len, 0};
    model_verify_points(vs, verify_point, &w);
    if (!w.bad) {
        verify_seen(&w);
    }
    return w.bad;
}

static int mb_check_clean(void *ctx, char *msg, size_t len)
{
    for (size_t i = 0; i < S.nroots; i++) {
        if (vs_sel4_free_root(ctx, &S.roots[i]) != 0) {
            snprintf(msg, len, "root %zu could not be freed", i);
            return 1;
        }
    }
    S.nroots = 0;
    be_acct now;
    be_acct_take(S.fx.bi, &now);
    if (be_acct_compare(&S.epoch_start, &now, "end of epoch") != 0) {
        snprintf(msg, len, "simulator accounting differs from the epoch's start");
        return 1;
    }
    return 0;
}

static void mb_inject(void *ctx, uint64_t n)
{
    (void)ctx;
    S.fail_in = n;
    S.fired = 0;
    if (n != 0) {
        S.refused = REFUSED_NONE;
    }
}

/* Carries out the release or unmap the last injection refused, if its cap
 * is still there to act on (a frame the teardown freed anyway is not). */
static int mb_reclaim(void *ctx)
{
    const vs_kernel_ops *ops = S.real.ops;
    int done = 0;
    switch (S.refused) {
    case REFUSED_FREE:
        done = ops->free_object(ctx, S.refused_kind, S.refused_size, &S.refused_obj) == 0;
        break;
    case REFUSED_DELETE:
        done = ops->delete_cap(ctx, S.refused_obj.cap) == 0;
        break;
    case REFUSED_UNMAP_FRAME:
        done = ops->unmap_frame(ctx, S.refused_obj.cap, S.refused_size) == 0;
        break;
    case REFUSED_UNMAP_TABLE:
        done = ops->unmap_table(ctx, S.refused_obj.cap, S.refused_size) == 0;
        break;
    default:
        break;
    }
    S.refused = REFUSED_NONE;
    return done;
}

static int mb_fired(void *ctx)
{
    (void)ctx;
    return S.fired;
}

int main(int argc, char **argv)
{
    model_test_config cfg;
    model_test_backend_args(argc, argv, &cfg);
    const vs_arch *arch = cfg.arch;
    if (arch == NULL) {
        fprintf(stderr, "usage: sel4be_model ARCH [--ops N] [--seed S] [--kernel-fail P] [--alloc-fail P] [-v]\n");
        return 2;
    }
    test_context = arch->name;
    /* Big enough for the model's frame pools (up to 16 MiB pages); the
     * simulator only backs pages that are written. */
    be_fx_init(&S.fx, arch->id, arch->word_bits == 32 ? 1ull << 30 : 8ull << 30);
    S.real = vs_sel4_backend_kernel(S.fx.be);
    model_backend mb = {
        .ctx = S.fx.be,
        .epoch_begin = mb_epoch_begin,
        .kernel = mb_kernel,
        .new_root = mb_new_root,
        .new_frame = mb_new_frame,
        .free_frame = mb_free_frame,
        .verify = mb_verify,
        .check_clean = mb_check_clean,
        .inject = mb_inject,
        .fired = mb_fired,
        .injected_error = INJECTED,
        .reclaim = mb_reclaim,
    };
    cfg.backend = &mb;
    int rc = model_test_run(&cfg);
    free(S.seen);
    be_fx_fini(&S.fx);
    printf("sel4be_model %s: %llu ops: %s\n", arch->name, (unsigned long long)cfg.ops,
           rc || test_failures ? "FAILED" : "ok");
    return rc || test_failures;
}
