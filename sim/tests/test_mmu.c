/* Entry formats and the MMU walk. The kernel's entries are checked bit by
 * bit against the hardware manuals (Intel SDM 3A 4.3/4.5; ARM ARM B3.5
 * short descriptors and D8.3 VMSAv8-64 4K granule; RISC-V privileged spec
 * 4.3/4.4), then entries edited by hand in simulated physical memory must
 * change what the MMU walk reports exactly as the hardware would. */
#include <string.h>

#include "simtest.h"

#define VADDR 0x00403000u

typedef struct edit {
    uint64_t clear, set;
} edit;

typedef struct format_case {
    uint64_t leaf_bits_mask, leaf_bits; /* expected flag bits of a RW default leaf */
    edit read_only, no_exec, no_user, invalid;
    unsigned entry_bytes;
} format_case;

#define B(n) ((uint64_t)1 << (n))

static const format_case cases[VS_ARCH_COUNT] = {
    /* P RW US; no NX on ia32 without PAE (no_exec edit is a no-op). */
    [VS_ARCH_IA32] = {0xfff, 0x007, {B(1), 0}, {0, 0}, {B(2), 0}, {B(0), 0}, 4},
    [VS_ARCH_X86_64] = {0xfff | B(63), 0x007, {B(1), 0}, {0, B(63)}, {B(2), 0}, {B(0), 0}, 8},
    /* small page: bit1, B, C, AP=11, TEX=001, nG; read-only AP=10; XN bit0;
     * kernel-only AP=01; fault: bits[1:0]=00. */
    [VS_ARCH_AARCH32] =
        {0xfff, B(1) | B(2) | B(3) | (3u << 4) | (1u << 6) | B(11), {B(4), 0}, {0, B(0)}, {B(5), B(4)}, {3, 0}, 4},
    /* page: bits 1:0 = 11, AttrIndx 4, AP 01, SH 11, AF, nG, PXN; read-only
     * AP 11; UXN bit 54; kernel-only AP 00; invalid: bit 0 clear. */
    [VS_ARCH_AARCH64] = {0xfff | B(53) | B(54),
                         3 | (4u << 2) | B(6) | (3u << 8) | B(10) | B(11) | B(53),
                         {0, B(7)},
                         {0, B(54)},
                         {B(6), 0},
                         {B(0), 0},
                         8},
    /* V R W X U A D; read-only clears W; X; U; V. */
    [VS_ARCH_RISCV32] = {0x3ff, 0xdf, {B(2), 0}, {B(3), 0}, {B(4), 0}, {B(0), 0}, 4},
    [VS_ARCH_RISCV64] = {0x3ff, 0xdf, {B(2), 0}, {B(3), 0}, {B(4), 0}, {B(0), 0}, 8},
};

static uint64_t entry_address(seL4_Word paddr)
{
    vs_arch_id a = sel4sim_arch();
    return a >= VS_ARCH_RISCV32 ? (paddr >> 12) << 10 : paddr;
}

static seL4_Word leaf_slot(seL4_CPtr leaf_table)
{
    seL4_Word table;
    const vs_arch *a = vs_arch_get(sel4sim_arch());
    const vs_paging_level *l = &a->levels[a->num_levels - 1];
    CHECK_EQ(sel4sim_cap_paddr(leaf_table, &table), seL4_NoError);
    return table + ((VADDR >> l->shift) & ((1u << l->index_bits) - 1)) * l->entry_bytes;
}

static uint64_t rd(seL4_Word at, unsigned n)
{
    uint64_t v = 0;
    CHECK_EQ(sel4sim_phys_read(at, &v, n), 0);
    return v;
}

static void wr(seL4_Word at, unsigned n, uint64_t v)
{
    CHECK_EQ(sel4sim_phys_write(at, &v, n), 0);
}

static sel4sim_translation edited(seL4_CPtr vs, seL4_Word slot, uint64_t orig, edit e, unsigned n)
{
    wr(slot, n, (orig & ~e.clear) | e.set);
    sel4sim_translation t = t_translate(vs, VADDR + 0x10);
    wr(slot, n, orig);
    return t;
}

