/* Snapshots: see snapshot.h. */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAGE = 4096, FULL_PAGES = 4096, SAMPLE_PAGES = 256 };

static void *grow(void *p, size_t n, size_t elem)
{
    /* Capacity doubles at powers of two, so sizing by count is enough. */
    if (n != 0 && (n & (n - 1)) != 0) {
        return p;
    }
    void *q = realloc(p, (n == 0 ? 16 : 2 * n) * elem);
    if (q == NULL) {
        abort();
    }
    return q;
}

static void add_page(snapshot *s, size_t vs_index, const vs_space *vs, vs_addr vaddr)
{
    s->pages = grow(s->pages, s->npages, sizeof *s->pages);
    snap_page *p = &s->pages[s->npages++];
    memset(p, 0, sizeof *p);
    p->vs = vs_index;
    p->vaddr = vaddr;
    p->r = vs_lookup(vs, vaddr, &p->page);
    if (p->page.state != VS_PAGE_MAPPED) {
        vs_page_state st = p->page.state;
        memset(&p->page, 0, sizeof p->page); /* only the state is defined */
        p->page.state = st;
    }
}

typedef struct walk_ctx {
    snapshot *s;
    size_t vs_index;
    const vs_space *vs;
} walk_ctx;

static void add_reservation_pages(walk_ctx *w, const vs_reservation_info *info)
{
    uint64_t pages = (info->end - info->start) / PAGE;
    uint64_t step = pages <= FULL_PAGES ? 1 : pages / SAMPLE_PAGES;
    for (uint64_t i = 0; i < pages; i += step) {
        add_page(w->s, w->vs_index, w->vs, info->start + i * PAGE);
    }
    add_page(w->s, w->vs_index, w->vs, info->end - PAGE);
    if (info->start >= PAGE) {
        add_page(w->s, w->vs_index, w->vs, info->start - PAGE);
    }
    add_page(w->s, w->vs_index, w->vs, info->end);
}

static int visit(void *ctx, const vs_reservation *res)
{
    walk_ctx *w = ctx;
    snapshot *s = w->s;
    s->res = grow(s->res, s->nres, sizeof *s->res);
    snap_res *r = &s->res[s->nres++];
    memset(r, 0, sizeof *r);
    r->vs = w->vs_index;
    r->handle = res;
    vs_reservation_get_info(w->vs, res, &r->info);
    add_reservation_pages(w, &r->info);
    return 0;
}

static void snap_vspace(snapshot *s, size_t i, const vs_space *vs)
{
    walk_ctx w = {s, i, vs};
    vs_for_each_reservation(vs, visit, &w);
    vs_get_stats(vs, &s->stats[i]);
    const vs_arch *a = vs_get_arch(vs);
    add_page(s, i, vs, a->user_base);
    add_page(s, i, vs, a->user_end - PAGE);
}

static void snap_kernel(snapshot *s, const fakek *fk)
{
    s->ncaps = fk->ncaps;
    s->caps = calloc(fk->ncaps, sizeof *s->caps);
    if (s->caps == NULL) {
        abort();
    }
    for (size_t c = 1; c < fk->ncaps; c++) {
        if (fk->caps[c].alive) {
            s->caps[c] = fk->caps[c];
        }
    }
    s->fk_violations = fk->violations;
    s->fk_replacements = fk->silent_replacements;
}

void snap_take(snapshot *s, vs_space *const *vss, size_t nvs, const fakek *fk, const talloc *ta)
{
    memset(s, 0, sizeof *s);
    s->nvs = nvs;
    for (size_t i = 0; i < nvs && i < SNAP_MAX_VS; i++) {
        snap_vspace(s, i, vss[i]);
    }
    if (fk != NULL) {
        snap_kernel(s, fk);
    }
    if (ta != NULL) {
        s->live_bytes = ta->live_bytes;
        s->live_count = ta->live_count;
        s->alloc_errors = ta->errors;
    }
}

void snap_free(snapshot *s)
{
    free(s->res);
    free(s->pages);
    free(s->caps);
    memset(s, 0, sizeof *s);
}

static int differ(const char *label, const char *fmt, unsigned long long a, unsigned long long b)
{
    fprintf(stderr, "%s: snapshot differs: %s: before %#llx, after %#llx\n", label, fmt, a, b);
    return 1;
}

