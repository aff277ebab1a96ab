/* A root task that uses vspace's library and seL4 backend exactly as
 * README "Embedding in an seL4 project" says: the object allocator from
 * bootinfo, the backend, the root task's own vspace (boot layout from
 * bootinfo and the linker symbols) and a child's; reserve, map, write
 * through a temporary mapping and read back, large pages, unmap, free,
 * destroy, vs_check, and the allocator back where it started.
 *
 * Each step prints one line ending in "ok" or "FAIL"; nothing printed
 * depends on the machine (no addresses, no counts of boot resources), so
 * the transcript on seL4 (examples/sel4) equals the one on the simulator
 * (host_launcher.c, run by `make test`). The architecture comes from the
 * CONFIG_ARCH_* macro seL4's build configuration defines. */
#include <sel4/sel4.h>
#include <sel4runtime.h>
#include <stdio.h>
#include <string.h>

#include <vs/sel4_backend.h>
#include <vs/space.h>

#if defined(CONFIG_ARCH_X86_64)
#define ARCH_NAME "x86_64"
#define ARCH_ID VS_ARCH_X86_64
#elif defined(CONFIG_ARCH_IA32)
#define ARCH_NAME "ia32"
#define ARCH_ID VS_ARCH_IA32
#elif defined(CONFIG_ARCH_AARCH64)
#define ARCH_NAME "aarch64"
#define ARCH_ID VS_ARCH_AARCH64
#elif defined(CONFIG_ARCH_AARCH32)
#define ARCH_NAME "aarch32"
#define ARCH_ID VS_ARCH_AARCH32
#elif defined(CONFIG_ARCH_RISCV64)
#define ARCH_NAME "riscv64"
#define ARCH_ID VS_ARCH_RISCV64
#elif defined(CONFIG_ARCH_RISCV32)
#define ARCH_NAME "riscv32"
#define ARCH_ID VS_ARCH_RISCV32
#else
#error "define one of CONFIG_ARCH_X86_64, _IA32, _AARCH64, _AARCH32, _RISCV64, _RISCV32"
#endif

/* What differs between a root task on seL4 and this source on the host
 * simulator: where the boot layout comes from, and how the root task
 * touches its own memory (on the host, the root task's address space is
 * simulated). On seL4 they are defined below; host_launcher.c defines them
 * over the simulator. */
int vsroot_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out);
int vsroot_write(vs_addr vaddr, const void *buf, size_t len);
int vsroot_read(vs_addr vaddr, void *buf, size_t len);
int vsroot_main(void);

/* ---- bookkeeping memory: a static arena with per-size free lists ---- */

#define ARENA_BYTES (2u << 20)
#define GRAIN 16u
#define NUM_CLASSES 64u /* sizes up to 1 KiB have their own list */

typedef struct free_block {
    struct free_block *next;
    size_t size;
} free_block;

static _Alignas(16) unsigned char arena[ARENA_BYTES];
static size_t arena_top, arena_live;
static free_block *small_free[NUM_CLASSES];
static free_block *large_free;

static size_t grain_up(size_t n)
{
    return (n + GRAIN - 1) & ~(size_t)(GRAIN - 1);
}

static void *arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    size_t n = grain_up(size == 0 ? 1 : size);
    free_block **list = n / GRAIN <= NUM_CLASSES ? &small_free[n / GRAIN - 1] : &large_free;
    for (free_block **p = list; *p != NULL; p = &(*p)->next) {
        if ((*p)->size == n) {
            free_block *b = *p;
            *p = b->next;
            arena_live += n;
            return b;
        }
    }
    if (ARENA_BYTES - arena_top < n) {
        return NULL;
    }
    void *r = &arena[arena_top];
    arena_top += n;
    arena_live += n;
    return r;
}

static void arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == NULL) {
        return;
    }
    size_t n = grain_up(size == 0 ? 1 : size);
    free_block *b = ptr;
    free_block **list = n / GRAIN <= NUM_CLASSES ? &small_free[n / GRAIN - 1] : &large_free;
    b->size = n;
    b->next = *list;
    *list = b;
    arena_live -= n;
}

