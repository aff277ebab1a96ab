/* TCBs as far as the model goes (Reference Manual 6.1 "Thread Control
 * Blocks"; TCB_Configure / SetSpace / WriteRegisters / Resume): the TCB
 * keeps copies of its CSpace and VSpace roots and IPC buffer frame, which
 * revoking the originals removes; registers and the resumed flag. */
#include <string.h>

#include "simtest.h"

#define ROOT seL4_CapInitThreadCNode

static void write_pc_sp(seL4_UserContext *r, seL4_Word pc, seL4_Word sp)
{
    switch (sel4sim_arch()) {
    case VS_ARCH_X86_64:
        r->rip = pc;
        r->rsp = sp;
        break;
    case VS_ARCH_IA32:
        r->eip = pc;
        r->esp = sp;
        break;
    default:
        r->pc = pc;
        r->sp = sp;
        break;
    }
}

static void test_arch(vs_arch_id arch)
{
    if (t_boot(arch, 32u << 20) == NULL) {
        return;
    }
    unsigned ipc_bits = vs_arch_get(arch)->word_bits == 64 ? 10 : 9;
    seL4_CPtr tcb = t_retype(seL4_TCBObject, 0), cn = t_retype(seL4_CapTableObject, 4);
    seL4_CPtr vs = t_new_vspace(), buf = t_retype(t_frame_type(0), 0);
    seL4_CPtr bare = t_retype(t_table_type(0), 0);
    sel4sim_tcb_info info;
    seL4_Word a = (seL4_Word)1 << ipc_bits;
    CHECK_EQ(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, a + 8, buf), seL4_AlignmentError);
    CHECK_EQ(seL4_TCB_Configure(tcb, 0, cn, 0, bare, 0, a, buf), seL4_IllegalOperation);
    CHECK_EQ(seL4_TCB_Configure(tcb, 0, vs, 0, vs, 0, a, buf), seL4_IllegalOperation);
    CHECK_EQ(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, a, cn), seL4_IllegalOperation);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(!info.has_cspace && !info.has_vspace && !info.has_ipc_buffer);
    CHECK_EQ(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, a, buf), seL4_NoError);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(info.has_cspace && info.has_vspace && info.has_ipc_buffer);
    CHECK_EQ(info.ipc_buffer_addr, a);
    seL4_Word paddr;
    CHECK_EQ(sel4sim_cap_paddr(vs, &paddr), seL4_NoError);
    CHECK_EQ(info.vspace_paddr, paddr);

    seL4_UserContext regs = {0};
    write_pc_sp(&regs, 0x401000, 0x7000);
    CHECK_EQ(seL4_TCB_WriteRegisters(tcb, 0, 0, 2, &regs), seL4_NoError);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(!info.resumed);
    CHECK_EQ(info.pc, 0x401000);
    CHECK_EQ(info.sp, 0x7000);
    CHECK_EQ(seL4_TCB_Resume(tcb), seL4_NoError);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(info.resumed);
    CHECK_EQ(seL4_TCB_Resume(cn), seL4_IllegalOperation);

    /* The TCB's copy of the vspace cap is a child of the original. */
    CHECK_EQ(seL4_CNode_Revoke(ROOT, vs, seL4_WordBits), seL4_NoError);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(!info.has_vspace && info.has_cspace);
    CHECK_EQ(seL4_TCB_SetSpace(tcb, 0, cn, 0, vs, 0), seL4_NoError);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(info.has_vspace);
}

/* ReadRegisters gives back what WriteRegisters wrote; Configure keeps the
 * fault endpoint CPtr. */
static void test_read_back(vs_arch_id arch)
{
    if (t_boot(arch, 32u << 20) == NULL) {
        return;
    }
    seL4_CPtr tcb = t_retype(seL4_TCBObject, 0), cn = t_retype(seL4_CapTableObject, 4);
    seL4_CPtr vs = t_new_vspace();
    CHECK_EQ(seL4_TCB_Configure(tcb, 5, cn, 0, vs, 0, 0, 0), seL4_NoError);
    sel4sim_tcb_info info;
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK_EQ(info.fault_ep, 5);
    seL4_UserContext w = {0}, r = {0};
    write_pc_sp(&w, 0x12340, 0x5670);
    w.rdx = w.edx = w.r0 = w.x0 = w.a0 = 7;
    CHECK_EQ(seL4_TCB_WriteRegisters(tcb, 1, 0, sizeof w / sizeof(seL4_Word), &w), seL4_NoError);
    CHECK_EQ(seL4_TCB_ReadRegisters(tcb, 1, 0, sizeof r / sizeof(seL4_Word), &r), seL4_NoError);
    CHECK(memcmp(&w, &r, sizeof w) == 0);
    CHECK_EQ(sel4sim_tcb(tcb, &info), seL4_NoError);
    CHECK(!info.resumed); /* suspend_source */
    CHECK_EQ(seL4_TCB_ReadRegisters(cn, 0, 0, 1, &r), seL4_IllegalOperation);
}

/* An injected failure: the armed call fails with the armed error before
 * changing anything (slots, untyped watermark), the calls before it and
 * after it work, and reads and deletes are neither counted nor failed. */
static void test_injection(vs_arch_id arch)
{
    seL4_BootInfo *bi = t_boot(arch, 32u << 20);
    if (bi == NULL) {
        return;
    }
    seL4_CPtr a = t_retype(seL4_EndpointObject, 0);
    CHECK(a != 0);
    size_t slots = sel4sim_free_slots(), objects = sel4sim_live_objects();
    sel4sim_inject_failure(2, seL4_NotEnoughMemory);
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, a, seL4_WordBits), seL4_NoError); /* not counted */
    seL4_CPtr b = t_slot();
    CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, b, seL4_WordBits, seL4_CapInitThreadCNode, seL4_CapInitThreadTCB,
                             seL4_WordBits, seL4_AllRights),
             seL4_NoError); /* 1st */
    CHECK(!sel4sim_injection_fired());
    seL4_CPtr c = t_slot();
    CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, c, seL4_WordBits, seL4_CapInitThreadCNode, seL4_CapInitThreadTCB,
                             seL4_WordBits, seL4_AllRights),
             seL4_NotEnoughMemory); /* 2nd: injected */
    CHECK(sel4sim_injection_fired());
    CHECK_EQ(sel4sim_free_slots(), slots); /* a freed, b taken, c untouched */
    CHECK_EQ(sel4sim_live_objects(), objects - 1);
    CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, c, seL4_WordBits, seL4_CapInitThreadCNode, seL4_CapInitThreadTCB,
                             seL4_WordBits, seL4_AllRights),
             seL4_NoError); /* disarmed after firing */
    sel4sim_inject_failure(1, seL4_NotEnoughMemory);
    sel4sim_untyped_info before, after;
    CHECK_EQ(sel4sim_untyped(bi->untyped.start, &before), seL4_NoError);
    CHECK_EQ(seL4_Untyped_Retype(bi->untyped.start, seL4_EndpointObject, 0, seL4_CapInitThreadCNode, 0, 0, t_slot(), 1),
             seL4_NotEnoughMemory);
    CHECK_EQ(sel4sim_untyped(bi->untyped.start, &after), seL4_NoError);
    CHECK_EQ(after.watermark, before.watermark);
    sel4sim_inject_failure(0, seL4_NoError);
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_arch(simtest_archs[i]);
        test_read_back(simtest_archs[i]);
        test_injection(simtest_archs[i]);
    }
    return simtest_done("sim_tcb");
}
