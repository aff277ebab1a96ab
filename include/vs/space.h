/* vspace: reservations and shadow page tables for one virtual address space.
 *
 * Guarantees that hold for every call below:
 *  - After the call the invariants hold (see vs_check): every page of a live
 *    reservation is RESERVED or MAPPED in the shadow table and every RESERVED
 *    or MAPPED page lies in exactly one live reservation.
 *  - A call that returns anything but VS_OK changed nothing: reservations,
 *    shadow entries, kernel mappings, caps, frames, paging structures and
 *    bookkeeping memory are exactly as before the call.
 *  - A NULL vs_space (or reservation, or out pointer) is never dereferenced:
 *    calls that return a vs_result return VS_ERR_INVALID_ARG for it (but
 *    vs_reserve and vs_reserve_at, whose out is optional); the few
 *    getters that return something else return the neutral value their
 *    contract names (0, NULL, a static error record).
 *  - Addresses and sizes are bytes. A "page" is the architecture's base page
 *    (4 KiB on all six); large pages are named by their log2 size in bits.
 */
#ifndef VS_SPACE_H
#define VS_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include <vs/alloc.h>
#include <vs/arch.h>
#include <vs/kernel.h>
#include <vs/result.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vs_space vs_space; /* opaque */
/* A reservation handle: an opaque id, never a pointer to dereference. It
 * names its reservation until vs_free; afterwards every call refuses it
 * (INVALID_ARG), even when a new reservation takes the same address, and
 * so does every other vspace. */
typedef struct vs_reservation vs_reservation;

enum { VS_NAME_MAX = 24 }; /* reservation names are copied, truncated to VS_NAME_MAX - 1 bytes */

typedef struct vs_config {
    const vs_arch *arch;
    vs_allocator allocator;
    vs_kernel kernel;
    vs_cap root;        /* the vspace root cap (seL4_CapInitThreadVSpace, a PML4, ...) */
    vs_addr range_base; /* managed range [range_base, range_end); both 0: arch user_base..user_end */
    vs_addr range_end;
} vs_config;

/* Attributes of a reservation, applied to every page mapped in it. */
typedef struct vs_attrs {
    const char *name; /* may be NULL */
    uint8_t rights;   /* VS_RIGHT_* */
    vs_cache cache;
} vs_attrs;

typedef struct vs_reservation_info {
    vs_addr start;
    vs_addr end; /* exclusive */
    char name[VS_NAME_MAX];
    uint8_t rights;
    vs_cache cache;
    uint64_t mapped_pages; /* base pages currently mapped inside the reservation */
} vs_reservation_info;

typedef enum vs_page_state { VS_PAGE_EMPTY = 0, VS_PAGE_RESERVED = 1, VS_PAGE_MAPPED = 2 } vs_page_state;

/* Who owns the frame behind a mapped page, which decides what unmapping and
 * teardown do with it. */
typedef enum vs_page_owner {
    VS_OWNER_CALLER = 0, /* mapped with vs_map: the caller's cap */
    VS_OWNER_VSPACE = 1, /* allocated by vs_map_new: the vspace frees it on teardown */
    VS_OWNER_COPY = 2    /* a cap copy made by vs_share: the vspace deletes it on unmap */
} vs_page_owner;

typedef struct vs_page {
    vs_page_state state;
    vs_cap cap;          /* MAPPED only: the cap mapped here */
    uintptr_t cookie;    /* MAPPED only: caller's or allocator's cookie */
    uint8_t size_bits;   /* MAPPED only: log2 page size */
    vs_addr page_vaddr;  /* MAPPED only: start of the (possibly large) page */
    vs_page_owner owner; /* MAPPED only */
} vs_page;

/* ---- lifetime ---- */

/* Checks a config as vs_create does, without allocating anything, and
 * stores in *reason (if non-NULL) a sentence naming the first bad field
 * ("config.root is the null cap (0)"), or "config is valid". Returns VS_OK
 * or INVALID_ARG (also for a NULL config). Refused: NULL arch, an arch
 * whose first page size is not 4 KiB (every seL4 architecture's base
 * page), NULL allocator alloc/free or kernel ops; a kernel ops table missing any operation other
 * than the optional translate, map_frames and unmap_frames; root 0 (the
 * null cap); a range not page aligned, empty, inverted or beyond the arch's
 * va_end. A range may reach past user_end (up to va_end) so that the
 * kernel's top of the address space can be reserved and named; no page
 * at or above user_end is ever mapped (vs_map, vs_map_new and vs_share
 * refuse with OUT_OF_RANGE). */
vs_result vs_config_check(const vs_config *config, const char **reason);

/* Creates an empty vspace. Errors: INVALID_ARG (NULL out, or a config
 * vs_config_check refuses: call it for the reason), NO_MEMORY. */
