/* Untyped_Retype (Reference Manual 2.4 "Kernel Memory Allocation", 2.4.2
 * "Summary of Object Sizes", and the Untyped method's errors): sizes per
 * architecture, alignment to the object size above the watermark,
 * seL4_NotEnoughMemory with the bytes left, argument and range errors, and
 * the watermark back to zero once the children are gone. */
#include "simtest.h"

#define ROOT seL4_CapInitThreadCNode

typedef struct size_case {
    seL4_Word type;
    unsigned bits[VS_ARCH_COUNT]; /* ia32, x86_64, aarch32, aarch64, riscv32, riscv64; 0: absent */
} size_case;

/* libsel4 13.0 object sizes (FPU configurations). */
static const size_case sizes[] = {
    {seL4_TCBObject, {11, 11, 10, 11, 9, 11}},
    {seL4_EndpointObject, {4, 4, 4, 4, 4, 4}},
    {seL4_NotificationObject, {4, 5, 4, 5, 4, 5}},
    {seL4_X86_4K, {12, 12, 0, 0, 0, 0}},
    {seL4_X86_LargePageObject, {22, 21, 0, 0, 0, 0}},
    {seL4_X86_PageTableObject, {12, 12, 0, 0, 0, 0}},
    {seL4_X86_PageDirectoryObject, {12, 12, 0, 0, 0, 0}},
    {seL4_X86_PDPTObject, {0, 12, 0, 0, 0, 0}},
    {seL4_X64_PML4Object, {0, 12, 0, 0, 0, 0}},
    {seL4_ARM_SmallPageObject, {0, 0, 12, 12, 0, 0}},
    {seL4_ARM_LargePageObject, {0, 0, 16, 21, 0, 0}},
    {seL4_ARM_SectionObject, {0, 0, 20, 0, 0, 0}},
    {seL4_ARM_PageTableObject, {0, 0, 10, 12, 0, 0}},
    {seL4_ARM_PageDirectoryObject, {0, 0, 14, 0, 0, 0}},
    {seL4_ARM_VSpaceObject, {0, 0, 0, 12, 0, 0}},
    {seL4_RISCV_4K_Page, {0, 0, 0, 0, 12, 12}},
    {seL4_RISCV_Mega_Page, {0, 0, 0, 0, 22, 21}},
    {seL4_RISCV_PageTableObject, {0, 0, 0, 0, 12, 12}},
};

static seL4_Word watermark(seL4_CPtr ut)
{
    sel4sim_untyped_info u;
    CHECK_EQ(sel4sim_untyped(ut, &u), seL4_NoError);
    return u.watermark;
}

static void test_sizes(vs_arch_id arch)
{
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned bits = sizes[i].bits[arch];
        seL4_CPtr ut = t_retype(seL4_UntypedObject, bits > 16 ? bits : 16);
        seL4_Error e = seL4_Untyped_Retype(ut, sizes[i].type, 0, ROOT, 0, 0, t_slot(), 1);
        if (bits == 0) {
            CHECK_EQ(e, seL4_InvalidArgument); /* not this architecture's type */
            CHECK_EQ(seL4_GetMR(0), 0);
            continue;
        }
        CHECK_EQ(e, seL4_NoError);
        CHECK_EQ(watermark(ut), (seL4_Word)1 << bits);
    }
    seL4_CPtr ut = t_retype(seL4_UntypedObject, 16);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_CapTableObject, 4, ROOT, 0, 0, t_slot(), 1), seL4_NoError);
    CHECK_EQ(watermark(ut), (seL4_Word)16 << (vs_arch_get(arch)->word_bits == 64 ? 5 : 4));
}

/* Objects are aligned to their size; the watermark only grows. */
static void test_alignment(void)
{
    seL4_CPtr ut = t_retype(seL4_UntypedObject, 16), ep = t_slot(), f = t_slot();
    sel4sim_untyped_info u;
    t_slot(); /* f + 1 */
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, ROOT, 0, 0, ep, 1), seL4_NoError);
    CHECK_EQ(seL4_Untyped_Retype(ut, t_frame_type(0), 0, ROOT, 0, 0, f, 2), seL4_NoError);
    CHECK_EQ(sel4sim_untyped(ut, &u), seL4_NoError);
    CHECK_EQ(t_frame_paddr(f), u.paddr + 0x1000);
    CHECK_EQ(t_frame_paddr(f + 1), u.paddr + 0x2000);
    CHECK_EQ(u.watermark, 0x3000);
    CHECK(u.has_children);
}

