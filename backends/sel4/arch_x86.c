/* ia32 and x86_64 for the seL4 backend. x86 libsel4 has no execute-never
 * VM attribute, so VS_RIGHT_EXEC cannot be withheld there: every readable
 * page is executable (docs/sel4-backend.md). */
#include "be_arch.h"
#include "be_config.h"

#if defined(BE_HAVE_IA32) || defined(BE_HAVE_X86_64)

static seL4_Error x86_map_page(seL4_CPtr frame, seL4_CPtr root, seL4_Word vaddr, seL4_CapRights_t rights,
                               seL4_Word attr)
{
    return seL4_X86_Page_Map(frame, root, vaddr, rights, (seL4_X86_VMAttributes)attr);
}

static seL4_Error x86_unmap_page(seL4_CPtr frame)
{
    return seL4_X86_Page_Unmap(frame);
}

static seL4_Error x86_page_paddr(seL4_CPtr frame, seL4_Word *paddr)
{
    seL4_X86_Page_GetAddress_t r = seL4_X86_Page_GetAddress(frame);
    *paddr = r.paddr;
    return (seL4_Error)r.error;
}

static seL4_Error x86_map_pt(seL4_CPtr table, seL4_CPtr root, seL4_Word vaddr, seL4_Word attr)
{
    return seL4_X86_PageTable_Map(table, root, vaddr, (seL4_X86_VMAttributes)attr);
}

static seL4_Error x86_unmap_pt(seL4_CPtr table)
{
    return seL4_X86_PageTable_Unmap(table);
}

static seL4_Error x86_assign(seL4_CPtr pool, seL4_CPtr root)
{
    return seL4_X86_ASIDPool_Assign(pool, root);
}

#define X86_CACHE_ATTRS                                                                                                \
    .cache_attr = {seL4_X86_Default_VMAttributes, seL4_X86_CacheDisabled, seL4_X86_WriteCombining},                    \
    .cache_ok = {1, 1, 1}

#endif

#ifdef BE_HAVE_IA32
/* Levels: PD (root), PT. Pages: 4K in a PT, 4M in the PD. */
const be_arch be_arch_ia32 = {
    .id = VS_ARCH_IA32,
    .frame_type = {seL4_X86_4K, seL4_X86_LargePageObject},
    .table_type = {seL4_X86_PageDirectoryObject, seL4_X86_PageTableObject},
    .table_bits = {12, 12},
    .map_page = x86_map_page,
    .unmap_page = x86_unmap_page,
    .page_paddr = x86_page_paddr,
    .map_table = {NULL, x86_map_pt},
    .unmap_table = {NULL, x86_unmap_pt},
    .asid_assign = x86_assign,
    .table_attr = seL4_X86_Default_VMAttributes,
    X86_CACHE_ATTRS,
    .execute_never = 0,
    .missing_level_delta = 1,
};
#endif

#ifdef BE_HAVE_X86_64
static seL4_Error x64_map_pd(seL4_CPtr table, seL4_CPtr root, seL4_Word vaddr, seL4_Word attr)
{
    return seL4_X86_PageDirectory_Map(table, root, vaddr, (seL4_X86_VMAttributes)attr);
}

static seL4_Error x64_unmap_pd(seL4_CPtr table)
{
    return seL4_X86_PageDirectory_Unmap(table);
}

static seL4_Error x64_map_pdpt(seL4_CPtr table, seL4_CPtr root, seL4_Word vaddr, seL4_Word attr)
{
    return seL4_X86_PDPT_Map(table, root, vaddr, (seL4_X86_VMAttributes)attr);
}

static seL4_Error x64_unmap_pdpt(seL4_CPtr table)
{
    return seL4_X86_PDPT_Unmap(table);
}

/* Levels: PML4 (root), PDPT, PD, PT. Pages: 4K, 2M, 1G. */
const be_arch be_arch_x86_64 = {
    .id = VS_ARCH_X86_64,
    .frame_type = {seL4_X86_4K, seL4_X86_LargePageObject, seL4_X64_HugePageObject},
    .table_type = {seL4_X64_PML4Object, seL4_X86_PDPTObject, seL4_X86_PageDirectoryObject, seL4_X86_PageTableObject},
    .table_bits = {12, 12, 12, 12},
    .map_page = x86_map_page,
    .unmap_page = x86_unmap_page,
    .page_paddr = x86_page_paddr,
    .map_table = {NULL, x64_map_pdpt, x64_map_pd, x86_map_pt},
    .unmap_table = {NULL, x64_unmap_pdpt, x64_unmap_pd, x86_unmap_pt},
    .asid_assign = x86_assign,
    .table_attr = seL4_X86_Default_VMAttributes,
    X86_CACHE_ATTRS,
    .execute_never = 0,
    .missing_level_delta = 1,
};
#endif

/* Keeps the translation unit non-empty where none of its arches is configured. */
typedef int be_arch_x86_unit;
