/* Address-ordered walks over the bookkeeping (include/vs/walk.h). The
 * shadow's leaves sit in a hash table, so a walk first collects their keys
 * and sorts them (which groups them by page size, each size in address
 * order); a merge of the sizes is then one pass in address order. */
#include <vs/walk.h>

#include "internal.h"

/* ---- sorted leaf keys ---- */

typedef struct leaf_keys {
    const vs_allocator *alloc;
    uint64_t *keys;
    size_t count;
    size_t capacity;
} leaf_keys;

static int collect_key(void *ctx, uint64_t key, const shadow_leaf *leaf)
{
    (void)leaf;
    leaf_keys *k = ctx;
    if (k->count < k->capacity) {
        k->keys[k->count++] = key;
    }
    return 0;
}

static void sift_down(uint64_t *keys, size_t root, size_t count)
{
    for (size_t child = 2 * root + 1; child < count; root = child, child = 2 * root + 1) {
        child += child + 1 < count && keys[child] < keys[child + 1];
        if (keys[root] >= keys[child]) {
            return;
        }
        uint64_t tmp = keys[root];
        keys[root] = keys[child];
        keys[child] = tmp;
    }
}

static void sort_keys(uint64_t *keys, size_t count)
{
    for (size_t i = count / 2; i-- > 0;) {
        sift_down(keys, i, count);
    }
    for (size_t end = count; end-- > 1;) {
        uint64_t tmp = keys[0];
        keys[0] = keys[end];
        keys[end] = tmp;
        sift_down(keys, 0, end);
    }
}

