/* Counting/failing allocator. Live pointers sit in an open-addressing table
 * so that misuse is detected without touching freed memory. */
#include "talloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tomb_byte;
#define TALLOC_TOMB ((void *)&tomb_byte)

static size_t hash_ptr(const void *p, size_t capacity)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x & (capacity - 1);
}

static void record_error(talloc *t, const char *what, const void *p, size_t size)
{
    if (t->errors++ == 0) {
        snprintf(t->first_error, sizeof t->first_error, "%s (ptr %p, size %zu)", what, p, size);
    }
}

static void table_put(talloc *t, void *p, size_t size);

/* Rehash into a table twice the live count so tombstones disappear. */
static void table_grow(talloc *t)
{
    talloc_slot *old = t->slots;
    size_t old_cap = t->capacity;
    size_t cap = 64;
    while (cap < 4 * (t->live_count + 1)) {
        cap *= 2;
    }
    t->slots = calloc(cap, sizeof *t->slots);
    if (t->slots == NULL) {
        abort();
    }
    t->capacity = cap;
    t->used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].ptr != NULL && old[i].ptr != TALLOC_TOMB) {
            table_put(t, old[i].ptr, old[i].size);
        }
    }
    free(old);
}

static void table_put(talloc *t, void *p, size_t size)
{
    size_t i = hash_ptr(p, t->capacity);
    while (t->slots[i].ptr != NULL) {
        i = (i + 1) & (t->capacity - 1);
    }
    t->slots[i].ptr = p;
    t->slots[i].size = size;
    t->used++;
}

static talloc_slot *table_find(talloc *t, const void *p)
{
    for (size_t i = hash_ptr(p, t->capacity);; i = (i + 1) & (t->capacity - 1)) {
        if (t->slots[i].ptr == NULL) {
            return NULL;
        }
        if (t->slots[i].ptr == p) {
            return &t->slots[i];
        }
    }
}

/* Decides whether this attempt is one the test asked to fail. */
static int should_fail(talloc *t)
{
    t->armed_attempts++;
    if (t->fail_at != 0 && t->armed_attempts == t->fail_at) {
        return 1;
    }
    return t->fail_after != UINT64_MAX && t->armed_attempts > t->fail_after;
}

static void *ta_alloc(void *ctx, size_t size)
{
    talloc *t = ctx;
    t->total_allocs++;
    if (should_fail(t)) {
        t->failed_allocs++;
        t->fired = 1;
        return NULL;
    }
    void *p = malloc(size == 0 ? 1 : size);
    if (p == NULL) {
        return NULL;
    }
    if (2 * (t->used + 1) > t->capacity) {
        table_grow(t);
    }
    table_put(t, p, size);
    t->live_count++;
    t->live_bytes += size;
    return p;
}

static void ta_free(void *ctx, void *ptr, size_t size)
{
    talloc *t = ctx;
    if (ptr == NULL) {
        record_error(t, "free(NULL)", ptr, size);
        return;
    }
    talloc_slot *s = table_find(t, ptr);
    if (s == NULL) {
        record_error(t, "free of a pointer not live (double free or foreign)", ptr, size);
        return;
    }
    if (s->size != size) {
        record_error(t, "free with a size different from the allocation", ptr, size);
    }
    t->live_count--;
    t->live_bytes -= s->size;
    s->ptr = TALLOC_TOMB;
    free(ptr);
}

void talloc_init(talloc *t)
{
    memset(t, 0, sizeof *t);
    t->fail_after = UINT64_MAX;
    table_grow(t);
}

void talloc_fini(talloc *t)
{
    for (size_t i = 0; i < t->capacity; i++) {
        if (t->slots[i].ptr != NULL && t->slots[i].ptr != TALLOC_TOMB) {
            free(t->slots[i].ptr);
        }
    }
    free(t->slots);
    t->slots = NULL;
    t->capacity = 0;
}

vs_allocator talloc_allocator(talloc *t)
{
    vs_allocator a = {ta_alloc, ta_free, t};
    return a;
}

void talloc_disarm(talloc *t)
{
    t->fail_at = 0;
    t->fail_after = UINT64_MAX;
    t->armed_attempts = 0;
    t->fired = 0;
}

void talloc_fail_nth(talloc *t, uint64_t n)
{
    talloc_disarm(t);
    t->fail_at = n;
}

void talloc_fail_after(talloc *t, uint64_t n)
{
    talloc_disarm(t);
    t->fail_after = n;
}
