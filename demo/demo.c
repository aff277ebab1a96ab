/* vspace-demo: a guided run of the whole stack on ia32 (the seed's
 * platform): the core over the seL4 backend, on the seL4 simulator.
 *
 * It boots a 64 MiB ia32 machine, builds the address space a loader would
 * build for a small program (.text, .data, a stack with a guard page below
 * it, an IPC buffer), writes into the program's memory from the root task
 * and reads it back through the program's own page tables, shares the IPC
 * buffer into a second vspace, shows the refusals that keep the bookkeeping
 * honest, audits the shadow against the kernel's page tables, prints the
 * reservations, tears down and proves the machine is as boot left it.
 *
 * The backend talks to the kernel only through libsel4, here the
 * simulator's, so no call is logged; each step prints its libsel4-level
 * outcome and what it cost the kernel: objects, cap copies, untyped memory
 * and root CNode slots, counted by the simulator.
 *
 * Exit status 0 only if every step behaved as documented, so the demo
 * doubles as a smoke test; 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vs/sel4_alloc.h>
#include <vs/sel4_backend.h>
#include <vs/space.h>

#include "machine.h"

enum { PAGE = 0x1000, PAGE_BITS = 12 };
static const uint64_t ram_bytes = 64u << 20;

/* The program's layout on ia32 (user range 0x1000..0xe0000000). */
static const vs_addr text_at = 0x00400000u;
static const vs_addr data_at = 0x00404000u;
static const vs_addr stack_top = 0x80000000u;
enum { TEXT_PAGES = 4, DATA_PAGES = 2, STACK_PAGES = 8, STACK_MAPPED = 2 };
static const char greeting[] = "hello from the root task";
enum { GREETING_AT = 0x10 }; /* offset in the first .data page */

typedef struct heap {
    size_t live, peak;
    unsigned allocs, frees;
} heap;

typedef struct demo {
    heap mem; /* all bookkeeping: allocator, backend, vspaces */
    seL4_BootInfo *bi;
    machine_acct boot; /* the kernel right after boot */
    vs_sel4_alloc *alloc;
    vs_sel4_backend *be;
    vs_space *root_vs; /* the root task's own address space */
    vs_object app_root, server_root;
    vs_space *app;    /* the program's vs_space */
    vs_space *server; /* a second vspace the IPC buffer is shared into */
    vs_reservation *data;
    vs_addr ipc_at;        /* where vs_reserve put the app's IPC buffer */
    vs_addr server_ipc_at; /* and the server's view of it */
    unsigned failures;
} demo;

/* ---- bookkeeping allocator and output helpers ---- */

static void *heap_alloc(void *ctx, size_t size)
{
    heap *h = ctx;
    void *p = malloc(size);
    if (p != NULL) {
        h->live += size;
        h->allocs++;
        h->peak = h->live > h->peak ? h->live : h->peak;
    }
    return p;
}

static void heap_free(void *ctx, void *ptr, size_t size)
{
    heap *h = ctx;
    if (ptr != NULL) {
        h->live -= size;
        h->frees++;
        free(ptr);
    }
}

static vs_allocator heap_allocator(demo *d)
{
    vs_allocator a = {heap_alloc, heap_free, &d->mem};
    return a;
}

static void expect(demo *d, int ok, const char *what)
{
    printf("  %s %s\n", ok ? "ok:    " : "FAILED:", what);
    if (!ok) {
        d->failures++;
    }
}

static void expect_result(demo *d, vs_result got, vs_result want, const char *call)
{
    char line[200];
    snprintf(line, sizeof line, "%s -> %s", call, vs_result_name(got));
    if (got != want) {
        snprintf(line + strlen(line), sizeof line - strlen(line), " (expected %s: %s)", vs_result_name(want),
                 vs_strerror(got));
    }
    expect(d, got == want, line);
}

static void expect_sel4(demo *d, int err, const char *call, const char *outcome)
{
    char line[200];
    snprintf(line, sizeof line, "%s -> %s%s", call, machine_error_name(err), err == seL4_NoError ? outcome : "");
    expect(d, err == seL4_NoError, line);
}

static void heading(const char *title)
{
    printf("\n== %s\n", title);
}

static void rights_text(unsigned rights, char out[4])
{
    out[0] = (rights & VS_RIGHT_READ) ? 'r' : '-';
    out[1] = (rights & VS_RIGHT_WRITE) ? 'w' : '-';
    out[2] = (rights & VS_RIGHT_EXEC) ? 'x' : '-';
    out[3] = '\0';
}