static void test_errors(void)
{
    seL4_CPtr ut = t_retype(seL4_UntypedObject, 13), s = t_slot();
    CHECK_EQ(seL4_Untyped_Retype(ut, t_frame_type(0), 0, ROOT, 0, 0, s, 3), seL4_NotEnoughMemory);
    CHECK_EQ(seL4_GetMR(0), 0x2000);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_ObjectTypeCount, 0, ROOT, 0, 0, s, 1), seL4_InvalidArgument);
    CHECK_EQ(seL4_GetMR(0), 0);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_UntypedObject, 3, ROOT, 0, 0, s, 1), seL4_InvalidArgument);
    CHECK_EQ(seL4_GetMR(0), 1);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_CapTableObject, 0, ROOT, 0, 0, s, 1), seL4_InvalidArgument);
    CHECK_EQ(seL4_GetMR(0), 1);
    seL4_Word max = vs_arch_get(sel4sim_arch())->word_bits == 32 ? 29 : sel4sim_arch() == VS_ARCH_RISCV64 ? 38 : 47;
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_UntypedObject, max + 1, ROOT, 0, 0, s, 1), seL4_RangeError);
    CHECK_EQ(seL4_GetMR(0), 0);
    CHECK_EQ(seL4_GetMR(1), max);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, ROOT, 0, 0, 4096, 1), seL4_RangeError);
    CHECK_EQ(seL4_GetMR(1), 4095);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, ROOT, 0, 0, s, 0), seL4_RangeError);
    CHECK_EQ(seL4_GetMR(0), 1);
    CHECK_EQ(seL4_GetMR(1), 256);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, ROOT, 0, 0, 4090, 10), seL4_RangeError);
    CHECK_EQ(seL4_GetMR(1), 6);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, ROOT, 0, 0, ut, 1), seL4_DeleteFirst);
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, seL4_CapInitThreadTCB, 0, 0, s, 1), seL4_FailedLookup);
    CHECK_EQ(seL4_GetMR(1), seL4_MissingCapability);
    CHECK_EQ(seL4_Untyped_Retype(seL4_CapInitThreadTCB, seL4_EndpointObject, 0, ROOT, 0, 0, s, 1),
             seL4_IllegalOperation);
    CHECK_EQ(watermark(ut), 0); /* nothing above changed anything */
}

/* Revoking returns the memory: the same addresses come out again. */
static void test_revoke(const seL4_BootInfo *bi)
{
    seL4_CPtr ut = t_retype(seL4_UntypedObject, 16), f = t_slot();
    size_t live = sel4sim_live_objects();
    for (int i = 0; i < 3; i++) {
        t_slot(); /* f + 1 .. f + 3 */
    }
    CHECK_EQ(seL4_Untyped_Retype(ut, t_frame_type(0), 0, ROOT, 0, 0, f, 4), seL4_NoError);
    seL4_Word first = t_frame_paddr(f);
    CHECK_EQ(sel4sim_live_objects(), live + 4);
    CHECK_EQ(seL4_CNode_Revoke(ROOT, ut, seL4_WordBits), seL4_NoError);
    CHECK_EQ(sel4sim_live_objects(), live);
    CHECK_EQ(watermark(ut), 0);
    CHECK_EQ(seL4_Untyped_Retype(ut, t_frame_type(0), 0, ROOT, 0, 0, f, 1), seL4_NoError);
    CHECK_EQ(t_frame_paddr(f), first);
    for (seL4_Word u = bi->untyped.start; u < bi->untyped.end; u++) {
        CHECK_EQ(seL4_CNode_Revoke(ROOT, u, seL4_WordBits), seL4_NoError);
        CHECK_EQ(watermark(u), 0);
    }
    CHECK_EQ(sel4sim_free_slots(), bi->empty.end - bi->empty.start + (sel4sim_arch() <= VS_ARCH_X86_64 ? 6 : 7));
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        const seL4_BootInfo *bi = t_boot(simtest_archs[i], 64u << 20);
        if (bi == NULL) {
            continue;
        }
        test_sizes(simtest_archs[i]);
        test_alignment();
        test_errors();
        test_revoke(bi);
    }
    return simtest_done("sim_retype");
}
