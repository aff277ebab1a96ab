/* Frames and paging structures on every architecture (Reference Manual 7,
 * "Virtual Address Spaces", 7.1 "Objects" and the Page / PageTable methods;
 * error details per "Error Codes"): FailedLookup reporting the bits left,
 * alignment, seL4_UserTop, one mapping per frame cap, remapping rights,
 * DeleteFirst for a taken slot, roots without an ASID, and what each kernel
 * does when a frame is mapped over another (x86/Arm replace; RISC-V
 * refuses: seL4 issues #967, #1304). */
#include "simtest.h"

#define VADDR 0x00403000u

/* seL4_MappingFailedLookupLevel() for a 4K page at VADDR as each missing
 * level is filled: the shift of the level whose entry was empty. */
static const seL4_Word missing_bits[VS_ARCH_COUNT][3] = {
    [VS_ARCH_IA32] = {22},    [VS_ARCH_X86_64] = {39, 30, 21},
    [VS_ARCH_AARCH32] = {20}, [VS_ARCH_AARCH64] = {39, 30, 21},
    [VS_ARCH_RISCV32] = {22}, [VS_ARCH_RISCV64] = {30, 21},
};

/* First 4K page each kernel refuses as above seL4_UserTop. */
static const seL4_Word first_bad_page[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] = 0xe0000000u,          [VS_ARCH_X86_64] = 0x7ffffffff000ull, [VS_ARCH_AARCH32] = 0xe0000000u,
    [VS_ARCH_AARCH64] = 0x800000000000ull, [VS_ARCH_RISCV32] = 0x80000000u,      [VS_ARCH_RISCV64] = 0x3ffffff000ull,
};

static int is_riscv(void)
{
    return sel4sim_arch() >= VS_ARCH_RISCV32;
}

static void check_lookup_failure(seL4_Error e, seL4_Word bits)
{
    CHECK_EQ(e, seL4_FailedLookup);
    CHECK_EQ(seL4_GetMR(0), 0); /* not the source */
    CHECK_EQ(seL4_GetMR(1), seL4_MissingCapability);
    CHECK_EQ(seL4_MappingFailedLookupLevel(), bits);
}

/* Map the tables for VADDR one by one, checking the miss reported before
 * each. Returns the cap of the last-level table. */
static seL4_CPtr build_path(seL4_CPtr vs, seL4_CPtr frame)
{
    seL4_CPtr table = 0;
    for (int l = 1; l <= t_page_level(0); l++) {
        check_lookup_failure(t_map_frame(frame, vs, VADDR, seL4_ReadWrite), missing_bits[sel4sim_arch()][l - 1]);
        table = t_retype(t_table_type(l), 0);
        CHECK_EQ(t_map_table(t_table_type(l), table, vs, VADDR), seL4_NoError);
    }
    return table;
}

static void check_rights(seL4_CPtr vs, seL4_Word vaddr, int read, int write)
{
    sel4sim_translation t = t_translate(vs, vaddr);
    CHECK(t.found);
    CHECK_EQ(t.read, read);
    CHECK_EQ(t.write, write);
    CHECK(t.user);
}

static void check_remap_rules(seL4_CPtr vs, seL4_CPtr f)
{
    seL4_CPtr f2 = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_frame(f, vs, VADDR, seL4_CanRead), seL4_NoError); /* same place: new rights */
    check_rights(vs, VADDR, 1, 0);
    CHECK_EQ(t_map_frame(f, vs, VADDR + 0x1000, seL4_ReadWrite), seL4_InvalidArgument);
    CHECK_EQ(seL4_GetMR(0), 0);
    /* Mapped in vs, asked for vs2: x86 and Arm look at the cap's recorded
     * mapping first (another ASID: InvalidCapability 1); RISC-V walks vs2's
     * tables first, which are missing, and only with them in place gets to
     * the cap. */
    seL4_CPtr vs2 = t_new_vspace();
    if (is_riscv()) {
        check_lookup_failure(t_map_frame(f, vs2, VADDR, seL4_ReadWrite), missing_bits[sel4sim_arch()][0]);
        CHECK_EQ(t_map_tables(vs2, VADDR, t_page_level(0)), t_page_level(0));
    }
    CHECK_EQ(t_map_frame(f, vs2, VADDR, seL4_ReadWrite), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 1);
    CHECK_EQ(t_map_frame(f2, vs, VADDR + 0x800, seL4_ReadWrite), seL4_AlignmentError);
    seL4_CPtr bare = t_retype(t_table_type(0), 0); /* a root with no ASID */
    CHECK_EQ(t_map_frame(f2, bare, VADDR, seL4_ReadWrite), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 1);
    seL4_CPtr pt = t_retype(t_table_type(1), 0);
    CHECK_EQ(t_map_table(t_table_type(1), pt, bare, VADDR), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 1);
}

