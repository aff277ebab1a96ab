/* Reservations: reserve anywhere or at a fixed address, free, resize, move,
 * and find. Each call changes the tree and the shadow together, so the two
 * agree after every call (invariant I1). */
#include "internal.h"

#include "libc.h"

static int attrs_ok(const vs_attrs *attrs)
{
    return attrs == NULL || ((attrs->rights & ~VS_RIGHTS_ALL) == 0 && (unsigned)attrs->cache < VS_CACHE_COUNT);
}

static void copy_name(char *dst, const char *src)
{
    size_t i = 0;
    for (; src != NULL && src[i] != '\0' && i < VS_NAME_MAX - 1; i++) {
        dst[i] = src[i];
    }
    memset(dst + i, 0, VS_NAME_MAX - i);
}

/* Makes [start, start + size) a reservation: a record from the handle
 * table, linked into the tree; on NO_MEMORY changes nothing. Both are
 * prepared before either changes, the table last, since an unused record
 * would stay. The shadow is not involved: it holds mapped pages only. */
static vs_result install(vs_space *vs, const vs_attrs *attrs, vs_addr start, uint64_t size, vs_reservation **out)
{
    vs_result r = restree_prepare(&vs->tree, start, NULL);
    if (r != VS_OK) {
        return r;
    }
    r = handles_prepare(&vs->handles, &vs->alloc);
    if (r != VS_OK) {
        restree_unprepare(&vs->tree);
        return r;
    }
    res_node *res = handles_add(&vs->handles);
    res->start = start;
    res->end = start + size;
    res->rights = attrs != NULL ? attrs->rights : VS_RIGHT_READ | VS_RIGHT_WRITE;
    res->cache = (uint8_t)(attrs != NULL ? attrs->cache : VS_CACHE_DEFAULT);
    copy_name(res->name, attrs != NULL ? attrs->name : NULL);
    restree_insert(&vs->tree, res);
    vs->reserved_pages += page_of(size);
    if (out != NULL) {
        *out = handles_of(&vs->handles, res);
    }
    return VS_OK;
}

static vs_result reserve_anywhere(vs_space *vs, uint64_t size, uint64_t align, const vs_attrs *attrs,
                                  vs_reservation **out)
{
    uint64_t page = (uint64_t)1 << SHADOW_PAGE_BITS;
    align = align == 0 ? page : align;
    if (vs == NULL || size == 0 || !is_aligned(size, page)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "size is zero or not a multiple of the page size", 0);
    }
    if (align < page || (align & (align - 1)) != 0) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "alignment is not a power of two of at least the page size", 0);
    }
    if (!attrs_ok(attrs)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "rights or cache attribute out of range", 0);
    }
    vs_addr start;
    if (size > vs->end - vs->base || !restree_find_gap(&vs->tree, vs->base, vs->end, size, align, &start)) {
        return vs_fail(vs, VS_ERR_NO_SPACE, "no free range of this size and alignment is left", 0);
    }
    return install(vs, attrs, start, size, out);
}

vs_result vs_reserve(vs_space *vs, uint64_t size, uint64_t align, const vs_attrs *attrs, vs_reservation **out)
{
    vs_begin(vs);
    return vs_end(vs, reserve_anywhere(vs, size, align, attrs, out), 0);
}

static const char OVERLAP_REASON[] = "range overlaps the reservation that starts";

/* OVERLAP, naming the reservation that overlaps a range ending at `end`
 * (the one with the greatest start below `end`). */
static vs_result overlap(vs_space *vs, vs_addr end)
{
    const res_node *hit = restree_last_below(&vs->tree, end);
    return vs_fail(vs, VS_ERR_OVERLAP, OVERLAP_REASON, hit->start);
}

/* The reservation other than res with the greatest start below end, if it
 * overlaps [start, end); else NULL. Lets a move be refused before res
 * leaves the tree, so a refused move changes nothing. */
