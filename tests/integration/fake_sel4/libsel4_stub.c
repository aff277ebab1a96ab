/* The stand-in libsel4 library's one source. */
#include <sel4/sel4.h>

void seL4_StandInUse(void);
void seL4_StandInUse(void)
{
    seL4_StandInBarrier();
}
