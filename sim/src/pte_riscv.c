/* RISC-V Sv32 and Sv39 entries (RISC-V Privileged Spec, 4.3 and 4.4): V, R,
 * W, X, U, G, A, D, then the PPN from bit 10. R = W = X = 0 points to the
 * next table; anything else is a leaf, and a superpage leaf whose low PPN
 * bits are not zero is a misaligned superpage (the walk faults). */
#include "internal.h"

enum {
    RV_V = 1u << 0,
    RV_R = 1u << 1,
    RV_W = 1u << 2,
    RV_X = 1u << 3,
    RV_U = 1u << 4,
    RV_A = 1u << 6,
    RV_D = 1u << 7,
    RV_PPN_SHIFT = 10
};

typedef struct rv_geometry {
    uint8_t levels;
    uint8_t shift[3];
    uint8_t ppn_bits;
} rv_geometry;

static const rv_geometry sv32 = {2, {22, 12, 0}, 22};
static const rv_geometry sv39 = {3, {30, 21, 12}, 44};

static uint64_t rv_table(uint64_t paddr, int level)
{
    (void)level;
    return (paddr >> 12) << RV_PPN_SHIFT | RV_V;
}

/* seL4 writes no entry at all for a kernel-only, non-executable frame. */
static uint64_t rv_leaf(uint64_t paddr, int level, unsigned size_bits, sim_vm_rights r, seL4_Word attr)
{
    (void)level;
    (void)size_bits;
    bool exec = !(attr & seL4_RISCV_ExecuteNever);
    if (r == VM_KERNEL_ONLY && !exec) {
        return 0;
    }
    uint64_t e = (paddr >> 12) << RV_PPN_SHIFT | RV_V | RV_U | RV_A | RV_D;
    e |= (r != VM_KERNEL_ONLY) ? RV_R : 0;
    e |= (r == VM_READ_WRITE) ? RV_W : 0;
    return e | (exec ? RV_X : 0);
}

static sim_pte rv_leaf_decode(uint64_t raw, uint64_t ppn, unsigned bits)
{
    sim_pte p = {.kind = PTE_INVALID};
    if ((ppn << 12) & sim_mask(bits) || !(raw & RV_A)) {
        return p; /* misaligned superpage, or access with A clear: fault */
    }
    p.kind = PTE_LEAF;
    p.size_bits = (uint8_t)bits;
    p.addr = ppn << 12;
    p.user = (raw & RV_U) != 0;
    p.read = p.user && (raw & RV_R);
    p.write = p.user && (raw & RV_W) && (raw & RV_D);
    p.exec = p.user && (raw & RV_X);
    return p;
}

static sim_pte rv_decode(uint64_t raw, int level, const rv_geometry *g)
{
    sim_pte p = {.kind = PTE_INVALID};
    uint64_t ppn = (raw >> RV_PPN_SHIFT) & sim_mask(g->ppn_bits);
    bool last = level == g->levels - 1;
    if (!(raw & RV_V) || ((raw & RV_W) && !(raw & RV_R))) {
        return p;
    }
    if (!(raw & (RV_R | RV_W | RV_X))) {
        if (!last) {
            p.kind = PTE_TABLE;
            p.addr = ppn << 12;
        }
        return p;
    }
    return rv_leaf_decode(raw, ppn, g->shift[level]);
}

static sim_pte sv32_decode(uint64_t raw, int level)
{
    return rv_decode(raw & 0xffffffffu, level, &sv32);
}

static sim_pte sv39_decode(uint64_t raw, int level)
{
    return rv_decode(raw, level, &sv39);
}

const sim_pte_format sim_pte_sv32 = {rv_table, rv_leaf, sv32_decode};
const sim_pte_format sim_pte_sv39 = {rv_table, rv_leaf, sv39_decode};
