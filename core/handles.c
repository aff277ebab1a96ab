/* Reservation handles as (slot, generation) ids over chunked records: see
 * handles.h. */
#include "handles.h"

#include "libc.h"

#ifndef VSPACE_HANDLE_SLOT_BITS
#define VSPACE_HANDLE_SLOT_BITS (sizeof(uintptr_t) >= 8 ? 32 : 22)
#endif

enum {
    SLOT_BITS = VSPACE_HANDLE_SLOT_BITS,
    /* A handle of 22 slot bits is a 32-bit word: 10 bits of generation
     * (also when a 64-bit host is built with those handles). */
    GEN_BITS = SLOT_BITS == 32 ? 32 : 32 - SLOT_BITS,
    /* Generations too short for one floor per table: a given-back chunk
     * keeps each slot's generation (handles.h). */
    EXACT_GENS = GEN_BITS < 32,
    FIRST_BITS = 2,                         /* chunks 0 and 1: 4 records each */
    MAX_BITS = 10,                          /* chunks stop growing at 1024 records */
    LAST_GROWN = MAX_BITS - FIRST_BITS + 1, /* the first chunk of 1024 */
};

/* The top bit of the slot field is always set in the salt and never in a
 * slot number + 1, so no handle is 0 (NULL). */
static const uintptr_t SLOT_TOP = (uintptr_t)1 << (SLOT_BITS - 1);
static const uint32_t MAX_SLOTS = (uint32_t)(((uintptr_t)1 << (SLOT_BITS - 1)) - 1);
static const uint32_t GEN_FLOOR_MAX = (uint32_t)1 << 31;
static const uint32_t GEN_MASK = GEN_BITS == 32 ? 0xffffffffu : (uint32_t)((1u << (GEN_BITS & 31)) - 1u);

/* Chunk c starts at slot 0, 4, 8, 16, ..., 1024, then every 1024: while
 * small a chunk holds as many records as all before it. */
static uint32_t chunk_first(uint32_t c)
{
    if (c < LAST_GROWN) {
        return c == 0 ? 0 : 1u << (FIRST_BITS + c - 1);
    }
    return (c - LAST_GROWN + 1) << MAX_BITS;
}

static unsigned high_bit(uint32_t v)
{
    return 31u - (unsigned)__builtin_clz(v);
}

static uint32_t chunk_of(uint32_t slot)
{
    if (slot < (1u << FIRST_BITS)) {
        return 0;
    }
    if (slot < (2u << MAX_BITS)) {
        return high_bit(slot) - FIRST_BITS + 1;
    }
    return (slot >> MAX_BITS) + LAST_GROWN - 1;
}

void handles_init(handle_table *t, uintptr_t salt)
{
    memset(t, 0, sizeof *t);
    t->salt = salt | SLOT_TOP;
}

static uintptr_t slot_mask(void)
{
    return ((uintptr_t)1 << SLOT_BITS) - 1;
}

static vs_reservation *encode(const handle_table *t, uint32_t slot, uint32_t gen)
{
    uintptr_t raw = ((uintptr_t)(gen & GEN_MASK) << SLOT_BITS) | (uintptr_t)(slot + 1u);
    return (vs_reservation *)(raw ^ t->salt);
}

res_node *handles_record(const handle_table *t, uint32_t slot)
{
    uint32_t c = chunk_of(slot);
    return &t->chunks[c].records[slot - chunk_first(c)];
}

static restree_node **slot_leaf_link(const handle_table *t, uint32_t slot)
{
    uint32_t c = chunk_of(slot);
    return &t->chunks[c].links[slot - chunk_first(c)].leaf;
}

restree_node **handles_leaf_link(void *t, const res_node *node)
{
    return slot_leaf_link(t, node->slot);
}

static uint32_t chunk_size(uint32_t c)
{
    return chunk_first(c + 1) - chunk_first(c);
}

/* The chunk array's allocation: `capacity` entries, then a room bit each. */
static size_t array_bytes(uint32_t capacity)
{
    return capacity * sizeof(res_chunk) + (capacity + 63u) / 64u * sizeof(uint64_t);
}

