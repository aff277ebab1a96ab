/* Mapping and unmapping pages. Mapping works in runs: a source hands out a
 * run of frames, the kernel maps the run (creating paging structures on the
 * way), the shadow records it. The shadow entries written so far are the
 * undo log: if a later run fails, the pages already mapped are read back
 * from the shadow and unmapped, so the call changes nothing. */
#include "internal.h"

/* Gathers up to RUN_MAX mapped pages of one size from the cursor into run
 * (a page of another size is left for the next call). Returns 0 when the
 * cursor is exhausted. */
int vs_gather(shadow_cursor *c, page_run *run)
{
    uint64_t page;
    shadow_entry e;
    run->count = 0;
    run->not_callers = 0;
    run->caps = run->cap_buf;
    run->cookies = run->cookie_buf;
    while (run->count < RUN_MAX && shadow_cursor_peek(c, &page, &e)) {
        if (run->count > 0 && e.size_index != run->size_index) {
            break;
        }
        run->size_index = e.size_index;
        if (e.size_index == 0) {
            unsigned n = run->count;
            run->count +=
                shadow_cursor_take_base(c, run->cap_buf + n, run->cookie_buf + n, run->owner_buf + n, RUN_MAX - n);
            for (; n < run->count; n++) {
                run->not_callers += run->owner_buf[n] != VS_OWNER_CALLER;
            }
            continue;
        }
        run->cap_buf[run->count] = e.cap;
        run->cookie_buf[run->count] = e.cookie;
        run->owner_buf[run->count] = (uint8_t)e.owner;
        run->not_callers += e.owner != VS_OWNER_CALLER;
        run->count++;
        shadow_cursor_skip(c, &e);
    }
    return run->count > 0;
}

/* Undoes the pages mapped in [vaddr, vaddr + size) by this call. */
static void unmap_done(vs_space *vs, vs_addr vaddr, uint64_t size, const page_source *src)
{
    shadow_cursor c;
    page_run run;
    vs_cursor(vs, &c, vaddr, size);
    while (vs_gather(&c, &run)) {
        vs->release_failures += kcall_unmap_all(vs, run.caps, run.count, run.size_index, NULL);
        src->put(vs, src->ctx, &run);
    }
    if (size != 0) {
        shadow_clear(&vs->shadow, &vs->alloc, page_of(vaddr), page_of(size));
    }
}

/* A large page first detaches the empty tables smaller pages left in its
 * span: the kernel will not map it over them. The caller knows no page in
 * the span is mapped, and settles the detached tables (settle_tables)
 * when its call ends. */
static vs_result detach_tables_below(vs_space *vs, vs_addr at, unsigned size_index, uint64_t count)
{
    const vs_page_size *size = &vs->arch->page_sizes[size_index];
    if (size->level + 1u < vs->arch->num_levels) {
        return tables_detach_span(vs, at, count << size->bits, size->level);
    }
    return VS_OK;
}

/* Frees the tables detached for large pages if the call committed, else
 * maps them back: a failed call leaves the tables it found. */
static inline void settle_tables(vs_space *vs, int committed)
{
    if (vs->tables.detached != 0) {
        tables_settle_detached(vs, committed);
    }
}

/* Maps one run at `at`; on failure nothing of it stays. Bookkeeping is
 * allocated before the kernel is called, so no failure needs a kernel undo
 * but a kernel failure. */
static vs_result map_run(vs_space *vs, const res_node *res, vs_addr at, const page_run *run, const page_source *src)
{
    const vs_page_size *size = &vs->arch->page_sizes[run->size_index];
    if (!is_aligned(at, (uint64_t)1 << size->bits)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "page address is not aligned to its page size", at);
    }
    shadow_run record = {run->caps,       run->cookies, run->count, (unsigned)pages_in(vs, run->size_index),
                         run->size_index, src->owner,   0};
    vs_result r = shadow_prepare_run(&vs->shadow, &vs->alloc, page_of(at), &record);
    if (r != VS_OK) {
        return r;
    }
    r = detach_tables_below(vs, at, run->size_index, run->count);
    if (r == VS_OK) {
        frame_batch batch = {run->caps, run->count, run->size_index, at, res->rights, (vs_cache)res->cache};
        r = tables_map_frames(vs, &batch);
    }
    if (r != VS_OK) {
        shadow_unprepare_run(&vs->shadow, &vs->alloc, page_of(at), &record);
        return r;
    }
    shadow_write_run(&vs->shadow, page_of(at), &record);
    return VS_OK;
}