static vs_result keys_init(const vs_space *vs, leaf_keys *k)
{
    *k = (leaf_keys){&vs->alloc.base, NULL, 0, vs->shadow.leaves};
    if (k->capacity == 0) {
        return VS_OK;
    }
    if (k->capacity > SIZE_MAX / sizeof(uint64_t)) {
        return VS_ERR_NO_MEMORY;
    }
    k->keys = k->alloc->alloc(k->alloc->ctx, k->capacity * sizeof(uint64_t));
    if (k->keys == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    shadow_for_each_leaf(&vs->shadow, collect_key, k);
    sort_keys(k->keys, k->count);
    return VS_OK;
}

static void keys_fini(leaf_keys *k)
{
    if (k->keys != NULL) {
        k->alloc->free(k->alloc->ctx, k->keys, k->capacity * sizeof(uint64_t));
    }
}

/* The mapped pages of one key space (one page size) in address order:
 * its keys are a sorted run of the sorted key array. */
typedef struct space_iter {
    const shadow *s;
    const uint64_t *keys;
    size_t count;
    size_t pos;
    unsigned slot;
    const shadow_leaf *leaf;
    uint64_t page; /* first base page of the current entry, valid while has */
    int has;
} space_iter;

static void iter_settle(space_iter *it)
{
    it->has = 0;
    while (it->pos < it->count) {
        if (it->leaf == NULL) {
            it->leaf = shadow_leaf_by_key(it->s, it->keys[it->pos]);
        }
        for (; it->leaf != NULL && it->slot < SHADOW_LEAF_PAGES; it->slot++) {
            if ((it->leaf->meta[it->slot] & META_STATE_MASK) == VS_PAGE_MAPPED) {
                uint64_t key = it->keys[it->pos];
                it->page = shadow_key_page(it->s, key) + ((uint64_t)it->slot << shadow_key_shift(it->s, key));
                it->has = 1;
                return;
            }
        }
        it->pos++;
        it->slot = 0;
        it->leaf = NULL;
    }
}

/* Visits the mapped pages in address order: a merge of the key spaces,
 * each walked leaf by leaf in key order. */
static void visit_pages(const vs_space *vs, const leaf_keys *k, vs_mapping_fn fn, void *ctx)
{
    space_iter its[VS_MAX_PAGE_SIZES];
    size_t n = 0;
    for (size_t i = 0; i < k->count && n < VS_MAX_PAGE_SIZES; n++) {
        size_t j = i;
        while (j < k->count && shadow_key_size(k->keys[j]) == shadow_key_size(k->keys[i])) {
            j++;
        }
        its[n] = (space_iter){&vs->shadow, k->keys + i, j - i, 0, 0, NULL, 0, 0};
        iter_settle(&its[n]);
        i = j;
    }
    const res_node *res = NULL;
    for (;;) {
        space_iter *best = NULL;
        for (size_t i = 0; i < n; i++) {
            if (its[i].has && (best == NULL || its[i].page < best->page)) {
                best = &its[i];
            }
        }
        if (best == NULL) {
            return;
        }
        shadow_entry e;
        shadow_decode(best->leaf, best->slot, &e);
        vs_addr vaddr = best->page << SHADOW_PAGE_BITS;
        best->slot++;
        iter_settle(best);
        if (res == NULL || vaddr < res->start || vaddr >= res->end) {
            res = restree_containing(&vs->tree, vaddr);
        }
        vs_mapping m = {
            .vaddr = vaddr,
            .size_bits = (uint8_t)(vs->size_shift[e.size_index] + SHADOW_PAGE_BITS),
            .rights = res != NULL ? res->rights : 0,
            .cache = res != NULL ? (vs_cache)res->cache : VS_CACHE_DEFAULT,
            .owner = (vs_page_owner)e.owner,
            .cap = e.cap,
            .cookie = e.cookie,
            .res = res != NULL ? handles_of(&vs->handles, res) : NULL,
        };
        if (fn(ctx, &m) != 0) {
            return;
        }
    }
}

vs_result vs_walk_pages(const vs_space *vs, vs_mapping_fn fn, void *ctx)
{
    if (vs == NULL || fn == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    leaf_keys k;
    vs_result r = keys_init(vs, &k);
    if (r == VS_OK) {
        visit_pages(vs, &k, fn, ctx);
    }
    keys_fini(&k);
    return r;
}

/* ---- runs ---- */

typedef struct run_state {
    vs_mapped_run run;
    int open;
    int stopped;
    vs_run_fn fn;
    void *ctx;
} run_state;

static int run_flush(run_state *s)
{
    if (s->open) {
        s->open = 0;
        s->run.pages = (s->run.end - s->run.start) >> s->run.size_bits;
        s->stopped = s->fn(s->ctx, &s->run) != 0;
    }
    return s->stopped;
}

static int run_add(void *ctx, const vs_mapping *m)
{
    run_state *s = ctx;
    if (s->open && m->vaddr == s->run.end && m->size_bits == s->run.size_bits && m->res == s->run.res) {
        s->run.end += (vs_addr)1 << m->size_bits;
        return 0;
    }
    if (run_flush(s)) {
        return 1;
    }
    s->run = (vs_mapped_run){m->vaddr, m->vaddr + ((vs_addr)1 << m->size_bits), m->size_bits, m->rights, m->cache, 0,
                             m->res};
    s->open = 1;
    return 0;
}

vs_result vs_walk_runs(const vs_space *vs, vs_run_fn fn, void *ctx)
{
    if (fn == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    run_state s = {.fn = fn, .ctx = ctx};
    vs_result r = vs_walk_pages(vs, run_add, &s);
    if (r == VS_OK && !s.stopped) {
        run_flush(&s);
    }
    return r;
}

/* ---- tables ---- */

typedef struct page_span {
    vs_addr start;
    vs_addr end;   /* exclusive */
    uint8_t level; /* arch level of the entry that maps the page */
} page_span;

typedef struct span_list {
    const vs_arch *arch;
    page_span *items;
    size_t count;
    size_t capacity;
} span_list;

static int count_page(void *ctx, const vs_mapping *m)
{
    (void)m;
    ((span_list *)ctx)->capacity++;
    return 0;
}

static int add_span(void *ctx, const vs_mapping *m)
{
    span_list *l = ctx;
    if (l->count == l->capacity) {
        return 1;
    }
    int index = vs_arch_page_size_index(l->arch, m->size_bits);
    uint8_t level = index >= 0 ? l->arch->page_sizes[index].level : (uint8_t)(l->arch->num_levels - 1);
    l->items[l->count++] = (page_span){m->vaddr, m->vaddr + ((vs_addr)1 << m->size_bits), level};
    return 0;
}

/* Index of the first span ending after addr. */
static size_t first_ending_after(const span_list *l, vs_addr addr)
{
    size_t lo = 0;
    size_t hi = l->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->items[mid].end <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static uint64_t level_span(const vs_paging_level *lv)
{
    return (uint64_t)1 << (lv->shift + lv->index_bits);
}

static int visit_table(const vs_space *vs, const span_list *l, unsigned level, vs_addr base, vs_table_fn fn, void *ctx)
{
    const vs_paging_level *lv = &vs->arch->levels[level];
    vs_table_occupancy t = {level, lv->name, base, level_span(lv), (uint32_t)1 << lv->index_bits, 0, 0, 0};
    size_t j = first_ending_after(l, base);
    for (uint32_t i = 0; i < t.entries; i++) {
        vs_addr lo = base + ((vs_addr)i << lv->shift);
        vs_addr hi = lo + ((vs_addr)1 << lv->shift);
        while (j < l->count && l->items[j].end <= lo) {
            j++;
        }
        if (j < l->count && l->items[j].start < hi) {
            t.mapped++;
        } else if (!restree_is_free(&vs->tree, lo, hi)) {
            t.reserved++;
        } else {
            t.empty++;
        }
    }
    return fn(ctx, &t);
}

static void visit_tables(const vs_space *vs, const span_list *l, vs_table_fn fn, void *ctx)
{
    if (visit_table(vs, l, 0, 0, fn, ctx) != 0) {
        return;
    }
    for (unsigned level = 1; level < vs->arch->num_levels; level++) {
        uint64_t span = level_span(&vs->arch->levels[level]);
        int any = 0;
        vs_addr last = 0;
        for (size_t i = 0; i < l->count; i++) {
            vs_addr base = l->items[i].start & ~(span - 1);
            if (l->items[i].level < level || (any && base == last)) {
                continue;
            }
            any = 1;
            last = base;
            if (visit_table(vs, l, level, base, fn, ctx) != 0) {
                return;
            }
        }
    }
}

vs_result vs_walk_tables(const vs_space *vs, vs_table_fn fn, void *ctx)
{
    if (vs == NULL || fn == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    leaf_keys k;
    vs_result r = keys_init(vs, &k);
    span_list l = {vs->arch, NULL, 0, 0};
    if (r == VS_OK) {
        visit_pages(vs, &k, count_page, &l);
        if (l.capacity > SIZE_MAX / sizeof(page_span)) {
            r = VS_ERR_NO_MEMORY;
        } else if (l.capacity > 0) {
            l.items = k.alloc->alloc(k.alloc->ctx, l.capacity * sizeof(page_span));
            r = l.items != NULL ? VS_OK : VS_ERR_NO_MEMORY;
        }
    }
    if (r == VS_OK) {
        visit_pages(vs, &k, add_span, &l);
        visit_tables(vs, &l, fn, ctx);
    }
    if (l.items != NULL) {
        k.alloc->free(k.alloc->ctx, l.items, l.capacity * sizeof(page_span));
    }
    keys_fini(&k);
    return r;
}
