/* libsel4's Arm virtual-memory invocations (aarch32 and aarch64). */
#include "internal.h"

seL4_Error seL4_ARM_Page_Map(seL4_ARM_Page _service, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t rights,
                             seL4_ARM_VMAttributes attr)
{
    return sim_frame_map(FAM_ARM, _service, vspace, vaddr, rights, attr);
}

seL4_Error seL4_ARM_Page_Unmap(seL4_ARM_Page _service)
{
    return sim_frame_unmap(FAM_ARM, _service);
}

seL4_ARM_Page_GetAddress_t seL4_ARM_Page_GetAddress(seL4_ARM_Page _service)
{
    seL4_ARM_Page_GetAddress_t r = {0, 0};
    r.error = (int)sim_frame_address(FAM_ARM, _service, &r.paddr);
    return r;
}

seL4_Error seL4_ARM_PageTable_Map(seL4_ARM_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_ARM_VMAttributes attr)
{
    (void)attr;
    return sim_table_map(FAM_ARM, seL4_ARM_PageTableObject, _service, vspace, vaddr);
}

seL4_Error seL4_ARM_PageTable_Unmap(seL4_ARM_PageTable _service)
{
    return sim_table_unmap(FAM_ARM, seL4_ARM_PageTableObject, _service);
}

seL4_Error seL4_ARM_ASIDPool_Assign(seL4_ARM_ASIDPool _service, seL4_CPtr vspace)
{
    return sim_asid_assign(FAM_ARM, _service, vspace);
}

seL4_Error seL4_ARM_ASIDControl_MakePool(seL4_ARM_ASIDControl _service, seL4_Untyped untyped, seL4_CNode root,
                                         seL4_Word index, seL4_Uint8 depth)
{
    return sim_asid_make_pool(FAM_ARM, _service, untyped, root, index, depth);
}
