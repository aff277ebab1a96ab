/* Stand-in for the kernel configuration header the sel4_autoconf target
 * provides: an x86_64 kernel. */
#ifndef STANDIN_AUTOCONF_H
#define STANDIN_AUTOCONF_H
#define CONFIG_ARCH_X86_64 1
#define CONFIG_WORD_SIZE 64
#endif
