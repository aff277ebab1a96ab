/* process/: spawning a process from an ELF image on seL4, and destroying
 * it so that everything comes back.
 *
 * vs_process_spawn builds, in the root task:
 *  - the child's vspace: a paging root with an ASID (vs_sel4_create_root)
 *    and a vs_space over it, with these named reservations (docs/process.md):
 *      the ELF regions (".text", ".rodata", ".data", ".bss", ...) as the
 *        loader (<vs/elf.h>) made them, kept;
 *      "stack": the stack pages and, below them, one unmapped guard page
 *        that belongs to the reservation (so the guard is visible, not a
 *        hole); executable only if PT_GNU_STACK asks for it;
 *      "ipc-buffer": one base page, the thread's IPC buffer;
 *      one reservation per shared region (vs_spawn_shared), named as the
 *        caller says, holding copies of the root task's frames;
 *      "kernel": the top of the address space the kernel keeps for itself,
 *        when the vspace's range reaches it (never mapped);
 *  - a CSpace: one CNode of 2^cspace_bits slots, its cap guarded so that
 *    a CPtr with a full word of depth resolves, holding at fixed slots
 *    (VS_CHILD_SLOT_*) the caps the child needs;
 *  - a TCB configured with that CSpace, the vspace root and the IPC buffer,
 *    and its registers (IP, SP, the ABI's entry registers) written;
 *  - a fault endpoint, if asked;
 *  - the System V start-up stack (<vs/startstack.h>): argv, envp, auxv with
 *    AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_BASE (0),
 *    AT_FLAGS (0), AT_SYSINFO (when the image has a "__vsyscall" section),
 *    sel4runtime's AT_SEL4_IPC_BUFFER_PTR, AT_SEL4_IPC_BUFFER, AT_SEL4_TCB,
 *    AT_SEL4_CNODE, AT_SEL4_VSPACE, the caller's extra entries, then
 *    AT_RANDOM and AT_EXECFN; written into the child's stack frames
 *    through the caller's frame access (the loader's temporary mappings).
 *
 * All or nothing: if spawn fails, every object, slot, cap copy, untyped
 * byte, reservation and byte of bookkeeping it took is given back, in the
 * child and in the root task. vs_process_destroy gives back everything a
 * successful spawn took.
 *
 * Calls on one process, and on the root task's vspace, must be serialised
 * by the caller.
 */
#ifndef VS_PROCESS_H
#define VS_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include <vs/alloc.h>
#include <vs/arch.h>
#include <vs/frame_access.h>
#include <vs/result.h>
#include <vs/sel4_backend.h>
#include <vs/space.h>
#include <vs/startstack.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vs_process vs_process; /* opaque */

/* Slots of the child's CNode (CPtrs in the child's CSpace). */
enum {
    VS_CHILD_SLOT_NULL = 0,
    VS_CHILD_SLOT_TCB = 1,        /* its own TCB */
    VS_CHILD_SLOT_CNODE = 2,      /* its CSpace root (guarded as configured) */
    VS_CHILD_SLOT_VSPACE = 3,     /* its vspace root */
    VS_CHILD_SLOT_IPC_BUFFER = 4, /* the IPC buffer frame (an unmapped copy) */
    VS_CHILD_SLOT_FAULT_EP = 5,   /* the fault endpoint, if VS_SPAWN_FAULT_EP; else empty */
    VS_CHILD_FIRST_FREE = 6       /* first slot spawn leaves empty */
};

enum {
    VS_SPAWN_RESUME = 1u << 0,                /* start the thread; without it, it is left suspended */
    VS_SPAWN_FAULT_EP = 1u << 1,              /* create a fault endpoint (child slot VS_CHILD_SLOT_FAULT_EP) */
    VS_SPAWN_FREE_ELF_RESERVATIONS = 1u << 2, /* legacy libsel4utils loader: drop the ELF
                                                reservations after loading (breaks I1 on purpose,
                                                so the audit can be seen to catch it) */
    VS_SPAWN_LARGE_PAGES = 1u << 3            /* load the image with VS_ELF_LOAD_LARGE_PAGES */
};

