/* vspace-bench: times the core's reservation tree and shadow page table
 * against the targets of issue #2 and writes the figures as JSON.
 *
 *   vspace-bench [--quick] [--json FILE] [--only GROUP]... [--per-page-kernel]
 *
 * Exit status: 0 when the run finished (a missed target is a result, not a
 * failure), 1 when a vspace call failed or returned a wrong answer, 2 on a
 * usage error or when the JSON file could not be written. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const bench_sizes full_sizes = {
    .w1_n = {1000, 10000, 100000, 0},
    .w1c_pairs = 100000,
    .w2_m = {1000, 65536, 1048576, 0},
    .w3_lookups = 1048576,
    .w4_dense = 1048576,
    .w4_sparse = 65536,
};

static const bench_sizes quick_sizes = {
    .w1_n = {1000, 10000, 0, 0},
    .w1c_pairs = 10000,
    .w2_m = {1000, 65536, 0, 0},
    .w3_lookups = 65536,
    .w4_dense = 65536,
    .w4_sparse = 4096,
};

typedef struct bench_args {
    int quick;
    const char *json;
    int help;
    unsigned only; /* bit set of groups to run; 0: all */
} bench_args;

/* Workload groups for --only; W2 and W3 share their set-up. */
enum { G_W1 = 1, G_W1C = 2, G_W2 = 4, G_W4 = 8, G_SPAWN = 16, G_EXEC = 32, G_W5 = 64, G_ELF = 128 };

static unsigned group_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } groups[] = {{"W1", G_W1}, {"W1c", G_W1C}, {"W2", G_W2},       {"W3", G_W2},     {"W4", G_W4},
                  {"W5", G_W5}, {"W6", G_W5},   {"spawn", G_SPAWN}, {"exec", G_EXEC}, {"elf", G_ELF}};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        if (strcmp(groups[i].name, name) == 0) {
            return groups[i].bit;
        }
    }
    return 0;
}

static int parse_args(int argc, char **argv, bench_args *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            out->quick = 1;
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            out->json = argv[++i];
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc && group_bit(argv[i + 1]) != 0) {
            out->only |= group_bit(argv[++i]);
        } else if (strcmp(argv[i], "--per-page-kernel") == 0) {
            bench_batch_kernel = 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            out->help = 1;
        } else {
            fprintf(stderr, "vspace-bench: unknown or incomplete argument '%s'\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: vspace-bench [--quick] [--json FILE] [--only GROUP]... [--per-page-kernel]\n"
          "  --quick       smaller sizes and fewer repetitions (a few seconds)\n"
          "  --json FILE   also write the results as a JSON array to FILE\n"
          "  --only GROUP  run only W1, W1c, W2 (with W3), W3 (with W2), W4, W5 (with W6), W6, spawn, exec or elf;\n"
          "                repeatable\n"
          "  --per-page-kernel  leave out the kernel's optional batch calls (map_frames,\n"
          "                unmap_frames): one kernel call per page, as on seL4\n",
          f);
}

int main(int argc, char **argv)
{
    bench_args args;
    if (parse_args(argc, argv, &args) != 0) {
        usage(stderr);
        return 2;
    }
    if (args.help) {
        usage(stdout);
        return 0;
    }
    bench_config cfg = {args.quick, args.quick ? 3 : 5, args.quick ? 500000000ull : 3000000000ull};
    const bench_sizes *sz = args.quick ? &quick_sizes : &full_sizes;
    uint64_t t0 = bench_now_ns();
    unsigned run = args.only != 0 ? args.only : ~0u;
    if (run & G_W1) {
        bench_w1(&cfg, sz);
    }
    if (run & G_W1C) {
        bench_w1c(&cfg, sz);
    }
    if (run & G_W2) {
        bench_w2_w3(&cfg, sz);
    }
    if (run & G_W4) {
        bench_w4(sz);
    }
    if (run & G_W5) {
        bench_w5_w6(&cfg);
    }
#ifdef VSPACE_BENCH_SPAWN
    if (run & G_SPAWN) {
        bench_spawn(&cfg);
    }
#endif
#ifdef VSPACE_BENCH_ELF
    if (run & G_ELF) {
        bench_elf(&cfg);
    }
#endif
    if (run & G_EXEC) {
        bench_exec(&cfg);
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    printf("vspace-bench: x86_64, free kernel (%s), counting malloc allocator; minimum of up to %d runs%s\n\n",
           bench_batch_kernel ? "with batch calls" : "per-page calls only", cfg.reps, args.quick ? " (--quick)" : "");
    bench_print_table();
    printf("\ntotal %.1f s\n", secs);
    if (args.json != NULL) {
        if (bench_write_json(args.json) != 0) {
            return 2;
        }
        printf("wrote %s\n", args.json);
    }
    return 0;
}