static void check_user_top(seL4_CPtr vs)
{
    seL4_CPtr f = t_retype(t_frame_type(0), 0);
    seL4_Word bad = first_bad_page[sel4sim_arch()];
    CHECK_EQ(t_map_frame(f, vs, bad, seL4_ReadWrite), seL4_InvalidArgument);
    CHECK_EQ(seL4_GetMR(0), 0);
    CHECK_EQ(t_map_frame(f, vs, bad - 0x1000, seL4_ReadWrite), seL4_FailedLookup);
}

/* x86 and Arm replace an existing frame mapping; RISC-V refuses. Either
 * way unmapping the first cap must not remove the other frame's mapping. */
static void check_frame_over_frame(seL4_CPtr vs, seL4_CPtr f)
{
    seL4_CPtr f2 = t_retype(t_frame_type(0), 0);
    seL4_Error e = t_map_frame(f2, vs, VADDR, seL4_ReadWrite);
    seL4_Word winner = is_riscv() ? t_frame_paddr(f) : t_frame_paddr(f2);
    CHECK_EQ(e, is_riscv() ? seL4_DeleteFirst : seL4_NoError);
    CHECK_EQ(t_translate(vs, VADDR).paddr, winner);
    CHECK_EQ(t_unmap_frame(f), seL4_NoError);
    CHECK_EQ(t_translate(vs, VADDR).found, !is_riscv());
    CHECK_EQ(t_unmap_frame(f2), seL4_NoError);
    CHECK(!t_translate(vs, VADDR).found);
    CHECK_EQ(t_unmap_frame(f), seL4_NoError); /* unmapping an unmapped cap is fine */
}

static void check_wrong_services(seL4_CPtr vs, seL4_CPtr table)
{
    seL4_CPtr f = t_retype(t_frame_type(0), 0);
    seL4_Error e = sel4sim_arch() <= VS_ARCH_X86_64 ? seL4_ARM_Page_Map(f, vs, VADDR, seL4_ReadWrite, 0)
                                                    : seL4_X86_Page_Map(f, vs, VADDR, seL4_ReadWrite, 0);
    CHECK_EQ(e, seL4_IllegalOperation);
    CHECK_EQ(t_map_frame(seL4_CapInitThreadTCB, vs, VADDR, seL4_ReadWrite), seL4_IllegalOperation);
    CHECK_EQ(t_map_frame(t_slot(), vs, VADDR, seL4_ReadWrite), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 0);
    /* A mapped table cap cannot be mapped again; a second table where one
     * is present is DeleteFirst. */
    seL4_Word leaf = t_table_type(t_page_level(0));
    CHECK_EQ(t_map_table(leaf, table, vs, VADDR + (1u << 22)), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 0);
    CHECK_EQ(t_map_table(leaf, t_retype(leaf, 0), vs, VADDR), seL4_DeleteFirst);
}

