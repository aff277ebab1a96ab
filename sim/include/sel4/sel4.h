/* libsel4 as the vspace seL4 simulator provides it on the host. Code that
 * includes this header builds unchanged against the real libsel4 (seL4
 * 13.0.0, non-MCS) as long as it uses only what is declared here. Like
 * libsel4's, it does not include <sel4/arch/mapping.h> or
 * <sel4/sel4_arch/mapping.h> (seL4_MappingFailedLookupLevel). */
#ifndef SEL4SIM_SEL4_SEL4_H
#define SEL4SIM_SEL4_SEL4_H

#include <sel4/types.h>
#include <sel4/bootinfo.h>
#include <sel4/functions.h>
#include <interfaces/sel4_client.h>
#include <sel4/constants.h>

#endif
