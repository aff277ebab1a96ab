/* Untyped_Retype (Reference Manual 2.4 "Kernel Memory Allocation", 2.4.2
 * "Summary of Object Sizes", and the Untyped method's errors): sizes per
 * architecture, alignment to the object size above the watermark,
 * seL4_NotEnoughMemory with the bytes left, argument and range errors, and
 * the watermark back to zero once the children are gone. */
#include <string.h>

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

/* The largest boot untyped (the first of that size). */
static seL4_CPtr largest_untyped(const seL4_BootInfo *bi, sel4sim_untyped_info *info)
{
    seL4_CPtr best = 0;
    for (seL4_CPtr u = bi->untyped.start; u < bi->untyped.end; u++) {
        sel4sim_untyped_info i;
        CHECK_EQ(sel4sim_untyped(u, &i), seL4_NoError);
        if (best == 0 || i.size_bits > info->size_bits) {
            best = u;
            *info = i;
        }
    }
    return best;
}

/* Fills [paddr, paddr + bytes) with 0xa5, a MiB at a time. */
static void scribble(seL4_Word paddr, uint64_t bytes)
{
    static uint8_t mib[1u << 20];
    memset(mib, 0xa5, sizeof mib);
    for (uint64_t off = 0; off < bytes; off += sizeof mib) {
        uint64_t n = bytes - off < sizeof mib ? bytes - off : sizeof mib;
        CHECK_EQ(sel4sim_phys_write(paddr + off, mib, (size_t)n), 0);
    }
}

/* After one byte is written into it (so every page of the object counts as
 * written), [paddr, paddr + bytes) holds zero but for that byte. */
static void check_zeroed(seL4_Word paddr, uint64_t bytes)
{
    static uint8_t page[4096];
    const uint8_t one = 1;
    uint64_t nonzero = 0;
    for (uint64_t off = 0; off < bytes; off += 4096) {
        CHECK_EQ(sel4sim_phys_write(paddr + off + 8, &one, 1), 0);
        size_t n = bytes - off < sizeof page ? (size_t)(bytes - off) : sizeof page;
        CHECK_EQ(sel4sim_phys_read(paddr + off, page, n), 0);
        for (size_t i = 0; i < n; i++) {
            nonzero += page[i] != (i == 8 ? 1 : 0);
        }
    }
    CHECK_EQ(nonzero, 0);
}

/* New objects are zero over memory written before, whether the simulator
 * zeroes it in place (a machine holding little written memory) or hands it
 * back to the host (one holding more than 32 MiB): an endpoint (part of a
 * page), small frames, then large frames over 40 MiB written. */
static void test_zeroed(void)
{
    const seL4_BootInfo *bi = t_boot(VS_ARCH_X86_64, 256u << 20);
    if (bi == NULL) {
        return;
    }
    sel4sim_untyped_info info = {0};
    seL4_CPtr ut = largest_untyped(bi, &info);
    CHECK(info.size_bits >= 26);
    scribble(info.paddr, 1u << 20);
    seL4_CPtr slot = t_slot();
    CHECK_EQ(seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, ROOT, 0, 0, slot, 1), seL4_NoError);
    check_zeroed(info.paddr, 16);
    for (int i = 0; i < 8; i++) {
        slot = t_slot();
        CHECK_EQ(seL4_Untyped_Retype(ut, seL4_X86_4K, 0, ROOT, 0, 0, slot, 1), seL4_NoError);
        seL4_Word paddr = 0;
        CHECK_EQ(sel4sim_cap_paddr(slot, &paddr), seL4_NoError);
        check_zeroed(paddr, 4096);
    }
    CHECK_EQ(seL4_CNode_Revoke(ROOT, ut, seL4_WordBits), seL4_NoError);
    scribble(info.paddr, 40u << 20);
    for (int i = 0; i < 20; i++) {
        slot = t_slot();
        CHECK_EQ(seL4_Untyped_Retype(ut, seL4_X86_LargePageObject, 0, ROOT, 0, 0, slot, 1), seL4_NoError);
        seL4_Word paddr = 0;
        CHECK_EQ(sel4sim_cap_paddr(slot, &paddr), seL4_NoError);
        check_zeroed(paddr, 2u << 20);
    }
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
    test_zeroed();
    return simtest_done("sim_retype");
}
