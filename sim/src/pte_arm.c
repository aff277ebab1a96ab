/* Arm paging entries. aarch32: ARMv7-A short descriptors (ARM ARM B3.5):
 * first level page-table / section / supersection, second level large
 * (64K) / small (4K) page, AP[2:0] with APX, XN, TEX/C/B, nG. aarch64:
 * ARMv8-A stage 1, 4 KiB granule (ARM ARM D8.3): table / block / page
 * descriptors, AttrIndx, AP[2:1], SH, AF, nG, PXN, UXN and the table
 * descriptors' APTable / UXNTable limits. */
#include "internal.h"

/* ---- ARMv7 short descriptors */
enum {
    V7_L1_TABLE = 1u,
    V7_L1_SECTION = 2u,
    V7_SUPERSECTION = 1u << 18,
    V7_SECTION_XN = 1u << 4,
    V7_SECTION_AP_SHIFT = 10,
    V7_SECTION_APX = 1u << 15,
    V7_SECTION_TEX_SHIFT = 12,
    V7_NG = 1u << 11,
    V7_SECTION_NG = 1u << 17,
    V7_L2_LARGE = 1u,
    V7_L2_SMALL = 2u,
    V7_SMALL_XN = 1u << 0,
    V7_LARGE_XN = 1u << 15,
    V7_L2_AP_SHIFT = 4,
    V7_L2_APX = 1u << 9,
    V7_SMALL_TEX_SHIFT = 6,
    V7_LARGE_TEX_SHIFT = 12,
    V7_C = 1u << 3,
    V7_B = 1u << 2
};

/* AP[2:0] seL4 uses: kernel-only 001, user read-only 010, user RW 011. */
static unsigned v7_ap(sim_vm_rights r)
{
    static const unsigned ap[] = {[VM_KERNEL_ONLY] = 1, [VM_READ_ONLY] = 2, [VM_READ_WRITE] = 3};
    return ap[r];
}

/* Cacheable: TEX 001, C, B (write-back, write-allocate); else strongly ordered. */
static uint64_t v7_cache(seL4_Word attr, unsigned tex_shift)
{
    if (!(attr & seL4_ARM_PageCacheable)) {
        return 0;
    }
    return (1u << tex_shift) | V7_C | V7_B;
}

static uint64_t v7_table(uint64_t paddr, int level)
{
    (void)level;
    return (paddr & 0xfffffc00u) | V7_L1_TABLE;
}

static uint64_t v7_section(uint64_t paddr, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    unsigned ap = v7_ap(r);
    uint64_t d = (paddr & ~sim_mask(size_bits)) | V7_L1_SECTION | V7_SECTION_NG;
    d |= (uint64_t)(ap & 3) << V7_SECTION_AP_SHIFT | ((ap & 4) ? V7_SECTION_APX : 0);
    d |= v7_cache(attr, V7_SECTION_TEX_SHIFT);
    d |= (attr & seL4_ARM_ExecuteNever) ? V7_SECTION_XN : 0;
    return d | (size_bits == 24 ? V7_SUPERSECTION : 0);
}

static uint64_t v7_page(uint64_t paddr, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    unsigned ap = v7_ap(r);
    bool large = size_bits == 16;
    bool xn = (attr & seL4_ARM_ExecuteNever) != 0;
    uint64_t d = (paddr & ~sim_mask(size_bits)) | V7_NG;
    d |= (uint64_t)(ap & 3) << V7_L2_AP_SHIFT | ((ap & 4) ? V7_L2_APX : 0);
    d |= v7_cache(attr, large ? V7_LARGE_TEX_SHIFT : V7_SMALL_TEX_SHIFT);
    if (large) {
        return d | V7_L2_LARGE | (xn ? V7_LARGE_XN : 0);
    }
    return d | V7_L2_SMALL | (xn ? V7_SMALL_XN : 0);
}

static uint64_t v7_leaf(uint64_t paddr, int level, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    return level == 0 ? v7_section(paddr, size_bits, r, attr) : v7_page(paddr, size_bits, r, attr);
}

/* User permissions from AP[2:0] (no access-flag model, SCTLR.AFE = 0). */
static void v7_rights(sim_pte *p, unsigned ap, bool xn)
{
    p->user = p->read = (ap & 2) != 0;
    p->write = ap == 3;
    p->exec = p->user && !xn;
}

static sim_pte v7_decode_l1(uint64_t raw)
{
    sim_pte p = {.kind = PTE_INVALID};
    if ((raw & 3) == V7_L1_TABLE) {
        p.kind = PTE_TABLE;
        p.addr = raw & 0xfffffc00u;
        return p;
    }
    if (!(raw & V7_L1_SECTION)) {
        return p;
    }
    p.kind = PTE_LEAF;
    p.size_bits = (raw & V7_SUPERSECTION) ? 24 : 20;
    p.addr = raw & ~sim_mask(p.size_bits) & 0xffffffffu;
    unsigned ap = ((raw >> V7_SECTION_AP_SHIFT) & 3) | ((raw & V7_SECTION_APX) ? 4 : 0);
    v7_rights(&p, ap, (raw & V7_SECTION_XN) != 0);
    return p;
}