static const char *plural(long n)
{
    return n == 1 || n == -1 ? "" : "s";
}

/* ---- the kernel's side of each step ---- */

/* What a step may change in the kernel, and the counts that tell frames
 * from page tables (the allocator counts both as objects). */
typedef struct kview {
    machine_acct m;
    size_t objects, copies; /* held by the object allocator */
    size_t tables;          /* paging structures the vspaces created */
} kview;

static size_t tables_of(const vs_space *vs)
{
    vs_stats st = {0};
    if (vs != NULL) {
        vs_get_stats(vs, &st);
    }
    return st.paging_tables;
}

static kview kview_take(const demo *d)
{
    kview k;
    machine_acct_take(d->bi, &k.m);
    vs_sel4_alloc_stats st = {0};
    if (d->alloc != NULL) {
        vs_sel4_alloc_get_stats(d->alloc, &st);
    }
    k.objects = st.objects;
    k.copies = st.copies;
    k.tables = tables_of(d->app) + tables_of(d->server) + tables_of(d->root_vs);
    return k;
}

static void append(char *buf, size_t size, const char *a, const char *b)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s%s", a, b);
}

/* Appends "<verb>4 frames + 1 page table<tail>" for the kinds in [lo, hi)
 * whose count has the sign `sign` (appeared: 1, went: -1). */
static void append_counts(char *buf, size_t size, const long counts[4], int lo, int hi, long sign, const char *verb,
                          const char *tail)
{
    static const char *const one[] = {"page directory", "frame", "page table", "cap copy"};
    static const char *const many[] = {"page directories", "frames", "page tables", "cap copies"};
    int first = 1;
    for (int i = lo; i < hi; i++) {
        long n = counts[i] * sign;
        if (n > 0) {
            char item[48];
            snprintf(item, sizeof item, "%ld %s", n, n == 1 ? one[i] : many[i]);
            append(buf, size, first ? (buf[0] != '\0' ? ", " : "") : " + ", first ? verb : "");
            append(buf, size, item, "");
            first = 0;
        }
    }
    if (!first) {
        append(buf, size, tail, "");
    }
}

/* Prints what the kernel gained or lost since `before`: objects by kind,
 * cap copies, untyped memory and root CNode slots. The allocator counts
 * frames and tables alike, so tables come from the vspaces' own counts and
 * `roots` says how many vspace roots the step created (+) or deleted (-).
 * Slots beyond objects and copies hold the untyped pieces the allocator
 * splits off (and merges back) on the way. */
static void print_kernel_delta(const demo *d, const kview *before, long roots)
{
    kview now = kview_take(d);
    long tables = (long)now.tables - (long)before->tables;
    long objects = (long)now.objects - (long)before->objects;
    long copies = (long)now.copies - (long)before->copies;
    long counts[4] = {roots, objects - tables - roots, tables, copies};
    char line[256] = "";
    append_counts(line, sizeof line, counts, 0, 3, 1, "retyped ", " from untyped");
    append_counts(line, sizeof line, counts, 0, 3, -1, "deleted ", "");
    append_counts(line, sizeof line, counts, 3, 4, 1, "made ", "");
    append_counts(line, sizeof line, counts, 3, 4, -1, "deleted ", "");
    if (line[0] == '\0') {
        append(line, sizeof line, "no object retyped or deleted", "");
    }
    long kib = ((long)before->m.untyped_free - (long)now.m.untyped_free) / 1024;
    long slots = (long)before->m.free_slots - (long)now.m.free_slots;
    long pieces = slots - objects - copies;
    printf("  kernel: %s", line);
    if (kib != 0) {
        printf("; %ld KiB of untyped %s", labs(kib), kib < 0 ? "free again" : "used");
    }
    if (slots == 0) {
        fputs(kib == 0 ? "; untyped memory and slots unchanged\n" : "; slots unchanged\n", stdout);
        return;
    }
    printf("; %ld slot%s %s", labs(slots), plural(slots), slots < 0 ? "free again" : "taken");
    if (pieces != 0) {
        printf(" (%ld by untyped pieces %s)", labs(pieces), pieces < 0 ? "merged back" : "split off");
    }
    printf("\n");
}

/* A frame's physical address as libsel4 reports it (Page_GetAddress). */
static vs_addr frame_paddr(const demo *d, vs_cap cap)
{
    vs_kernel k = vs_sel4_backend_kernel(d->be);
    vs_addr pa = 0;
    return k.ops->frame_paddr(k.ctx, cap, &pa) == 0 ? pa : 0;
}

