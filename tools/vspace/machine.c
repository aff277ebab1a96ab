/* See machine.h. */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

static void *mem_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void mem_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx, (void)size;
    free(ptr);
}

vs_allocator machine_mem(void)
{
    return (vs_allocator){mem_alloc, mem_free, NULL};
}

static const vs_sel4_window_ops sim_window = {sel4sim_vs_window_open, sel4sim_vs_window_close, sel4sim_vs_window_span};

int machine_up(machine *m, const vs_arch *arch, uint64_t mem_bytes)
{
    memset(m, 0, sizeof *m);
    m->arch = arch;
    const seL4_BootInfo *bi = sel4sim_boot(arch->id, mem_bytes);
    if (bi == NULL) {
        fprintf(stderr,
                "vspace: cannot boot a simulated %s machine with %llu bytes of memory (the simulator takes 1 MiB to "
                "16 GiB; a 32-bit machine's memory must end below 4 GiB: --sim-mem)\n",
                arch->name, (unsigned long long)mem_bytes);
        return -1;
    }
    const char *step = "the object allocator";
    vs_result r = vs_sel4_alloc_create(bi, machine_mem(), &m->alloc);
    if (r == VS_OK) {
        step = "the seL4 backend";
        r = vs_sel4_backend_create(arch, m->alloc, machine_mem(), &m->be);
    }
    if (r == VS_OK) {
        vs_sel4_backend_set_translate(m->be, sel4sim_vs_translate, NULL);
        vs_sel4_root_layout layout = {0};
        layout.ipc_buffer = sel4sim_ipc_buffer_vaddr();
        layout.bootinfo = sel4sim_bootinfo_vaddr();
        layout.bootinfo_size = seL4_BootInfoFrameSize;
        step = "the root task's vspace";
        r = vs_sel4_root_vspace_create(m->be, machine_mem(), &layout, &m->root_vs);
    }
    if (r == VS_OK) {
        step = "the frame access";
        r = vs_sel4_frame_access_create(m->be, m->root_vs, machine_mem(), &sim_window, NULL, 0, &m->fa);
    }
    if (r != VS_OK) {
        fprintf(stderr, "vspace: setting up %s on the simulated %s machine failed: %s\n", step, arch->name,
                vs_result_name(r));
        machine_down(m);
        return -1;
    }
    m->access = vs_sel4_frame_access_get(m->fa);
    return 0;
}

void machine_down(machine *m)
{
    vs_sel4_frame_access_destroy(m->fa);
    if (m->root_vs != NULL) {
        vs_destroy(m->root_vs, 0, NULL);
    }
    vs_sel4_backend_destroy(m->be);
    if (m->alloc != NULL) {
        vs_sel4_alloc_destroy(m->alloc);
    }
    sel4sim_shutdown();
    memset(m, 0, sizeof *m);
}

int machine_phys_read(vs_addr paddr, void *buf, size_t len)
{
    return sel4sim_phys_read((seL4_Word)paddr, buf, len);
}

int machine_virt_read(vs_cap root, vs_addr vaddr, void *buf, size_t len)
{
    return sel4sim_vs_read(root, vaddr, buf, len);
}

const char *machine_error_name(int kernel_error)
{
    /* libsel4's numbering (sel4/errors.h; the simulator's sel4/types.h) */
    static const char *const names[] = {
        [seL4_NoError] = "seL4_NoError",
        [seL4_InvalidArgument] = "seL4_InvalidArgument",
        [seL4_InvalidCapability] = "seL4_InvalidCapability",
        [seL4_IllegalOperation] = "seL4_IllegalOperation",
        [seL4_RangeError] = "seL4_RangeError",
        [seL4_AlignmentError] = "seL4_AlignmentError",
        [seL4_FailedLookup] = "seL4_FailedLookup",
        [seL4_TruncatedMessage] = "seL4_TruncatedMessage",
        [seL4_DeleteFirst] = "seL4_DeleteFirst",
        [seL4_RevokeFirst] = "seL4_RevokeFirst",
        [seL4_NotEnoughMemory] = "seL4_NotEnoughMemory",
    };
    if (kernel_error >= 0 && (size_t)kernel_error < sizeof names / sizeof names[0] && names[kernel_error] != NULL) {
        return names[kernel_error];
    }
    return "unknown seL4 error";
}

int machine_out_of_memory(int kernel_error)
{
    return kernel_error == seL4_NotEnoughMemory;
}

int machine_read_registers(vs_arch_id arch, vs_cap tcb, machine_regs *out)
{
    seL4_UserContext r;
    memset(&r, 0, sizeof r);
    seL4_Error err = seL4_TCB_ReadRegisters((seL4_CPtr)tcb, 0, 0, sizeof r / sizeof(seL4_Word), &r);
    if (err != seL4_NoError) {
        return (int)err;
    }
    /* The simulator's seL4_UserContext carries every architecture's fields. */
    switch (arch) {
    case VS_ARCH_X86_64:
        *out = (machine_regs){r.rip, r.rsp, r.rdx};
        break;
    case VS_ARCH_IA32:
        *out = (machine_regs){r.eip, r.esp, r.edx};
        break;
    case VS_ARCH_AARCH32:
        *out = (machine_regs){r.pc, r.sp, r.r0};
        break;
    case VS_ARCH_AARCH64:
        *out = (machine_regs){r.pc, r.sp, r.x0};
        break;
    default:
        *out = (machine_regs){r.pc, r.sp, r.a0};
        break;
    }
    return 0;
}
