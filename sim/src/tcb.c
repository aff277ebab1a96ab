/* TCB invocations, modelled as far as vspace needs: a TCB holds copies of
 * its CSpace root, VSpace root and IPC buffer frame caps (children of the
 * caps they were copied from), its registers and whether it was resumed.
 * No thread ever runs. */
#include "internal.h"

static seL4_Error tcb_service(seL4_CPtr cptr, sim_slot **s)
{
    seL4_Error err = sim_invoked(cptr, s);
    if (err == seL4_NoError && (*s)->cap.kind != K_TCB) {
        return sim_err(seL4_IllegalOperation);
    }
    return err;
}

static seL4_Error space_caps(seL4_CNode cspace, seL4_Word cspace_data, seL4_CPtr vspace, sim_slot **cs, sim_slot **vs,
                             sim_cap *ccap)
{
    *ccap = sim_extra_cap(cspace, cs);
    sim_cap vcap = sim_extra_cap(vspace, vs);
    if (ccap->kind != K_CNODE || sim_valid_root(&vcap) == NULL) {
        return sim_err(seL4_IllegalOperation);
    }
    if (cspace_data != 0) {
        unsigned gsize = (unsigned)(cspace_data & 0x3f);
        if (gsize + ccap->obj->radix > seL4_WordBits) {
            return sim_err(seL4_IllegalOperation);
        }
        ccap->guard_size = (uint8_t)gsize;
        ccap->guard = (cspace_data >> 6) & sim_mask(gsize);
    }
    return seL4_NoError;
}

static seL4_Error buffer_cap(seL4_Word buffer, seL4_CPtr frame, sim_slot **fs)
{
    if (buffer & sim_mask(sim.sa->ipc_buffer_bits)) {
        return sim_err(seL4_AlignmentError);
    }
    sim_cap fcap = sim_extra_cap(frame, fs);
    if (frame != seL4_CapNull && (fcap.kind != K_FRAME || fcap.obj->is_device)) {
        return sim_err(seL4_IllegalOperation);
    }
    return seL4_NoError;
}

/* Replace what TCB slot i holds with a copy of src's cap (NULL: empty it). */
static void set_slot(sim_obj *tcb, int i, sim_slot *src, sim_cap cap)
{
    sim_slot_delete(&tcb->slots[i]);
    if (src != NULL && src->cap.kind != K_NULL) {
        if (cap.kind == K_FRAME) {
            cap.mapped = false;
            cap.mapped_asid = cap.mapped_vaddr = 0;
        }
        sim_slot_insert(&tcb->slots[i], &cap, src);
    }
}

/* The changes of SetSpace and SetIPCBuffer, after their checks passed. */
static void apply_space(sim_slot *ts, seL4_Word fault_ep, sim_slot *cs, sim_cap ccap, sim_slot *vs)
{
    ts->cap.obj->tcb->fault_ep = fault_ep;
    set_slot(ts->cap.obj, TCB_SLOT_CSPACE, cs, ccap);
    set_slot(ts->cap.obj, TCB_SLOT_VSPACE, vs, vs->cap);
}

static void apply_buffer(sim_slot *ts, seL4_Word buffer, seL4_CPtr bufferFrame, sim_slot *fs)
{
    ts->cap.obj->tcb->ipc_buffer = buffer;
    set_slot(ts->cap.obj, TCB_SLOT_BUFFER, bufferFrame != seL4_CapNull ? fs : NULL,
             fs != NULL ? fs->cap : (sim_cap){.kind = K_NULL});
}

seL4_Error seL4_TCB_SetSpace(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root, seL4_Word cspace_root_data,
                             seL4_CPtr vspace_root, seL4_Word vspace_root_data)
{
    sim_slot *ts, *cs, *vs;
    sim_cap ccap;
    (void)vspace_root_data;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = tcb_service(_service, &ts);
    }
    if (err == seL4_NoError) {
        err = space_caps(cspace_root, cspace_root_data, vspace_root, &cs, &vs, &ccap);
    }
    if (err != seL4_NoError) {
        return err;
    }
    apply_space(ts, fault_ep, cs, ccap, vs);
    sim_collect();
    return sim_ok(0, 0);
}

seL4_Error seL4_TCB_SetIPCBuffer(seL4_TCB _service, seL4_Word buffer, seL4_CPtr bufferFrame)
{
    sim_slot *ts, *fs;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = tcb_service(_service, &ts);
    }
    if (err == seL4_NoError) {
        err = buffer_cap(buffer, bufferFrame, &fs);
    }
    if (err != seL4_NoError) {
        return err;
    }
    apply_buffer(ts, buffer, bufferFrame, fs);
    sim_collect();
    return sim_ok(0, 0);
}