/* Prints how the MMU translates vaddr in the vspace rooted at `root`. */
static void print_mmu(vs_cap root, vs_addr vaddr, const char *who)
{
    vs_translation t;
    if (sel4sim_vs_translate(NULL, root, vaddr, &t) != 0 || !t.mapped) {
        printf("  MMU (%s): 0x%08llx faults\n", who, (unsigned long long)vaddr);
        return;
    }
    char r[4];
    rights_text(t.rights, r);
    printf("  MMU (%s): 0x%08llx -> paddr 0x%08llx, %u KiB page, %s\n", who, (unsigned long long)vaddr,
           (unsigned long long)t.paddr, 1u << (t.size_bits - 10), r);
}

/* ---- boot ---- */

static int boot(demo *d)
{
    heading("boot a simulated ia32 seL4 and build the backend");
    d->bi = sel4sim_boot(VS_ARCH_IA32, ram_bytes);
    if (d->bi == NULL) {
        expect(d, 0, "sel4sim_boot(ia32, 64 MiB)");
        return -1;
    }
    machine_acct_take(d->bi, &d->boot);
    printf("  sel4sim_boot(ia32, 64 MiB): RAM at 0x%08llx, %zu untypeds (%llu KiB free), %zu empty slots, "
           "%zu kernel objects\n",
           (unsigned long long)sel4sim_phys_base(), d->boot.num_untypeds,
           (unsigned long long)(d->boot.untyped_free / 1024), d->boot.free_slots, d->boot.live_objects);
    const vs_arch *arch = vs_arch_get(VS_ARCH_IA32);
    vs_result r = vs_sel4_alloc_create(d->bi, heap_allocator(d), &d->alloc);
    expect_result(d, r, VS_OK, "vs_sel4_alloc_create(bootinfo: empty slots, RAM untypeds)");
    if (r == VS_OK) {
        r = vs_sel4_backend_create(arch, d->alloc, heap_allocator(d), &d->be);
        expect_result(d, r, VS_OK, "vs_sel4_backend_create(ia32)");
    }
    if (r != VS_OK) {
        return -1;
    }
    /* seL4 has no translate call; the simulator's MMU walk stands in. */
    vs_sel4_backend_set_translate(d->be, sel4sim_vs_translate, NULL);
    printf("  translate hook: the simulator's MMU walk (seL4 itself has no such call)\n");
    return 0;
}

static int create_root_vspace(demo *d)
{
    vs_sel4_root_layout layout;
    (void)vs_sel4_root_layout_from_bootinfo_at(d->bi, sel4sim_bootinfo_vaddr(), sel4sim_ipc_buffer_vaddr(), 0, 0,
                                               &layout);
    kview before = kview_take(d);
    vs_result r = vs_sel4_root_vspace_create(d->be, heap_allocator(d), &layout, &d->root_vs);
    expect_result(d, r, VS_OK, "vs_sel4_root_vspace_create(ipc buffer, bootinfo, extra bootinfo reserved)");
    if (r == VS_OK) {
        print_kernel_delta(d, &before, 0);
    }
    return r == VS_OK ? 0 : -1;
}

/* ---- the two child vspaces ---- */

static vs_space *create_child(demo *d, vs_object *root, const char *name)
{
    char call[96];
    kview before = kview_take(d);
    int err = vs_sel4_create_root(d->be, root);
    snprintf(call, sizeof call, "vs_sel4_create_root(%s)", name);
    seL4_Word pa = 0;
    if (err == seL4_NoError) {
        (void)sel4sim_cap_paddr((seL4_CPtr)root->cap, &pa);
    }
    char outcome[96];
    snprintf(outcome, sizeof outcome, ": page directory cap 0x%llx at paddr 0x%08llx, ASID assigned",
             (unsigned long long)root->cap, (unsigned long long)pa);
    expect_sel4(d, err, call, outcome);
    if (err != seL4_NoError) {
        return NULL;
    }
    print_kernel_delta(d, &before, 1);
    vs_config cfg = {vs_arch_get(VS_ARCH_IA32), heap_allocator(d), vs_sel4_backend_kernel(d->be), root->cap, 0, 0};
    vs_space *vs = NULL;
    snprintf(call, sizeof call, "vs_create(%s, ia32, root cap 0x%llx)", name, (unsigned long long)root->cap);
    expect_result(d, vs_create(&cfg, &vs), VS_OK, call);
    return vs;
}

/* ---- reservations ---- */

