/* The bookkeeping allocator the caller injects. */
#ifndef VS_ALLOC_H
#define VS_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* All bookkeeping memory (tree nodes, shadow leaves, hash tables) comes from
 * here; the library never calls malloc. alloc returns NULL when exhausted,
 * which every operation reports as VS_ERR_NO_MEMORY with no state changed.
 * free receives the size that was passed to alloc. Memory must be aligned
 * for any object type (like malloc). */
typedef struct vs_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
} vs_allocator;

#ifdef __cplusplus
}
#endif

#endif
