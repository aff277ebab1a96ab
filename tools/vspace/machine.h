/* The simulated seL4 machine `vspace spawn` runs on: booted for one
 * architecture, with the root task's object allocator, the seL4 backend
 * (its translate hook the simulator's MMU walk), the root task's own
 * vspace and the frame access loaders write through. This file is the
 * CLI's only window onto the simulator besides reading pages. */
#ifndef VSPACE_TOOLS_MACHINE_H
#define VSPACE_TOOLS_MACHINE_H

#include <vs/frame_access.h>
#include <vs/sel4_backend.h>

typedef struct machine {
    const vs_arch *arch;
    vs_sel4_alloc *alloc;
    vs_sel4_backend *be;
    vs_space *root_vs;
    vs_sel4_frame_access *fa;
    vs_frame_access access;
} machine;

/* Boots arch with mem_bytes of RAM and builds the rest. Returns 0, or
 * prints what failed to stderr and returns -1 (nothing left running). */
int machine_up(machine *m, const vs_arch *arch, uint64_t mem_bytes);

/* Tears down in reverse and shuts the simulator down. */
void machine_down(machine *m);

/* The host allocator (malloc) as a vs_allocator. */
vs_allocator machine_mem(void);

/* Reads len bytes of simulated physical memory: 0 or -1. */
int machine_phys_read(vs_addr paddr, void *buf, size_t len);

/* Reads len bytes at vaddr of the vspace `root` as user mode would (MMU
 * walk): 0 or -1. */
int machine_virt_read(vs_cap root, vs_addr vaddr, void *buf, size_t len);

/* The registers the thread will start with, read back from the TCB (cap
 * tcb in the root task's CSpace) with seL4_TCB_ReadRegisters: instruction
 * pointer, stack pointer, and the psABI's atexit register. 0 or the
 * seL4_Error. */
typedef struct machine_regs {
    vs_addr pc, sp, atexit;
} machine_regs;
int machine_read_registers(vs_arch_id arch, vs_cap tcb, machine_regs *out);

/* The name of an seL4_Error ("seL4_NotEnoughMemory"), or "unknown seL4
 * error" for a number that is none. */
const char *machine_error_name(int kernel_error);

/* Is kernel_error seL4_NotEnoughMemory (the machine's memory ran out)? */
int machine_out_of_memory(int kernel_error);

#endif
