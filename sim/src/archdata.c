/* Per-architecture facts the model needs beyond include/vs/arch.h, as
 * data: object sizes and types (seL4 13.0 libsel4 constants), ASID
 * geometry, where RAM starts, the user-address limits each kernel checks,
 * and the two behaviour switches that differ between kernels. */
#include "internal.h"

enum { KB4 = 12 };

static const sim_objtype ia32_types[] = {
    {seL4_X86_4K, K_FRAME, KB4, 0},
    {seL4_X86_LargePageObject, K_FRAME, 22, 1},
    {seL4_X86_PageTableObject, K_TABLE, KB4, 1},
    {seL4_X86_PageDirectoryObject, K_ROOT, KB4, 0},
};

static const sim_objtype x86_64_types[] = {
    {seL4_X86_4K, K_FRAME, KB4, 0},
    {seL4_X86_LargePageObject, K_FRAME, 21, 1},
    {seL4_X64_HugePageObject, K_FRAME, 30, 2},
    {seL4_X86_PageTableObject, K_TABLE, KB4, 3},
    {seL4_X86_PageDirectoryObject, K_TABLE, KB4, 2},
    {seL4_X86_PDPTObject, K_TABLE, KB4, 1},
    {seL4_X64_PML4Object, K_ROOT, KB4, 0},
};

/* aarch32 without hypervisor support: 1 KiB second-level tables and a
 * 16 KiB first-level table (seL4_PageTableBits 10, seL4_PageDirBits 14). */
static const sim_objtype aarch32_types[] = {
    {seL4_ARM_SmallPageObject, K_FRAME, KB4, 0}, {seL4_ARM_LargePageObject, K_FRAME, 16, 1},
    {seL4_ARM_SectionObject, K_FRAME, 20, 2},    {seL4_ARM_SuperSectionObject, K_FRAME, 24, 3},
    {seL4_ARM_PageTableObject, K_TABLE, 10, 1},  {seL4_ARM_PageDirectoryObject, K_ROOT, 14, 0},
};

/* aarch64 since seL4 13.0: one page-table type for every level below the
 * VSpace object. */
static const sim_objtype aarch64_types[] = {
    {seL4_ARM_SmallPageObject, K_FRAME, KB4, 0}, {seL4_ARM_LargePageObject, K_FRAME, 21, 1},
    {seL4_ARM_HugePageObject, K_FRAME, 30, 2},   {seL4_ARM_PageTableObject, K_TABLE, KB4, -1},
    {seL4_ARM_VSpaceObject, K_ROOT, KB4, 0},
};

/* RISC-V: a page table becomes a vspace root by being assigned an ASID. */
static const sim_objtype riscv32_types[] = {
    {seL4_RISCV_4K_Page, K_FRAME, KB4, 0},
    {seL4_RISCV_Mega_Page, K_FRAME, 22, 1},
    {seL4_RISCV_PageTableObject, K_TABLE, KB4, -1},
};

static const sim_objtype riscv64_types[] = {
    {seL4_RISCV_4K_Page, K_FRAME, KB4, 0},
    {seL4_RISCV_Mega_Page, K_FRAME, 21, 1},
    {seL4_RISCV_Giga_Page, K_FRAME, 30, 2},
    {seL4_RISCV_PageTableObject, K_TABLE, KB4, -1},
};

#define TYPES(t) (t), (uint8_t)(sizeof(t) / sizeof((t)[0]))

/* frame_last: x86 refuses a frame whose end passes seL4_UserTop; aarch64's
 * seL4_UserTop is itself the last usable address; RISC-V and aarch32 refuse
 * a last byte at or above it. table_last: PageTable_Map's bound. The x86
 * kernels round the address down to the table's reach and refuse only an
 * address above the kernel's USER_TOP (0xe0000000 on ia32, 2^47 - 1 on
 * x86_64), so a table at seL4_UserTop gets as far as the walk; aarch64
 * refuses above 2^47 - 1 (rounding changes nothing there); aarch32 and
 * RISC-V refuse at or above seL4_UserTop. kernel_window: on ia32 and
 * aarch32 the kernel copies its own mappings into the top-level entries
 * from 0xe0000000 up of every new vspace root. */
