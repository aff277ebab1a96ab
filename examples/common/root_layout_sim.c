/* The boot layout of an example root task on the simulator (root_layout.h):
 * bootinfo is host memory and no image is simulated, so the boot frames'
 * addresses in the simulated root task are the simulator's. */
#include "root_layout.h"

#include <sel4sim/sim.h>

int example_root_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out)
{
    return vs_sel4_root_layout_from_bootinfo_at(bi, sel4sim_bootinfo_vaddr(), sel4sim_ipc_buffer_vaddr(), 0, 0, out) ==
                   VS_OK
               ? 0
               : -1;
}
