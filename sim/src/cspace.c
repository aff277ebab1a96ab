/* CSpace addressing: resolving a CPtr through guarded CNodes (Reference
 * Manual 3.3, "CSpace Addressing"), and the lookups invocations start with. */
#include "internal.h"

static sim_fault guard_mismatch(seL4_Word bits_left, seL4_Word guard, seL4_Word guard_bits)
{
    return (sim_fault){
        .type = seL4_GuardMismatch, .bits_left = bits_left, .guard_found = guard, .bits_found = guard_bits};
}

static sim_fault depth_mismatch(seL4_Word bits_left, seL4_Word bits_found)
{
    return (sim_fault){.type = seL4_DepthMismatch, .bits_left = bits_left, .bits_found = bits_found};
}

/* Translate the top nbits of cptr starting at the CNode node names. Each
 * CNode consumes its guard then its radix; resolution stops when the bits
 * run out or a slot holds anything but a CNode cap: returns that slot and
 * the bits left in *bits_remaining, or NULL with *fault filled. (Results go
 * through pointers rather than a returned struct: every invocation starts
 * here, and the copy of a struct built field by field stalls the CPU.) */
static sim_slot *resolve_levels(const sim_cap *node, seL4_Word cptr, unsigned nbits, seL4_Word *bits_remaining,
                                sim_fault *fault)
{
    for (;;) {
        unsigned radix = node->obj->radix, gbits = node->guard_size, level = radix + gbits;
        seL4_Word guard = (gbits > 0 && gbits <= nbits) ? (cptr >> (nbits - gbits)) & sim_mask(gbits) : 0;
        if (gbits > nbits || guard != node->guard) {
            *fault = guard_mismatch(nbits, guard, gbits);
            return NULL;
        }
        if (level > nbits) {
            *fault = depth_mismatch(nbits, level);
            return NULL;
        }
        sim_slot *s = &node->obj->slots[(cptr >> (nbits - level)) & sim_mask(radix)];
        nbits -= level;
        if (nbits == 0 || s->cap.kind != K_CNODE) {
            *bits_remaining = nbits;
            return s;
        }
        node = &s->cap;
    }
}

/* resolve_levels, with the usual case inline in this file's lookups: a cap
 * found in the first CNode, whose guard matches. A loader makes about ten
 * lookups per page it fills, and the call and the general shifts cost
 * more than that case. Anything else (an error, a second level) resolves
 * again from the start, which gives the same answer: nothing changes. */
static inline sim_slot *resolve(const sim_cap *node, seL4_Word cptr, unsigned nbits, seL4_Word *bits_remaining,
                                sim_fault *fault)
{
    unsigned radix = node->obj->radix, gbits = node->guard_size, level = radix + gbits;
    if (level <= nbits && radix >= 1 && radix < 64) {
        /* Every shift and mask here is under 64 bits. */
        seL4_Word bits = cptr >> (nbits - level);
        sim_slot *s = &node->obj->slots[bits & (((seL4_Word)1 << radix) - 1)];
        if (((bits >> radix) & (((seL4_Word)1 << gbits) - 1)) == node->guard &&
            (level == nbits || s->cap.kind != K_CNODE)) {
            *bits_remaining = nbits - level;
            return s;
        }
    }
    return resolve_levels(node, cptr, nbits, bits_remaining, fault);
}

sim_slot *sim_resolve(const sim_cap *node, seL4_Word cptr, unsigned nbits, seL4_Word *bits_remaining, sim_fault *fault)
{
    return resolve(node, cptr, nbits, bits_remaining, fault);
}

/* The calling thread's CSpace root, or NULL if it has none. */
static inline const sim_cap *cspace_root(void)
{
    if (!sim.booted || sim.init_tcb == NULL) {
        return NULL; /* nothing booted, or the calling thread's TCB is gone */
    }
    const sim_cap *root = &sim.init_tcb->slots[TCB_SLOT_CSPACE].cap;
    return root->kind == K_CNODE ? root : NULL;
}

/* The slot cptr names under the CSpace root `root`, or NULL. */
static inline sim_slot *lookup_slot_in(const sim_cap *root, seL4_CPtr cptr)
{
    seL4_Word bits_remaining;
    sim_fault fault = {0}; /* resolve fills it whenever it returns NULL */
    return resolve(root, cptr, sim_word_bits(), &bits_remaining, &fault);
}