vs_result vs_create(const vs_config *config, vs_space **out);

enum {
    VS_DESTROY_FREE_CALLER_FRAMES = 1u << 0 /* also free frames the caller mapped with vs_map */
};

/* Tears the vspace down: unmaps every page, frees frames it allocated,
 * deletes cap copies it made, frees paging structures it created, and
 * returns all bookkeeping memory. Kernel errors met on the way do not stop
 * the teardown, because a half-destroyed vspace is of no use to anyone; the
 * last one is stored in *last_kernel_error (if non-NULL; 0 if none). vs is
 * invalid afterwards either way. Returns VS_ERR_KERNEL if any kernel call
 * failed, else VS_OK; INVALID_ARG for NULL. */
vs_result vs_destroy(vs_space *vs, unsigned flags, int *last_kernel_error);

/* The architecture descriptor the vspace was created with; NULL for a NULL vs. */
const vs_arch *vs_get_arch(const vs_space *vs);

/* The kernel interface and root cap the vspace was created with, and its
 * managed range [*base, *end): what an audit needs to ask the kernel about
 * the same address space. vs must be a live vspace. */
vs_kernel vs_get_kernel(const vs_space *vs);
vs_cap vs_get_root(const vs_space *vs);
void vs_get_range(const vs_space *vs, vs_addr *base, vs_addr *end);

/* The error code of the last kernel call that failed inside a call that
 * returned VS_ERR_KERNEL (for seL4 backends: an seL4_Error); 0 if none, and
 * 0 for a NULL vs. */
int vs_last_kernel_error(const vs_space *vs);

/* Why the last failed call on a vspace failed, beyond its result code. */
typedef struct vs_error_info {
    vs_result result;        /* VS_OK if no call on this vspace has failed yet */
    const char *reason;      /* names the cause ("page is already mapped"); never NULL */
    vs_addr vaddr;           /* where the cause is (the page already mapped, the
                                reservation overlapped, ...); 0 if it has no address */
    int kernel_error;        /* VS_ERR_KERNEL: the backend's code (an seL4_Error) */
    const char *kernel_call; /* VS_ERR_KERNEL: the kernel operation ("map_frame"); else NULL */
} vs_error_info;

/* Details of the most recent call on vs that returned an error (calls that
 * succeed leave it alone). Calls that take a const vs_space record nothing.
 * Never NULL: for a NULL vs, a static record with result INVALID_ARG and
 * reason "vs is NULL". */
const vs_error_info *vs_last_error(const vs_space *vs);

/* ---- reservations ---- */

/* Reserves the lowest free range of `size` bytes aligned to `align` (a power
 * of two >= the base page; 0 means the base page) in the managed range.
 * attrs may be NULL: read-write, VS_CACHE_DEFAULT, no name. out may be NULL
 * (the one exception to the NULL-out rule above): the reservation is made
 * and reached later through vs_find or vs_for_each_reservation, as the
 * process layer does for ranges it never frees by handle.
 * Errors: INVALID_ARG (size 0 or not page multiple, bad align, bad rights or
 * cache), NO_SPACE, NO_MEMORY. */
vs_result vs_reserve(vs_space *vs, uint64_t size, uint64_t align, const vs_attrs *attrs, vs_reservation **out);

/* Reserves exactly [vaddr, vaddr + size); attrs and out may be NULL as for
 * vs_reserve. Errors: INVALID_ARG, OUT_OF_RANGE, OVERLAP, NO_MEMORY. */
vs_result vs_reserve_at(vs_space *vs, vs_addr vaddr, uint64_t size, const vs_attrs *attrs, vs_reservation **out);

enum {
    VS_FREE_UNMAP = 1u << 0, /* unmap pages still mapped in the reservation */
    VS_FREE_FRAMES = 1u << 1 /* with VS_FREE_UNMAP: also free the caller's frames (vs_map) */
};

/* Frees a reservation. With mapped pages and no VS_FREE_UNMAP, refuses with
 * HAS_MAPPINGS. Errors: INVALID_ARG (NULL, a freed handle, or a handle of
 * another vspace),
 * HAS_MAPPINGS, KERNEL (unmapping failed; nothing changed), NO_MEMORY. */
vs_result vs_free(vs_space *vs, vs_reservation *res, unsigned flags);

/* Grows or shrinks a reservation at its end, keeping its start and its
 * mappings. Shrinking over a mapped page is refused with HAS_MAPPINGS;
 * growing into another reservation with OVERLAP, past the range with
 * OUT_OF_RANGE. Errors also: INVALID_ARG, NO_MEMORY. */
vs_result vs_resize(vs_space *vs, vs_reservation *res, uint64_t new_size);

