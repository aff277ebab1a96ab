/* Mapping and unmapping pages. The shadow entries written while mapping are
 * the undo log: if a later page fails, the pages already mapped are read
 * back from the shadow and unmapped, so the call changes nothing. */
#include "internal.h"

static void unmap_done(vspace *vs, vs_addr vaddr, uint64_t size, const page_source *src)
{
    for (uint64_t page = page_of(vaddr); page < page_of(vaddr + size);) {
        shadow_entry e;
        shadow_get(&vs->shadow, page, &e);
        uint64_t pages = pages_in(vs->arch, e.size_index);
        if (vs->kernel.ops->unmap_frame(vs->kernel.ctx, e.cap, e.size_index) != 0) {
            vs->release_failures++;
        }
        vs_object obj = {e.cap, e.cookie};
        src->put(vs, src->ctx, &obj, e.size_index);
        shadow_set_reserved(&vs->shadow, &vs->alloc, page, pages);
        page += pages;
    }
}

/* Maps one page from src at vaddr + offset; on failure nothing of it stays. */
static vs_result map_one(vspace *vs, const vs_reservation *res, vs_addr vaddr, uint64_t offset, uint64_t size,
                         const page_source *src, uint64_t *pages)
{
    vs_object obj;
    unsigned size_index;
    vs_result r = src->get(vs, src->ctx, offset, &obj, &size_index);
    if (r != VS_OK) {
        return r;
    }
    uint64_t bytes = (uint64_t)1 << vs->arch->page_sizes[size_index].bits;
    vs_addr at = vaddr + offset;
    if (!is_aligned(at, bytes) || size - offset < bytes) {
        r = VS_ERR_INVALID_ARG;
    } else {
        r = tables_map_frame(vs, obj.cap, at, size_index, res->rights, (vs_cache)res->cache);
    }
    if (r == VS_OK) {
        shadow_entry e = {VS_PAGE_MAPPED, size_index, src->owner, obj.cap, obj.cookie};
        *pages = pages_in(vs->arch, size_index);
        r = shadow_set_mapped(&vs->shadow, &vs->alloc, page_of(at), (unsigned)*pages, &e);
        if (r != VS_OK && vs->kernel.ops->unmap_frame(vs->kernel.ctx, obj.cap, size_index) != 0) {
            vs->release_failures++;
        }
    }
    if (r != VS_OK) {
        src->put(vs, src->ctx, &obj, size_index);
    }
    return r;
}

vs_result vs_map_pages(vspace *vs, vs_addr vaddr, uint64_t size, const page_source *src)
{
    vs_reservation *res = vs_reservation_holding(vs, vaddr, size);
    if (res == NULL) {
        return VS_ERR_NOT_RESERVED;
    }
    if (res->mapped_pages != 0 && shadow_any_mapped(&vs->shadow, page_of(vaddr), page_of(size))) {
        return VS_ERR_ALREADY_MAPPED;
    }
    const table_rec *mark = vs->tables.head;
    uint64_t offset = 0;
    while (offset < size) {
        uint64_t pages = 0;
        vs_result r = map_one(vs, res, vaddr, offset, size, src, &pages);
        if (r != VS_OK) {
            unmap_done(vs, vaddr, offset, src);
            tables_rollback(vs, mark);
            return r;
        }
        offset += pages << SHADOW_PAGE_BITS;
    }
    res->mapped_pages += page_of(size);
    vs->mapped_pages += page_of(size);
    return VS_OK;
}

/* ---- vs_map: the caller's caps ---- */

typedef struct cap_array {
    const vs_cap *caps;
    const uintptr_t *cookies;
    unsigned size_index;
    unsigned size_bits;
} cap_array;

static vs_result cap_array_get(vspace *vs, void *ctx, uint64_t offset, vs_object *obj, unsigned *size_index)
{
    (void)vs;
    const cap_array *a = ctx;
    uint64_t i = offset >> a->size_bits;
    obj->cap = a->caps[i];
    obj->cookie = a->cookies != NULL ? a->cookies[i] : 0;
    *size_index = a->size_index;
    return VS_OK;
}

static void cap_array_put(vspace *vs, void *ctx, const vs_object *obj, unsigned size_index)
{
    (void)vs, (void)ctx, (void)obj, (void)size_index;
}

static int cap_ok(const vspace *vs, vs_cap cap)
{
    return cap != 0 && (vs->arch->word_bits == 64 || cap <= UINT32_MAX);
}