vs_result vs_map_pages(vs_space *vs, vs_addr vaddr, uint64_t size, const page_source *src)
{
    res_node *res = vs_reservation_holding(vs, vaddr, size);
    if (res == NULL) {
        return vs_fail(vs, VS_ERR_NOT_RESERVED, "range is not inside one reservation", vaddr);
    }
    if (res->mapped_pages != 0 && shadow_count_mapped(&vs->shadow, page_of(vaddr), page_of(size)) != 0) {
        return vs_fail(vs, VS_ERR_ALREADY_MAPPED, "page is already mapped", vs_first_mapped(vs, vaddr, size));
    }
    vs_result r = VS_OK;
    shadow_begin(&vs->shadow);
    uint64_t mark = tables_mark(&vs->tables);
    uint64_t offset = 0;
    while (offset < size) {
        page_run run;
        r = src->get(vs, src->ctx, offset, size - offset, &run);
        if (r == VS_OK) {
            r = map_run(vs, res, vaddr + offset, &run, src);
            if (r != VS_OK) {
                src->put(vs, src->ctx, &run);
            }
        }
        if (r != VS_OK) {
            unmap_done(vs, vaddr, offset, src);
            tables_rollback(vs, mark);
            settle_tables(vs, 0);
            shadow_end(&vs->shadow, &vs->alloc, 0);
            return r;
        }
        offset += (run.count * pages_in(vs, run.size_index)) << SHADOW_PAGE_BITS;
    }
    settle_tables(vs, 1);
    shadow_end(&vs->shadow, &vs->alloc, 1);
    res->mapped_pages += page_of(size);
    vs->mapped_pages += page_of(size);
    return VS_OK;
}

/* One page through the generic run machinery: a cap that goes to the
 * side array (a cookie, or a high half other than the leaf's). */
static vs_result map_one_recorded(vs_space *vs, uint64_t page, const frame_batch *batch, const uintptr_t *cookie,
                                  vs_page_owner owner)
{
    shadow_begin(&vs->shadow);
    unsigned k = batch->size_index;
    shadow_run record = {batch->caps, cookie, 1, (unsigned)pages_in(vs, k), k, owner, 0};
    vs_result r = shadow_prepare_run(&vs->shadow, &vs->alloc, page, &record);
    if (r == VS_OK) {
        r = k != 0 ? detach_tables_below(vs, batch->vaddr, k, 1) : VS_OK;
        if (r == VS_OK) {
            r = tables_map_frames(vs, batch);
        }
        if (r == VS_OK) {
            shadow_write_run(&vs->shadow, page, &record);
        } else {
            shadow_unprepare_run(&vs->shadow, &vs->alloc, page, &record);
        }
        settle_tables(vs, r == VS_OK);
    }
    shadow_end(&vs->shadow, &vs->alloc, r == VS_OK);
    return r;
}

/* Where one page of size index k is to be mapped: its reservation, and
 * its leaf (in the key space of its size) if it has one. */
typedef struct free_page {
    res_node *res;
    shadow_leaf *leaf;
    uint64_t page;
    unsigned index;
    unsigned size_index;
} free_page;

/* Finds where vaddr's page of size index k goes; refuses one outside a
 * reservation or overlapping a mapped page. Changes nothing. A base page
 * has one entry to test; a large one covers many base pages, counted only
 * if its reservation has any mapped. */
static inline __attribute__((always_inline)) vs_result find_free_page(vs_space *vs, vs_addr vaddr, unsigned k,
                                                                      free_page *out)
{
    uint64_t bytes = (uint64_t)1 << (k == 0 ? SHADOW_PAGE_BITS : vs->arch->page_sizes[k].bits);
    out->res = vs_reservation_holding(vs, vaddr, bytes);
    if (out->res == NULL) {
        return vs_fail(vs, VS_ERR_NOT_RESERVED, "range is not inside one reservation", vaddr);
    }
    out->page = page_of(vaddr);
    out->size_index = k;
    int mapped = 0;
    if (k == 0) {
        out->index = (unsigned)(out->page & (SHADOW_LEAF_PAGES - 1));
        out->leaf = shadow_leaf_of(&vs->shadow, out->page);
        unsigned large_index = 0;
        mapped = out->leaf != NULL
                     ? (out->leaf->meta[out->index] & META_STATE_MASK) == VS_PAGE_MAPPED
                     : vs->shadow.large_total != 0 && shadow_find_large(&vs->shadow, out->page, &large_index) != NULL;
    } else {
        out->index = shadow_index(&vs->shadow, k, out->page);
        out->leaf = shadow_leaf_by_key(&vs->shadow, shadow_key(&vs->shadow, k, out->page));
        if (out->res->mapped_pages != 0 && shadow_count_mapped(&vs->shadow, out->page, page_of(bytes)) != 0) {
            vaddr = vs_first_mapped(vs, vaddr, bytes);
            mapped = 1;
        }
    }
    return mapped ? vs_fail(vs, VS_ERR_ALREADY_MAPPED, "page is already mapped", vaddr) : VS_OK;
}

/* The kernel's answer to one frame as a batch of one, for the generic
 * paths (side array, retry after a missing table). */
static inline frame_batch one_frame(const vs_cap *cap, vs_addr vaddr, const res_node *res, unsigned size_index)
{
    return (frame_batch){cap, 1, size_index, vaddr, res->rights, (vs_cache)res->cache};
}

