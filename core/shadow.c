/* Shadow page table storage: leaves in an open-addressing hash table with
 * linear probing and backward-shift deletion (no tombstones). Every change
 * that needs memory allocates it all before it touches anything, so a
 * failure leaves the shadow as it was. */
#include "shadow.h"

#include "libc.h"

enum { MIN_CAPACITY = 16 };

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

size_t shadow_bytes(const shadow *s)
{
    return s->leaves * sizeof(shadow_leaf) + s->ext_arrays * ext_bytes() + s->capacity * sizeof(shadow_slot);
}

const shadow_leaf *shadow_find_large(const shadow *s, uint64_t page, unsigned *index)
{
    for (unsigned k = 1; k < s->num_sizes && s->large_total != 0; k++) {
        if (s->large_pages[k] == 0) {
            continue;
        }
        const shadow_leaf *leaf = shadow_leaf_by_key(s, shadow_key(s, k, page));
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

/* Makes `slots` (zeroed, `capacity`) the table and puts into it every leaf
 * of the `old` array. */
static void table_fill(shadow *s, shadow_slot *slots, size_t capacity, const shadow_slot *old, size_t old_capacity)
{
    s->slots = slots;
    s->capacity = capacity;
    s->hash_shift = 64 - log2_of(capacity);
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i].leaf != NULL) {
            table_put(s, old[i].leaf->key, old[i].leaf);
        }
    }
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
    if (capacity > SIZE_MAX / sizeof(shadow_slot)) {
        return VS_ERR_NO_MEMORY;
    }
    shadow_slot *slots = counted_alloc_get(a, capacity * sizeof(shadow_slot));
    if (slots == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    memset(slots, 0, capacity * sizeof(shadow_slot));
    shadow_slot *old = s->slots;
    size_t old_capacity = s->capacity;
    table_move(s, slots, capacity);
    if (s->pending && old_capacity == s->spare_capacity && s->spare == NULL) {
        s->spare = old;
    } else {
        counted_alloc_put(a, old, old_capacity * sizeof(shadow_slot));
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
            s->slots = NULL;
            s->capacity = 0;
        } else {
            memset(s->spare, 0, s->spare_capacity * sizeof(shadow_slot));
            table_fill(s, s->spare, s->spare_capacity, grown, grown_capacity);
        }
        counted_alloc_put(a, grown, grown_capacity * sizeof(shadow_slot));
    } else if (s->spare != NULL) {
        counted_alloc_put(a, s->spare, s->spare_capacity * sizeof(shadow_slot));
    }
    s->spare = NULL;
    if (s->leaves == 0 && s->capacity != 0) {
        counted_alloc_put(a, s->slots, s->capacity * sizeof(shadow_slot));
        s->slots = NULL;
        s->capacity = 0;
    }
}

static void drop_leaf(shadow *s, counted_alloc *a, uint64_t key, shadow_leaf *leaf)
{
    table_remove(s, key);
    counted_alloc_put(a, leaf, sizeof *leaf);
    s->leaves--;
    if (s->leaves == 0 && !s->pending) {
        counted_alloc_put(a, s->slots, s->capacity * sizeof *s->slots);
        s->slots = NULL;
        s->capacity = 0;
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

static void clear_large(shadow *s, counted_alloc *a, const shadow_leaf *found, unsigned i)
{
    shadow_leaf *leaf = shadow_leaf_by_key(s, found->key);
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
            for (; i < SHADOW_LEAF_PAGES && page < end; i++, page++) {
                leaf->meta[i] = 0;
            }
            release_if_unused(s, a, leaf);
            continue;
        }
        unsigned j = 0;
        const shadow_leaf *large = s->large_total != 0 ? shadow_find_large(s, page, &j) : NULL;
        if (large != NULL) {
            uint64_t pages = (uint64_t)1 << shadow_key_shift(s, large->key);
            clear_large(s, a, large, j);
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

/* Whether the run's entries [j0, j1), all in `leaf`, can be inline: no
 * cookie, and caps sharing their high half with each other and with the
 * leaf's other inline caps. Otherwise they go to the side array. */
static int segment_inline(const shadow_leaf *leaf, const shadow_run *run, uint64_t j0, uint64_t j1)
{
    uint32_t hi = (uint32_t)(run->caps[j0] >> 32);
    if (shadow_leaf_has_inline(leaf) && leaf->cap_hi != hi) {
        return 0;
    }
    for (uint64_t j = j0; j < j1; j++) {
        if ((uint32_t)(run->caps[j] >> 32) != hi || (run->cookies != NULL && run->cookies[j] != 0)) {
            return 0;
        }
    }
    return 1;
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

static shadow_leaf *new_leaf(shadow *s, counted_alloc *a, uint64_t key)
{
    shadow_leaf *leaf = counted_alloc_get(a, sizeof *leaf);
    if (leaf != NULL) {
        /* cap[] is written when a page is mapped and read only then. */
        memset(leaf, 0, offsetof(shadow_leaf, cap));
        leaf->ext = NULL;
        table_put(s, key, leaf);
        s->leaves++;
    }
    return leaf;
}

shadow_leaf *shadow_add_base_leaf(shadow *s, counted_alloc *a, uint64_t page)
{
    return make_room(s, a, 1) == VS_OK ? new_leaf(s, a, page >> SHADOW_LEAF_BITS) : NULL;
}

/* Links an empty leaf in for every key of [first_key, last_key] lacking
 * one, growing the table first; all or none. */
static vs_result add_leaves(shadow *s, counted_alloc *a, uint64_t first_key, uint64_t last_key)
{
    uint64_t missing = 0;
    for (uint64_t key = first_key; key <= last_key; key++) {
        missing += shadow_leaf_by_key(s, key) == NULL;
    }
    vs_result r = make_room(s, a, missing);
    if (r != VS_OK) {
        return r;
    }
    for (uint64_t key = first_key; key <= last_key && missing != 0; key++) {
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
vs_result shadow_prepare_run(shadow *s, counted_alloc *a, uint64_t first, const shadow_run *run)
{
    uint64_t first_key;
    uint64_t last_key;
    run_keys(s, first, run, &first_key, &last_key);
    vs_result r = add_leaves(s, a, first_key, last_key);
    if (r == VS_OK) {
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
        shadow_leaf *leaf = shadow_leaf_by_key(s, key);
        if (leaf == NULL) {
            return; /* unreachable: shadow_prepare_run linked every leaf in */
        }
        uint64_t j0;
        uint64_t j1;
        segment_of(key, e0, run->count, &j0, &j1);
        int inline_caps = segment_inline(leaf, run, j0, j1);
        if (inline_caps) {
            leaf->cap_hi = (uint32_t)(run->caps[j0] >> 32);
        }
        for (; j < j1; j++) {
            unsigned i = (unsigned)((e0 + j) & (SHADOW_LEAF_PAGES - 1));
            if (inline_caps) {
                leaf->meta[i] = meta;
                leaf->cap[i] = (uint32_t)run->caps[j];
            } else {
                leaf->meta[i] = (uint8_t)(meta | META_EXT);
                leaf->ext[i].cap = run->caps[j];
                leaf->ext[i].cookie = run->cookies != NULL ? run->cookies[j] : 0;
            }
        }
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
            counted_alloc_put(a, leaf, sizeof *leaf);
        }
    }
    counted_alloc_put(a, s->slots, s->capacity * sizeof *s->slots);
    memset(s, 0, sizeof *s);
}
