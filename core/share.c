/* Sharing: mapping another vspace's frames, each through a cap copy of its
 * own, since seL4 lets a frame cap be mapped only once. */
#include "internal.h"

typedef struct share_source {
    const vspace *src;
    vs_addr src_vaddr;
} share_source;

static void copies_put(vspace *vs, void *ctx, const page_run *run)
{
    (void)ctx;
    for (unsigned i = 0; i < run->count; i++) {
        vs_release_failed(vs, vs->kernel.ops->delete_cap(vs->kernel.ctx, run->caps[i]));
    }
}

/* Copies the caps of up to RUN_MAX source pages of one size. The source
 * range was checked to be whole mapped pages. */
static vs_result copies_get(vspace *vs, void *ctx, uint64_t offset, uint64_t bytes_left, page_run *run)
{
    const share_source *s = ctx;
    shadow_cursor c;
    uint64_t page;
    shadow_entry e;
    vs_cursor(s->src, &c, s->src_vaddr + offset, bytes_left);
    run->caps = run->cap_buf;
    run->cookies = NULL;
    run->count = 0;
    while (run->count < RUN_MAX && shadow_cursor_next(&c, &page, &e)) {
        if (run->count > 0 && e.size_index != run->size_index) {
            break;
        }
        run->size_index = e.size_index;
        int error = vs->kernel.ops->copy_cap(vs->kernel.ctx, e.cap, &run->cap_buf[run->count]);
        if (error != 0) {
            copies_put(vs, NULL, run);
            return vs_kernel_failed(vs, error);
        }
        run->count++;
    }
    return VS_OK;
}

/* The source range must consist of whole mapped pages. */
static vs_result source_ok(const vspace *src, vs_addr addr, uint64_t size)
{
    vs_result r = VS_ERR_INVALID_ARG;
    if (!vs_range_ok(src, addr, size, &r)) {
        return r;
    }
    if (shadow_count(&src->shadow, page_of(addr), page_of(size), VS_PAGE_MAPPED) != page_of(size)) {
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
    page_source source = {copies_get, copies_put, &s, VS_OWNER_COPY};
    return vs_map_pages(dst, dst_vaddr, size, &source);
}
