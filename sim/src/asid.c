/* ASIDs: the global table of pools and the pools' vspace roots (Reference
 * Manual 7.1.2, "Virtual Address Spaces and ASIDs"; ASIDPool_Assign and
 * ASIDControl_MakePool in the API chapter). */
#include "internal.h"

/* findVSpaceForASID: the root assigned asid, or NULL. ASID 0 is never valid. */
sim_obj *sim_asid_find(seL4_Word asid)
{
    unsigned low = sim.sa->asid_low_bits;
    seL4_Word high = asid >> low;
    if (asid == 0 || high >= ((seL4_Word)1 << sim.sa->asid_pool_bits)) {
        return NULL;
    }
    sim_obj *pool = sim.asid_table[high];
    return pool != NULL ? pool->pool[asid & sim_mask(low)] : NULL;
}

void sim_asid_delete(seL4_Word asid, const sim_obj *root)
{
    if (sim_asid_find(asid) == root) {
        sim.asid_table[asid >> sim.sa->asid_low_bits]->pool[asid & sim_mask(sim.sa->asid_low_bits)] = NULL;
    }
}

/* Every ASID of the pool becomes invalid; the roots keep their caps, whose
 * ASID no longer finds them (later mappings fail with seL4_FailedLookup). */
void sim_asid_pool_delete(const sim_obj *pool)
{
    for (unsigned i = 0; i < MAX_ASID_POOLS; i++) {
        if (sim.asid_table[i] == pool) {
            sim.asid_table[i] = NULL;
        }
    }
}

static bool assignable(sim_family fam, const sim_cap *vcap)
{
    bool root_type = vcap->kind == K_ROOT || (fam == FAM_RISCV && vcap->kind == K_TABLE);
    return root_type && !vcap->mapped;
}

/* The first free ASID of the pool (skipping ASID 0), or 0 if it is full. */
static seL4_Word free_asid(const sim_obj *pool)
{
    seL4_Word n = (seL4_Word)1 << sim.sa->asid_low_bits;
    for (seL4_Word i = 0; i < n; i++) {
        if (pool->asid_base + i != 0 && pool->pool[i] == NULL) {
            return pool->asid_base + i;
        }
    }
    return 0;
}

seL4_Error sim_asid_assign(sim_family fam, seL4_CPtr pool, seL4_CPtr vspace)
{
    sim_slot *ps, *vs;
    if (!sim.booted || sim.sa->family != fam) {
        return sim_err(seL4_IllegalOperation);
    }
    seL4_Error err = sim_injected();
    if (err == seL4_NoError) {
        err = sim_invoked(pool, &ps);
    }
    if (err != seL4_NoError) {
        return err;
    }
    if (ps->cap.kind != K_ASID_POOL) {
        return sim_err(seL4_IllegalOperation);
    }
    sim_cap vcap = sim_extra_cap(vspace, &vs);
    if (!assignable(fam, &vcap)) {
        return sim_err_cap(1);
    }
    sim_obj *p = ps->cap.obj;
    sim_obj *listed = sim.asid_table[p->asid_base >> sim.sa->asid_low_bits];
    if (listed == NULL) {
        return sim_err_lookup(false, sim_fault_invalid_root());
    }
    if (listed != p) {
        return sim_err_cap(0);
    }
    seL4_Word asid = free_asid(p);
    if (asid == 0) {
        return sim_err(seL4_DeleteFirst);
    }
    p->pool[asid - p->asid_base] = vcap.obj;
    vcap.obj->level = 0;
    vs->cap.mapped = true;
    vs->cap.mapped_asid = asid;
    vs->cap.mapped_vaddr = 0;
    return sim_ok(0, 0);
}

static int free_pool_index(void)
{
    for (unsigned i = 0; i < (1u << sim.sa->asid_pool_bits); i++) {
        if (sim.asid_table[i] == NULL) {
            return (int)i;
        }
    }
    return -1;
}

static seL4_Error make_pool(sim_slot *ut, sim_slot *dest, int index)
{
    sim_obj *p = sim_obj_new(K_ASID_POOL, seL4_UntypedObject, ut->cap.obj->paddr, seL4_ASIDPoolBits, 0);
    if (p == NULL) {
        return sim_err_memory(0);
    }
    p->asid_base = (seL4_Word)index << sim.sa->asid_low_bits;
    ut->cap.free_index = (seL4_Word)1 << seL4_ASIDPoolBits;
    sim_cap cap = sim_cap_new(p);
    sim_slot_insert(dest, &cap, ut);
    sim.asid_table[index] = p;
    return sim_ok(0, 0);
}

/* Checks in the kernel's order: a free pool number, a 4 KiB untyped with
 * no children, an empty destination. */
seL4_Error sim_asid_make_pool(sim_family fam, seL4_CPtr control, seL4_CPtr untyped, seL4_CPtr root, seL4_Word index,
                              seL4_Word depth)
{
    sim_slot *cs, *us, *dest;
    if (!sim.booted || sim.sa->family != fam) {
        return sim_err(seL4_IllegalOperation);
    }
    seL4_Error err = sim_invoked(control, &cs);
    if (err != seL4_NoError) {
        return err;
    }
    if (cs->cap.kind != K_ASID_CONTROL) {
        return sim_err(seL4_IllegalOperation);
    }
    int pool = free_pool_index();
    if (pool < 0) {
        return sim_err(seL4_DeleteFirst);
    }
    sim_cap ucap = sim_extra_cap(untyped, &us);
    if (ucap.kind != K_UNTYPED || ucap.obj->size_bits != seL4_ASIDPoolBits || ucap.obj->is_device) {
        return sim_err_cap(1);
    }
    if (sim_slot_has_children(us)) {
        return sim_err(seL4_RevokeFirst);
    }
    sim_cap rcap = sim_extra_cap(root, NULL);
    err = sim_lookup_op_slot(&rcap, index, depth, false, &dest);
    if (err != seL4_NoError) {
        return err;
    }
    return dest->cap.kind != K_NULL ? sim_err(seL4_DeleteFirst) : make_pool(us, dest, pool);
}
