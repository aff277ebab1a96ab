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
 * above what that table translates. Map and unmap of a run of pages walk
 * to the same last-level table page after page; the path above it stays
 * valid until RAM is written anywhere but in a last-level entry, which
 * phys.c reports (sim_walk_forget). */
typedef struct walk_path {
    bool valid;
    const sim_pte_format *format;
    seL4_Word root, tag, table;
    int target;
} walk_path;

static walk_path last_path;

void sim_walk_forget(void)
{
    last_path.valid = false;
}

/* vaddr >> the bits a table of this level translates, or false when the
 * level translates them all (nothing to remember). */
static bool path_tag(int level, seL4_Word vaddr, seL4_Word *tag)
{
    const vs_paging_level *l = &sim.arch->levels[level];
    unsigned reach = l->shift + l->index_bits;
    *tag = reach < 64 ? vaddr >> reach : 0;
    return level > 0 && reach < 64;
}

/* Follow table entries from the root; stop at level target or at the first
 * entry that is not a table, whichever comes first. The result goes to *w
 * once, at the end: every map and unmap walks, and copying a freshly
 * decoded entry at each level stalls the CPU. */
void sim_walk_to(seL4_Word root_paddr, seL4_Word vaddr, int target, sim_walk *w)
{
    const sim_pte_format *format = sim.sa->pte;
    seL4_Word table = root_paddr, tag;
    bool keep = path_tag(target, vaddr, &tag);
    int level = 0;
    bool hit = keep && last_path.valid && last_path.format == format && last_path.root == root_paddr &&
               last_path.target == target && last_path.tag == tag;
    if (hit) {
        table = last_path.table;
        level = target;
    }
    for (;; level++) {
        seL4_Word slot = sim_entry_addr(table, level, vaddr);
        uint64_t raw = sim_entry_read(slot, sim.arch->levels[level].entry_bytes);
        table_memo *memo = &walk_memo[level];
        if (level != target && memo->format == format && memo->raw == raw) {
            table = memo->table;
            continue;
        }
        sim_pte pte = format->decode(raw, level);
        if (level == target || pte.kind != PTE_TABLE) {
            if (level == target && keep && !hit) {
                last_path = (walk_path){true, format, root_paddr, tag, table, target};
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

static void clear_entries(seL4_Word slot, int level, unsigned count)
{
    unsigned bytes = sim.arch->levels[level].entry_bytes;
    bool last = level == sim.arch->num_levels - 1;
    for (unsigned i = 0; i < count; i++) {
        if (last) {
            sim_leaf_entry_write(slot + (seL4_Word)i * bytes, bytes, 0);
        } else {
            sim_entry_write(slot + (seL4_Word)i * bytes, bytes, 0);
        }
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
