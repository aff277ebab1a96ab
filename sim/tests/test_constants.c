/* libsel4's per-architecture constants, which the simulator resolves for
 * the booted machine. Expected values are libsel4 13.0's (sel4_arch and
 * arch constants.h of each architecture), written here independently. */
#include "simtest.h"

typedef struct expected_constants {
    seL4_Word user_top;
    seL4_Word page_table_bits;
    seL4_Word page_table_index_bits;
    seL4_Word large_page_bits;
    seL4_Word huge_page_bits; /* 0: not defined there */
    seL4_Word section_bits;   /* aarch32 only */
    seL4_Word super_section_bits;
    seL4_Word slot_bits;
} expected_constants;

static const expected_constants expected[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] = {0xe0000000u, 12, 10, 22, 0, 0, 0, 4},
    [VS_ARCH_X86_64] = {0x00007ffffffff000ull, 12, 9, 21, 30, 0, 0, 5},
    [VS_ARCH_AARCH32] = {0xe0000000u, 10, 8, 16, 0, 20, 24, 4},
    [VS_ARCH_AARCH64] = {0x00007fffffffffffull, 12, 9, 21, 30, 0, 0, 5},
    [VS_ARCH_RISCV32] = {0x80000000u, 12, 10, 22, 0, 0, 0, 4},
    [VS_ARCH_RISCV64] = {0x0000003ffffff000ull, 12, 9, 21, 30, 0, 0, 5},
};

static void check_arch(vs_arch_id arch)
{
    const expected_constants *e = &expected[arch];
    t_boot(arch, (uint64_t)16 << 20);
    CHECK_EQ(seL4_UserTop, e->user_top);
    CHECK_EQ(seL4_PageTableBits, e->page_table_bits);
    CHECK_EQ(seL4_PageTableIndexBits, e->page_table_index_bits);
    CHECK_EQ(seL4_LargePageBits, e->large_page_bits);
    CHECK_EQ(seL4_HugePageBits, e->huge_page_bits);
    CHECK_EQ(seL4_SectionBits, e->section_bits);
    CHECK_EQ(seL4_SuperSectionBits, e->super_section_bits);
    CHECK_EQ(seL4_SlotBits, e->slot_bits);
    /* A page table retyped with the constant's size is exactly that big. */
    CHECK_EQ(sel4sim_object_size_bits(t_table_type(t_num_levels() - 1), 0), seL4_PageTableBits);
    sel4sim_shutdown();
    CHECK_EQ(seL4_UserTop, 0); /* nothing booted */
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        check_arch(simtest_archs[i]);
    }
    return simtest_done("sim_constants");
}
