/* Walks over a vspace's bookkeeping in address order: every mapped page,
 * the maximal runs of mapped pages, and the paging hierarchy level by level
 * with how many entries of each table are EMPTY, RESERVED or MAPPED. The
 * inspect layer's reports and audit are built on these; they read the
 * bookkeeping only (never the kernel).
 *
 * Every walk visits in ascending address order and stops early when the
 * callback returns non-zero. The callback must not modify the vspace. The
 * walks need scratch memory proportional to what is mapped, taken from the
 * vspace's allocator and given back before they return (it is not counted
 * in vs_stats.bookkeeping_bytes). */
#ifndef VS_WALK_H
#define VS_WALK_H

#include <stdint.h>

#include <vs/space.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One mapped page (a large page once, at its first byte). */
typedef struct vs_mapping {
    vs_addr vaddr;             /* first byte of the page, aligned to its size */
    uint8_t size_bits;         /* log2 page size */
    uint8_t rights;            /* VS_RIGHT_*: the holding reservation's; 0 if res is NULL */
    vs_cache cache;            /* the holding reservation's; VS_CACHE_DEFAULT if res is NULL */
    vs_page_owner owner;       /* who owns the frame */
    vs_cap cap;                /* the cap mapped there */
    uintptr_t cookie;          /* the caller's or allocator's cookie */
    const vs_reservation *res; /* the reservation holding the page's first byte; NULL if none
                                  (a page outside every reservation: an I1 violation) */
} vs_mapping;

typedef int (*vs_mapping_fn)(void *ctx, const vs_mapping *m);

/* Calls fn for every mapped page of the managed range, ascending, pages
 * outside every reservation included. Returns VS_OK (also when fn stopped
 * the walk), INVALID_ARG (NULL vs or fn), NO_MEMORY (scratch memory). */
vs_result vs_walk_pages(const vs_space *vs, vs_mapping_fn fn, void *ctx);

/* A maximal run of mapped pages: contiguous, of one page size, in one
 * holding reservation (hence with the same rights and cacheability); a run
 * does not split where frame owners differ. Runs of pages outside every
 * reservation have res NULL. */
typedef struct vs_mapped_run {
    vs_addr start;
    vs_addr end; /* exclusive */
    uint8_t size_bits;
    uint8_t rights;
    vs_cache cache;
    uint64_t pages; /* pages of 2^size_bits bytes: (end - start) >> size_bits */
    const vs_reservation *res;
} vs_mapped_run;

typedef int (*vs_run_fn)(void *ctx, const vs_mapped_run *run);

/* Calls fn for every maximal run, ascending. Errors as vs_walk_pages. */
vs_result vs_walk_runs(const vs_space *vs, vs_run_fn fn, void *ctx);

/* One paging structure and the state of its entries. An entry is MAPPED if
 * any page is mapped in the range it translates (a large page it maps, or
 * a page somewhere beneath it), else RESERVED if a reservation overlaps that
 * range, else EMPTY. */
typedef struct vs_table_occupancy {
    unsigned level;   /* index into arch->levels; 0 is the root */
    const char *name; /* the arch's name for the level ("PD") */
    vs_addr vaddr;    /* first address the table translates */
    uint64_t span;    /* bytes the table translates */
    uint32_t entries; /* 1 << index_bits */
    uint32_t empty;
    uint32_t reserved;
    uint32_t mapped;
} vs_table_occupancy;

typedef int (*vs_table_fn)(void *ctx, const vs_table_occupancy *t);

/* Calls fn for the paging structures the mappings need, level by level
 * (the root first, then every level-1 table in address order, ...): the
 * root always, and a table of level L >= 1 exactly when a page is mapped in
 * its span through an entry of level L or below (reserved-only ranges need
 * no table, so none is listed). Errors as vs_walk_pages. */
vs_result vs_walk_tables(const vs_space *vs, vs_table_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
