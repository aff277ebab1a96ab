/* Shadow page table storage: leaves in an open-addressing hash table with
 * linear probing and backward-shift deletion (no tombstones). Every change
 * that needs memory allocates it all before it touches anything, so a
 * failure leaves the shadow as it was. */
#include "shadow.h"

#include "libc.h"

enum {
    MIN_CAPACITY = 16,
    /* Leaf slots per directory entry. A slab is made only for a block that
     * gets at least half its leaves at once, so the slabs never outnumber
     * leaves / (SHADOW_BLOCK_LEAVES / 2), and the leaf table keeps leaves
     * at most 3/4 of its slots: with this ratio the directory is never
     * fuller than the table. */
    BLOCK_RATIO = SHADOW_BLOCK_LEAVES / 2,
    MIN_SLAB_LEAVES = SHADOW_BLOCK_LEAVES / 2,
    /* A committed unmap that leaves this many leaves or fewer in a slab
     * moves them out: 4 of 64, and still 1 in the model test's 2-leaf
     * blocks, so that the move is tested there too. */
    UNSLAB_LEAVES = (SHADOW_BLOCK_LEAVES + 15) / 16
};

static unsigned leaf_index(uint64_t page)
{
    return (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
}

static size_t ext_bytes(void)
{
    return SHADOW_LEAF_PAGES * sizeof(shadow_ext);
}

/* The side array exists exactly while a page of the leaf uses it. */
static void release_ext_if_unused(shadow *s, counted_alloc *a, shadow_leaf *leaf)
{
    if (leaf->ext != NULL && !shadow_leaf_uses_ext(leaf)) {
        counted_alloc_put(a, leaf->ext, ext_bytes());
        leaf->ext = NULL;
        s->ext_arrays--;
    }
}

static size_t slab_bytes(void)
{
    return SHADOW_BLOCK_LEAVES * sizeof(shadow_leaf);
}

static size_t block_capacity_for(size_t capacity)
{
    return capacity / BLOCK_RATIO;
}

/* The leaf table, the block directory and the block window are one
 * allocation, so that they grow, and an undone call returns to the table
 * it began with, together. */
static size_t table_bytes(size_t capacity)
{
    return capacity * sizeof(shadow_slot) +
           block_capacity_for(capacity) * (sizeof(shadow_block) + sizeof(shadow_leaf *));
}

size_t shadow_bytes(const shadow *s)
{
    return (s->leaves - s->slab_leaves) * sizeof(shadow_leaf) + s->block_count * slab_bytes() +
           s->ext_arrays * ext_bytes() + table_bytes(s->capacity);
}

shadow_leaf *shadow_find_large(const shadow *s, uint64_t page, unsigned *index)
{
    for (unsigned k = 1; k < s->num_sizes && s->large_total != 0; k++) {
        if (s->large_pages[k] == 0) {
            continue;
        }
        shadow_leaf *leaf = shadow_leaf_by_key(s, shadow_key(s, k, page));
        unsigned i = shadow_index(s, k, page);
        if (leaf != NULL && (leaf->meta[i] & META_STATE_MASK) != 0) {
            *index = i;
            return leaf;
        }
    }
    return NULL;
}

/* ---- the hash table ---- */

static size_t slot_of(const shadow *s, uint64_t key)
{
    size_t i = (size_t)shadow_hash(s, key);
    while (s->slots[i].leaf != NULL && s->slots[i].leaf->key != key) {
        i = (i + 1) & (s->capacity - 1);
    }
    return i;
}

static void table_put(shadow *s, uint64_t key, shadow_leaf *leaf)
{
    size_t i = slot_of(s, key);
    leaf->key = key;
    s->slots[i].leaf = leaf;
}

/* Capacity needed to hold `leaves` at a load factor of at most 3/4. */
static size_t capacity_for(size_t leaves, size_t current)
{
    size_t capacity = current != 0 ? current : MIN_CAPACITY;
    while (leaves > capacity / 4 * 3) {
        capacity *= 2;
    }
    return capacity;
}

static unsigned log2_of(size_t power_of_two)
{
    unsigned bits = 0;
    while (((size_t)1 << bits) < power_of_two) {
        bits++;
    }
    return bits;
}

/* The free directory entry for a block key not in the directory. */
static shadow_block *block_slot(const shadow *s, uint64_t block)
{
    size_t i = shadow_block_home(s, block);
    while (s->blocks[i].leaves != NULL) {
        i = (i + 1) & (s->block_capacity - 1);
    }
    return &s->blocks[i];
}

/* Where a window of `length` blocks starts so that it holds blocks
 * [lowest, highest]: a quarter of what they leave free goes below them
 * (mappings mostly grow upwards, stacks downwards). Blocks spanning more
 * than the window get it from the lowest on. */
static uint64_t window_base_for(uint64_t lowest, uint64_t highest, size_t length)
{
    uint64_t span = highest - lowest + 1;
    uint64_t below = span < length ? (length - span) / 4 : 0;
    return lowest > below ? lowest - below : 0;
}

/* Places the window over the directory's blocks and enters each slab it
 * covers. */
static void window_fill(shadow *s)
{
    uint64_t lowest = UINT64_MAX;
    uint64_t highest = 0;
    for (size_t i = 0; i < s->block_capacity; i++) {
        if (s->blocks[i].leaves != NULL) {
            lowest = s->blocks[i].key < lowest ? s->blocks[i].key : lowest;
            highest = s->blocks[i].key > highest ? s->blocks[i].key : highest;
        }
    }
    s->window_base = s->block_count != 0 ? window_base_for(lowest, highest, s->block_capacity) : 0;
    memset(s->window, 0, s->block_capacity * sizeof(shadow_leaf *));
    for (size_t i = 0; i < s->block_capacity; i++) {
        shadow_leaf **entry = s->blocks[i].leaves != NULL ? shadow_window_entry(s, s->blocks[i].key) : NULL;
        if (entry != NULL) {
            *entry = s->blocks[i].leaves;
        }
    }
}

/* Makes `slots` (zeroed, table_bytes(capacity)) the table and puts into it
 * every leaf and block of the `old` table. */
static void table_fill(shadow *s, shadow_slot *slots, size_t capacity, const shadow_slot *old, size_t old_capacity)
{
    s->slots = slots;
    s->capacity = capacity;
    s->hash_shift = 64 - log2_of(capacity);
    s->blocks = (shadow_block *)(slots + capacity);
    s->block_capacity = block_capacity_for(capacity);
    s->block_shift = 64 - log2_of(s->block_capacity);
    s->window = (shadow_leaf **)(s->blocks + s->block_capacity);
    s->window_base = 0;
    if (old == NULL) {
        return; /* the first table */
    }
    const shadow_block *old_blocks = (const shadow_block *)(old + old_capacity);
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i].leaf != NULL) {
            table_put(s, old[i].leaf->key, old[i].leaf);
        }
    }
    for (size_t i = 0; i < block_capacity_for(old_capacity); i++) {
        if (old_blocks[i].leaves != NULL) {
            *block_slot(s, old_blocks[i].key) = old_blocks[i];
        }
    }
    window_fill(s);
}

