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

#include "../common/arena.h"
#include "../common/example_arch.h"
#include "../common/root_layout.h"
#include "../common/transcript.h"

/* What differs between a root task on seL4 and this source on the host
 * simulator: where the boot layout comes from (../common/root_layout.h),
 * and how the root task
 * touches its own memory (on the host, the root task's address space is
 * simulated). On seL4 they are defined below; host_launcher.c defines them
 * over the simulator. */
int vsroot_write(vs_addr vaddr, const void *buf, size_t len);
int vsroot_read(vs_addr vaddr, void *buf, size_t len);
int vsroot_main(void);

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

/* [start, start + 2 * lsize) is reserved and empty. A base page mapped
 * and unmapped at start + lsize leaves its empty table where a large page
 * goes, which the kernel maps no large page over: vspace takes it down
 * first. Here the kernel then refuses the large page (its frame is mapped
 * already, at start), and the table must be back as it was. */
static void large_over_table(vs_space *child, const vs_arch *arch, vs_addr start, uint64_t lsize)
{
    unsigned bits = arch->page_sizes[1].bits;
    example_step_res(vs_map_new(child, start + lsize, 1, 12), VS_OK, "vs_map_new(child, 4K where a large page goes)");
    example_step_res(vs_unmap(child, start + lsize, 4096, 0), VS_OK, "vs_unmap(it): its empty table stays");
    example_step_res(vs_map_new(child, start, 1, bits), VS_OK, "vs_map_new(child, 1 large page below it)");
    vs_cap mapped = vs_get_cap(child, start);
    vs_stats before, after;
    vs_get_stats(child, &before);
    example_step_res(vs_map(child, start + lsize, &mapped, NULL, 1, bits), VS_ERR_KERNEL,
                     "vs_map(a large frame mapped already, over the empty table): the kernel refuses");
    vs_get_stats(child, &after);
    example_step(after.paging_tables == before.paging_tables && after.bookkeeping_bytes == before.bookkeeping_bytes &&
                     after.mapped_pages == before.mapped_pages && vs_check(child, NULL, NULL, NULL) == VS_OK,
                 "refused: the table taken down for it is back, vs_check clean");
    example_step_res(vs_unmap(child, start, lsize, 0), VS_OK, "vs_unmap(the large page below)");
}

/* The child's part: small pages, a large page, teardown. */
static void child_steps(vs_sel4_backend *be, vs_space *root_vs, const vs_arch *arch)
{
    vs_object root;
    vs_space *child = NULL;
    vs_reservation *small = NULL, *large = NULL;
    if (!example_step(vs_sel4_create_root(be, &root) == seL4_NoError, "vs_sel4_create_root(child)")) {
        return;
    }
    vs_config cfg = {arch, example_arena(), vs_sel4_backend_kernel(be), root.cap, 0, 0};
    if (example_step_res(vs_create(&cfg, &child), VS_OK, "vs_create(child)")) {
        if (example_step_res(vs_reserve(child, 16 * 4096, 0, &rw, &small), VS_OK, "vs_reserve(child, 16 pages)")) {
            vs_reservation_info ri;
            vs_reservation_get_info(child, small, &ri);
            example_step_res(vs_map_new(child, ri.start, 16, 12), VS_OK, "vs_map_new(child, 16 x 4K)");
            example_step(write_read_via_root(be, root_vs, child, ri.start + 5 * 4096, 100, 1),
                         "write child page 5 through a temporary mapping, read back");
            example_step_res(vs_map_new(child, ri.start, 1, 12), VS_ERR_ALREADY_MAPPED,
                             "vs_map_new(child, mapped page)");
            example_step_res(vs_unmap(child, ri.start + 4 * 4096, 8 * 4096, 0), VS_OK, "vs_unmap(child, pages 4..11)");
            example_step(!write_read_via_root(be, root_vs, child, ri.start + 5 * 4096, 0, 2) &&
                             write_read_via_root(be, root_vs, child, ri.start + 12 * 4096, 0, 3),
                         "page 5 gone, page 12 still writable");
            example_step_res(vs_free(child, small, VS_FREE_UNMAP), VS_OK, "vs_free(child, UNMAP)");
        }
        const vs_page_size *lp = &arch->page_sizes[1];
        uint64_t lsize = (uint64_t)1 << lp->bits;
        char what[96];
        snprintf(what, sizeof(what), "vs_reserve(child, 2 x %s, aligned)", lp->name);
        if (example_step_res(vs_reserve(child, 2 * lsize, lsize, &rw, &large), VS_OK, what)) {
            vs_reservation_info ri;
            vs_reservation_get_info(child, large, &ri);
            large_over_table(child, arch, ri.start, lsize);
            snprintf(what, sizeof(what), "vs_map_new(child, 1 x %s)", lp->name);
            vs_stats before, after;
            vs_get_stats(child, &before);
            example_step_res(vs_map_new(child, ri.start + lsize, 1, lp->bits), VS_OK, what);
            vs_get_stats(child, &after);
            example_step(after.paging_tables + (lp->level + 1u < arch->num_levels) == before.paging_tables,
                         "the empty table under the large page is freed (where the arch has one there)");
            vs_page pg;
            example_step(vs_lookup(child, ri.start + lsize + lsize / 2, &pg) == VS_OK && pg.state == VS_PAGE_MAPPED &&
                             pg.size_bits == lp->bits && pg.page_vaddr == ri.start + lsize,
                         "vs_lookup(middle of the large page): one large page");
            example_step(write_read_via_root(be, root_vs, child, ri.start + lsize, lsize - 256, 4),
                         "write the large page's last bytes through a temporary mapping, read back");
            example_step_res(vs_unmap(child, ri.start + lsize, 4096, 0), VS_ERR_INVALID_ARG,
                             "vs_unmap(one base page of the large page)");
            example_step_res(vs_check(child, NULL, NULL, NULL), VS_OK, "vs_check(child)");
            example_step_res(vs_unmap(child, ri.start + lsize, lsize, 0), VS_OK, "vs_unmap(the large page)");
            example_step_res(vs_free(child, large, 0), VS_OK, "vs_free(child, large)");
        }
        example_step_res(vs_map_new(child, arch->user_base, 1, 12), VS_ERR_NOT_RESERVED,
                         "vs_map_new(child, unreserved)");
        example_step_res(vs_check(child, NULL, NULL, NULL), VS_OK, "vs_check(child)");
        example_step_res(vs_destroy(child, 0, NULL), VS_OK, "vs_destroy(child)");
    }
    example_step(vs_sel4_free_root(be, &root) == seL4_NoError, "vs_sel4_free_root(child)");
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
    example_step(boot_reserved, "root vspace: image, IPC buffer, bootinfo and every extra bootinfo page reserved");
    example_step_res(vs_reserve_at(root_vs, layout->bootinfo, 4096, &rw, NULL), VS_ERR_OVERLAP,
                     "vs_reserve_at(root vspace, bootinfo frame)");

    vs_reservation *res = NULL;
    if (!example_step_res(vs_reserve(root_vs, 4 * 4096, 0, &rw, &res), VS_OK, "vs_reserve(root vspace, 4 pages)")) {
        return;
    }
    vs_reservation_info ri;
    vs_reservation_get_info(root_vs, res, &ri);
    example_step_res(vs_map_new(root_vs, ri.start, 4, 12), VS_OK, "vs_map_new(root vspace, 4 x 4K)");
    unsigned char out[512], in[512];
    fill(out, sizeof(out), 7);
    memset(in, 0, sizeof(in));
    example_step(vsroot_write(ri.start + 4096 - 256, out, sizeof(out)) == 0 &&
                     vsroot_read(ri.start + 4096 - 256, in, sizeof(in)) == 0 && memcmp(in, out, sizeof(in)) == 0,
                 "root task writes across two of its new pages and reads back");
    example_step_res(vs_check(root_vs, NULL, NULL, NULL), VS_OK, "vs_check(root vspace)");
    example_step_res(vs_free(root_vs, res, VS_FREE_UNMAP), VS_OK, "vs_free(root vspace, UNMAP)");
}

