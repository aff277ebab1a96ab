/* Real libsel4's <sel4/arch/mapping.h>: on x86 and Arm it includes
 * <sel4/sel4_arch/mapping.h>; on RISC-V it is empty. The simulator follows
 * the CONFIG_ARCH_* macro of the build (none: every architecture at once,
 * treated as x86/Arm). Not included by <sel4/sel4.h>. */
#ifndef SEL4SIM_SEL4_ARCH_MAPPING_H
#define SEL4SIM_SEL4_ARCH_MAPPING_H

#if !defined(CONFIG_ARCH_RISCV64) && !defined(CONFIG_ARCH_RISCV32)
#include <sel4/sel4_arch/mapping.h>
#endif

#endif
