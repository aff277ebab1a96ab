/* Reservation handles as (slot, generation) ids: see handles.h. */
#include "handles.h"

#include "libc.h"

enum {
    SLOT_BITS = sizeof(uintptr_t) >= 8 ? 32 : 22,
    MIN_SLOTS = 16,
};

/* The top bit of the slot field is always set in the salt and never in a
 * slot number + 1, so no handle is 0 (NULL). */
static const uintptr_t SLOT_TOP = (uintptr_t)1 << (SLOT_BITS - 1);
static const uint32_t MAX_SLOTS = (uint32_t)(((uintptr_t)1 << (SLOT_BITS - 1)) - 1);

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

vs_result handles_prepare(handle_table *t, counted_alloc *a)
{
    if (t->free_head != HANDLE_NONE) {
        return VS_OK;
    }
    uint32_t capacity = t->capacity == 0 ? MIN_SLOTS : t->capacity * 2;
    if (capacity > MAX_SLOTS || t->capacity >= capacity) {
        return VS_ERR_NO_MEMORY;
    }
    handle_slot *slots = counted_alloc_get(a, capacity * sizeof *slots);
    if (slots == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    if (t->capacity != 0) {
        memcpy(slots, t->slots, t->capacity * sizeof *slots);
    }
    /* New slots are chained lowest first. */
    for (uint32_t i = t->capacity; i < capacity; i++) {
        slots[i] = (handle_slot){NULL, 0, i + 1 < capacity ? i + 1 : HANDLE_NONE};
    }
    counted_alloc_put(a, t->slots, t->capacity * sizeof *slots);
    t->free_head = t->capacity;
    t->slots = slots;
    t->capacity = capacity;
    return VS_OK;
}

vs_reservation *handles_add(handle_table *t, res_node *node)
{
    uint32_t slot = t->free_head;
    handle_slot *s = &t->slots[slot];
    t->free_head = s->next_free;
    s->node = node;
    s->next_free = HANDLE_NONE;
    node->slot = slot;
    return encode(t, slot, s->gen);
}

void handles_remove(handle_table *t, res_node *node)
{
    handle_slot *s = &t->slots[node->slot];
    s->node = NULL;
    s->gen++;
    s->next_free = t->free_head;
    t->free_head = node->slot;
}

res_node *handles_resolve(const handle_table *t, const vs_reservation *h)
{
    uintptr_t raw = (uintptr_t)h ^ t->salt;
    uintptr_t slot_plus_one = raw & slot_mask();
    if (h == NULL || slot_plus_one == 0 || slot_plus_one > t->capacity) {
        return NULL;
    }
    uint32_t slot = (uint32_t)(slot_plus_one - 1);
    const handle_slot *s = &t->slots[slot];
    return s->node != NULL && encode(t, slot, s->gen) == h ? s->node : NULL;
}

vs_reservation *handles_of(const handle_table *t, const res_node *node)
{
    return encode(t, node->slot, t->slots[node->slot].gen);
}

size_t handles_bytes(const handle_table *t)
{
    return t->capacity * sizeof(handle_slot);
}

void handles_destroy(handle_table *t, counted_alloc *a)
{
    counted_alloc_put(a, t->slots, t->capacity * sizeof *t->slots);
    memset(t, 0, sizeof *t);
}
