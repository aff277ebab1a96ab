/* Frame and paging-structure invocations (Reference Manual 7, "Virtual
 * Address Spaces", and the Page / PageTable methods in the API chapter).
 * Checks follow the kernels' order; where x86, Arm and RISC-V differ the
 * difference comes from sim_arch data, not from separate code paths. */
#include "internal.h"

static bool family_ok(sim_family fam)
{
    return sim.booted && sim.sa->family == fam;
}

static unsigned last_level(void)
{
    return sim.arch->num_levels - 1u;
}

/* isValidNativeRoot: a root-type cap that has an ASID (on RISC-V any page
 * table cap that is mapped; the ASID lookup then tells roots apart). */
sim_obj *sim_valid_root(const sim_cap *cap)
{
    bool root_type = cap->kind == K_ROOT || (sim.sa->family == FAM_RISCV && cap->kind == K_TABLE);
    return root_type && cap->mapped ? cap->obj : NULL;
}

/* findVSpaceForASID and the check that it found the cap's own root. */
static seL4_Error check_asid(const sim_cap *vcap, sim_obj **root)
{
    sim_obj *found = sim_asid_find(vcap->mapped_asid);
    if (found == NULL) {
        return sim_err_lookup(false, sim_fault_invalid_root());
    }
    if (found != vcap->obj) {
        return sim_err_cap(1);
    }
    *root = found;
    return seL4_NoError;
}

static seL4_Error service_of_kind(sim_family fam, seL4_CPtr cptr, sim_kind kind, sim_slot **s)
{
    if (!family_ok(fam)) {
        return sim_err(seL4_IllegalOperation);
    }
    seL4_Error err = sim_invoked(cptr, s);
    if (err == seL4_NoError && (*s)->cap.kind != kind) {
        return sim_err(seL4_IllegalOperation);
    }
    return err;
}

/* ---- frames */

typedef struct frame_req {
    sim_slot *slot;
    const vs_page_size *size;
    sim_obj *root;
    seL4_Word asid, vaddr;
} frame_req;

/* One mapping per frame cap: a mapped cap may only be mapped again at the
 * same address of the same vspace (which changes its rights). */
static seL4_Error check_frame_mapping(const frame_req *r)
{
    const sim_cap *cap = &r->slot->cap;
    if (cap->mapped_asid != r->asid) {
        return sim_err_cap(1);
    }
    return cap->mapped_vaddr != r->vaddr ? sim_err_arg(0) : seL4_NoError;
}

/* x86 and Arm: alignment, then a mapped cap's recorded mapping (the
 * address range only for an unmapped cap). RISC-V: the range, alignment,
 * and the recorded mapping only after its page-table walk (find_leaf_slot). */
static seL4_Error check_frame_target(const frame_req *r)
{
    const sim_cap *cap = &r->slot->cap;
    seL4_Word bytes = (seL4_Word)1 << r->size->bits;
    seL4_Word last = r->vaddr + (bytes - 1);
    bool in_range = last >= r->vaddr && last <= sim.sa->frame_last;
    bool aligned = (r->vaddr & (bytes - 1)) == 0;
    if (sim.sa->walk_first) {
        if (!in_range) {
            return sim_err_arg(0);
        }
        return aligned ? seL4_NoError : sim_err(seL4_AlignmentError);
    }
    if (!aligned) {
        return sim_err(seL4_AlignmentError);
    }
    if (cap->mapped) {
        return check_frame_mapping(r);
    }
    return in_range ? seL4_NoError : sim_err_arg(0);
}

/* What may sit in the entries a new leaf covers. x86 and aarch32 (one type
 * per level) refuse to cover a table or a leaf of another size; RISC-V
 * refuses any valid entry unless the cap is remapping its own mapping. */
static bool leaf_may_cover(const frame_req *r, const sim_pte *p)
{
    return p->kind != PTE_TABLE && (p->kind != PTE_LEAF || p->size_bits == r->size->bits);
}

static seL4_Error check_leaf_entries(const frame_req *r, const sim_walk *w)
{
    if (!sim.sa->generic_walk) {
        /* The walk stopped at the first entry and decoded it already. */
        bool ok = leaf_may_cover(r, &w->pte);
        unsigned bytes = sim.arch->levels[w->level].entry_bytes;
        for (unsigned i = 1; ok && i < r->size->entries; i++) {
            sim_pte p = sim.sa->pte->decode(sim_entry_read(w->slot + (seL4_Word)i * bytes, bytes), w->level);
            ok = leaf_may_cover(r, &p);
        }
        if (!ok) {
            return sim_err(seL4_DeleteFirst);
        }
    }
    if (sim.sa->refuse_remap && w->pte.kind != PTE_INVALID && (!r->slot->cap.mapped || w->pte.kind == PTE_TABLE)) {
        return sim_err(seL4_DeleteFirst);
    }
    return seL4_NoError;
}