int vsroot_main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    const vs_arch *arch = vs_arch_get(EXAMPLE_ARCH_ID);
    vs_allocator mem = example_arena();
    vs_sel4_alloc *alloc = NULL;
    vs_sel4_backend *be = NULL;
    vs_space *root_vs = NULL;
    vs_sel4_root_layout layout;
    vs_sel4_alloc_stats start, now;

    printf("vsroot " EXAMPLE_ARCH_NAME ": vspace over the seL4 backend\n");
    if (bi == NULL || arch == NULL) {
        printf("no bootinfo or architecture\n");
        return 1;
    }
    if (example_step_res(vs_sel4_alloc_create(bi, mem, &alloc), VS_OK, "vs_sel4_alloc_create(bootinfo)")) {
        vs_sel4_alloc_get_stats(alloc, &start);
        if (example_step_res(vs_sel4_backend_create(arch, alloc, mem, &be), VS_OK,
                             "vs_sel4_backend_create(" EXAMPLE_ARCH_NAME ")")) {
            example_step(example_root_layout(bi, &layout) == 0,
                         "vs_sel4_root_layout_from_bootinfo(bootinfo, image symbols)");
            if (example_step_res(vs_sel4_root_vspace_create(be, mem, &layout, &root_vs), VS_OK,
                                 "vs_sel4_root_vspace_create")) {
                root_steps(root_vs, bi, &layout);
                child_steps(be, root_vs, arch);
                example_step_res(vs_check(root_vs, NULL, NULL, NULL), VS_OK, "vs_check(root vspace)");
                example_step_res(vs_destroy(root_vs, 0, NULL), VS_OK, "vs_destroy(root vspace)");
            }
            vs_sel4_backend_destroy(be);
        }
        vs_sel4_alloc_get_stats(alloc, &now);
        example_step(same_stats(&start, &now), "object allocator back at its start (slots, objects, copies, untypeds)");
        vs_sel4_alloc_destroy(alloc);
    }
    example_step(example_arena_live() == 0, "every byte of bookkeeping memory returned");
    printf("vsroot " EXAMPLE_ARCH_NAME ": %d steps, %d failures\n", example_steps(), example_failures());
    return example_failures() != 0;
}

#ifndef ROOTTASK_HOST_LAUNCHER
/* On seL4 the root task is this program: it touches its own memory
 * directly (its boot layout: ../common/root_layout_sel4.c). */
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
