/* The caller's allocator, counted: every byte a vspace holds passes through
 * here, so stats and the accounting check can tell what it owns. */
#ifndef VSPACE_CORE_COUNTED_H
#define VSPACE_CORE_COUNTED_H

#include <stddef.h>

#include <vs/alloc.h>

typedef struct counted_alloc {
    vs_allocator base;
    size_t bytes;
} counted_alloc;

/* NULL when the caller's allocator is exhausted (or size overflows). */
void *counted_alloc_get(counted_alloc *a, size_t size);
void counted_alloc_put(counted_alloc *a, void *ptr, size_t size);

#endif