static void test_map(vs_arch_id arch)
{
    if (t_boot(arch, 64u << 20) == NULL) {
        return;
    }
    seL4_CPtr vs = t_new_vspace();
    seL4_CPtr f = t_retype(t_frame_type(0), 0);
    seL4_CPtr table = build_path(vs, f);
    CHECK_EQ(t_map_frame(f, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    check_rights(vs, VADDR + 5, 1, 1);
    CHECK_EQ(t_translate(vs, VADDR + 5).paddr, t_frame_paddr(f) + 5);
    check_wrong_services(vs, table);
    check_remap_rules(vs, f);
    check_user_top(vs);
    check_frame_over_frame(vs, f);
}

/* Unmapping a table clears it; frame caps mapped through it still record
 * their mapping (and can be unmapped without error). Deleting caps unmaps. */
/* f still records its mapping at VADDR, whose last-level table was
 * unmapped; mapped at a new address there (observed on the real kernels):
 * x86 and Arm check the recorded mapping first, InvalidArgument (argument
 * 0); RISC-V walks first and misses the table: FailedLookup with the bits
 * left where the walk stopped (21 on riscv64, 22 on riscv32). */
static void check_recorded_mapping_order(seL4_CPtr f, seL4_CPtr vs)
{
    static const seL4_Word riscv_bits_left[VS_ARCH_COUNT] = {[VS_ARCH_RISCV32] = 22, [VS_ARCH_RISCV64] = 21};
    seL4_Error e = t_map_frame(f, vs, VADDR + 0x1000, seL4_ReadWrite);
    if (is_riscv()) {
        check_lookup_failure(e, riscv_bits_left[sel4sim_arch()]);
    } else {
        CHECK_EQ(e, seL4_InvalidArgument);
        CHECK_EQ(seL4_GetMR(0), 0);
    }
}

static void test_table_unmap(vs_arch_id arch)
{
    if (t_boot(arch, 64u << 20) == NULL) {
        return;
    }
    seL4_CPtr vs = t_new_vspace();
    seL4_CPtr f = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_tables(vs, VADDR, t_page_level(0)), t_page_level(0));
    CHECK_EQ(t_map_frame(f, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    seL4_CPtr table = t_slot() - 1; /* the last table t_map_tables made */
    seL4_Word leaf = t_table_type(t_page_level(0));
    seL4_CPtr copy = t_slot();
    CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, copy, seL4_WordBits, seL4_CapInitThreadCNode, table,
                             seL4_WordBits, seL4_AllRights),
             seL4_NoError);
    CHECK_EQ(t_unmap_table(leaf, table), seL4_RevokeFirst);
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, copy, seL4_WordBits), seL4_NoError);
    CHECK_EQ(t_unmap_table(leaf, table), seL4_NoError);
    CHECK(!t_translate(vs, VADDR).found);
    check_recorded_mapping_order(f, vs);
    CHECK_EQ(t_map_table(leaf, table, vs, VADDR), seL4_NoError);
    CHECK(!t_translate(vs, VADDR).found); /* the table came back empty */
    CHECK_EQ(t_map_frame(f, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    CHECK(t_translate(vs, VADDR).found);
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, f, seL4_WordBits), seL4_NoError);
    CHECK(!t_translate(vs, VADDR).found);
    seL4_CPtr g = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_frame(g, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, table, seL4_WordBits), seL4_NoError);
    CHECK(!t_translate(vs, VADDR).found);
    CHECK_EQ(t_unmap_frame(g), seL4_NoError);
    if (is_riscv()) {
        CHECK_EQ(t_unmap_table(seL4_RISCV_PageTableObject, vs), seL4_RevokeFirst);
    }
}

static seL4_Word big_vaddr(int i)
{
    return vs_arch_get(sel4sim_arch())->word_bits == 64 ? (seL4_Word)(i + 1) << 30 : (seL4_Word)(i + 1) << 28;
}

/* The raw entries of aarch32 64K pages and 16M supersections: 16 copies. */
static void check_replicated(seL4_CPtr vs, seL4_Word vaddr, int i)
{
    seL4_Word table, paddr;
    uint32_t e[17];
    if (sel4sim_arch() != VS_ARCH_AARCH32 || (i != 1 && i != 3)) {
        return;
    }
    CHECK_EQ(sel4sim_cap_paddr(vs, &table), seL4_NoError);
    paddr = table + (vaddr >> 20) * 4;
    if (i == 1) {
        seL4_Word l1;
        CHECK_EQ(sel4sim_phys_read(paddr, &l1, 4), 0);
        paddr = (l1 & 0xfffffc00u) + ((vaddr >> 12) & 0xff) * 4;
    }
    CHECK_EQ(sel4sim_phys_read(paddr, e, sizeof(e)), 0);
    for (int k = 1; k < 16; k++) {
        CHECK_EQ(e[k], e[0]);
    }
    CHECK_EQ(e[16], 0);
}

/* A large page where a table sits: DeleteFirst on x86 and aarch32; the
 * generic walkers go down into the table and report a lookup failure. */
static void check_large_over_table(seL4_CPtr vs, int i)
{
    if (t_page_level(i) == t_page_level(0)) {
        return;
    }
    seL4_Word vaddr = big_vaddr(i) + ((seL4_Word)1 << t_page_bits(i));
    seL4_CPtr f = t_retype(t_frame_type(i), 0);
    CHECK(t_map_tables(vs, vaddr, t_page_level(0)) >= 1);
    seL4_Error e = t_map_frame(f, vs, vaddr, seL4_ReadWrite);
    if (sel4sim_arch() == VS_ARCH_AARCH64 || is_riscv()) {
        CHECK_EQ(e, seL4_FailedLookup);
        CHECK(seL4_MappingFailedLookupLevel() < t_page_bits(i));
    } else {
        CHECK_EQ(e, seL4_DeleteFirst);
    }
}

