/* Shadow page table: the state of every base page (EMPTY, RESERVED or
 * MAPPED with cap, cookie, page size and owner). Pages are grouped in leaves
 * of SHADOW_LEAF_PAGES, found through an open-addressing hash table keyed by
 * page number / SHADOW_LEAF_PAGES. A leaf exists exactly when one of its
 * pages is not EMPTY, so bookkeeping grows with what is reserved, not with
 * the address range. Large pages are recorded in every base page they cover,
 * so a lookup anywhere inside one is a single probe.
 *
 * Per page: one meta byte and a 32-bit cap. Caps wider than 32 bits and
 * non-zero cookies live in a side array a leaf allocates only while one of
 * its pages needs it. */
#ifndef VSPACE_CORE_SHADOW_H
#define VSPACE_CORE_SHADOW_H

#include <stddef.h>
#include <stdint.h>

#include <vspace/alloc.h>
#include <vspace/kernel.h>
#include <vspace/result.h>
#include <vspace/vspace.h>

#include "counted.h"

enum { SHADOW_LEAF_BITS = 4, SHADOW_LEAF_PAGES = 1 << SHADOW_LEAF_BITS, SHADOW_PAGE_BITS = 12 };

/* Meta byte layout. */
enum {
    META_STATE_MASK = 0x03, /* vs_page_state */
    META_SIZE_SHIFT = 2,    /* arch page-size index, 2 bits */
    META_SIZE_MASK = 0x0c,
    META_OWNER_SHIFT = 4, /* vs_page_owner, 2 bits */
    META_OWNER_MASK = 0x30,
    META_EXT = 0x40 /* cap and cookie are in the leaf's side array */
};

typedef struct shadow_ext {
    vs_cap cap;
    uintptr_t cookie;
} shadow_ext;

typedef struct shadow_leaf {
    shadow_ext *ext; /* NULL unless a page has META_EXT */
    uint8_t meta[SHADOW_LEAF_PAGES];
    uint32_t cap[SHADOW_LEAF_PAGES];
} shadow_leaf;

/* Keys sit in the table so a probe touches no leaf until it hits. */
typedef struct shadow_slot {
    uint64_t key;      /* page number >> SHADOW_LEAF_BITS */
    shadow_leaf *leaf; /* NULL = free slot */
} shadow_slot;

typedef struct shadow {
    shadow_slot *slots;  /* capacity entries */
    size_t capacity;     /* 0 or a power of two */
    unsigned hash_shift; /* 64 - log2(capacity) */
    size_t leaves;
    size_t ext_arrays;
} shadow;

/* A decoded page entry. */
typedef struct shadow_entry {
    unsigned state; /* vs_page_state */
    unsigned size_index;
    unsigned owner; /* vs_page_owner */
    vs_cap cap;
    uintptr_t cookie;
} shadow_entry;

static inline uint64_t shadow_hash(const shadow *s, uint64_t key)
{
    return (key * 0x9e3779b97f4a7c15ull) >> s->hash_shift;
}

/* The leaf holding page, or NULL when all its pages are EMPTY. */
static inline shadow_leaf *shadow_leaf_of(const shadow *s, uint64_t page)
{
    uint64_t key = page >> SHADOW_LEAF_BITS;
    if (s->capacity == 0) {
        return NULL;
    }
    for (size_t i = (size_t)shadow_hash(s, key);; i = (i + 1) & (s->capacity - 1)) {
        const shadow_slot *slot = &s->slots[i];
        if (slot->leaf == NULL || slot->key == key) {
            return slot->leaf;
        }
    }
}

static inline unsigned shadow_state(const shadow *s, uint64_t page)
{
    const shadow_leaf *leaf = shadow_leaf_of(s, page);
    return leaf != NULL ? leaf->meta[page & (SHADOW_LEAF_PAGES - 1)] & META_STATE_MASK : 0;
}

void shadow_decode(const shadow_leaf *leaf, unsigned index, shadow_entry *out);
void shadow_get(const shadow *s, uint64_t page, shadow_entry *out);

/* Makes pages [first, first + count) RESERVED, creating leaves. The pages
 * must be EMPTY. NO_MEMORY leaves the shadow unchanged. */
vs_result shadow_reserve(shadow *s, counted_alloc *a, uint64_t first, uint64_t count);

/* Makes pages [first, first + count) EMPTY, freeing leaves that empty. */
void shadow_clear(shadow *s, counted_alloc *a, uint64_t first, uint64_t count);

/* Records one mapped page of 2^size_bits bytes at page (its first base
 * page), whose base pages are all RESERVED. NO_MEMORY (side array) leaves
 * the shadow unchanged. */
vs_result shadow_set_mapped(shadow *s, counted_alloc *a, uint64_t page, unsigned pages, const shadow_entry *e);

/* Returns base pages [page, page + pages) to RESERVED. */
void shadow_set_reserved(shadow *s, counted_alloc *a, uint64_t page, uint64_t pages);

/* True if any page in [first, first + count) is MAPPED. */
int shadow_any_mapped(const shadow *s, uint64_t first, uint64_t count);

/* True if every page in [first, first + count) is MAPPED. */
int shadow_all_mapped(const shadow *s, uint64_t first, uint64_t count);

/* Visits every leaf (in hash order) with its key until fn returns non-zero. */
int shadow_for_each_leaf(const shadow *s, int (*fn)(void *ctx, uint64_t key, const shadow_leaf *leaf), void *ctx);

/* Bytes a leaf of this shadow occupies, with its side array if any. */
size_t shadow_leaf_bytes(const shadow_leaf *leaf);

/* Frees every leaf, side array and the table. */
void shadow_destroy(shadow *s, counted_alloc *a);

#endif
