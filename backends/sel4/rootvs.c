/* The root task's own address space: a vspace over seL4_CapInitThreadVSpace
 * that knows which ranges the kernel already mapped at boot, and temporary
 * mappings of other vspaces' frames into it so a loader can fill them. */
#include <vs/sel4_backend.h>
#include <vs/undo.h>

static const uint64_t base_page = 4096; /* the base page on all six arches */

static vs_addr round_down(vs_addr a)
{
    return a & ~(base_page - 1);
}

static vs_addr round_up(vs_addr a)
{
    return (a + base_page - 1) & ~(base_page - 1);
}

/* Reserves [start, end) rounded out to whole pages; an empty range
 * (start == end) is skipped; layout_ok has refused inverted ones. Boot
 * mappings are read-write data or code: the reservation's rights only
 * matter for pages vspace maps itself, which are none here. */
static vs_result reserve_range(vs_space *vs, const char *name, vs_addr start, vs_addr end)
{
    if (end == start) {
        return VS_OK;
    }
    vs_addr lo = round_down(start);
    vs_attrs attrs = {name, VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    return vs_reserve_at(vs, lo, round_up(end) - lo, &attrs, NULL);
}

/* Every range of the layout ends at or after its start (end == start is
 * empty; end < start, or a size that wraps, would silently reserve
 * nothing and later hand the root task's own pages out). */
static int layout_ok(const vs_sel4_root_layout *l)
{
    vs_addr bi_end = l->bootinfo + l->bootinfo_size;
    return l->image_end >= l->image_start && l->extra_end >= l->extra_start && bi_end >= l->bootinfo &&
           bi_end + l->extra_bootinfo_size >= bi_end && l->ipc_buffer + base_page > l->ipc_buffer;
}

static vs_result reserve_layout(vs_space *vs, const vs_sel4_root_layout *l)
{
    vs_result r = reserve_range(vs, "image", l->image_start, l->image_end);
    if (r == VS_OK && l->ipc_buffer != 0) {
        r = reserve_range(vs, "ipc-buffer", l->ipc_buffer, l->ipc_buffer + base_page);
    }
    if (r == VS_OK) {
        r = reserve_range(vs, "bootinfo", l->bootinfo, l->bootinfo + l->bootinfo_size);
    }
    if (r == VS_OK) {
        vs_addr extra_bi = l->bootinfo + l->bootinfo_size;
        r = reserve_range(vs, "extra-bootinfo", extra_bi, extra_bi + l->extra_bootinfo_size);
    }
    if (r == VS_OK) {
        r = reserve_range(vs, "extra", l->extra_start, l->extra_end);
    }
    return r;
}

vs_result vs_sel4_root_layout_from_bootinfo_at(const seL4_BootInfo *bi, vs_addr bootinfo_vaddr,
                                               vs_addr ipc_buffer_vaddr, vs_addr image_start, vs_addr image_end,
                                               vs_sel4_root_layout *out)
{
    if (bi == NULL || out == NULL || image_end < image_start) {
        return VS_ERR_INVALID_ARG;
    }
    /* The kernel maps a power of two of pages for bi->extraLen bytes and
     * gives a cap to each in bi->extraBIPages: reserve all of them. */
    uint64_t extra_pages = (uint64_t)(bi->extraBIPages.end - bi->extraBIPages.start) * base_page;
    uint64_t extra_len = round_up(bi->extraLen);
    *out = (vs_sel4_root_layout){
        .image_start = image_start,
        .image_end = image_end,
        .ipc_buffer = ipc_buffer_vaddr,
        .bootinfo = bootinfo_vaddr,
        .bootinfo_size = seL4_BootInfoFrameSize,
        .extra_bootinfo_size = extra_pages > extra_len ? extra_pages : extra_len,
    };
    return VS_OK;
}

vs_result vs_sel4_root_layout_from_bootinfo(const seL4_BootInfo *bi, vs_addr image_start, vs_addr image_end,
                                            vs_sel4_root_layout *out)
{
    if (bi == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    return vs_sel4_root_layout_from_bootinfo_at(bi, (vs_addr)(uintptr_t)bi, (vs_addr)(uintptr_t)bi->ipcBuffer,
                                                image_start, image_end, out);
}

vs_result vs_sel4_root_vspace_create(vs_sel4_backend *be, vs_allocator mem, const vs_sel4_root_layout *layout,
                                     vs_space **out)
{
    if (be == NULL || layout == NULL || out == NULL || !layout_ok(layout)) {
        return VS_ERR_INVALID_ARG;
    }
    vs_config cfg = {
        .arch = vs_sel4_backend_arch(be),
        .allocator = mem,
        .kernel = vs_sel4_backend_kernel(be),
        .root = seL4_CapInitThreadVSpace,
    };
    vs_space *vs;
    vs_result r = vs_create(&cfg, &vs);
    if (r != VS_OK) {
        return r;
    }
    r = reserve_layout(vs, layout);
    if (r != VS_OK) {
        /* Only reservations exist yet, so this teardown makes no kernel call. */
        (void)vs_destroy(vs, 0, NULL);
        return r;
    }
    *out = vs;
    return VS_OK;
}

/* ---- temporary mappings ---- */

static vs_result temp_reserve(vs_space *root_vs, uint64_t size, uint64_t align, vs_reservation **res, vs_addr *vaddr)
{
    vs_attrs attrs = {"temp-map", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_result r = vs_reserve(root_vs, size, align, &attrs, res);
    if (r == VS_OK) {
        vs_reservation_info info;
        vs_reservation_get_info(root_vs, *res, &info);
        *vaddr = info.start;
    }
    return r;
}

static void delete_copies(vs_kernel k, vs_cap *copies, size_t n)
{
    while (n-- > 0) {
        (void)k.ops->delete_cap(k.ctx, copies[n]);
    }
}

/* Reserves a free range and maps caps[0..n) there; on error neither is
 * left. */
static vs_result map_at_free_range(vs_space *root_vs, const vs_cap *caps, vs_sel4_temp_run *m, int *kernel_error)
{
    m->table_mark = vs_table_mark(root_vs);
    vs_result r = temp_reserve(root_vs, m->size, (uint64_t)1 << m->size_bits, &m->res, &m->vaddr);
    if (r == VS_OK) {
        r = vs_map(root_vs, m->vaddr, caps, NULL, m->n, m->size_bits);
        if (r != VS_OK) {
            if (r == VS_ERR_KERNEL && kernel_error != NULL) {
                *kernel_error = vs_last_kernel_error(root_vs);
            }
            (void)vs_free(root_vs, m->res, 0);
        }
    }
    return r;
}

static int run_args_ok(vs_sel4_backend *be, vs_space *root_vs, const vs_cap *frames, size_t n, unsigned size_bits,
                       const vs_sel4_temp_run *out)
{
    return be != NULL && root_vs != NULL && frames != NULL && out != NULL && n != 0 && size_bits >= 12 &&
           size_bits <= 40 && n <= ((uint64_t)1 << (63 - size_bits));
}

/* Order: copies, reserve, map; each failure undoes the steps before it. */
vs_result vs_sel4_temp_map_run(vs_sel4_backend *be, vs_space *root_vs, const vs_cap *frames, size_t n,
                               unsigned size_bits, vs_cap *copies, vs_sel4_temp_run *out, int *kernel_error)
{
    if (!run_args_ok(be, root_vs, frames, n, size_bits, out) || copies == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_kernel k = vs_sel4_backend_kernel(be);
    vs_sel4_temp_run m = {.size = (uint64_t)n << size_bits, .n = n, .size_bits = size_bits, .copies = copies};
    for (size_t i = 0; i < n; i++) {
        int err = k.ops->copy_cap(k.ctx, frames[i], &copies[i]);
        if (err != 0) {
            delete_copies(k, copies, i);
            if (kernel_error != NULL) {
                *kernel_error = err;
            }
            return VS_ERR_KERNEL;
        }
    }
    vs_result r = map_at_free_range(root_vs, copies, &m, kernel_error);
    if (r != VS_OK) {
        delete_copies(k, copies, n);
        return r;
    }
    m.copied = n;
    m.mapped = 1;
    *out = m;
    return VS_OK;
}

vs_result vs_sel4_temp_map_unmapped(vs_sel4_backend *be, vs_space *root_vs, const vs_cap *frames, size_t n,
                                    unsigned size_bits, vs_sel4_temp_run *out, int *kernel_error)
{
    if (!run_args_ok(be, root_vs, frames, n, size_bits, out)) {
        return VS_ERR_INVALID_ARG;
    }
    vs_sel4_temp_run m = {.size = (uint64_t)n << size_bits, .n = n, .size_bits = size_bits};
    vs_result r = map_at_free_range(root_vs, frames, &m, kernel_error);
    if (r == VS_OK) {
        m.mapped = 1;
        *out = m;
    }
    return r;
}

vs_result vs_sel4_temp_unmap_run(vs_sel4_backend *be, vs_space *root_vs, vs_sel4_temp_run *run)
{
    if (be == NULL || root_vs == NULL || run == NULL || run->res == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    /* Unmap keeping the caps (ours, VS_OWNER_CALLER pages), then delete
     * the copies ourselves, then drop the now empty reservation. */
    if (run->mapped) {
        vs_result r = vs_unmap(root_vs, run->vaddr, run->size, 0);
        if (r != VS_OK) {
            return r;
        }
        run->mapped = 0;
    }
    vs_kernel k = vs_sel4_backend_kernel(be);
    while (run->copied > 0) {
        if (k.ops->delete_cap(k.ctx, run->copies[run->copied - 1]) != 0) {
            return VS_ERR_KERNEL;
        }
        run->copied--;
    }
    vs_result r = vs_free(root_vs, run->res, 0);
    if (r == VS_OK) {
        /* Paging structures the run needed go too, unless someone else
         * mapped a page under them meanwhile (then they are in use). */
        (void)vs_table_rollback(root_vs, run->table_mark);
        *run = (vs_sel4_temp_run){0};
    }
    return r;
}

vs_result vs_sel4_temp_map_frame(vs_sel4_backend *be, vs_space *root_vs, vs_cap frame, unsigned size_bits,
                                 vs_sel4_temp_map *out, int *kernel_error)
{
    if (out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_cap copy = 0;
    vs_sel4_temp_run run;
    vs_result r = vs_sel4_temp_map_run(be, root_vs, &frame, 1, size_bits, &copy, &run, kernel_error);
    if (r == VS_OK) {
        *out = (vs_sel4_temp_map){.vaddr = run.vaddr,
                                  .size = run.size,
                                  .copy = copy,
                                  .res = run.res,
                                  .mapped = 1,
                                  .table_mark = run.table_mark};
    }
    return r;
}

vs_result vs_sel4_temp_unmap(vs_sel4_backend *be, vs_space *root_vs, vs_sel4_temp_map *map)
{
    if (map == NULL || map->res == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_cap copy = map->copy;
    vs_sel4_temp_run run = {.vaddr = map->vaddr,
                            .size = map->size,
                            .n = 1,
                            .copies = &copy,
                            .copied = copy != 0,
                            .res = map->res,
                            .mapped = map->mapped,
                            .table_mark = map->table_mark};
    vs_result r = vs_sel4_temp_unmap_run(be, root_vs, &run);
    map->mapped = run.mapped;
    map->copy = run.copied ? copy : 0;
    if (r == VS_OK) {
        *map = (vs_sel4_temp_map){0};
    }
    return r;
}
