/* libsel4's x86 virtual-memory invocations (ia32 and x86_64). */
#include "internal.h"

seL4_Error seL4_X86_Page_Map(seL4_X86_Page _service, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t rights,
                             seL4_X86_VMAttributes attr)
{
    return sim_frame_map(FAM_X86, _service, vspace, vaddr, rights, attr);
}

seL4_Error seL4_X86_Page_Unmap(seL4_X86_Page _service)
{
    return sim_frame_unmap(FAM_X86, _service);
}

seL4_X86_Page_GetAddress_t seL4_X86_Page_GetAddress(seL4_X86_Page _service)
{
    seL4_X86_Page_GetAddress_t r = {0, 0};
    r.error = (int)sim_frame_address(FAM_X86, _service, &r.paddr);
    return r;
}

seL4_Error seL4_X86_PageTable_Map(seL4_X86_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_X86_VMAttributes attr)
{
    (void)attr;
    return sim_table_map(FAM_X86, seL4_X86_PageTableObject, _service, vspace, vaddr);
}

seL4_Error seL4_X86_PageTable_Unmap(seL4_X86_PageTable _service)
{
    return sim_table_unmap(FAM_X86, seL4_X86_PageTableObject, _service);
}

seL4_Error seL4_X86_PageDirectory_Map(seL4_X86_PageDirectory _service, seL4_CPtr vspace, seL4_Word vaddr,
                                      seL4_X86_VMAttributes attr)
{
    (void)attr;
    return sim_table_map(FAM_X86, seL4_X86_PageDirectoryObject, _service, vspace, vaddr);
}

seL4_Error seL4_X86_PageDirectory_Unmap(seL4_X86_PageDirectory _service)
{
    return sim_table_unmap(FAM_X86, seL4_X86_PageDirectoryObject, _service);
}

seL4_Error seL4_X86_PDPT_Map(seL4_X86_PDPT _service, seL4_X64_PML4 pml4, seL4_Word vaddr, seL4_X86_VMAttributes attr)
{
    (void)attr;
    return sim_table_map(FAM_X86, seL4_X86_PDPTObject, _service, pml4, vaddr);
}

seL4_Error seL4_X86_PDPT_Unmap(seL4_X86_PDPT _service)
{
    return sim_table_unmap(FAM_X86, seL4_X86_PDPTObject, _service);
}

seL4_Error seL4_X86_ASIDPool_Assign(seL4_X86_ASIDPool _service, seL4_CPtr vspace)
{
    return sim_asid_assign(FAM_X86, _service, vspace);
}

seL4_Error seL4_X86_ASIDControl_MakePool(seL4_X86_ASIDControl _service, seL4_Untyped untyped, seL4_CNode root,
                                         seL4_Word index, seL4_Uint8 depth)
{
    return sim_asid_make_pool(FAM_X86, _service, untyped, root, index, depth);
}
