/* The descriptors this build has, by vs_arch_id. */
#include "be_arch.h"
#include "be_config.h"

static const be_arch *const be_arches[VS_ARCH_COUNT] = {
#ifdef BE_HAVE_IA32
    [VS_ARCH_IA32] = &be_arch_ia32,
#endif
#ifdef BE_HAVE_X86_64
    [VS_ARCH_X86_64] = &be_arch_x86_64,
#endif
#ifdef BE_HAVE_AARCH32
    [VS_ARCH_AARCH32] = &be_arch_aarch32,
#endif
#ifdef BE_HAVE_AARCH64
    [VS_ARCH_AARCH64] = &be_arch_aarch64,
#endif
#ifdef BE_HAVE_RISCV32
    [VS_ARCH_RISCV32] = &be_arch_riscv32,
#endif
#ifdef BE_HAVE_RISCV64
    [VS_ARCH_RISCV64] = &be_arch_riscv64,
#endif
};

const be_arch *be_arch_get(vs_arch_id id)
{
    return (unsigned)id < VS_ARCH_COUNT ? be_arches[id] : NULL;
}
