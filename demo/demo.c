/* vspace-demo: a guided run of the core on ia32 (the seed's platform)
 * against a small recording kernel that prints every call it receives.
 *
 * It builds the address space a loader would build for a small program
 * (.text, .data, a stack with a guard page below it, an IPC buffer), shares
 * the IPC buffer into a second vspace, shows the refusals that keep the
 * bookkeeping honest, audits, prints the reservations, and tears down.
 *
 * Exit status 0 only if every step behaved as documented, so the demo
 * doubles as a smoke test; 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vspace/vspace.h>

#include "fake_kernel.h"

enum { PAGE = 0x1000 };

/* The program's layout on ia32 (user range 0x1000..0xe0000000). */
static const vs_addr text_at = 0x00400000u;
static const vs_addr data_at = 0x00404000u;
static const vs_addr stack_top = 0x80000000u;
enum { TEXT_PAGES = 4, DATA_PAGES = 2, STACK_PAGES = 8, STACK_MAPPED = 2 };
enum { APP_ROOT = 0x10, SERVER_ROOT = 0x11 }; /* the two vspace root caps */

typedef struct heap {
    size_t live, peak;
    unsigned allocs, frees;
} heap;

typedef struct demo {
    fake_kernel fk;
    heap mem;
    vspace *app;    /* the program's vspace */
    vspace *server; /* a second vspace the IPC buffer is shared into */
    vs_reservation *data;
    vs_addr ipc_at;        /* where vs_reserve put the app's IPC buffer */
    vs_addr server_ipc_at; /* and the server's view of it */
    unsigned failures;
} demo;

/* ---- allocator and helpers ---- */

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

static void expect(demo *d, int ok, const char *what)
{
    printf("  %s %s\n", ok ? "ok:    " : "FAILED:", what);
    if (!ok) {
        d->failures++;
    }
}

