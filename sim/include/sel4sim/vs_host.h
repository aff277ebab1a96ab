/* Host-side glue between the simulator and vspace: the seL4 backend's
 * translate hook over the simulated MMU, and reads and writes at a virtual
 * address of a vspace the way a thread running in it would see them. For
 * host programs only (tests, the demo, the CLI); a root task on real seL4
 * has neither. */
#ifndef SEL4SIM_VS_HOST_H
#define SEL4SIM_VS_HOST_H

#include <stddef.h>

#include <vs/kernel.h>

/* A vs_sel4_translate_fn: the MMU's view of vaddr in the vspace `root`.
 * A kernel-only mapping counts as mapped with no user rights. Returns 0, or
 * the seL4_Error of the translation. ctx is unused. */
int sel4sim_vs_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out);

/* Copies len bytes to / from [vaddr, vaddr + len) of the vspace `root`,
 * page by page through the MMU walk, as user mode would: 0 on success, -1
 * if a page is unmapped, not user-accessible, or (writes) not writable. */
int sel4sim_vs_write(vs_cap root, vs_addr vaddr, const void *buf, size_t len);
int sel4sim_vs_read(vs_cap root, vs_addr vaddr, void *buf, size_t len);

#endif