/* Moves every leaf into `slots` (zeroed, `capacity`); the old array is
 * left to the caller. */
static void table_move(shadow *s, shadow_slot *slots, size_t capacity)
{
    table_fill(s, slots, capacity, s->slots, s->capacity);
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void table_remove(shadow *s, uint64_t key)
{
    if (s->slots == NULL) {
        return; /* unreachable: a leaf to remove means a table holds it */
    }
    size_t mask = s->capacity - 1;
    size_t hole = slot_of(s, key);
    s->slots[hole].leaf = NULL;
    for (size_t j = (hole + 1) & mask; s->slots[j].leaf != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)shadow_hash(s, s->slots[j].leaf->key);
        /* The entry may fill the hole only if its home is not cyclically in (hole, j]. */
        int home_after_hole = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_after_hole) {
            s->slots[hole] = s->slots[j];
            s->slots[j].leaf = NULL;
            hole = j;
        }
    }
}

/* ---- growing the table within one call ---- */

static void forget_table(shadow *s)
{
    s->slots = NULL;
    s->capacity = 0;
    s->blocks = NULL;
    s->block_capacity = 0;
    s->window = NULL;
    s->window_base = 0;
}

static void free_table(shadow *s, counted_alloc *a)
{
    counted_alloc_put(a, s->slots, table_bytes(s->capacity));
    forget_table(s);
}

