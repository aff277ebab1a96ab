/* The example root tasks' bookkeeping arena (arena.h). */
#include "arena.h"

#ifndef EXAMPLE_ARENA_BYTES
#define EXAMPLE_ARENA_BYTES (4u << 20)
#endif
#define GRAIN 16u
#define NUM_CLASSES 64u /* sizes up to 1 KiB have their own list */

typedef struct free_block {
    struct free_block *next;
    size_t size;
} free_block;

static _Alignas(16) unsigned char arena[EXAMPLE_ARENA_BYTES];
static size_t arena_top, arena_live;
static free_block *small_free[NUM_CLASSES];
static free_block *large_free;

static size_t grain_up(size_t n)
{
    return (n + GRAIN - 1) & ~(size_t)(GRAIN - 1);
}

static free_block **list_for(size_t n)
{
    return n / GRAIN <= NUM_CLASSES ? &small_free[n / GRAIN - 1] : &large_free;
}

static void *arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    size_t n = grain_up(size == 0 ? 1 : size);
    for (free_block **p = list_for(n); *p != NULL; p = &(*p)->next) {
        if ((*p)->size == n) {
            free_block *b = *p;
            *p = b->next;
            arena_live += n;
            return b;
        }
    }
    if (EXAMPLE_ARENA_BYTES - arena_top < n) {
        return NULL;
    }
    void *r = &arena[arena_top];
    arena_top += n;
    arena_live += n;
    return r;
}

static void arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == 0) {
        return;
    }
    size_t n = grain_up(size == 0 ? 1 : size);
    free_block *b = ptr;
    free_block **list = list_for(n);
    b->size = n;
    b->next = *list;
    *list = b;
    arena_live -= n;
}

vs_allocator example_arena(void)
{
    vs_allocator a = {arena_alloc, arena_free, 0};
    return a;
}

size_t example_arena_live(void)
{
    return arena_live;
}
