/* Stand-in for libsel4's <sel4/sel4.h> with the two properties that broke
 * vspace's build inside an seL4 project: it includes <autoconf.h> (through
 * <sel4/config.h>; libsel4 links sel4_autoconf only PRIVATE) and its
 * syscall stubs use the GNU `asm` keyword. The API itself is the
 * simulator's, found next on the include path. */
#ifndef STANDIN_SEL4_SEL4_H
#define STANDIN_SEL4_SEL4_H
#include <sel4/config.h>

static inline void seL4_StandInBarrier(void)
{
    asm volatile("" ::: "memory");
}

#include_next <sel4/sel4.h>
#endif
