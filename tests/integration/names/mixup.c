/* Must NOT compile: a libsel4vspace vspace_t passed where vspace wants its
 * own handle. (With a struct tag of ours named `vspace` it would be the
 * same type and compile silently.) */
#include <vspace/vspace.h>

#include <vs/space.h>

int mixup(vspace_t *theirs);
int mixup(vspace_t *theirs)
{
    return vs_get_arch(theirs) != 0;
}
