/* I3, a frame cap backs at most one mapping: collect the cap of every
 * mapped page, sort, and look for neighbours that are equal. */
#include "internal.h"

typedef struct cap_at {
    vs_cap cap;
    vs_addr vaddr;
} cap_at;

typedef struct cap_list {
    const vs_space *vs;
    cap_at *items;
    size_t count;
} cap_list;

/* Every mapped page once (a large page is one record). */
static int collect(void *ctx, uint64_t key, const shadow_leaf *leaf)
{
    cap_list *list = ctx;
    const shadow *s = &list->vs->shadow;
    for (unsigned i = 0; i < SHADOW_LEAF_PAGES && list->count < list->vs->mapped_pages; i++) {
        shadow_entry e;
        shadow_decode(leaf, i, &e);
        uint64_t page = shadow_key_page(s, key) + ((uint64_t)i << shadow_key_shift(s, key));
        if (e.state == VS_PAGE_MAPPED) {
            list->items[list->count++] = (cap_at){e.cap, page << SHADOW_PAGE_BITS};
        }
    }
    return 0;
}

static int cap_before(const cap_at *a, const cap_at *b)
{
    return a->cap < b->cap || (a->cap == b->cap && a->vaddr < b->vaddr);
}

static void sift_down(cap_at *items, size_t root, size_t count)
{
    for (size_t child = 2 * root + 1; child < count; root = child, child = 2 * root + 1) {
        if (child + 1 < count && cap_before(&items[child], &items[child + 1])) {
            child++;
        }
        if (!cap_before(&items[root], &items[child])) {
            return;
        }
        cap_at tmp = items[root];
        items[root] = items[child];
        items[child] = tmp;
    }
}

/* Heapsort: no recursion, no libc, O(n log n) worst case. */
static void sort_caps(cap_at *items, size_t count)
{
    for (size_t i = count / 2; i-- > 0;) {
        sift_down(items, i, count);
    }
    for (size_t end = count; end-- > 1;) {
        cap_at tmp = items[0];
        items[0] = items[end];
        items[end] = tmp;
        sift_down(items, 0, end);
    }
}

vs_result vs_check_caps(const vs_space *vs, void (*dup)(void *ctx, vs_addr vaddr, vs_cap cap), void *ctx)
{
    if (vs->mapped_pages == 0) {
        return VS_OK;
    }
    if (vs->mapped_pages > SIZE_MAX / sizeof(cap_at)) {
        return VS_ERR_NO_MEMORY;
    }
    size_t bytes = (size_t)vs->mapped_pages * sizeof(cap_at);
    const vs_allocator *a = &vs->alloc.base;
    cap_list list = {vs, a->alloc(a->ctx, bytes), 0};
    if (list.items == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    shadow_for_each_leaf(&vs->shadow, collect, &list);
    sort_caps(list.items, list.count);
    for (size_t i = 1; i < list.count; i++) {
        if (list.items[i].cap == list.items[i - 1].cap) {
            dup(ctx, list.items[i].vaddr, list.items[i].cap);
        }
    }
    a->free(a->ctx, list.items, bytes);
    return VS_OK;
}
