/* Host-side glue between the simulator and vspace: the seL4 backend's
 * translate hook over the simulated MMU, and reads and writes at a virtual
 * address of a vspace the way a thread running in it would see them. For
 * host programs only (tests, the demo, the CLI); a root task on real seL4
 * has neither. */
#ifndef SEL4SIM_VS_HOST_H
#define SEL4SIM_VS_HOST_H

#include <stddef.h>
#include <stdint.h>

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

/* A vs_sel4_window_ops triple for loaders on the host. open gives host
 * memory showing [vaddr, vaddr + size) of the root task's vspace
 * (seL4_CapInitThreadVSpace) as its page tables map it: where they map it
 * writable onto physically contiguous RAM, the frames themselves
 * (sel4sim_user_window: the bytes written are in the frames at once, close
 * has nothing to do), elsewhere a host buffer read through the page tables
 * and written back through them by close, which frees it. 0 on success, -1
 * if a page is not mapped writable for user mode (open; close for a
 * buffer) or host memory ran out (open leaves nothing behind; close
 * changes nothing and may be called again). span tells how many of
 * frames[0..n) (caps in the root CNode, 2^size_bits bytes each) from the
 * first lie one after another in RAM, at least 1 for n >= 1, so the
 * frame access maps runs that open can show without a copy. */
int sel4sim_vs_window_open(void *ctx, vs_addr vaddr, uint64_t size, uint8_t **host);
int sel4sim_vs_window_close(void *ctx, vs_addr vaddr, uint64_t size, uint8_t *host);
size_t sel4sim_vs_window_span(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits);

#endif
