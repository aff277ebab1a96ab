/* The capability derivation tree. Each slot names its parent; children are
 * found by scanning the slots of every live CNode and TCB, which is slow
 * but has a single source of truth and no list to keep consistent. */
#include "internal.h"

typedef bool (*slot_pred)(const sim_slot *s, const void *ctx);

static sim_slot *find_slot(slot_pred pred, const void *ctx)
{
    for (sim_obj *o = sim.live; o != NULL; o = o->next) {
        for (size_t i = 0; i < o->nslots; i++) {
            if (pred(&o->slots[i], ctx)) {
                return &o->slots[i];
            }
        }
    }
    return NULL;
}

static bool is_child_of(const sim_slot *s, const void *parent)
{
    return s->cap.kind != K_NULL && s->parent == parent;
}

/* Every child of `from` becomes a child of `to` (NULL: a tree root). */
static void reparent(const sim_slot *from, sim_slot *to)
{
    for (sim_obj *o = sim.live; o != NULL; o = o->next) {
        for (size_t i = 0; i < o->nslots; i++) {
            if (o->slots[i].parent == from) {
                o->slots[i].parent = to;
            }
        }
    }
}

bool sim_slot_has_children(const sim_slot *slot)
{
    return find_slot(is_child_of, slot) != NULL;
}

/* Insert cap into the empty slot dest as a child of parent. An untyped cap
 * copied from an untyped cap of the same region marks the source full, so
 * the two can never hand out the same memory (seL4's setUntypedCapAsFull). */
void sim_slot_insert(sim_slot *dest, sim_cap cap, sim_slot *parent)
{
    dest->cap = cap;
    dest->parent = parent;
    if (cap.obj == NULL) {
        return; /* a cap without an object (null, the control caps): nothing to count */
    }
    cap.obj->ncaps++;
    if (parent != NULL && cap.kind == K_UNTYPED && parent->cap.kind == K_UNTYPED && parent->cap.obj == cap.obj) {
        parent->cap.free_index = (seL4_Word)1 << cap.obj->size_bits;
    }
}

void sim_slot_move(sim_slot *src, sim_slot *dest)
{
    dest->cap = src->cap;
    dest->parent = src->parent;
    reparent(src, dest);
    src->cap = (sim_cap){.kind = K_NULL};
    src->parent = NULL;
}

/* Deleting a mapped frame cap unmaps it (each frame cap is one mapping);
 * deleting the last cap to an object destroys the object. */
static void finalise(const sim_cap *cap)
{
    if (cap->kind == K_FRAME && cap->mapped) {
        sim_unmap_page(cap);
    }
    sim_obj *o = cap->obj;
    if (o == NULL) {
        return;
    }
    o->ncaps--;
    if (o->ncaps == 0 && !o->dying) {
        sim_obj_destroy(o, cap);
    }
}

/* An untyped cap left without children gets its whole region back. The
 * real kernel resets the watermark lazily, at the next Retype that finds no
 * children; nothing a caller can observe tells the two apart. */
static void untyped_maybe_reset(sim_slot *ut)
{
    if (ut->cap.kind == K_UNTYPED && !sim_slot_has_children(ut)) {
        ut->cap.free_index = 0;
    }
}

void sim_slot_delete(sim_slot *slot)
{
    if (slot->cap.kind == K_NULL) {
        return;
    }
    sim_cap cap = slot->cap;
    sim_slot *parent = slot->parent;
    reparent(slot, parent);
    slot->cap = (sim_cap){.kind = K_NULL};
    slot->parent = NULL;
    finalise(&cap);
    if (parent != NULL) {
        untyped_maybe_reset(parent);
    }
}

/* Invariant: every deletion moves the victim's children up to its parent,
 * so the descendants of slot that remain are always reachable as direct
 * children; the loop ends when there are none (or slot itself died). */
void sim_slot_revoke(sim_slot *slot)
{
    sim_slot *child;
    while (!slot->owner->dying && (child = find_slot(is_child_of, slot)) != NULL) {
        sim_slot_delete(child);
    }
}
