/* Bookkeeping memory for the example root tasks: a static arena with
 * per-size free lists, so a root task needs no malloc (a root task built
 * with sel4runtime and musllibc only has none) and can tell how many bytes
 * are live (every byte must come back). */
#ifndef EXAMPLES_ARENA_H
#define EXAMPLES_ARENA_H

#include <stddef.h>

#include <vs/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The arena as a vs_allocator. Allocation fails (NULL) when the arena is
 * exhausted; freed blocks are reused for requests of the same rounded
 * size. Not thread-safe. */
vs_allocator example_arena(void);

/* Bytes currently allocated (rounded sizes). */
size_t example_arena_live(void);

#ifdef __cplusplus
}
#endif

#endif
