/* exec: `vspace exec /bin/busybox true` (Linux backend, vspace's ELF
 * loader and start-up stack; vspace becomes the program) against running
 * `/bin/busybox true` directly, in the same run, runs interleaved. Each run
 * is posix_spawn + wait4 from here; the figure is the median wall time,
 * with the median CPU time (user + system of the whole process tree, from
 * wait4) beside it. Target (issue 12): at most 1.5x the direct run. The
 * vspace binary is looked up next to this one (build/tools/vspace/vspace);
 * without it, or without busybox-static, the workload is skipped. */
#define _GNU_SOURCE
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

typedef struct exec_time {
    double wall_ns, cpu_ns;
} exec_time;

static int run_once(char *const argv[], exec_time *t)
{
    uint64_t t0 = bench_now_ns();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
        return -1;
    }
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        return -1;
    }
    t->wall_ns = (double)(bench_now_ns() - t0);
    t->cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
    return 0;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_exec(const bench_config *cfg)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        return;
    }
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        return;
    }
    *slash = '\0';
    static char vspace[PATH_MAX + 32];
    snprintf(vspace, sizeof vspace, "%s/../tools/vspace/vspace", self);
    if (access(vspace, X_OK) != 0 || access("/bin/busybox", X_OK) != 0) {
        fprintf(stderr, "vspace-bench: exec: %s or /bin/busybox missing; skipped\n", vspace);
        return;
    }
    char *direct[] = {"/bin/busybox", "true", NULL};
    char *ours[] = {vspace, "exec", "/bin/busybox", "true", NULL};
    enum { MAX_RUNS = 200 };
    int runs = cfg->quick ? 20 : MAX_RUNS;
    double dw[MAX_RUNS], dc[MAX_RUNS], vw[MAX_RUNS], vc[MAX_RUNS];
    for (int i = 0; i < runs; i++) {
        exec_time a, b;
        if (run_once(direct, &a) != 0 || run_once(ours, &b) != 0) {
            fprintf(stderr, "vspace-bench: exec: a run failed; skipped\n");
            return;
        }
        dw[i] = a.wall_ns, dc[i] = a.cpu_ns, vw[i] = b.wall_ns, vc[i] = b.cpu_ns;
    }
    double d_wall = median(dw, runs), v_wall = median(vw, runs);
    double d_cpu = median(dc, runs), v_cpu = median(vc, runs);
    bench_record *rec = bench_add("exec-busybox-true", 0, "us", v_wall / 1e3);
    rec->has_reference = 1;
    rec->reference = d_wall / 1e3;
    bench_target_at_most(rec, "<= 1.5x direct", 1.5 * d_wall / 1e3);
    static char note[200];
    snprintf(
        note, sizeof note,
        "exec-busybox-true: median of %d interleaved runs; vspace exec %.2fx the direct run (wall), CPU %.0f us vs "
        "%.0f us (%.2fx)",
        runs, v_wall / d_wall, v_cpu / 1e3, d_cpu / 1e3, d_cpu > 0 ? v_cpu / d_cpu : 0.0);
    rec->note = note;
}
