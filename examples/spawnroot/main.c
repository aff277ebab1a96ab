/* A root task that spawns a real program with vspace's process layer and
 * audits it (issue 13; README "Spawning a program on seL4"):
 *   - the object allocator from bootinfo, the backend, the root task's own
 *     vspace, a frame access for the loader;
 *   - the child ELF (on seL4: from the CPIO archive linked into this image;
 *     on the simulator: a file the launcher read) spawned with arguments,
 *     an environment and a fault endpoint;
 *   - the child runs and ends by a message on that endpoint, which the root
 *     task waits on (protocol.h says why);
 *   - vs_audit with the checks real seL4 allows, saying which it could not
 *     run; destroy; the allocator and the root vspace back at their start;
 *   - 100 spawns and destroys, nothing grows;
 *   - the legacy loader behaviour (ELF reservations dropped): the audit
 *     fails with the seed's numbers, checked against the ELF's own program
 *     headers.
 *
 * Each step prints one line ending in "ok" or "FAIL". Lines starting with
 * "child| " are the child's run: its own output and how it ended on seL4,
 * one line saying it cannot run on the simulator. Everything else depends
 * only on the architecture and the child ELF, so `make sel4-qemu` runs the
 * simulator build on the very ELF built for seL4 and compares the two
 * transcripts line for line without the "child| " lines. */
#include <sel4/sel4.h>
#include <sel4runtime.h>
#include <stdio.h>
#include <string.h>

#include <vs/audit.h>
#include <vs/process.h>
#include <vs/sel4_backend.h>
#include <vs/space.h>

#include "../common/arena.h"
#include "../common/example_arch.h"
#include "../common/root_layout.h"
#include "../common/transcript.h"
#include "protocol.h"

/* What differs between seL4 and the simulator (defined at the end of this
 * file for seL4, in host_launcher.c for the simulator; the boot layout:
 * ../common/root_layout.h). */
const vs_sel4_window_ops *spawnroot_window(void);
const void *spawnroot_child_image(size_t *size);
/* Lets the child run until it ends; prints the "child| " lines (on seL4
 * the child's own output appears meanwhile). Returns 0 if the child exited
 * with status 0 (or cannot run at all), -1 otherwise. */
int spawnroot_run_child(vs_cap fault_ep);
int spawnroot_main(void);

#define LOOP_SPAWNS 100

static const char *const child_argv[] = {SPAWNROOT_CHILD_NAME, "--greeting", "hello from vspace"};
static const char *const child_envp[] = {"HOME=/", "SPAWNED_BY=spawnroot " EXAMPLE_ARCH_NAME};

/* ---- the oracle: the child ELF's own program headers ---- */

static uint64_t le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Base pages covered by the PT_LOAD segments (their union), read from the
 * ELF header and program headers by gABI offsets (all four targets are
 * little-endian). 0 for a malformed image. */
static uint64_t elf_load_pages(const unsigned char *elf, size_t size)
{
    if (elf == NULL || size < 52 || memcmp(elf, "\177ELF", 4) != 0) {
        return 0;
    }
    int is64 = elf[4] == 2;
    uint64_t phoff = is64 ? le(elf + 32, 8) : le(elf + 28, 4);
    unsigned phentsize = (unsigned)le(elf + (is64 ? 54 : 42), 2);
    unsigned phnum = (unsigned)le(elf + (is64 ? 56 : 44), 2);
    if (phoff > size || (uint64_t)phnum * phentsize > size - phoff) {
        return 0;
    }
    uint64_t pages = 0, covered_end = 0; /* PT_LOADs ascend by p_vaddr (gABI) */
    for (unsigned i = 0; i < phnum; i++) {
        const unsigned char *ph = elf + phoff + (uint64_t)i * phentsize;
        if (le(ph, 4) != 1 /* PT_LOAD */) {
            continue;
        }
        uint64_t vaddr = is64 ? le(ph + 16, 8) : le(ph + 8, 4);
        uint64_t memsz = is64 ? le(ph + 40, 8) : le(ph + 20, 4);
        uint64_t lo = vaddr & ~(uint64_t)4095, hi = (vaddr + memsz + 4095) & ~(uint64_t)4095;
        if (lo < covered_end) {
            lo = covered_end;
        }
        if (hi > lo) {
            pages += (hi - lo) / 4096;
            covered_end = hi;
        }
    }
    return pages;
}