/* Moves an unmapped reservation to start at new_vaddr (same size, name and
 * attributes; the handle stays valid). Errors: HAS_MAPPINGS if it has mapped
 * pages, INVALID_ARG, OUT_OF_RANGE, OVERLAP, NO_MEMORY. The new range may
 * overlap the reservation's own old range. */
vs_result vs_move(vs_space *vs, vs_reservation *res, vs_addr new_vaddr);

/* The reservation containing vaddr, in O(log n). Errors: NOT_RESERVED,
 * INVALID_ARG (NULL vs or out; *out is then untouched). */
vs_result vs_find(const vs_space *vs, vs_addr vaddr, vs_reservation **out);

/* Copies the attributes and counts of the reservation res names into *out.
 * Errors: INVALID_ARG for a NULL out; for a NULL vs, or a res that is NULL,
 * freed or of another vspace (then *out is zeroed). */
vs_result vs_reservation_get_info(const vs_space *vs, const vs_reservation *res, vs_reservation_info *out);

/* Number of live reservations; 0 for a NULL vs. */
size_t vs_reservation_count(const vs_space *vs);

/* Visits reservations in ascending address order until fn returns non-zero
 * (which is then returned); returns 0 after visiting them all. fn must not
 * modify the vspace. A NULL vs or fn visits nothing and returns 0. */
int vs_for_each_reservation(const vs_space *vs, int (*fn)(void *ctx, const vs_reservation *res), void *ctx);

/* ---- mapping ---- */

/* Maps caps[0..n) as consecutive pages of 2^size_bits bytes from vaddr,
 * with the rights and cacheability of the reservation that holds the range.
 * cookies may be NULL (all 0). Every page must be RESERVED (not MAPPED) and
 * the whole range inside one reservation. Paging structures the kernel lacks
 * are allocated and mapped on the way; empty ones a large page would sit
 * on are removed first. Errors: INVALID_ARG (n 0, misaligned, range wraps,
 * size not supported by the arch), OUT_OF_RANGE (outside the managed
 * range), CAP_RANGE, NOT_RESERVED, ALREADY_MAPPED, NO_MEMORY, KERNEL.
 * Each cap must name a frame of exactly 2^size_bits bytes. The kernel
 * interface cannot always tell a cap's real size: a larger frame mapped as
 * a smaller page may map more memory in the MMU than the shadow records,
 * and vs_check (bookkeeping only) cannot see it; the audit that compares
 * with the kernel's view (translate) catches it. Backends that know the
 * frame's size (the seL4 backend, for frames its own allocator made)
 * refuse the mismatch, and the call then fails with KERNEL, changing
 * nothing. */
vs_result vs_map(vs_space *vs, vs_addr vaddr, const vs_cap *caps, const uintptr_t *cookies, size_t n,
                 unsigned size_bits);

/* Allocates n new frames of 2^size_bits bytes from the kernel interface and
 * maps them from vaddr, as vs_map does. The vspace owns them. */
vs_result vs_map_new(vs_space *vs, vs_addr vaddr, size_t n, unsigned size_bits);

/* How vs_map_new_filled lets its caller write into new frames before they
 * are mapped: frames[0..n) are fresh (zeroed, mapped nowhere), each of
 * 2^size_bits bytes, to be mapped from vaddr. fill may map them elsewhere
 * for the time of the call (a loader maps them in its own vspace and
 * copies into them) but must return with every one of them mapped nowhere
 * and its cap in place. Returns VS_OK, or an error that the call then
 * fails with. It must not call into the vspace being mapped. */
typedef vs_result (*vs_fill_fn)(void *ctx, vs_addr vaddr, const vs_cap *frames, size_t n, unsigned size_bits);

/* vs_map_new, with fill(ctx, ...) called on each run of new frames (a few
 * dozen at most per call, in address order) before the run is mapped: a
 * loader writes what the pages must hold while only it can reach them,
 * and the kernel maps each frame once. The vspace owns the frames. Errors:
 * those of vs_map_new; INVALID_ARG for a NULL fill; a fill's error (one
 * outside vs_result becomes INVALID_ARG). On any error nothing is left:
 * frames freed (also those already filled), no page mapped. */
vs_result vs_map_new_filled(vs_space *vs, vs_addr vaddr, size_t n, unsigned size_bits, vs_fill_fn fill, void *ctx);

enum {
    VS_UNMAP_FREE_FRAMES = 1u << 0 /* also free the caller's frames (mapped with vs_map) */
};

