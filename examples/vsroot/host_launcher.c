/* Host launcher for the vspace root task: boots the simulated seL4 for the
 * architecture main.c was compiled for, gives main.c the boot layout and
 * access to the root task's simulated memory, and runs vsroot_main() as
 * the initial thread would. Only this file knows about the simulator. */
#include <stdio.h>

#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

#include <vs/sel4_backend.h>

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

int vsroot_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out);
int vsroot_write(vs_addr vaddr, const void *buf, size_t len);
int vsroot_read(vs_addr vaddr, void *buf, size_t len);
int vsroot_main(void);

/* The simulator's bootinfo is host memory and it simulates no image: the
 * boot frames' addresses in the simulated root task are its own. */
int vsroot_layout(const seL4_BootInfo *bi, vs_sel4_root_layout *out)
{
    return vs_sel4_root_layout_from_bootinfo_at(bi, sel4sim_bootinfo_vaddr(), sel4sim_ipc_buffer_vaddr(), 0, 0, out) ==
                   VS_OK
               ? 0
               : -1;
}

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
    if (sel4sim_boot(ROOTTASK_ARCH, ROOTTASK_RAM) == NULL) {
        fprintf(stderr, "host_launcher: cannot boot the simulator\n");
        return 2;
    }
    int rc = vsroot_main();
    sel4sim_shutdown();
    return rc;
}
