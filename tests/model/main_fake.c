/* Runs the model-based test over the recording fake kernel, on every
 * architecture (or one: --arch NAME). Epochs alternate the fake's modes:
 * tables given or required, single or batch map/unmap calls.
 *
 *   core_model [--seed N] [--ops N] [--arch NAME] [--alloc-fail PERMILLE]
 *              [--kernel-fail PERMILLE] [--full-every N] [--no-tables] [-v]
 * Environment: VSPACE_SEED, VSPACE_MODEL_OPS (overridden by the flags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/fakek.h"
#include "model_test.h"

enum { DEFAULT_SEED = 20240611, DEFAULT_OPS = 200000 };

typedef struct fake_ctx {
    const vs_arch *arch;
    fakek *fk;
    int no_tables; /* never require paging tables (hides table bugs such as BUGS.md B2) */
} fake_ctx;

static void fb_epoch_begin(void *ctx, uint64_t epoch)
{
    fake_ctx *f = ctx;
    if (f->fk != NULL) {
        fk_destroy(f->fk);
    }
    f->fk = fk_create(f->arch, !f->no_tables && (epoch & 1) != 0);
    f->fk->batch = (epoch & 2) != 0;
    f->fk->logging = 0; /* millions of calls: keep memory flat */
}

static vs_kernel fb_kernel(void *ctx)
{
    return fk_kernel(((fake_ctx *)ctx)->fk);
}

static vs_cap fb_new_root(void *ctx)
{
    return fk_new_root(((fake_ctx *)ctx)->fk);
}

static int fb_new_frame(void *ctx, unsigned bits, vs_object *out)
{
    *out = fk_new_frame(((fake_ctx *)ctx)->fk, bits);
    return out->cap == 0;
}

static void fb_free_frame(void *ctx, unsigned size_index, const vs_object *obj)
{
    fakek *fk = ((fake_ctx *)ctx)->fk;
    fk_kernel(fk).ops->free_object(fk, VS_OBJ_FRAME, size_index, obj);
}

typedef struct verify_walk {
    fakek *fk;
    const vs_space *vs;
    vs_cap root;
    size_t frames; /* distinct mapped pages seen through the vs_space */
    char *msg;
    size_t len;
    int bad;
} verify_walk;

/* The kernel agrees with one mapped or unmapped page; returns its size. */
static uint64_t verify_page(verify_walk *w, vs_addr va, uint8_t rights)
{
    vs_page p;
    vs_lookup(w->vs, va, &p);
    vs_translation t = fk_translate_now(w->fk, w->root, va);
    if (p.state != VS_PAGE_MAPPED) {
        if (t.mapped) {
            w->bad = snprintf(w->msg, w->len, "kernel maps %#llx, shadow does not", (unsigned long long)va) > 0;
        }
        return 4096;
    }
    const fk_cap *k = fk_cap_get(w->fk, p.cap);
    if (!t.mapped || k == NULL || t.paddr != k->paddr || t.size_bits != p.size_bits || t.rights != rights) {
        w->bad = snprintf(w->msg, w->len, "page %#llx: kernel mapped %d paddr %#llx bits %u rights %u",
                          (unsigned long long)va, t.mapped, (unsigned long long)t.paddr, t.size_bits, t.rights) > 0;
    }
    w->frames++;
    return 1ull << p.size_bits;
}

static int verify_point(void *ctx, vs_addr va, unsigned rights)
{
    verify_walk *w = ctx;
    verify_page(w, va, (uint8_t)rights);
    return w->bad;
}

static int fb_verify(void *ctx, const vs_space *vs, vs_cap root, char *msg, size_t len)
{
    fakek *fk = ((fake_ctx *)ctx)->fk;
    verify_walk w = {fk, vs, root, 0, msg, len, 0};
    model_verify_points(vs, verify_point, &w);
    size_t kernel_frames = 0;
    for (vs_cap c = 1; c < fk->ncaps; c++) {
        const fk_cap *k = fk_cap_get(fk, c);
        kernel_frames += k != NULL && k->kind == FK_KIND_FRAME && k->mapped && k->root == root;
    }
    if (!w.bad && kernel_frames != w.frames) {
        snprintf(msg, len, "kernel maps %zu frames in this root, the vspace knows %zu", kernel_frames, w.frames);
        return 1;
    }
    return w.bad;
}