/* ---- the transcript ---- */

static int steps, failures;

static int step(int ok, const char *what)
{
    steps++;
    if (!ok) {
        failures++;
    }
    printf("%02d %s : %s\n", steps, what, ok ? "ok" : "FAIL");
    return ok;
}

static int step_res(vs_result r, vs_result want, const char *what)
{
    char line[160];
    snprintf(line, sizeof(line), "%s -> %s", what, vs_result_name(r));
    return step(r == want, line);
}

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (unsigned char)(seed * 151u + i * 13u + (i >> 7));
    }
}

/* Writes a pattern into the frame mapped at `page` of `child` through a
 * temporary mapping in the root task, then maps the frame again and reads
 * the pattern back at `offset`. */
static int write_read_via_root(vs_sel4_backend *be, vs_space *root_vs, vs_space *child, vs_addr page, uint64_t offset,
                               unsigned seed)
{
    unsigned char out[256], in[256];
    vs_page pg;
    vs_sel4_temp_map tm;
    if (vs_lookup(child, page, &pg) != VS_OK || pg.state != VS_PAGE_MAPPED) {
        return 0;
    }
    fill(out, sizeof(out), seed);
    if (vs_sel4_temp_map_frame(be, root_vs, pg.cap, pg.size_bits, &tm, NULL) != VS_OK) {
        return 0;
    }
    int ok = vsroot_write(tm.vaddr + offset, out, sizeof(out)) == 0;
    ok = vs_sel4_temp_unmap(be, root_vs, &tm) == VS_OK && ok;
    if (!ok || vs_sel4_temp_map_frame(be, root_vs, pg.cap, pg.size_bits, &tm, NULL) != VS_OK) {
        return 0;
    }
    memset(in, 0, sizeof(in));
    ok = vsroot_read(tm.vaddr + offset, in, sizeof(in)) == 0 && memcmp(in, out, sizeof(in)) == 0;
    return vs_sel4_temp_unmap(be, root_vs, &tm) == VS_OK && ok;
}

static int is_reserved(const vs_space *vs, vs_addr a)
{
    vs_page pg;
    return vs_lookup(vs, a, &pg) == VS_OK && pg.state != VS_PAGE_EMPTY;
}

static int same_stats(const vs_sel4_alloc_stats *a, const vs_sel4_alloc_stats *b)
{
    return a->free_slots == b->free_slots && a->objects == b->objects && a->copies == b->copies &&
           a->busy_untypeds == b->busy_untypeds;
}

static const vs_attrs rw = {"data", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};

