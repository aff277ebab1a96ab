/* libsel4's per-architecture size constants. The real libsel4 defines them
 * as compile-time macros for the one architecture it was built for; the
 * simulator serves all six from one build, so each expands to a query of
 * the booted machine. Root-task source that uses them compiles unchanged
 * against either (they are not usable in #if or static initialisers here). */
#ifndef SEL4SIM_SEL4_CONSTANTS_H
#define SEL4SIM_SEL4_CONSTANTS_H

#include <sel4/types.h>

typedef enum sel4sim_constant_id {
    SEL4SIM_USER_TOP,
    SEL4SIM_SLOT_BITS,
    SEL4SIM_TCB_BITS,
    SEL4SIM_ENDPOINT_BITS,
    SEL4SIM_NOTIFICATION_BITS,
    SEL4SIM_IPC_BUFFER_SIZE_BITS,
    SEL4SIM_MAX_UNTYPED_BITS,
    SEL4SIM_PAGE_TABLE_BITS,
    SEL4SIM_PAGE_TABLE_INDEX_BITS,
    SEL4SIM_PAGE_DIR_BITS,
    SEL4SIM_VSPACE_BITS,
    SEL4SIM_LARGE_PAGE_BITS,
    SEL4SIM_HUGE_PAGE_BITS,
    SEL4SIM_SECTION_BITS,
    SEL4SIM_SUPER_SECTION_BITS,
    SEL4SIM_CONSTANT_COUNT
} sel4sim_constant_id;

/* The constant's value on the booted architecture; 0 if it does not exist
 * there (seL4_HugePageBits on a 32-bit machine) or nothing is booted. */
seL4_Word sel4sim_constant(sel4sim_constant_id id);

#define seL4_UserTop (sel4sim_constant(SEL4SIM_USER_TOP))
#define seL4_SlotBits (sel4sim_constant(SEL4SIM_SLOT_BITS))
#define seL4_TCBBits (sel4sim_constant(SEL4SIM_TCB_BITS))
#define seL4_EndpointBits (sel4sim_constant(SEL4SIM_ENDPOINT_BITS))
#define seL4_NotificationBits (sel4sim_constant(SEL4SIM_NOTIFICATION_BITS))
#define seL4_IPCBufferSizeBits (sel4sim_constant(SEL4SIM_IPC_BUFFER_SIZE_BITS))
#define seL4_MaxUntypedBits (sel4sim_constant(SEL4SIM_MAX_UNTYPED_BITS))
#define seL4_PageTableBits (sel4sim_constant(SEL4SIM_PAGE_TABLE_BITS))
#define seL4_PageTableIndexBits (sel4sim_constant(SEL4SIM_PAGE_TABLE_INDEX_BITS))
#define seL4_PageDirBits (sel4sim_constant(SEL4SIM_PAGE_DIR_BITS))
#define seL4_VSpaceBits (sel4sim_constant(SEL4SIM_VSPACE_BITS))
#define seL4_LargePageBits (sel4sim_constant(SEL4SIM_LARGE_PAGE_BITS))
#define seL4_HugePageBits (sel4sim_constant(SEL4SIM_HUGE_PAGE_BITS))
#define seL4_SectionBits (sel4sim_constant(SEL4SIM_SECTION_BITS))
#define seL4_SuperSectionBits (sel4sim_constant(SEL4SIM_SUPER_SECTION_BITS))

#endif
