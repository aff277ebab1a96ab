/* The MMU: translate a user virtual address the way the CPU's table walker
 * does, from the root's physical address through entries read from
 * simulated physical memory. It shares only the entry decoder with the
 * kernel model, so a kernel bug that writes wrong entries shows up here. */
#include "internal.h"

typedef struct mmu_limits {
    bool deny_user, deny_write, deny_exec;
} mmu_limits;

static bool root_cap(const sim_cap *cap)
{
    return cap->kind == K_ROOT || (sim.sa->family == FAM_RISCV && cap->kind == K_TABLE);
}

/* Effective user permissions: the leaf's, less what any table above it
 * withheld (x86 R/W and U/S at every level, Arm APTable / UXNTable). */
static void leaf_result(const sim_pte *p, const mmu_limits *lim, seL4_Word vaddr, sel4sim_translation *out)
{
    out->found = 1;
    out->size_bits = p->size_bits;
    out->paddr = p->addr + (vaddr & sim_mask(p->size_bits));
    out->user = p->user && !lim->deny_user;
    out->read = out->user && p->read;
    out->write = out->user && p->write && !lim->deny_write;
    out->exec = out->user && p->exec && !lim->deny_exec;
}

/* Where a walk found its leaf: the table holding the entry, its level, and
 * what the tables above withheld. */
typedef struct leaf_place {
    bool found;
    seL4_Word table, vaddr;
    int level;
    mmu_limits lim;
} leaf_place;

/* leaf, if not NULL, receives where the leaf was (if one was found). */
static void walk(seL4_Word table, seL4_Word vaddr, sel4sim_translation *out, leaf_place *leaf)
{
    mmu_limits lim = {false, false, false};
    for (int level = 0; level < sim.arch->num_levels; level++) {
        seL4_Word slot = sim_entry_addr(table, level, vaddr);
        unsigned bytes = sim.arch->levels[level].entry_bytes;
        if (!sim_phys_contains(slot, bytes)) {
            return; /* a bus error on real hardware */
        }
        sim_pte p = sim.sa->pte->decode(sim_entry_read(slot, bytes), level);
        if (p.kind == PTE_LEAF) {
            leaf_result(&p, &lim, vaddr, out);
            if (leaf != NULL) {
                *leaf = (leaf_place){true, table, vaddr, level, lim};
            }
        }
        if (p.kind != PTE_TABLE) {
            /* An invalid entry: the whole span it translates is unmapped. */
            out->size_bits = out->found ? out->size_bits : sim.arch->levels[level].shift;
            return;
        }
        lim.deny_user |= p.deny_user;
        lim.deny_write |= p.deny_write;
        lim.deny_exec |= p.deny_exec;
        table = p.addr;
    }
}

seL4_Error sel4sim_translate(seL4_CPtr vspace_root, seL4_Word vaddr, sel4sim_translation *out)
{
    *out = (sel4sim_translation){0};
    sim_slot *s = sim_lookup_slot(vspace_root);
    if (s == NULL || !root_cap(&s->cap)) {
        return seL4_InvalidCapability;
    }
    if (vaddr >> sim.sa->va_bits == 0) {
        walk(s->cap.obj->paddr, vaddr, out, NULL);
    }
    return seL4_NoError;
}

/* Whether a translation lets the user read (and, if asked, write) there. */
static bool user_may(const sel4sim_translation *t, int write)
{
    return t->found && t->read && (!write || t->write);
}

/* Past *off, the leaf entries of the table where the walk for leaf->vaddr
 * found its leaf, for the addresses that table translates: each is what a
 * walk would find there (the tables above, and so their limits, are the
 * same). Returns how far from base the run of usable leaves, mapping the
 * physical bytes right after first + off, reaches (off itself if the next
 * entry is not such a leaf, or the next address is in another table). A
 * window's pages are mostly consecutive entries of one table, each the
 * entry before plus the address field's step for one page: an entry equal
 * to that is the previous leaf's successor (same rights, next page) and
 * is not decoded again. The step is only taken where one entry is one
 * page; an address field that carried over into other bits would mean an
 * address past RAM, which the caller refuses (sim_phys_contains). */
static seL4_Word same_table_run(const leaf_place *leaf, seL4_Word base, seL4_Word first, seL4_Word off, size_t len,
                                int write)
{
    const vs_paging_level *l = &sim.arch->levels[leaf->level];
    unsigned reach = l->shift + l->index_bits;
    seL4_Word span = (seL4_Word)1 << l->shift;
    if (!leaf->found || reach >= 64 || ((base + off) & (span - 1)) != 0) {
        return off;
    }
    /* The entry before base + off's: off advances one entry at a time. */
    seL4_Word slot = sim_entry_addr(leaf->table, leaf->level, base + off) - l->entry_bytes;
    uint64_t expected = 0, delta = 0; /* the next page's entry; 0 (never a usable leaf): none */
    while (off < len) {
        seL4_Word va = base + off;
        if (va >> reach != leaf->vaddr >> reach || va >> sim.sa->va_bits != 0) {
            break;
        }
        slot += (seL4_Word)l->entry_bytes; /* va is the next entry's first address */
        uint64_t raw = sim_entry_read(slot, l->entry_bytes);
        if (expected == 0 || raw != expected) {
            sim_pte p = sim.sa->pte->decode(raw, leaf->level);
            if (p.kind != PTE_LEAF) {
                break;
            }
            sel4sim_translation t; /* leaf_result sets every field user_may reads */
            leaf_result(&p, &leaf->lim, va, &t);
            if (!user_may(&t, write) || t.paddr != first + off) {
                break;
            }
            expected = p.size_bits == l->shift ? raw : 0;
            delta = expected != 0 ? sim_next_leaf_delta(p.addr, leaf->level, p.size_bits) : 0;
        }
        expected += delta;
        off += span;
    }
    return off;
}

void *sel4sim_user_window(seL4_CPtr vspace_root, seL4_Word vaddr, size_t len, int write)
{
    sim_slot *s = sim.booted ? sim_lookup_slot(vspace_root) : NULL;
    if (s == NULL || !root_cap(&s->cap) || len == 0 || len - 1 > ~vaddr) {
        return NULL;
    }
    seL4_Word first = 0;
    for (seL4_Word off = 0; off < len;) {
        seL4_Word va = vaddr + off;
        sel4sim_translation t = {0};
        leaf_place leaf = {0};
        if (va >> sim.sa->va_bits == 0) {
            walk(s->cap.obj->paddr, va, &t, &leaf);
        }
        if (!user_may(&t, write)) {
            return NULL;
        }
        if (off == 0) {
            first = t.paddr;
        } else if (t.paddr != first + off) {
            return NULL; /* physically discontiguous: no one host range shows it */
        }
        off += sim_mask(t.size_bits) - (va & sim_mask(t.size_bits)) + 1;
        off = same_table_run(&leaf, vaddr, first, off, len, write);
    }
    return sim_phys_contains(first, len) ? sim_phys_host(first, len, write != 0) : NULL;
}

int sel4sim_is_ram(const void *p)
{
    return sim_phys_is_host(p);
}
