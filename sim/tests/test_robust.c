/* A simulator must never crash on anything a root task can ask of a real
 * kernel: every invocation before boot fails cleanly (nothing to look a cap
 * up in), and deleting the initial thread's own TCB cap leaves no dangling
 * pointer: later calls fail (the calling thread is gone) and shutdown
 * frees everything. Run under ASan, a use of freed or NULL memory aborts. */
#include <sel4runtime.h>

#include "simtest.h"

/* Every libsel4 invocation the simulator provides, with plausible
 * arguments; each must return an error, not seL4_NoError, when no machine
 * is booted or the calling thread has no CSpace. Returns the number that
 * succeeded. */
static int call_everything(void)
{
    seL4_CPtr c = seL4_CapInitThreadCNode, t = seL4_CapInitThreadTCB, v = seL4_CapInitThreadVSpace;
    seL4_CPtr u = 20, f = 21, p = seL4_CapInitThreadASIDPool, a = seL4_CapASIDControl;
    seL4_UserContext regs = {0};
    int ok = 0;
    seL4_Error e[] = {
        seL4_Untyped_Retype(u, seL4_TCBObject, 0, c, 0, 0, 30, 1),
        seL4_CNode_Copy(c, 30, 64, c, t, 64, seL4_AllRights),
        seL4_CNode_Copy(c, 30, 32, c, t, 32, seL4_AllRights),
        seL4_CNode_Mint(c, 30, 64, c, t, 64, seL4_AllRights, 0),
        seL4_CNode_Move(c, 30, 64, c, t, 64),
        seL4_CNode_Mutate(c, 30, 64, c, t, 64, 0),
        seL4_CNode_Delete(c, t, 64),
        seL4_CNode_Revoke(c, t, 64),
        seL4_TCB_Configure(t, 0, c, 0, v, 0, 0, 0),
        seL4_TCB_SetSpace(t, 0, c, 0, v, 0),
        seL4_TCB_SetIPCBuffer(t, 0, 0),
        seL4_TCB_WriteRegisters(t, 0, 0, 1, &regs),
        seL4_TCB_Resume(t),
        seL4_TCB_Suspend(t),
        seL4_X86_Page_Map(f, v, 0x10000, seL4_AllRights, seL4_X86_Default_VMAttributes),
        seL4_X86_Page_Unmap(f),
        (seL4_Error)seL4_X86_Page_GetAddress(f).error,
        seL4_X86_PageTable_Map(f, v, 0x10000, seL4_X86_Default_VMAttributes),
        seL4_X86_PageTable_Unmap(f),
        seL4_X86_PageDirectory_Map(f, v, 0x10000, seL4_X86_Default_VMAttributes),
        seL4_X86_PageDirectory_Unmap(f),
        seL4_X86_PDPT_Map(f, v, 0x10000, seL4_X86_Default_VMAttributes),
        seL4_X86_PDPT_Unmap(f),
        seL4_X86_ASIDPool_Assign(p, v),
        seL4_X86_ASIDControl_MakePool(a, u, c, 30, 64),
        seL4_ARM_Page_Map(f, v, 0x10000, seL4_AllRights, seL4_ARM_Default_VMAttributes),
        seL4_ARM_Page_Unmap(f),
        (seL4_Error)seL4_ARM_Page_GetAddress(f).error,
        seL4_ARM_PageTable_Map(f, v, 0x10000, seL4_ARM_Default_VMAttributes),
        seL4_ARM_PageTable_Unmap(f),
        seL4_ARM_ASIDPool_Assign(p, v),
        seL4_ARM_ASIDControl_MakePool(a, u, c, 30, 64),
        seL4_RISCV_Page_Map(f, v, 0x10000, seL4_AllRights, seL4_RISCV_Default_VMAttributes),
        seL4_RISCV_Page_Unmap(f),
        (seL4_Error)seL4_RISCV_Page_GetAddress(f).error,
        seL4_RISCV_PageTable_Map(f, v, 0x10000, seL4_RISCV_Default_VMAttributes),
        seL4_RISCV_PageTable_Unmap(f),
        seL4_RISCV_ASIDPool_Assign(p, v),
        seL4_RISCV_ASIDControl_MakePool(a, u, c, 30, 64),
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
        if (e[i] == seL4_NoError) {
            fprintf(stderr, "  call %zu succeeded\n", i);
            ok++;
        }
    }
    /* The simulator's own queries answer "nothing" rather than crash. */
    sel4sim_translation tr;
    CHECK(sel4sim_translate(v, 0x10000, &tr) != seL4_NoError);
    sel4sim_untyped_info ui;
    CHECK(sel4sim_untyped(u, &ui) != seL4_NoError);
    sel4sim_tcb_info ti;
    CHECK(sel4sim_tcb(t, &ti) != seL4_NoError);
    seL4_Word pa;
    CHECK(sel4sim_cap_paddr(t, &pa) != seL4_NoError);
    return ok;
}

static void test_before_boot(void)
{
    sel4sim_shutdown();
    CHECK_EQ(call_everything(), 0);
    CHECK_EQ(sel4sim_free_slots(), 0);
    CHECK_EQ(sel4sim_live_objects(), 0);
    CHECK_EQ(sel4sim_constant(SEL4SIM_USER_TOP), 0);
    CHECK(sel4runtime_bootinfo() == NULL);
    unsigned char buf[8];
    CHECK(sel4sim_phys_read(0x100000, buf, sizeof buf) != 0);
    /* A failed boot leaves the machine as unbooted as before. */
    CHECK(sel4sim_boot(VS_ARCH_X86_64, 1) == NULL);
    CHECK_EQ(call_everything(), 0);
}

/* The root task deletes its own TCB cap (the only one). On seL4 the thread
 * is then gone; here every later call fails instead of using the freed
 * TCB, and the CNode it held (still named by its own slot) survives. */
static void test_delete_own_tcb(vs_arch_id arch)
{
    if (t_boot(arch, 16u << 20) == NULL) {
        return;
    }
    size_t live = sel4sim_live_objects();
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, seL4_CapInitThreadTCB, seL4_WordBits), seL4_NoError);
    CHECK_EQ(sel4sim_live_objects(), live - 1);
    CHECK_EQ(call_everything(), 0);
    CHECK(sel4sim_free_slots() > 0); /* the root CNode is still there */
    sel4sim_shutdown();
    CHECK_EQ(call_everything(), 0);
}

/* After the thread deleted its own TCB, a fresh boot works as usual. */
static void test_reboot_after_delete(vs_arch_id arch)
{
    if (t_boot(arch, 16u << 20) == NULL) {
        return;
    }
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, seL4_CapInitThreadTCB, seL4_WordBits), seL4_NoError);
    if (t_boot(arch, 16u << 20) == NULL) {
        return;
    }
    seL4_CPtr s = t_slot();
    CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, s, seL4_WordBits, seL4_CapInitThreadCNode, seL4_CapInitThreadTCB,
                             seL4_WordBits, seL4_AllRights),
             seL4_NoError);
    sel4sim_shutdown();
}

int main(void)
{
    test_before_boot();
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_delete_own_tcb(simtest_archs[i]);
        test_reboot_after_delete(simtest_archs[i]);
    }
    test_before_boot();
    return simtest_done("sim_robust");
}
