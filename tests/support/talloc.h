/* A counting, failing test allocator behind vs_allocator.
 *
 * Counts live bytes and live allocations, can be told to fail the Nth
 * allocation from now or every allocation after N more, and records misuse
 * (free of an unknown pointer, double free, free with a size different from
 * the one allocated) instead of crashing, so a test can assert on it. */
#ifndef TESTS_SUPPORT_TALLOC_H
#define TESTS_SUPPORT_TALLOC_H

#include <stddef.h>
#include <stdint.h>

#include <vs/alloc.h>

typedef struct talloc_slot {
    void *ptr; /* NULL: empty; TALLOC_TOMB: deleted */
    size_t size;
} talloc_slot;

typedef struct talloc {
    talloc_slot *slots;
    size_t capacity; /* power of two */
    size_t used;     /* live + tombstones */
    size_t live_count;
    size_t live_bytes;
    uint64_t total_allocs;   /* successful + failed attempts */
    uint64_t failed_allocs;  /* attempts refused by injection */
    uint64_t fail_at;        /* attempt index (1-based, counted from arming) to fail; 0 = off */
    uint64_t fail_after;     /* after this many more attempts, fail every one; UINT64_MAX = off */
    uint64_t armed_attempts; /* attempts since the last arm call */
    int fired;               /* an injected failure happened since the last arm call */
    unsigned errors;         /* misuse seen */
    char first_error[160];
} talloc;

void talloc_init(talloc *t);
/* Frees what is still live (a test that leaks already failed on live_count). */
void talloc_fini(talloc *t);
vs_allocator talloc_allocator(talloc *t);

/* Fails the nth allocation attempt from now (n >= 1); the others succeed. */
void talloc_fail_nth(talloc *t, uint64_t n);
/* Lets n more attempts succeed, then fails every one. */
void talloc_fail_after(talloc *t, uint64_t n);
/* Turns injection off and restarts the attempt counter. */
void talloc_disarm(talloc *t);

#endif
