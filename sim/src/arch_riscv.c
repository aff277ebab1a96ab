/* libsel4's RISC-V virtual-memory invocations (riscv32 and riscv64). */
#include "internal.h"

seL4_Error seL4_RISCV_Page_Map(seL4_RISCV_Page _service, seL4_RISCV_PageTable vspace, seL4_Word vaddr,
                               seL4_CapRights_t rights, seL4_RISCV_VMAttributes attr)
{
    return sim_frame_map(FAM_RISCV, _service, vspace, vaddr, rights, attr);
}

seL4_Error seL4_RISCV_Page_Unmap(seL4_RISCV_Page _service)
{
    return sim_frame_unmap(FAM_RISCV, _service);
}

seL4_RISCV_Page_GetAddress_t seL4_RISCV_Page_GetAddress(seL4_RISCV_Page _service)
{
    seL4_RISCV_Page_GetAddress_t r = {0, 0};
    r.error = (int)sim_frame_address(FAM_RISCV, _service, &r.paddr);
    return r;
}

seL4_Error seL4_RISCV_PageTable_Map(seL4_RISCV_PageTable _service, seL4_RISCV_PageTable vspace, seL4_Word vaddr,
                                    seL4_RISCV_VMAttributes attr)
{
    (void)attr;
    return sim_table_map(FAM_RISCV, seL4_RISCV_PageTableObject, _service, vspace, vaddr);
}

seL4_Error seL4_RISCV_PageTable_Unmap(seL4_RISCV_PageTable _service)
{
    return sim_table_unmap(FAM_RISCV, seL4_RISCV_PageTableObject, _service);
}

seL4_Error seL4_RISCV_ASIDPool_Assign(seL4_RISCV_ASIDPool _service, seL4_CPtr vspace)
{
    return sim_asid_assign(FAM_RISCV, _service, vspace);
}

seL4_Error seL4_RISCV_ASIDControl_MakePool(seL4_RISCV_ASIDControl _service, seL4_Untyped untyped, seL4_CNode root,
                                           seL4_Word index, seL4_Uint8 depth)
{
    return sim_asid_make_pool(FAM_RISCV, _service, untyped, root, index, depth);
}
