/* aarch32 and aarch64 for the seL4 backend, with libsel4 13's object set:
 * aarch32 has a PageDirectory root and PageTables; aarch64 a VSpace root and
 * PageTable objects at every other level, all mapped with PageTable_Map.
 * Arm libsel4 offers cached (PageCacheable) or uncached (no attribute) but
 * no write-combining attribute; write-combining only permits the hardware
 * to relax ordering, so uncached, which promises more, stands in for it. */
#include "be_arch.h"
#include "be_config.h"

#if defined(BE_HAVE_AARCH32) || defined(BE_HAVE_AARCH64)

static seL4_Error arm_map_page(seL4_CPtr frame, seL4_CPtr root, seL4_Word vaddr, seL4_CapRights_t rights,
                               seL4_Word attr)
{
    return seL4_ARM_Page_Map(frame, root, vaddr, rights, (seL4_ARM_VMAttributes)attr);
}

static seL4_Error arm_unmap_page(seL4_CPtr frame)
{
    return seL4_ARM_Page_Unmap(frame);
}

static seL4_Error arm_page_paddr(seL4_CPtr frame, seL4_Word *paddr)
{
    seL4_ARM_Page_GetAddress_t r = seL4_ARM_Page_GetAddress(frame);
    *paddr = r.paddr;
    return (seL4_Error)r.error;
}

static seL4_Error arm_map_pt(seL4_CPtr table, seL4_CPtr root, seL4_Word vaddr, seL4_Word attr)
{
    return seL4_ARM_PageTable_Map(table, root, vaddr, (seL4_ARM_VMAttributes)attr);
}

static seL4_Error arm_unmap_pt(seL4_CPtr table)
{
    return seL4_ARM_PageTable_Unmap(table);
}

static seL4_Error arm_assign(seL4_CPtr pool, seL4_CPtr root)
{
    return seL4_ARM_ASIDPool_Assign(pool, root);
}

/* Uncached (and write-combining) is the absence of seL4_ARM_PageCacheable. */
#define ARM_COMMON                                                                                                     \
    .map_page = arm_map_page, .unmap_page = arm_unmap_page, .page_paddr = arm_page_paddr, .asid_assign = arm_assign,   \
    .table_attr = seL4_ARM_Default_VMAttributes, .cache_attr = {seL4_ARM_Default_VMAttributes, 0, 0},                  \
    .cache_ok = {1, 1, 1}, .execute_never = seL4_ARM_ExecuteNever, .missing_level_delta = 1

#endif

#ifdef BE_HAVE_AARCH32
/* Levels: PD (root), PT. Pages: 4K and 64K in a PT, 1M sections and 16M
 * supersections in the PD. */
const be_arch be_arch_aarch32 = {
    .id = VS_ARCH_AARCH32,
    .frame_type = {seL4_ARM_SmallPageObject, seL4_ARM_LargePageObject, seL4_ARM_SectionObject,
                   seL4_ARM_SuperSectionObject},
    .table_type = {seL4_ARM_PageDirectoryObject, seL4_ARM_PageTableObject},
    .table_bits = {14, 10}, /* seL4_PageDirBits, seL4_PageTableBits (no hypervisor) */
    .map_table = {NULL, arm_map_pt},
    .unmap_table = {NULL, arm_unmap_pt},
    ARM_COMMON,
};
#endif

#ifdef BE_HAVE_AARCH64
/* Levels: VSpace (root), then three PageTable levels. Pages: 4K, 2M, 1G. */
const be_arch be_arch_aarch64 = {
    .id = VS_ARCH_AARCH64,
    .frame_type = {seL4_ARM_SmallPageObject, seL4_ARM_LargePageObject, seL4_ARM_HugePageObject},
    .table_type = {seL4_ARM_VSpaceObject, seL4_ARM_PageTableObject, seL4_ARM_PageTableObject, seL4_ARM_PageTableObject},
    .table_bits = {12, 12, 12, 12},
    .map_table = {NULL, arm_map_pt, arm_map_pt, arm_map_pt},
    .unmap_table = {NULL, arm_unmap_pt, arm_unmap_pt, arm_unmap_pt},
    ARM_COMMON,
};
#endif

/* Keeps the translation unit non-empty where none of its arches is configured. */
typedef int be_arch_arm_unit;
