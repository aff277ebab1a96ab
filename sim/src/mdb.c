/* The capability derivation tree. Each slot names its parent, and each
 * parent keeps its children in a list, so finding, moving and deleting
 * children costs what there is of them, not a scan of every slot. */
#include "internal.h"

static void link_child(sim_slot *child, sim_slot *parent)
{
    child->parent = parent;
    child->prev_sibling = NULL;
    child->next_sibling = NULL;
    if (parent == NULL) {
        return;
    }
    child->next_sibling = parent->first_child;
    if (parent->first_child != NULL) {
        parent->first_child->prev_sibling = child;
    }
    parent->first_child = child;
}

static void unlink_child(sim_slot *child)
{
    if (child->parent != NULL) {
        if (child->prev_sibling != NULL) {
            child->prev_sibling->next_sibling = child->next_sibling;
        } else {
            child->parent->first_child = child->next_sibling;
        }
        if (child->next_sibling != NULL) {
            child->next_sibling->prev_sibling = child->prev_sibling;
        }
    }
    child->parent = NULL;
    child->prev_sibling = NULL;
    child->next_sibling = NULL;
}

/* Every child of `from` becomes a child of `to` (NULL: a tree root). */
static void reparent(sim_slot *from, sim_slot *to)
{
    sim_slot *c;
    while ((c = from->first_child) != NULL) {
        unlink_child(c);
        link_child(c, to);
    }
}

bool sim_slot_has_children(const sim_slot *slot)
{
    return slot->first_child != NULL;
}

/* Insert cap into the empty slot dest as a child of parent. An untyped cap
 * copied from an untyped cap of the same region marks the source full, so
 * the two can never hand out the same memory (seL4's setUntypedCapAsFull). */
void sim_slot_insert(sim_slot *dest, const sim_cap *cap, sim_slot *parent)
{
    dest->cap = *cap;
    link_child(dest, parent);
    sim_obj *obj = dest->cap.obj;
    if (obj == NULL) {
        return; /* a cap without an object (null, the control caps): nothing to count */
    }
    obj->ncaps++;
    if (parent != NULL && dest->cap.kind == K_UNTYPED && parent->cap.kind == K_UNTYPED && parent->cap.obj == obj) {
        parent->cap.free_index = (seL4_Word)1 << obj->size_bits;
    }
}

void sim_slot_move(sim_slot *src, sim_slot *dest)
{
    sim_slot *parent = src->parent;
    dest->cap = src->cap;
    unlink_child(src);
    link_child(dest, parent);
    reparent(src, dest);
    src->cap = (sim_cap){.kind = K_NULL};
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
    unlink_child(slot);
    reparent(slot, parent);
    slot->cap = (sim_cap){.kind = K_NULL};
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
    while (!slot->owner->dying && (child = slot->first_child) != NULL) {
        sim_slot_delete(child);
    }
}
