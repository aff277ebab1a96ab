/* Untyped_Retype (Reference Manual 2.4 "Kernel Memory Allocation" and the
 * Untyped method in the API chapter): object sizes per architecture, each
 * object aligned to its size above the watermark, the destination window,
 * and the errors in the order the kernel checks them. */
#include "internal.h"

typedef struct retype_args {
    seL4_Word type, user_bits;
    unsigned obj_bits;
    sim_kind kind;
    sim_obj *cnode;
    seL4_Word offset, count;
} retype_args;

/* Size of one object, or -1 if the type is unknown on this architecture. */
int sel4sim_object_size_bits(seL4_Word type, seL4_Word user_size_bits)
{
    const sim_arch *sa = sim.sa;
    const sim_objtype *t = sim_objtype_find(type);
    switch (type) {
    case seL4_UntypedObject:
        return (int)user_size_bits;
    case seL4_TCBObject:
        return sa->tcb_bits;
    case seL4_EndpointObject:
        return sa->endpoint_bits;
    case seL4_NotificationObject:
        return sa->notification_bits;
    case seL4_CapTableObject:
        return (int)(user_size_bits + sa->slot_bits);
    default:
        return t != NULL ? t->size_bits : -1;
    }
}

/* Arguments 0 and 1: the type and its size. */
static seL4_Error check_type(retype_args *a)
{
    int bits = sel4sim_object_size_bits(a->type, a->user_bits);
    if (bits < 0) {
        return sim_err_arg(0);
    }
    if (a->user_bits >= seL4_WordBits || (unsigned)bits > sim.sa->max_untyped_bits) {
        return sim_err_range(0, sim.sa->max_untyped_bits);
    }
    if (a->type == seL4_CapTableObject && a->user_bits == 0) {
        return sim_err_arg(1);
    }
    if (a->type == seL4_UntypedObject && a->user_bits < seL4_MinUntypedBits) {
        return sim_err_arg(1);
    }
    a->obj_bits = (unsigned)bits;
    a->kind = sim_kind_of_type(a->type);
    return seL4_NoError;
}

/* Arguments 2..5: the destination CNode and the window of empty slots. */
static seL4_Error check_dest(retype_args *a, seL4_CNode root, seL4_Word index, seL4_Word depth)
{
    sim_cap node = sim_extra_cap(root, NULL);
    if (depth != 0) {
        sim_slot *s;
        seL4_Error err = sim_lookup_op_slot(&node, index, depth, false, &s);
        if (err != seL4_NoError) {
            return err;
        }
        node = s->cap;
    }
    if (node.kind != K_CNODE) {
        return sim_err_lookup(false, sim_fault_missing(depth));
    }
    seL4_Word size = (seL4_Word)1 << node.obj->radix;
    if (a->offset > size - 1) {
        return sim_err_range(0, size - 1);
    }
    if (a->count < 1 || a->count > CONFIG_RETYPE_FAN_OUT_LIMIT) {
        return sim_err_range(1, CONFIG_RETYPE_FAN_OUT_LIMIT);
    }
    if (a->count > size - a->offset) {
        return sim_err_range(1, size - a->offset);
    }
    for (seL4_Word i = 0; i < a->count; i++) {
        if (node.obj->slots[a->offset + i].cap.kind != K_NULL) {
            return sim_err(seL4_DeleteFirst);
        }
    }
    a->cnode = node.obj;
    return seL4_NoError;
}

static bool is_frame_type(seL4_Word type)
{
    const sim_objtype *t = sim_objtype_find(type);
    return t != NULL && t->kind == K_FRAME;
}

/* Make count objects from first; on host exhaustion undo and report. */
static seL4_Error create(sim_slot *ut, const retype_args *a, seL4_Word first)
{
    sim_obj *made[CONFIG_RETYPE_FAN_OUT_LIMIT];
    unsigned radix = a->type == seL4_CapTableObject ? (unsigned)a->user_bits : 0;
    for (seL4_Word i = 0; i < a->count; i++) {
        made[i] = sim_obj_new(a->kind, a->type, first + (i << a->obj_bits), a->obj_bits, radix);
        if (made[i] == NULL) {
            for (seL4_Word j = 0; j < i; j++) {
                sim_obj_destroy(made[j], &(sim_cap){.kind = K_NULL});
            }
            sim_collect();
            return sim_err_memory(0);
        }
        made[i]->is_device = ut->cap.obj->is_device;
    }
    for (seL4_Word i = 0; i < a->count; i++) {
        sim_cap cap = sim_cap_new(made[i]);
        sim_slot_insert(&a->cnode->slots[a->offset + i], &cap, ut);
    }
    return seL4_NoError;
}

/* The watermark: with no children left the region is free again; otherwise
 * objects go above the cap's free index, aligned to their size. */
static seL4_Error allocate(sim_slot *ut, const retype_args *a)
{
    sim_cap *cap = &ut->cap;
    seL4_Word size = (seL4_Word)1 << cap->obj->size_bits;
    seL4_Word used = sim_slot_has_children(ut) ? cap->free_index : 0;
    seL4_Word free_bytes = size - used;
    if ((free_bytes >> a->obj_bits) < a->count) {
        return sim_err_memory(free_bytes);
    }
    if (cap->obj->is_device && !is_frame_type(a->type) && a->type != seL4_UntypedObject) {
        return sim_err_arg(1);
    }
    seL4_Word start = (used + sim_mask(a->obj_bits)) & ~sim_mask(a->obj_bits);
    seL4_Error err = create(ut, a, cap->obj->paddr + start);
    if (err == seL4_NoError) {
        cap->free_index = start + (a->count << a->obj_bits);
    }
    return err;
}

seL4_Error seL4_Untyped_Retype(seL4_Untyped _service, seL4_Word type, seL4_Word size_bits, seL4_CNode root,
                               seL4_Word node_index, seL4_Word node_depth, seL4_Word node_offset, seL4_Word num_objects)
{
    sim_slot *ut;
    retype_args a = {.type = type, .user_bits = size_bits, .offset = node_offset, .count = num_objects};
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = sim_invoked(_service, &ut);
    }
    if (err == seL4_NoError && ut->cap.kind != K_UNTYPED) {
        err = sim_err(seL4_IllegalOperation);
    }
    if (err == seL4_NoError) {
        err = check_type(&a);
    }
    if (err == seL4_NoError) {
        err = check_dest(&a, root, node_index, node_depth);
    }
    if (err == seL4_NoError) {
        err = allocate(ut, &a);
    }
    return err == seL4_NoError ? sim_ok(0, 0) : err;
}

seL4_Error sel4sim_untyped(seL4_CPtr cptr, sel4sim_untyped_info *out)
{
    sim_slot *s = sim_lookup_slot(cptr);
    if (s == NULL || s->cap.kind != K_UNTYPED) {
        return seL4_InvalidCapability;
    }
    const sim_obj *o = s->cap.obj;
    *out = (sel4sim_untyped_info){.paddr = o->paddr,
                                  .size_bits = o->size_bits,
                                  .is_device = o->is_device,
                                  .watermark = s->cap.free_index,
                                  .free_bytes = ((seL4_Word)1 << o->size_bits) - s->cap.free_index,
                                  .has_children = sim_slot_has_children(s)};
    return seL4_NoError;
}
