/* Shadow page table: the mapped pages (cap, cookie, page size and owner);
 * whether a page is reserved is the reservation tree's business alone.
 * Pages are grouped in leaves of SHADOW_LEAF_PAGES, found through an
 * open-addressing hash table keyed by page number / SHADOW_LEAF_PAGES. A
 * leaf exists exactly when one of its pages is MAPPED, so bookkeeping grows
 * with what is mapped, not with what is reserved or with the address range.
 *
 * A large page is one record however large: pages of size index k > 0 live
 * in leaves of their own key space (k in the key's top bits), 16 large pages
 * a leaf, indexed by page number >> shift[k]. A lookup probes the base
 * leaf first; only where no base leaf exists, and only while large pages
 * are mapped, does it probe the large key spaces. Mappings never overlap,
 * and a large page (at least 16 base pages, aligned) covers whole base
 * leaves, so a leaf-sized span with a base leaf holds no large page.
 *
 * Dense blocks: where one call maps at least half of a block of
 * SHADOW_BLOCK_LEAVES base leaves that holds none yet, the block's leaves
 * are allocated as one slab and the block is entered in a small directory
 * (shadow_block, hashed by block). A lookup asks the directory first and
 * computes the leaf's address in the slab: for a million mapped pages the
 * directory is a few KB that stays cached, where the leaf table's slot
 * was a cache miss of its own before the leaf's (two dependent misses a
 * lookup, now one). The hash table still lists every leaf, slab or not;
 * a block with a slab holds all its leaves there; a slab's unused leaves
 * have all meta bytes 0. A slab is freed when its last leaf goes, and its
 * leaves move out to leaves of their own when an unmap leaves 4 or fewer
 * (a slab never holds more than 13 times its leaves' memory; a higher
 * threshold cost whole-range unmaps an allocation per leaf).
 *
 * The block window: beside the directory, an array of slab pointers for
 * one contiguous run of blocks (as many as the directory has entries,
 * placed over the blocks when the table is rebuilt). The lookup fast
 * paths (vs_get_cap, vs_lookup, single-page vs_unmap) index it by
 * subtraction; only blocks outside it are hashed into the directory. It
 * answers "which slab" only: whether a slab's leaf is present is the
 * directory's present bits, which the exact lookups still ask.
 *
 * Per page: one meta byte and a 32-bit cap, side by side in the leaf so a
 * lookup is one probe and one leaf. Caps wider than 32 bits and non-zero
 * cookies live in a side array a leaf allocates only while one of its
 * pages needs it. (Allocating the cap array lazily too would make
 * reserved-only pages cheaper, but costs lookups a dependent load: measured
 * 1.6 -> 1.9 ns at 64k pages, so the caps stay inline.) */
#ifndef VSPACE_CORE_SHADOW_H
#define VSPACE_CORE_SHADOW_H

#include <stddef.h>
#include <stdint.h>

#include <vs/alloc.h>
#include <vs/kernel.h>
#include <vs/result.h>
#include <vs/space.h>

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

/* What a lookup reads (key, meta, cap_hi, cap) comes first and without a
 * gap, so that fewer lookups straddle a cache line; the side-array pointer,
 * rarely set, goes last. */
typedef struct shadow_leaf {
    uint64_t key; /* page number >> SHADOW_LEAF_BITS */
    uint8_t meta[SHADOW_LEAF_PAGES];
    uint32_t cap_hi;                 /* high half of every inline cap of the leaf */
    uint32_t cap[SHADOW_LEAF_PAGES]; /* meaningful only for pages MAPPED without META_EXT */
    shadow_ext *ext;                 /* SHADOW_LEAF_PAGES entries; NULL unless a page has META_EXT */
} shadow_leaf;

/* Slots hold only the leaf pointer: the key lives in the leaf, next to the
 * meta bytes a lookup reads anyway, which halves the table (it fits L2 for
 * a million mapped pages). */
