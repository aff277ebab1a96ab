/* A full snapshot of everything observable about one or more vspaces, the
 * fake kernel and the allocator, so "the call changed nothing" (I4) can be
 * asserted by comparing a snapshot before and after a failed call. */
#ifndef TESTS_SUPPORT_SNAPSHOT_H
#define TESTS_SUPPORT_SNAPSHOT_H

#include <stddef.h>

#include <vs/space.h>

#include "fakek.h"
#include "talloc.h"

enum { SNAP_MAX_VS = 4 };

typedef struct snap_page {
    size_t vs; /* which vs_space */
    vs_addr vaddr;
    vs_result r;
    vs_page page;
} snap_page;

typedef struct snap_res {
    size_t vs;
    const vs_reservation *handle;
    vs_reservation_info info;
} snap_res;

typedef struct snapshot {
    snap_res *res;
    size_t nres;
    snap_page *pages;
    size_t npages;
    vs_stats stats[SNAP_MAX_VS];
    size_t nvs;
    fk_cap *caps; /* copy of the fake's cap table (dead entries zeroed) */
    size_t ncaps;
    unsigned fk_violations;
    unsigned fk_replacements;
    size_t live_bytes;
    size_t live_count;
    unsigned alloc_errors;
} snapshot;

/* Takes a snapshot of vss[0..nvs), fk and ta (either may be NULL). Pages:
 * every base page of every reservation (up to a bound per reservation,
 * then a sample), plus pages just outside each reservation and at the
 * edges of the managed range. Uses no kernel call and no vspace allocation. */
void snap_take(snapshot *s, vs_space *const *vss, size_t nvs, const fakek *fk, const talloc *ta);
void snap_free(snapshot *s);
/* 0 if equal; otherwise prints the first difference (prefixed by label) and returns 1. */
int snap_compare(const snapshot *a, const snapshot *b, const char *label);

#endif