void shadow_begin(shadow *s)
{
    s->spare = NULL;
    s->spare_capacity = s->capacity;
    s->pending = 1;
}

/* Makes room for `more` leaves. Inside a call the table the call began
 * with is kept (as spare) for shadow_end to return to; tables grown in
 * between are freed as they are replaced. */
static vs_result make_room(shadow *s, counted_alloc *a, uint64_t more)
{
    if (more > SIZE_MAX / 2 - s->leaves) {
        return VS_ERR_NO_MEMORY;
    }
    size_t capacity = capacity_for(s->leaves + (size_t)more, s->capacity);
    if (capacity == s->capacity) {
        return VS_OK;
    }
    if (capacity > SIZE_MAX / 2 / sizeof(shadow_slot)) {
        return VS_ERR_NO_MEMORY;
    }
    shadow_slot *slots = counted_alloc_get(a, table_bytes(capacity));
    if (slots == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    memset(slots, 0, table_bytes(capacity));
    shadow_slot *old = s->slots;
    size_t old_capacity = s->capacity;
    table_move(s, slots, capacity);
    if (s->pending && old_capacity == s->spare_capacity && s->spare == NULL) {
        s->spare = old;
    } else {
        counted_alloc_put(a, old, table_bytes(old_capacity));
    }
    return VS_OK;
}

void shadow_end(shadow *s, counted_alloc *a, int commit)
{
    if (!s->pending) {
        return;
    }
    s->pending = 0;
    if (!commit && s->capacity != s->spare_capacity) {
        /* Undone: every leaf the call added is gone again, so the leaves
         * fit the table the call began with. */
        shadow_slot *grown = s->slots;
        size_t grown_capacity = s->capacity;
        if (s->spare_capacity == 0) {
            forget_table(s);
        } else {
            memset(s->spare, 0, table_bytes(s->spare_capacity));
            table_fill(s, s->spare, s->spare_capacity, grown, grown_capacity);
        }
        counted_alloc_put(a, grown, table_bytes(grown_capacity));
    } else if (s->spare != NULL) {
        counted_alloc_put(a, s->spare, table_bytes(s->spare_capacity));
    }
    s->spare = NULL;
    if (s->leaves == 0 && s->capacity != 0) {
        free_table(s, a);
    }
}

/* Backward-shift deletion of a directory entry, as table_remove. */
static void block_remove(shadow *s, shadow_block *b)
{
    size_t mask = s->block_capacity - 1;
    size_t hole = (size_t)(b - s->blocks);
    shadow_leaf **entry = shadow_window_entry(s, b->key);
    if (entry != NULL) {
        *entry = NULL;
    }
    s->blocks[hole].leaves = NULL;
    for (size_t j = (hole + 1) & mask; s->blocks[j].leaves != NULL; j = (j + 1) & mask) {
        size_t home = shadow_block_home(s, s->blocks[j].key);
        int home_after_hole = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_after_hole) {
            s->blocks[hole] = s->blocks[j];
            s->blocks[j].leaves = NULL;
            hole = j;
        }
    }
    s->block_count--;
}

static void free_slab(shadow *s, counted_alloc *a, shadow_block *b)
{
    counted_alloc_put(a, b->leaves, slab_bytes());
    block_remove(s, b);
}

/* Moves the leaves of a slab out to leaves of their own and frees the slab,
 * if all of them can be allocated (else keeps it: it is still correct). */
