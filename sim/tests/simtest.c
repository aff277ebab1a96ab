#include "simtest.h"

#include <inttypes.h>

static int failures, checks;
static seL4_Word next_slot;
static const seL4_BootInfo *boot_info;

const vs_arch_id simtest_archs[VS_ARCH_COUNT] = {VS_ARCH_IA32,    VS_ARCH_X86_64,  VS_ARCH_AARCH32,
                                                 VS_ARCH_AARCH64, VS_ARCH_RISCV32, VS_ARCH_RISCV64};

static const char *arch_name(void)
{
    const vs_arch *a = vs_arch_get(sel4sim_arch());
    return a != NULL ? a->name : "-";
}

int simtest_check(int ok, const char *expr, const char *file, int line)
{
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", file, line, arch_name(), expr);
    }
    return ok;
}

int simtest_check_eq(uint64_t a, uint64_t b, const char *ea, const char *eb, const char *file, int line)
{
    checks++;
    if (a != b) {
        failures++;
        fprintf(stderr, "%s:%d: [%s] %s == %s failed: 0x%" PRIx64 " != 0x%" PRIx64 "\n", file, line, arch_name(), ea,
                eb, a, b);
    }
    return a == b;
}

int simtest_done(const char *name)
{
    sel4sim_shutdown();
    printf("%s: %d checks, %d failed\n", name, checks, failures);
    return failures == 0 ? 0 : 1;
}

seL4_BootInfo *t_boot(vs_arch_id arch, uint64_t bytes)
{
    seL4_BootInfo *bi = sel4sim_boot(arch, bytes);
    CHECK(bi != NULL);
    boot_info = bi;
    next_slot = bi != NULL ? bi->empty.start : 0;
    return bi;
}

seL4_CPtr t_slot(void)
{
    return next_slot++;
}

seL4_CPtr t_retype(seL4_Word type, seL4_Word size_bits)
{
    seL4_CPtr slot = t_slot();
    for (seL4_Word ut = boot_info->untyped.start; ut < boot_info->untyped.end; ut++) {
        seL4_Error e = seL4_Untyped_Retype(ut, type, size_bits, seL4_CapInitThreadCNode, 0, 0, slot, 1);
        if (e == seL4_NoError) {
            return slot;
        }
        if (e != seL4_NotEnoughMemory) {
            CHECK_EQ(e, seL4_NoError);
            return 0;
        }
    }
    CHECK(!"no untyped had room");
    return 0;
}

/* ---- per-architecture knowledge of the tests */

static const seL4_Word frame_types[VS_ARCH_COUNT][4] = {
    [VS_ARCH_IA32] = {seL4_X86_4K, seL4_X86_LargePageObject},
    [VS_ARCH_X86_64] = {seL4_X86_4K, seL4_X86_LargePageObject, seL4_X64_HugePageObject},
    [VS_ARCH_AARCH32] = {seL4_ARM_SmallPageObject, seL4_ARM_LargePageObject, seL4_ARM_SectionObject,
                         seL4_ARM_SuperSectionObject},
    [VS_ARCH_AARCH64] = {seL4_ARM_SmallPageObject, seL4_ARM_LargePageObject, seL4_ARM_HugePageObject},
    [VS_ARCH_RISCV32] = {seL4_RISCV_4K_Page, seL4_RISCV_Mega_Page},
    [VS_ARCH_RISCV64] = {seL4_RISCV_4K_Page, seL4_RISCV_Mega_Page, seL4_RISCV_Giga_Page},
};

static const unsigned page_bits[VS_ARCH_COUNT][4] = {
    [VS_ARCH_IA32] = {12, 22},        [VS_ARCH_X86_64] = {12, 21, 30}, [VS_ARCH_AARCH32] = {12, 16, 20, 24},
    [VS_ARCH_AARCH64] = {12, 21, 30}, [VS_ARCH_RISCV32] = {12, 22},    [VS_ARCH_RISCV64] = {12, 21, 30},
};