/* Validates the arguments common to vs_map and vs_map_new. */
static vs_result map_args(const vspace *vs, vs_addr vaddr, size_t n, unsigned size_bits, int *size_index,
                          uint64_t *size)
{
    vs_result r = VS_ERR_INVALID_ARG;
    if (vs == NULL || n == 0) {
        return r;
    }
    *size_index = vs_arch_page_size_index(vs->arch, size_bits);
    if (*size_index < 0 || (uint64_t)n > (UINT64_MAX >> size_bits) || !is_aligned(vaddr, (uint64_t)1 << size_bits)) {
        return r;
    }
    *size = (uint64_t)n << size_bits;
    return vs_range_ok(vs, vaddr, *size, &r) ? VS_OK : r;
}

vs_result vs_map(vspace *vs, vs_addr vaddr, const vs_cap *caps, const uintptr_t *cookies, size_t n, unsigned size_bits)
{
    int size_index = -1;
    uint64_t size = 0;
    vs_result r = map_args(vs, vaddr, n, size_bits, &size_index, &size);
    if (r != VS_OK) {
        return r;
    }
    if (caps == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        if (!cap_ok(vs, caps[i])) {
            return VS_ERR_CAP_RANGE;
        }
    }
    cap_array a = {caps, cookies, (unsigned)size_index, size_bits};
    page_source src = {cap_array_get, cap_array_put, &a, VS_OWNER_CALLER};
    return vs_map_pages(vs, vaddr, size, &src);
}

/* ---- vs_map_new: frames allocated here ---- */

static vs_result new_frame_get(vspace *vs, void *ctx, uint64_t offset, vs_object *obj, unsigned *size_index)
{
    (void)offset;
    *size_index = *(const unsigned *)ctx;
    int error = vs->kernel.ops->alloc_object(vs->kernel.ctx, VS_OBJ_FRAME, *size_index, obj);
    if (error != 0) {
        return vs_kernel_failed(vs, error);
    }
    if (!cap_ok(vs, obj->cap)) {
        vs->kernel.ops->free_object(vs->kernel.ctx, VS_OBJ_FRAME, *size_index, obj);
        return VS_ERR_CAP_RANGE;
    }
    return VS_OK;
}

static void new_frame_put(vspace *vs, void *ctx, const vs_object *obj, unsigned size_index)
{
    (void)ctx;
    if (vs->kernel.ops->free_object(vs->kernel.ctx, VS_OBJ_FRAME, size_index, obj) != 0) {
        vs->release_failures++;
    }
}

vs_result vs_map_new(vspace *vs, vs_addr vaddr, size_t n, unsigned size_bits)
{
    int size_index = -1;
    uint64_t size = 0;
    vs_result r = map_args(vs, vaddr, n, size_bits, &size_index, &size);
    if (r != VS_OK) {
        return r;
    }
    unsigned index = (unsigned)size_index;
    page_source src = {new_frame_get, new_frame_put, &index, VS_OWNER_VSPACE};
    return vs_map_pages(vs, vaddr, size, &src);
}

/* ---- unmapping ---- */

/* Frees the frame or deletes the copy behind e, as its owner says. A
 * failure is counted, not undone: the unmap it follows is committed. */
static void release_frame(vspace *vs, const shadow_entry *e, int free_frames)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    vs_object obj = {e->cap, e->cookie};
    int error = 0;
    if (e->owner == VS_OWNER_COPY) {
        error = ops->delete_cap(vs->kernel.ctx, e->cap);
    } else if (free_frames) {
        error = ops->free_object(vs->kernel.ctx, VS_OBJ_FRAME, e->size_index, &obj);
    }
    vs->release_failures += error != 0;
}

int vs_release_page(vspace *vs, const shadow_entry *e, int free_frames)
{
    int error = vs->kernel.ops->unmap_frame(vs->kernel.ctx, e->cap, e->size_index);
    release_frame(vs, e, free_frames);
    return error;
}

/* Re-maps the pages of [addr, until) unmapped before a kernel failure. */
static void remap_range(vspace *vs, const vs_reservation *res, vs_addr addr, vs_addr until)
{
    for (uint64_t page = page_of(addr); page < page_of(until);) {
        shadow_entry e;
        shadow_get(&vs->shadow, page, &e);
        if (e.state == VS_PAGE_MAPPED && tables_map_frame(vs, e.cap, page << SHADOW_PAGE_BITS, e.size_index,
                                                          res->rights, (vs_cache)res->cache) != VS_OK) {
            vs->release_failures++;
        }
        page += e.state == VS_PAGE_MAPPED ? pages_in(vs->arch, e.size_index) : 1;
    }
}

