/* The boot layout of an example root task on seL4 (root_layout.h): its
 * image lies between the linker's __executable_start and _end. */
#include "root_layout.h"

#include <stdint.h>

extern char __executable_start[], _end[];

int example_root_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out)
{
    return vs_sel4_root_layout_from_bootinfo(bi, (vs_addr)(uintptr_t)__executable_start, (vs_addr)(uintptr_t)_end,
                                             out) == VS_OK
               ? 0
               : -1;
}