/* Moves the chunk array and its room bits to an allocation of `capacity`
 * (>= chunk_count, > 0) entries. NO_MEMORY leaves them as they were. */
static vs_result resize_chunk_array(handle_table *t, counted_alloc *a, uint32_t capacity)
{
    res_chunk *chunks = counted_alloc_get(a, array_bytes(capacity));
    if (chunks == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    uint64_t *room = (uint64_t *)(void *)(chunks + capacity);
    memset(room, 0, (capacity + 63u) / 64u * sizeof(uint64_t));
    if (t->chunk_count != 0) {
        memcpy(chunks, t->chunks, t->chunk_count * sizeof *chunks);
        memcpy(room, t->room, (t->chunk_count + 63u) / 64u * sizeof(uint64_t));
    }
    counted_alloc_put(a, t->chunks, array_bytes(t->chunk_capacity));
    t->chunks = chunks;
    t->room = room;
    t->chunk_capacity = capacity;
    return VS_OK;
}

/* Whether chunk c has a record to give: a freed one or one never used. */
static int chunk_has_room(const res_chunk *ch)
{
    return ch->free_head != HANDLE_NONE || ch->fresh < ch->size;
}

static int room_bit(const handle_table *t, uint32_t c)
{
    return (int)((t->room[c / 64u] >> (c % 64u)) & 1u);
}

static void set_room(handle_table *t, uint32_t c, int has_room)
{
    uint64_t bit = (uint64_t)1 << (c % 64u);
    t->room[c / 64u] = has_room ? t->room[c / 64u] | bit : t->room[c / 64u] & ~bit;
}

/* The lowest chunk from `from` on with a record to give, or chunk_count.
 * Out of line: handles_add needs it only when a chunk fills while another
 * has room, and its loop would cost every add a stack frame. */
static __attribute__((noinline)) uint32_t next_open(const handle_table *t, uint32_t from)
{
    for (uint32_t w = from / 64u; w * 64u < t->chunk_count; w++) {
        uint64_t bits = t->room[w] & (w == from / 64u ? ~(uint64_t)0 << (from % 64u) : ~(uint64_t)0);
        if (bits != 0) {
            return w * 64u + (uint32_t)__builtin_ctzll(bits);
        }
    }
    return t->chunk_count;
}

vs_result handles_prepare(handle_table *t, counted_alloc *a)
{
    if (t->open < t->chunk_count) {
        return VS_OK;
    }
    uint32_t c = t->chunk_count;
    uint32_t first = chunk_first(c);
    uint32_t end = chunk_first(c + 1);
    if (end > MAX_SLOTS || end <= first) {
        return VS_ERR_NO_MEMORY;
    }
    res_node *records = counted_alloc_get(a, (end - first) * sizeof *records);
    leaf_link *links = records != NULL ? counted_alloc_get(a, (end - first) * sizeof *links) : NULL;
    if (links == NULL ||
        (c == t->chunk_capacity && resize_chunk_array(t, a, c == 0 ? 8 : 2 * t->chunk_capacity) != VS_OK)) {
        counted_alloc_put(a, links, (end - first) * sizeof *links);
        counted_alloc_put(a, records, (end - first) * sizeof *records);
        return VS_ERR_NO_MEMORY;
    }
    /* Zero: a forged handle naming a record never used reads RES_FREE. */
    memset(records, 0, (end - first) * sizeof *records);
    memset(links, 0, (end - first) * sizeof *links);
    /* A chunk made again: its records start where the old ones' handles
     * can no longer match (handles.h). */
    uint16_t *saved = EXACT_GENS && c < t->saved_capacity ? t->saved[c] : NULL;
    for (uint32_t i = 0; i < end - first && (saved != NULL || t->gen_floor != 0); i++) {
        records[i].gen = saved != NULL ? saved[i] : t->gen_floor;
    }
    if (saved != NULL) {
        counted_alloc_put(a, saved, (end - first) * sizeof *saved);
        t->saved[c] = NULL;
        t->saved_bytes -= (end - first) * sizeof *saved;
    }
    t->chunks[c] = (res_chunk){records, links, first, end - first, HANDLE_NONE, 0, 0};
    set_room(t, c, 1);
    t->chunk_count = c + 1;
    t->capacity = end;
    t->open = c;
    return VS_OK;
}

/* Chunk c gave its last record, node: its room bit goes, and the lowest
 * chunk with room is another (none if every record is in use). Out of line
 * and returning node, so that handles_add ends in a jump to it and needs
 * no stack frame. */
static __attribute__((noinline)) res_node *chunk_filled(handle_table *t, uint32_t c, res_node *node)
{
    set_room(t, c, 0);
    t->open = t->used == t->capacity ? t->chunk_count : next_open(t, c + 1);
    return node;
}

res_node *handles_add(handle_table *t)
{
    uint32_t c = t->open;
    res_chunk *ch = &t->chunks[c];
    res_node *node;
    uint32_t slot;
    uint32_t gen;
    if (ch->free_head != HANDLE_NONE) {
        slot = ch->free_head;
        node = &ch->records[slot - ch->first];
        ch->free_head = node->next_free;
        gen = node->gen;
    } else {
        node = &ch->records[ch->fresh];
        slot = ch->first + ch->fresh++;
        gen = node->gen; /* as handles_prepare set it */
    }
    ch->used++;
    t->used++;
    *node = (res_node){.slot = slot, .gen = gen, .state = RES_LIVE, .next_free = HANDLE_NONE};
    return chunk_has_room(ch) ? node : chunk_filled(t, c, node);
}

/* The highest generation a record of chunk c reached. */
static uint32_t chunk_max_gen(const handle_table *t, uint32_t c)
{
    uint32_t max = 0;
    for (uint32_t i = 0; i < t->chunks[c].fresh; i++) {
        max = t->chunks[c].records[i].gen > max ? t->chunks[c].records[i].gen : max;
    }
    return max;
}

/* 10-bit generations: keeps chunk c's generations in saved[c] before the
 * chunk goes (records never used: 0, no handle named them). Returns 0,
 * changing nothing, if there is no memory for them. */
static int save_generations(handle_table *t, counted_alloc *a, uint32_t c)
{
    if (c >= t->saved_capacity) {
        uint32_t capacity = t->saved_capacity != 0 ? t->saved_capacity : 8;
        while (capacity <= c) {
            capacity *= 2;
        }
        uint16_t **grown = counted_alloc_get(a, capacity * sizeof *grown);
        if (grown == NULL) {
            return 0;
        }
        memset(grown, 0, capacity * sizeof *grown);
        if (t->saved_capacity != 0) {
            memcpy(grown, t->saved, t->saved_capacity * sizeof *grown);
        }
        counted_alloc_put(a, t->saved, t->saved_capacity * sizeof *t->saved);
        t->saved_bytes += (capacity - t->saved_capacity) * sizeof *grown;
        t->saved = grown;
        t->saved_capacity = capacity;
    }
    const res_chunk *ch = &t->chunks[c];
    uint16_t *gens = counted_alloc_get(a, ch->size * sizeof *gens);
    if (gens == NULL) {
        return 0;
    }
    for (uint32_t i = 0; i < ch->size; i++) {
        gens[i] = i < ch->fresh ? (uint16_t)(ch->records[i].gen & GEN_MASK) : 0;
    }
    t->saved[c] = gens;
    t->saved_bytes += ch->size * sizeof *gens;
    return 1;
}

/* Gives back the chunks at the end, but the first, that hold no record in
 * use, while the rest of the table has at least a quarter of such a chunk
 * free; then shrinks the chunk array to fit (8 entries at least). The
 * first chunk and the array stay, as the first reserve made them, so a
 * vspace that reserves and frees one range over and over allocates
 * nothing. A chunk whose records went past generation 2^31 stays: a
 * floor that high would leave a rebuilt slot fewer than 2^31 reuses
 * before its generation wraps to an old handle's. Out of line: a free
 * that gives nothing back (nearly all) then needs no stack frame. */
static __attribute__((noinline, cold)) void release_tail(handle_table *t, counted_alloc *a)
{
    while (t->chunk_count > 1) {
        uint32_t c = t->chunk_count - 1;
        res_chunk *ch = &t->chunks[c];
        uint32_t first = ch->first;
        uint32_t size = ch->size;
        if (ch->used != 0 || first - t->used < size / 4) {
            break;
        }
        if (EXACT_GENS) {
            if (!save_generations(t, a, c)) {
                break; /* no memory to keep them: the chunk stays */
            }
        } else {
            uint32_t max = chunk_max_gen(t, c);
            if (max > GEN_FLOOR_MAX) {
                break;
            }
            t->gen_floor = max > t->gen_floor ? max : t->gen_floor;
        }
        counted_alloc_put(a, ch->records, size * sizeof(res_node));
        counted_alloc_put(a, ch->links, size * sizeof(leaf_link));
        set_room(t, c, 0);
        t->chunk_count = c;
        t->capacity = first;
        /* A guard: by the quarter rule the rest has room, so open lies
         * below c already. */
        t->open = t->open < c ? t->open : c;
    }
    uint32_t fit = 8;
    while (fit < t->chunk_count) {
        fit *= 2;
    }
    if (fit < t->chunk_capacity) {
        (void)resize_chunk_array(t, a, fit); /* if it fails, the larger array stays */
    }
}

void handles_remove(handle_table *t, res_node *node, counted_alloc *a)
{
    uint32_t c = chunk_of(node->slot);
    res_chunk *ch = &t->chunks[c];
    node->state = RES_FREE;
    node->gen++;
    node->next_free = ch->free_head;
    ch->free_head = node->slot;
    ch->used--;
    t->used--;
    set_room(t, c, 1);
    t->open = t->open < c ? t->open : c;
    /* Also a free elsewhere: it may give the rest of the table the room
     * that lets an empty last chunk go. */
    if (t->chunk_count > 1 && t->chunks[t->chunk_count - 1].used == 0) {
        release_tail(t, a);
    }
}

void handles_drop(handle_table *t, res_node *node)
{
    (void)t;
    node->state = RES_DROPPED;
    node->gen++;
}

/* The slot h names if it is one of t's, else HANDLE_NONE; its
 * generation is not checked. */
static uint32_t slot_named(const handle_table *t, const vs_reservation *h)
{
    uintptr_t raw = (uintptr_t)h ^ t->salt;
    uintptr_t slot_plus_one = raw & slot_mask();
    if (h == NULL || slot_plus_one == 0 || slot_plus_one > t->capacity) {
        return HANDLE_NONE;
    }
    return (uint32_t)(slot_plus_one - 1);
}

res_node *handles_resolve(const handle_table *t, const vs_reservation *h)
{
    uint32_t slot = slot_named(t, h);
    if (slot == HANDLE_NONE) {
        return NULL;
    }
    res_node *node = handles_record(t, slot);
    return node->state == RES_LIVE && encode(t, slot, node->gen) == h ? node : NULL;
}

restree_node *handles_leaf_of(const handle_table *t, const vs_reservation *h)
{
    uint32_t slot = slot_named(t, h);
    return slot != HANDLE_NONE ? *slot_leaf_link(t, slot) : NULL;
}

vs_reservation *handles_of(const handle_table *t, const res_node *node)
{
    return encode(t, node->slot, node->gen);
}

int handles_for_each_dropped(const handle_table *t, int (*fn)(void *ctx, const res_node *res), void *ctx)
{
    int r = 0;
    for (uint32_t c = 0; r == 0 && c < t->chunk_count; c++) {
        for (uint32_t i = 0; r == 0 && i < t->chunks[c].fresh; i++) {
            r = t->chunks[c].records[i].state == RES_DROPPED ? fn(ctx, &t->chunks[c].records[i]) : 0;
        }
    }
    return r;
}

/* handles_disagreement for chunk c: its free list and counts; adds its
 * live records to *live. */
static const char *chunk_disagreement(const handle_table *t, uint32_t c, uint32_t *slot, uint32_t *live)
{
    const res_chunk *ch = &t->chunks[c];
    uint32_t first = chunk_first(c);
    *slot = first;
    if (ch->first != first || ch->size != chunk_size(c)) {
        return "handle chunk's first slot or size differs from its place in the table";
    }
    if (ch->fresh > ch->size) {
        return "handle chunk has used more records than it holds";
    }
    uint32_t in_use = 0;
    for (uint32_t i = 0; i < ch->fresh; i++) {
        in_use += ch->records[i].state != RES_FREE;
        *live += ch->records[i].state == RES_LIVE;
    }
    for (uint32_t i = ch->fresh; i < ch->size; i++) {
        if (ch->records[i].state != RES_FREE) {
            *slot = first + i;
            return "handle chunk's never-used record is not free";
        }
    }
    uint32_t listed = 0;
    for (uint32_t at = ch->free_head; at != HANDLE_NONE; at = ch->records[at - first].next_free) {
        *slot = at;
        if (at < first || at - first >= ch->fresh || listed++ == ch->fresh) {
            return "handle chunk's free list leaves the chunk's used records, or loops";
        }
        if (ch->records[at - first].state != RES_FREE || ch->records[at - first].slot != at) {
            return "handle chunk's free list holds a record in use, or one with another slot";
        }
    }
    *slot = first;
    if (in_use != ch->used || in_use + listed != ch->fresh) {
        return "handle chunk's in-use count, or its free list, disagrees with its records' states";
    }
    if (chunk_has_room(ch) != room_bit(t, c)) {
        return "handle chunk's room bit disagrees with its free records";
    }
    return NULL;
}

const char *handles_disagreement(const handle_table *t, size_t in_tree, uint32_t *slot)
{
    *slot = HANDLE_NONE;
    uint32_t live = 0;
    if (t->chunk_count > t->chunk_capacity || t->capacity != (t->chunk_count == 0 ? 0 : chunk_first(t->chunk_count))) {
        return "handle table's capacity disagrees with its chunks";
    }
    uint32_t used = 0;
    for (uint32_t c = 0; c < t->chunk_count; c++) {
        const char *wrong = chunk_disagreement(t, c, slot, &live);
        if (wrong != NULL) {
            return wrong;
        }
        used += t->chunks[c].used;
    }
    *slot = HANDLE_NONE;
    for (uint32_t c = t->chunk_count; c < (t->chunk_capacity + 63u) / 64u * 64u; c++) {
        if (room_bit(t, c)) {
            return "handle table has a room bit past its last chunk";
        }
    }
    if (used != t->used) {
        return "handle table's in-use count differs from its chunks'";
    }
    if (live != in_tree) {
        return "handle table's live records are not the reservations in the tree";
    }
    if (t->open != next_open(t, 0)) {
        return "handle table's first chunk with room is not the lowest one";
    }
    size_t saved = t->saved_capacity * sizeof *t->saved;
    for (uint32_t c = 0; c < t->saved_capacity; c++) {
        if (t->saved[c] != NULL && c < t->chunk_count) {
            *slot = chunk_first(c);
            return "handle chunk in the table still has generations kept for it as given back";
        }
        saved += t->saved[c] != NULL ? chunk_size(c) * sizeof(uint16_t) : 0;
    }
    if (saved != t->saved_bytes || (!EXACT_GENS && saved != 0)) {
        return "handle table's kept generations disagree with their byte count";
    }
    return NULL;
}

size_t handles_bytes(const handle_table *t)
{
    return t->capacity * (sizeof(res_node) + sizeof(leaf_link)) + array_bytes(t->chunk_capacity) + t->saved_bytes;
}

void handles_destroy(handle_table *t, counted_alloc *a)
{
    for (uint32_t c = 0; c < t->chunk_count; c++) {
        counted_alloc_put(a, t->chunks[c].records, t->chunks[c].size * sizeof(res_node));
        counted_alloc_put(a, t->chunks[c].links, t->chunks[c].size * sizeof(leaf_link));
    }
    counted_alloc_put(a, t->chunks, array_bytes(t->chunk_capacity));
    for (uint32_t c = 0; c < t->saved_capacity; c++) {
        counted_alloc_put(a, t->saved[c], t->saved[c] != NULL ? chunk_size(c) * sizeof(uint16_t) : 0);
    }
    counted_alloc_put(a, t->saved, t->saved_capacity * sizeof *t->saved);
    memset(t, 0, sizeof *t);
}