enum {
    VS_SPAWN_DEFAULT_STACK = 64 * 1024, /* bytes */
    VS_SPAWN_DEFAULT_CSPACE_BITS = 12,
    VS_SPAWN_MIN_CSPACE_BITS = 3, /* room for the fixed slots */
    VS_SPAWN_MAX_SHARED = 8
};

/* Pages of the root task shared into the child: [src_vaddr, src_vaddr +
 * size) of the root task's vspace must be mapped (the caller mapped them);
 * the child gets copies of their caps in a reservation of its own, named
 * `name`. If auxv_type is non-zero, an auxv entry (auxv_type, child
 * address) is added (e.g. VS_AT_SEL4_BOOT_INFO). */
typedef struct vs_spawn_shared {
    const char *name;
    vs_addr src_vaddr;
    uint64_t size;
    uint8_t rights; /* VS_RIGHT_* in the child */
    uint64_t auxv_type;
} vs_spawn_shared;

/* What the root task lends spawn: its backend (object allocator and kernel
 * interface), its own vspace (the shared pages' source), the allocator for
 * bookkeeping, and the frame access the ELF loader and the stack writer use
 * to reach the child's frames. All must outlive the process. */
typedef struct vs_spawn_env {
    vs_sel4_backend *be;
    vs_space *root_vs;
    vs_allocator mem;
    const vs_frame_access *fa;
} vs_spawn_env;

/* What to spawn. Zero means the default everywhere. */
typedef struct vs_spawn_opts {
    const char *const *argv; /* argc strings, copied onto the child's stack */
    size_t argc;
    const char *const *envp; /* envc strings ("K=V"), copied onto the child's stack */
    size_t envc;
    const char *execfn;            /* AT_EXECFN string; NULL: argv[0] (or "") */
    unsigned flags;                /* VS_SPAWN_* */
    uint64_t stack_size;           /* bytes of stack, rounded up to the stack page size; 0: VS_SPAWN_DEFAULT_STACK */
    unsigned stack_page_bits;      /* page size of the stack frames (12, 21, ...); 0: the base page */
    vs_addr stack_top;             /* exclusive top of the stack; 0: as high as the range allows (below "kernel") */
    unsigned cspace_bits;          /* log2 slots of the child's CNode; 0: VS_SPAWN_DEFAULT_CSPACE_BITS */
    uint64_t random_seed;          /* AT_RANDOM bytes = vs_startstack_random(random_seed) */
    vs_addr range_base, range_end; /* the child vspace's managed range; both 0: the arch's default */
    const vs_spawn_shared *shared; /* num_shared regions, at most VS_SPAWN_MAX_SHARED */
    size_t num_shared;
    const vs_auxv_entry *extra_auxv; /* added before AT_RANDOM / AT_EXECFN */
    size_t num_extra_auxv;
} vs_spawn_opts;

/* Which step failed, for the error report. */
typedef enum vs_spawn_stage {
    VS_SPAWN_STAGE_NONE = 0,
    VS_SPAWN_STAGE_ARGS,   /* a bad argument */
    VS_SPAWN_STAGE_ELF,    /* parsing or loading the image (elf_error / elf_message) */
    VS_SPAWN_STAGE_VSPACE, /* the child's root, ASID or vs_space */
    VS_SPAWN_STAGE_KERNEL_RESERVATION,
    VS_SPAWN_STAGE_STACK, /* stack reservation, frames or start-up stack */
    VS_SPAWN_STAGE_IPC_BUFFER,
    VS_SPAWN_STAGE_SHARED,
    VS_SPAWN_STAGE_CSPACE, /* CNode, its caps */
    VS_SPAWN_STAGE_TCB,    /* TCB object, Configure, registers, resume */
    VS_SPAWN_STAGE_FAULT_EP
} vs_spawn_stage;

