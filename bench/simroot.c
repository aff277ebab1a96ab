/* The simulated root task shared by the kernel-inclusive workloads. */
#include "simroot.h"

#include <stdio.h>
#include <stdlib.h>

#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

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

void bench_simroot_up(const char *workload, bench_simroot *s)
{
    *s = (bench_simroot){.mem = {m_alloc, m_free, NULL}, .arch = vs_arch_get(VS_ARCH_X86_64)};
    seL4_BootInfo *bi = sel4sim_boot(VS_ARCH_X86_64, 256ull << 20);
    vs_result r = bi != NULL ? vs_sel4_alloc_create(bi, s->mem, &s->alloc) : VS_ERR_NO_MEMORY;
    if (r == VS_OK) {
        r = vs_sel4_backend_create(s->arch, s->alloc, s->mem, &s->be);
    }
    if (r == VS_OK) {
        vs_sel4_backend_set_translate(s->be, sel4sim_vs_translate, NULL);
        vs_sel4_root_layout layout = {0};
        layout.ipc_buffer = sel4sim_ipc_buffer_vaddr();
        layout.bootinfo = sel4sim_bootinfo_vaddr();
        layout.bootinfo_size = seL4_BootInfoFrameSize;
        r = vs_sel4_root_vspace_create(s->be, s->mem, &layout, &s->root_vs);
    }
    static const vs_sel4_window_ops win = {sel4sim_vs_window_open, sel4sim_vs_window_close, sel4sim_vs_window_span};
    if (r == VS_OK) {
        r = vs_sel4_frame_access_create(s->be, s->root_vs, s->mem, &win, NULL, 0, &s->sfa);
    }
    if (r != VS_OK) {
        bench_fail(workload, "set-up", r);
    }
    s->fa = vs_sel4_frame_access_get(s->sfa);
}

void bench_simroot_down(bench_simroot *s)
{
    vs_sel4_frame_access_destroy(s->sfa);
    vs_destroy(s->root_vs, 0, NULL);
    vs_sel4_backend_destroy(s->be);
    vs_sel4_alloc_destroy(s->alloc);
    sel4sim_shutdown();
    *s = (bench_simroot){0};
}

unsigned char *bench_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        n = ftell(f);
    }
    unsigned char *b = n > 0 && fseek(f, 0, SEEK_SET) == 0 ? bench_xmalloc((size_t)n) : NULL;
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = b != NULL ? (size_t)n : 0;
    return b;
}
