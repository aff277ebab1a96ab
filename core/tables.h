/* Paging structures the vspace created in the kernel, and the mapping of
 * frames that creates them when the kernel reports one missing. */
#ifndef VSPACE_CORE_TABLES_H
#define VSPACE_CORE_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include <vs/kernel.h>
#include <vs/result.h>

#include "kcalls.h"

struct vs_space;

/* Where a table is (table_rec.place). */
enum { TABLE_IN_KERNEL = 0, TABLE_DETACHED = 1, TABLE_KEPT = 2 };

typedef struct table_rec {
    struct table_rec *next;       /* the list: the next older table */
    struct table_rec *index_next; /* the index: the next table of the same bucket */
    vs_addr vaddr;                /* first address the table translates */
    vs_object obj;
    unsigned level;
    unsigned place; /* TABLE_IN_KERNEL, or out of the kernel for a large page: TABLE_DETACHED
                          by this call (tables_detach_span), TABLE_KEPT by a keep (vs_table_keep) */
    uint64_t seq;   /* creation order: a call undoes the tables newer than its mark */
} table_rec;

/* Bucket segments of the index: segment 0 holds buckets [0, 8), segment s
 * > 0 holds [8 << (s - 1), 8 << s). 28 segments hold 2^30 buckets, more
 * than any architecture has tables (x86_64: under 2^28). */
enum { TABLE_INDEX_SEGMENTS = 28 };

/* The tables by (level, vaddr), so that a large page learns in O(1) per
 * entry it covers whether a table lies below it. Linear hashing over
 * chains through the records: one bucket per table (8 at least, none when
 * there is no table), split or merged one at a time, so its memory is a
 * function of the table count alone and a call that fails and removes
 * the tables it made returns the index to exactly the bytes it began with. */
typedef struct table_index {
    table_rec **segments[TABLE_INDEX_SEGMENTS];
    size_t buckets;  /* in use */
    size_t low;      /* the largest power of two <= buckets (0 when none) */
    size_t reserved; /* tables being created that have a bucket's memory promised */
} table_index;

/* Newest first, so children precede the tables they hang from. */
typedef struct table_list {
    table_rec *head;
    size_t count;
    uint64_t next_seq;
    size_t detached; /* TABLE_DETACHED tables: 0 between calls */
    size_t kept;     /* TABLE_KEPT tables: 0 unless keeping */
    int keeping;     /* vs_table_keep is open: committed calls keep what they detached */
    table_index index;
} table_list;

/* Maps the batch, creating every missing paging structure the kernel asks
 * for. All or nothing: on failure the frames mapped so far are unmapped and
 * the tables this call created are removed. */
vs_result tables_map_frames(struct vs_space *vs, const frame_batch *batch);

/* Goes on with a batch whose kernel call mapped its first `done` frames
 * and then returned st (an error): creates the missing table st names and
 * maps the rest, or undoes the batch. Lets a caller make the first kernel
 * call itself (the single-page path calls map_frame directly). */
vs_result tables_map_failed(struct vs_space *vs, const frame_batch *batch, vs_kstatus st, unsigned done);

/* A mark for tables_rollback: tables created after it are newer. */
static inline uint64_t tables_mark(const table_list *list)
{
    return list->next_seq;
}

/* Unmaps (unless out of the kernel already) and frees the tables created
 * since mark. */
void tables_rollback(struct vs_space *vs, uint64_t mark);

/* Takes the tables below entry_level inside [vaddr, vaddr + size) out of
 * the kernel, children first, so that a large page can be mapped there,
 * and keeps them, marked detached, until the call settles
 * (tables_settle_detached): freed if the call succeeds, mapped back where
 * they were if it fails, so a refused large page leaves the tables it
 * found. The caller knows no page in the span is mapped, so the tables
 * are empty. vaddr and size are multiples of the span of one entry_level
 * entry, and entry_level is above the last level. Costs one index probe
 * per entry the span covers when no table lies below (a list with fewer
 * tables than that is walked instead); detaching walks the list. Errors:
 * KERNEL (the kernel refused to unmap a table; those detached so far stay
 * detached for the settle to map back). */
vs_result tables_detach_span(struct vs_space *vs, vs_addr vaddr, uint64_t size, unsigned entry_level);

/* Ends the current call's detached tables (list->detached of them, at
 * least one): committed, they are freed, or kept (TABLE_KEPT) while the
 * list is keeping; otherwise, once the call has unmapped what it mapped
 * over them, mapped back, parents first. A table the kernel will not map
 * back is freed, counted in release_failures. */
void tables_settle_detached(struct vs_space *vs, int committed);

/* Maps back every kept table, parents first (as a failed call does with
 * its detached ones). */
void tables_reattach_kept(struct vs_space *vs);

/* Frees every kept table. */
void tables_free_kept(struct vs_space *vs);

/* The table of `level` (1: below the root) whose span starts at vaddr,
 * found through the index; NULL if the vspace created none. */
table_rec *tables_find(const table_list *list, unsigned level, vs_addr vaddr);

/* Bookkeeping bytes the index holds: a function of the table count alone. */
size_t tables_index_bytes(const table_list *list);

/* For vs_check: NULL if the index holds exactly the list's tables, each
 * where its key leads, in the buckets and segments its count calls for;
 * else what disagrees, with the address of the table concerned (or 0) in
 * *where. Reads at most count + 1 entries of a chain, so a cycle ends. */
const char *tables_index_disagreement(const table_list *list, vs_addr *where);

/* Unmaps and frees every table. */
void tables_destroy(struct vs_space *vs);

#endif
