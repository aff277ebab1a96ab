/* Boot: initial caps in the manual's slots, untypeds covering free RAM as
 * power-of-two aligned blocks, the empty-slot region, the initial thread's
 * IPC buffer and boot info mapped (Reference Manual, "System
 * Bootstrapping": "Initial Thread's Environment", "BootInfo Frame"). */
#include "simtest.h"

#define MIB ((uint64_t)1 << 20)

/* libsel4 13.0's seL4_UserTop per architecture (sel4_arch constants.h). */
static const seL4_Word user_top[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] = 0xe0000000u,    [VS_ARCH_X86_64] = 0x00007ffffffff000ull,
    [VS_ARCH_AARCH32] = 0xe0000000u, [VS_ARCH_AARCH64] = 0x00007fffffffffffull,
    [VS_ARCH_RISCV32] = 0x80000000u, [VS_ARCH_RISCV64] = 0x0000003ffffff000ull,
};

static void check_untypeds(const seL4_BootInfo *bi, uint64_t ram)
{
    uint64_t total = 0;
    seL4_Word prev_end = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        seL4_Word size = (seL4_Word)1 << d->sizeBits;
        sel4sim_untyped_info info;
        CHECK_EQ(d->paddr & (size - 1), 0); /* aligned to its size */
        CHECK(d->paddr >= prev_end);        /* ascending, disjoint */
        CHECK(d->paddr + size <= sel4sim_phys_base() + ram);
        CHECK(d->sizeBits >= seL4_MinUntypedBits);
        CHECK_EQ(sel4sim_untyped(bi->untyped.start + i, &info), seL4_NoError);
        CHECK_EQ(info.paddr, d->paddr);
        CHECK_EQ(info.size_bits, d->sizeBits);
        CHECK_EQ(info.watermark, 0);
        prev_end = d->paddr + size;
        total += size;
    }
    /* Boot objects take well under 1 MiB; the rest is untyped. */
    CHECK(total > ram - MIB && total <= ram);
}

static void check_initial_caps(const seL4_BootInfo *bi)
{
    static const seL4_CPtr object_caps[] = {seL4_CapInitThreadTCB,    seL4_CapInitThreadCNode,
                                            seL4_CapInitThreadVSpace, seL4_CapInitThreadASIDPool,
                                            seL4_CapBootInfoFrame,    seL4_CapInitThreadIPCBuffer};
    seL4_Word paddr;
    for (unsigned i = 0; i < sizeof(object_caps) / sizeof(object_caps[0]); i++) {
        CHECK_EQ(sel4sim_cap_paddr(object_caps[i], &paddr), seL4_NoError);
    }
    CHECK_EQ(sel4sim_cap_paddr(seL4_CapNull, &paddr), seL4_InvalidCapability);
    CHECK_EQ(bi->empty.end, (seL4_Word)1 << bi->initThreadCNodeSizeBits);
    CHECK_EQ(bi->empty.start, bi->untyped.end);
    /* Empty besides the region: slot 0, IOSpace (no IOMMU), the SMMU, SC and
     * SMC caps, and IOPortControl except on x86. */
    seL4_Word null_initial = sel4sim_arch() <= VS_ARCH_X86_64 ? 6 : 7;
    CHECK_EQ(sel4sim_free_slots(), bi->empty.end - bi->empty.start + null_initial);
    CHECK_EQ(bi->userImagePaging.end - bi->userImagePaging.start, (seL4_Word)t_num_levels() - 1);
}

static void check_thread(const seL4_BootInfo *bi)
{
    sel4sim_tcb_info tcb;
    CHECK(bi->ipcBuffer == seL4_GetIPCBuffer());
    CHECK_EQ(bi->nodeID, 0);
    CHECK_EQ(bi->numNodes, 1);
    CHECK_EQ(bi->initThreadCNodeSizeBits, 12);
    CHECK_EQ(sel4sim_tcb(seL4_CapInitThreadTCB, &tcb), seL4_NoError);
    CHECK(tcb.has_cspace && tcb.has_vspace && tcb.has_ipc_buffer);
    CHECK_EQ(tcb.ipc_buffer_addr, sel4sim_ipc_buffer_vaddr());
    sel4sim_translation t = t_translate(seL4_CapInitThreadVSpace, sel4sim_ipc_buffer_vaddr() + 8);
    CHECK(t.found && t.read && t.write && t.user);
    CHECK_EQ(t.paddr, t_frame_paddr(seL4_CapInitThreadIPCBuffer) + 8);
    CHECK_EQ(t.size_bits, 12);
    t = t_translate(seL4_CapInitThreadVSpace, sel4sim_bootinfo_vaddr());
    CHECK_EQ(t.paddr, t_frame_paddr(seL4_CapBootInfoFrame));
    /* The boot info frame holds the structure the kernel returned. */
    seL4_Word first[2];
    CHECK_EQ(sel4sim_phys_read(t.paddr, first, sizeof(first)), 0);
    CHECK_EQ(first[1], bi->nodeID);
}

static void test_arch(vs_arch_id arch)
{
    uint64_t ram = 64 * MIB;
    const seL4_BootInfo *bi = t_boot(arch, ram);
    if (bi == NULL) {
        return;
    }
    CHECK_EQ(sel4sim_arch(), arch);
    CHECK_EQ(sel4sim_user_top(), user_top[arch]);
    CHECK_EQ(sel4sim_phys_size(), ram);
    check_untypeds(bi, ram);
    check_initial_caps(bi);
    check_thread(bi);
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_arch(simtest_archs[i]);
    }
    /* A second boot replaces the first; bad requests boot nothing. */
    t_boot(VS_ARCH_RISCV64, 8 * MIB);
    CHECK_EQ(sel4sim_arch(), VS_ARCH_RISCV64);
    CHECK(sel4sim_boot((vs_arch_id)99, 8 * MIB) == NULL);
    CHECK(sel4sim_boot(VS_ARCH_X86_64, 4096) == NULL);
    CHECK(sel4sim_boot(VS_ARCH_IA32, (uint64_t)8 << 30) == NULL); /* above 4 GiB */
    CHECK_EQ(sel4sim_live_objects(), 0);
    return simtest_done("sim_boot");
}