/* The entry the frame goes in. A walk that cannot reach the frame's level
 * is seL4_FailedLookup, reporting the bits left where it stopped. RISC-V
 * walks before it looks at the cap's recorded mapping. */
static seL4_Error find_leaf_slot(const frame_req *r, sim_walk *w)
{
    int level = r->size->level;
    sim_walk_to(r->root->paddr, r->vaddr, sim.sa->generic_walk ? (int)last_level() : level, w);
    if (w->level != level) {
        return sim_err_lookup(false, sim_fault_missing(sim.arch->levels[w->level].shift));
    }
    if (sim.sa->walk_first && r->slot->cap.mapped) {
        seL4_Error err = check_frame_mapping(r);
        if (err != seL4_NoError) {
            return err;
        }
    }
    return check_leaf_entries(r, w);
}

static void write_leaf(const frame_req *r, const sim_walk *w, seL4_CapRights_t rights, seL4_Word attr)
{
    sim_cap *cap = &r->slot->cap;
    sim_vm_rights vm = sim_vm_rights_of(cap->rights & rights.words[0]);
    uint64_t e = sim.sa->pte->leaf(cap->obj->paddr, w->level, r->size->bits, vm, attr);
    sim_entries_write(w->slot, w->level, r->size->entries, e);
    cap->mapped = true;
    cap->mapped_asid = r->asid;
    cap->mapped_vaddr = r->vaddr;
}

seL4_Error sim_frame_map(sim_family fam, seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t rights,
                         seL4_Word attr)
{
    frame_req r = {.vaddr = vaddr};
    sim_walk w;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = service_of_kind(fam, frame, K_FRAME, &r.slot);
    }
    if (err != seL4_NoError) {
        return err;
    }
    const sim_cap *vcap = sim_extra_cap_ref(vspace);
    if (sim_valid_root(vcap) == NULL) {
        return sim_err_cap(1);
    }
    r.asid = vcap->mapped_asid;
    r.size = &sim.arch->page_sizes[r.slot->cap.obj->otype->index];
    err = check_asid(vcap, &r.root);
    if (err == seL4_NoError) {
        err = check_frame_target(&r);
    }
    if (err == seL4_NoError) {
        err = find_leaf_slot(&r, &w);
    }
    if (err != seL4_NoError) {
        return err;
    }
    write_leaf(&r, &w, rights, attr);
    return sim_ok(0, 0);
}

seL4_Error sim_frame_unmap(sim_family fam, seL4_CPtr frame)
{
    sim_slot *s;
    seL4_Error err = service_of_kind(fam, frame, K_FRAME, &s);
    if (err != seL4_NoError) {
        return err;
    }
    if (s->cap.mapped) {
        sim_unmap_page(&s->cap);
    }
    s->cap.mapped = false;
    s->cap.mapped_asid = s->cap.mapped_vaddr = 0;
    return sim_ok(0, 0);
}

seL4_Error sim_frame_address(sim_family fam, seL4_CPtr frame, seL4_Word *paddr)
{
    sim_slot *s;
    seL4_Error err = service_of_kind(fam, frame, K_FRAME, &s);
    if (err != seL4_NoError) {
        return err;
    }
    *paddr = s->cap.obj->paddr;
    return sim_ok(*paddr, 1);
}

/* ---- paging structures */

static seL4_Error table_service(sim_family fam, seL4_Word type, seL4_CPtr cptr, sim_slot **s)
{
    seL4_Error err = service_of_kind(fam, cptr, K_TABLE, s);
    if (err == seL4_NoError && (*s)->cap.obj->type != type) {
        return sim_err(seL4_IllegalOperation);
    }
    return err;
}

/* aarch64 and RISC-V: the table goes in the first empty entry on the way
 * down; an entry already there, or reaching the last level, is DeleteFirst. */
static seL4_Error place_generic(sim_obj *root, seL4_Word vaddr, sim_walk *w)
{
    sim_walk_to(root->paddr, vaddr, (int)last_level(), w);
    if (w->level == (int)last_level() || w->pte.kind != PTE_INVALID) {
        return sim_err(seL4_DeleteFirst);
    }
    return seL4_NoError;
}

