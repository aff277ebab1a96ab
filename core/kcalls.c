#include "internal.h"

vs_kstatus kcall_map_frames(const struct vs_space *vs, const frame_batch *b, unsigned *done)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    if (ops->map_frames != NULL && b->count > 1) {
        *done = 0;
        vs_kstatus st = ops->map_frames(vs->kernel.ctx, vs->root, b->caps, b->count, b->vaddr, b->size_index, b->rights,
                                        b->cache, done);
        if (st.error == 0) {
            *done = b->count;
        }
        return st;
    }
    unsigned bits = vs->arch->page_sizes[b->size_index].bits;
    for (unsigned i = 0; i < b->count; i++) {
        vs_addr vaddr = b->vaddr + ((vs_addr)i << bits);
        vs_kstatus st = ops->map_frame(vs->kernel.ctx, vs->root, b->caps[i], vaddr, b->size_index, b->rights, b->cache);
        if (st.error != 0) {
            *done = i;
            return st;
        }
    }
    *done = b->count;
    return (vs_kstatus){0, -1};
}

int kcall_unmap_frames(const struct vs_space *vs, const vs_cap *caps, unsigned n, unsigned size_index, unsigned *done)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    if (ops->unmap_frames != NULL && n > 1) {
        *done = 0;
        int error = ops->unmap_frames(vs->kernel.ctx, caps, n, size_index, done);
        if (error == 0) {
            *done = n;
        }
        return error;
    }
    for (unsigned i = 0; i < n; i++) {
        int error = ops->unmap_frame(vs->kernel.ctx, caps[i], size_index);
        if (error != 0) {
            *done = i;
            return error;
        }
    }
    *done = n;
    return 0;
}

size_t kcall_unmap_all(const struct vs_space *vs, const vs_cap *caps, unsigned n, unsigned size_index, int *last_error)
{
    size_t failures = 0;
    unsigned done = 0;
    while (done < n) {
        unsigned ok = 0;
        int error = kcall_unmap_frames(vs, caps + done, n - done, size_index, &ok);
        if (error != 0) {
            failures++;
            if (last_error != NULL) {
                *last_error = error;
            }
            ok++; /* skip the frame the kernel refused */
        }
        done += ok;
    }
    return failures;
}