static const res_node *other_overlapping(const vs_space *vs, const res_node *res, vs_addr start, vs_addr end)
{
    const res_node *hit = restree_last_below(&vs->tree, end);
    if (hit == res) {
        hit = restree_last_below(&vs->tree, res->start);
    }
    return hit != NULL && hit->end > start ? hit : NULL;
}

static vs_result reserve_fixed(vs_space *vs, vs_addr vaddr, uint64_t size, const vs_attrs *attrs, vs_reservation **out)
{
    if (vs == NULL || !attrs_ok(attrs)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "rights or cache attribute out of range", vaddr);
    }
    range_check rc = vs_range_check(vs, vaddr, size);
    if (rc.result != VS_OK) {
        return vs_fail(vs, rc.result, rc.reason, vaddr);
    }
    if (!restree_is_free(&vs->tree, vaddr, vaddr + size)) {
        return overlap(vs, vaddr + size);
    }
    return install(vs, attrs, vaddr, size, out);
}

vs_result vs_reserve_at(vs_space *vs, vs_addr vaddr, uint64_t size, const vs_attrs *attrs, vs_reservation **out)
{
    vs_begin(vs);
    return vs_end(vs, reserve_fixed(vs, vaddr, size, attrs, out), vaddr);
}

/* The node a handle names; NULL (with INVALID_ARG recorded) for a NULL,
 * stale (freed) or foreign handle. */
static res_node *check_handle(vs_space *vs, const vs_reservation *handle)
{
    res_node *res = vs != NULL ? handles_resolve(&vs->handles, handle) : NULL;
    if (res == NULL) {
        vs_fail(vs, VS_ERR_INVALID_ARG, "reservation handle is NULL, freed, or of another vspace", 0);
    }
    return res;
}

/* HAS_MAPPINGS, naming the first mapped page of [addr, addr + size). */
static vs_result has_mappings(vs_space *vs, vs_addr addr, uint64_t size)
{
    return vs_fail(vs, VS_ERR_HAS_MAPPINGS, "a page of the reservation is still mapped",
                   vs_first_mapped(vs, addr, size));
}

static vs_result free_reservation(vs_space *vs, vs_reservation *handle, unsigned flags)
{
    /* The leaf's link first: read before the record is, the leaf need not
     * wait for it (handles.h). Used only once the handle is accepted. */
    restree_node *leaf = vs != NULL ? handles_leaf_of(&vs->handles, handle) : NULL;
    res_node *res = check_handle(vs, handle);
    if (res == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_result r = VS_OK;
    if ((flags & ~(unsigned)(VS_FREE_UNMAP | VS_FREE_FRAMES)) != 0) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "unknown flags", res->start);
    }
    if (res->mapped_pages != 0) {
        if (!(flags & VS_FREE_UNMAP)) {
            return has_mappings(vs, res->start, res->end - res->start);
        }
        r = vs_unmap_range(vs, res, res->start, res->end - res->start, (flags & VS_FREE_FRAMES) != 0);
        if (r != VS_OK) {
            return r;
        }
    }
    restree_remove(&vs->tree, res, leaf);
    vs->reserved_pages -= page_of(res->end - res->start);
    handles_remove(&vs->handles, res, &vs->alloc);
    return VS_OK;
}

vs_result vs_free(vs_space *vs, vs_reservation *res, unsigned flags)
{
    vs_begin(vs);
    return vs_end(vs, free_reservation(vs, res, flags), 0);
}

static vs_result grow(vs_space *vs, res_node *res, vs_addr new_end)
{
    if (!restree_is_free(&vs->tree, res->end, new_end)) {
        return overlap(vs, new_end);
    }
    vs->reserved_pages += page_of(new_end - res->end);
    res->end = new_end;
    restree_refresh(&vs->tree, res);
    return VS_OK;
}

static vs_result shrink(vs_space *vs, res_node *res, vs_addr new_end)
{
    uint64_t dropped = page_of(res->end - new_end);
    if (res->mapped_pages != 0 && shadow_count_mapped(&vs->shadow, page_of(new_end), dropped) != 0) {
        return has_mappings(vs, new_end, res->end - new_end);
    }
    vs->reserved_pages -= dropped;
    res->end = new_end;
    restree_refresh(&vs->tree, res);
    return VS_OK;
}