static int compare_res(const snapshot *a, const snapshot *b, const char *label)
{
    if (a->nres != b->nres) {
        return differ(label, "reservation count", a->nres, b->nres);
    }
    for (size_t i = 0; i < a->nres; i++) {
        const snap_res *x = &a->res[i], *y = &b->res[i];
        if (x->handle != y->handle || x->info.start != y->info.start || x->info.end != y->info.end) {
            return differ(label, "reservation start (or its end/handle)", x->info.start, y->info.start);
        }
        /* Member by member: the struct's padding bytes are not part of its value. */
        if (memcmp(x->info.name, y->info.name, sizeof x->info.name) != 0 || x->info.rights != y->info.rights ||
            x->info.cache != y->info.cache || x->info.mapped_pages != y->info.mapped_pages) {
            return differ(label, "attributes/mapped count of reservation at", x->info.start, y->info.start);
        }
    }
    return 0;
}

static int compare_pages(const snapshot *a, const snapshot *b, const char *label)
{
    if (a->npages != b->npages) {
        return differ(label, "number of sampled pages", a->npages, b->npages);
    }
    for (size_t i = 0; i < a->npages; i++) {
        const snap_page *x = &a->pages[i], *y = &b->pages[i];
        if (x->r != y->r || x->page.state != y->page.state) {
            return differ(label, "page state at", x->vaddr, y->vaddr);
        }
        const vs_page *p = &x->page, *q = &y->page;
        if (p->cap != q->cap || p->cookie != q->cookie || p->size_bits != q->size_bits ||
            p->page_vaddr != q->page_vaddr || p->owner != q->owner) {
            return differ(label, "mapped page (cap/cookie/size/owner) at", x->vaddr, y->vaddr);
        }
    }
    return 0;
}

static int compare_stats(const snapshot *a, const snapshot *b, const char *label)
{
    for (size_t i = 0; i < a->nvs; i++) {
        const vs_stats *x = &a->stats[i], *y = &b->stats[i];
        if (x->reservations != y->reservations || x->reserved_pages != y->reserved_pages ||
            x->mapped_pages != y->mapped_pages) {
            return differ(label, "stats reserved/mapped pages", x->reserved_pages * 1000000 + x->mapped_pages,
                          y->reserved_pages * 1000000 + y->mapped_pages);
        }
        if (x->paging_tables != y->paging_tables) {
            return differ(label, "stats paging_tables", x->paging_tables, y->paging_tables);
        }
        if (x->bookkeeping_bytes != y->bookkeeping_bytes) {
            return differ(label, "stats bookkeeping_bytes", x->bookkeeping_bytes, y->bookkeeping_bytes);
        }
    }
    return 0;
}

static int compare_cap(const fk_cap *x, const fk_cap *y, size_t c, const char *label)
{
    if (x->alive != y->alive) {
        return differ(label, "kernel cap alive (cap number in 'before')", c, x->alive * 2u + y->alive);
    }
    if (x->mapped != y->mapped || x->vaddr != y->vaddr || x->root != y->root) {
        return differ(label, "kernel mapping of cap (vaddr)", x->vaddr | x->mapped, y->vaddr | y->mapped);
    }
    if (memcmp(x, y, sizeof *x) != 0) {
        return differ(label, "kernel cap record (cap number)", c, c);
    }
    return 0;
}

static int compare_kernel(const snapshot *a, const snapshot *b, const char *label)
{
    size_t n = a->ncaps > b->ncaps ? a->ncaps : b->ncaps;
    static const fk_cap dead;
    for (size_t c = 1; c < n; c++) {
        const fk_cap *x = c < a->ncaps ? &a->caps[c] : &dead;
        const fk_cap *y = c < b->ncaps ? &b->caps[c] : &dead;
        if (compare_cap(x, y, c, label)) {
            return 1;
        }
    }
    if (a->fk_violations != b->fk_violations || a->fk_replacements != b->fk_replacements) {
        return differ(label, "fake kernel violations/silent replacements",
                      a->fk_violations * 1000u + a->fk_replacements, b->fk_violations * 1000u + b->fk_replacements);
    }
    return 0;
}

static int compare_alloc(const snapshot *a, const snapshot *b, const char *label)
{
    if (a->live_bytes != b->live_bytes || a->live_count != b->live_count) {
        return differ(label, "allocator live bytes", a->live_bytes, b->live_bytes);
    }
    if (a->alloc_errors != b->alloc_errors) {
        return differ(label, "allocator misuse count", a->alloc_errors, b->alloc_errors);
    }
    return 0;
}

int snap_compare(const snapshot *a, const snapshot *b, const char *label)
{
    return compare_res(a, b, label) || compare_pages(a, b, label) || compare_stats(a, b, label) ||
           compare_kernel(a, b, label) || compare_alloc(a, b, label);
}