/* ---- state that must come back ---- */

typedef struct snapshot {
    vs_sel4_alloc_stats alloc;
    vs_stats root;
    size_t arena;
} snapshot;

static void take(snapshot *s, const vs_sel4_alloc *alloc, const vs_space *root_vs)
{
    vs_sel4_alloc_get_stats(alloc, &s->alloc);
    vs_get_stats(root_vs, &s->root);
    s->arena = example_arena_live();
}

static int same_alloc(const snapshot *a, const snapshot *b)
{
    return a->alloc.free_slots == b->alloc.free_slots && a->alloc.objects == b->alloc.objects &&
           a->alloc.copies == b->alloc.copies && a->alloc.busy_untypeds == b->alloc.busy_untypeds;
}

/* Reservations, pages and paging tables: what a spawn and destroy give back. */
static int same_root_state(const snapshot *a, const snapshot *b)
{
    return a->root.reservations == b->root.reservations && a->root.reserved_pages == b->root.reserved_pages &&
           a->root.mapped_pages == b->root.mapped_pages && a->root.paging_tables == b->root.paging_tables;
}

static int same_root(const snapshot *a, const snapshot *b)
{
    return same_root_state(a, b) && a->root.bookkeeping_bytes == b->root.bookkeeping_bytes;
}

/* After the first spawn and destroy: the root vspace's bookkeeping may
 * have grown only by the handle-table chunks its reservations took (the
 * table keeps a chunk it grew at a boundary it was full to, docs/core.md),
 * and that is all the arena grew by. */
static int kept_only_handle_chunks(const snapshot *start, const snapshot *now)
{
    size_t grown = now->root.bookkeeping_bytes - start->root.bookkeeping_bytes;
    return now->root.bookkeeping_bytes >= start->root.bookkeeping_bytes && now->arena >= start->arena &&
           now->arena - start->arena == grown;
}

/* ---- the audit ---- */

static const char *check_names(unsigned checks, char *buf, size_t len)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{VS_AUDIT_CHECK_BOOKKEEPING, "bookkeeping (I1, I3)"},
                 {VS_AUDIT_CHECK_FRAME_ADDR, "frame addresses (GetAddress)"},
                 {VS_AUDIT_CHECK_TRANSLATE, "kernel translation (I2)"},
                 {VS_AUDIT_CHECK_UNKNOWN, "unknown-mapping scan (I2)"}};
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((checks & names[i].bit) != 0) {
            int n = snprintf(buf + at, len - at, "%s%s", at == 0 ? "" : ", ", names[i].name);
            at = n > 0 && (size_t)n < len - at ? at + (size_t)n : at;
        }
    }
    if (at == 0) {
        snprintf(buf, len, "none");
    }
    return buf;
}

typedef struct shown {
    size_t count;
} shown;

static void show_discrepancy(void *ctx, const vs_discrepancy *d)
{
    shown *s = ctx;
    if (s->count++ < 3) {
        printf("   I%u %s at 0x%llx: %s\n", d->invariant, vs_audit_kind_name(d->kind), (unsigned long long)d->vaddr,
               d->what);
    }
}

static vs_result audit(const vs_space *vs, vs_audit_summary *sum)
{
    shown s = {0};
    char run[160], skipped[160];
    vs_result r = vs_audit(vs, show_discrepancy, &s, sum);
    if (s.count > 3) {
        printf("   ... %zu more\n", s.count - 3);
    }
    printf("   audit ran: %s\n", check_names(sum->checks_run, run, sizeof(run)));
    printf("   audit could not run: %s%s%s\n", check_names(sum->checks_skipped, skipped, sizeof(skipped)),
           sum->skipped_why != NULL ? " -- " : "", sum->skipped_why != NULL ? sum->skipped_why : "");
    printf("   reservations %zu cover %llu pages, %llu mapped through them; the shadow maps %llu, %llu of them "
           "outside any reservation\n",
           sum->reservations, (unsigned long long)sum->reserved_pages, (unsigned long long)sum->mapped_in_reservations,
           (unsigned long long)sum->mapped_pages, (unsigned long long)sum->mapped_outside);
    return r;
}

