/* CNode invocations (Reference Manual 3.1, "Capability and CSpace
 * Management", and the CNode methods in the API chapter). */
#include "internal.h"

static seL4_Error cnode_service(seL4_CPtr service, sim_slot **slot)
{
    seL4_Error err = sim_invoked(service, slot);
    if (err != seL4_NoError) {
        return err;
    }
    return (*slot)->cap.kind == K_CNODE ? seL4_NoError : sim_err(seL4_IllegalOperation);
}

/* Destination must be empty; then the source must resolve to a cap. This
 * is the kernel's order: a taken destination wins over a bad source. */
static seL4_Error two_slots(seL4_CPtr service, seL4_Word di, seL4_Word dd, seL4_CPtr src_root, seL4_Word si,
                            seL4_Word sd, sim_slot **dest, sim_slot **src)
{
    sim_slot *svc;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = cnode_service(service, &svc);
    }
    if (err == seL4_NoError) {
        err = sim_lookup_op_slot(&svc->cap, di, dd, false, dest);
    }
    if (err != seL4_NoError) {
        return err;
    }
    if ((*dest)->cap.kind != K_NULL) {
        return sim_err(seL4_DeleteFirst);
    }
    err = sim_lookup_op_slot(sim_extra_cap_ref(src_root), si, sd, true, src);
    if (err == seL4_NoError && (*src)->cap.kind == K_NULL) {
        return sim_err_lookup(true, sim_fault_missing(sd));
    }
    return err;
}

/* The helpers below change a cap in place rather than take and return it
 * by value: Copy runs for every page a loader maps, and copying a cap
 * struct right after a field of it was written stalls the CPU. */

/* maskCapRights: only caps whose rights mean something are reduced. */
static void mask_rights(sim_cap *cap, seL4_CapRights_t rights)
{
    if (cap->kind == K_FRAME || cap->kind == K_ENDPOINT || cap->kind == K_NOTIFICATION) {
        cap->rights &= (uint8_t)(rights.words[0] & R_ALL);
    }
}

/* updateCapData: a badge for an unbadged endpoint or notification, a guard
 * for a CNode; the null cap if the data cannot apply. */
static void update_data(bool preserve, seL4_Word data, sim_cap *cap)
{
    if (cap->kind == K_ENDPOINT || cap->kind == K_NOTIFICATION) {
        if (preserve || cap->badge != 0) {
            *cap = (sim_cap){.kind = K_NULL};
            return;
        }
        cap->badge = data;
    } else if (cap->kind == K_CNODE) {
        unsigned gsize = (unsigned)(data & 0x3f);
        if (gsize + cap->obj->radix > seL4_WordBits) {
            *cap = (sim_cap){.kind = K_NULL};
            return;
        }
        cap->guard_size = (uint8_t)gsize;
        cap->guard = (data >> 6) & sim_mask(gsize);
    }
}

/* deriveCap: what a copy of cap may be. Frame copies start unmapped;
 * unmapped paging structures and vspace roots without an ASID cannot be
 * copied; an untyped with children cannot be copied; IRQ control never. */
static seL4_Error derive(const sim_slot *src, sim_cap *cap)
{
    switch (cap->kind) {
    case K_FRAME:
        cap->mapped = false;
        cap->mapped_asid = cap->mapped_vaddr = 0;
        break;
    case K_TABLE:
    case K_ROOT:
        if (!cap->mapped) {
            return sim_err(seL4_IllegalOperation);
        }
        break;
    case K_UNTYPED:
        if (sim_slot_has_children(src)) {
            return sim_err(seL4_RevokeFirst);
        }
        break;
    case K_IRQ_CONTROL:
        *cap = (sim_cap){.kind = K_NULL};
        break;
    default:
        break;
    }
    return seL4_NoError;
}

static seL4_Error insert_derived(sim_slot *src, sim_cap *cap, sim_slot *dest)
{
    seL4_Error err = derive(src, cap);
    if (err != seL4_NoError) {
        return err;
    }
    if (cap->kind == K_NULL) {
        return sim_err(seL4_IllegalOperation);
    }
    sim_slot_insert(dest, cap, src);
    return sim_ok(0, 0);
}

seL4_Error seL4_CNode_Copy(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth, seL4_CNode src_root,
                           seL4_Word src_index, seL4_Uint8 src_depth, seL4_CapRights_t rights)
{
    sim_slot *dest, *src;
    seL4_Error err = two_slots(_service, dest_index, dest_depth, src_root, src_index, src_depth, &dest, &src);
    if (err != seL4_NoError) {
        return err;
    }
    sim_cap cap = src->cap;
    mask_rights(&cap, rights);
    return insert_derived(src, &cap, dest);
}

seL4_Error seL4_CNode_Mint(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth, seL4_CNode src_root,
                           seL4_Word src_index, seL4_Uint8 src_depth, seL4_CapRights_t rights, seL4_Word badge)
{
    sim_slot *dest, *src;
    seL4_Error err = two_slots(_service, dest_index, dest_depth, src_root, src_index, src_depth, &dest, &src);
    if (err != seL4_NoError) {
        return err;
    }
    sim_cap cap = src->cap;
    mask_rights(&cap, rights);
    update_data(false, badge, &cap);
    return insert_derived(src, &cap, dest);
}

static seL4_Error move(sim_slot *src, const sim_cap *cap, sim_slot *dest)
{
    if (cap->kind == K_NULL) {
        return sim_err(seL4_IllegalOperation);
    }
    sim_cap moved = *cap; /* cap may be src's own, which the move empties */
    sim_slot_move(src, dest);
    dest->cap = moved;
    return sim_ok(0, 0);
}

seL4_Error seL4_CNode_Move(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth, seL4_CNode src_root,
                           seL4_Word src_index, seL4_Uint8 src_depth)
{
    sim_slot *dest, *src;
    seL4_Error err = two_slots(_service, dest_index, dest_depth, src_root, src_index, src_depth, &dest, &src);
    return err != seL4_NoError ? err : move(src, &src->cap, dest);
}

seL4_Error seL4_CNode_Mutate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth, seL4_CNode src_root,
                             seL4_Word src_index, seL4_Uint8 src_depth, seL4_Word badge)
{
    sim_slot *dest, *src;
    seL4_Error err = two_slots(_service, dest_index, dest_depth, src_root, src_index, src_depth, &dest, &src);
    if (err != seL4_NoError) {
        return err;
    }
    sim_cap cap = src->cap;
    update_data(true, badge, &cap);
    return move(src, &cap, dest);
}

static seL4_Error one_slot(seL4_CNode service, seL4_Word index, seL4_Word depth, sim_slot **out)
{
    sim_slot *svc;
    seL4_Error err = cnode_service(service, &svc);
    return err != seL4_NoError ? err : sim_lookup_op_slot(&svc->cap, index, depth, false, out);
}

seL4_Error seL4_CNode_Delete(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    sim_slot *slot;
    seL4_Error err = one_slot(_service, index, depth, &slot);
    if (err != seL4_NoError) {
        return err;
    }
    sim_slot_delete(slot);
    sim_collect();
    return sim_ok(0, 0);
}

seL4_Error seL4_CNode_Revoke(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    sim_slot *slot;
    seL4_Error err = one_slot(_service, index, depth, &slot);
    if (err != seL4_NoError) {
        return err;
    }
    sim_slot_revoke(slot);
    sim_collect();
    return sim_ok(0, 0);
}