typedef struct shadow_slot {
    shadow_leaf *leaf; /* NULL = free slot */
} shadow_slot;

/* 64 leaves a block. The model test also runs a build with blocks of 2
 * leaves (VSPACE_SHADOW_BLOCK_BITS=1), where its maps of a few pages make
 * slabs, so that slabs and the window meet its random calls and injected
 * failures too. */
#ifndef VSPACE_SHADOW_BLOCK_BITS
#define VSPACE_SHADOW_BLOCK_BITS 6
#endif
enum { SHADOW_BLOCK_BITS = VSPACE_SHADOW_BLOCK_BITS, SHADOW_BLOCK_LEAVES = 1 << SHADOW_BLOCK_BITS };

/* A dense block: base leaf keys [key << SHADOW_BLOCK_BITS, +SHADOW_BLOCK_LEAVES)
 * live at leaves[key % SHADOW_BLOCK_LEAVES]; `present` has a bit per live one. */
typedef struct shadow_block {
    uint64_t key;
    uint64_t present;
    shadow_leaf *leaves; /* SHADOW_BLOCK_LEAVES leaves; NULL = free directory entry */
} shadow_block;

typedef struct shadow {
    shadow_slot *slots;    /* capacity entries, followed by the block directory */
    size_t capacity;       /* 0 or a power of two */
    unsigned hash_shift;   /* 64 - log2(capacity) */
    shadow_block *blocks;  /* block_capacity entries, in the slots' allocation */
    size_t block_capacity; /* 0 or a power of two: a fixed fraction of capacity */
    unsigned block_shift;  /* 64 - log2(block_capacity) */
    size_t block_count;    /* slabs */
    /* The block window: window[b - window_base] is the slab of block b,
     * or NULL if b has none, for the block_capacity blocks from
     * window_base on (in the slots' allocation, after the directory). A
     * lookup there finds its leaf by subtraction instead of hashing and
     * probing; slabs of blocks outside it are found through the
     * directory alone. */
    shadow_leaf **window;
    uint64_t window_base;
    size_t slab_leaves; /* leaves that live in a slab */
    size_t leaves;
    size_t ext_arrays;
    /* Between shadow_begin and shadow_end: the table the call began with,
     * kept so that an undone call can go back to it without allocating. */
    shadow_slot *spare;
    size_t spare_capacity;
    int pending;
    unsigned num_sizes;
    uint8_t shift[VS_MAX_PAGE_SIZES];        /* log2 base pages per page of size index k */
    uint64_t large_pages[VS_MAX_PAGE_SIZES]; /* mapped pages of size index k > 0 */
    uint64_t large_total;
} shadow;

enum { SHADOW_SIZE_KEY_SHIFT = 60 };

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

/* Number of bits set (no popcount builtin: the freestanding build has no
 * libgcc to call). */