/* A single-page map the kernel refused: retried through the table path.
 * Out of line, so that the batch it needs is built only on failure. */
static __attribute__((noinline)) vs_result map_one_failed(vs_space *vs, const vs_cap *cap, vs_addr vaddr,
                                                          const res_node *res, unsigned size_index, vs_kstatus st)
{
    frame_batch batch = one_frame(cap, vaddr, res, size_index);
    return tables_map_failed(vs, &batch, st, 0);
}

/* One page at a free page: the steps of vs_map_pages and map_run without
 * the page source, with one probe of the shadow and the kernel called
 * directly. Most base pages find their leaf ready (fifteen of sixteen
 * mapped in sequence), or need only a new empty one, as does a large page,
 * and are recorded in place: inline cap, no side array. */
static inline __attribute__((always_inline)) vs_result map_one_at(vs_space *vs, const free_page *at, vs_addr vaddr,
                                                                  const vs_cap *cap, const uintptr_t *cookie,
                                                                  vs_page_owner owner)
{
    res_node *res = at->res;
    shadow_leaf *leaf = at->leaf;
    unsigned k = at->size_index;
    int has_cookie = cookie != NULL && *cookie != 0;
    int in_place =
        !has_cookie && (leaf == NULL || leaf->cap_hi == (uint32_t)(*cap >> 32) || !shadow_leaf_has_inline(leaf));
    vs_result r = VS_OK;
    if (!in_place) {
        frame_batch batch = one_frame(cap, vaddr, res, k);
        r = map_one_recorded(vs, at->page, &batch, cookie, owner);
    } else {
        int fresh = leaf == NULL;
        if (fresh) {
            shadow_begin(&vs->shadow);
            leaf = shadow_add_leaf(&vs->shadow, &vs->alloc, shadow_key(&vs->shadow, k, at->page));
            r = leaf != NULL ? VS_OK : VS_ERR_NO_MEMORY;
        }
        if (r == VS_OK && k != 0) {
            r = detach_tables_below(vs, vaddr, k, 1);
        }
        if (r == VS_OK) {
            vs_kstatus st =
                vs->kernel.ops->map_frame(vs->kernel.ctx, vs->root, *cap, vaddr, k, res->rights, (vs_cache)res->cache);
            r = st.error == 0 ? VS_OK : map_one_failed(vs, cap, vaddr, res, k, st);
        }
        if (k != 0) {
            settle_tables(vs, r == VS_OK);
        }
        if (r == VS_OK) {
            shadow_write_inline(&vs->shadow, leaf, at->index, *cap, k, owner);
        } else if (fresh && leaf != NULL) {
            shadow_release_leaf(&vs->shadow, &vs->alloc, leaf);
        }
        if (fresh) {
            shadow_end(&vs->shadow, &vs->alloc, r == VS_OK);
        }
    }
    if (r == VS_OK) {
        uint64_t pages = k == 0 ? 1 : pages_in(vs, k);
        res->mapped_pages += pages;
        vs->mapped_pages += pages;
    }
    return r;
}

static inline __attribute__((always_inline)) vs_result map_one(vs_space *vs, vs_addr vaddr, const vs_cap *cap,
                                                               const uintptr_t *cookie, unsigned k)
{
    free_page at = {NULL, NULL, 0, 0, 0};
    vs_result r = find_free_page(vs, vaddr, k, &at);
    return r == VS_OK ? map_one_at(vs, &at, vaddr, cap, cookie, VS_OWNER_CALLER) : r;
}

/* ---- vs_map: the caller's caps ---- */

typedef struct cap_array {
    const vs_cap *caps;
    const uintptr_t *cookies;
    unsigned size_index;
    unsigned size_bits;
} cap_array;

/* Hands out the caller's array in slices of at most UINT_MAX pages. */
static vs_result cap_array_get(vs_space *vs, void *ctx, uint64_t offset, uint64_t bytes_left, page_run *run)
{
    (void)vs;
    const cap_array *a = ctx;
    uint64_t i = offset >> a->size_bits;
    uint64_t left = bytes_left >> a->size_bits;
    run->caps = a->caps + i;
    run->cookies = a->cookies != NULL ? a->cookies + i : NULL;
    run->count = left > 0x40000000u ? 0x40000000u : (unsigned)left;
    run->size_index = a->size_index;
    return VS_OK;
}

static void cap_array_put(vs_space *vs, void *ctx, const page_run *run)
{
    (void)vs, (void)ctx, (void)run;
}

static int cap_ok(const vs_space *vs, vs_cap cap)
{
    return cap != 0 && (vs->arch->word_bits == 64 || cap <= UINT32_MAX);
}

