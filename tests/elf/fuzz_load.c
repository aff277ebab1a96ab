/* libFuzzer target: parse + load on the simulated machine of the image's
 * architecture. A load that succeeds must pass vs_check and leave no
 * temporary mapping in the root task; one that fails must leave the child,
 * the root task's vspace and all accounting as they were. Any violation
 * aborts. The simulator runs one machine at a time and a boot is costly,
 * so one process loads images of one architecture: VS_FUZZ_ARCH (default
 * x86_64); images of another are refused by the parse (ARCH_MISMATCH).
 * Bit 0 of e_ident[EI_PAD], a byte the parser ignores, asks for large
 * pages (VS_ELF_LOAD_LARGE_PAGES), bit 1 for the file's bytes around the
 * segments (VS_ELF_LOAD_FILE_SLACK): the fuzzer flips them like any other
 * bit.
 * Images of more than MAX_PAGES base pages are skipped to keep executions
 * fast; the cap leaves room for aarch32's 64 KiB large page (16 base
 * pages), so a campaign on aarch32 reaches large-page loads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { EI_PAD = 9, MAX_PAGES = 48, SIM_MEM = 64u << 20 };

static elf_sim sim;
static int booted = -1;

typedef struct snap {
    be_acct acct;
    size_t live_bytes;
    vs_stats child, root;
} snap;

static void take(snap *p)
{
    memset(p, 0, sizeof *p);
    be_acct_take(sim.fx.bi, &p->acct);
    p->live_bytes = sim.fx.ta.live_bytes;
    vs_get_stats(sim.child.vs, &p->child);
    vs_get_stats(sim.fx.root_vs, &p->root);
}

static int same(const snap *a, const snap *b)
{
    return a->acct.free_slots == b->acct.free_slots && a->acct.live_objects == b->acct.live_objects &&
           memcmp(a->acct.watermark, b->acct.watermark, sizeof a->acct.watermark) == 0 &&
           a->live_bytes == b->live_bytes && memcmp(&a->child, &b->child, sizeof a->child) == 0 &&
           memcmp(&a->root, &b->root, sizeof a->root) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    vs_elf_image img;
    vs_elf_diag d;
    vs_elf_plan plan;
    vs_elf_load_opts o = {VS_ELF_LOAD_ALLOW_INTERP, 0};
    if (size > EI_PAD && (data[EI_PAD] & 1) != 0) {
        o.flags |= VS_ELF_LOAD_LARGE_PAGES;
    }
    if (size > EI_PAD && (data[EI_PAD] & 2) != 0) {
        o.flags |= VS_ELF_LOAD_FILE_SLACK;
    }
    if (booted < 0) {
        const char *name = getenv("VS_FUZZ_ARCH");
        const vs_arch *a = vs_arch_by_name(name != NULL ? name : "x86_64");
        if (a == NULL) {
            fprintf(stderr, "VS_FUZZ_ARCH=%s: no such architecture\n", name);
            abort();
        }
        elf_sim_up(&sim, a->id, SIM_MEM);
        booted = (int)a->id;
    }
    vs_elf_parse_opts po = {vs_arch_get((vs_arch_id)booted)};
    if (vs_elf_parse(buf, size, &po, &img, &d) != VS_ELF_OK || vs_elf_plan_load(&img, &o, &plan, &d) != VS_ELF_OK ||
        plan.pages > MAX_PAGES) {
        free(buf);
        return 0;
    }
    snap before, after;
    take(&before);
    vs_frame_access fa = elf_sim_access(&sim);
    vs_elf_loaded ld;
    vs_elf_error e = vs_elf_load(sim.child.vs, &img, &o, &fa, &ld, &d);
    take(&after);
    if (e != VS_ELF_OK) {
        if (!same(&before, &after) || d.code != e) {
            fprintf(stderr, "failed load (%s: %s) changed state\n", vs_elf_error_name(e), d.message);
            abort();
        }
    } else {
        size_t n = 0;
        if (vs_check(sim.child.vs, NULL, NULL, &n) != VS_OK || after.root.mapped_pages != before.root.mapped_pages ||
            after.child.mapped_pages != ld.plan.pages || after.child.reservations != ld.plan.num_regions) {
            fprintf(stderr, "load left an inconsistent state\n");
            abort();
        }
        elf_sim_new_child(&sim);
    }
    free(buf);
    return 0;
}