static const seL4_Word table_types[VS_ARCH_COUNT][4] = {
    [VS_ARCH_IA32] = {seL4_X86_PageDirectoryObject, seL4_X86_PageTableObject},
    [VS_ARCH_X86_64] = {seL4_X64_PML4Object, seL4_X86_PDPTObject, seL4_X86_PageDirectoryObject,
                        seL4_X86_PageTableObject},
    [VS_ARCH_AARCH32] = {seL4_ARM_PageDirectoryObject, seL4_ARM_PageTableObject},
    [VS_ARCH_AARCH64] = {seL4_ARM_VSpaceObject, seL4_ARM_PageTableObject, seL4_ARM_PageTableObject,
                         seL4_ARM_PageTableObject},
    [VS_ARCH_RISCV32] = {seL4_RISCV_PageTableObject, seL4_RISCV_PageTableObject},
    [VS_ARCH_RISCV64] = {seL4_RISCV_PageTableObject, seL4_RISCV_PageTableObject, seL4_RISCV_PageTableObject},
};

static const int levels[VS_ARCH_COUNT] = {2, 4, 2, 4, 2, 3};
/* The level whose entry maps each page size. */
static const int page_level[VS_ARCH_COUNT][4] = {
    [VS_ARCH_IA32] = {1, 0},       [VS_ARCH_X86_64] = {3, 2, 1}, [VS_ARCH_AARCH32] = {1, 1, 0, 0},
    [VS_ARCH_AARCH64] = {3, 2, 1}, [VS_ARCH_RISCV32] = {1, 0},   [VS_ARCH_RISCV64] = {2, 1, 0},
};

seL4_Word t_frame_type(int i)
{
    return frame_types[sel4sim_arch()][i];
}

seL4_Word t_table_type(int l)
{
    return table_types[sel4sim_arch()][l];
}

int t_num_page_sizes(void)
{
    int n = 0;
    while (n < 4 && frame_types[sel4sim_arch()][n] != 0) {
        n++;
    }
    return n;
}

unsigned t_page_bits(int i)
{
    return page_bits[sel4sim_arch()][i];
}

int t_num_levels(void)
{
    return levels[sel4sim_arch()];
}

static int family(void)
{
    vs_arch_id a = sel4sim_arch();
    return a <= VS_ARCH_X86_64 ? 0 : (a <= VS_ARCH_AARCH64 ? 1 : 2);
}

seL4_Word t_default_attr(void)
{
    return family() == 1 ? seL4_ARM_Default_VMAttributes : 0;
}

seL4_Error t_map_frame_attr(seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t r, seL4_Word attr)
{
    switch (family()) {
    case 0:
        return seL4_X86_Page_Map(frame, vspace, vaddr, r, (seL4_X86_VMAttributes)attr);
    case 1:
        return seL4_ARM_Page_Map(frame, vspace, vaddr, r, (seL4_ARM_VMAttributes)attr);
    default:
        return seL4_RISCV_Page_Map(frame, vspace, vaddr, r, (seL4_RISCV_VMAttributes)attr);
    }
}

seL4_Error t_map_frame(seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t r)
{
    return t_map_frame_attr(frame, vspace, vaddr, r, t_default_attr());
}

seL4_Error t_unmap_frame(seL4_CPtr frame)
{
    switch (family()) {
    case 0:
        return seL4_X86_Page_Unmap(frame);
    case 1:
        return seL4_ARM_Page_Unmap(frame);
    default:
        return seL4_RISCV_Page_Unmap(frame);
    }
}

seL4_Word t_frame_paddr(seL4_CPtr frame)
{
    int err;
    seL4_Word paddr;
    if (family() == 0) {
        seL4_X86_Page_GetAddress_t r = seL4_X86_Page_GetAddress(frame);
        err = r.error;
        paddr = r.paddr;
    } else if (family() == 1) {
        seL4_ARM_Page_GetAddress_t r = seL4_ARM_Page_GetAddress(frame);
        err = r.error;
        paddr = r.paddr;
    } else {
        seL4_RISCV_Page_GetAddress_t r = seL4_RISCV_Page_GetAddress(frame);
        err = r.error;
        paddr = r.paddr;
    }
    CHECK_EQ(err, seL4_NoError);
    CHECK_EQ(seL4_GetMR(0), paddr);
    return paddr;
}