/* A small page where a large one is: the walk stops at the large leaf. */
static void check_small_under_large(seL4_CPtr vs, int i)
{
    seL4_CPtr f = t_retype(t_frame_type(0), 0);
    seL4_Error e = t_map_frame(f, vs, big_vaddr(i), seL4_ReadWrite);
    if (t_page_level(i) == t_page_level(0)) {
        CHECK_EQ(e, seL4_DeleteFirst); /* aarch32: 4K over a 64K page */
    } else {
        check_lookup_failure(e, vs_arch_get(sel4sim_arch())->levels[t_page_level(i)].shift);
    }
}

static void test_large(vs_arch_id arch)
{
    int wide = vs_arch_get(arch)->word_bits == 64;
    if (t_boot(arch, wide ? (uint64_t)3 << 30 : (uint64_t)1 << 30) == NULL) {
        return;
    }
    seL4_CPtr vs = t_new_vspace();
    for (int i = 1; i < t_num_page_sizes(); i++) {
        seL4_Word size = (seL4_Word)1 << t_page_bits(i), vaddr = big_vaddr(i);
        seL4_CPtr f = t_retype(t_frame_type(i), 0);
        CHECK_EQ(t_map_frame_auto(f, vs, vaddr, seL4_ReadWrite), seL4_NoError);
        sel4sim_translation t = t_translate(vs, vaddr + size - 1);
        CHECK_EQ(t.paddr, t_frame_paddr(f) + size - 1);
        CHECK_EQ(t.size_bits, t_page_bits(i));
        CHECK(!t_translate(vs, vaddr + size).found);
        check_replicated(vs, vaddr, i);
        check_small_under_large(vs, i);
        check_large_over_table(vs, i);
        CHECK_EQ(t_unmap_frame(f), seL4_NoError);
        CHECK(!t_translate(vs, vaddr).found);
        CHECK(!t_translate(vs, vaddr + size - 1).found);
    }
}

/* A page table (the last level's type) at exactly seL4_UserTop, as the
 * real kernels answered (seL4 13.0 on QEMU). x86 rounds the address down
 * to the table's reach and refuses only above its USER_TOP: on ia32 the
 * top-level slot at 0xe0000000 holds the kernel window (DeleteFirst); on
 * x86_64 no PDPT is there (FailedLookup, 39 bits left). aarch64 refuses
 * only above 2^47 - 1 (its seL4_UserTop), RISC-V at or above its top,
 * aarch32 at or above 0xe0000000. */
typedef struct top_case {
    seL4_Error at_top;   /* PageTable_Map at seL4_UserTop */
    seL4_Word bits_left; /* FailedLookup only */
    seL4_Word first_bad; /* lowest address refused with InvalidArgument */
    seL4_Word window;    /* first address of the kernel window (0: none visible) */
} top_case;

static const top_case top_cases[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] = {seL4_DeleteFirst, 0, 0xe0400000u, 0xe0000000u},
    [VS_ARCH_X86_64] = {seL4_FailedLookup, 39, 0x800000000000ull, 0},
    [VS_ARCH_AARCH32] = {seL4_InvalidArgument, 0, 0xe0000000u, 0xe0000000u},
    [VS_ARCH_AARCH64] = {seL4_NoError, 0, 0x800000000000ull, 0},
    [VS_ARCH_RISCV32] = {seL4_InvalidArgument, 0, 0x80000000u, 0},
    [VS_ARCH_RISCV64] = {seL4_InvalidArgument, 0, 0x3ffffff000ull, 0},
};

