/* Which architectures this build of the backend serves. On real seL4 the
 * kernel configuration names exactly one (libsel4's autoconf macros); on
 * the host simulator, which implements libsel4 for all six at once, the
 * build defines VSPACE_SEL4_ALL_ARCHES (see CMakeLists.txt). */
#ifndef VSPACE_SEL4_BE_CONFIG_H
#define VSPACE_SEL4_BE_CONFIG_H

#include <sel4/sel4.h> /* real libsel4 brings the kernel config macros with it */

#if defined(VSPACE_SEL4_ALL_ARCHES) || defined(CONFIG_ARCH_IA32)
#define BE_HAVE_IA32 1
#endif
#if defined(VSPACE_SEL4_ALL_ARCHES) || defined(CONFIG_ARCH_X86_64)
#define BE_HAVE_X86_64 1
#endif
#if defined(VSPACE_SEL4_ALL_ARCHES) || defined(CONFIG_ARCH_AARCH32)
#define BE_HAVE_AARCH32 1
#endif
#if defined(VSPACE_SEL4_ALL_ARCHES) || defined(CONFIG_ARCH_AARCH64)
#define BE_HAVE_AARCH64 1
#endif
#if defined(VSPACE_SEL4_ALL_ARCHES) || defined(CONFIG_ARCH_RISCV32)
#define BE_HAVE_RISCV32 1
#endif
#if defined(VSPACE_SEL4_ALL_ARCHES) || defined(CONFIG_ARCH_RISCV64)
#define BE_HAVE_RISCV64 1
#endif

#endif
