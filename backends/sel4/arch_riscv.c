/* riscv32 (Sv32) and riscv64 (Sv39) for the seL4 backend. Every level,
 * the root included, is a PageTable object. RISC-V page-table entries carry
 * no cacheability (the platform's physical memory attributes decide), so
 * every vs_cache maps to the default attributes. */
#include "be_arch.h"
#include "be_config.h"

#if defined(BE_HAVE_RISCV32) || defined(BE_HAVE_RISCV64)

static seL4_Error riscv_map_page(seL4_CPtr frame, seL4_CPtr root, seL4_Word vaddr, seL4_CapRights_t rights,
                                 seL4_Word attr)
{
    return seL4_RISCV_Page_Map(frame, root, vaddr, rights, (seL4_RISCV_VMAttributes)attr);
}

static seL4_Error riscv_unmap_page(seL4_CPtr frame)
{
    return seL4_RISCV_Page_Unmap(frame);
}

static seL4_Error riscv_page_paddr(seL4_CPtr frame, seL4_Word *paddr)
{
    seL4_RISCV_Page_GetAddress_t r = seL4_RISCV_Page_GetAddress(frame);
    *paddr = r.paddr;
    return (seL4_Error)r.error;
}

static seL4_Error riscv_map_pt(seL4_CPtr table, seL4_CPtr root, seL4_Word vaddr, seL4_Word attr)
{
    return seL4_RISCV_PageTable_Map(table, root, vaddr, (seL4_RISCV_VMAttributes)attr);
}

static seL4_Error riscv_unmap_pt(seL4_CPtr table)
{
    return seL4_RISCV_PageTable_Unmap(table);
}

static seL4_Error riscv_assign(seL4_CPtr pool, seL4_CPtr root)
{
    return seL4_RISCV_ASIDPool_Assign(pool, root);
}

#define RISCV_COMMON                                                                                                   \
    .map_page = riscv_map_page, .unmap_page = riscv_unmap_page, .page_paddr = riscv_page_paddr,                        \
    .asid_assign = riscv_assign, .table_attr = seL4_RISCV_Default_VMAttributes,                                        \
    .cache_attr = {seL4_RISCV_Default_VMAttributes, seL4_RISCV_Default_VMAttributes, seL4_RISCV_Default_VMAttributes}, \
    .cache_ok = {1, 1, 1}, .execute_never = seL4_RISCV_ExecuteNever, .missing_level_delta = 1

#endif

#ifdef BE_HAVE_RISCV32
/* Levels: L1 (root), L0. Pages: 4K, 4M megapages. */
const be_arch be_arch_riscv32 = {
    .id = VS_ARCH_RISCV32,
    .frame_type = {seL4_RISCV_4K_Page, seL4_RISCV_Mega_Page},
    .table_type = {seL4_RISCV_PageTableObject, seL4_RISCV_PageTableObject},
    .table_bits = {12, 12},
    .map_table = {NULL, riscv_map_pt},
    .unmap_table = {NULL, riscv_unmap_pt},
    RISCV_COMMON,
};
#endif

#ifdef BE_HAVE_RISCV64
/* Levels: L2 (root), L1, L0. Pages: 4K, 2M megapages, 1G gigapages. */
const be_arch be_arch_riscv64 = {
    .id = VS_ARCH_RISCV64,
    .frame_type = {seL4_RISCV_4K_Page, seL4_RISCV_Mega_Page, seL4_RISCV_Giga_Page},
    .table_type = {seL4_RISCV_PageTableObject, seL4_RISCV_PageTableObject, seL4_RISCV_PageTableObject},
    .table_bits = {12, 12, 12},
    .map_table = {NULL, riscv_map_pt, riscv_map_pt},
    .unmap_table = {NULL, riscv_unmap_pt, riscv_unmap_pt},
    RISCV_COMMON,
};
#endif

/* Keeps the translation unit non-empty where none of its arches is configured. */
typedef int be_arch_riscv_unit;