/* Validates the arguments common to vs_map and vs_map_new. */
static vs_result map_args(vs_space *vs, vs_addr vaddr, size_t n, unsigned size_bits, int *size_index, uint64_t *size)
{
    if (vs == NULL || n == 0) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "page count is zero", vaddr);
    }
    /* Every architecture's first size is its base page: the common case
     * needs no search of the size table. */
    *size_index = size_bits == SHADOW_PAGE_BITS ? 0 : vs_arch_page_size_index(vs->arch, size_bits);
    if (*size_index < 0) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "page size not supported by the architecture", vaddr);
    }
    if ((uint64_t)n > (UINT64_MAX >> size_bits)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "range wraps around the end of the address space", vaddr);
    }
    if (!is_aligned(vaddr, (uint64_t)1 << size_bits)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "address is not aligned to the page size", vaddr);
    }
    *size = (uint64_t)n << size_bits;
    range_check rc = vs_range_check(vs, vaddr, *size);
    if (rc.result == VS_OK && vaddr + *size > vs->arch->user_end) {
        rc = (range_check){VS_ERR_OUT_OF_RANGE, "range reaches the kernel's part of the address space (user_end)"};
    }
    return rc.result == VS_OK ? VS_OK : vs_fail(vs, rc.result, rc.reason, vaddr);
}

static vs_result map_caps(vs_space *vs, vs_addr vaddr, const vs_cap *caps, const uintptr_t *cookies, size_t n,
                          unsigned size_bits)
{
    /* One base page whose arguments pass the short tests goes straight to
     * map_one; anything else, wrong arguments included, takes the checks
     * below, which name what is wrong. */
    if (vs != NULL && n == 1 && size_bits == SHADOW_PAGE_BITS && caps != NULL && vs_one_page_in_range(vs, vaddr) &&
        vaddr + ((vs_addr)1 << SHADOW_PAGE_BITS) <= vs->arch->user_end && cap_ok(vs, *caps)) {
        return map_one(vs, vaddr, caps, cookies, 0);
    }
    int size_index = -1;
    uint64_t size = 0;
    vs_result r = map_args(vs, vaddr, n, size_bits, &size_index, &size);
    if (r != VS_OK) {
        return r;
    }
    if (caps == NULL) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "caps is NULL", vaddr);
    }
    for (size_t i = 0; i < n; i++) {
        if (!cap_ok(vs, caps[i])) {
            return vs_fail(vs, VS_ERR_CAP_RANGE, "cap is null or wider than the architecture's word",
                           vaddr + ((vs_addr)i << size_bits));
        }
    }
    if (n == 1) {
        return map_one(vs, vaddr, caps, cookies, (unsigned)size_index);
    }
    cap_array a = {caps, cookies, (unsigned)size_index, size_bits};
    page_source src = {cap_array_get, cap_array_put, &a, VS_OWNER_CALLER};
    return vs_map_pages(vs, vaddr, size, &src);
}

vs_result vs_map(vs_space *vs, vs_addr vaddr, const vs_cap *caps, const uintptr_t *cookies, size_t n,
                 unsigned size_bits)
{
    vs_begin(vs);
    return vs_end(vs, map_caps(vs, vaddr, caps, cookies, n, size_bits), vaddr);
}

/* ---- vs_map_new: frames allocated here ---- */

static void new_frames_put(vs_space *vs, void *ctx, const page_run *run)
{
    (void)ctx;
    for (unsigned i = 0; i < run->count; i++) {
        vs_object obj = {run->caps[i], run->cookies[i]};
        vs_release_failed(vs, vs->kernel.ops->free_object(vs->kernel.ctx, VS_OBJ_FRAME, run->size_index, &obj));
    }
}

static vs_result new_frames_get(vs_space *vs, void *ctx, uint64_t offset, uint64_t bytes_left, page_run *run)
{
    (void)offset;
    run->size_index = *(const unsigned *)ctx;
    run->caps = run->cap_buf;
    run->cookies = run->cookie_buf;
    run->count = 0;
    uint64_t left = bytes_left >> vs->arch->page_sizes[run->size_index].bits;
    vs_result r = VS_OK;
    while (run->count < RUN_MAX && run->count < left && r == VS_OK) {
        vs_object obj;
        int error = vs->kernel.ops->alloc_object(vs->kernel.ctx, VS_OBJ_FRAME, run->size_index, &obj);
        if (error != 0) {
            r = vs_kernel_failed(vs, error, "alloc_object", 0);
            break;
        }
        run->cap_buf[run->count] = obj.cap;
        run->cookie_buf[run->count] = obj.cookie;
        run->count++;
        r = cap_ok(vs, obj.cap) ? VS_OK
                                : vs_fail(vs, VS_ERR_CAP_RANGE, "the kernel handed out a cap wider than the word", 0);
    }
    if (r != VS_OK) {
        new_frames_put(vs, ctx, run);
    }
    return r;
}

