/* The core's model-based randomized test over the Linux backend: every
 * operation is carried out with mmap in this process, and the shadow is
 * compared with /proc/self/maps (I2) every 128 operations and at the end
 * of each epoch; after each epoch every frame's memory must be back
 * (memfd blocks 0) and nothing left mapped.
 *
 * With --unheld the roots are made unheld (VS_LINUX_UNHELD: no placeholder,
 * mappings that never replace anything, unmaps that leave the range free)
 * at 32 TiB and up, where nothing of this process lands, and each is held
 * (vs_linux_root_hold) at the fourth verification after it was made, so
 * the random calls and injected failures meet both states and the hold
 * meets whatever gaps they left.
 *
 *   linuxbe_model ARCH [--unheld] [--ops N] [--seed S] [--kernel-fail P] [--alloc-fail P] [-v] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinject.h"
#include "lx_compare.h"
#include "model_test.h"

enum { MAX_ROOTS = 8 };

static struct {
    vs_linux *be;
    kinject ki;
    vs_cap roots[MAX_ROOTS];
    size_t nroots;
    int unheld;                   /* --unheld */
    unsigned verified[MAX_ROOTS]; /* verifications of each root so far */
    uint64_t next_host;           /* where the next unheld window goes */
} S;

/* Windows from 1 GiB, 16 GiB long or up to the arch's end, placed anywhere
 * in this process (main sets HI). */
static const vs_addr LO = 1ull << 30;
static vs_addr HI;

static vs_kernel mb_kernel(void *ctx)
{
    (void)ctx;
    return kinject_kernel(&S.ki);
}

/* An unheld window at S.next_host or above (1 GiB aligned, as LO is, so
 * large pages stay aligned), where creation finds it free; 0 if none is
 * below 96 TiB. (A sanitizer's shadow memory takes the first 16 TiB and
 * more.) */
static vs_cap new_unheld_root(void)
{
    uint64_t size = HI - LO;
    for (; S.next_host < (96ull << 40); S.next_host += 4ull << 40) {
        vs_cap root = 0;
        int64_t offset = (int64_t)(S.next_host - LO);
        if (vs_linux_root_create(S.be, LO, HI, offset, VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD, &root) == 0) {
            S.next_host += (size + (2ull << 30)) & ~((1ull << 30) - 1);
            return root;
        }
    }
    return 0;
}

static vs_cap mb_new_root(void *ctx)
{
    (void)ctx;
    vs_cap root = 0;
    if (S.nroots == MAX_ROOTS) {
        return 0;
    }
    if (S.unheld) {
        root = new_unheld_root();
    } else if (vs_linux_root_create(S.be, LO, HI, 0, VS_LINUX_ANYWHERE, &root) != 0) {
        root = 0;
    }
    if (root != 0) {
        S.verified[S.nroots] = 0;
        S.roots[S.nroots++] = root;
    }
    return root;
}

static int mb_new_frame(void *ctx, unsigned bits, vs_object *out)
{
    (void)ctx;
    int si = vs_arch_page_size_index(vs_linux_arch(S.be), bits);
    return si < 0 ? -1 : vs_linux_kernel(S.be).ops->alloc_object(S.be, VS_OBJ_FRAME, (unsigned)si, out);
}

static void mb_free_frame(void *ctx, unsigned size_index, const vs_object *obj)
{
    (void)ctx;
    if (vs_linux_kernel(S.be).ops->free_object(S.be, VS_OBJ_FRAME, size_index, obj) != 0) {
        fprintf(stderr, "free_frame: %s\n", vs_linux_last_error(S.be));
        abort();
    }
}

static int mb_verify(void *ctx, const vs_space *vs, vs_cap root, char *msg, size_t len)
{
    (void)ctx;
    for (size_t i = 0; S.unheld && i < S.nroots; i++) {
        /* held at its fourth verification; holding again changes nothing */
        if (S.roots[i] == root && ++S.verified[i] >= 4 && lx_compare(S.be, vs, root, msg, len) == 0 &&
            vs_linux_root_hold(S.be, root) != 0) {
            snprintf(msg, len, "root_hold: %s", vs_linux_last_error(S.be));
            return 1;
        }
    }
    return lx_compare(S.be, vs, root, msg, len);
}

static int mb_check_clean(void *ctx, char *msg, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < S.nroots; i++) {
        vs_linux_root_free(S.be, S.roots[i]);
    }
    S.nroots = 0;
    vs_linux_counts n;
    vs_linux_get_counts(S.be, &n);
    if (n.frames || n.copies || n.tables || n.mapped || n.roots || n.phys_used || n.phys_memory) {
        snprintf(msg, len, "frames %zu copies %zu tables %zu mapped %zu roots %zu phys used %llu, memfd holds %llu",
                 n.frames, n.copies, n.tables, n.mapped, n.roots, (unsigned long long)n.phys_used,
                 (unsigned long long)n.phys_memory);
        return 1;
    }
    vs_linux_maps maps;
    if (vs_linux_maps_read(S.be, 0, &maps) == 0) {
        size_t frames = 0;
        for (size_t i = 0; i < maps.count; i++) {
            frames += maps.vma[i].frames;
        }
        vs_linux_maps_free(&maps);
        if (frames != 0) { /* the model never asks for the physmap */
            snprintf(msg, len, "%zu memfd mappings left in /proc/self/maps", frames);
            return 1;
        }
    }
    return 0;
}

static void mb_inject(void *ctx, uint64_t n)
{
    (void)ctx;
    kinject_arm(&S.ki, n);
}

static int mb_reclaim(void *ctx)
{
    (void)ctx;
    return kinject_reclaim(&S.ki);
}

static int mb_fired(void *ctx)
{
    (void)ctx;
    return S.ki.fired;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--unheld") == 0) {
            S.unheld = 1;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof *argv); /* with argv[argc] */
            argc--;
            i--;
        }
    }
    S.next_host = 32ull << 40;
    model_test_config cfg;
    model_test_backend_args(argc, argv, &cfg);
    const vs_arch *arch = cfg.arch;
    if (arch == NULL) {
        fprintf(stderr,
                "usage: linuxbe_model ARCH [--unheld] [--ops N] [--seed S] [--kernel-fail P] [--alloc-fail P] [-v]\n");
        return 2;
    }
    HI = LO + (16ull << 30) < arch->user_end ? LO + (16ull << 30) : arch->user_end & ~((16ull << 20) - 1);
    vs_linux_config lc = {arch, 16ull << 30, 0}; /* sparse: room for the model's 1 GiB frames */
    int e = vs_linux_create(&lc, &S.be);
    if (e != 0) {
        fprintf(stderr, "vs_linux_create: %s\n", strerror(e));
        return 1;
    }
    S.ki.real = vs_linux_kernel(S.be);
    S.ki.error = EIO;
    model_backend mb = {
        .ctx = S.be,
        .kernel = mb_kernel,
        .new_root = mb_new_root,
        .new_frame = mb_new_frame,
        .free_frame = mb_free_frame,
        .verify = mb_verify,
        .check_clean = mb_check_clean,
        .inject = mb_inject,
        .fired = mb_fired,
        .injected_error = EIO,
        .range_base = LO,
        .range_end = HI,
        .reclaim = mb_reclaim,
    };
    cfg.backend = &mb;
    int rc = model_test_run(&cfg);
    vs_linux_destroy(S.be);
    printf("linuxbe_model %s%s: %llu ops: %s\n", arch->name, S.unheld ? " (unheld windows)" : "",
           (unsigned long long)cfg.ops, rc ? "FAILED" : "ok");
    return rc;
}