static int fb_check_clean(void *ctx, char *msg, size_t len)
{
    fakek *fk = ((fake_ctx *)ctx)->fk;
    fk_counts n = fk_count(fk);
    if (n.core_objects || n.copies || n.tables || n.mapped_frames || n.mapped_tables) {
        snprintf(msg, len, "core objects %zu, copies %zu, tables %zu, mapped frames %zu, mapped tables %zu",
                 n.core_objects, n.copies, n.tables, n.mapped_frames, n.mapped_tables);
        return 1;
    }
    if (fk->violations || fk->silent_replacements) {
        snprintf(msg, len, "%u kernel misuses (%s), %u silent replacements", fk->violations, fk->first_violation,
                 fk->silent_replacements);
        return 1;
    }
    return 0;
}

static void fb_inject(void *ctx, uint64_t n)
{
    fakek *fk = ((fake_ctx *)ctx)->fk;
    /* Log only while armed, and only this injection's calls: fb_reclaim
     * reads which call failed after the operation. */
    if (n != 0) {
        fk_log_clear(fk);
    }
    fk->logging = n != 0;
    fk_fail_nth(((fake_ctx *)ctx)->fk, n, FK_FAIL_ERROR);
}

static int fb_reclaim(void *ctx)
{
    return fk_reclaim_injected(((fake_ctx *)ctx)->fk) != FK_OP_COUNT;
}

static int fb_fired(void *ctx)
{
    return ((fake_ctx *)ctx)->fk->fired;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? strtoull(v, NULL, 0) : dflt;
}

typedef struct options {
    uint64_t seed, ops;
    const vs_arch *only;
    unsigned alloc_fail, kernel_fail, full_every;
    int verbose;
    int no_tables;
} options;

static int parse(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-v") == 0 || strcmp(a, "--no-tables") == 0) {
            *(a[1] == 'v' ? &o->verbose : &o->no_tables) = 1;
            continue;
        }
        if (v == NULL) {
            return 1;
        }
        i++;
        if (strcmp(a, "--seed") == 0) {
            o->seed = strtoull(v, NULL, 0);
        } else if (strcmp(a, "--ops") == 0) {
            o->ops = strtoull(v, NULL, 0);
        } else if (strcmp(a, "--arch") == 0 && (o->only = vs_arch_by_name(v)) != NULL) {
        } else if (strcmp(a, "--alloc-fail") == 0) {
            o->alloc_fail = (unsigned)strtoul(v, NULL, 0);
        } else if (strcmp(a, "--full-every") == 0) {
            o->full_every = (unsigned)strtoul(v, NULL, 0);
        } else if (strcmp(a, "--kernel-fail") == 0) {
            o->kernel_fail = (unsigned)strtoul(v, NULL, 0);
        } else {
            return 1;
        }
    }
    return 0;
}

static int run_arch(const vs_arch *arch, const options *o)
{
    fake_ctx f = {arch, NULL, o->no_tables};
    model_backend be = {&f,        fb_epoch_begin, fb_kernel, fb_new_root, fb_new_frame, fb_free_frame,
                        fb_verify, fb_check_clean, fb_inject, fb_fired,    FK_INJECTED,  0,
                        0,         fb_reclaim};
    model_test_config cfg = {arch, o->seed, o->ops, 0, o->alloc_fail, o->kernel_fail, o->full_every, &be, o->verbose};
    int rc = model_test_run(&cfg);
    if (f.fk != NULL) {
        fk_destroy(f.fk);
    }
    return rc;
}

int main(int argc, char **argv)
{
    options o = {env_u64("VSPACE_SEED", DEFAULT_SEED), env_u64("VSPACE_MODEL_OPS", DEFAULT_OPS), NULL, 20, 20, 0, 0, 0};
    if (parse(argc, argv, &o)) {
        fprintf(stderr,
                "usage: %s [--seed N] [--ops N] [--arch NAME] [--alloc-fail PERMILLE] "
                "[--kernel-fail PERMILLE] [--full-every N] [--no-tables] [-v]\n",
                argv[0]);
        return 2;
    }
    int failed = 0;
    for (unsigned id = 0; id < VS_ARCH_COUNT; id++) {
        const vs_arch *a = vs_arch_get((vs_arch_id)id);
        if (o.only == NULL || o.only == a) {
            failed |= run_arch(a, &o);
        }
    }
    printf("core_model: seed %llu, %llu ops per arch: %s\n", (unsigned long long)o.seed, (unsigned long long)o.ops,
           failed ? "FAILED" : "ok");
    return failed;
}
