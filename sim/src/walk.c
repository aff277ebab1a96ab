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

/* The slot of vaddr's entry at level target, if the remembered path leads
 * there (a walk would reach that level through tables and find it). */
static inline bool path_slot(const sim_pte_format *format, seL4_Word root_paddr, seL4_Word vaddr, int target,
                             seL4_Word *slot)
{
    if (!last_path.valid || last_path.root != root_paddr || last_path.target != target || last_path.format != format ||
        vaddr >> last_path.reach != last_path.tag) {
        return false;
    }
    *slot = last_path.table + ((vaddr >> last_path.shift) & last_path.index_mask) * last_path.entry_bytes;
    return true;
}

/* Follow table entries from the root; stop at level target or at the first
 * entry that is not a table, whichever comes first. The result goes to *w
 * once, at the end: every map and unmap walks, and copying a freshly
 * decoded entry at each level stalls the CPU. */
void sim_walk_to(seL4_Word root_paddr, seL4_Word vaddr, int target, sim_walk *w)
{
    const sim_pte_format *format = sim.sa->pte;
    seL4_Word path;
    if (path_slot(format, root_paddr, vaddr, target, &path)) {
        uint64_t raw = sim_entry_read(path, last_path.entry_bytes);
        w->level = target;
        w->slot = path;
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

uint64_t sim_next_leaf_delta(uint64_t addr, int level, unsigned size_bits)
{
    const sim_pte_format *f = sim.sa->pte;
    uint64_t next = addr + ((uint64_t)1 << size_bits);
    return f->leaf(next, level, size_bits, VM_READ_WRITE, 0) - f->leaf(addr, level, size_bits, VM_READ_WRITE, 0);
}

/* The last leaf entry sim_unmap_page found mapping its frame, where one
 * entry is one page: decode(raw) at `level` in `format` is a leaf at addr.
 * A loader unmaps a window's frames in order, each entry the one before
 * plus the address field's step (delta, worked out at the second page of
 * a run; 0 until then). Such an entry decodes to the same leaf one page
 * further on as long as the address field does not carry into other bits,
 * which the caller makes sure of by asking only about a frame's own
 * address: every frame is RAM (boot hands out no device untypeds), and RAM
 * lies inside every format's address field (boot refuses RAM past 4 GiB
 * on 32-bit machines; the 64-bit fields reach 2^48 or more).
 * Only pure functions of the format, the level and the raw entry are
 * remembered, so no write to RAM can make this stale. */
static struct {
    const sim_pte_format *format;
    int level;
    uint64_t raw, addr, delta;
} unmap_memo;

/* Whether raw, the entry at `level` where a frame at paddr was mapped, is
 * the successor of the remembered leaf: then it is a leaf at paddr, and
 * the memo moves on to it. */
static bool unmap_successor(const sim_pte_format *format, int level, uint64_t raw, seL4_Word paddr)
{
    unsigned page_bits = sim.arch->levels[level].shift;
    if (unmap_memo.format != format || unmap_memo.level != level ||
        paddr - unmap_memo.addr != (uint64_t)1 << page_bits) {
        return false;
    }
    if (unmap_memo.delta == 0) {
        unmap_memo.delta = sim_next_leaf_delta(unmap_memo.addr, level, page_bits);
    }
    if (raw != unmap_memo.raw + unmap_memo.delta) {
        return false;
    }
    unmap_memo.raw = raw;
    unmap_memo.addr = paddr;
    return true;
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
    const sim_pte_format *format = sim.sa->pte;
    seL4_Word paddr = frame->obj->paddr;
    sim_walk w;
    if (path_slot(format, root->paddr, frame->mapped_vaddr, ps->level, &w.slot)) {
        uint64_t raw = sim_entry_read(w.slot, last_path.entry_bytes);
        if (unmap_successor(format, ps->level, raw, paddr)) {
            sim_entries_write(w.slot, ps->level, ps->entries, 0);
            return;
        }
        w.level = ps->level;
        w.pte = decode_entry(format, raw, ps->level);
        if (w.pte.kind == PTE_LEAF && w.pte.size_bits == sim.arch->levels[w.level].shift) {
            unmap_memo.format = format;
            unmap_memo.level = w.level;
            unmap_memo.raw = raw;
            unmap_memo.addr = w.pte.addr;
            unmap_memo.delta = 0;
        }
    } else {
        sim_walk_to(root->paddr, frame->mapped_vaddr, ps->level, &w);
    }
    if (w.level == ps->level && w.pte.kind == PTE_LEAF && w.pte.addr == paddr) {
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