/* The child's part: small pages, a large page, teardown. */
static void child_steps(vs_sel4_backend *be, vs_space *root_vs, const vs_arch *arch)
{
    vs_object root;
    vs_space *child = NULL;
    vs_reservation *small = NULL, *large = NULL;
    if (!step(vs_sel4_create_root(be, &root) == seL4_NoError, "vs_sel4_create_root(child)")) {
        return;
    }
    vs_config cfg = {arch, {arena_alloc, arena_free, NULL}, vs_sel4_backend_kernel(be), root.cap, 0, 0};
    if (step_res(vs_create(&cfg, &child), VS_OK, "vs_create(child)")) {
        if (step_res(vs_reserve(child, 16 * 4096, 0, &rw, &small), VS_OK, "vs_reserve(child, 16 pages)")) {
            vs_reservation_info ri;
            vs_reservation_get_info(child, small, &ri);
            step_res(vs_map_new(child, ri.start, 16, 12), VS_OK, "vs_map_new(child, 16 x 4K)");
            step(write_read_via_root(be, root_vs, child, ri.start + 5 * 4096, 100, 1),
                 "write child page 5 through a temporary mapping, read back");
            step_res(vs_map_new(child, ri.start, 1, 12), VS_ERR_ALREADY_MAPPED, "vs_map_new(child, mapped page)");
            step_res(vs_unmap(child, ri.start + 4 * 4096, 8 * 4096, 0), VS_OK, "vs_unmap(child, pages 4..11)");
            step(!write_read_via_root(be, root_vs, child, ri.start + 5 * 4096, 0, 2) &&
                     write_read_via_root(be, root_vs, child, ri.start + 12 * 4096, 0, 3),
                 "page 5 gone, page 12 still writable");
            step_res(vs_free(child, small, VS_FREE_UNMAP), VS_OK, "vs_free(child, UNMAP)");
        }
        const vs_page_size *lp = &arch->page_sizes[1];
        uint64_t lsize = (uint64_t)1 << lp->bits;
        char what[96];
        snprintf(what, sizeof(what), "vs_reserve(child, 2 x %s, aligned)", lp->name);
        if (step_res(vs_reserve(child, 2 * lsize, lsize, &rw, &large), VS_OK, what)) {
            vs_reservation_info ri;
            vs_reservation_get_info(child, large, &ri);
            snprintf(what, sizeof(what), "vs_map_new(child, 1 x %s)", lp->name);
            step_res(vs_map_new(child, ri.start + lsize, 1, lp->bits), VS_OK, what);
            vs_page pg;
            step(vs_lookup(child, ri.start + lsize + lsize / 2, &pg) == VS_OK && pg.state == VS_PAGE_MAPPED &&
                     pg.size_bits == lp->bits && pg.page_vaddr == ri.start + lsize,
                 "vs_lookup(middle of the large page): one large page");
            step(write_read_via_root(be, root_vs, child, ri.start + lsize, lsize - 256, 4),
                 "write the large page's last bytes through a temporary mapping, read back");
            step_res(vs_unmap(child, ri.start + lsize, 4096, 0), VS_ERR_INVALID_ARG,
                     "vs_unmap(one base page of the large page)");
            step_res(vs_check(child, NULL, NULL, NULL), VS_OK, "vs_check(child)");
            step_res(vs_unmap(child, ri.start + lsize, lsize, 0), VS_OK, "vs_unmap(the large page)");
            step_res(vs_free(child, large, 0), VS_OK, "vs_free(child, large)");
        }
        step_res(vs_map_new(child, arch->user_base, 1, 12), VS_ERR_NOT_RESERVED, "vs_map_new(child, unreserved)");
        step_res(vs_check(child, NULL, NULL, NULL), VS_OK, "vs_check(child)");
        step_res(vs_destroy(child, 0, NULL), VS_OK, "vs_destroy(child)");
    }
    step(vs_sel4_free_root(be, &root) == seL4_NoError, "vs_sel4_free_root(child)");
}

/* The root task's own vspace: boot ranges reserved, a fresh mapping the
 * root task uses directly. */
static void root_steps(vs_space *root_vs, const seL4_BootInfo *bi, const vs_sel4_root_layout *layout)
{
    int boot_reserved = is_reserved(root_vs, layout->ipc_buffer) && is_reserved(root_vs, layout->bootinfo);
    vs_addr extra = layout->bootinfo + layout->bootinfo_size;
    for (seL4_Word p = bi->extraBIPages.start; p < bi->extraBIPages.end; p++) {
        boot_reserved = boot_reserved && is_reserved(root_vs, extra + (p - bi->extraBIPages.start) * 4096);
    }
    if (layout->image_end > layout->image_start) {
        boot_reserved =
            boot_reserved && is_reserved(root_vs, layout->image_start) && is_reserved(root_vs, layout->image_end - 1);
    }
    step(boot_reserved, "root vspace: image, IPC buffer, bootinfo and every extra bootinfo page reserved");
    step_res(vs_reserve_at(root_vs, layout->bootinfo, 4096, &rw, NULL), VS_ERR_OVERLAP,
             "vs_reserve_at(root vspace, bootinfo frame)");

    vs_reservation *res = NULL;
    if (!step_res(vs_reserve(root_vs, 4 * 4096, 0, &rw, &res), VS_OK, "vs_reserve(root vspace, 4 pages)")) {
        return;
    }
    vs_reservation_info ri;
    vs_reservation_get_info(root_vs, res, &ri);
    step_res(vs_map_new(root_vs, ri.start, 4, 12), VS_OK, "vs_map_new(root vspace, 4 x 4K)");
    unsigned char out[512], in[512];
    fill(out, sizeof(out), 7);
    memset(in, 0, sizeof(in));
    step(vsroot_write(ri.start + 4096 - 256, out, sizeof(out)) == 0 &&
             vsroot_read(ri.start + 4096 - 256, in, sizeof(in)) == 0 && memcmp(in, out, sizeof(in)) == 0,
         "root task writes across two of its new pages and reads back");
    step_res(vs_check(root_vs, NULL, NULL, NULL), VS_OK, "vs_check(root vspace)");
    step_res(vs_free(root_vs, res, VS_FREE_UNMAP), VS_OK, "vs_free(root vspace, UNMAP)");
}

