#include "lx_compare.h"

#include <stdio.h>

typedef struct cmp {
    vs_linux *be;
    const vs_linux_maps *maps;
    const vs_space *vs;
    vs_cap root;
    char *msg;
    size_t len;
    int bad;
} cmp;

static int differ(cmp *c, const char *what, vs_addr va, unsigned long long a, unsigned long long b)
{
    snprintf(c->msg, c->len, "%#llx: %s (%#llx vs %#llx)", (unsigned long long)va, what, a, b);
    c->bad = 1;
    return 1;
}

/* Checks one page of a reservation; returns the bytes to the next one. */
static uint64_t page(cmp *c, vs_addr va, unsigned rights)
{
    vs_page p;
    vs_translation t;
    vs_lookup(c->vs, va, &p);
    if (vs_linux_translate_in(c->be, c->maps, c->root, va, &t) != 0) {
        differ(c, "translate failed", va, 0, 0);
        return 4096;
    }
    if (p.state != VS_PAGE_MAPPED) {
        if (t.mapped) {
            differ(c, "kernel maps a page the shadow does not", va, t.paddr, 0);
        }
        return 4096;
    }
    vs_addr pa = 0;
    vs_linux_kernel(c->be).ops->frame_paddr(c->be, p.cap, &pa);
    uint64_t into = va - p.page_vaddr;
    if (!t.mapped) {
        differ(c, "shadow maps a page the kernel does not", va, pa, 0);
    } else if (t.paddr != pa + into) {
        differ(c, "frame (paddr) differs", va, pa + into, t.paddr);
    } else if (t.size_bits != p.size_bits) {
        differ(c, "page size differs", va, p.size_bits, t.size_bits);
    } else if (t.rights != rights) {
        differ(c, "rights differ", va, rights, t.rights);
    }
    return (1ull << p.size_bits) - into;
}

static int res_fn(void *ctx, const vs_reservation *res)
{
    cmp *c = ctx;
    vs_reservation_info info;
    vs_reservation_get_info(c->vs, res, &info);
    for (vs_addr va = info.start; va < info.end && !c->bad;) {
        va += page(c, va, info.rights);
    }
    return c->bad;
}

static int window_fn(void *ctx, const vs_linux_vma *v, vs_addr s, vs_addr e)
{
    cmp *c = ctx;
    if (!v->frames) {
        return differ(c, "a foreign mapping lies in the window", s, v->start, v->end);
    }
    for (vs_addr va = s; va < e; va += 4096) {
        vs_page p;
        if (vs_lookup(c->vs, va, &p) != VS_OK || p.state != VS_PAGE_MAPPED) {
            return differ(c, "kernel maps a frame the shadow does not know", va, v->offset, 0);
        }
    }
    return 0;
}

int lx_compare(vs_linux *be, const vs_space *vs, vs_cap root, char *msg, size_t len)
{
    vs_linux_maps maps;
    if (vs_linux_maps_read(be, 0, &maps) != 0) {
        snprintf(msg, len, "cannot read /proc/self/maps");
        return 1;
    }
    cmp c = {be, &maps, vs, root, msg, len, 0};
    vs_for_each_reservation(vs, res_fn, &c);
    if (!c.bad) {
        vs_linux_window_mappings(be, &maps, root, window_fn, &c);
    }
    vs_linux_maps_free(&maps);
    return c.bad;
}
