/* The child's stack: a "stack" reservation whose lowest base page is an
 * unmapped guard, the frames above it, and the start-up stack written into
 * the top frames through the caller's frame access. */
#include <string.h>

#include "internal.h"

enum { GUARD_BYTES = 4096 };

vs_result proc_stack_create(vs_process *p, const vs_spawn_opts *o, vs_addr top, vs_spawn_error *err)
{
    unsigned bits = o->stack_page_bits != 0 ? o->stack_page_bits : p->arch->page_sizes[0].bits;
    if (vs_arch_page_size_index(p->arch, bits) < 0) {
        return proc_fail_value(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_STACK,
                               "stack_page_bits is not a page size of the architecture", bits, 0);
    }
    const uint64_t psize = (uint64_t)1 << bits;
    uint64_t want = o->stack_size != 0 ? o->stack_size : VS_SPAWN_DEFAULT_STACK;
    if (want > UINT64_MAX - psize) {
        return proc_fail_value(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_STACK, "stack_size too large", want, 0);
    }
    const uint64_t size = (want + psize - 1) & ~(psize - 1);
    if ((top & (psize - 1)) != 0) {
        return proc_fail(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_STACK,
                         "stack top is not aligned to the stack page size", top, 0);
    }
    if (top < size + GUARD_BYTES + p->arch->user_base) {
        return proc_fail(err, VS_ERR_OUT_OF_RANGE, VS_SPAWN_STAGE_STACK, "stack would run below the user range", top,
                         0);
    }
    const vs_addr base = top - size;
    const vs_addr guard = base - GUARD_BYTES;
    uint8_t rights = VS_RIGHT_READ | VS_RIGHT_WRITE | (p->loaded.stack_exec ? VS_RIGHT_EXEC : 0);
    vs_attrs attrs = {"stack", rights, VS_CACHE_DEFAULT};
    vs_result r = vs_reserve_at(p->vs, guard, size + GUARD_BYTES, &attrs, NULL);
    if (r != VS_OK) {
        return proc_fail_vs(err, p->vs, r, VS_SPAWN_STAGE_STACK);
    }
    r = vs_map_new(p->vs, base, (size_t)(size >> bits), bits);
    if (r != VS_OK) {
        return proc_fail_vs(err, p->vs, r, VS_SPAWN_STAGE_STACK);
    }
    p->info.stack_base = base;
    p->info.stack_top = top;
    p->info.guard_base = guard;
    p->info.stack_page_bits = bits;
    p->info.stack_exec = p->loaded.stack_exec;
    return VS_OK;
}

/* Copies bytes [from, to) of the child (inside the stack) from src, whose
 * first byte is the child's `from`, through the frame access, in runs of at
 * most fa->max_run frames. */
static vs_result write_child(vs_process *p, const vs_cap *caps, vs_addr first_page, size_t n, const uint8_t *src,
                             vs_addr from, vs_addr to, vs_spawn_error *err)
{
    const vs_frame_access *fa = p->env.fa;
    const unsigned bits = p->info.stack_page_bits;
    const size_t max_run = fa->max_run != 0 ? fa->max_run : n;
    for (size_t i = 0, run = 0; i < n; i += run) {
        run = n - i < max_run ? n - i : max_run;
        vs_addr lo = first_page + ((vs_addr)i << bits);
        vs_frame_window w;
        int e = fa->ops->map(fa->ctx, caps + i, run, bits, &w);
        if (e != 0) {
            /* e is the frame access's own code; the seL4_Error behind it
             * (seL4_NotEnoughMemory when the root task's vspace needed a
             * table) is what the caller can act on, as in the other stages. */
            return proc_fail(err, VS_ERR_KERNEL, VS_SPAWN_STAGE_STACK, "frame access could not map stack frames", lo,
                             proc_fa_kernel_error(fa));
        }
        /* The window may show only the first frames asked for. */
        run = (size_t)(w.size >> bits) < run ? (size_t)(w.size >> bits) : run;
        vs_addr hi = lo + ((vs_addr)run << bits);
        vs_addr a = from > lo ? from : lo;
        vs_addr b = to < hi ? to : hi;
        if (b > a) {
            memcpy(w.host + (a - lo), src + (a - from), (size_t)(b - a));
        }
        e = fa->ops->unmap(fa->ctx, &w);
        if (e != 0) {
            e = fa->ops->unmap(fa->ctx, &w);
        }
        if (e != 0 || run == 0) {
            return proc_fail(
                err, VS_ERR_KERNEL, VS_SPAWN_STAGE_STACK,
                e != 0 ? "frame access could not unmap stack frames" : "frame access showed no whole frame", lo, 0);
        }
    }
    return VS_OK;
}

vs_result proc_stack_write(vs_process *p, const vs_startstack_spec *spec, vs_spawn_error *err)
{
    vs_startstack_layout l;
    vs_result r = vs_startstack_measure(spec, &l);
    if (r != VS_OK) {
        return proc_fail_value(err, r, VS_SPAWN_STAGE_STACK, l.error, l.error_value, 0);
    }
    if (l.sp < p->info.stack_base) {
        return proc_fail_value(err, VS_ERR_NO_SPACE, VS_SPAWN_STAGE_STACK,
                               "the start-up stack (arguments, environment) does not fit the stack", l.size,
                               p->info.stack_top - p->info.stack_base);
    }
    const unsigned bits = p->info.stack_page_bits;
    const vs_addr first_page = l.sp & ~(((vs_addr)1 << bits) - 1);
    const size_t n = (size_t)((spec->stack_top - first_page) >> bits);
    const vs_allocator *m = &p->env.mem;
    uint8_t *buf = m->alloc(m->ctx, l.size);
    vs_cap *caps = m->alloc(m->ctx, n * sizeof *caps);
    if (buf == NULL || caps == NULL) {
        if (buf != NULL) {
            m->free(m->ctx, buf, l.size);
        }
        if (caps != NULL) {
            m->free(m->ctx, caps, n * sizeof *caps);
        }
        return proc_fail_value(err, VS_ERR_NO_MEMORY, VS_SPAWN_STAGE_STACK,
                               "no memory for the start-up stack image, bytes", l.size, 0);
    }
    r = vs_startstack_build(spec, buf, l.size, &p->info.stack_layout);
    for (size_t i = 0; r == VS_OK && i < n; i++) {
        caps[i] = vs_get_cap(p->vs, first_page + ((vs_addr)i << bits));
        if (caps[i] == 0) {
            r = proc_fail(err, VS_ERR_NOT_MAPPED, VS_SPAWN_STAGE_STACK, "stack page not mapped",
                          first_page + ((vs_addr)i << bits), 0);
        }
    }
    if (r == VS_OK) {
        r = write_child(p, caps, first_page, n, buf, l.sp, spec->stack_top, err);
    }
    m->free(m->ctx, caps, n * sizeof *caps);
    m->free(m->ctx, buf, l.size);
    if (r == VS_OK) {
        p->info.sp = l.sp;
    }
    return r;
}