static vs_reservation *reserve_at(demo *d, vs_addr at, unsigned pages, const char *name, unsigned rights)
{
    vs_attrs attrs = {name, (uint8_t)rights, VS_CACHE_DEFAULT};
    vs_reservation *res = NULL;
    char call[96];
    snprintf(call, sizeof call, "vs_reserve_at(0x%08llx, %u pages, \"%s\")", (unsigned long long)at, pages, name);
    expect_result(d, vs_reserve_at(d->app, at, (uint64_t)pages * PAGE, &attrs, &res), VS_OK, call);
    return res;
}

/* Reserves one page anywhere in vs and returns its address (0 on failure). */
static vs_addr reserve_anywhere(demo *d, vs_space *vs, const char *name)
{
    vs_attrs attrs = {name, VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_reservation *res = NULL;
    vs_result r = vs_reserve(vs, PAGE, 0, &attrs, &res);
    char call[96];
    vs_reservation_info info = {0};
    if (r == VS_OK) {
        vs_reservation_get_info(vs, res, &info);
    }
    snprintf(call, sizeof call, "vs_reserve(1 page, \"%s\") = 0x%08llx (lowest free range)", name,
             (unsigned long long)info.start);
    expect_result(d, r, VS_OK, call);
    return info.start;
}

static void reserve_regions(demo *d)
{
    heading("reserve the program's regions in 'app' (bookkeeping only: no kernel call)");
    kview before = kview_take(d);
    reserve_at(d, text_at, TEXT_PAGES, ".text", VS_RIGHT_READ | VS_RIGHT_EXEC);
    d->data = reserve_at(d, data_at, DATA_PAGES, ".data", VS_RIGHT_READ | VS_RIGHT_WRITE);
    /* The page below the stack stays unreserved: a guard that nothing maps. */
    reserve_at(d, stack_top - STACK_PAGES * PAGE, STACK_PAGES, "stack", VS_RIGHT_READ | VS_RIGHT_WRITE);
    printf("  guard page 0x%08llx left unreserved below the stack\n",
           (unsigned long long)(stack_top - (STACK_PAGES + 1) * PAGE));
    d->ipc_at = reserve_anywhere(d, d->app, "ipc buffer");
    print_kernel_delta(d, &before, 0);
}

/* ---- mapping ---- */

static void map_new(demo *d, vs_space *vs, vs_cap root, vs_addr at, unsigned pages, const char *what)
{
    char call[96];
    snprintf(call, sizeof call, "vs_map_new(0x%08llx, %u page%s) for %s", (unsigned long long)at, pages, plural(pages),
             what);
    kview before = kview_take(d);
    expect_result(d, vs_map_new(vs, at, pages, PAGE_BITS), VS_OK, call);
    print_kernel_delta(d, &before, 0);
    print_mmu(root, at, "app");
}

static void map_pages(demo *d)
{
    heading("map fresh frames (Page_Map reports a missing page table; the core retypes and maps one)");
    printf("  (ia32 has no execute-never bit: every user page is executable, so rw- shows as rwx)\n");
    vs_cap root = d->app_root.cap;
    map_new(d, d->app, root, text_at, TEXT_PAGES, ".text");
    map_new(d, d->app, root, data_at, DATA_PAGES, ".data");
    map_new(d, d->app, root, stack_top - STACK_MAPPED * PAGE, STACK_MAPPED, "top of stack");
    map_new(d, d->app, root, d->ipc_at, 1, "ipc buffer");
}

/* ---- the root task writes into the program's memory ---- */

/* Writes the greeting into the frame behind `page` through a temporary
 * mapping in the root task's vspace; returns 0 if every call succeeded. */
static int write_via_root(demo *d, const vs_page *page)
{
    vs_sel4_temp_map tm;
    int kerr = 0;
    kview before = kview_take(d);
    vs_result r = vs_sel4_temp_map_frame(d->be, d->root_vs, page->cap, page->size_bits, &tm, &kerr);
    expect_result(d, r, VS_OK, "vs_sel4_temp_map_frame(.data page 0)");
    if (r != VS_OK) {
        printf("  kernel error: %s\n", machine_error_name(kerr));
        return -1;
    }
    printf("  copy cap 0x%llx mapped read-write at 0x%08llx in the root task\n", (unsigned long long)tm.copy,
           (unsigned long long)tm.vaddr);
    print_kernel_delta(d, &before, 0);
    print_mmu(seL4_CapInitThreadVSpace, tm.vaddr + GREETING_AT, "root");
    /* On seL4 this is a memcpy to tm.vaddr; on the host the root task's
     * address space is simulated too, so the write goes through its MMU. */
    int w = sel4sim_vs_write(seL4_CapInitThreadVSpace, tm.vaddr + GREETING_AT, greeting, sizeof greeting);
    expect(d, w == 0, "root task writes the greeting at the temporary mapping");
    before = kview_take(d);
    expect_result(d, vs_sel4_temp_unmap(d->be, d->root_vs, &tm), VS_OK, "vs_sel4_temp_unmap");
    print_kernel_delta(d, &before, 0);
    return w;
}

static void write_and_read(demo *d)
{
    heading("the root task writes into .data; 'app' reads it through its own page tables");
    vs_page page;
    vs_result r = vs_lookup(d->app, data_at, &page);
    if (r != VS_OK || page.state != VS_PAGE_MAPPED) {
        expect(d, 0, "first .data page is mapped");
        return;
    }
    if (write_via_root(d, &page) != 0) {
        return;
    }
    char in[sizeof greeting] = "";
    vs_addr at = data_at + GREETING_AT;
    print_mmu(d->app_root.cap, at, "app");
    int rd = sel4sim_vs_read(d->app_root.cap, at, in, sizeof in);
    printf("  app reads at 0x%08llx: \"%s\"\n", (unsigned long long)at, rd == 0 ? in : "");
    expect(d, rd == 0 && memcmp(in, greeting, sizeof greeting) == 0, "same bytes, through the app's own MMU walk");
}

/* ---- sharing ---- */

static void share_ipc(demo *d)
{
    heading("share the IPC buffer into 'server'");
    d->server_ipc_at = reserve_anywhere(d, d->server, "ipc buffer (app)");
    kview before = kview_take(d);
    expect_result(d, vs_share(d->server, d->server_ipc_at, d->app, d->ipc_at, PAGE), VS_OK,
                  "vs_share(server <- app ipc buffer, 1 page)");
    print_kernel_delta(d, &before, 0);
    print_mmu(d->app_root.cap, d->ipc_at, "app");
    print_mmu(d->server_root.cap, d->server_ipc_at, "server");
}

/* ---- lookups ---- */

static const char *state_name(vs_page_state s)
{
    return s == VS_PAGE_MAPPED ? "MAPPED" : s == VS_PAGE_RESERVED ? "RESERVED" : "EMPTY";
}

static const char *owner_name(vs_page_owner o)
{
    return o == VS_OWNER_VSPACE ? "vspace" : o == VS_OWNER_COPY ? "copy" : "caller";
}

/* Looks vaddr up, prints it, and returns the page (state EMPTY on error). */
static vs_page show_page(demo *d, const vs_space *vs, const char *vs_name, vs_addr vaddr, const char *what)
{
    vs_page p;
    memset(&p, 0, sizeof p);
    vs_result r = vs_lookup(vs, vaddr, &p);
    if (r != VS_OK) {
        expect_result(d, r, VS_OK, "vs_lookup");
        p.state = VS_PAGE_EMPTY;
        return p;
    }
    printf("  %-6s 0x%08llx %-8s", vs_name, (unsigned long long)vaddr, state_name(p.state));
    if (p.state == VS_PAGE_MAPPED) {
        printf(" cap 0x%llx owner %-6s frame 0x%08llx", (unsigned long long)p.cap, owner_name(p.owner),
               (unsigned long long)frame_paddr(d, p.cap));
    }
    printf("  %s\n", what);
    return p;
}

static void lookups(demo *d)
{
    heading("look pages up (frame addresses from Page_GetAddress)");
    vs_page text = show_page(d, d->app, "app", text_at, ".text, first page");
    vs_page ipc = show_page(d, d->app, "app", d->ipc_at, "ipc buffer");
    vs_page shared = show_page(d, d->server, "server", d->server_ipc_at, "ipc buffer, shared");
    vs_page guard = show_page(d, d->app, "app", stack_top - (STACK_PAGES + 1) * PAGE, "guard page");
    vs_page low = show_page(d, d->app, "app", stack_top - STACK_PAGES * PAGE, "bottom of stack, not mapped yet");
    expect(d, text.state == VS_PAGE_MAPPED && text.owner == VS_OWNER_VSPACE,
           ".text page mapped, frame owned by the vspace");
    expect(d, shared.state == VS_PAGE_MAPPED && shared.owner == VS_OWNER_COPY && shared.cap != ipc.cap,
           "shared page mapped through its own cap copy");
    expect(d, ipc.state == VS_PAGE_MAPPED && frame_paddr(d, shared.cap) == frame_paddr(d, ipc.cap),
           "both vspaces see the same physical frame");
    expect(d, guard.state == VS_PAGE_EMPTY, "guard page is EMPTY");
    expect(d, low.state == VS_PAGE_RESERVED, "unmapped stack page is RESERVED");
}

/* ---- refusals: each must change nothing, not even in the kernel ---- */

typedef struct snapshot {
    vs_stats stats;
    size_t live;
    kview k;
} snapshot;

static snapshot snap(const demo *d)
{
    snapshot s;
    vs_get_stats(d->app, &s.stats);
    s.live = d->mem.live;
    s.k = kview_take(d);
    return s;
}

static int kernel_same(const kview *a, const kview *b)
{
    return a->m.free_slots == b->m.free_slots && a->m.live_objects == b->m.live_objects &&
           a->m.untyped_free == b->m.untyped_free && machine_watermarks_moved(&a->m, &b->m) == 0 &&
           a->objects == b->objects && a->copies == b->copies;
}

static void expect_unchanged(demo *d, const snapshot *before)
{
    snapshot now = snap(d);
    expect(d,
           now.stats.reservations == before->stats.reservations &&
               now.stats.mapped_pages == before->stats.mapped_pages &&
               now.stats.reserved_pages == before->stats.reserved_pages && now.live == before->live,
           "nothing changed: same reservations, pages, bookkeeping bytes");
    expect(d, kernel_same(&now.k, &before->k), "kernel unchanged: same slots, objects, untyped watermarks");
}

/* Reports a refused call; `before` was taken before the call was made. */
static void refused(demo *d, const snapshot *before, vs_result got, vs_result want, const char *call)
{
    expect_result(d, got, want, call);
    const vs_error_info *why = vs_last_error(d->app);
    printf("  message: \"%s\"\n", vs_strerror(got));
    printf("  detail:  %s at 0x%08llx\n", why->reason, (unsigned long long)why->vaddr);
    expect_unchanged(d, before);
}

static void refusals(demo *d)
{
    heading("refusals");
    snapshot before = snap(d);
    refused(d, &before, vs_free(d->app, d->data, 0), VS_ERR_HAS_MAPPINGS, "vs_free(.data) while 2 pages are mapped");

    before = snap(d);
    refused(d, &before, vs_map_new(d->app, stack_top - (STACK_PAGES + 1) * PAGE, 1, PAGE_BITS), VS_ERR_NOT_RESERVED,
            "vs_map_new(guard page)");

    vs_attrs attrs = {"overlap", VS_RIGHT_READ, VS_CACHE_DEFAULT};
    vs_reservation *res = NULL;
    before = snap(d);
    refused(d, &before, vs_reserve_at(d->app, data_at + PAGE, 4 * PAGE, &attrs, &res), VS_ERR_OVERLAP,
            "vs_reserve_at(over .data)");
}

/* ---- audit: the shadow against the kernel's page tables ---- */

static void report_violation(void *ctx, const vs_violation *v)
{
    (void)ctx;
    printf("    violation %s at 0x%08llx: %s (expected %llu, found %llu)\n", vs_violation_kind_name(v->kind),
           (unsigned long long)v->vaddr, v->what, (unsigned long long)v->expected, (unsigned long long)v->found);
}

static void check_one(demo *d, const vs_space *vs, const char *name)
{
    size_t count = 0;
    vs_result r = vs_check(vs, report_violation, NULL, &count);
    char call[96];
    snprintf(call, sizeof call, "vs_check(%s): %zu violations", name, count);
    expect_result(d, r, VS_OK, call);
}

/* What seL4 on ia32 grants for a reservation's rights: write and execute
 * imply read (x86 has no write-only pages) and ia32 has no execute-never
 * bit, so every user page is executable; no rights is a kernel-only page. */
static unsigned ia32_effective_rights(unsigned rights)
{
    if ((rights & VS_RIGHTS_ALL) == 0) {
        return 0;
    }
    return VS_RIGHT_READ | VS_RIGHT_EXEC | (rights & VS_RIGHT_WRITE);
}

typedef struct audit_ctx {
    const demo *d;
    const vs_space *vs;
    vs_cap root;
    unsigned mapped, mapped_agree;     /* MAPPED shadow pages */
    unsigned reserved, reserved_agree; /* RESERVED shadow pages */
} audit_ctx;

/* A MAPPED page: the kernel maps the same frame, page size and rights.
 * A RESERVED page: the kernel maps nothing there. */
static int page_agrees(const demo *d, vs_cap root, vs_addr va, const vs_page *p, unsigned rights)
{
    vs_translation t;
    if (sel4sim_vs_translate(NULL, root, va, &t) != 0) {
        return 0;
    }
    if (p->state != VS_PAGE_MAPPED) {
        return !t.mapped;
    }
    return t.mapped && t.paddr == frame_paddr(d, p->cap) + (va - p->page_vaddr) && t.size_bits == p->size_bits &&
           t.rights == ia32_effective_rights(rights);
}

static int audit_reservation(void *ctx, const vs_reservation *res)
{
    audit_ctx *a = ctx;
    vs_reservation_info info;
    vs_reservation_get_info(a->vs, res, &info);
    for (vs_addr va = info.start; va < info.end; va += PAGE) {
        vs_page p;
        int ok = vs_lookup(a->vs, va, &p) == VS_OK && page_agrees(a->d, a->root, va, &p, info.rights);
        if (!ok) {
            printf("    disagree at 0x%08llx in \"%s\"\n", (unsigned long long)va, info.name);
        }
        if (p.state == VS_PAGE_MAPPED) {
            a->mapped++;
            a->mapped_agree += (unsigned)ok;
        } else {
            a->reserved++;
            a->reserved_agree += (unsigned)ok;
        }
    }
    return 0;
}

static void check_kernel(demo *d)
{
    audit_ctx a = {d, d->app, d->app_root.cap, 0, 0, 0, 0};
    vs_for_each_reservation(d->app, audit_reservation, &a);
    a.vs = d->server;
    a.root = d->server_root.cap;
    vs_for_each_reservation(d->server, audit_reservation, &a);
    char line[200];
    snprintf(line, sizeof line, "kernel and shadow agree: %u of %u MAPPED pages (frame paddr, page size, rights)",
             a.mapped_agree, a.mapped);
    expect(d, a.mapped > 0 && a.mapped_agree == a.mapped, line);
    snprintf(line, sizeof line, "%u of %u RESERVED pages unmapped in the kernel too", a.reserved_agree, a.reserved);
    expect(d, a.reserved_agree == a.reserved, line);
    vs_translation t;
    vs_addr guard = stack_top - (STACK_PAGES + 1) * PAGE;
    expect(d, sel4sim_vs_translate(NULL, d->app_root.cap, guard, &t) == 0 && !t.mapped,
           "guard page faults in the app's MMU");
}

static void audit(demo *d)
{
    heading("audit: vs_check, then every shadow page against the MMU walk");
    check_one(d, d->app, "app");
    check_one(d, d->server, "server");
    check_one(d, d->root_vs, "root task");
    check_kernel(d);
}

/* ---- reports ---- */

static int print_reservation(void *ctx, const vs_reservation *res)
{
    vs_reservation_info info;
    char r[4];
    vs_reservation_get_info(ctx, res, &info);
    rights_text(info.rights, r);
    printf("  %-18s 0x%08llx-0x%08llx %6llu  %-6s %6llu\n", info.name, (unsigned long long)info.start,
           (unsigned long long)info.end, (unsigned long long)((info.end - info.start) / PAGE), r,
           (unsigned long long)info.mapped_pages);
    return 0;
}

static void print_vspace(const vs_space *vs, const char *name)
{
    vs_stats st;
    vs_get_stats(vs, &st);
    printf("\n  %s: %zu reservations, %llu pages reserved, %llu mapped, %zu page tables, %zu bookkeeping bytes\n", name,
           st.reservations, (unsigned long long)st.reserved_pages, (unsigned long long)st.mapped_pages,
           st.paging_tables, st.bookkeeping_bytes);
    printf("  %-18s %-21s %6s  %-6s %6s\n", "name", "range", "pages", "rights", "mapped");
    vs_for_each_reservation(vs, print_reservation, (void *)vs);
}

static void reports(const demo *d)
{
    heading("reservations");
    print_vspace(d->app, "app");
    print_vspace(d->server, "server");
    print_vspace(d->root_vs, "root task");
    printf("  (boot mappings: reserved so nothing else lands there, never unmapped)\n");
}

/* ---- teardown ---- */

static void destroy_child(demo *d, vs_space **vs, vs_object *root, const char *name)
{
    char call[64];
    if (*vs != NULL) {
        kview before = kview_take(d);
        snprintf(call, sizeof call, "vs_destroy(%s)", name);
        vs_result r = vs_destroy(*vs, 0, NULL);
        *vs = NULL;
        expect_result(d, r, VS_OK, call);
        print_kernel_delta(d, &before, 0);
    }
    if (root->cap != 0) {
        kview before = kview_take(d);
        snprintf(call, sizeof call, "vs_sel4_free_root(%s)", name);
        int err = vs_sel4_free_root(d->be, root);
        root->cap = 0;
        expect_sel4(d, err, call, ": page directory and its ASID gone");
        print_kernel_delta(d, &before, -1);
    }
}

static void destroy_backend(demo *d)
{
    if (d->root_vs != NULL) {
        /* Its page table (made for the temporary mapping) goes with it;
         * the boot mappings stay, they are the kernel's. */
        kview before = kview_take(d);
        vs_result r = vs_destroy(d->root_vs, 0, NULL);
        d->root_vs = NULL;
        expect_result(d, r, VS_OK, "vs_destroy(root task vspace)");
        print_kernel_delta(d, &before, 0);
    }
    if (d->alloc != NULL) {
        vs_sel4_alloc_stats st;
        vs_sel4_alloc_get_stats(d->alloc, &st);
        char line[160];
        snprintf(line, sizeof line, "object allocator: %zu objects, %zu cap copies, %zu busy untypeds left", st.objects,
                 st.copies, st.busy_untypeds);
        expect(d, st.objects == 0 && st.copies == 0 && st.busy_untypeds == 0, line);
    }
    vs_sel4_backend_destroy(d->be);
    vs_sel4_alloc_destroy(d->alloc);
    d->be = NULL;
    d->alloc = NULL;
}

/* The machine as boot left it: every watermark, the free untyped memory,
 * the free slots and the live objects; and no bookkeeping byte held. */
static void expect_boot_state(demo *d)
{
    machine_acct now;
    machine_acct_take(d->bi, &now);
    size_t moved = machine_watermarks_moved(&d->boot, &now);
    char line[200];
    snprintf(line, sizeof line, "untypeds: %zu of %zu watermarks at their boot values; %llu KiB free (boot: %llu KiB)",
             now.num_untypeds - moved, d->boot.num_untypeds, (unsigned long long)(now.untyped_free / 1024),
             (unsigned long long)(d->boot.untyped_free / 1024));
    expect(d, moved == 0 && now.untyped_free == d->boot.untyped_free, line);
    snprintf(line, sizeof line, "root CNode: %zu free slots (boot: %zu); kernel objects: %zu (boot: %zu)",
             now.free_slots, d->boot.free_slots, now.live_objects, d->boot.live_objects);
    expect(d, now.free_slots == d->boot.free_slots && now.live_objects == d->boot.live_objects, line);
    snprintf(line, sizeof line, "bookkeeping: %u allocations (peak %zu bytes) returned; %zu bytes still held",
             d->mem.frees, d->mem.peak, d->mem.live);
    expect(d, d->mem.live == 0 && d->mem.allocs == d->mem.frees, line);
}

static void teardown(demo *d)
{
    heading("tear down");
    if (d->data != NULL && d->app != NULL) {
        kview before = kview_take(d);
        expect_result(d, vs_free(d->app, d->data, VS_FREE_UNMAP | VS_FREE_FRAMES), VS_OK,
                      "vs_free(.data, VS_FREE_UNMAP | VS_FREE_FRAMES)");
        print_kernel_delta(d, &before, 0);
    }
    destroy_child(d, &d->server, &d->server_root, "server");
    destroy_child(d, &d->app, &d->app_root, "app");
    destroy_backend(d);
    heading("the machine is as boot left it");
    expect_boot_state(d);
}

/* ---- main ---- */

static int setup(demo *d)
{
    if (boot(d) != 0 || create_root_vspace(d) != 0) {
        return -1;
    }
    heading("create two child vspaces: 'app' and 'server'");
    d->app = create_child(d, &d->app_root, "app");
    d->server = create_child(d, &d->server_root, "server");
    return d->app != NULL && d->server != NULL ? 0 : -1;
}

int main(void)
{
    static demo d; /* the accounting snapshots are large for some stacks */
    if (setup(&d) == 0) {
        reserve_regions(&d);
        map_pages(&d);
        write_and_read(&d);
        share_ipc(&d);
        lookups(&d);
        refusals(&d);
        audit(&d);
        reports(&d);
    }
    if (d.bi != NULL) {
        teardown(&d);
    }
    sel4sim_shutdown();
    if (d.failures != 0) {
        printf("\nvspace-demo: %u step(s) did not behave as expected\n", d.failures);
        return 1;
    }
    printf("\nvspace-demo: every step behaved as expected\n");
    return 0;
}