static vs_result map_new_frames(vs_space *vs, vs_addr vaddr, size_t n, unsigned size_bits)
{
    int size_index = -1;
    uint64_t size = 0;
    vs_result r = map_args(vs, vaddr, n, size_bits, &size_index, &size);
    if (r != VS_OK) {
        return r;
    }
    unsigned index = (unsigned)size_index;
    page_source src = {new_frames_get, new_frames_put, &index, VS_OWNER_VSPACE};
    if (n > 1) {
        return vs_map_pages(vs, vaddr, size, &src);
    }
    /* One page: checked first, as vs_map_pages does, so a refused call
     * allocates nothing; then a frame, mapped as vs_map maps one. */
    free_page at = {NULL, NULL, 0, 0, 0};
    page_run run;
    run.cap_buf[0] = 0; /* the source fills the page's cap and cookie; no path reads them unset */
    run.cookie_buf[0] = 0;
    r = find_free_page(vs, vaddr, index, &at);
    if (r == VS_OK) {
        r = new_frames_get(vs, &index, 0, size, &run);
    }
    if (r == VS_OK) {
        r = map_one_at(vs, &at, vaddr, run.caps, run.cookies, VS_OWNER_VSPACE);
        if (r != VS_OK) {
            new_frames_put(vs, &index, &run);
        }
    }
    return r;
}

vs_result vs_map_new(vs_space *vs, vs_addr vaddr, size_t n, unsigned size_bits)
{
    vs_begin(vs);
    return vs_end(vs, map_new_frames(vs, vaddr, n, size_bits), vaddr);
}

/* ---- vs_map_new_filled: new frames written before they are mapped ---- */

typedef struct filled_source {
    unsigned size_index; /* first: new_frames_get and _put read the context as this */
    vs_addr vaddr;
    vs_fill_fn fill;
    void *fill_ctx;
} filled_source;

/* A run of new frames, handed to the caller's fill before map_run maps
 * them; a refused fill frees them again, as a failed map does. */
static vs_result filled_frames_get(vs_space *vs, void *ctx, uint64_t offset, uint64_t bytes_left, page_run *run)
{
    filled_source *f = ctx;
    vs_result r = new_frames_get(vs, &f->size_index, offset, bytes_left, run);
    if (r != VS_OK) {
        return r;
    }
    vs_addr at = f->vaddr + offset;
    r = f->fill(f->fill_ctx, at, run->caps, run->count, vs->arch->page_sizes[f->size_index].bits);
    if (r != VS_OK) {
        new_frames_put(vs, &f->size_index, run);
        return vs_fail(vs, r > VS_OK && r < VS_RESULT_COUNT ? r : VS_ERR_INVALID_ARG, "the fill callback failed", at);
    }
    return VS_OK;
}

vs_result vs_map_new_filled(vs_space *vs, vs_addr vaddr, size_t n, unsigned size_bits, vs_fill_fn fill, void *ctx)
{
    vs_begin(vs);
    int size_index = -1;
    uint64_t size = 0;
    vs_result r = fill != NULL ? map_args(vs, vaddr, n, size_bits, &size_index, &size)
                               : vs_fail(vs, VS_ERR_INVALID_ARG, "no fill callback", vaddr);
    if (r == VS_OK) {
        filled_source f = {(unsigned)size_index, vaddr, fill, ctx};
        page_source src = {filled_frames_get, new_frames_put, &f, VS_OWNER_VSPACE};
        r = vs_map_pages(vs, vaddr, size, &src);
    }
    return vs_end(vs, r, vaddr);
}

/* ---- unmapping ---- */

/* Frees the frame or deletes the copy behind a page, as its owner says. A
 * failure is counted, not undone: the unmap it follows is committed. */
void vs_release_frame(vs_space *vs, const shadow_entry *e, int free_frames)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    vs_object obj = {e->cap, e->cookie};
    int error = 0;
    if (e->owner == VS_OWNER_COPY) {
        error = ops->delete_cap(vs->kernel.ctx, e->cap);
    } else if (e->owner == VS_OWNER_VSPACE || free_frames) {
        error = ops->free_object(vs->kernel.ctx, VS_OBJ_FRAME, e->size_index, &obj);
    }
    vs_release_failed(vs, error);
}

/* Re-maps the pages of [addr, until) unmapped before a kernel failure. */
static void remap_range(vs_space *vs, const res_node *res, vs_addr addr, vs_addr until)
{
    shadow_cursor c;
    uint64_t page;
    shadow_entry e;
    vs_cursor(vs, &c, addr, until - addr);
    while (shadow_cursor_next(&c, &page, &e)) {
        frame_batch one = {&e.cap, 1, e.size_index, page << SHADOW_PAGE_BITS, res->rights, (vs_cache)res->cache};
        vs->release_failures += tables_map_frames(vs, &one) != VS_OK;
    }
}

/* Phase one of an unmap: the kernel unmaps, all or nothing. Counts the
 * pages unmapped and those whose frame needs releasing afterwards. */