static void test_arch(vs_arch_id arch)
{
    const format_case *c = &cases[arch];
    if (t_boot(arch, 32u << 20) == NULL) {
        return;
    }
    seL4_CPtr vs = t_new_vspace(), f = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_tables(vs, VADDR, t_page_level(0)), t_page_level(0));
    seL4_CPtr leaf_table = t_slot() - 1;
    CHECK_EQ(t_map_frame(f, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    seL4_Word slot = leaf_slot(leaf_table), paddr = t_frame_paddr(f);
    uint64_t e = rd(slot, c->entry_bytes);
    CHECK_EQ(e & c->leaf_bits_mask, c->leaf_bits);
    CHECK_EQ(e & ~c->leaf_bits_mask, entry_address(paddr));
    sel4sim_translation t = t_translate(vs, VADDR + 0x10);
    CHECK(t.found && t.read && t.write && t.exec && t.user);
    CHECK_EQ(t.paddr, paddr + 0x10);
    t = edited(vs, slot, e, c->read_only, c->entry_bytes);
    CHECK(t.found && t.read && !t.write);
    t = edited(vs, slot, e, c->no_exec, c->entry_bytes);
    CHECK(t.found && t.read && t.exec == (arch == VS_ARCH_IA32));
    t = edited(vs, slot, e, c->no_user, c->entry_bytes);
    CHECK(t.found && !t.user && !t.read && !t.write);
    t = edited(vs, slot, e, c->invalid, c->entry_bytes);
    CHECK(!t.found);
    CHECK(t_translate(vs, VADDR + 0x1000).found == 0);
}

/* Execute-never attributes (Arm, RISC-V) reach the entry. */
static void test_execute_never(vs_arch_id arch, seL4_Word xn_attr)
{
    if (t_boot(arch, 32u << 20) == NULL) {
        return;
    }
    seL4_CPtr vs = t_new_vspace(), f = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_tables(vs, VADDR, t_page_level(0)), t_page_level(0));
    CHECK_EQ(t_map_frame_attr(f, vs, VADDR, seL4_ReadWrite, xn_attr), seL4_NoError);
    sel4sim_translation t = t_translate(vs, VADDR);
    CHECK(t.found && t.read && !t.exec);
    CHECK_EQ(sel4sim_translate(seL4_CapInitThreadTCB, VADDR, &t), seL4_InvalidCapability);
}

/* sel4sim_user_window: host memory that is the frames a range maps, only
 * for a range the MMU maps (with the rights asked) onto contiguous RAM. */