static const sim_arch arch_data[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] =
        {
            .id = VS_ARCH_IA32,
            .family = FAM_X86,
            .pte = &sim_pte_x86_32,
            .ram_base = 0x100000u,
            .slot_bits = 4,
            .tcb_bits = 11,
            .endpoint_bits = 4,
            .notification_bits = 4,
            .ipc_buffer_bits = 9,
            .asid_low_bits = 10,
            .asid_pool_bits = 2,
            .max_untyped_bits = 29,
            .frame_last = 0xdfffffffu,
            .table_last = 0xe0000000u,
            .table_round = true,
            .kernel_window = 0xe0000000u,
            .va_bits = 32,
            .generic_walk = false,
            .refuse_remap = false,
            .walk_first = false,
            .types = TYPES(ia32_types),
        },
    [VS_ARCH_X86_64] =
        {
            .id = VS_ARCH_X86_64,
            .family = FAM_X86,
            .pte = &sim_pte_x86_64,
            .ram_base = 0x100000u,
            .slot_bits = 5,
            .tcb_bits = 11,
            .endpoint_bits = 4,
            .notification_bits = 5,
            .ipc_buffer_bits = 10,
            .asid_low_bits = 9,
            .asid_pool_bits = 3,
            .max_untyped_bits = 47,
            .frame_last = 0x7fffffffefffull,
            .table_last = 0x7fffffffffffull,
            .table_round = true,
            .kernel_window = 0,
            .va_bits = 47,
            .generic_walk = false,
            .refuse_remap = false,
            .walk_first = false,
            .types = TYPES(x86_64_types),
        },
    [VS_ARCH_AARCH32] =
        {
            .id = VS_ARCH_AARCH32,
            .family = FAM_ARM,
            .pte = &sim_pte_armv7,
            .ram_base = 0x40000000u,
            .slot_bits = 4,
            .tcb_bits = 10,
            .endpoint_bits = 4,
            .notification_bits = 4,
            .ipc_buffer_bits = 9,
            .asid_low_bits = 10,
            .asid_pool_bits = 7,
            .max_untyped_bits = 29,
            .frame_last = 0xdfffffffu,
            .table_last = 0xdfffffffu,
            .table_round = false,
            .kernel_window = 0xe0000000u,
            .va_bits = 32,
            .generic_walk = false,
            .refuse_remap = false,
            .walk_first = false,
            .types = TYPES(aarch32_types),
        },
    [VS_ARCH_AARCH64] =
        {
            .id = VS_ARCH_AARCH64,
            .family = FAM_ARM,
            .pte = &sim_pte_armv8,
            .ram_base = 0x40000000u,
            .slot_bits = 5,
            .tcb_bits = 11,
            .endpoint_bits = 4,
            .notification_bits = 5,
            .ipc_buffer_bits = 10,
            .asid_low_bits = 9,
            .asid_pool_bits = 7,
            .max_untyped_bits = 47,
            .frame_last = 0x7fffffffffffull,
            .table_last = 0x7fffffffffffull,
            .table_round = false,
            .kernel_window = 0,
            .va_bits = 48,
            .generic_walk = true,
            .refuse_remap = false,
            .walk_first = false,
            .types = TYPES(aarch64_types),
        },
    [VS_ARCH_RISCV32] =
        {
            .id = VS_ARCH_RISCV32,
            .family = FAM_RISCV,
            .pte = &sim_pte_sv32,
            .ram_base = 0x80000000u,
            .slot_bits = 4,
            .tcb_bits = 9,
            .endpoint_bits = 4,
            .notification_bits = 4,
            .ipc_buffer_bits = 9,
            .asid_low_bits = 4,
            .asid_pool_bits = 5,
            .max_untyped_bits = 29,
            .frame_last = 0x7fffffffu,
            .table_last = 0x7fffffffu,
            .table_round = false,
            .kernel_window = 0,
            .va_bits = 32,
            .generic_walk = true,
            .refuse_remap = true,
            .walk_first = true,
            .types = TYPES(riscv32_types),
        },
    [VS_ARCH_RISCV64] =
        {
            .id = VS_ARCH_RISCV64,
            .family = FAM_RISCV,
            .pte = &sim_pte_sv39,
            .ram_base = 0x80000000u,
            .slot_bits = 5,
            .tcb_bits = 11,
            .endpoint_bits = 4,
            .notification_bits = 5,
            .ipc_buffer_bits = 10,
            .asid_low_bits = 9,
            .asid_pool_bits = 7,
            .max_untyped_bits = 38,
            .frame_last = 0x3fffffefffull,
            .table_last = 0x3fffffefffull,
            .table_round = false,
            .kernel_window = 0,
            .va_bits = 38,
            .generic_walk = true,
            .refuse_remap = true,
            .walk_first = true,
            .types = TYPES(riscv64_types),
        },
};

const sim_arch *sim_arch_data(vs_arch_id id)
{
    if ((unsigned)id >= VS_ARCH_COUNT) {
        return NULL;
    }
    return &arch_data[id];
}

/* The booted architecture's entry for an architecture-specific type, or
 * NULL (also for the non-architecture types). */
const sim_objtype *sim_objtype_find(seL4_Word type)
{
    const sim_arch *sa = sim.sa;
    for (unsigned i = 0; i < sa->ntypes; i++) {
        if (sa->types[i].type == type) {
            return &sa->types[i];
        }
    }
    return NULL;
}
