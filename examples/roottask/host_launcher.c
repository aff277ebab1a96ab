/* Host launcher for the example root task: boots the simulated seL4 for the
 * architecture main.c was compiled for (the same CONFIG_ARCH_* macro),
 * runs roottask_main() as the initial thread would, and shuts down. Only
 * this file knows about the simulator; main.c is plain libsel4 code. */
#include <stdio.h>
#include <sel4sim/sim.h>

#if defined(CONFIG_ARCH_X86_64)
#define ROOTTASK_ARCH VS_ARCH_X86_64
#elif defined(CONFIG_ARCH_IA32)
#define ROOTTASK_ARCH VS_ARCH_IA32
#elif defined(CONFIG_ARCH_AARCH64)
#define ROOTTASK_ARCH VS_ARCH_AARCH64
#elif defined(CONFIG_ARCH_AARCH32)
#define ROOTTASK_ARCH VS_ARCH_AARCH32
#elif defined(CONFIG_ARCH_RISCV64)
#define ROOTTASK_ARCH VS_ARCH_RISCV64
#elif defined(CONFIG_ARCH_RISCV32)
#define ROOTTASK_ARCH VS_ARCH_RISCV32
#else
#error "define one of CONFIG_ARCH_X86_64, _IA32, _AARCH64, _AARCH32, _RISCV64, _RISCV32"
#endif

#define ROOTTASK_RAM (64ull << 20)

int roottask_main(void);

int main(void)
{
    int rc;
    if (sel4sim_boot(ROOTTASK_ARCH, ROOTTASK_RAM) == NULL) {
        fprintf(stderr, "host_launcher: cannot boot the simulator\n");
        return 2;
    }
    rc = roottask_main();
    sel4sim_shutdown();
    return rc;
}