/* x86 and aarch32: each table type has its level; the entry above it must
 * be reachable (else FailedLookup) and empty (else DeleteFirst). */
static seL4_Error place_typed(sim_obj *root, int level, seL4_Word vaddr, sim_walk *w)
{
    sim_walk_to(root->paddr, vaddr, level - 1, w);
    if (w->level != level - 1) {
        return sim_err_lookup(false, sim_fault_missing(sim.arch->levels[w->level].shift));
    }
    return w->pte.kind != PTE_INVALID ? sim_err(seL4_DeleteFirst) : seL4_NoError;
}

static void install_table(sim_slot *ts, const sim_walk *w, seL4_Word asid, seL4_Word vaddr)
{
    unsigned bytes = sim.arch->levels[w->level].entry_bytes;
    sim_obj *t = ts->cap.obj;
    sim_entry_write(w->slot, bytes, sim.sa->pte->table(t->paddr, w->level));
    t->level = w->level + 1;
    ts->cap.mapped = true;
    ts->cap.mapped_asid = asid;
    ts->cap.mapped_vaddr = vaddr & ~sim_mask(sim.arch->levels[w->level].shift);
}

/* The address PageTable_Map checks against its bound: x86 first rounds it
 * down to the span the table translates. */
static seL4_Word table_vaddr(const sim_obj *table, seL4_Word vaddr)
{
    int level = table->level;
    if (!sim.sa->table_round || level < 1) {
        return vaddr;
    }
    return vaddr & ~sim_mask(sim.arch->levels[level - 1].shift);
}

void sim_root_init(const sim_obj *root)
{
    seL4_Word window = sim.sa->kernel_window;
    if (window == 0) {
        return;
    }
    const vs_paging_level *top = &sim.arch->levels[0];
    seL4_Word reach = (seL4_Word)1 << top->shift;
    seL4_Word paddr = sim.sa->ram_base & ~(reach - 1);
    seL4_Word end = (seL4_Word)1 << (top->shift + top->index_bits);
    for (seL4_Word va = window; va < end; va += reach, paddr += reach) {
        uint64_t e = sim.sa->pte->leaf(paddr, 0, top->shift, VM_KERNEL_ONLY, 0);
        sim_entry_write(sim_entry_addr(root->paddr, 0, va), top->entry_bytes, e);
    }
}

seL4_Error sim_table_map(sim_family fam, seL4_Word type, seL4_CPtr table, seL4_CPtr vspace, seL4_Word vaddr)
{
    sim_slot *ts = NULL;
    sim_obj *root = NULL;
    sim_walk w;
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = table_service(fam, type, table, &ts);
    }
    if (err != seL4_NoError) {
        return err;
    }
    if (ts->cap.mapped) {
        return sim_err_cap(0);
    }
    sim_cap vcap = sim_extra_cap(vspace, NULL);
    if (sim_valid_root(&vcap) == NULL) {
        return sim_err_cap(1);
    }
    if (table_vaddr(ts->cap.obj, vaddr) > sim.sa->table_last) {
        return sim_err_arg(0);
    }
    err = check_asid(&vcap, &root);
    if (err == seL4_NoError) {
        err = sim.sa->generic_walk ? place_generic(root, vaddr, &w) : place_typed(root, ts->cap.obj->level, vaddr, &w);
    }
    if (err != seL4_NoError) {
        return err;
    }
    install_table(ts, &w, vcap.mapped_asid, vaddr);
    return sim_ok(0, 0);
}

/* Unmapping needs the only cap; the table's entries are cleared, so frames
 * mapped through it vanish from the vspace while their caps still record
 * the mapping. A RISC-V root cannot be unmapped this way. */
seL4_Error sim_table_unmap(sim_family fam, seL4_Word type, seL4_CPtr table)
{
    sim_slot *ts;
    seL4_Error err = table_service(fam, type, table, &ts);
    if (err != seL4_NoError) {
        return err;
    }
    sim_cap *cap = &ts->cap;
    if (cap->obj->ncaps != 1 || (cap->mapped && sim_asid_find(cap->mapped_asid) == cap->obj)) {
        return sim_err(seL4_RevokeFirst);
    }
    if (cap->mapped) {
        sim_unmap_table(cap);
        sim_phys_zero(cap->obj->paddr, (uint64_t)1 << cap->obj->size_bits);
    }
    cap->mapped = false;
    cap->mapped_asid = cap->mapped_vaddr = 0;
    return sim_ok(0, 0);
}