static void unslab(shadow *s, counted_alloc *a, shadow_block *b)
{
    shadow_leaf *moved[SHADOW_BLOCK_LEAVES];
    unsigned from[SHADOW_BLOCK_LEAVES];
    unsigned n = 0;
    for (unsigned i = 0; i < SHADOW_BLOCK_LEAVES; i++) {
        if (((b->present >> i) & 1) == 0) {
            continue;
        }
        moved[n] = counted_alloc_get(a, sizeof(shadow_leaf));
        if (moved[n] == NULL) {
            while (n-- > 0) {
                counted_alloc_put(a, moved[n], sizeof(shadow_leaf));
            }
            return;
        }
        from[n++] = i;
    }
    for (unsigned k = 0; k < n; k++) {
        const shadow_leaf *leaf = &b->leaves[from[k]];
        *moved[k] = *leaf;
        s->slots[slot_of(s, leaf->key)].leaf = moved[k];
    }
    s->slab_leaves -= n;
    free_slab(s, a, b);
}

/* A leaf of a dense block goes back to its slab; the slab goes with its
 * last leaf, or gives its leaves their own memory when a committed change
 * (not one being undone: that returns exactly to what it began with)
 * leaves 4 or fewer of them. */
static void put_leaf(shadow *s, counted_alloc *a, uint64_t key, shadow_leaf *leaf)
{
    shadow_block *b = shadow_block_of(s, key);
    if (b == NULL) {
        counted_alloc_put(a, leaf, sizeof *leaf);
        return;
    }
    b->present &= ~((uint64_t)1 << (key & (SHADOW_BLOCK_LEAVES - 1)));
    s->slab_leaves--;
    if (b->present == 0) {
        free_slab(s, a, b);
    } else if (!s->pending && shadow_bit_count(b->present) <= UNSLAB_LEAVES) {
        unslab(s, a, b);
    }
}

static void drop_leaf(shadow *s, counted_alloc *a, uint64_t key, shadow_leaf *leaf)
{
    table_remove(s, key);
    put_leaf(s, a, key, leaf);
    s->leaves--;
    if (s->leaves == 0 && !s->pending) {
        free_table(s, a);
    }
}

/* Gives back a leaf's side array and the leaf itself once unused. */
static void release_if_unused(shadow *s, counted_alloc *a, shadow_leaf *leaf)
{
    if (leaf == NULL) {
        return;
    }
    release_ext_if_unused(s, a, leaf);
    if (leaf->ext == NULL && shadow_leaf_is_empty(leaf)) {
        drop_leaf(s, a, leaf->key, leaf);
    }
}

/* ---- clearing ---- */

void shadow_clear_large(shadow *s, counted_alloc *a, shadow_leaf *leaf, unsigned i)
{
    unsigned k = shadow_key_size(leaf->key);
    leaf->meta[i] = 0;
    s->large_pages[k]--;
    s->large_total--;
    release_if_unused(s, a, leaf);
}

void shadow_release_leaf(shadow *s, counted_alloc *a, shadow_leaf *leaf)
{
    release_if_unused(s, a, leaf);
}

void shadow_clear(shadow *s, counted_alloc *a, uint64_t first, uint64_t count)
{
    uint64_t page = first;
    uint64_t end = first + count;
    while (page < end) {
        shadow_leaf *leaf = shadow_leaf_of(s, page);
        unsigned i = leaf_index(page);
        if (leaf != NULL) {
            unsigned stop = end - page < SHADOW_LEAF_PAGES - i ? i + (unsigned)(end - page) : SHADOW_LEAF_PAGES;
            shadow_leaf_clear_meta(leaf, i, stop);
            page += stop - i;
            release_if_unused(s, a, leaf);
            continue;
        }
        unsigned j = 0;
        shadow_leaf *large = s->large_total != 0 ? shadow_find_large(s, page, &j) : NULL;
        if (large != NULL) {
            uint64_t pages = (uint64_t)1 << shadow_key_shift(s, large->key);
            shadow_clear_large(s, a, large, j);
            page = (page & ~(pages - 1)) + pages;
        } else {
            page += SHADOW_LEAF_PAGES - i;
        }
    }
}

/* ---- mapping ---- */

/* Entries [*j0, *j1) of a run whose first entry (page >> shift) is e0 fall
 * into the leaf of `key`. */
