/* The kernel's walks of its own page tables. They read the entries from
 * simulated physical memory through the architecture's decoder, so the
 * kernel and the MMU (mmu.c) always see the same tables. */
#include "internal.h"

seL4_Word sim_entry_addr(seL4_Word table, int level, seL4_Word vaddr)
{
    const vs_paging_level *l = &sim.arch->levels[level];
    return table + ((vaddr >> l->shift) & sim_mask(l->index_bits)) * l->entry_bytes;
}

/* The last table entry each level's walk decoded. Decoding is a pure
 * function of the format, the level and the raw entry, and the walks of a
 * run of pages meet the same table entries page after page (every map and
 * unmap walks), so a raw entry equal to the remembered one points to the
 * remembered table without being decoded again. Only entries that decoded
 * to a table are remembered; the format tells machines apart. */
typedef struct table_memo {
    const sim_pte_format *format;
    uint64_t raw;
    seL4_Word table;
} table_memo;

static table_memo walk_memo[VS_MAX_LEVELS];

/* Where the last walk that reached its target level through tables found
 * that level's table: for a root, a target level and the part of vaddr
 * above what that table translates (vaddr >> reach). Map and unmap of a
 * run of pages walk to the same last-level table page after page; the
 * path above it stays valid until RAM is written anywhere but in a
 * last-level entry, which phys.c reports (sim_walk_forget). The target
 * level's geometry is kept with it: a walk that takes the path indexes
 * the table at once. */
typedef struct walk_path {
    bool valid;
    const sim_pte_format *format;
    seL4_Word root, tag, table, index_mask;
    int target;
    unsigned reach, shift, entry_bytes;
} walk_path;

static walk_path last_path;

void sim_walk_forget(void)
{
    last_path.valid = false;
}

/* An empty entry (what every map finds where its page goes) is invalid in
 * every modelled format: its present / valid / type bits are 0. */
static inline sim_pte decode_entry(const sim_pte_format *format, uint64_t raw, int level)
{
    return raw == 0 ? (sim_pte){.kind = PTE_INVALID} : format->decode(raw, level);
}

/* Remembers that the walk for vaddr found `table` at level target (a
 * level below the root whose tables translate less than the whole word). */
static void remember_path(const sim_pte_format *format, seL4_Word root_paddr, seL4_Word vaddr, int target,
                          seL4_Word table)
{
    const vs_paging_level *l = &sim.arch->levels[target];
    unsigned reach = l->shift + l->index_bits;
    if (target < 1 || reach >= 64) {
        return;
    }
    last_path = (walk_path){.valid = true,
                            .format = format,
                            .root = root_paddr,
                            .tag = vaddr >> reach,
                            .table = table,
                            .index_mask = sim_mask(l->index_bits),
                            .target = target,
                            .reach = reach,
                            .shift = l->shift,
                            .entry_bytes = l->entry_bytes};
}

/* Follow table entries from the root; stop at level target or at the first
 * entry that is not a table, whichever comes first. The result goes to *w
 * once, at the end: every map and unmap walks, and copying a freshly
 * decoded entry at each level stalls the CPU. */
void sim_walk_to(seL4_Word root_paddr, seL4_Word vaddr, int target, sim_walk *w)
{
    const sim_pte_format *format = sim.sa->pte;
    if (last_path.valid && last_path.root == root_paddr && last_path.target == target && last_path.format == format &&
        vaddr >> last_path.reach == last_path.tag) {
        seL4_Word slot = last_path.table + ((vaddr >> last_path.shift) & last_path.index_mask) * last_path.entry_bytes;
        uint64_t raw = sim_entry_read(slot, last_path.entry_bytes);
        w->level = target;
        w->slot = slot;
        w->pte = decode_entry(format, raw, target);
        return;
    }
    seL4_Word table = root_paddr;
    for (int level = 0;; level++) {
        seL4_Word slot = sim_entry_addr(table, level, vaddr);
        uint64_t raw = sim_entry_read(slot, sim.arch->levels[level].entry_bytes);
        table_memo *memo = &walk_memo[level];
        if (level != target && memo->format == format && memo->raw == raw) {
            table = memo->table;
            continue;
        }
        sim_pte pte = decode_entry(format, raw, level);
        if (level == target || pte.kind != PTE_TABLE) {
            if (level == target) {
                remember_path(format, root_paddr, vaddr, target, table);
            }
            *w = (sim_walk){.level = level, .slot = slot, .pte = pte};
            return;
        }
        *memo = (table_memo){format, raw, pte.addr};
        table = pte.addr;
    }
}

/* Index into arch->page_sizes of a frame object. */
static int frame_size_index(const sim_obj *frame)
{
    return frame->otype->index;
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
        sim_entries_write(w.slot, w.level, ps->entries, 0);
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
        sim_entries_write(w.slot, w.level, 1, 0);
    }
}