static vs_result kernel_unmap_range(vs_space *vs, const res_node *res, vs_addr addr, uint64_t size, uint64_t *unmapped,
                                    uint64_t *releasable)
{
    shadow_cursor c;
    page_run run;
    vs_cursor(vs, &c, addr, size);
    for (shadow_cursor run_start = c; vs_gather(&c, &run); run_start = c) {
        unsigned done = 0;
        int error = kcall_unmap_frames(vs, run.caps, run.count, run.size_index, &done);
        if (error != 0) {
            /* Pages are gathered in address order: every mapped page before
             * the failing one, run.caps[done], is unmapped, none after it. */
            uint64_t failed = 0;
            shadow_entry e;
            for (unsigned i = 0; i <= done; i++) {
                shadow_cursor_next(&run_start, &failed, &e);
            }
            remap_range(vs, res, addr, failed << SHADOW_PAGE_BITS);
            return vs_kernel_failed(vs, error, "unmap_frame", failed << SHADOW_PAGE_BITS);
        }
        *unmapped += run.count * pages_in(vs, run.size_index);
        *releasable += run.not_callers;
    }
    return VS_OK;
}

/* Phase two: the unmap is committed; release frames and copies. */
static void release_range(vs_space *vs, vs_addr addr, uint64_t size, int free_frames)
{
    shadow_cursor c;
    uint64_t page;
    shadow_entry e;
    vs_cursor(vs, &c, addr, size);
    while (shadow_cursor_next(&c, &page, &e)) {
        vs_release_frame(vs, &e, free_frames);
    }
}

vs_result vs_unmap_range(vs_space *vs, res_node *res, vs_addr addr, uint64_t size, int free_frames)
{
    uint64_t unmapped = 0;
    uint64_t releasable = 0;
    vs_result r = kernel_unmap_range(vs, res, addr, size, &unmapped, &releasable);
    if (r != VS_OK) {
        return r;
    }
    if (releasable != 0 || free_frames) {
        release_range(vs, addr, size, free_frames);
    }
    shadow_clear(&vs->shadow, &vs->alloc, page_of(addr), page_of(size));
    res->mapped_pages -= unmapped;
    vs->mapped_pages -= unmapped;
    return VS_OK;
}

int vs_whole_pages(const vs_space *vs, vs_addr addr, uint64_t size)
{
    shadow_entry first;
    shadow_entry last;
    shadow_get(&vs->shadow, page_of(addr), &first);
    shadow_get(&vs->shadow, page_of(addr + size) - 1, &last);
    uint64_t first_bytes = (uint64_t)1 << vs->arch->page_sizes[first.size_index].bits;
    uint64_t last_bytes = (uint64_t)1 << vs->arch->page_sizes[last.size_index].bits;
    return is_aligned(addr, first_bytes) && is_aligned(addr + size, last_bytes);
}

/* Why a single base page cannot be unmapped: nothing is mapped there, or
 * a large page over it would be cut. */
static __attribute__((noinline)) vs_result unmap_one_refused(vs_space *vs, vs_addr vaddr)
{
    unsigned i = 0;
    int no_base_leaf = shadow_leaf_of(&vs->shadow, page_of(vaddr)) == NULL;
    const shadow_leaf *large =
        no_base_leaf && vs->shadow.large_total != 0 ? shadow_find_large(&vs->shadow, page_of(vaddr), &i) : NULL;
    return large != NULL ? vs_fail(vs, VS_ERR_INVALID_ARG, "range cuts a large page", vaddr)
                         : vs_fail(vs, VS_ERR_NOT_MAPPED, "page is not mapped", vaddr);
}

/* One base page: the same steps as vs_unmap_range with one probe of the
 * shadow instead of five (the all-mapped count, the whole-page check, the
 * cursor, the clear). */
static vs_result unmap_one(vs_space *vs, res_node *res, vs_addr vaddr, int free_frames)
{
    uint64_t page = page_of(vaddr);
    unsigned i = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
    shadow_leaf *leaf = shadow_base_leaf_fast(&vs->shadow, page);
    if (leaf == NULL || (leaf->meta[i] & META_STATE_MASK) != VS_PAGE_MAPPED) {
        return unmap_one_refused(vs, vaddr);
    }
    int error = vs->kernel.ops->unmap_frame(vs->kernel.ctx, shadow_leaf_cap(leaf, i), 0);
    if (error != 0) {
        return vs_kernel_failed(vs, error, "unmap_frame", vaddr);
    }
    if ((leaf->meta[i] & META_OWNER_MASK) != (VS_OWNER_CALLER << META_OWNER_SHIFT) || free_frames) {
        shadow_entry e;
        shadow_decode(leaf, i, &e);
        vs_release_frame(vs, &e, free_frames);
    }
    shadow_clear_entry(&vs->shadow, &vs->alloc, leaf, i);
    res->mapped_pages--;
    vs->mapped_pages--;
    return VS_OK;
}