/* Unmaps every mapped page in [vaddr, vaddr + size); the range must cover
 * whole pages (large pages entirely) and lie in one reservation; the pages
 * return to RESERVED. What happens to the frame depends on its owner: a
 * frame vs_map_new allocated is freed, a cap copy vs_share made is deleted,
 * and a caller's frame (vs_map) is kept unless VS_UNMAP_FREE_FRAMES says
 * to free it (with the cookie it was mapped with).
 * Errors: INVALID_ARG (unaligned, wrapping, or cutting a large page),
 * OUT_OF_RANGE, NOT_RESERVED, NOT_MAPPED (a page in the range is not
 * mapped), KERNEL (the kernel refused an unmap; pages already unmapped are
 * mapped again). */
vs_result vs_unmap(vs_space *vs, vs_addr vaddr, uint64_t size, unsigned flags);

/* The state of the base page containing vaddr. Never fails for an address
 * in the managed range: EMPTY is a state, not an error. Errors: OUT_OF_RANGE,
 * INVALID_ARG (NULL vs or out). */
vs_result vs_lookup(const vs_space *vs, vs_addr vaddr, vs_page *out);

/* The cap mapped at vaddr, or 0 (the null cap) if the page is not mapped,
 * vaddr is outside the vspace, or vs is NULL. The fast path for hot lookups. */
vs_cap vs_get_cap(const vs_space *vs, vs_addr vaddr);

/* Maps the pages mapped in [src_vaddr, src_vaddr + size) of src into dst at
 * dst_vaddr, each through a fresh copy of its cap, with the rights of dst's
 * reservation. Page sizes are kept, so both addresses must be aligned to the
 * largest page in the range. Errors: INVALID_ARG (different archs, same
 * vspace, misaligned, wrapping, cutting a large page), OUT_OF_RANGE,
 * NOT_MAPPED (a source page is not mapped), NOT_RESERVED, ALREADY_MAPPED,
 * NO_MEMORY, KERNEL. */
vs_result vs_share(vs_space *dst, vs_addr dst_vaddr, const vs_space *src, vs_addr src_vaddr, uint64_t size);

/* ---- accounting and invariants ---- */

typedef struct vs_stats {
    size_t reservations;
    uint64_t reserved_pages;  /* base pages in live reservations */
    uint64_t mapped_pages;    /* base pages MAPPED */
    size_t paging_tables;     /* paging structures the vspace created */
    size_t bookkeeping_bytes; /* bytes currently held from the allocator */
    size_t release_failures;  /* frees/deletes the kernel refused after a committed unmap:
                                 those objects leaked (the last error is vs_last_kernel_error) */
} vs_stats;

/* Fills *out with the vspace's current counts. Errors: INVALID_ARG for a
 * NULL out, or a NULL vs (then *out is zeroed). */
vs_result vs_get_stats(const vs_space *vs, vs_stats *out);

typedef enum vs_violation_kind {
    VS_V_PAGE_OUTSIDE_RESERVATION,  /* I1: shadow RESERVED/MAPPED page in no reservation */
    VS_V_PAGE_EMPTY_IN_RESERVATION, /* I1: page of a reservation is EMPTY in the shadow */
    VS_V_PAGE_COUNT,                /* I1: pages counted via reservations != via shadow */
    VS_V_MAPPED_COUNT,              /* I1: a reservation's mapped count != its MAPPED pages */
    VS_V_RESERVATION_OVERLAP,       /* reservations overlap or leave the managed range */
    VS_V_TREE,                      /* reservation tree order/balance/augmentation broken */
    VS_V_CAP_MAPPED_TWICE,          /* I3: the same cap backs two mappings */
    VS_V_LARGE_PAGE,                /* a large page's base pages disagree */
    VS_V_ACCOUNTING                 /* I3: bookkeeping bytes or table counts disagree */
} vs_violation_kind;

typedef struct vs_violation {
    vs_violation_kind kind;
    vs_addr vaddr;     /* where */
    uint64_t expected; /* what the other structure says */
    uint64_t found;    /* what this structure holds */
    const char *what;  /* a sentence describing the violation */
} vs_violation;

/* Receives each violation vs_check finds; v is valid only during the call. */
typedef void (*vs_violation_fn)(void *ctx, const vs_violation *v);

/* Verifies invariants I1 and I3 on the bookkeeping (not the kernel) and the
 * internal structure of the reservation tree. Calls report (if non-NULL) for
 * each violation, stores their number in *count (if non-NULL). Returns VS_OK
 * if there were none, VS_ERR_INCONSISTENT otherwise, VS_ERR_NO_MEMORY if the
 * scratch memory for the duplicate-cap check could not be allocated,
 * VS_ERR_INVALID_ARG for a NULL vs (*count untouched). */
vs_result vs_check(const vs_space *vs, vs_violation_fn report, void *ctx, size_t *count);

/* A short name for kind ("cap-mapped-twice"), "unknown" for other values. */
const char *vs_violation_kind_name(vs_violation_kind kind);

#ifdef __cplusplus
}
#endif

#endif