/* Why a spawn failed. */
typedef struct vs_spawn_error {
    vs_result result;
    vs_spawn_stage stage;
    const char *reason;    /* a static sentence naming the cause; never NULL after a failed spawn */
    vs_addr vaddr;         /* the address concerned, or 0 (never a size or a count: see value) */
    uint64_t value;        /* a number the reason names (it says which): a slot, log2 of a page size,
                              a byte count, the start-up stack builder's error_value; else 0 */
    uint64_t limit;        /* with VS_ERR_NO_SPACE: the bytes there were room for (value: the bytes
                              needed; e.g. the start-up stack against the stack), else 0 */
    int kernel_error;      /* an seL4_Error when a kernel call failed (result VS_ERR_KERNEL), else 0 */
    int elf_error;         /* a vs_elf_error, for STAGE_ELF */
    char elf_message[200]; /* the loader's diagnostic, for STAGE_ELF */
} vs_spawn_error;

/* The name of a stage ("stack", "tcb", ...); never NULL. */
const char *vs_spawn_stage_name(vs_spawn_stage s);

/* Spawns the ELF image in [elf, elf + elf_size) (the caller keeps it alive
 * only for the call) for architecture arch (which the image must be and the
 * backend must serve). On success *out is the process. Errors, with *err
 * (if non-NULL) filled: INVALID_ARG (NULL env or out, bad options, the
 * image refused: err->elf_error), NO_MEMORY (bookkeeping), NO_SPACE /
 * OVERLAP / OUT_OF_RANGE (the layout does not fit the child's range),
 * KERNEL (a kernel call failed: err->kernel_error). On error nothing the
 * call took is left anywhere. */
vs_result vs_process_spawn(const vs_spawn_env *env, vs_arch_id arch, const void *elf, size_t elf_size,
                           const vs_spawn_opts *opts, vs_process **out, vs_spawn_error *err);

/* Suspends the thread, deletes every cap of the child's CSpace, frees the
 * TCB, CNode and endpoint, destroys the child's vspace (every frame and
 * paging structure), frees its root and ASID and all bookkeeping. Kernel
 * errors do not stop it; the last one is stored in *kernel_error (if
 * non-NULL). Returns VS_OK, or VS_ERR_KERNEL if any kernel call failed.
 * Accepts NULL (VS_OK). */
vs_result vs_process_destroy(vs_process *p, int *kernel_error);

/* ---- what a spawned process is ---- */

/* The child's vspace (owned by the process: do not destroy it). */
vs_space *vs_process_space(const vs_process *p);

typedef struct vs_process_info {
    vs_arch_id arch;
    vs_addr entry;                     /* initial instruction pointer */
    vs_addr sp;                        /* initial stack pointer (address of argc) */
    vs_addr atexit_reg;                /* value of the ABI's atexit register at entry (0) */
    vs_startstack_layout stack_layout; /* where argv, envp, auxv, random, execfn went */
    vs_addr stack_base;                /* lowest mapped stack byte (the guard page is just below) */
    vs_addr stack_top;                 /* exclusive top of the stack */
    vs_addr guard_base;                /* the guard page: [guard_base, stack_base) */
    unsigned stack_page_bits;
    int stack_exec;     /* the stack is executable (PT_GNU_STACK asked for it) */
    vs_addr ipc_buffer; /* the IPC buffer's address in the child */
    vs_addr phdr;       /* AT_PHDR */
    unsigned phent, phnum;
    vs_addr sysinfo;                           /* AT_SYSINFO: the "__vsyscall" section's address, or 0 */
    vs_addr shared_vaddr[VS_SPAWN_MAX_SHARED]; /* where each shared region went in the child */
    /* Caps in the root task's CSpace. */
    vs_cap tcb, cnode, vspace_root, fault_ep; /* fault_ep 0 without VS_SPAWN_FAULT_EP */
    unsigned cspace_bits;
    int resumed;
} vs_process_info;

/* Fills *out; INVALID_ARG for NULL. */
vs_result vs_process_get_info(const vs_process *p, vs_process_info *out);

#ifdef __cplusplus
}
#endif

#endif
