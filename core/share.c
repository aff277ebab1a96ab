/* Sharing: mapping another vspace's frames, each through a cap copy of its
 * own, since seL4 lets a frame cap be mapped only once. */
#include "internal.h"

typedef struct share_source {
    const vs_space *src;
    vs_addr src_vaddr;
} share_source;

static void copies_put(vs_space *vs, void *ctx, const page_run *run)
{
    (void)ctx;
    for (unsigned i = 0; i < run->count; i++) {
        vs_release_failed(vs, vs->kernel.ops->delete_cap(vs->kernel.ctx, run->caps[i]));
    }
}

/* Copies the caps of up to RUN_MAX source pages of one size. The source
 * range was checked to be whole mapped pages. */
static vs_result copies_get(vs_space *vs, void *ctx, uint64_t offset, uint64_t bytes_left, page_run *run)
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
            return vs_kernel_failed(vs, error, "copy_cap", page << SHADOW_PAGE_BITS);
        }
        run->count++;
    }
    return VS_OK;
}

/* The source range must consist of whole mapped pages; a failure is
 * recorded on dst, the vspace the call changes. */
static vs_result source_ok(vs_space *dst, const vs_space *src, vs_addr addr, uint64_t size)
{
    range_check rc = vs_range_check(src, addr, size);
    if (rc.result != VS_OK) {
        return vs_fail(dst, rc.result, rc.reason, addr);
    }
    if (shadow_count_mapped(&src->shadow, page_of(addr), page_of(size)) != page_of(size)) {
        return vs_fail(dst, VS_ERR_NOT_MAPPED, "source page is not mapped", vs_first_unmapped(src, addr, size));
    }
    if (!vs_whole_pages(src, addr, size)) {
        return vs_fail(dst, VS_ERR_INVALID_ARG, "source range cuts a large page", addr);
    }
    return VS_OK;
}

static vs_result share_pages(vs_space *dst, vs_addr dst_vaddr, const vs_space *src, vs_addr src_vaddr, uint64_t size)
{
    if (dst == NULL || src == NULL || dst == src || dst->arch != src->arch) {
        return vs_fail(dst, VS_ERR_INVALID_ARG, "vspaces are NULL, the same, or of different architectures", 0);
    }
    range_check rc = vs_range_check(dst, dst_vaddr, size);
    if (rc.result == VS_OK && dst_vaddr + size > dst->arch->user_end) {
        rc = (range_check){VS_ERR_OUT_OF_RANGE, "range reaches the kernel's part of the address space (user_end)"};
    }
    if (rc.result != VS_OK) {
        return vs_fail(dst, rc.result, rc.reason, dst_vaddr);
    }
    vs_result r = source_ok(dst, src, src_vaddr, size);
    if (r != VS_OK) {
        return r;
    }
    share_source s = {src, src_vaddr};
    page_source source = {copies_get, copies_put, &s, VS_OWNER_COPY};
    return vs_map_pages(dst, dst_vaddr, size, &source);
}

vs_result vs_share(vs_space *dst, vs_addr dst_vaddr, const vs_space *src, vs_addr src_vaddr, uint64_t size)
{
    vs_begin(dst);
    return vs_end(dst, share_pages(dst, dst_vaddr, src, src_vaddr, size), dst_vaddr);
}
