/* Sharing: mapping another vspace's frames, each through a cap copy of its
 * own, since seL4 lets a frame cap be mapped only once. */
#include "internal.h"

typedef struct share_source {
    const vspace *src;
    vs_addr src_vaddr;
} share_source;

static vs_result copy_get(vspace *vs, void *ctx, uint64_t offset, vs_object *obj, unsigned *size_index)
{
    const share_source *s = ctx;
    shadow_entry e;
    shadow_get(&s->src->shadow, page_of(s->src_vaddr + offset), &e);
    int error = vs->kernel.ops->copy_cap(vs->kernel.ctx, e.cap, &obj->cap);
    if (error != 0) {
        return vs_kernel_failed(vs, error);
    }
    obj->cookie = 0;
    *size_index = e.size_index;
    return VS_OK;
}

static void copy_put(vspace *vs, void *ctx, const vs_object *obj, unsigned size_index)
{
    (void)ctx, (void)size_index;
    if (vs->kernel.ops->delete_cap(vs->kernel.ctx, obj->cap) != 0) {
        vs->release_failures++;
    }
}

/* The source range must consist of whole mapped pages. */
static vs_result source_ok(const vspace *src, vs_addr addr, uint64_t size)
{
    vs_result r = VS_ERR_INVALID_ARG;
    if (!vs_range_ok(src, addr, size, &r)) {
        return r;
    }
    if (!shadow_all_mapped(&src->shadow, page_of(addr), page_of(size))) {
        return VS_ERR_NOT_MAPPED;
    }
    if (!vs_whole_pages(src, addr, size)) {
        return VS_ERR_INVALID_ARG;
    }
    return VS_OK;
}

vs_result vs_share(vspace *dst, vs_addr dst_vaddr, const vspace *src, vs_addr src_vaddr, uint64_t size)
{
    vs_result r = VS_ERR_INVALID_ARG;
    if (dst == NULL || src == NULL || dst == src || dst->arch != src->arch) {
        return r;
    }
    if (!vs_range_ok(dst, dst_vaddr, size, &r)) {
        return r;
    }
    r = source_ok(src, src_vaddr, size);
    if (r != VS_OK) {
        return r;
    }
    share_source s = {src, src_vaddr};
    page_source source = {copy_get, copy_put, &s, VS_OWNER_COPY};
    return vs_map_pages(dst, dst_vaddr, size, &source);
}