/* ---- spawning ---- */

/* A failed spawn in the record's own terms: each field only where the
 * failure set it (an address, the number the reason names, the room a
 * size did not fit, the kernel's error, the loader's diagnostic). */
static void show_spawn_error(vs_result r, const vs_spawn_error *err)
{
    printf("   spawn failed at stage %s: %s (%s", vs_spawn_stage_name(err->stage), err->reason, vs_result_name(r));
    if (err->vaddr != 0) {
        printf(", at 0x%llx", (unsigned long long)err->vaddr);
    }
    if (err->limit != 0) {
        printf(", needs %llu bytes, room for %llu", (unsigned long long)err->value, (unsigned long long)err->limit);
    } else if (err->value != 0) {
        printf(", value %llu", (unsigned long long)err->value);
    }
    if (err->kernel_error != 0) {
        printf(", seL4 error %d", err->kernel_error);
    }
    if (err->elf_message[0] != '\0') {
        printf(", %s", err->elf_message);
    }
    printf(")\n");
}

static vs_result spawn(const vs_spawn_env *env, const void *elf, size_t size, unsigned flags, vs_process **out)
{
    vs_spawn_opts o;
    vs_spawn_error err;
    memset(&o, 0, sizeof(o));
    o.argv = child_argv;
    o.argc = sizeof(child_argv) / sizeof(child_argv[0]);
    o.envp = child_envp;
    o.envc = sizeof(child_envp) / sizeof(child_envp[0]);
    o.flags = flags | VS_SPAWN_FAULT_EP;
    o.random_seed = 13;
    vs_result r = vs_process_spawn(env, EXAMPLE_ARCH_ID, elf, size, &o, out, &err);
    if (r != VS_OK) {
        show_spawn_error(r, &err);
    }
    return r;
}

static void show_process(const vs_process *p)
{
    vs_process_info i;
    vs_process_get_info(p, &i);
    printf("   entry 0x%llx, sp 0x%llx, stack [0x%llx, 0x%llx) over guard 0x%llx, IPC buffer 0x%llx, "
           "%u program headers at 0x%llx\n",
           (unsigned long long)i.entry, (unsigned long long)i.sp, (unsigned long long)i.stack_base,
           (unsigned long long)i.stack_top, (unsigned long long)i.guard_base, (unsigned long long)i.ipc_buffer, i.phnum,
           (unsigned long long)i.phdr);
}