static void segment_of(uint64_t key, uint64_t e0, uint64_t count, uint64_t *j0, uint64_t *j1)
{
    uint64_t lo = (key & (((uint64_t)1 << SHADOW_SIZE_KEY_SHIFT) - 1)) << SHADOW_LEAF_BITS;
    uint64_t hi = lo + SHADOW_LEAF_PAGES;
    *j0 = (lo > e0 ? lo : e0) - e0;
    *j1 = (hi < e0 + count ? hi : e0 + count) - e0;
}

/* Whether the run's entries [j0, j1) share caps[j0]'s high half and carry
 * no cookie. Reductions without an early exit, which the compiler
 * vectorizes: the loop that stopped at the first difference cost 10
 * instructions a page. */
static int caps_uniform(const shadow_run *run, uint64_t j0, uint64_t j1)
{
    vs_cap first = run->caps[j0];
    vs_cap differ = 0;
    uintptr_t cookies = 0;
    if (run->cookies != NULL) {
        for (uint64_t j = j0; j < j1; j++) {
            differ |= run->caps[j] ^ first;
            cookies |= run->cookies[j];
        }
    } else {
        for (uint64_t j = j0; j < j1; j++) {
            differ |= run->caps[j] ^ first;
        }
    }
    return (differ >> 32) == 0 && cookies == 0;
}

/* Whether the run's entries [j0, j1), all in `leaf`, can be inline: no
 * cookie, and caps sharing their high half with each other and with the
 * leaf's other inline caps. Otherwise they go to the side array. A run
 * found uniform as a whole (shadow_prepare_run) needs no scan per leaf. */
static int segment_inline(const shadow_leaf *leaf, const shadow_run *run, uint64_t j0, uint64_t j1)
{
    vs_cap first = run->caps[j0];
    if (shadow_leaf_has_inline(leaf) && leaf->cap_hi != (uint32_t)(first >> 32)) {
        return 0;
    }
    return run->uniform || caps_uniform(run, j0, j1);
}

/* The keys of the leaves a run from base page `first` is written to. */
static void run_keys(const shadow *s, uint64_t first, const shadow_run *run, uint64_t *first_key, uint64_t *last_key)
{
    uint64_t last = first + (run->count - 1) * run->pages_per;
    *first_key = shadow_key(s, run->size_index, first);
    *last_key = shadow_key(s, run->size_index, last);
}

/* Drops the leaves of keys [first_key, last_key] that hold no page. */
static void drop_unused(shadow *s, counted_alloc *a, uint64_t first_key, uint64_t last_key)
{
    for (uint64_t key = first_key; key <= last_key; key++) {
        release_if_unused(s, a, shadow_leaf_by_key(s, key));
    }
}

/* Allocates side arrays for the leaves of the run's keys whose entries
 * cannot be inline and lack one, all or none. */
static vs_result prepare_ext(shadow *s, counted_alloc *a, uint64_t first, const shadow_run *run)
{
    uint64_t first_key;
    uint64_t last_key;
    run_keys(s, first, run, &first_key, &last_key);
    uint64_t e0 = first >> s->shift[run->size_index];
    for (uint64_t key = first_key; key <= last_key; key++) {
        shadow_leaf *leaf = shadow_leaf_by_key(s, key);
        uint64_t j0;
        uint64_t j1;
        segment_of(key, e0, run->count, &j0, &j1);
        if (leaf->ext != NULL || segment_inline(leaf, run, j0, j1)) {
            continue;
        }
        leaf->ext = counted_alloc_get(a, ext_bytes());
        if (leaf->ext == NULL) {
            for (uint64_t undo = first_key; undo < key; undo++) {
                release_ext_if_unused(s, a, shadow_leaf_by_key(s, undo));
            }
            return VS_ERR_NO_MEMORY;
        }
        s->ext_arrays++;
    }
    return VS_OK;
}

/* Makes a slab for the block of `key` if the keys [key, last_key] cover at
 * least half of it, none of its leaves exists, and the directory has
 * room; a slab is only ever an optimisation, so failing to allocate one
 * is no error. */
