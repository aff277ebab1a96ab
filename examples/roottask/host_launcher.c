/* Host launcher for the example root task: boots the simulated seL4 for the
 * architecture main.c was compiled for (the same CONFIG_ARCH_* macro),
 * runs roottask_main() as the initial thread would, and shuts down. Only
 * this file knows about the simulator; main.c is plain libsel4 code. */
#include <stdio.h>
#include <sel4sim/sim.h>

#include "../common/example_arch.h"

#define ROOTTASK_RAM (64ull << 20)

int roottask_main(void);

int main(void)
{
    int rc;
    if (sel4sim_boot(EXAMPLE_ARCH_ID, ROOTTASK_RAM) == NULL) {
        fprintf(stderr, "host_launcher: cannot boot the simulator\n");
        return 2;
    }
    rc = roottask_main();
    sel4sim_shutdown();
    return rc;
}
