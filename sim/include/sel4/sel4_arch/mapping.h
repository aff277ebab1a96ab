/* Where a failed mapping reports the paging level it missed. Real libsel4
 * declares this per seL4 architecture in <sel4/sel4_arch/mapping.h>, a
 * header <sel4/sel4.h> does not include: code that calls
 * seL4_MappingFailedLookupLevel() includes this one itself (after
 * <sel4/sel4.h>). */
#ifndef SEL4SIM_SEL4_SEL4_ARCH_MAPPING_H
#define SEL4SIM_SEL4_SEL4_ARCH_MAPPING_H

#include <sel4/types.h>

/* MR index of "bits left" in a seL4_FailedLookup reply. */
#define SEL4_MAPPING_LOOKUP_LEVEL 2

/* After a Page_Map or PageTable_Map that returned seL4_FailedLookup: the
 * number of virtual-address bits left untranslated where the walk stopped,
 * i.e. the shift of the paging level whose entry was missing. */
seL4_Word seL4_MappingFailedLookupLevel(void);

#endif
