/* heap.c (the musl-linked command's allocator) against a model: random
 * malloc, calloc, realloc, free and aligned allocations of every size
 * class and of large blocks, each block filled with its own pattern and
 * checked before it goes, so an overlap, a lost byte in realloc or a
 * reused block calloc forgets to zero shows. Linked with heap.c, which
 * then is this program's malloc (not under the sanitizers, whose runtimes
 * bring their own). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned failures;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond) && failures++ < 20) {                                                                              \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (op %lu)\n", __FILE__, __LINE__, #cond, op);                      \
        }                                                                                                              \
    } while (0)

enum { SLOTS = 300, OPS = 20000 };

typedef struct slot {
    uint8_t *p;
    size_t size;
    uint8_t fill;
} slot;

static unsigned long op;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Mostly small blocks, some of every class up to 1 MiB, a few large ones
 * (their own mapping, grown by mremap). */
static size_t random_size(void)
{
    unsigned kind = (unsigned)(next_random() % 100);
    if (kind < 45) {
        return (size_t)(next_random() % 65);
    }
    if (kind < 80) {
        return 65 + (size_t)(next_random() % 4032);
    }
    if (kind < 96) {
        return 4097 + (size_t)(next_random() % ((1u << 20) - 4097));
    }
    return (1u << 20) + 1 + (size_t)(next_random() % (2u << 20));
}

static void fill(slot *s)
{
    memset(s->p, s->fill, s->size);
}

static int intact(const slot *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->p[i] != s->fill) {
            return 0;
        }
    }
    return 1;
}

static void drop(slot *s)
{
    CHECK(intact(s, s->size));
    free(s->p);
    s->p = NULL;
}

static void place(slot *s, uint8_t *p, size_t size, size_t align)
{
    CHECK(p != NULL);
    if (p == NULL) {
        return;
    }
    CHECK(((uintptr_t)p % align) == 0);
    CHECK(malloc_usable_size(p) >= size);
    s->p = p;
    s->size = size;
    s->fill = (uint8_t)(next_random() | 1);
    fill(s);
}

static void one_op(slot *s)
{
    unsigned what = (unsigned)(next_random() % 6);
    if (s->p != NULL && what < 2) {
        drop(s);
        return;
    }
    if (s->p != NULL && what == 2) {
        size_t size = random_size();
        size_t keep = size < s->size ? size : s->size;
        uint8_t *p = realloc(s->p, size);
        CHECK(p != NULL);
        if (p != NULL) {
            s->p = p;
            CHECK(intact(s, keep));
            s->size = size;
            fill(s);
        }
        return;
    }
    if (s->p != NULL) {
        drop(s);
    }
    size_t size = random_size();
    if (what == 3) {
        uint8_t *p = calloc(1, size);
        int zero = 1;
        for (size_t i = 0; p != NULL && i < size; i++) {
            zero &= p[i] == 0;
        }
        CHECK(zero);
        place(s, p, size, 16);
    } else if (what == 4) {
        size_t align = (size_t)32 << (next_random() % 12); /* 32 B .. 64 KiB */
        place(s, aligned_alloc(align, size), size, align);
    } else {
        place(s, malloc(size), size, 16);
    }
}

int main(void)
{
    static slot slots[SLOTS];
    for (op = 0; op < OPS; op++) {
        one_op(&slots[next_random() % SLOTS]);
        if (op % 5000 == 0) {
            for (unsigned i = 0; i < SLOTS; i++) {
                CHECK(slots[i].p == NULL || intact(&slots[i], slots[i].size));
            }
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (slots[i].p != NULL) {
            drop(&slots[i]);
        }
    }
    /* Sizes no heap can give: NULL and ENOMEM, nothing else changes. */
    volatile size_t huge = SIZE_MAX - 8; /* volatile: the compiler would refuse the call */
    errno = 0;
    CHECK(calloc(huge / 2, 3) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(huge) == NULL && errno == ENOMEM);
    void *p = NULL;
    CHECK(posix_memalign(&p, 24, 10) == EINVAL && p == NULL);
    CHECK(posix_memalign(&p, 128, 10) == 0 && ((uintptr_t)p % 128) == 0);
    free(p);
    CHECK(aligned_alloc(48, 10) == NULL && errno == EINVAL);
    /* An alignment that is not one fails even where 16 bytes would do;
     * a valid one that cannot be met is ENOMEM (posix_memalign's EINVAL
     * means a bad alignment, never a size too large). */
    errno = 0;
    CHECK(aligned_alloc(12, 10) == NULL && errno == EINVAL);
    p = aligned_alloc(8, 10);
    CHECK(p != NULL && ((uintptr_t)p % 16) == 0);
    free(p);
    errno = 0;
    CHECK(aligned_alloc(64, huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(aligned_alloc((size_t)1 << 40, 10) == NULL && errno == ENOMEM);
    p = NULL;
    CHECK(posix_memalign(&p, 64, huge) == ENOMEM && p == NULL);
    free(NULL);
    CHECK(malloc_usable_size(NULL) == 0);
    if (failures != 0) {
        fprintf(stderr, "heap: %u failures\n", failures);
        return 1;
    }
    printf("heap: %d operations, every block intact\n", OPS);
    return 0;
}