static inline unsigned shadow_bit_count(uint64_t bits)
{
    bits -= (bits >> 1) & 0x5555555555555555ull;
    bits = (bits & 0x3333333333333333ull) + ((bits >> 2) & 0x3333333333333333ull);
    bits = (bits + (bits >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((bits * 0x0101010101010101ull) >> 56);
}

/* The directory entry a block hashes to (linear probing goes on from it). */
static inline size_t shadow_block_home(const shadow *s, uint64_t block)
{
    return (size_t)((block * 0x9e3779b97f4a7c15ull) >> s->block_shift);
}

/* The dense block of a leaf key, or NULL. */
static inline shadow_block *shadow_block_of(const shadow *s, uint64_t key)
{
    if (s->block_count == 0) {
        return NULL; /* also: no directory yet */
    }
    uint64_t block = key >> SHADOW_BLOCK_BITS;
    size_t mask = s->block_capacity - 1;
    for (size_t i = shadow_block_home(s, block);; i = (i + 1) & mask) {
        shadow_block *b = &s->blocks[i];
        if (b->leaves == NULL || b->key == block) {
            return b->leaves != NULL ? b : NULL;
        }
    }
}

/* The window entry of a block, or NULL when the block lies outside the
 * window (always, while there is no directory). */
static inline shadow_leaf **shadow_window_entry(const shadow *s, uint64_t block)
{
    uint64_t offset = block - s->window_base;
    return offset < s->block_capacity ? &s->window[offset] : NULL;
}

/* The leaf with this key as the leaf table lists it, or NULL. */
static inline shadow_leaf *shadow_table_leaf(const shadow *s, uint64_t key)
{
    if (s->capacity == 0) {
        return NULL;
    }
    for (size_t i = (size_t)shadow_hash(s, key);; i = (i + 1) & (s->capacity - 1)) {
        const shadow_slot *slot = &s->slots[i];
        if (slot->leaf == NULL || slot->leaf->key == key) {
            return slot->leaf;
        }
    }
}

/* The leaf with this key, or NULL: through the block directory when the
 * key's block has a slab, else through the leaf table. */
static inline shadow_leaf *shadow_leaf_by_key(const shadow *s, uint64_t key)
{
    const shadow_block *b = shadow_block_of(s, key);
    if (b != NULL) {
        unsigned i = (unsigned)(key & (SHADOW_BLOCK_LEAVES - 1));
        return (b->present >> i) & 1 ? &b->leaves[i] : NULL;
    }
    return shadow_table_leaf(s, key);
}

/* shadow_base_leaf_fast's window part alone: the leaf of page if the
 * window holds its block's slab, else NULL (the leaf may still be
 * elsewhere). No call and no hash, so vs_lookup's fast path, which sends
 * every other case to its exact path, needs no saved register around it.
 * The same test is written out in shadow_base_leaf_fast, which goes on to
 * the table and the directory: through a shared helper the compiler kept
 * vs_get_cap's loads apart (see there). */
static inline shadow_leaf *shadow_window_leaf(const shadow *s, uint64_t page)
{
    uint64_t key = page >> SHADOW_LEAF_BITS;
    uint64_t offset = (key >> SHADOW_BLOCK_BITS) - s->window_base;
    shadow_leaf *slab = offset < s->block_capacity ? s->window[offset] : NULL;
    return slab != NULL ? &slab[key & (SHADOW_BLOCK_LEAVES - 1)] : NULL;
}

/* For the lookup fast paths: a leaf whose meta byte for `page` is MAPPED
 * exactly when the page is mapped as a base page, or NULL. Unlike
 * shadow_leaf_of it may return a slab's unused leaf (all meta bytes 0), so
 * a caller must take any other answer than MAPPED to the exact path. */
static inline shadow_leaf *shadow_base_leaf_fast(const shadow *s, uint64_t page)
{
    uint64_t key = page >> SHADOW_LEAF_BITS;
    /* shadow_window_entry's test, written out: through the entry's address
     * the compiler kept both loads apart (vs_get_cap 31 -> 35 instructions). */
    uint64_t offset = (key >> SHADOW_BLOCK_BITS) - s->window_base;
    if (offset < s->block_capacity) {
        /* Inside the window, a block without an entry has no slab. */
        shadow_leaf *slab = s->window[offset];
        return slab != NULL ? &slab[key & (SHADOW_BLOCK_LEAVES - 1)] : shadow_table_leaf(s, key);
    }
    const shadow_block *b = shadow_block_of(s, key);
    if (b != NULL) {
        return &b->leaves[key & (SHADOW_BLOCK_LEAVES - 1)];
    }
    return shadow_table_leaf(s, key);
}

/* The base leaf holding page, or NULL when none of its pages is mapped. */
static inline shadow_leaf *shadow_leaf_of(const shadow *s, uint64_t page)
{
    return shadow_leaf_by_key(s, page >> SHADOW_LEAF_BITS);
}

/* The key of the leaf of size index k holding the page containing `page`,
 * and the page's index in it. */
static inline uint64_t shadow_key(const shadow *s, unsigned k, uint64_t page)
{
    return ((uint64_t)k << SHADOW_SIZE_KEY_SHIFT) | (page >> s->shift[k] >> SHADOW_LEAF_BITS);
}

static inline unsigned shadow_index(const shadow *s, unsigned k, uint64_t page)
{
    return (unsigned)((page >> s->shift[k]) & (SHADOW_LEAF_PAGES - 1));
}

/* Size index of a key's leaf, its first base page, and log2 of the base
 * pages each of its entries covers. */
static inline unsigned shadow_key_size(uint64_t key)
{
    return (unsigned)(key >> SHADOW_SIZE_KEY_SHIFT);
}

static inline unsigned shadow_key_shift(const shadow *s, uint64_t key)
{
    return s->shift[shadow_key_size(key)];
}

static inline uint64_t shadow_key_page(const shadow *s, uint64_t key)
{
    uint64_t index = key & (((uint64_t)1 << SHADOW_SIZE_KEY_SHIFT) - 1);
    return index << (SHADOW_LEAF_BITS + shadow_key_shift(s, key));
}

/* The large page mapped over `page`: its leaf (and *index), or NULL. Out
 * of line: it is the rare case, and inlined its loop cost the common
 * lookup a stack frame. */
shadow_leaf *shadow_find_large(const shadow *s, uint64_t page, unsigned *index);

/* The leaf whose entry *index describes `page`: its base leaf if it has
 * one, else the large page over it; NULL if nothing maps it. */
static inline const shadow_leaf *shadow_find(const shadow *s, uint64_t page, unsigned *index)
{
    const shadow_leaf *leaf = shadow_leaf_of(s, page);
    if (leaf != NULL) {
        *index = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
        return leaf;
    }
    return s->large_total != 0 ? shadow_find_large(s, page, index) : NULL;
}

/* The cap of entry `index`, which is MAPPED. */
static inline vs_cap shadow_leaf_cap(const shadow_leaf *leaf, unsigned index)
{
    return (leaf->meta[index] & META_EXT) ? leaf->ext[index].cap : ((vs_cap)leaf->cap_hi << 32 | leaf->cap[index]);
}

static inline void shadow_decode(const shadow_leaf *leaf, unsigned index, shadow_entry *out)
{
    uint8_t meta = leaf != NULL ? leaf->meta[index] : 0;
    out->state = meta & META_STATE_MASK;
    out->size_index = (meta & META_SIZE_MASK) >> META_SIZE_SHIFT;
    out->owner = (meta & META_OWNER_MASK) >> META_OWNER_SHIFT;
    /* Caps and cookies mean something only while MAPPED; they are not
     * cleared when a page stops being mapped, nor initialised before. */
    int mapped = out->state == VS_PAGE_MAPPED;
    out->cap = mapped ? shadow_leaf_cap(leaf, index) : 0;
    out->cookie = mapped && (meta & META_EXT) ? leaf->ext[index].cookie : 0;
}

/* Sixteen meta bytes tested at once (SWAR): the single-page paths ask
 * these per call, where a byte loop was a measurable part of the cost. */
static inline void shadow_meta_words(const shadow_leaf *leaf, uint64_t *lo, uint64_t *hi)
{
    uint64_t w[2];
    _Static_assert(sizeof leaf->meta == sizeof w, "a leaf's meta bytes are two words");
    __builtin_memcpy(w, leaf->meta, sizeof w);
    *lo = w[0];
    *hi = w[1];
}

static inline uint64_t shadow_bytes_of(uint8_t byte)
{
    return 0x0101010101010101ull * byte;
}

/* Non-zero if some byte of w, masked, equals value (exact: the classic
 * zero-byte test has no false positives on the question "is there one"). */
static inline uint64_t shadow_has_byte(uint64_t w, uint8_t mask, uint8_t value)
{
    uint64_t x = (w & shadow_bytes_of(mask)) ^ shadow_bytes_of(value);
    return (x - shadow_bytes_of(0x01)) & ~x & shadow_bytes_of(0x80);
}

/* One bit (the byte's top bit) per byte of w that, masked, equals value;
 * exact in every byte, unlike shadow_has_byte. */
static inline uint64_t shadow_bytes_equal(uint64_t w, uint8_t mask, uint8_t value)
{
    uint64_t x = (w & shadow_bytes_of(mask)) ^ shadow_bytes_of(value);
    uint64_t low7 = shadow_bytes_of(0x7f);
    return ~(((x & low7) + low7) | x) & shadow_bytes_of(0x80);
}

/* Number of flags (top bits of bytes) in w: the bytes, as 0 or 1, summed
 * into the top byte by one multiplication (no popcount: the freestanding
 * build has no libgcc to call). */
static inline unsigned shadow_count_flags(uint64_t flags)
{
    return (unsigned)(((flags >> 7) * shadow_bytes_of(0x01)) >> 56);
}

/* The bytes [0, n) of a word read from memory (all of it from n = 8 on). */
static inline uint64_t shadow_bytes_below(unsigned n)
{
    if (n >= 8) {
        return ~0ull;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return ~(~0ull >> (8 * n));
#else
    return ((uint64_t)1 << (8 * n)) - 1;
#endif
}

/* Number of MAPPED entries of the leaf among indices [from, to). */
static inline unsigned shadow_leaf_count_mapped(const shadow_leaf *leaf, unsigned from, unsigned to)
{
    uint64_t lo;
    uint64_t hi;
    shadow_meta_words(leaf, &lo, &hi);
    lo = shadow_bytes_equal(lo, META_STATE_MASK, VS_PAGE_MAPPED);
    hi = shadow_bytes_equal(hi, META_STATE_MASK, VS_PAGE_MAPPED);
    /* Index k is byte k % 8 of word k / 8 (the words were read in memory order). */
    uint64_t keep_lo = shadow_bytes_below(to) & ~shadow_bytes_below(from);
    uint64_t keep_hi = shadow_bytes_below(to > 8 ? to - 8 : 0) & ~shadow_bytes_below(from > 8 ? from - 8 : 0);
    return shadow_count_flags(lo & keep_lo) + shadow_count_flags(hi & keep_hi);
}

/* Sets the leaf's meta bytes of indices [from, to) to 0 (EMPTY) with two
 * word stores instead of a store per byte. */
static inline void shadow_leaf_clear_meta(shadow_leaf *leaf, unsigned from, unsigned to)
{
    uint64_t w[2];
    shadow_meta_words(leaf, &w[0], &w[1]);
    w[0] &= ~(shadow_bytes_below(to) & ~shadow_bytes_below(from));
    w[1] &= ~(shadow_bytes_below(to > 8 ? to - 8 : 0) & ~shadow_bytes_below(from > 8 ? from - 8 : 0));
    __builtin_memcpy(leaf->meta, w, sizeof w);
}

/* Whether a page of the leaf is mapped with its cap inline (the leaf's
 * cap_hi then is in use). */
static inline int shadow_leaf_has_inline(const shadow_leaf *leaf)
{
    uint64_t lo;
    uint64_t hi;
    shadow_meta_words(leaf, &lo, &hi);
    uint8_t mask = META_STATE_MASK | META_EXT;
    return (shadow_has_byte(lo, mask, VS_PAGE_MAPPED) | shadow_has_byte(hi, mask, VS_PAGE_MAPPED)) != 0;
}

static inline int shadow_leaf_uses_ext(const shadow_leaf *leaf)
{
    uint64_t lo;
    uint64_t hi;
    shadow_meta_words(leaf, &lo, &hi);
    return ((lo | hi) & shadow_bytes_of(META_EXT)) != 0;
}

static inline int shadow_leaf_is_empty(const shadow_leaf *leaf)
{
    uint64_t lo;
    uint64_t hi;
    shadow_meta_words(leaf, &lo, &hi);
    return (lo | hi) == 0;
}

static inline void shadow_get(const shadow *s, uint64_t page, shadow_entry *out)
{
    unsigned index = 0;
    const shadow_leaf *leaf = shadow_find(s, page, &index);
    shadow_decode(leaf, index, out);
}

/* Starts a call that maps pages: the table may grow while its runs are
 * prepared; shadow_end then commits or, if the call was undone (its leaves
 * dropped again), returns to the table the call began with, without
 * allocating. */
void shadow_begin(shadow *s);
void shadow_end(shadow *s, counted_alloc *a, int commit);

/* Links in an empty leaf for `key` (of any page size), which has none,
 * growing the table (inside shadow_begin/shadow_end); NULL (NO_MEMORY)
 * leaves the shadow unchanged. The single-page map fills it in place; if
 * that map fails, shadow_release_leaf gives it back while it is still
 * empty. */
shadow_leaf *shadow_add_leaf(shadow *s, counted_alloc *a, uint64_t key);

/* Records one mapped page of size index k in entry i of its leaf, the cap
 * inline: the caller checked that the leaf's high half is the cap's (or
 * that the leaf has no inline entry) and that no cookie goes with it. */
static inline void shadow_write_inline(shadow *s, shadow_leaf *leaf, unsigned i, vs_cap cap, unsigned k,
                                       vs_page_owner owner)
{
    leaf->cap_hi = (uint32_t)(cap >> 32);
    leaf->cap[i] = (uint32_t)cap;
    leaf->meta[i] = (uint8_t)(VS_PAGE_MAPPED | (k << META_SIZE_SHIFT) | (owner << META_OWNER_SHIFT));
    if (k != 0) {
        s->large_pages[k]++;
        s->large_total++;
    }
}

/* Frees leaf's side array, and leaf itself, if nothing uses them any more. */
void shadow_release_leaf(shadow *s, counted_alloc *a, shadow_leaf *leaf);

/* Makes entry `index` of `leaf` (found by the caller) not mapped, freeing
 * what that empties; `leaf` may be gone afterwards. Inline: most clears
 * leave the leaf in use and need no call. */
static inline void shadow_clear_entry(shadow *s, counted_alloc *a, shadow_leaf *leaf, unsigned index)
{
    leaf->meta[index] = 0;
    if (leaf->ext != NULL || shadow_leaf_is_empty(leaf)) {
        shadow_release_leaf(s, a, leaf);
    }
}

/* Makes entry i of a large-page leaf (as shadow_find_large found it) not
 * mapped, freeing the leaf if it empties: shadow_clear of exactly that
 * page, without looking it up again. */
void shadow_clear_large(shadow *s, counted_alloc *a, shadow_leaf *leaf, unsigned i);

/* Makes pages [first, first + count) not mapped, freeing leaves that empty. */
void shadow_clear(shadow *s, counted_alloc *a, uint64_t first, uint64_t count);

/* Consecutive mapped pages of one size, as vs_map writes them. */
typedef struct shadow_run {
    const vs_cap *caps;       /* count caps */
    const uintptr_t *cookies; /* count cookies, or NULL for all 0 */
    uint64_t count;
    unsigned pages_per; /* base pages per page */
    unsigned size_index;
    unsigned owner;
    int uniform; /* set by shadow_prepare_run: every cap has caps[0]'s high half, no cookie is set */
} shadow_run;

/* Allocates what recording run from base page `first` will need (leaves,
 * side arrays; inside shadow_begin's range), so that the kernel is called only once nothing can fail,
 * and notes in run->uniform what shadow_write_run then need not scan again.
 * NO_MEMORY leaves the shadow unchanged. */
vs_result shadow_prepare_run(shadow *s, counted_alloc *a, uint64_t first, shadow_run *run);

/* Gives back what shadow_prepare_run allocated, when run is not recorded. */
void shadow_unprepare_run(shadow *s, counted_alloc *a, uint64_t first, const shadow_run *run);

/* Records run, prepared, from base page `first` on; those pages are not
 * mapped. Cannot fail. */
void shadow_write_run(shadow *s, uint64_t first, const shadow_run *run);

/* Walks the mapped pages of a range in address order, looking a leaf up
 * once per SHADOW_LEAF_PAGES pages rather than once per page. */
typedef struct shadow_cursor {
    const shadow *s;
    uint64_t page; /* next base page to look at */
    uint64_t end;
    const shadow_leaf *leaf;
    uint64_t key;              /* key of leaf, or UINT64_MAX */
    const uint8_t *size_shift; /* log2 base pages per page-size index */
} shadow_cursor;

static inline void shadow_cursor_init(shadow_cursor *c, const shadow *s, uint64_t first, uint64_t count,
                                      const uint8_t *size_shift)
{
    c->s = s;
    c->page = first;
    c->end = first + count;
    c->leaf = NULL;
    c->key = UINT64_MAX;
    c->size_shift = size_shift;
}

/* Moves the cursor to the next MAPPED page and decodes it into *e without
 * passing it; *page is its first base page in the range. Returns 0 at the
 * end of the range. */
static inline int shadow_cursor_peek(shadow_cursor *c, uint64_t *page, shadow_entry *e)
{
    while (c->page < c->end) {
        uint64_t key = c->page >> SHADOW_LEAF_BITS;
        if (key != c->key) {
            c->key = key;
            c->leaf = shadow_leaf_of(c->s, c->page);
        }
        unsigned i = (unsigned)(c->page & (SHADOW_LEAF_PAGES - 1));
        if (c->leaf == NULL) {
            unsigned j = 0;
            const shadow_leaf *large = c->s->large_total != 0 ? shadow_find_large(c->s, c->page, &j) : NULL;
            if (large != NULL) {
                shadow_decode(large, j, e);
                *page = c->page;
                return 1;
            }
            c->page += SHADOW_LEAF_PAGES - i;
        } else if ((c->leaf->meta[i] & META_STATE_MASK) != VS_PAGE_MAPPED) {
            c->page++;
        } else {
            shadow_decode(c->leaf, i, e);
            *page = c->page;
            return 1;
        }
    }
    return 0;
}

/* Moves the cursor past the page peek returned (e). */
static inline void shadow_cursor_skip(shadow_cursor *c, const shadow_entry *e)
{
    uint64_t pages = (uint64_t)1 << c->size_shift[e->size_index];
    c->page = (c->page & ~(pages - 1)) + pages;
}

/* The next MAPPED page: peek and skip. A page whose first base page
 * precedes the range is reported from the range's first base page. */
static inline int shadow_cursor_next(shadow_cursor *c, uint64_t *page, shadow_entry *e)
{
    if (!shadow_cursor_peek(c, page, e)) {
        return 0;
    }
    shadow_cursor_skip(c, e);
    return 1;
}

/* After shadow_cursor_peek found a base page: takes the MAPPED pages of
 * its leaf from the cursor on, up to max of them and not past the range,
 * into caps, cookies and owners, and moves the cursor past them (and past
 * the unmapped pages between them). Returns how many were taken; one leaf
 * read in one loop instead of a peek per page. */
unsigned shadow_cursor_take_base(shadow_cursor *c, vs_cap *caps, uintptr_t *cookies, uint8_t *owners, unsigned max);

/* Number of base pages in [first, first + count) that are mapped. */
uint64_t shadow_count_mapped(const shadow *s, uint64_t first, uint64_t count);

/* Visits every leaf (in hash order) with its key until fn returns non-zero;
 * shadow_key_page and shadow_key_shift say which pages a key's leaf holds. */
int shadow_for_each_leaf(const shadow *s, int (*fn)(void *ctx, uint64_t key, const shadow_leaf *leaf), void *ctx);

/* Bytes the shadow holds: leaves, their arrays and the table. */
size_t shadow_bytes(const shadow *s);

/* Frees every leaf, side array and the table. */
void shadow_destroy(shadow *s, counted_alloc *a);

#endif