static void test_table_at_user_top(vs_arch_id arch)
{
    if (t_boot(arch, 64u << 20) == NULL) {
        return;
    }
    const top_case *c = &top_cases[arch];
    seL4_CPtr vs = t_new_vspace();
    seL4_Word pt = t_table_type(t_page_level(0));
    seL4_Error e = t_map_table(pt, t_retype(pt, 0), vs, seL4_UserTop);
    CHECK_EQ(e, c->at_top);
    if (c->at_top == seL4_FailedLookup) {
        CHECK_EQ(seL4_GetMR(1), seL4_MissingCapability);
        CHECK_EQ(seL4_MappingFailedLookupLevel(), c->bits_left);
    }
    if (c->at_top == seL4_InvalidArgument) {
        CHECK_EQ(seL4_GetMR(0), 0);
    }
    if (arch == VS_ARCH_IA32) { /* rounded down to 0xe0000000 first: not above the top */
        CHECK_EQ(t_map_table(pt, t_retype(pt, 0), vs, 0xe0001000u), seL4_DeleteFirst);
    }
    CHECK_EQ(t_map_table(pt, t_retype(pt, 0), vs, c->first_bad), seL4_InvalidArgument);
    CHECK_EQ(seL4_GetMR(0), 0);
    /* The kernel window: present in every root, never user accessible. */
    seL4_CPtr roots[2] = {vs, seL4_CapInitThreadVSpace};
    for (int i = 0; i < 2; i++) {
        sel4sim_translation below = t_translate(roots[i], seL4_UserTop - 1);
        CHECK(!below.found || below.user);
        if (c->window != 0) {
            sel4sim_translation t = t_translate(roots[i], c->window);
            CHECK(t.found && !t.user && !t.read && !t.write);
            t = t_translate(roots[i], 0xfffff000u);
            CHECK(t.found && !t.user);
        }
    }
}

/* The kernel's walks remember the path to the last table they reached
 * (sim/src/walk.c); whatever changes a table above it must make them walk
 * again. Each map below goes where the MMU (an independent walk) finds it,
 * through the table that is there now: a replaced last-level table, then a
 * deleted one whose memory a new table reuses, then another vspace. */
static void test_walk_follows_table_changes(vs_arch_id arch)
{
    if (t_boot(arch, 64u << 20) == NULL) {
        return;
    }
    int leaf_level = t_page_level(0);
    seL4_Word leaf = t_table_type(leaf_level);
    seL4_CPtr vs = t_new_vspace();
    seL4_CPtr f1 = t_retype(t_frame_type(0), 0), f2 = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_tables(vs, VADDR, leaf_level), leaf_level);
    seL4_CPtr t1 = t_slot() - 1;
    CHECK_EQ(t_map_frame(f1, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_unmap_frame(f1), seL4_NoError);
    CHECK_EQ(t_unmap_table(leaf, t1), seL4_NoError);
    seL4_CPtr t2 = t_retype(leaf, 0);
    CHECK_EQ(t_map_table(leaf, t2, vs, VADDR), seL4_NoError);
    CHECK_EQ(t_map_frame(f2, vs, VADDR + 0x1000, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_translate(vs, VADDR + 0x1000).paddr, t_frame_paddr(f2));
    CHECK_EQ(t_unmap_frame(f2), seL4_NoError);
    CHECK(!t_translate(vs, VADDR + 0x1000).found);
    /* t1 is unmapped: mapping it back puts it under VADDR again. */
    CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, t2, seL4_WordBits), seL4_NoError);
    CHECK_EQ(t_map_frame(f1, vs, VADDR, seL4_ReadWrite), seL4_FailedLookup);
    CHECK_EQ(t_map_table(leaf, t1, vs, VADDR), seL4_NoError);
    CHECK_EQ(t_map_frame(f1, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_translate(vs, VADDR).paddr, t_frame_paddr(f1));
    /* Same address in another vspace: its own tables. */
    seL4_CPtr vs2 = t_new_vspace();
    CHECK_EQ(t_map_tables(vs2, VADDR, leaf_level), leaf_level);
    CHECK_EQ(t_map_frame(f2, vs2, VADDR, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_translate(vs2, VADDR).paddr, t_frame_paddr(f2));
    CHECK_EQ(t_translate(vs, VADDR).paddr, t_frame_paddr(f1));
    CHECK_EQ(t_unmap_frame(f1), seL4_NoError);
    CHECK(!t_translate(vs, VADDR).found);
    CHECK_EQ(t_translate(vs2, VADDR).paddr, t_frame_paddr(f2));
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_map(simtest_archs[i]);
        test_table_unmap(simtest_archs[i]);
        test_large(simtest_archs[i]);
        test_table_at_user_top(simtest_archs[i]);
        test_walk_follows_table_changes(simtest_archs[i]);
    }
    return simtest_done("sim_paging");
}
