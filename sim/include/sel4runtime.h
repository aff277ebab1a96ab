/* The one piece of sel4runtime a root task needs to find its boot
 * information, as the simulator provides it on the host. The real
 * <sel4runtime.h> (seL4/sel4runtime) declares many more functions (argv,
 * TLS, exit hooks); only this declaration is offered here, with the same
 * name and signature, so root-task source that uses it compiles unchanged
 * against either. */
#ifndef SEL4SIM_SEL4RUNTIME_H
#define SEL4SIM_SEL4RUNTIME_H

#include <sel4/sel4.h>

/* The initial thread's boot information: on the host, that of the machine
 * sel4sim_boot() booted (NULL while none runs). */
seL4_BootInfo *sel4runtime_bootinfo(void);

#endif
