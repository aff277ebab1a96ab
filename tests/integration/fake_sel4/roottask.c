/* A root task's use of vspace's seL4 backend, compiled (not linked) the way
 * the seL4 project compiles its own sources. */
#include <sel4/sel4.h>

#include <vs/sel4_backend.h>
#include <vs/space.h>

int roottask_setup(seL4_BootInfo *bi, vs_allocator mem, vs_sel4_alloc **out);
int roottask_setup(seL4_BootInfo *bi, vs_allocator mem, vs_sel4_alloc **out)
{
    return vs_sel4_alloc_create(bi, mem, out) == VS_OK;
}
