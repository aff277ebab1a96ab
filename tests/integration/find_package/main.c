/* Uses the installed headers and library: prints the x86_64 descriptor's
 * name and level count, and the name of one error code. */
#include <stdio.h>

#include <vs/arch.h>
#include <vs/result.h>

int main(void)
{
    const vs_arch *a = vs_arch_get(VS_ARCH_X86_64);
    if (a == NULL) {
        return 1;
    }
    printf("%s %d %s\n", a->name, a->num_levels, vs_result_name(VS_ERR_OVERLAP));
    return 0;
}