int vsroot_main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    const vs_arch *arch = vs_arch_get(ARCH_ID);
    vs_allocator mem = {arena_alloc, arena_free, NULL};
    vs_sel4_alloc *alloc = NULL;
    vs_sel4_backend *be = NULL;
    vs_space *root_vs = NULL;
    vs_sel4_root_layout layout;
    vs_sel4_alloc_stats start, now;

    printf("vsroot " ARCH_NAME ": vspace over the seL4 backend\n");
    if (bi == NULL || arch == NULL) {
        printf("no bootinfo or architecture\n");
        return 1;
    }
    if (step_res(vs_sel4_alloc_create(bi, mem, &alloc), VS_OK, "vs_sel4_alloc_create(bootinfo)")) {
        vs_sel4_alloc_get_stats(alloc, &start);
        if (step_res(vs_sel4_backend_create(arch, alloc, mem, &be), VS_OK, "vs_sel4_backend_create(" ARCH_NAME ")")) {
            step(vsroot_layout(bi, &layout) == 0, "vs_sel4_root_layout_from_bootinfo(bootinfo, image symbols)");
            if (step_res(vs_sel4_root_vspace_create(be, mem, &layout, &root_vs), VS_OK, "vs_sel4_root_vspace_create")) {
                root_steps(root_vs, bi, &layout);
                child_steps(be, root_vs, arch);
                step_res(vs_check(root_vs, NULL, NULL, NULL), VS_OK, "vs_check(root vspace)");
                step_res(vs_destroy(root_vs, 0, NULL), VS_OK, "vs_destroy(root vspace)");
            }
            vs_sel4_backend_destroy(be);
        }
        vs_sel4_alloc_get_stats(alloc, &now);
        step(same_stats(&start, &now), "object allocator back at its start (slots, objects, copies, untypeds)");
        vs_sel4_alloc_destroy(alloc);
    }
    step(arena_live == 0, "every byte of bookkeeping memory returned");
    printf("vsroot " ARCH_NAME ": %d steps, %d failures\n", steps, failures);
    return failures != 0;
}

#ifndef ROOTTASK_HOST_LAUNCHER
/* On seL4 the root task is this program: its image lies between the
 * linker's __executable_start and _end, and it touches its own memory
 * directly. */
extern char __executable_start[], _end[];

int vsroot_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out)
{
    return vs_sel4_root_layout_from_bootinfo(bi, (vs_addr)(uintptr_t)__executable_start, (vs_addr)(uintptr_t)_end,
                                             out) == VS_OK
               ? 0
               : -1;
}

int vsroot_write(vs_addr vaddr, const void *buf, size_t len)
{
    memcpy((void *)(uintptr_t)vaddr, buf, len);
    return 0;
}

int vsroot_read(vs_addr vaddr, void *buf, size_t len)
{
    memcpy(buf, (const void *)(uintptr_t)vaddr, len);
    return 0;
}

int main(void)
{
    return vsroot_main();
}
#endif
