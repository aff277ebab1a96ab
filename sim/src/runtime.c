/* sel4runtime_bootinfo(): the booted machine's boot information, which
 * sel4runtime hands a real root task (see sim/include/sel4runtime.h). */
#include "internal.h"

#include <sel4runtime.h>

seL4_BootInfo *sel4runtime_bootinfo(void)
{
    return sim.booted ? &sim.bootinfo : NULL;
}