static void try_slab(shadow *s, counted_alloc *a, uint64_t key, uint64_t last_key)
{
    uint64_t first = key & ~(uint64_t)(SHADOW_BLOCK_LEAVES - 1);
    uint64_t end = last_key - first < SHADOW_BLOCK_LEAVES ? last_key + 1 : first + SHADOW_BLOCK_LEAVES;
    if (shadow_key_size(key) != 0 || end - key < MIN_SLAB_LEAVES || (s->block_count + 1) * 4 > s->block_capacity * 3 ||
        shadow_block_of(s, key) != NULL) {
        return;
    }
    for (uint64_t k = first; k < first + SHADOW_BLOCK_LEAVES; k++) {
        if (shadow_leaf_by_key(s, k) != NULL) {
            return;
        }
    }
    shadow_leaf *leaves = counted_alloc_get(a, slab_bytes());
    if (leaves != NULL) {
        memset(leaves, 0, slab_bytes()); /* unused leaves read as unmapped (shadow_base_leaf_fast) */
        uint64_t block = key >> SHADOW_BLOCK_BITS;
        shadow_block *b = block_slot(s, block);
        *b = (shadow_block){block, 0, leaves};
        if (s->block_count == 0) {
            s->window_base = window_base_for(block, block, s->block_capacity); /* the window is empty */
        }
        s->block_count++;
        shadow_leaf **entry = shadow_window_entry(s, block);
        if (entry != NULL) {
            *entry = leaves;
        }
    }
}

/* A new leaf: in its block's slab if the block has one. */
static shadow_leaf *get_leaf(shadow *s, counted_alloc *a, uint64_t key)
{
    shadow_block *b = shadow_block_of(s, key);
    if (b == NULL) {
        return counted_alloc_get(a, sizeof(shadow_leaf));
    }
    unsigned i = (unsigned)(key & (SHADOW_BLOCK_LEAVES - 1));
    b->present |= (uint64_t)1 << i;
    s->slab_leaves++;
    return &b->leaves[i];
}

static shadow_leaf *new_leaf(shadow *s, counted_alloc *a, uint64_t key)
{
    shadow_leaf *leaf = get_leaf(s, a, key);
    if (leaf != NULL) {
        /* cap[] is written when a page is mapped and read only then. */
        memset(leaf, 0, offsetof(shadow_leaf, cap));
        leaf->ext = NULL;
        table_put(s, key, leaf);
        s->leaves++;
    }
    return leaf;
}

shadow_leaf *shadow_add_leaf(shadow *s, counted_alloc *a, uint64_t key)
{
    if (make_room(s, a, 1) != VS_OK) {
        return NULL;
    }
    /* Page-by-page mapping in ascending order that crosses into a new
     * block gets a slab for it, as a batch would (base pages only: large
     * leaves are few). */
    if ((key & (SHADOW_BLOCK_LEAVES - 1)) == 0 && key != 0 && shadow_key_size(key) == 0 &&
        shadow_leaf_by_key(s, key - 1) != NULL) {
        try_slab(s, a, key, key + SHADOW_BLOCK_LEAVES - 1);
    }
    return new_leaf(s, a, key);
}

/* Links an empty leaf in for every key of [first_key, last_key] lacking
 * one, growing the table first; all or none. *added says how many. */
static vs_result add_leaves(shadow *s, counted_alloc *a, uint64_t first_key, uint64_t last_key, uint64_t *added)
{
    uint64_t missing = 0;
    for (uint64_t key = first_key; key <= last_key; key++) {
        missing += shadow_leaf_by_key(s, key) == NULL;
    }
    *added = missing;
    vs_result r = make_room(s, a, missing);
    if (r != VS_OK) {
        return r;
    }
    for (uint64_t key = first_key; key <= last_key && missing != 0; key++) {
        if (key == first_key || (key & (SHADOW_BLOCK_LEAVES - 1)) == 0) {
            try_slab(s, a, key, last_key);
        }
        if (shadow_leaf_by_key(s, key) != NULL) {
            continue;
        }
        if (new_leaf(s, a, key) == NULL) {
            drop_unused(s, a, first_key, key);
            return VS_ERR_NO_MEMORY;
        }
    }
    return VS_OK;
}

/* Per leaf, a run's entries are either all inline (a 32-bit cap under the
 * leaf's high half, no cookie) or all in the side array. */