static vs_result resize_reservation(vs_space *vs, vs_reservation *handle, uint64_t new_size)
{
    res_node *res = check_handle(vs, handle);
    if (res == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    range_check rc = vs_range_check(vs, res->start, new_size);
    if (rc.result != VS_OK) {
        return vs_fail(vs, rc.result, rc.reason, res->start);
    }
    vs_addr new_end = res->start + new_size;
    if (new_end > res->end) {
        return grow(vs, res, new_end);
    }
    return new_end < res->end ? shrink(vs, res, new_end) : VS_OK;
}

vs_result vs_resize(vs_space *vs, vs_reservation *res, uint64_t new_size)
{
    vs_begin(vs);
    return vs_end(vs, resize_reservation(vs, res, new_size), 0);
}

static vs_result move_reservation(vs_space *vs, vs_reservation *handle, vs_addr new_vaddr)
{
    res_node *res = check_handle(vs, handle);
    if (res == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_result r = VS_OK;
    range_check rc = vs_range_check(vs, new_vaddr, res->end - res->start);
    if (rc.result != VS_OK) {
        return vs_fail(vs, rc.result, rc.reason, new_vaddr);
    }
    if (res->mapped_pages != 0) {
        return has_mappings(vs, res->start, res->end - res->start);
    }
    const res_node *hit = other_overlapping(vs, res, new_vaddr, new_vaddr + (res->end - res->start));
    if (hit != NULL) {
        return vs_fail(vs, VS_ERR_OVERLAP, OVERLAP_REASON, hit->start);
    }
    r = restree_prepare(&vs->tree, new_vaddr, res);
    if (r != VS_OK) {
        return r;
    }
    restree_remove(&vs->tree, res, restree_leaf_of(&vs->tree, res));
    res->end = new_vaddr + (res->end - res->start);
    res->start = new_vaddr;
    restree_insert(&vs->tree, res);
    return VS_OK;
}

vs_result vs_move(vs_space *vs, vs_reservation *res, vs_addr new_vaddr)
{
    vs_begin(vs);
    return vs_end(vs, move_reservation(vs, res, new_vaddr), new_vaddr);
}

vs_result vs_find(const vs_space *vs, vs_addr vaddr, vs_reservation **out)
{
    if (vs == NULL || out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    const res_node *res = restree_containing(&vs->tree, vaddr);
    if (res == NULL) {
        return VS_ERR_NOT_RESERVED;
    }
    *out = handles_of(&vs->handles, res);
    return VS_OK;
}

vs_result vs_reservation_get_info(const vs_space *vs, const vs_reservation *res, vs_reservation_info *out)
{
    if (out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    const res_node *node = vs != NULL ? handles_resolve(&vs->handles, res) : NULL;
    if (node == NULL) {
        memset(out, 0, sizeof *out);
        return VS_ERR_INVALID_ARG;
    }
    out->start = node->start;
    out->end = node->end;
    memcpy(out->name, node->name, VS_NAME_MAX);
    out->rights = node->rights;
    out->cache = (vs_cache)node->cache;
    out->mapped_pages = node->mapped_pages;
    return VS_OK;
}

size_t vs_reservation_count(const vs_space *vs)
{
    return vs != NULL ? vs->tree.count : 0;
}

typedef struct visit_handles {
    const vs_space *vs;
    int (*fn)(void *ctx, const vs_reservation *res);
    void *ctx;
} visit_handles;

static int visit_handle(void *ctx, const res_node *res)
{
    const visit_handles *v = ctx;
    return v->fn(v->ctx, handles_of(&v->vs->handles, res));
}

int vs_for_each_reservation(const vs_space *vs, int (*fn)(void *ctx, const vs_reservation *res), void *ctx)
{
    if (vs == NULL || fn == NULL) {
        return 0;
    }
    visit_handles v = {vs, fn, ctx};
    return restree_for_each(&vs->tree, visit_handle, &v);
}
