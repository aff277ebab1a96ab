/* The demo's window onto the simulated seL4 machine: what the kernel holds
 * (slots, objects, untyped memory), the MMU's view of an address, and
 * copies through it. Only the demo includes the simulator's header; the
 * backend stays libsel4-only. */
#ifndef VSPACE_DEMO_MACHINE_H
#define VSPACE_DEMO_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

#include <vs/space.h>

/* Everything the kernel counts that the demo must give back. */
typedef struct machine_acct {
    size_t free_slots;     /* empty slots in the root CNode */
    size_t live_objects;   /* kernel objects, untyped pieces included */
    uint64_t untyped_free; /* bytes no object or untyped piece occupies */
    size_t num_untypeds;   /* boot untypeds */
    seL4_Word watermark[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
} machine_acct;

void machine_acct_take(const seL4_BootInfo *bi, machine_acct *out);

/* Number of boot untypeds whose watermark differs between a and b. */
size_t machine_watermarks_moved(const machine_acct *a, const machine_acct *b);

/* libsel4's name of an seL4_Error ("seL4_NotEnoughMemory"). */
const char *machine_error_name(int err);

#endif
