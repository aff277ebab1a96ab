/* x86 paging entries: 32-bit two-level (ia32, no PAE) and 64-bit four-level
 * (x86_64). Intel SDM vol. 3A, 4.3 and 4.5: P, R/W, U/S, PWT, PCD, A, D,
 * PS/PAT, G, address, and for 64-bit entries XD in bit 63. */
#include "internal.h"

enum {
    X86_P = 1u << 0,
    X86_RW = 1u << 1,
    X86_US = 1u << 2,
    X86_PWT = 1u << 3,
    X86_PCD = 1u << 4,
    X86_PS = 1u << 7,
    X86_PAT_PTE = 1u << 7,
    X86_PAT_LARGE = 1u << 12
};

#define X86_XD ((uint64_t)1 << 63)
#define X86_32_ADDR 0xfffff000ull
#define X86_64_ADDR 0x000ffffffffff000ull

/* The PS bit marks a leaf in these levels (0: no leaf possible there). */
static const uint8_t x86_32_leaf_bits[2] = {22, 12};
static const uint8_t x86_64_leaf_bits[4] = {0, 30, 21, 12};

static uint64_t x86_rights(sim_vm_rights r)
{
    static const uint64_t bits[] = {
        [VM_KERNEL_ONLY] = X86_RW, [VM_READ_ONLY] = X86_US, [VM_READ_WRITE] = X86_US | X86_RW};
    return bits[r];
}

/* seL4_X86_VMAttributes to PWT/PCD/PAT; PAT sits elsewhere in large pages. */
static uint64_t x86_cache(seL4_Word attr, bool large)
{
    uint64_t pat = large ? X86_PAT_LARGE : X86_PAT_PTE;
    switch (attr) {
    case seL4_X86_WriteThrough:
        return X86_PWT;
    case seL4_X86_CacheDisabled:
        return X86_PCD;
    case seL4_X86_Uncacheable:
        return X86_PCD | X86_PWT;
    case seL4_X86_WriteCombining:
        return pat;
    default:
        return 0;
    }
}

/* seL4 gives paging-structure pointers full user access; the leaf decides. */
static uint64_t x86_32_table(uint64_t paddr, int level)
{
    (void)level;
    return (paddr & X86_32_ADDR) | X86_P | X86_RW | X86_US;
}

static uint64_t x86_64_table(uint64_t paddr, int level)
{
    (void)level;
    return (paddr & X86_64_ADDR) | X86_P | X86_RW | X86_US;
}

static uint64_t x86_leaf(uint64_t paddr, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    bool large = size_bits > 12;
    return paddr | X86_P | x86_rights(r) | x86_cache(attr, large) | (large ? X86_PS : 0);
}

static uint64_t x86_32_leaf(uint64_t paddr, int level, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    (void)level;
    return x86_leaf(paddr & X86_32_ADDR, size_bits, r, attr);
}

static uint64_t x86_64_leaf(uint64_t paddr, int level, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    (void)level;
    return x86_leaf(paddr & X86_64_ADDR, size_bits, r, attr);
}

/* Shared decode: `last` is the level whose entries are always 4K leaves;
 * above it PS selects a leaf where leaf_bits allows one. */
static sim_pte x86_decode(uint64_t raw, int level, int last, const uint8_t *leaf_bits, uint64_t addr_mask)
{
    sim_pte p = {.kind = PTE_INVALID};
    if (!(raw & X86_P)) {
        return p;
    }
    bool leaf = level == last || (raw & X86_PS);
    if (leaf && leaf_bits[level] == 0) {
        return p; /* PS in a PML4E is reserved: the walk faults */
    }
    p.kind = leaf ? PTE_LEAF : PTE_TABLE;
    p.size_bits = leaf ? leaf_bits[level] : 0;
    p.addr = raw & addr_mask & ~sim_mask(p.size_bits);
    p.user = p.read = (raw & X86_US) != 0;
    p.write = p.user && (raw & X86_RW);
    p.exec = p.user && !(raw & X86_XD);
    p.deny_user = !(raw & X86_US);
    p.deny_write = !(raw & X86_RW);
    p.deny_exec = (raw & X86_XD) != 0;
    return p;
}

static sim_pte x86_32_decode(uint64_t raw, int level)
{
    return x86_decode(raw & 0xffffffffu, level, 1, x86_32_leaf_bits, X86_32_ADDR);
}

static sim_pte x86_64_decode(uint64_t raw, int level)
{
    return x86_decode(raw, level, 3, x86_64_leaf_bits, X86_64_ADDR);
}

const sim_pte_format sim_pte_x86_32 = {x86_32_table, x86_32_leaf, x86_32_decode};
const sim_pte_format sim_pte_x86_64 = {x86_64_table, x86_64_leaf, x86_64_decode};
