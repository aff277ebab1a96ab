/* The child's CSpace: one CNode, and the caps spawn puts in its fixed slots
 * (VS_CHILD_SLOT_*). */
#include "internal.h"

seL4_Word proc_cspace_guard(const vs_process *p)
{
    /* Guard 0 of (word bits - radix) bits: a CPtr the child uses with a full
     * word of depth resolves to slot (cptr mod 2^radix). */
    return seL4_CNode_CapData_new(0, (seL4_Word)(p->arch->word_bits - p->info.cspace_bits)).words[0];
}

vs_result proc_cspace_create(vs_process *p, unsigned bits, vs_spawn_error *err)
{
    if (bits < VS_SPAWN_MIN_CSPACE_BITS || bits + 2 > p->arch->word_bits) {
        return proc_fail_value(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_CSPACE,
                               "cspace_bits out of range (3 .. word bits - 2)", bits, 0);
    }
    seL4_CPtr cap = 0;
    uintptr_t cookie = 0;
    seL4_Error e =
        vs_sel4_alloc_object(p->alloc, seL4_CapTableObject, bits, bits + (unsigned)seL4_SlotBits, &cap, &cookie);
    if (e != seL4_NoError) {
        return proc_fail(err, VS_ERR_KERNEL, VS_SPAWN_STAGE_CSPACE, "cannot allocate the child's CNode", 0, (int)e);
    }
    p->cnode = cap;
    p->cnode_cookie = cookie;
    p->info.cnode = cap;
    p->info.cspace_bits = bits;
    return VS_OK;
}

vs_result proc_cspace_put(vs_process *p, unsigned slot, seL4_CPtr src, vs_spawn_error *err)
{
    seL4_Error e;
    const seL4_Uint8 depth = (seL4_Uint8)p->info.cspace_bits;
    if (slot == VS_CHILD_SLOT_CNODE) {
        e = seL4_CNode_Mint(p->cnode, slot, depth, seL4_CapInitThreadCNode, src, seL4_WordBits, seL4_AllRights,
                            proc_cspace_guard(p));
    } else {
        e = seL4_CNode_Copy(p->cnode, slot, depth, seL4_CapInitThreadCNode, src, seL4_WordBits, seL4_AllRights);
    }
    if (e != seL4_NoError) {
        proc_fail_value(err, VS_ERR_KERNEL, VS_SPAWN_STAGE_CSPACE, "cannot put a cap into the child's CNode, slot",
                        slot, 0);
        if (err != NULL) {
            err->kernel_error = (int)e;
        }
        return VS_ERR_KERNEL;
    }
    p->child_slots |= 1u << slot;
    return VS_OK;
}

int proc_cspace_clear(vs_process *p)
{
    int last = 0;
    for (unsigned slot = 0; slot < VS_CHILD_FIRST_FREE; slot++) {
        if (!(p->child_slots & (1u << slot))) {
            continue;
        }
        seL4_Error e = seL4_CNode_Delete(p->cnode, slot, (seL4_Uint8)p->info.cspace_bits);
        if (e != seL4_NoError) {
            last = (int)e;
            continue;
        }
        p->child_slots &= ~(1u << slot);
    }
    return last;
}
