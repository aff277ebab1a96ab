/* libsel4's per-architecture constants for the booted machine, derived
 * from the same data the model itself runs on, so they cannot disagree. */
#include "internal.h"

#include <sel4/constants.h>

/* The log2 size of the architecture's object of the given kind and level
 * (level -1: any), or 0. */
static seL4_Word object_bits(sim_kind kind, int level)
{
    const sim_arch *sa = sim.sa;
    for (unsigned i = 0; i < sa->ntypes; i++) {
        if (sa->types[i].kind == kind && (level < 0 || sa->types[i].index == level || sa->types[i].index < 0)) {
            return sa->types[i].size_bits;
        }
    }
    return 0;
}

static seL4_Word page_bits_at(unsigned index)
{
    return index < sim.arch->num_page_sizes ? sim.arch->page_sizes[index].bits : 0;
}

/* Index bits of the deepest paging level: the last-level table's entries. */
static seL4_Word last_index_bits(void)
{
    return sim.arch->levels[sim.arch->num_levels - 1].index_bits;
}

static seL4_Word paging_constant(sel4sim_constant_id id)
{
    int arm32 = sim.arch->id == VS_ARCH_AARCH32;
    switch (id) {
    case SEL4SIM_PAGE_TABLE_BITS:
        return object_bits(K_TABLE, sim.arch->num_levels - 1);
    case SEL4SIM_PAGE_TABLE_INDEX_BITS:
        return last_index_bits();
    case SEL4SIM_PAGE_DIR_BITS:
        return sim.arch->id == VS_ARCH_X86_64 ? object_bits(K_TABLE, 2) : object_bits(K_ROOT, 0);
    case SEL4SIM_VSPACE_BITS:
        return object_bits(K_ROOT, 0) != 0 ? object_bits(K_ROOT, 0) : object_bits(K_TABLE, -1);
    case SEL4SIM_LARGE_PAGE_BITS:
        return page_bits_at(1);
    case SEL4SIM_HUGE_PAGE_BITS:
        return sim.arch->word_bits == 64 ? page_bits_at(2) : 0;
    case SEL4SIM_SECTION_BITS:
        return arm32 ? page_bits_at(2) : 0;
    case SEL4SIM_SUPER_SECTION_BITS:
        return arm32 ? page_bits_at(3) : 0;
    default:
        return 0;
    }
}

seL4_Uint8 sel4sim_word_bits(void)
{
    return sim.arch != NULL ? sim.arch->word_bits : 64;
}

seL4_Word sel4sim_constant(sel4sim_constant_id id)
{
    const sim_arch *sa = sim.sa;
    if (!sim.booted || sa == NULL) {
        return 0;
    }
    switch (id) {
    case SEL4SIM_USER_TOP:
        return sim.arch->user_top;
    case SEL4SIM_SLOT_BITS:
        return sa->slot_bits;
    case SEL4SIM_TCB_BITS:
        return sa->tcb_bits;
    case SEL4SIM_ENDPOINT_BITS:
        return sa->endpoint_bits;
    case SEL4SIM_NOTIFICATION_BITS:
        return sa->notification_bits;
    case SEL4SIM_IPC_BUFFER_SIZE_BITS:
        return sa->ipc_buffer_bits;
    case SEL4SIM_MAX_UNTYPED_BITS:
        return sa->max_untyped_bits;
    default:
        return paging_constant(id);
    }
}