/* All checks come before any change, so a failed Configure changes nothing. */
seL4_Error seL4_TCB_Configure(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root, seL4_Word cspace_root_data,
                              seL4_CPtr vspace_root, seL4_Word vspace_root_data, seL4_Word buffer,
                              seL4_CPtr bufferFrame)
{
    sim_slot *ts, *cs, *vs, *fs;
    sim_cap ccap;
    (void)vspace_root_data;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = tcb_service(_service, &ts);
    }
    if (err == seL4_NoError) {
        err = space_caps(cspace_root, cspace_root_data, vspace_root, &cs, &vs, &ccap);
    }
    if (err == seL4_NoError) {
        err = buffer_cap(buffer, bufferFrame, &fs);
    }
    if (err != seL4_NoError) {
        return err;
    }
    apply_space(ts, fault_ep, cs, ccap, vs);
    apply_buffer(ts, buffer, bufferFrame, fs);
    sim_collect();
    return sim_ok(0, 0);
}

seL4_Error seL4_TCB_WriteRegisters(seL4_TCB _service, seL4_Bool resume_target, seL4_Uint8 arch_flags, seL4_Word count,
                                   seL4_UserContext *regs)
{
    sim_slot *ts;
    (void)arch_flags;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = tcb_service(_service, &ts);
    }
    if (err != seL4_NoError) {
        return err;
    }
    sim_tcb *t = ts->cap.obj->tcb;
    t->regs = *regs;
    t->regs_written = count;
    t->resumed = t->resumed || resume_target;
    return sim_ok(0, 0);
}

/* The registers as the last WriteRegisters left them (the thread never
 * runs, so they are what it would start with). */
seL4_Error seL4_TCB_ReadRegisters(seL4_TCB _service, seL4_Bool suspend_source, seL4_Uint8 arch_flags, seL4_Word count,
                                  seL4_UserContext *regs)
{
    sim_slot *ts;
    (void)arch_flags;
    (void)count;
    seL4_Error err = tcb_service(_service, &ts);
    if (err != seL4_NoError) {
        return err;
    }
    *regs = ts->cap.obj->tcb->regs;
    if (suspend_source) {
        ts->cap.obj->tcb->resumed = false;
    }
    return sim_ok(0, 0);
}

seL4_Error seL4_TCB_Resume(seL4_TCB _service)
{
    sim_slot *ts;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = tcb_service(_service, &ts);
    }
    if (err == seL4_NoError) {
        ts->cap.obj->tcb->resumed = true;
        return sim_ok(0, 0);
    }
    return err;
}

seL4_Error seL4_TCB_Suspend(seL4_TCB _service)
{
    sim_slot *ts;
    seL4_Error err = tcb_service(_service, &ts);
    if (err == seL4_NoError) {
        ts->cap.obj->tcb->resumed = false;
        return sim_ok(0, 0);
    }
    return err;
}

/* The booted architecture's program counter and stack pointer fields. */
static void pc_sp(const seL4_UserContext *r, seL4_Word *pc, seL4_Word *sp)
{
    switch (sim.sa->id) {
    case VS_ARCH_X86_64:
        *pc = r->rip;
        *sp = r->rsp;
        break;
    case VS_ARCH_IA32:
        *pc = r->eip;
        *sp = r->esp;
        break;
    default:
        *pc = r->pc;
        *sp = r->sp;
        break;
    }
}

seL4_Error sel4sim_tcb(seL4_CPtr cptr, sel4sim_tcb_info *out)
{
    sim_slot *s = sim_lookup_slot(cptr);
    if (s == NULL || s->cap.kind != K_TCB) {
        return seL4_InvalidCapability;
    }
    const sim_obj *o = s->cap.obj;
    const sim_slot *sl = o->slots;
    *out = (sel4sim_tcb_info){.has_cspace = sl[TCB_SLOT_CSPACE].cap.kind != K_NULL,
                              .has_vspace = sl[TCB_SLOT_VSPACE].cap.kind != K_NULL,
                              .has_ipc_buffer = sl[TCB_SLOT_BUFFER].cap.kind != K_NULL,
                              .ipc_buffer_addr = o->tcb->ipc_buffer,
                              .regs_written = o->tcb->regs_written,
                              .fault_ep = o->tcb->fault_ep,
                              .resumed = o->tcb->resumed};
    out->cspace_paddr = out->has_cspace ? sl[TCB_SLOT_CSPACE].cap.obj->paddr : 0;
    out->vspace_paddr = out->has_vspace ? sl[TCB_SLOT_VSPACE].cap.obj->paddr : 0;
    pc_sp(&o->tcb->regs, &out->pc, &out->sp);
    return seL4_NoError;
}