static void test_user_window(vs_arch_id arch)
{
    if (t_boot(arch, 32u << 20) == NULL) {
        return;
    }
    const seL4_Word w = 0x00800000u;
    seL4_CPtr vs = t_new_vspace();
    seL4_CPtr f0 = t_retype(t_frame_type(0), 0), f1 = t_retype(t_frame_type(0), 0);
    seL4_CPtr f2 = t_retype(t_frame_type(0), 0);
    seL4_Word p0 = t_frame_paddr(f0), p1 = t_frame_paddr(f1), p2 = t_frame_paddr(f2);
    CHECK(p1 == p0 + 4096 && p2 == p1 + 4096); /* consecutive retypes: consecutive frames */
    CHECK_EQ(t_map_tables(vs, w, t_page_level(0)), t_page_level(0));
    CHECK_EQ(t_map_frame(f0, vs, w, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_map_frame(f1, vs, w + 0x1000, seL4_ReadWrite), seL4_NoError);
    uint8_t *win = sel4sim_user_window(vs, w, 8192, 1);
    CHECK(win != NULL && sel4sim_is_ram(win) && sel4sim_is_ram(win + 8191));
    if (win != NULL) {
        memcpy(win + 4094, "abcd", 4); /* across the two frames */
        char back[4];
        CHECK_EQ(sel4sim_phys_read(p0 + 4094, back, 4), 0);
        CHECK(memcmp(back, "abcd", 4) == 0);
        CHECK(sel4sim_user_window(vs, w + 4094, 4, 1) == win + 4094);
    }
    char local[4];
    CHECK(!sel4sim_is_ram(local));
    /* Physically discontiguous: f2 after f0 in the vspace, f1 after f2. */
    CHECK_EQ(t_unmap_frame(f1), seL4_NoError);
    CHECK_EQ(t_map_frame(f2, vs, w + 0x1000, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_map_frame(f1, vs, w + 0x2000, seL4_CanRead), seL4_NoError);
    CHECK(sel4sim_user_window(vs, w, 8192, 0) == NULL);
    CHECK(sel4sim_user_window(vs, w + 0x1000, 4096, 1) != NULL);
    /* Rights: f1 is read-only; nothing is mapped at w + 0x3000. */
    CHECK(sel4sim_user_window(vs, w + 0x2000, 4096, 1) == NULL);
    CHECK(sel4sim_user_window(vs, w + 0x2000, 4096, 0) != NULL);
    CHECK(sel4sim_user_window(vs, w + 0x2000, 8192, 0) == NULL);
    CHECK(sel4sim_user_window(vs, w, 0, 0) == NULL);
    CHECK(sel4sim_user_window(seL4_CapInitThreadTCB, w, 4096, 0) == NULL);
    /* Across two leaf tables. */
    const seL4_Word w2 = 0x01000000u;
    CHECK_EQ(t_unmap_frame(f0), seL4_NoError);
    CHECK_EQ(t_unmap_frame(f2), seL4_NoError);
    CHECK(t_map_tables(vs, w2 - 0x1000, t_page_level(0)) >= 0);
    CHECK(t_map_tables(vs, w2, t_page_level(0)) >= 0);
    CHECK_EQ(t_map_frame(f0, vs, w2 - 0x1000, seL4_ReadWrite), seL4_NoError);
    CHECK_EQ(t_map_frame(f2, vs, w2, seL4_ReadWrite), seL4_NoError);
    CHECK(sel4sim_user_window(vs, w2 - 0x1000, 8192, 1) == NULL); /* f0, f2: a frame apart */
    CHECK_EQ(t_unmap_frame(f1), seL4_NoError);
    CHECK_EQ(t_unmap_frame(f2), seL4_NoError);
    CHECK_EQ(t_map_frame(f1, vs, w2, seL4_ReadWrite), seL4_NoError);
    uint8_t *across = sel4sim_user_window(vs, w2 - 0x1000, 8192, 1);
    CHECK(across != NULL && (win == NULL || across == win));
}

enum { FRAMES = 6 }; /* frames in the runs below */

/* Boots arch with a new vspace (returned; seL4_CapNull if arch does not
 * boot) and n frames retyped one after the other: consecutive in RAM. */
static seL4_CPtr boot_with_run(vs_arch_id arch, seL4_CPtr *f, int n)
{
    if (t_boot(arch, 32u << 20) == NULL) {
        return seL4_CapNull;
    }
    seL4_CPtr vs = t_new_vspace();
    for (int i = 0; i < n; i++) {
        f[i] = t_retype(t_frame_type(0), 0);
        CHECK(t_frame_paddr(f[i]) == t_frame_paddr(f[0]) + (seL4_Word)i * 4096);
    }
    return vs;
}

/* A run of consecutive entries mapping consecutive frames: entries that
 * differ from the one before only in the address (the usual case, read
 * without a decode) and entries that differ in anything else (rights, no
 * entry, another frame) must still be told apart. */
static void test_user_window_run(vs_arch_id arch)
{
    const seL4_Word w = 0x00800000u;
    seL4_CPtr f[FRAMES];
    seL4_CPtr vs = boot_with_run(arch, f, FRAMES);
    if (vs == seL4_CapNull) {
        return;
    }
    CHECK_EQ(sel4sim_contiguous_objects(f, FRAMES, 12), FRAMES);
    CHECK_EQ(sel4sim_contiguous_objects(f + 1, FRAMES - 1, 12), FRAMES - 1);
    CHECK_EQ(sel4sim_contiguous_objects(f, FRAMES, 13), 1); /* a frame apart, not two */
    seL4_CPtr gap[3] = {f[0], f[1], f[3]}, none[2] = {seL4_CapNull, f[0]};
    CHECK_EQ(sel4sim_contiguous_objects(gap, 3, 12), 2);
    CHECK_EQ(sel4sim_contiguous_objects(none, 2, 12), 0);
    CHECK_EQ(sel4sim_contiguous_objects(f, 0, 12), 0);
    CHECK_EQ(t_map_tables(vs, w, t_page_level(0)), t_page_level(0));
    for (int i = 0; i < FRAMES; i++) {
        /* Frame 4 read-only: its entry differs from frame 3's in the rights. */
        seL4_CapRights_t r = i == 4 ? seL4_CanRead : seL4_ReadWrite;
        CHECK_EQ(t_map_frame(f[i], vs, w + (seL4_Word)i * 4096, r), seL4_NoError);
    }
    uint8_t *first = sel4sim_user_window(vs, w, 4096, 0);
    CHECK(first != NULL);
    CHECK(sel4sim_user_window(vs, w, 4 * 4096, 1) == first);
    CHECK(sel4sim_user_window(vs, w, 5 * 4096, 1) == NULL); /* frame 4 is not writable */
    CHECK(sel4sim_user_window(vs, w, 5 * 4096, 0) == first);
    CHECK(sel4sim_user_window(vs, w, FRAMES * 4096, 0) == first);
    CHECK(sel4sim_user_window(vs, w, (FRAMES + 1) * 4096, 0) == NULL); /* nothing after the last */
    /* Frame 5 where frame 2 was: the rights match, the address does not. */
    CHECK_EQ(t_unmap_frame(f[2]), seL4_NoError);
    CHECK_EQ(t_unmap_frame(f[5]), seL4_NoError);
    CHECK_EQ(t_map_frame(f[5], vs, w + 2 * 4096, seL4_ReadWrite), seL4_NoError);
    CHECK(sel4sim_user_window(vs, w, 2 * 4096, 1) == first);
    CHECK(sel4sim_user_window(vs, w, 3 * 4096, 1) == NULL);
    CHECK(sel4sim_user_window(vs, w + 2 * 4096, 4096, 1) != NULL);
}

/* Page_Unmap of frames in the order they are mapped: an entry that is the
 * one unmapped before plus the address field's step is not decoded
 * (walk.c). Still told apart: an entry that differs in anything but the
 * address (frame 4 read-only), and, on x86 and Arm (which replace a
 * mapping; RISC-V refuses), a frame whose recorded slot holds the next
 * entry of the run but maps another frame (`other`, replaced by frame 2),
 * and the next frame of the run whose slot holds another frame's entry
 * (frame 3, replaced by `over`): unmapping either changes nothing. */
static void test_unmap_run(vs_arch_id arch)
{
    seL4_CPtr f[FRAMES];
    seL4_CPtr vs = boot_with_run(arch, f, FRAMES);
    if (vs == seL4_CapNull) {
        return;
    }
    const seL4_Word w = 0x00c00000u;
    seL4_CPtr other = t_retype(t_frame_type(0), 0), over = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_tables(vs, w, t_page_level(0)), t_page_level(0));
    int replaces = sel4sim_arch() < VS_ARCH_RISCV32;
    if (replaces) {
        CHECK_EQ(t_map_frame(other, vs, w + 2 * 4096, seL4_ReadWrite), seL4_NoError);
    }
    for (int i = 0; i < FRAMES; i++) {
        seL4_CapRights_t r = i == 4 ? seL4_CanRead : seL4_ReadWrite;
        CHECK_EQ(t_map_frame(f[i], vs, w + (seL4_Word)i * 4096, r), seL4_NoError);
    }
    if (replaces) {
        CHECK_EQ(t_map_frame(over, vs, w + 3 * 4096, seL4_ReadWrite), seL4_NoError);
    }
    for (int i = 0; i < FRAMES; i++) {
        seL4_Word va = w + (seL4_Word)i * 4096;
        if (i == 2 && replaces) {
            CHECK_EQ(t_unmap_frame(other), seL4_NoError);
            CHECK_EQ(t_translate(vs, va).paddr, t_frame_paddr(f[2]));
        }
        if (i == 3 && replaces) {
            CHECK_EQ(t_unmap_frame(f[3]), seL4_NoError);
            CHECK_EQ(t_translate(vs, va).paddr, t_frame_paddr(over));
            CHECK_EQ(t_unmap_frame(over), seL4_NoError);
            continue;
        }
        CHECK_EQ(t_translate(vs, va).paddr, t_frame_paddr(f[i]));
        CHECK_EQ(t_unmap_frame(f[i]), seL4_NoError);
        CHECK(!t_translate(vs, va).found);
        if (i + 1 < FRAMES) {
            CHECK(t_translate(vs, va + 4096).found);
        }
    }
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_arch(simtest_archs[i]);
        test_user_window(simtest_archs[i]);
        test_user_window_run(simtest_archs[i]);
        test_unmap_run(simtest_archs[i]);
    }
    test_execute_never(VS_ARCH_AARCH32, seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever);
    test_execute_never(VS_ARCH_AARCH64, seL4_ARM_Default_VMAttributes | seL4_ARM_ExecuteNever);
    test_execute_never(VS_ARCH_RISCV32, seL4_RISCV_ExecuteNever);
    test_execute_never(VS_ARCH_RISCV64, seL4_RISCV_ExecuteNever);
    return simtest_done("sim_mmu");
}