vs_result shadow_prepare_run(shadow *s, counted_alloc *a, uint64_t first, shadow_run *run)
{
    run->uniform = caps_uniform(run, 0, run->count);
    uint64_t first_key;
    uint64_t last_key;
    run_keys(s, first, run, &first_key, &last_key);
    uint64_t added = 0;
    vs_result r = add_leaves(s, a, first_key, last_key, &added);
    /* Only leaves that held pages before can need a side array for a
     * uniform run: a new leaf takes its high half. */
    if (r == VS_OK && !(run->uniform && added == last_key - first_key + 1)) {
        r = prepare_ext(s, a, first, run);
        if (r != VS_OK) {
            drop_unused(s, a, first_key, last_key);
        }
    }
    return r;
}

void shadow_unprepare_run(shadow *s, counted_alloc *a, uint64_t first, const shadow_run *run)
{
    uint64_t first_key;
    uint64_t last_key;
    run_keys(s, first, run, &first_key, &last_key);
    drop_unused(s, a, first_key, last_key);
}

/* One entry per page of the run, in the key space of its size, decided
 * leaf by leaf as shadow_prepare_run did. */
void shadow_write_run(shadow *s, uint64_t first, const shadow_run *run)
{
    unsigned k = run->size_index;
    uint8_t meta = (uint8_t)(VS_PAGE_MAPPED | (k << META_SIZE_SHIFT) | (run->owner << META_OWNER_SHIFT));
    uint64_t e0 = first >> s->shift[k];
    for (uint64_t j = 0; j < run->count;) {
        uint64_t key = shadow_key(s, k, first + j * run->pages_per);
        /* Every leaf is linked in (shadow_prepare_run): a base one is
         * found through the block window where it can be. */
        shadow_leaf *leaf = k == 0 ? shadow_base_leaf_fast(s, key << SHADOW_LEAF_BITS) : shadow_leaf_by_key(s, key);
        if (leaf == NULL) {
            return; /* unreachable: shadow_prepare_run linked every leaf in */
        }
        uint64_t j0;
        uint64_t j1;
        segment_of(key, e0, run->count, &j0, &j1);
        /* The segment's entries are consecutive in the leaf, from i0 on,
         * never past its end (segment_of); the mask only says so to the
         * compiler, whose overflow warning cannot see it. */
        unsigned i0 = (unsigned)((e0 + j0) & (SHADOW_LEAF_PAGES - 1));
        unsigned n = (unsigned)(j1 - j0);
        const vs_cap *caps = run->caps + j0;
        if (segment_inline(leaf, run, j0, j1)) {
            leaf->cap_hi = (uint32_t)(caps[0] >> 32);
            for (unsigned m = 0; m < n; m++) {
                unsigned i = (i0 + m) & (SHADOW_LEAF_PAGES - 1);
                leaf->meta[i] = meta;
                leaf->cap[i] = (uint32_t)caps[m];
            }
        } else {
            for (unsigned m = 0; m < n; m++) {
                unsigned i = (i0 + m) & (SHADOW_LEAF_PAGES - 1);
                leaf->meta[i] = (uint8_t)(meta | META_EXT);
                leaf->ext[i].cap = caps[m];
                leaf->ext[i].cookie = run->cookies != NULL ? run->cookies[j0 + m] : 0;
            }
        }
        j = j1;
    }
    if (k != 0) {
        s->large_pages[k] += run->count;
        s->large_total += run->count;
    }
}