/* The large page whose whole span is [vaddr, vaddr + size): its leaf and
 * entry, or NULL. */
static shadow_leaf *whole_large_page(const vs_space *vs, vs_addr vaddr, uint64_t size, unsigned *index)
{
    uint64_t page = page_of(vaddr);
    if (vs->shadow.large_total == 0 || shadow_leaf_of(&vs->shadow, page) != NULL) {
        return NULL;
    }
    shadow_leaf *large = shadow_find_large(&vs->shadow, page, index);
    if (large == NULL) {
        return NULL;
    }
    uint64_t bytes = pages_in(vs, shadow_key_size(large->key)) << SHADOW_PAGE_BITS;
    return bytes == size && is_aligned(vaddr, bytes) ? large : NULL;
}

/* One whole large page: one lookup instead of the range's count, cut
 * test, gather and clear; the same steps as vs_unmap_range. */
static vs_result unmap_one_large(vs_space *vs, res_node *res, vs_addr vaddr, uint64_t size, shadow_leaf *large,
                                 unsigned index, int free_frames)
{
    shadow_entry e;
    shadow_decode(large, index, &e);
    int error = vs->kernel.ops->unmap_frame(vs->kernel.ctx, e.cap, e.size_index);
    if (error != 0) {
        return vs_kernel_failed(vs, error, "unmap_frame", vaddr);
    }
    if (e.owner != VS_OWNER_CALLER || free_frames) {
        vs_release_frame(vs, &e, free_frames);
    }
    shadow_clear_large(&vs->shadow, &vs->alloc, large, index);
    res->mapped_pages -= page_of(size);
    vs->mapped_pages -= page_of(size);
    return VS_OK;
}

/* Not one base page (unmap_pages took those): one whole large page, or a
 * run of whole pages. Out of line, so that the single-page path saves fewer registers. */
static __attribute__((noinline)) vs_result unmap_many(vs_space *vs, res_node *res, vs_addr vaddr, uint64_t size,
                                                      int free_frames)
{
    unsigned index = 0;
    shadow_leaf *large = whole_large_page(vs, vaddr, size, &index);
    if (large != NULL) {
        return unmap_one_large(vs, res, vaddr, size, large, index, free_frames);
    }
    if (shadow_count_mapped(&vs->shadow, page_of(vaddr), page_of(size)) != page_of(size)) {
        return vs_fail(vs, VS_ERR_NOT_MAPPED, "page is not mapped", vs_first_unmapped(vs, vaddr, size));
    }
    if (!vs_whole_pages(vs, vaddr, size)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "range cuts a large page", vaddr);
    }
    return vs_unmap_range(vs, res, vaddr, size, free_frames);
}

static vs_result unmap_pages(vs_space *vs, vs_addr vaddr, uint64_t size, unsigned flags)
{
    if (vs != NULL && size == (uint64_t)1 << SHADOW_PAGE_BITS && (flags & ~(unsigned)VS_UNMAP_FREE_FRAMES) == 0 &&
        vs_one_page_in_range(vs, vaddr)) {
        res_node *res = vs_reservation_holding(vs, vaddr, size);
        if (res != NULL) {
            return unmap_one(vs, res, vaddr, (flags & VS_UNMAP_FREE_FRAMES) != 0);
        }
    }
    if (vs == NULL || (flags & ~(unsigned)VS_UNMAP_FREE_FRAMES) != 0) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "unknown flags", vaddr);
    }
    range_check rc = vs_range_check(vs, vaddr, size);
    if (rc.result != VS_OK) {
        return vs_fail(vs, rc.result, rc.reason, vaddr);
    }
    res_node *res = vs_reservation_holding(vs, vaddr, size);
    if (res == NULL) {
        return vs_fail(vs, VS_ERR_NOT_RESERVED, "range is not inside one reservation", vaddr);
    }
    return unmap_many(vs, res, vaddr, size, (flags & VS_UNMAP_FREE_FRAMES) != 0);
}

vs_result vs_unmap(vs_space *vs, vs_addr vaddr, uint64_t size, unsigned flags)
{
    vs_begin(vs);
    return vs_end(vs, unmap_pages(vs, vaddr, size, flags), vaddr);
}

vs_addr vs_first_mapped(const vs_space *vs, vs_addr addr, uint64_t size)
{
    shadow_cursor c;
    uint64_t page;
    shadow_entry e;
    vs_cursor(vs, &c, addr, size);
    return shadow_cursor_peek(&c, &page, &e) ? page << SHADOW_PAGE_BITS : addr + size;
}

vs_addr vs_first_unmapped(const vs_space *vs, vs_addr addr, uint64_t size)
{
    for (uint64_t page = page_of(addr); page < page_of(addr + size); page++) {
        shadow_entry e;
        shadow_get(&vs->shadow, page, &e);
        if (e.state != VS_PAGE_MAPPED) {
            return page << SHADOW_PAGE_BITS;
        }
    }
    return addr + size;
}

