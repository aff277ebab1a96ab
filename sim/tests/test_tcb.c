/* TCBs as far as the model goes (Reference Manual 6.1 "Thread Control
 * Blocks"; TCB_Configure / SetSpace / WriteRegisters / Resume): the TCB
 * keeps copies of its CSpace and VSpace roots and IPC buffer frame, which
 * revoking the originals removes; registers and the resumed flag. */
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

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_arch(simtest_archs[i]);
    }
    return simtest_done("sim_tcb");
}