unsigned shadow_cursor_take_base(shadow_cursor *c, vs_cap *caps, uintptr_t *cookies, uint8_t *owners, unsigned max)
{
    const shadow_leaf *leaf = c->leaf;
    unsigned i = leaf_index(c->page);
    unsigned stop = c->end - c->page < SHADOW_LEAF_PAGES - i ? i + (unsigned)(c->end - c->page) : SHADOW_LEAF_PAGES;
    unsigned taken = 0;
    if (leaf->ext != NULL) {
        for (; i < stop && taken < max; i++) {
            uint8_t meta = leaf->meta[i];
            if ((meta & META_STATE_MASK) != VS_PAGE_MAPPED) {
                continue;
            }
            caps[taken] = shadow_leaf_cap(leaf, i);
            cookies[taken] = (meta & META_EXT) ? leaf->ext[i].cookie : 0;
            owners[taken] = (uint8_t)((meta & META_OWNER_MASK) >> META_OWNER_SHIFT);
            taken++;
        }
    } else if (stop - i <= max && shadow_leaf_count_mapped(leaf, i, stop) == stop - i) {
        /* No side array (every cap inline under one high half, no cookie)
         * and a stretch that is all mapped and fits: loops the compiler
         * vectorizes. */
        vs_cap hi = (vs_cap)leaf->cap_hi << 32;
        const uint32_t *low = &leaf->cap[i];
        const uint8_t *meta = &leaf->meta[i];
        taken = stop - i;
        for (unsigned m = 0; m < taken; m++) {
            caps[m] = hi | low[m];
            cookies[m] = 0;
            owners[m] = (uint8_t)((meta[m] & META_OWNER_MASK) >> META_OWNER_SHIFT);
        }
        i = stop;
    } else {
        /* No side array, some pages unmapped or too many: each entry is
         * written where the next taken one goes and counts only if mapped,
         * without a branch per page. */
        vs_cap hi = (vs_cap)leaf->cap_hi << 32;
        for (; i < stop && taken < max; i++) {
            uint8_t meta = leaf->meta[i];
            caps[taken] = hi | leaf->cap[i];
            cookies[taken] = 0;
            owners[taken] = (uint8_t)((meta & META_OWNER_MASK) >> META_OWNER_SHIFT);
            taken += (meta & META_STATE_MASK) == VS_PAGE_MAPPED;
        }
    }
    c->page = (c->page & ~(uint64_t)(SHADOW_LEAF_PAGES - 1)) + i;
    return taken;
}

uint64_t shadow_count_mapped(const shadow *s, uint64_t first, uint64_t count)
{
    uint64_t found = 0;
    uint64_t end = first + count;
    for (uint64_t page = first; page < end;) {
        unsigned from = leaf_index(page);
        unsigned to = end - page < SHADOW_LEAF_PAGES - from ? from + (unsigned)(end - page) : SHADOW_LEAF_PAGES;
        const shadow_leaf *leaf = shadow_leaf_of(s, page);
        if (leaf != NULL) {
            found += shadow_leaf_count_mapped(leaf, from, to);
            page += to - from;
            continue;
        }
        unsigned j = 0;
        const shadow_leaf *large = s->large_total != 0 ? shadow_find_large(s, page, &j) : NULL;
        if (large == NULL) {
            page += to - from;
            continue;
        }
        uint64_t pages = (uint64_t)1 << shadow_key_shift(s, large->key);
        uint64_t stop = (page & ~(pages - 1)) + pages;
        stop = stop < end ? stop : end;
        found += stop - page;
        page = stop;
    }
    return found;
}

int shadow_for_each_leaf(const shadow *s, int (*fn)(void *ctx, uint64_t key, const shadow_leaf *leaf), void *ctx)
{
    for (size_t i = 0; i < s->capacity; i++) {
        if (s->slots[i].leaf != NULL) {
            int r = fn(ctx, s->slots[i].leaf->key, s->slots[i].leaf);
            if (r != 0) {
                return r;
            }
        }
    }
    return 0;
}

void shadow_destroy(shadow *s, counted_alloc *a)
{
    for (size_t i = 0; i < s->capacity; i++) {
        shadow_leaf *leaf = s->slots[i].leaf;
        if (leaf != NULL) {
            counted_alloc_put(a, leaf->ext, ext_bytes());
            if (shadow_block_of(s, leaf->key) == NULL) {
                counted_alloc_put(a, leaf, sizeof *leaf);
            }
        }
    }
    for (size_t i = 0; i < s->block_capacity; i++) {
        if (s->blocks[i].leaves != NULL) {
            counted_alloc_put(a, s->blocks[i].leaves, slab_bytes());
        }
    }
    counted_alloc_put(a, s->slots, table_bytes(s->capacity));
    memset(s, 0, sizeof *s);
}
