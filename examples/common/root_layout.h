/* Where the example root tasks' boot layout comes from: on seL4 from
 * bootinfo and the root task's own linker symbols (root_layout_sel4.c); on
 * the simulator, which simulates no image, from bootinfo and the addresses
 * the simulator mapped the boot frames at (root_layout_sim.c). */
#ifndef EXAMPLES_ROOT_LAYOUT_H
#define EXAMPLES_ROOT_LAYOUT_H

#include <sel4/sel4.h>

#include <vs/sel4_backend.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fills *out (vs_sel4_root_layout_from_bootinfo); 0 on success, -1 if
 * bootinfo is refused. */
int example_root_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out);

#ifdef __cplusplus
}
#endif

#endif
