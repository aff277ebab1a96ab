/* The vspace object and helpers shared by the core's files. */
#ifndef VSPACE_CORE_INTERNAL_H
#define VSPACE_CORE_INTERNAL_H

#include <vs/space.h>

#include "counted.h"
#include "handles.h"
#include "restree.h"
#include "shadow.h"
#include "tables.h"

struct vs_space {
    const vs_arch *arch;
    counted_alloc alloc;
    vs_kernel kernel;
    vs_cap root;
    vs_addr base; /* managed range [base, end) */
    vs_addr end;
    restree tree;
    handle_table handles;
    shadow shadow;
    table_list tables;
    uint64_t reserved_pages;
    uint64_t mapped_pages;
    uint8_t size_shift[VS_MAX_PAGE_SIZES]; /* log2 base pages per page-size index */
    int last_kernel_error;
    size_t release_failures; /* frees/deletes the kernel refused after a committed unmap */
    vs_error_info error;
    uint64_t calls;      /* public calls begun, so a detail of this call is told from a stale one */
    uint64_t error_call; /* the call that recorded `error` */
};

static inline uint64_t page_of(vs_addr addr)
{
    return addr >> SHADOW_PAGE_BITS;
}

/* Base pages in a page of the given arch page-size index. */
static inline uint64_t pages_in(const vs_space *vs, unsigned size_index)
{
    return (uint64_t)1 << vs->size_shift[size_index];
}

static inline int is_aligned(uint64_t value, uint64_t align)
{
    return (value & (align - 1)) == 0;
}

/* VS_OK if [addr, addr + size) is a non-empty page-aligned range inside
 * the managed range; else INVALID_ARG or OUT_OF_RANGE and why. Inline, as
 * the next few helpers: every public call runs them, and single-page calls
 * are short enough that a call per helper was a fifth of their cost. */
typedef struct range_check {
    vs_result result;
    const char *reason;
} range_check;

static inline range_check vs_range_check(const vs_space *vs, vs_addr addr, uint64_t size)
{
    uint64_t page = (uint64_t)1 << SHADOW_PAGE_BITS;
    if (size == 0 || !is_aligned(size, page)) {
        return (range_check){VS_ERR_INVALID_ARG, "size is zero or not a multiple of the page size"};
    }
    if (!is_aligned(addr, page)) {
        return (range_check){VS_ERR_INVALID_ARG, "address is not page aligned"};
    }
    if (addr + size < addr) {
        return (range_check){VS_ERR_INVALID_ARG, "range wraps around the end of the address space"};
    }
    if (addr < vs->base || addr + size > vs->end) {
        return (range_check){VS_ERR_OUT_OF_RANGE, "range leaves the vspace's managed range"};
    }
    return (range_check){VS_OK, NULL};
}

/* vs_range_check for one base page, where it folds to three tests: base
 * and end are page aligned, so an aligned addr below end leaves a whole
 * page before end and cannot wrap. A page this refuses gets the full check
 * (and its message) on the general path. */
static inline int vs_one_page_in_range(const vs_space *vs, vs_addr addr)
{
    return is_aligned(addr, (uint64_t)1 << SHADOW_PAGE_BITS) && addr >= vs->base && addr < vs->end;
}

/* Every mutating public call is bracketed by these: vs_begin starts a call;
 * vs_fail records why it fails (and returns r); vs_end returns r, recording
 * a generic reason at `vaddr` if the call failed without saying why. vs may
 * be NULL. */
static inline void vs_begin(vs_space *vs)
{
    if (vs != NULL) {
        vs->calls++;
    }
}

vs_result vs_fail(vs_space *vs, vs_result r, const char *reason, vs_addr vaddr);
vs_result vs_end_failed(vs_space *vs, vs_result r, vs_addr vaddr);

static inline vs_result vs_end(vs_space *vs, vs_result r, vs_addr vaddr)
{
    return r == VS_OK ? VS_OK : vs_end_failed(vs, r, vaddr);
}

/* Counts a kernel refusal to free or delete after a committed change (a
 * leak the caller sees in vs_stats); error 0 is no failure. */
void vs_release_failed(vs_space *vs, int error);

