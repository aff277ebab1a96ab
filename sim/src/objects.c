/* Kernel objects: creation (zeroed memory, host-side state), the live list
 * every query and scan walks, and destruction when the last cap goes. */
#include <stdlib.h>

#include "internal.h"

sim_machine sim;

static void obj_link(sim_obj *o)
{
    o->prev = NULL;
    o->next = sim.live;
    if (sim.live != NULL) {
        sim.live->prev = o;
    }
    sim.live = o;
    sim.nlive++;
}

static void obj_unlink(sim_obj *o)
{
    if (o->prev != NULL) {
        o->prev->next = o->next;
    } else {
        sim.live = o->next;
    }
    if (o->next != NULL) {
        o->next->prev = o->prev;
    }
    sim.nlive--;
}

static void obj_free(sim_obj *o)
{
    free(o->slots);
    free(o->pool);
    free(o->tcb);
    free(o);
}

static bool obj_alloc_slots(sim_obj *o, size_t n)
{
    o->slots = calloc(n, sizeof(*o->slots));
    o->nslots = o->slots != NULL ? n : 0;
    for (size_t i = 0; i < o->nslots; i++) {
        o->slots[i].owner = o;
    }
    return o->slots != NULL;
}

/* Host-side state each kind needs. False if the host ran out of memory. */
static bool obj_init(sim_obj *o, unsigned radix)
{
    const sim_objtype *t;
    switch (o->kind) {
    case K_CNODE:
        o->radix = (uint8_t)radix;
        return obj_alloc_slots(o, (size_t)1 << radix);
    case K_TCB:
        o->tcb = calloc(1, sizeof(*o->tcb));
        return o->tcb != NULL && obj_alloc_slots(o, TCB_SLOTS);
    case K_ASID_POOL:
        o->pool = calloc((size_t)1 << sim.sa->asid_low_bits, sizeof(sim_obj *));
        return o->pool != NULL;
    case K_TABLE:
        t = sim_objtype_find(o->type);
        o->level = t != NULL ? t->index : -1;
        return true;
    default:
        return true;
    }
}

/* A new object of 2^size_bits bytes at paddr, its memory zeroed as the
 * kernel zeroes every object it creates. NULL if the host is out of memory. */
sim_obj *sim_obj_new(sim_kind kind, seL4_Word type, seL4_Word paddr, unsigned size_bits, unsigned radix)
{
    sim_obj *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        return NULL;
    }
    *o = (sim_obj){
        .kind = kind, .type = type, .paddr = paddr, .size_bits = (uint8_t)size_bits, .level = kind == K_ROOT ? 0 : -1};
    o->otype = sim_objtype_find(type); /* every map and unmap of a frame asks for its size */
    if (!obj_init(o, radix)) {
        obj_free(o);
        return NULL;
    }
    if (kind != K_UNTYPED) {
        sim_phys_zero(paddr, (uint64_t)1 << size_bits);
    }
    if (kind == K_ROOT) {
        sim_root_init(o);
    }
    obj_link(o);
    return o;
}

/* Release what the object holds in the machine. The order matters for
 * containers: the object leaves the live list first, so scans of the
 * derivation tree no longer see the slots being emptied. */
void sim_obj_destroy(sim_obj *o, const sim_cap *last)
{
    o->dying = true;
    obj_unlink(o);
    /* The machine's own pointers to the initial thread and its CNode go
     * with them: later calls find no calling thread (every lookup fails)
     * instead of reading freed memory. */
    if (o == sim.init_tcb) {
        sim.init_tcb = NULL;
    }
    if (o == sim.root_cnode) {
        sim.root_cnode = NULL;
    }
    o->next = sim.dead;
    sim.dead = o;
    if ((o->kind == K_TABLE || o->kind == K_ROOT) && last->mapped) {
        if (sim_asid_find(last->mapped_asid) == o) {
            sim_asid_delete(last->mapped_asid, o);
        } else if (o->kind == K_TABLE) {
            sim_unmap_table(last);
        }
    } else if (o->kind == K_ASID_POOL) {
        sim_asid_pool_delete(o);
    }
    for (size_t i = 0; i < o->nslots; i++) {
        sim_slot_delete(&o->slots[i]);
    }
}

/* Free the host memory of objects destroyed during this call. */
void sim_collect(void)
{
    while (sim.dead != NULL) {
        sim_obj *o = sim.dead;
        sim.dead = o->next;
        obj_free(o);
    }
}

/* Shutdown: drop everything without finalisation. */
void sim_free_all(void)
{
    sim_collect();
    sim_obj *o = sim.live;
    while (o != NULL) {
        sim_obj *next = o->next;
        obj_free(o);
        o = next;
    }
    sim.live = NULL;
    sim.nlive = 0;
}

/* The cap Retype hands out for a new object: all rights, unmapped. */
sim_cap sim_cap_new(sim_obj *o)
{
    return (sim_cap){.kind = o->kind, .obj = o, .rights = R_ALL};
}

sim_kind sim_kind_of_type(seL4_Word type)
{
    static const sim_kind kinds[] = {[seL4_UntypedObject] = K_UNTYPED,
                                     [seL4_TCBObject] = K_TCB,
                                     [seL4_EndpointObject] = K_ENDPOINT,
                                     [seL4_NotificationObject] = K_NOTIFICATION,
                                     [seL4_CapTableObject] = K_CNODE};
    if (type < seL4_NonArchObjectTypeCount) {
        return kinds[type];
    }
    const sim_objtype *t = sim_objtype_find(type);
    return t != NULL ? t->kind : K_NULL;
}

size_t sel4sim_live_objects(void)
{
    return sim.nlive;
}
