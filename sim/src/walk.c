/* The kernel's walks of its own page tables. They read the entries from
 * simulated physical memory through the architecture's decoder, so the
 * kernel and the MMU (mmu.c) always see the same tables. */
#include "internal.h"

seL4_Word sim_entry_addr(seL4_Word table, int level, seL4_Word vaddr)
{
    const vs_paging_level *l = &sim.arch->levels[level];
    return table + ((vaddr >> l->shift) & sim_mask(l->index_bits)) * l->entry_bytes;
}

static sim_pte read_entry(seL4_Word slot, int level)
{
    unsigned bytes = sim.arch->levels[level].entry_bytes;
    return sim.sa->pte->decode(sim_entry_read(slot, bytes), level);
}

/* Follow table entries from the root; stop at level target or at the first
 * entry that is not a table, whichever comes first. The result goes to *w
 * once, at the end: every map and unmap walks, and copying a freshly
 * decoded entry at each level stalls the CPU. */
void sim_walk_to(seL4_Word root_paddr, seL4_Word vaddr, int target, sim_walk *w)
{
    seL4_Word table = root_paddr;
    for (int level = 0;; level++) {
        seL4_Word slot = sim_entry_addr(table, level, vaddr);
        sim_pte pte = read_entry(slot, level);
        if (level == target || pte.kind != PTE_TABLE) {
            *w = (sim_walk){.level = level, .slot = slot, .pte = pte};
            return;
        }
        table = pte.addr;
    }
}

/* Index into arch->page_sizes of a frame object. */
static int frame_size_index(const sim_obj *frame)
{
    return sim_objtype_find(frame->type)->index;
}

static void clear_entries(seL4_Word slot, int level, unsigned count)
{
    unsigned bytes = sim.arch->levels[level].entry_bytes;
    for (unsigned i = 0; i < count; i++) {
        sim_entry_write(slot + (seL4_Word)i * bytes, bytes, 0);
    }
}

/* unmapPage: clear the frame's entries if its vspace still exists and they
 * still map this frame; otherwise nothing (the cap outlived its mapping). */
void sim_unmap_page(const sim_cap *frame)
{
    const vs_page_size *ps = &sim.arch->page_sizes[frame_size_index(frame->obj)];
    sim_obj *root = sim_asid_find(frame->mapped_asid);
    if (root == NULL) {
        return;
    }
    sim_walk w;
    sim_walk_to(root->paddr, frame->mapped_vaddr, ps->level, &w);
    if (w.level == ps->level && w.pte.kind == PTE_LEAF && w.pte.addr == frame->obj->paddr) {
        clear_entries(w.slot, w.level, ps->entries);
    }
}

/* unmapPageTable: clear the parent entry that points to this table. */
void sim_unmap_table(const sim_cap *table)
{
    sim_obj *root = sim_asid_find(table->mapped_asid);
    int parent = table->obj->level - 1;
    if (sim.sa->generic_walk) {
        table->obj->level = -1;
    }
    if (root == NULL || parent < 0) {
        return;
    }
    sim_walk w;
    sim_walk_to(root->paddr, table->mapped_vaddr, parent, &w);
    if (w.level == parent && w.pte.kind == PTE_TABLE && w.pte.addr == table->obj->paddr) {
        clear_entries(w.slot, w.level, 1);
    }
}