static sim_pte v7_decode_l2(uint64_t raw)
{
    sim_pte p = {.kind = PTE_INVALID};
    if ((raw & 3) == 0) {
        return p;
    }
    bool large = (raw & 3) == V7_L2_LARGE;
    p.kind = PTE_LEAF;
    p.size_bits = large ? 16 : 12;
    p.addr = raw & ~sim_mask(p.size_bits) & 0xffffffffu;
    unsigned ap = ((raw >> V7_L2_AP_SHIFT) & 3) | ((raw & V7_L2_APX) ? 4 : 0);
    v7_rights(&p, ap, large ? (raw & V7_LARGE_XN) != 0 : (raw & V7_SMALL_XN) != 0);
    return p;
}

static sim_pte v7_decode(uint64_t raw, int level)
{
    return level == 0 ? v7_decode_l1(raw & 0xffffffffu) : v7_decode_l2(raw & 0xffffffffu);
}

const sim_pte_format sim_pte_armv7 = {v7_table, v7_leaf, v7_decode};

/* ---- ARMv8 stage 1, 4 KiB granule */
#define V8_ADDR 0x0000fffffffff000ull
#define V8_PXN ((uint64_t)1 << 53)
#define V8_UXN ((uint64_t)1 << 54)
#define V8_UXN_TABLE ((uint64_t)1 << 60)
#define V8_AP_TABLE_NO_EL0 ((uint64_t)1 << 61)
#define V8_AP_TABLE_RO ((uint64_t)1 << 62)

enum {
    V8_VALID = 1u,
    V8_TABLE_OR_PAGE = 2u,
    V8_ATTR_SHIFT = 2,
    V8_AP_SHIFT = 6,
    V8_SH_INNER = 3u << 8,
    V8_AF = 1u << 10,
    V8_NG = 1u << 11,
    /* Our MAIR layout, as seL4's: index 4 normal write-back, 3 normal non-cacheable. */
    V8_MAIR_NORMAL = 4,
    V8_MAIR_NORMAL_NC = 3
};

/* Leaves per level: 0 means no block descriptor exists at that level. */
static const uint8_t v8_leaf_bits[4] = {0, 30, 21, 12};

/* AP[2:1] seL4 uses: kernel-only 00, user RW 01, user read-only 11. */
static uint64_t v8_ap(sim_vm_rights r)
{
    static const unsigned ap[] = {[VM_KERNEL_ONLY] = 0, [VM_READ_ONLY] = 3, [VM_READ_WRITE] = 1};
    return (uint64_t)ap[r] << V8_AP_SHIFT;
}

static uint64_t v8_table(uint64_t paddr, int level)
{
    (void)level;
    return (paddr & V8_ADDR) | V8_VALID | V8_TABLE_OR_PAGE;
}

static uint64_t v8_leaf(uint64_t paddr, int level, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    unsigned idx = (attr & seL4_ARM_PageCacheable) ? V8_MAIR_NORMAL : V8_MAIR_NORMAL_NC;
    uint64_t d = (paddr & V8_ADDR & ~sim_mask(size_bits)) | V8_VALID;
    d |= level == 3 ? V8_TABLE_OR_PAGE : 0;
    d |= (uint64_t)idx << V8_ATTR_SHIFT | v8_ap(r) | V8_SH_INNER | V8_AF | V8_NG | V8_PXN;
    return d | ((attr & seL4_ARM_ExecuteNever) ? V8_UXN : 0);
}

static sim_pte v8_decode_table(uint64_t raw)
{
    sim_pte p = {.kind = PTE_TABLE, .addr = raw & V8_ADDR};
    p.deny_user = (raw & V8_AP_TABLE_NO_EL0) != 0;
    p.deny_write = (raw & V8_AP_TABLE_RO) != 0;
    p.deny_exec = (raw & V8_UXN_TABLE) != 0;
    return p;
}

/* An entry with AF clear faults on first access (no hardware AF update). */
static sim_pte v8_decode(uint64_t raw, int level)
{
    sim_pte p = {.kind = PTE_INVALID};
    bool bit1 = (raw & V8_TABLE_OR_PAGE) != 0;
    if (!(raw & V8_VALID)) {
        return p;
    }
    if (level < 3 && bit1) {
        return v8_decode_table(raw);
    }
    unsigned bits = (level == 3) ? (bit1 ? 12 : 0) : v8_leaf_bits[level];
    if (bits == 0 || !(raw & V8_AF)) {
        return p;
    }
    unsigned ap = (raw >> V8_AP_SHIFT) & 3;
    p.kind = PTE_LEAF;
    p.size_bits = (uint8_t)bits;
    p.addr = raw & V8_ADDR & ~sim_mask(bits);
    p.user = p.read = (ap & 1) != 0;
    p.write = p.user && !(ap & 2);
    p.exec = p.user && !(raw & V8_UXN);
    return p;
}

const sim_pte_format sim_pte_armv8 = {v8_table, v8_leaf, v8_decode};
