/* A root task on a simulated x86_64 seL4 for the workloads that include the
 * (simulated) kernel: object allocator from bootinfo, seL4 backend with the
 * MMU-walk translate hook, the root task's own vspace and a frame access
 * through the simulator's window. One set-up, shared by elf-load and spawn. */
#ifndef VS_BENCH_SIMROOT_H
#define VS_BENCH_SIMROOT_H

#include <stddef.h>

#include <vs/frame_access.h>
#include <vs/sel4_backend.h>

typedef struct bench_simroot {
    vs_allocator mem; /* malloc-backed bookkeeping */
    const vs_arch *arch;
    vs_sel4_alloc *alloc;
    vs_sel4_backend *be;
    vs_space *root_vs;
    vs_sel4_frame_access *sfa;
    vs_frame_access fa; /* vs_sel4_frame_access_get(sfa) */
} bench_simroot;

/* Boots the simulated x86_64 machine and builds the root task; on failure
 * reports `workload` and exits (bench_fail). */
void bench_simroot_up(const char *workload, bench_simroot *s);

/* Tears down everything bench_simroot_up made and shuts the simulator down. */
void bench_simroot_down(bench_simroot *s);

/* The whole file in a malloc'd buffer, its size in *size; NULL if it cannot
 * be read (the caller says what is skipped). */
unsigned char *bench_read_file(const char *path, size_t *size);

#endif
