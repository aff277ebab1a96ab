/* Reservation handles as (slot, generation) ids over chunked records: see
 * handles.h. */
#include "handles.h"

#include "libc.h"

enum {
    SLOT_BITS = sizeof(uintptr_t) >= 8 ? 32 : 22,
    FIRST_BITS = 2,                         /* chunks 0 and 1: 4 records each */
    MAX_BITS = 10,                          /* chunks stop growing at 1024 records */
    LAST_GROWN = MAX_BITS - FIRST_BITS + 1, /* the first chunk of 1024 */
};

/* The top bit of the slot field is always set in the salt and never in a
 * slot number + 1, so no handle is 0 (NULL). */
static const uintptr_t SLOT_TOP = (uintptr_t)1 << (SLOT_BITS - 1);
static const uint32_t MAX_SLOTS = (uint32_t)(((uintptr_t)1 << (SLOT_BITS - 1)) - 1);

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
    t->free_head = HANDLE_NONE;
    t->salt = salt | SLOT_TOP;
}

static uintptr_t slot_mask(void)
{
    return ((uintptr_t)1 << SLOT_BITS) - 1;
}

static vs_reservation *encode(const handle_table *t, uint32_t slot, uint32_t gen)
{
    uintptr_t raw = ((uintptr_t)gen << SLOT_BITS) | (uintptr_t)(slot + 1u);
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

/* Room for one more chunk pointer: the array doubles (8 at first). */
static vs_result grow_chunk_array(handle_table *t, counted_alloc *a)
{
    if (t->chunk_count < t->chunk_capacity) {
        return VS_OK;
    }
    uint32_t capacity = t->chunk_capacity == 0 ? 8 : t->chunk_capacity * 2;
    res_chunk *chunks = counted_alloc_get(a, capacity * sizeof *chunks);
    if (chunks == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    if (t->chunk_count != 0) {
        memcpy(chunks, t->chunks, t->chunk_count * sizeof *chunks);
    }
    counted_alloc_put(a, t->chunks, t->chunk_capacity * sizeof *chunks);
    t->chunks = chunks;
    t->chunk_capacity = capacity;
    return VS_OK;
}

vs_result handles_prepare(handle_table *t, counted_alloc *a)
{
    if (t->free_head != HANDLE_NONE) {
        return VS_OK;
    }
    uint32_t first = chunk_first(t->chunk_count);
    uint32_t end = chunk_first(t->chunk_count + 1);
    if (end > MAX_SLOTS || end <= first) {
        return VS_ERR_NO_MEMORY;
    }
    res_node *records = counted_alloc_get(a, (end - first) * sizeof *records);
    leaf_link *links = records != NULL ? counted_alloc_get(a, (end - first) * sizeof *links) : NULL;
    if (links == NULL || grow_chunk_array(t, a) != VS_OK) {
        counted_alloc_put(a, links, (end - first) * sizeof *links);
        counted_alloc_put(a, records, (end - first) * sizeof *records);
        return VS_ERR_NO_MEMORY;
    }
    /* New records are chained lowest first. */
    memset(records, 0, (end - first) * sizeof *records);
    for (uint32_t i = 0; i < end - first; i++) {
        records[i].slot = first + i;
        records[i].next_free = first + i + 1 < end ? first + i + 1 : HANDLE_NONE;
    }
    memset(links, 0, (end - first) * sizeof *links);
    t->chunks[t->chunk_count++] = (res_chunk){records, links};
    t->capacity = end;
    t->free_head = first;
    return VS_OK;
}

res_node *handles_add(handle_table *t)
{
    res_node *node = handles_record(t, t->free_head);
    uint32_t slot = node->slot;
    uint32_t gen = node->gen;
    t->free_head = node->next_free;
    *node = (res_node){.slot = slot, .gen = gen, .state = RES_LIVE, .next_free = HANDLE_NONE};
    return node;
}

void handles_remove(handle_table *t, res_node *node)
{
    node->state = RES_FREE;
    node->gen++;
    node->next_free = t->free_head;
    t->free_head = node->slot;
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
        for (uint32_t i = 0; r == 0 && i < chunk_first(c + 1) - chunk_first(c); i++) {
            r = t->chunks[c].records[i].state == RES_DROPPED ? fn(ctx, &t->chunks[c].records[i]) : 0;
        }
    }
    return r;
}

size_t handles_bytes(const handle_table *t)
{
    return t->capacity * (sizeof(res_node) + sizeof(leaf_link)) + t->chunk_capacity * sizeof(res_chunk);
}

void handles_destroy(handle_table *t, counted_alloc *a)
{
    for (uint32_t c = 0; c < t->chunk_count; c++) {
        uint32_t records = chunk_first(c + 1) - chunk_first(c);
        counted_alloc_put(a, t->chunks[c].records, records * sizeof(res_node));
        counted_alloc_put(a, t->chunks[c].links, records * sizeof(leaf_link));
    }
    counted_alloc_put(a, t->chunks, t->chunk_capacity * sizeof *t->chunks);
    memset(t, 0, sizeof *t);
}