static void expect_result(demo *d, vs_result got, vs_result want, const char *call)
{
    char line[160];
    snprintf(line, sizeof line, "%s -> %s", call, vs_result_name(got));
    if (got != want) {
        snprintf(line + strlen(line), sizeof line - strlen(line), " (expected %s: %s)", vs_result_name(want),
                 vs_strerror(got));
    }
    expect(d, got == want, line);
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

/* ---- steps ---- */

static vspace *create(demo *d, vs_cap root, const char *name)
{
    vs_config cfg = {
        .arch = vs_arch_get(VS_ARCH_IA32),
        .allocator = {heap_alloc, heap_free, &d->mem},
        .kernel = fk_kernel(&d->fk),
        .root = root,
        .range_base = 0,
        .range_end = 0,
    };
    vspace *vs = NULL;
    char call[64];
    snprintf(call, sizeof call, "vs_create(%s, ia32, root cap 0x%llx)", name, (unsigned long long)root);
    expect_result(d, vs_create(&cfg, &vs), VS_OK, call);
    return vs;
}

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
static vs_addr reserve_anywhere(demo *d, vspace *vs, const char *name)
{
    vs_attrs attrs = {name, VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_reservation *res = NULL;
    vs_result r = vs_reserve(vs, PAGE, 0, &attrs, &res);
    char call[96];
    vs_reservation_info info = {0};
    if (r == VS_OK) {
        vs_reservation_get_info(res, &info);
    }
    snprintf(call, sizeof call, "vs_reserve(1 page, \"%s\") = 0x%08llx (lowest free range)", name,
             (unsigned long long)info.start);
    expect_result(d, r, VS_OK, call);
    return info.start;
}

static void reserve_regions(demo *d)
{
    heading("reserve the program's regions in 'app'");
    reserve_at(d, text_at, TEXT_PAGES, ".text", VS_RIGHT_READ | VS_RIGHT_EXEC);
    d->data = reserve_at(d, data_at, DATA_PAGES, ".data", VS_RIGHT_READ | VS_RIGHT_WRITE);
    /* The page below the stack stays unreserved: a guard that nothing maps. */
    reserve_at(d, stack_top - STACK_PAGES * PAGE, STACK_PAGES, "stack", VS_RIGHT_READ | VS_RIGHT_WRITE);
    printf("  guard page 0x%08llx left unreserved below the stack\n",
           (unsigned long long)(stack_top - (STACK_PAGES + 1) * PAGE));
    d->ipc_at = reserve_anywhere(d, d->app, "ipc buffer");
}

static void map_new(demo *d, vspace *vs, vs_addr at, unsigned pages, const char *what)
{
    char call[96];
    snprintf(call, sizeof call, "vs_map_new(0x%08llx, %u page%s) for %s", (unsigned long long)at, pages,
             pages == 1 ? "" : "s", what);
    printf("  %s:\n", call);
    expect_result(d, vs_map_new(vs, at, pages, 12), VS_OK, call);
}

static void map_pages(demo *d)
{
    heading("map fresh frames (the kernel reports missing page tables; the core adds them)");
    map_new(d, d->app, text_at, TEXT_PAGES, ".text");
    map_new(d, d->app, data_at, DATA_PAGES, ".data");
    map_new(d, d->app, stack_top - STACK_MAPPED * PAGE, STACK_MAPPED, "top of stack");
    map_new(d, d->app, d->ipc_at, 1, "ipc buffer");
}

static void share_ipc(demo *d)
{
    heading("share the IPC buffer into 'server'");
    d->server_ipc_at = reserve_anywhere(d, d->server, "ipc buffer (app)");
    expect_result(d, vs_share(d->server, d->server_ipc_at, d->app, d->ipc_at, PAGE), VS_OK,
                  "vs_share(server <- app ipc buffer, 1 page)");
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
static vs_page show_page(demo *d, const vspace *vs, const char *vs_name, vs_addr vaddr, const char *what)
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
        const fk_slot *s = fk_slot_of(&d->fk, p.cap);
        printf(" cap 0x%llx owner %-6s frame 0x%08llx", (unsigned long long)p.cap, owner_name(p.owner),
               s != NULL ? (unsigned long long)s->paddr : 0ull);
    }
    printf("  %s\n", what);
    return p;
}

static vs_addr paddr_of(const demo *d, vs_cap cap)
{
    const fk_slot *s = fk_slot_of(&d->fk, cap);
    return s != NULL ? s->paddr : 0;
}

static void lookups(demo *d)
{
    heading("look pages up");
    vs_page text = show_page(d, d->app, "app", text_at, ".text, first page");
    vs_page ipc = show_page(d, d->app, "app", d->ipc_at, "ipc buffer");
    vs_page shared = show_page(d, d->server, "server", d->server_ipc_at, "ipc buffer, shared");
    vs_page guard = show_page(d, d->app, "app", stack_top - (STACK_PAGES + 1) * PAGE, "guard page");
    vs_page low = show_page(d, d->app, "app", stack_top - STACK_PAGES * PAGE, "bottom of stack, not mapped yet");
    expect(d, text.state == VS_PAGE_MAPPED && text.owner == VS_OWNER_VSPACE,
           ".text page mapped, frame owned by the vspace");
    expect(d, shared.state == VS_PAGE_MAPPED && shared.owner == VS_OWNER_COPY && shared.cap != ipc.cap,
           "shared page mapped through its own cap copy");
    expect(d, ipc.state == VS_PAGE_MAPPED && paddr_of(d, shared.cap) == paddr_of(d, ipc.cap),
           "both vspaces see the same physical frame");
    expect(d, guard.state == VS_PAGE_EMPTY, "guard page is EMPTY");
    expect(d, low.state == VS_PAGE_RESERVED, "unmapped stack page is RESERVED");
}

/* ---- refusals: each must change nothing, not even in the kernel ---- */

typedef struct snapshot {
    vs_stats stats;
    size_t live;
    unsigned calls;
} snapshot;

static snapshot snap(const demo *d)
{
    snapshot s;
    vs_get_stats(d->app, &s.stats);
    s.live = d->mem.live;
    s.calls = d->fk.calls;
    return s;
}

static void expect_unchanged(demo *d, const snapshot *before)
{
    snapshot now = snap(d);
    expect(d,
           now.stats.reservations == before->stats.reservations &&
               now.stats.mapped_pages == before->stats.mapped_pages &&
               now.stats.reserved_pages == before->stats.reserved_pages && now.live == before->live &&
               now.calls == before->calls,
           "nothing changed: same reservations, pages, bookkeeping bytes; no kernel call");
}

static void refusals(demo *d)
{
    heading("refusals");
    snapshot before = snap(d);
    vs_result r = vs_free(d->app, d->data, 0);
    expect_result(d, r, VS_ERR_HAS_MAPPINGS, "vs_free(.data) while 2 pages are mapped");
    printf("  message: \"%s\"\n", vs_strerror(r));
    expect_unchanged(d, &before);

    r = vs_map_new(d->app, stack_top - (STACK_PAGES + 1) * PAGE, 1, 12);
    expect_result(d, r, VS_ERR_NOT_RESERVED, "vs_map_new(guard page)");
    printf("  message: \"%s\"\n", vs_strerror(r));
    expect_unchanged(d, &before);

    vs_attrs attrs = {"overlap", VS_RIGHT_READ, VS_CACHE_DEFAULT};
    vs_reservation *res = NULL;
    r = vs_reserve_at(d->app, data_at + PAGE, 4 * PAGE, &attrs, &res);
    expect_result(d, r, VS_ERR_OVERLAP, "vs_reserve_at(over .data)");
    printf("  message: \"%s\"\n", vs_strerror(r));
    expect_unchanged(d, &before);
}

/* ---- audit ---- */

static void report_violation(void *ctx, const vs_violation *v)
{
    (void)ctx;
    printf("    violation %s at 0x%08llx: %s (expected %llu, found %llu)\n", vs_violation_kind_name(v->kind),
           (unsigned long long)v->vaddr, v->what, (unsigned long long)v->expected, (unsigned long long)v->found);
}

static void check_one(demo *d, const vspace *vs, const char *name)
{
    size_t count = 0;
    vs_result r = vs_check(vs, report_violation, NULL, &count);
    char call[96];
    snprintf(call, sizeof call, "vs_check(%s): %zu violations", name, count);
    expect_result(d, r, VS_OK, call);
}

/* The kernel's side of I2, as far as this demo can see it: every frame the
 * kernel has mapped is a MAPPED shadow entry with the same cap, start and
 * rights, and the shadow holds no mapping the kernel lacks. */
static int kernel_entry_agrees(const demo *d, const fk_slot *s, vs_cap cap)
{
    const vspace *vs = s->root == APP_ROOT ? d->app : d->server;
    vs_page p;
    vs_reservation *res = NULL;
    vs_reservation_info info;
    if (vs_lookup(vs, s->vaddr, &p) != VS_OK || p.state != VS_PAGE_MAPPED || p.cap != cap || p.page_vaddr != s->vaddr ||
        vs_find(vs, s->vaddr, &res) != VS_OK) {
        return 0;
    }
    vs_reservation_get_info(res, &info);
    return info.rights == s->rights;
}

static void check_kernel(demo *d)
{
    fk_census c = fk_count(&d->fk);
    unsigned agree = 0;
    for (size_t i = 0; i < d->fk.used; i++) {
        const fk_slot *s = &d->fk.slots[i];
        if (s->live && s->mapped && s->kind == VS_OBJ_FRAME) {
            agree += (unsigned)kernel_entry_agrees(d, s, FK_FIRST_CAP + (vs_cap)i);
        }
    }
    vs_stats a, b;
    vs_get_stats(d->app, &a);
    vs_get_stats(d->server, &b);
    char line[160];
    snprintf(line, sizeof line, "kernel and shadow agree: %u of %u kernel mappings match, shadow holds %llu", agree,
             c.mapped, (unsigned long long)a.mapped_pages + b.mapped_pages);
    expect(d, agree == c.mapped && c.mapped == a.mapped_pages + b.mapped_pages && d->fk.overmaps == 0, line);
}

static void audit(demo *d)
{
    heading("audit");
    check_one(d, d->app, "app");
    check_one(d, d->server, "server");
    check_kernel(d);
}

/* ---- reports ---- */

static int print_reservation(void *ctx, const vs_reservation *res)
{
    (void)ctx;
    vs_reservation_info info;
    char r[4];
    vs_reservation_get_info(res, &info);
    rights_text(info.rights, r);
    printf("  %-18s 0x%08llx-0x%08llx %6llu  %-6s %6llu\n", info.name, (unsigned long long)info.start,
           (unsigned long long)info.end, (unsigned long long)((info.end - info.start) / PAGE), r,
           (unsigned long long)info.mapped_pages);
    return 0;
}

static void print_vspace(const vspace *vs, const char *name)
{
    vs_stats st;
    vs_get_stats(vs, &st);
    printf("\n  %s: %zu reservations, %llu pages reserved, %llu mapped, %zu page tables, %zu bookkeeping bytes\n", name,
           st.reservations, (unsigned long long)st.reserved_pages, (unsigned long long)st.mapped_pages,
           st.paging_tables, st.bookkeeping_bytes);
    printf("  %-18s %-21s %6s  %-6s %6s\n", "name", "range", "pages", "rights", "mapped");
    vs_for_each_reservation(vs, print_reservation, NULL);
}

static void reports(const demo *d)
{
    heading("reservations");
    print_vspace(d->app, "app");
    print_vspace(d->server, "server");
}

/* ---- teardown ---- */

static void teardown(demo *d)
{
    heading("tear down");
    printf("  vs_free(.data, VS_FREE_UNMAP | VS_FREE_FRAMES):\n");
    expect_result(d, vs_free(d->app, d->data, VS_FREE_UNMAP | VS_FREE_FRAMES), VS_OK, "vs_free(.data) with unmap");
    printf("  vs_destroy(server):\n");
    expect_result(d, vs_destroy(d->server, 0, NULL), VS_OK, "vs_destroy(server)");
    printf("  vs_destroy(app):\n");
    expect_result(d, vs_destroy(d->app, 0, NULL), VS_OK, "vs_destroy(app)");
    fk_census c = fk_count(&d->fk);
    char line[160];
    snprintf(line, sizeof line, "kernel: %u frames, %u page tables, %u cap copies, %u mappings left", c.frames,
             c.tables, c.copies, c.mapped);
    expect(d, c.frames == 0 && c.tables == 0 && c.copies == 0 && c.mapped == 0, line);
    snprintf(line, sizeof line, "bookkeeping: %u allocations (peak %zu bytes) returned; %zu bytes still held",
             d->mem.frees, d->mem.peak, d->mem.live);
    expect(d, d->mem.live == 0 && d->mem.allocs == d->mem.frees, line);
}

int main(void)
{
    static demo d; /* the fake kernel's slots are too big for some stacks */
    fk_init(&d.fk, vs_arch_get(VS_ARCH_IA32));
    heading("create two vspaces on ia32");
    d.app = create(&d, APP_ROOT, "app");
    d.server = create(&d, SERVER_ROOT, "server");
    if (d.app == NULL || d.server == NULL) {
        return 1;
    }
    reserve_regions(&d);
    map_pages(&d);
    share_ipc(&d);
    lookups(&d);
    refusals(&d);
    audit(&d);
    reports(&d);
    teardown(&d);
    if (d.failures != 0) {
        printf("\nvspace-demo: %u step(s) did not behave as expected\n", d.failures);
        return 1;
    }
    printf("\nvspace-demo: every step behaved as expected\n");
    return 0;
}
