/* The vspace command's heap where it is linked against musl (the musl
 * build of tools/vspace/CMakeLists.txt). `vspace exec` becomes the
 * program in its own process, so all vspace does before the jump is part
 * of every exec's cost. musl's allocator maps and unmaps a group of pages per size class
 * as the class fills and empties, and on a VM each mmap, munmap and first
 * touch of a page traps to the hypervisor: one `vspace exec busybox true`
 * made 17 such system calls and about 30 page faults in malloc alone,
 * ~0.1x of the direct run. This heap bumps through large reserved chunks
 * and reuses freed blocks by size class (last freed, first reused: the
 * pages stay warm), so blocks up to 1 MiB cost neither. A larger block
 * has a mapping of its own, returned when freed, grown with mremap.
 *
 * Replacing malloc in a static musl program is supported: musl's own
 * allocator is linked only where nothing else defines these names.
 * Single-threaded, like the command. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Every block is preceded by its head, which keeps the user's pointer
 * 16-byte aligned. */
typedef struct block_head {
    size_t size;    /* bytes the user may use */
    uint32_t cls;   /* size class, or LARGE, or SHIFTED (aligned_alloc) */
    uint32_t shift; /* SHIFTED: bytes back to the block this one lies in */
} block_head;

enum {
    MIN_BITS = 4,  /* smallest class: 16 bytes */
    MAX_BITS = 20, /* largest class: 1 MiB (the Linux backend's per-page tables fit) */
    CLASSES = MAX_BITS - MIN_BITS + 1,
    LARGE = CLASSES,
    SHIFTED = CLASSES + 1,
};
#define SMALL_MAX ((size_t)1 << MAX_BITS)
#define CHUNK_BYTES ((size_t)8 << 20)
#define PAGE_BYTES ((size_t)4096)

_Static_assert(sizeof(block_head) == 16, "the head keeps blocks 16-byte aligned");

typedef struct free_block {
    struct free_block *next;
} free_block;

static free_block *free_lists[CLASSES];
static uint8_t *bump, *bump_end;

/* The first chunk is the command's own .bss: no mmap, and `vspace exec`
 * takes it away with the rest of vspace's image before the jump, so the
 * program inherits no heap of vspace's and its exit has none to tear down
 * (0.03x of `busybox true` on the reference VM). What must outlive the
 * jump is not in the heap (exec_image.c's trampoline mapping). */
static uint8_t first_chunk[CHUNK_BYTES] __attribute__((aligned(4096)));

static block_head *head_of(void *p)
{
    return (block_head *)p - 1;
}

static unsigned class_of(size_t n)
{
    unsigned c = 0;
    while (((size_t)1 << (c + MIN_BITS)) < n) {
        c++;
    }
    return c;
}

static void *alloc_large(size_t n)
{
    if (n > SIZE_MAX - PAGE_BYTES - sizeof(block_head)) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = (n + sizeof(block_head) + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);
    block_head *h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    *h = (block_head){len - sizeof *h, LARGE, 0};
    return h + 1;
}

/* *fresh says whether the block comes from untouched (zero) memory. */
static void *alloc_small(size_t n, int *fresh)
{
    unsigned c = class_of(n);
    size_t size = (size_t)1 << (c + MIN_BITS);
    if (free_lists[c] != NULL) {
        free_block *b = free_lists[c];
        free_lists[c] = b->next;
        *fresh = 0;
        return b;
    }
    if (bump == NULL) { /* the first block: bump is never NULL again */
        bump = first_chunk, bump_end = first_chunk + CHUNK_BYTES;
    }
    if (bump == NULL || (size_t)(bump_end - bump) < size + sizeof(block_head)) {
        /* The rest of the chunk is left unused, never touched: address
         * space only. */
        uint8_t *chunk =
            mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (chunk == MAP_FAILED) {
            errno = ENOMEM;
            return NULL;
        }
        bump = chunk, bump_end = chunk + CHUNK_BYTES;
    }
    block_head *h = (block_head *)bump;
    *h = (block_head){size, c, 0};
    bump += sizeof *h + size;
    *fresh = 1;
    return h + 1;
}

/* The C library's own declarations name the parameters differently (glibc
 * with reserved identifiers); the names here are this file's. */
/* NOLINTBEGIN(readability-inconsistent-declaration-parameter-name) */
void *malloc(size_t n)
{
    int fresh;
    return n <= SMALL_MAX ? alloc_small(n, &fresh) : alloc_large(n);
}

void free(void *p)
{
    if (p == NULL) {
        return;
    }
    block_head *h = head_of(p);
    if (h->cls == SHIFTED) {
        free((uint8_t *)p - h->shift);
    } else if (h->cls == LARGE) {
        munmap(h, h->size + sizeof *h);
    } else {
        free_block *b = p;
        b->next = free_lists[h->cls];
        free_lists[h->cls] = b;
    }
}

void *calloc(size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    if (n > SMALL_MAX) {
        return alloc_large(n); /* a mapping of its own: zero already */
    }
    /* Fresh memory is zero, and is left untouched: the backend's
     * per-page tables are large and sparsely used. */
    int fresh;
    void *p = alloc_small(n, &fresh);
    if (p != NULL && !fresh) {
        memset(p, 0, n);
    }
    return p;
}

size_t malloc_usable_size(void *p)
{
    return p == NULL ? 0 : head_of(p)->size;
}

void *realloc(void *p, size_t n)
{
    if (p == NULL) {
        return malloc(n);
    }
    block_head *h = head_of(p);
    if (n <= h->size) {
        return p;
    }
    if (h->cls == LARGE && n > SMALL_MAX && n <= SIZE_MAX - PAGE_BYTES - sizeof *h) {
        size_t len = (n + sizeof *h + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);
        block_head *moved = mremap(h, h->size + sizeof *h, len, MREMAP_MAYMOVE);
        if (moved == MAP_FAILED) {
            errno = ENOMEM;
            return NULL;
        }
        moved->size = len - sizeof *moved;
        return moved + 1;
    }
    void *q = malloc(n);
    if (q != NULL) {
        memcpy(q, p, h->size);
        free(p);
    }
    return q;
}

void *aligned_alloc(size_t align, size_t n)
{
    /* As musl's: EINVAL only for an alignment that is not a power of two
     * (0 taken as none), at any size; a block this heap cannot give -- the
     * size with room to align it overflows, or the shift would not fit
     * the head -- is ENOMEM, which posix_memalign passes on. */
    if ((align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= sizeof(block_head)) {
        return malloc(n);
    }
    if (align > UINT32_MAX / 2 || n > SIZE_MAX - align) {
        errno = ENOMEM;
        return NULL;
    }
    /* A block with room to move the pointer up to the alignment; the
     * shifted pointer gets a head of its own saying how far it moved. */
    uint8_t *base = malloc(n + align);
    if (base == NULL) {
        return NULL;
    }
    uintptr_t at = ((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1);
    if (at == (uintptr_t)base) {
        return base;
    }
    block_head *h = (block_head *)at - 1;
    *h = (block_head){n, SHIFTED, (uint32_t)(at - (uintptr_t)base)};
    return (void *)at;
}

void *memalign(size_t align, size_t n)
{
    return aligned_alloc(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0) {
        return EINVAL;
    }
    void *p = aligned_alloc(align, n);
    if (p == NULL) {
        return errno;
    }
    *out = p;
    return 0;
}
/* NOLINTEND(readability-inconsistent-declaration-parameter-name) */
