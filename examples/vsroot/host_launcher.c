/* Host launcher for the vspace root task: boots the simulated seL4 for the
 * architecture main.c was compiled for, gives main.c the boot layout and
 * access to the root task's simulated memory, and runs vsroot_main() as
 * the initial thread would. Only this file knows about the simulator. */
#include <stdio.h>

#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

#include <vs/sel4_backend.h>

#include "../common/example_arch.h"

#define ROOTTASK_RAM (64ull << 20)

int vsroot_write(vs_addr vaddr, const void *buf, size_t len);
int vsroot_read(vs_addr vaddr, void *buf, size_t len);
int vsroot_main(void);

int vsroot_write(vs_addr vaddr, const void *buf, size_t len)
{
    return sel4sim_vs_write(seL4_CapInitThreadVSpace, vaddr, buf, len);
}

int vsroot_read(vs_addr vaddr, void *buf, size_t len)
{
    return sel4sim_vs_read(seL4_CapInitThreadVSpace, vaddr, buf, len);
}

int main(void)
{
    if (sel4sim_boot(EXAMPLE_ARCH_ID, ROOTTASK_RAM) == NULL) {
        fprintf(stderr, "host_launcher: cannot boot the simulator\n");
        return 2;
    }
    int rc = vsroot_main();
    sel4sim_shutdown();
    return rc;
}