/* The slot cptr names in the calling thread's CSpace, or NULL. */
static inline sim_slot *lookup_slot(seL4_CPtr cptr)
{
    const sim_cap *root = cspace_root();
    return root != NULL ? lookup_slot_in(root, cptr) : NULL;
}

sim_slot *sim_lookup_slot(seL4_CPtr cptr)
{
    return lookup_slot(cptr);
}

/* lookupSlotForCNodeOp: the slot (index, depth) names under root, exactly
 * depth bits deep. Errors are recorded as the kernel reports them. */
seL4_Error sim_lookup_op_slot(const sim_cap *root, seL4_Word index, seL4_Word depth, bool source, sim_slot **out)
{
    if (root->kind != K_CNODE) {
        return sim_err_lookup(source, sim_fault_invalid_root());
    }
    if (depth < 1 || depth > sim_word_bits()) {
        return sim_err_range(1, sim_word_bits());
    }
    seL4_Word bits_remaining = 0;
    sim_fault fault = {0}; /* resolve fills it whenever it returns NULL */
    sim_slot *slot = resolve(root, index, (unsigned)depth, &bits_remaining, &fault);
    if (slot == NULL) {
        return sim_err_lookup(source, fault);
    }
    if (bits_remaining != 0) {
        return sim_err_lookup(source, depth_mismatch(bits_remaining, 0));
    }
    *out = slot;
    return seL4_NoError;
}

/* The invoked cap. An empty slot is seL4_InvalidCapability (argument 0) as
 * on seL4; a CPtr that does not resolve would make the real kernel raise a
 * cap fault, which the simulator reports the same way instead. */
seL4_Error sim_invoked(seL4_CPtr cptr, sim_slot **out)
{
    sim_slot *s = lookup_slot(cptr);
    if (s == NULL || s->cap.kind == K_NULL) {
        return sim_err_cap(0);
    }
    *out = s;
    return seL4_NoError;
}

seL4_Error sim_injected(void)
{
    if (sim.inject_at == 0) {
        return seL4_NoError;
    }
    if (++sim.fallible_calls != sim.inject_at) {
        return seL4_NoError;
    }
    sim.inject_at = 0;
    sim.inject_fired = true;
    return sim_err(sim.inject_error);
}

void sel4sim_inject_failure(uint64_t nth, seL4_Error error)
{
    sim.inject_at = nth;
    sim.inject_error = error;
    sim.fallible_calls = 0;
    sim.inject_fired = false;
}

int sel4sim_injection_fired(void)
{
    return sim.inject_fired;
}

/* An extra cap argument in place (read only); the null cap if cptr does
 * not resolve. For the invocations every loaded page makes, where copying
 * the cap out would cost more than the lookup. */
const sim_cap *sim_extra_cap_ref(seL4_CPtr cptr)
{
    static const sim_cap null_cap = {.kind = K_NULL};
    sim_slot *s = lookup_slot(cptr);
    return s != NULL ? &s->cap : &null_cap;
}

/* An extra cap argument; the null cap if cptr does not resolve. */
sim_cap sim_extra_cap(seL4_CPtr cptr, sim_slot **slot)
{
    sim_slot *s = lookup_slot(cptr);
    if (slot != NULL) {
        *slot = s;
    }
    return s != NULL ? s->cap : (sim_cap){.kind = K_NULL};
}

/* The root is found once for the whole run, and each cap is resolved
 * inline: a window's span asks about every frame it will map. */
size_t sel4sim_contiguous_objects(const seL4_CPtr *caps, size_t n, unsigned size_bits)
{
    const sim_cap *root = cspace_root();
    seL4_Word first = 0;
    size_t i = 0;
    for (; root != NULL && i < n; i++) {
        const sim_slot *s = lookup_slot_in(root, caps[i]);
        if (s == NULL || s->cap.obj == NULL) {
            break;
        }
        if (i == 0) {
            first = s->cap.obj->paddr;
        } else if (s->cap.obj->paddr != first + ((seL4_Word)i << size_bits)) {
            break;
        }
    }
    return i;
}

size_t sel4sim_free_slots(void)
{
    size_t n = 0;
    for (size_t i = 0; sim.booted && sim.root_cnode != NULL && i < sim.root_cnode->nslots; i++) {
        n += sim.root_cnode->slots[i].cap.kind == K_NULL;
    }
    return n;
}
