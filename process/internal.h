/* Private to process/: the process record and the steps spawn is made of.
 * Every step records what it took in the record, so one teardown
 * (proc_teardown) serves both a failed spawn and vs_process_destroy. */
#ifndef VSPACE_PROCESS_INTERNAL_H
#define VSPACE_PROCESS_INTERNAL_H

#include <sel4/sel4.h>

#include <vs/elf.h>
#include <vs/process.h>

struct vs_process {
    vs_spawn_env env;
    const vs_arch *arch;
    vs_sel4_alloc *alloc;
    vs_object root; /* paging root + ASID; cap 0 until made */
    vs_space *vs;
    /* Kernel objects in the root task's CSpace; cap 0 until made. */
    seL4_CPtr cnode, tcb, ep;
    uintptr_t cnode_cookie, tcb_cookie, ep_cookie;
    unsigned child_slots; /* bit i: child CNode slot i holds a cap spawn put there */
    int resumed;
    vs_process_info info;
    vs_elf_loaded loaded;
};

/* A failed step: fills *err (if non-NULL) and returns r. */
vs_result proc_fail(vs_spawn_error *err, vs_result r, vs_spawn_stage stage, const char *reason, vs_addr vaddr,
                    int kernel_error);

/* A failed step whose reason names a number that is not an address (a
 * slot, a count, a size): fills *err's value (and, for a thing that did not
 * fit, limit: the room there was) instead of its vaddr. */
vs_result proc_fail_value(vs_spawn_error *err, vs_result r, vs_spawn_stage stage, const char *reason, uint64_t value,
                          uint64_t limit);

/* A vspace call failed: the vspace's own error report goes into *err. */
vs_result proc_fail_vs(vs_spawn_error *err, const vs_space *vs, vs_result r, vs_spawn_stage stage);

/* The seL4_Error behind the frame access's last failed map, where it
 * offers one (its optional kernel_error), else 0. */
int proc_fa_kernel_error(const vs_frame_access *fa);

/* ---- cspace.c: the child's CNode and the caps in it */
vs_result proc_cspace_create(vs_process *p, unsigned bits, vs_spawn_error *err);
/* Copies (or for the CNode, mints with its guard) src into child slot. */
vs_result proc_cspace_put(vs_process *p, unsigned slot, seL4_CPtr src, vs_spawn_error *err);
/* Deletes every cap spawn put in the child's CNode; the last kernel error or 0. */
int proc_cspace_clear(vs_process *p);
/* The guard data that makes a word-deep CPtr resolve in the child's CNode. */
seL4_Word proc_cspace_guard(const vs_process *p);

/* ---- regs.c: the initial register set of each architecture */
vs_result proc_write_registers(vs_process *p, int resume, vs_spawn_error *err);

/* ---- stack.c: the stack reservation and the start-up stack */
/* Reserves "stack" (guard page included) and maps its frames. */
vs_result proc_stack_create(vs_process *p, const vs_spawn_opts *o, vs_addr top, vs_spawn_error *err);
/* Writes the start-up stack described by spec into the stack frames. */
vs_result proc_stack_write(vs_process *p, const vs_startstack_spec *spec, vs_spawn_error *err);

/* ---- teardown (spawn.c) */
int proc_teardown(vs_process *p);

#endif