static void spawn_steps(const vs_spawn_env *env, vs_sel4_alloc *alloc, const unsigned char *elf, size_t size)
{
    snapshot start, now;
    vs_process *p = NULL;
    vs_audit_summary sum;
    uint64_t load_pages = elf_load_pages(elf, size);
    char what[200];

    take(&start, alloc, env->root_vs);
    snprintf(what, sizeof(what), "the child ELF's PT_LOAD segments cover %llu pages", (unsigned long long)load_pages);
    example_step(load_pages > 0, what);

    printf("   argv:");
    for (size_t i = 0; i < sizeof(child_argv) / sizeof(child_argv[0]); i++) {
        printf(" [%s]", child_argv[i]);
    }
    printf("\n   envp:");
    for (size_t i = 0; i < sizeof(child_envp) / sizeof(child_envp[0]); i++) {
        printf(" [%s]", child_envp[i]);
    }
    printf("\n");
    if (example_step_res(spawn(env, elf, size, VS_SPAWN_RESUME, &p), VS_OK,
                         "vs_process_spawn(child, argv, envp, fault endpoint, resumed)")) {
        show_process(p);
        vs_process_info info;
        vs_process_get_info(p, &info);
        example_step(spawnroot_run_child(info.fault_ep) == 0,
                     "the child ran to its end (exit status 0, or no CPU to run on)");
        vs_result r = audit(vs_process_space(p), &sum);
        example_step_res(r, VS_OK, "vs_audit(child)");
        example_step((sum.checks_run & VS_AUDIT_CHECK_FRAME_ADDR) != 0 &&
                         (sum.checks_run & VS_AUDIT_CHECK_BOOKKEEPING) != 0,
                     "the audit checked the bookkeeping and every mapped frame's address (GetAddress)");
        example_step(sum.mapped_outside == 0 && sum.mapped_in_reservations == sum.mapped_pages,
                     "every page the shadow maps lies in a reservation");
        example_step_res(vs_process_destroy(p, NULL), VS_OK, "vs_process_destroy(child)");
    }
    take(&now, alloc, env->root_vs);
    example_step(same_alloc(&start, &now), "object allocator back at its start (slots, objects, copies, untypeds)");
    example_step(same_root_state(&start, &now), "root vspace back at its start (reservations, pages, paging tables)");
    example_step(kept_only_handle_chunks(&start, &now),
                 "bookkeeping memory back at its start, but for the handle chunks the root vspace keeps");

    /* From here on nothing may grow at all. Spawned suspended: the
     * child's output once is enough. */
    snapshot steady = now;
    int all = 1, grew = 0;
    for (int i = 0; i < LOOP_SPAWNS && all; i++) {
        p = NULL;
        all = spawn(env, elf, size, 0, &p) == VS_OK;
        all = vs_process_destroy(p, NULL) == VS_OK && all;
        take(&now, alloc, env->root_vs);
        grew += !same_alloc(&steady, &now) || !same_root(&steady, &now) || now.arena != steady.arena;
    }
    snprintf(what, sizeof(what), "%d x spawn + destroy: all succeeded, nothing grew after any of them", LOOP_SPAWNS);
    example_step(all && grew == 0, what);

    /* The seed: the legacy loader drops the ELF reservations after loading. */
    p = NULL;
    if (example_step_res(spawn(env, elf, size, VS_SPAWN_FREE_ELF_RESERVATIONS, &p), VS_OK,
                         "vs_process_spawn(child, legacy: ELF reservations dropped)")) {
        vs_result r = audit(vs_process_space(p), &sum);
        example_step_res(r, VS_ERR_INCONSISTENT, "vs_audit(legacy child)");
        snprintf(what, sizeof(what), "the %llu pages mapped outside any reservation are the ELF's %llu loaded pages",
                 (unsigned long long)sum.mapped_outside, (unsigned long long)load_pages);
        example_step(sum.mapped_outside == load_pages && sum.mapped_pages == sum.mapped_in_reservations + load_pages,
                     what);
        example_step_res(vs_process_destroy(p, NULL), VS_OK, "vs_process_destroy(legacy child)");
    }
    take(&now, alloc, env->root_vs);
    example_step(same_alloc(&steady, &now) && same_root(&steady, &now) && now.arena == steady.arena,
                 "allocator, root vspace and bookkeeping back where the first spawn left them");
}

