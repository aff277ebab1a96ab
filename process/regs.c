/* The registers a thread starts with: instruction pointer at the entry,
 * stack pointer at argc, and the one register the System V psABIs define at
 * process entry, the atexit function pointer, 0 for none (<vs/startstack.h>
 * names it per architecture). On real seL4 seL4_UserContext has only the
 * configured architecture's fields, hence one block per architecture. */
#include <string.h>

#include "be_config.h"
#include "internal.h"

static int entry_registers(vs_arch_id id, seL4_UserContext *r, seL4_Word pc, seL4_Word sp)
{
    switch (id) {
#ifdef BE_HAVE_X86_64
    case VS_ARCH_X86_64:
        r->rip = pc;
        r->rsp = sp;
        r->rdx = 0;
        return 1;
#endif
#ifdef BE_HAVE_IA32
    case VS_ARCH_IA32:
        r->eip = pc;
        r->esp = sp;
        r->edx = 0;
        return 1;
#endif
#ifdef BE_HAVE_AARCH32
    case VS_ARCH_AARCH32:
        r->pc = pc;
        r->sp = sp;
        r->r0 = 0;
        return 1;
#endif
#ifdef BE_HAVE_AARCH64
    case VS_ARCH_AARCH64:
        r->pc = pc;
        r->sp = sp;
        r->x0 = 0;
        return 1;
#endif
#if defined(BE_HAVE_RISCV32) || defined(BE_HAVE_RISCV64)
    case VS_ARCH_RISCV32:
    case VS_ARCH_RISCV64:
        r->pc = pc;
        r->sp = sp;
        r->a0 = 0;
        return 1;
#endif
    default:
        return 0;
    }
}

vs_result proc_write_registers(vs_process *p, int resume, vs_spawn_error *err)
{
    seL4_UserContext regs;
    memset(&regs, 0, sizeof regs);
    if (!entry_registers(p->arch->id, &regs, (seL4_Word)p->info.entry, (seL4_Word)p->info.sp)) {
        return proc_fail_value(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_TCB,
                               "architecture not served by this build, vs_arch_id", p->arch->id, 0);
    }
    const seL4_Word count = sizeof regs / sizeof(seL4_Word);
    seL4_Error e = seL4_TCB_WriteRegisters(p->tcb, resume ? 1 : 0, 0, count, &regs);
    if (e != seL4_NoError) {
        return proc_fail(err, VS_ERR_KERNEL, VS_SPAWN_STAGE_TCB, "TCB_WriteRegisters failed", p->info.entry, (int)e);
    }
    p->resumed = resume;
    p->info.resumed = resume;
    return VS_OK;
}
