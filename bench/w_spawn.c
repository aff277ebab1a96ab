/* Spawn: vs_process_spawn + vs_process_destroy of busybox-static (Debian's
 * /bin/busybox) on a simulated x86_64 seL4, argv {"busybox", "true"} and a
 * two-variable environment. Unlike the other workloads this one includes
 * the (simulated) kernel: untyped retypes, cap copies, page-table writes in
 * simulated physical memory, and copying the image through temporary
 * mappings in the root task. Target (issue #10): <= 2 ms per spawn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vs/process.h>

#include "bench.h"
#include "simroot.h"

void bench_spawn(const bench_config *cfg)
{
    size_t size = 0;
    unsigned char *img = bench_read_file("/bin/busybox", &size);
    if (img == NULL) {
        fprintf(stderr, "vspace-bench: spawn: /bin/busybox (busybox-static) not readable; skipped\n");
        return;
    }
    bench_simroot sr;
    bench_simroot_up("spawn", &sr);
    vs_spawn_env env = {sr.be, sr.root_vs, sr.mem, &sr.fa};
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
        vs_result r = vs_process_spawn(&env, VS_ARCH_X86_64, img, size, &o, &p, &err);
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
    bench_simroot_down(&sr);
    free(img);
}
