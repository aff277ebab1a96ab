/* ASID pools (Reference Manual 7.1.2 "Virtual Address Spaces and ASIDs";
 * ASIDPool_Assign, ASIDControl_MakePool): a root gets one ASID, a pool
 * runs out, a new pool comes from a 4 KiB untyped, and deleting a pool
 * leaves its roots' caps naming an ASID that no longer finds them. */
#include "simtest.h"

#define ROOT seL4_CapInitThreadCNode

static seL4_Error make_pool(seL4_CPtr ut, seL4_CPtr slot)
{
    switch (sel4sim_arch()) {
    case VS_ARCH_IA32:
    case VS_ARCH_X86_64:
        return seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, ROOT, slot, seL4_WordBits);
    case VS_ARCH_AARCH32:
    case VS_ARCH_AARCH64:
        return seL4_ARM_ASIDControl_MakePool(seL4_CapASIDControl, ut, ROOT, slot, seL4_WordBits);
    default:
        return seL4_RISCV_ASIDControl_MakePool(seL4_CapASIDControl, ut, ROOT, slot, seL4_WordBits);
    }
}

/* ASIDs per pool: 2^seL4_ASIDPoolIndexBits of libsel4 13.0. */
static const unsigned pool_size[VS_ARCH_COUNT] = {1024, 512, 1024, 512, 16, 512};

static void test_arch(vs_arch_id arch)
{
    if (t_boot(arch, 64u << 20) == NULL) {
        return;
    }
    seL4_CPtr vs = t_new_vspace(), f = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_assign(seL4_CapInitThreadASIDPool, vs), seL4_InvalidCapability); /* has one */
    CHECK_EQ(seL4_GetMR(0), 1);
    CHECK_EQ(t_assign(seL4_CapInitThreadASIDPool, f), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 1);
    CHECK_EQ(t_assign(seL4_CapInitThreadTCB, t_retype(t_table_type(0), 0)), seL4_IllegalOperation);

    seL4_CPtr small = t_retype(seL4_UntypedObject, 13), pool = t_slot();
    CHECK_EQ(make_pool(small, pool), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 1);
    seL4_CPtr ut = t_retype(seL4_UntypedObject, 12);
    CHECK_EQ(make_pool(ut, pool), seL4_NoError);
    CHECK_EQ(make_pool(t_retype(seL4_UntypedObject, 12), pool), seL4_DeleteFirst);

    /* Every ASID of the new pool can be handed out once. */
    seL4_CPtr first = 0;
    for (unsigned i = 0; i < pool_size[arch]; i++) {
        seL4_CPtr r = t_retype(t_table_type(0), 0);
        CHECK_EQ(t_assign(pool, r), seL4_NoError);
        first = first ? first : r;
    }
    CHECK_EQ(t_assign(pool, t_retype(t_table_type(0), 0)), seL4_DeleteFirst);

    /* The pool goes: its roots keep caps whose ASID finds nothing. */
    CHECK_EQ(t_map_frame_auto(f, first, 0x10000, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(seL4_CNode_Delete(ROOT, pool, seL4_WordBits), seL4_NoError);
    CHECK_EQ(t_map_frame(t_retype(t_frame_type(0), 0), first, 0x20000, seL4_ReadWrite), seL4_FailedLookup);
    CHECK_EQ(seL4_GetMR(1), seL4_InvalidRoot);
    CHECK_EQ(t_unmap_frame(f), seL4_NoError); /* the old mapping is simply forgotten */
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_arch(simtest_archs[i]);
    }
    return simtest_done("sim_asid");
}
