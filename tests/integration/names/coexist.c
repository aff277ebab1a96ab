/* One translation unit with libsel4vspace's names and ours: both compile,
 * and neither type stands for the other. */
#include <vspace/vspace.h>

#include <vs/alloc.h>
#include <vs/arch.h>
#include <vs/kernel.h>
#include <vs/result.h>
#include <vs/sel4_alloc.h>
#include <vs/sel4_backend.h>
#include <vs/space.h>

int coexist(vspace_t *theirs, vs_space *ours);
int coexist(vspace_t *theirs, vs_space *ours)
{
    return theirs->data != 0 && vs_get_arch(ours) != 0;
}