/* Phase one of an unmap: the kernel unmaps, all or nothing. */
static vs_result kernel_unmap_range(vspace *vs, const vs_reservation *res, vs_addr addr, uint64_t size)
{
    for (uint64_t page = page_of(addr); page < page_of(addr + size);) {
        shadow_entry e;
        shadow_get(&vs->shadow, page, &e);
        if (e.state != VS_PAGE_MAPPED) {
            page++;
            continue;
        }
        int error = vs->kernel.ops->unmap_frame(vs->kernel.ctx, e.cap, e.size_index);
        if (error != 0) {
            int saved = vs->last_kernel_error;
            remap_range(vs, res, addr, page << SHADOW_PAGE_BITS);
            vs->last_kernel_error = saved;
            return vs_kernel_failed(vs, error);
        }
        page += pages_in(vs->arch, e.size_index);
    }
    return VS_OK;
}

/* Phase two: the unmap is committed; release frames and copies, and return
 * the pages to RESERVED. Kernels refusing to free are counted, not undone. */
static uint64_t release_range(vspace *vs, vs_addr addr, uint64_t size, int free_frames)
{
    uint64_t unmapped = 0;
    for (uint64_t page = page_of(addr); page < page_of(addr + size);) {
        shadow_entry e;
        shadow_get(&vs->shadow, page, &e);
        if (e.state != VS_PAGE_MAPPED) {
            page++;
            continue;
        }
        release_frame(vs, &e, free_frames);
        uint64_t pages = pages_in(vs->arch, e.size_index);
        shadow_set_reserved(&vs->shadow, &vs->alloc, page, pages);
        unmapped += pages;
        page += pages;
    }
    return unmapped;
}

vs_result vs_unmap_range(vspace *vs, vs_reservation *res, vs_addr addr, uint64_t size, int free_frames)
{
    vs_result r = kernel_unmap_range(vs, res, addr, size);
    if (r != VS_OK) {
        return r;
    }
    uint64_t unmapped = release_range(vs, addr, size, free_frames);
    res->mapped_pages -= unmapped;
    vs->mapped_pages -= unmapped;
    return VS_OK;
}

int vs_whole_pages(const vspace *vs, vs_addr addr, uint64_t size)
{
    shadow_entry first;
    shadow_entry last;
    shadow_get(&vs->shadow, page_of(addr), &first);
    shadow_get(&vs->shadow, page_of(addr + size) - 1, &last);
    uint64_t first_bytes = (uint64_t)1 << vs->arch->page_sizes[first.size_index].bits;
    uint64_t last_bytes = (uint64_t)1 << vs->arch->page_sizes[last.size_index].bits;
    return is_aligned(addr, first_bytes) && is_aligned(addr + size, last_bytes);
}

vs_result vs_unmap(vspace *vs, vs_addr vaddr, uint64_t size, unsigned flags)
{
    vs_result r = VS_ERR_INVALID_ARG;
    if (vs == NULL || (flags & ~(unsigned)VS_UNMAP_FREE_FRAMES) != 0 || !vs_range_ok(vs, vaddr, size, &r)) {
        return r;
    }
    vs_reservation *res = vs_reservation_holding(vs, vaddr, size);
    if (res == NULL) {
        return VS_ERR_NOT_RESERVED;
    }
    if (!shadow_all_mapped(&vs->shadow, page_of(vaddr), page_of(size))) {
        return VS_ERR_NOT_MAPPED;
    }
    if (!vs_whole_pages(vs, vaddr, size)) {
        return VS_ERR_INVALID_ARG;
    }
    return vs_unmap_range(vs, res, vaddr, size, (flags & VS_UNMAP_FREE_FRAMES) != 0);
}

vs_result vs_lookup(const vspace *vs, vs_addr vaddr, vs_page *out)
{
    if (vs == NULL || out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    if (vaddr < vs->base || vaddr >= vs->end) {
        return VS_ERR_OUT_OF_RANGE;
    }
    shadow_entry e;
    shadow_get(&vs->shadow, page_of(vaddr), &e);
    out->state = (vs_page_state)e.state;
    out->cap = e.cap;
    out->cookie = e.cookie;
    out->owner = (vs_page_owner)e.owner;
    out->size_bits = e.state == VS_PAGE_MAPPED ? vs->arch->page_sizes[e.size_index].bits : 0;
    out->page_vaddr = e.state == VS_PAGE_MAPPED ? vaddr & ~(((vs_addr)1 << out->size_bits) - 1) : 0;
    return VS_OK;
}