int spawnroot_main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    const vs_arch *arch = vs_arch_get(EXAMPLE_ARCH_ID);
    vs_allocator mem = example_arena();
    vs_sel4_alloc *alloc = NULL;
    vs_sel4_backend *be = NULL;
    vs_space *root_vs = NULL;
    vs_sel4_frame_access *fa = NULL;
    vs_sel4_root_layout layout;
    vs_sel4_alloc_stats start, now;

    printf("spawnroot " EXAMPLE_ARCH_NAME ": spawn a program with vspace's process layer, audit it\n");
    if (bi == NULL || arch == NULL) {
        printf("no bootinfo or architecture\n");
        return 1;
    }
    size_t elf_size = 0;
    const unsigned char *elf = spawnroot_child_image(&elf_size);
    if (example_step(elf != NULL && elf_size > 0, "the child ELF \"" SPAWNROOT_CHILD_NAME "\" found") &&
        example_step_res(vs_sel4_alloc_create(bi, mem, &alloc), VS_OK, "vs_sel4_alloc_create(bootinfo)")) {
        vs_sel4_alloc_get_stats(alloc, &start);
        if (example_step_res(vs_sel4_backend_create(arch, alloc, mem, &be), VS_OK,
                             "vs_sel4_backend_create(" EXAMPLE_ARCH_NAME ")")) {
            example_step(example_root_layout(bi, &layout) == 0,
                         "vs_sel4_root_layout_from_bootinfo(bootinfo, image symbols)");
            if (example_step_res(vs_sel4_root_vspace_create(be, mem, &layout, &root_vs), VS_OK,
                                 "vs_sel4_root_vspace_create")) {
                if (example_step_res(vs_sel4_frame_access_create(be, root_vs, mem, spawnroot_window(), NULL, 0, &fa),
                                     VS_OK, "vs_sel4_frame_access_create")) {
                    vs_frame_access fai = vs_sel4_frame_access_get(fa);
                    vs_spawn_env env = {be, root_vs, mem, &fai};
                    spawn_steps(&env, alloc, elf, elf_size);
                    vs_sel4_frame_access_destroy(fa);
                }
                example_step_res(vs_check(root_vs, NULL, NULL, NULL), VS_OK, "vs_check(root vspace)");
                example_step_res(vs_destroy(root_vs, 0, NULL), VS_OK, "vs_destroy(root vspace)");
            }
            vs_sel4_backend_destroy(be);
        }
        vs_sel4_alloc_get_stats(alloc, &now);
        example_step(start.free_slots == now.free_slots && start.objects == now.objects && start.copies == now.copies &&
                         start.busy_untypeds == now.busy_untypeds,
                     "object allocator back at its boot state");
        vs_sel4_alloc_destroy(alloc);
    }
    example_step(example_arena_live() == 0, "every byte of bookkeeping memory returned");
    printf("spawnroot " EXAMPLE_ARCH_NAME ": %d steps, %d failures\n", example_steps(), example_failures());
    return example_failures() != 0;
}

#ifndef ROOTTASK_HOST_LAUNCHER
#include <cpio/cpio.h>

/* The child ELF: in the CPIO archive the build links into this image
 * (seL4's MakeCPIO, between _cpio_archive and _cpio_archive_end). */
extern char _cpio_archive[], _cpio_archive_end[];

const void *spawnroot_child_image(size_t *size)
{
    unsigned long n = 0;
    const void *f =
        cpio_get_file(_cpio_archive, (unsigned long)(_cpio_archive_end - _cpio_archive), SPAWNROOT_CHILD_NAME, &n);
    *size = f != NULL ? (size_t)n : 0;
    return f;
}

/* The root task reaches its own memory directly. */
const vs_sel4_window_ops *spawnroot_window(void)
{
    return NULL;
}

/* The root task runs at the highest priority and the child at 0: the child
 * runs while the root task waits on the fault endpoint. */
int spawnroot_run_child(vs_cap fault_ep)
{
    seL4_Word badge = 0;
    seL4_MessageInfo_t info = seL4_Recv((seL4_CPtr)fault_ep, &badge);
    seL4_Word label = seL4_MessageInfo_get_label(info);
    if (label == SPAWNROOT_EXIT_LABEL && seL4_MessageInfo_get_length(info) >= 1) {
        seL4_Word status = seL4_GetMR(0);
        printf("child| ended: exit(%lu), sent on its fault endpoint\n", (unsigned long)status);
        return status == 0 ? 0 : -1;
    }
    printf("child| ended: fault (label %lu, %lu words: %lx %lx) on its fault endpoint\n", (unsigned long)label,
           (unsigned long)seL4_MessageInfo_get_length(info), (unsigned long)seL4_GetMR(0),
           (unsigned long)seL4_GetMR(1));
    return -1;
}

int main(void)
{
    return spawnroot_main();
}
#endif
