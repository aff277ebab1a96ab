/* Spawn: vs_process_spawn + vs_process_destroy of busybox-static (Debian's
 * /bin/busybox) on a simulated x86_64 seL4, argv {"busybox", "true"} and a
 * two-variable environment. Unlike the other workloads this one includes
 * the (simulated) kernel: untyped retypes, cap copies, page-table writes in
 * simulated physical memory, and copying the image through temporary
 * mappings in the root task. Target (issue #10): <= 2 ms per spawn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>
#include <vs/process.h>

#include "bench.h"

static void *m_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void m_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n > 0 ? bench_xmalloc((size_t)n) : NULL;
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

void bench_spawn(const bench_config *cfg)
{
    size_t size = 0;
    unsigned char *img = read_file("/bin/busybox", &size);
    if (img == NULL) {
        fprintf(stderr, "vspace-bench: spawn: /bin/busybox (busybox-static) not readable; skipped\n");
        return;
    }
    vs_allocator mem = {m_alloc, m_free, NULL};
    const vs_arch *arch = vs_arch_get(VS_ARCH_X86_64);
    seL4_BootInfo *bi = sel4sim_boot(VS_ARCH_X86_64, 256ull << 20);
    vs_sel4_alloc *alloc = NULL;
    vs_sel4_backend *be = NULL;
    vs_space *root_vs = NULL;
    vs_sel4_frame_access *fa = NULL;
    vs_result r = bi != NULL ? vs_sel4_alloc_create(bi, mem, &alloc) : VS_ERR_NO_MEMORY;
    if (r == VS_OK) {
        r = vs_sel4_backend_create(arch, alloc, mem, &be);
    }
    vs_sel4_root_layout layout = {0};
    if (r == VS_OK) {
        vs_sel4_backend_set_translate(be, sel4sim_vs_translate, NULL);
        layout.ipc_buffer = sel4sim_ipc_buffer_vaddr();
        layout.bootinfo = sel4sim_bootinfo_vaddr();
        layout.bootinfo_size = seL4_BootInfoFrameSize;
        r = vs_sel4_root_vspace_create(be, mem, &layout, &root_vs);
    }
    static const vs_sel4_window_ops win = {sel4sim_vs_window_open, sel4sim_vs_window_close};
    if (r == VS_OK) {
        r = vs_sel4_frame_access_create(be, root_vs, mem, &win, NULL, 0, &fa);
    }
    if (r != VS_OK) {
        bench_fail("spawn", "set-up", r);
    }
    vs_frame_access fai = vs_sel4_frame_access_get(fa);
    vs_spawn_env env = {be, root_vs, mem, &fai};
    const char *argv[] = {"busybox", "true"};
    const char *envp[] = {"PATH=/bin", "HOME=/"};
    vs_spawn_opts o = {.argv = argv, .argc = 2, .envp = envp, .envc = 2, .random_seed = 1};
    /* Each spawn is timed on its own and the fastest kept, like every
     * other figure here (noise only ever adds time); the median goes into
     * the note. On a shared, loaded machine whole runs of many spawns
     * rarely escape preemption, single spawns do. */
    const int samples = cfg->quick ? 20 : 200;
    double *t = bench_xmalloc((size_t)samples * sizeof *t);
    for (int i = 0; i < samples; i++) {
        vs_process *p = NULL;
        vs_spawn_error err;
        uint64_t t0 = bench_now_ns();
        r = vs_process_spawn(&env, VS_ARCH_X86_64, img, size, &o, &p, &err);
        if (r != VS_OK) {
            fprintf(stderr, "vspace-bench: spawn failed at %s: %s\n", vs_spawn_stage_name(err.stage), err.reason);
            bench_fail("spawn", "vs_process_spawn", r);
        }
        r = vs_process_destroy(p, NULL);
        t[i] = (double)(bench_now_ns() - t0) / 1000.0;
        if (r != VS_OK) {
            bench_fail("spawn", "vs_process_destroy", r);
        }
    }
    /* insertion sort: a few hundred samples */
    for (int i = 1; i < samples; i++) {
        double v = t[i];
        int j = i;
        for (; j > 0 && t[j - 1] > v; j--) {
            t[j] = t[j - 1];
        }
        t[j] = v;
    }
    static char note[200];
    snprintf(note, sizeof note,
             "spawn-busybox: spawn + destroy of /bin/busybox on the simulated x86_64 seL4 (kernel included); "
             "fastest of %d, median %.0f us; size: image bytes",
             samples, t[samples / 2]);
    bench_record *rec = bench_add("spawn-busybox", size, "us/spawn", t[0]);
    bench_target_at_most(rec, "<= 2 ms", 2000.0);
    rec->note = note;
    free(t);
    vs_sel4_frame_access_destroy(fa);
    vs_destroy(root_vs, 0, NULL);
    vs_sel4_backend_destroy(be);
    vs_sel4_alloc_destroy(alloc);
    sel4sim_shutdown();
    free(img);
}