/* Fills *out for entry i of leaf, MAPPED, whose pages are 2^bits bytes. */
static inline void lookup_mapped(const shadow_leaf *leaf, unsigned i, unsigned bits, vs_addr vaddr, vs_page *out)
{
    uint8_t meta = leaf->meta[i];
    *out = (vs_page){
        .state = VS_PAGE_MAPPED,
        .cap = shadow_leaf_cap(leaf, i),
        .cookie = (meta & META_EXT) ? leaf->ext[i].cookie : 0,
        .size_bits = (uint8_t)bits,
        .page_vaddr = vaddr & ~(((vs_addr)1 << bits) - 1),
        .owner = (vs_page_owner)((meta & META_OWNER_MASK) >> META_OWNER_SHIFT),
    };
}

/* Every page the fast path of vs_lookup does not answer: a base page whose
 * cap and cookie are in the side array, a large page, or a page RESERVED
 * or EMPTY as the reservation tree says. Out of line, so that the common
 * case needs no stack frame. */
static __attribute__((noinline)) vs_result lookup_rest(const vs_space *vs, vs_addr vaddr, vs_page *out)
{
    if (vaddr < vs->base || vaddr >= vs->end) {
        return VS_ERR_OUT_OF_RANGE;
    }
    uint64_t page = page_of(vaddr);
    unsigned i = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
    unsigned bits = SHADOW_PAGE_BITS; /* a base leaf holds base pages only */
    const shadow_leaf *leaf = shadow_leaf_of(&vs->shadow, page);
    if (leaf == NULL && vs->shadow.large_total != 0) {
        leaf = shadow_find_large(&vs->shadow, page, &i);
        if (leaf != NULL) {
            unsigned size_index = (leaf->meta[i] & META_SIZE_MASK) >> META_SIZE_SHIFT;
            bits = vs->size_shift[size_index] + SHADOW_PAGE_BITS;
        }
    }
    if (leaf != NULL && (leaf->meta[i] & META_STATE_MASK) == VS_PAGE_MAPPED) {
        lookup_mapped(leaf, i, bits, vaddr, out);
    } else {
        int reserved = restree_containing(&vs->tree, vaddr) != NULL;
        *out = (vs_page){.state = reserved ? VS_PAGE_RESERVED : VS_PAGE_EMPTY};
    }
    return VS_OK;
}

vs_result vs_lookup(const vs_space *vs, vs_addr vaddr, vs_page *out)
{
    if (vs == NULL || out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    /* No page outside [base, end) is ever mapped, so the range is checked
     * only where the fast path does not answer. */
    uint64_t page = page_of(vaddr);
    unsigned i = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
    const shadow_leaf *leaf = shadow_window_leaf(&vs->shadow, page);
    uint8_t meta = leaf != NULL ? leaf->meta[i] : 0;
    if ((meta & (META_STATE_MASK | META_EXT)) != VS_PAGE_MAPPED) {
        return lookup_rest(vs, vaddr, out);
    }
    /* A mapped base page with its cap inline and no cookie. Field by field:
     * a compound literal would also zero the padding, three more stores. */
    out->state = VS_PAGE_MAPPED;
    out->cap = (vs_cap)leaf->cap_hi << 32 | leaf->cap[i];
    out->cookie = 0;
    out->size_bits = SHADOW_PAGE_BITS;
    out->page_vaddr = vaddr & ~(((vs_addr)1 << SHADOW_PAGE_BITS) - 1);
    out->owner = (vs_page_owner)((meta & META_OWNER_MASK) >> META_OWNER_SHIFT);
    return VS_OK;
}

/* vs_get_cap of every page the fast path does not answer: a base page
 * with its cap in the side array, a large page, or nothing. Out of line,
 * so that the common case needs no stack frame. */
static __attribute__((noinline)) vs_cap get_cap_rest(const vs_space *vs, uint64_t page)
{
    unsigned i = 0;
    const shadow_leaf *leaf = shadow_find(&vs->shadow, page, &i);
    return leaf != NULL && (leaf->meta[i] & META_STATE_MASK) == VS_PAGE_MAPPED ? shadow_leaf_cap(leaf, i) : 0;
}

vs_cap vs_get_cap(const vs_space *vs, vs_addr vaddr)
{
    if (vs == NULL) {
        return 0;
    }
    uint64_t page = page_of(vaddr);
    unsigned i = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
    const shadow_leaf *leaf = shadow_base_leaf_fast(&vs->shadow, page);
    /* One test answers the common case: MAPPED with the cap inline. */
    uint8_t meta = leaf != NULL ? leaf->meta[i] : 0;
    if ((meta & (META_STATE_MASK | META_EXT)) == VS_PAGE_MAPPED) {
        return (vs_cap)leaf->cap_hi << 32 | leaf->cap[i];
    }
    return get_cap_rest(vs, page);
}