/* Records a failed kernel call (which operation, at which address) and
 * returns VS_ERR_KERNEL. */
vs_result vs_kernel_failed(vs_space *vs, int error, const char *call, vs_addr vaddr);

/* The reservation wholly containing [addr, addr + size), or NULL; asks
 * the tree only when the one found last (tree.hint) does not hold it. */
static inline res_node *vs_reservation_holding(vs_space *vs, vs_addr addr, uint64_t size)
{
    res_node *res = vs->tree.hint;
    if (res != NULL && addr >= res->start && addr + size <= res->end && addr + size > addr) {
        return res;
    }
    res = restree_containing(&vs->tree, addr);
    if (res == NULL || addr + size > res->end || addr + size < addr) {
        return NULL;
    }
    vs->tree.hint = res;
    return res;
}

/* Frees the frame or deletes the copy behind a mapped page (entry e), as
 * its owner and `free_frames` say; a kernel refusal is counted. */
void vs_release_frame(vs_space *vs, const shadow_entry *e, int free_frames);

/* Unmaps every MAPPED page in [addr, addr + size): kernel first, all or
 * nothing, then releases frames and returns the pages to RESERVED. The
 * caller has checked the range lies in res and covers whole pages. */
vs_result vs_unmap_range(vs_space *vs, res_node *res, vs_addr addr, uint64_t size, int free_frames);

/* The first MAPPED / not MAPPED base page of [addr, addr + size), as an
 * address, for error details; addr + size if there is none. */
vs_addr vs_first_mapped(const vs_space *vs, vs_addr addr, uint64_t size);
vs_addr vs_first_unmapped(const vs_space *vs, vs_addr addr, uint64_t size);

/* True if the pages at both ends of [addr, addr + size), which are mapped,
 * lie wholly inside it: no large page is cut. */
int vs_whole_pages(const vs_space *vs, vs_addr addr, uint64_t size);

/* I3: calls dup for each mapping whose cap also backs an earlier one (in
 * cap order). Needs scratch memory from the caller's allocator: NO_MEMORY. */
vs_result vs_check_caps(const vs_space *vs, void (*dup)(void *ctx, vs_addr vaddr, vs_cap cap), void *ctx);

enum { RUN_MAX = 64 };

/* Up to RUN_MAX pages of one size, or a slice of the caller's cap array. */
typedef struct page_run {
    const vs_cap *caps;
    const uintptr_t *cookies; /* NULL: all 0 */
    unsigned count;
    unsigned size_index;
    unsigned not_callers; /* pages whose owner is not the caller (gather only) */
    vs_cap cap_buf[RUN_MAX];
    uintptr_t cookie_buf[RUN_MAX];
    uint8_t owner_buf[RUN_MAX]; /* gather only */
} page_run;

/* Where the frames of a mapping come from: the caller's caps, new frames,
 * or copies of another vspace's caps. */
typedef struct page_source {
    /* Fills run with the pages starting `offset` bytes into the range, at
     * most bytes_left bytes of them. All or nothing. */
    vs_result (*get)(vs_space *vs, void *ctx, uint64_t offset, uint64_t bytes_left, page_run *run);
    /* Takes back pages get produced that end up unmapped. */
    void (*put)(vs_space *vs, void *ctx, const page_run *run);
    void *ctx;
    vs_page_owner owner;
} page_source;

/* Starts a cursor over the mapped pages of [addr, addr + size). */
static inline void vs_cursor(const vs_space *vs, shadow_cursor *c, vs_addr addr, uint64_t size)
{
    shadow_cursor_init(c, &vs->shadow, page_of(addr), page_of(size), vs->size_shift);
}

/* Gathers up to RUN_MAX mapped pages of one size from the cursor into run
 * (a page of another size is left for the next call). Returns 0 when the
 * cursor is exhausted. */
int vs_gather(shadow_cursor *c, page_run *run);

/* Maps [vaddr, vaddr + size), a valid range, page by page from src: all
 * pages must be RESERVED in one reservation. All or nothing. */
vs_result vs_map_pages(vs_space *vs, vs_addr vaddr, uint64_t size, const page_source *src);
#endif