seL4_Error t_map_table(seL4_Word type, seL4_CPtr table, seL4_CPtr vspace, seL4_Word vaddr)
{
    switch (type) {
    case seL4_X86_PageTableObject:
        return seL4_X86_PageTable_Map(table, vspace, vaddr, seL4_X86_Default_VMAttributes);
    case seL4_X86_PageDirectoryObject:
        return seL4_X86_PageDirectory_Map(table, vspace, vaddr, seL4_X86_Default_VMAttributes);
    case seL4_X86_PDPTObject:
        return seL4_X86_PDPT_Map(table, vspace, vaddr, seL4_X86_Default_VMAttributes);
    case seL4_ARM_PageTableObject:
        return seL4_ARM_PageTable_Map(table, vspace, vaddr, seL4_ARM_Default_VMAttributes);
    default:
        return seL4_RISCV_PageTable_Map(table, vspace, vaddr, seL4_RISCV_Default_VMAttributes);
    }
}

seL4_Error t_unmap_table(seL4_Word type, seL4_CPtr table)
{
    switch (type) {
    case seL4_X86_PageTableObject:
        return seL4_X86_PageTable_Unmap(table);
    case seL4_X86_PageDirectoryObject:
        return seL4_X86_PageDirectory_Unmap(table);
    case seL4_X86_PDPTObject:
        return seL4_X86_PDPT_Unmap(table);
    case seL4_ARM_PageTableObject:
        return seL4_ARM_PageTable_Unmap(table);
    default:
        return seL4_RISCV_PageTable_Unmap(table);
    }
}

seL4_Error t_assign(seL4_CPtr pool, seL4_CPtr vspace)
{
    switch (family()) {
    case 0:
        return seL4_X86_ASIDPool_Assign(pool, vspace);
    case 1:
        return seL4_ARM_ASIDPool_Assign(pool, vspace);
    default:
        return seL4_RISCV_ASIDPool_Assign(pool, vspace);
    }
}

seL4_CPtr t_new_vspace(void)
{
    seL4_CPtr vs = t_retype(t_table_type(0), 0);
    if (vs == 0 || !CHECK_EQ(t_assign(seL4_CapInitThreadASIDPool, vs), seL4_NoError)) {
        return 0;
    }
    return vs;
}

int t_map_tables(seL4_CPtr vspace, seL4_Word vaddr, int leaf_level)
{
    int n = 0;
    for (int l = 1; l <= leaf_level; l++) {
        seL4_CPtr t = t_retype(t_table_type(l), 0);
        seL4_Error e = t == 0 ? seL4_NotEnoughMemory : t_map_table(t_table_type(l), t, vspace, vaddr);
        if (e == seL4_DeleteFirst) {
            /* present already (x86, aarch32); on the generic walkers: all are */
            seL4_CNode_Delete(seL4_CapInitThreadCNode, t, seL4_WordBits);
            continue;
        }
        if (!CHECK_EQ(e, seL4_NoError)) {
            return -1;
        }
        n++;
    }
    return n;
}

seL4_Error t_map_frame_auto(seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t r)
{
    const vs_arch *a = vs_arch_get(sel4sim_arch());
    seL4_Error e;
    for (int n = 0; (e = t_map_frame(frame, vspace, vaddr, r)) == seL4_FailedLookup && n < 4; n++) {
        int level = vs_arch_level_by_shift(a, (unsigned)seL4_MappingFailedLookupLevel()) + 1;
        seL4_CPtr t = t_retype(t_table_type(level), 0);
        if (t == 0 || !CHECK_EQ(t_map_table(t_table_type(level), t, vspace, vaddr), seL4_NoError)) {
            return seL4_FailedLookup;
        }
    }
    return e;
}

int t_page_level(int i)
{
    return page_level[sel4sim_arch()][i];
}

sel4sim_translation t_translate(seL4_CPtr vspace, seL4_Word vaddr)
{
    sel4sim_translation t;
    CHECK_EQ(sel4sim_translate(vspace, vaddr, &t), seL4_NoError);
    return t;
}
