/* The architecture an example root task is built for, from the
 * CONFIG_ARCH_* macro seL4's build configuration defines (the host builds
 * define the same macro): its name for the transcript and its vs_arch_id. */
#ifndef EXAMPLES_EXAMPLE_ARCH_H
#define EXAMPLES_EXAMPLE_ARCH_H

#include <vs/arch.h>

#if defined(CONFIG_ARCH_X86_64)
#define EXAMPLE_ARCH_NAME "x86_64"
#define EXAMPLE_ARCH_ID VS_ARCH_X86_64
#elif defined(CONFIG_ARCH_IA32)
#define EXAMPLE_ARCH_NAME "ia32"
#define EXAMPLE_ARCH_ID VS_ARCH_IA32
#elif defined(CONFIG_ARCH_AARCH64)
#define EXAMPLE_ARCH_NAME "aarch64"
#define EXAMPLE_ARCH_ID VS_ARCH_AARCH64
#elif defined(CONFIG_ARCH_AARCH32)
#define EXAMPLE_ARCH_NAME "aarch32"
#define EXAMPLE_ARCH_ID VS_ARCH_AARCH32
#elif defined(CONFIG_ARCH_RISCV64)
#define EXAMPLE_ARCH_NAME "riscv64"
#define EXAMPLE_ARCH_ID VS_ARCH_RISCV64
#elif defined(CONFIG_ARCH_RISCV32)
#define EXAMPLE_ARCH_NAME "riscv32"
#define EXAMPLE_ARCH_ID VS_ARCH_RISCV32
#else
#error "define one of CONFIG_ARCH_X86_64, _IA32, _AARCH64, _AARCH32, _RISCV64, _RISCV32"
#endif

#endif
