/* Host-only controls of the seL4 simulator: boot a machine, read its
 * physical memory, walk its page tables as the MMU would, and count what it
 * holds. Not part of libsel4; code meant to run on a real seL4 never
 * includes this. */
#ifndef SEL4SIM_SIM_H
#define SEL4SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <vs/arch.h>

/* Boot a fresh machine of architecture arch with phys_mem_bytes of RAM
 * (rounded down to 4 KiB; at least 1 MiB, at most 16 GiB). A machine that
 * is already running is shut down first. Returns the initial thread's boot
 * information (valid until the next boot or shutdown), or NULL if arch or
 * the size is out of range or host memory ran out. */
seL4_BootInfo *sel4sim_boot(vs_arch_id arch, uint64_t phys_mem_bytes);

/* Discard the running machine and all host memory it holds. Harmless when
 * nothing runs. */
void sel4sim_shutdown(void);

/* The booted architecture; only meaningful while a machine runs. */
vs_arch_id sel4sim_arch(void);

/* The booted architecture's seL4_UserTop, as libsel4 defines it there
 * (libsel4 makes it a per-architecture constant; one host build cannot). */
seL4_Word sel4sim_user_top(void);

/* Physical RAM: first address and size in bytes. */
seL4_Word sel4sim_phys_base(void);
uint64_t sel4sim_phys_size(void);

/* Copy len bytes of simulated physical memory at paddr to buf / from buf.
 * Returns 0, or -1 (nothing copied) if the range is not all RAM. */
int sel4sim_phys_read(seL4_Word paddr, void *buf, size_t len);
int sel4sim_phys_write(seL4_Word paddr, const void *buf, size_t len);

/* One virtual address as the MMU translates it. */
typedef struct sel4sim_translation {
    int found;             /* 0: the MMU would fault; other fields are 0 but size_bits */
    seL4_Word paddr;       /* physical address of the byte at vaddr */
    unsigned size_bits;    /* log2 size of the page that maps it; found = 0: log2 size of the
                              naturally aligned block around vaddr an invalid entry leaves
                              unmapped (0 if the walk could not tell, e.g. vaddr past the
                              address width), so a scan can step over it */
    int read, write, exec; /* effective user-mode permissions */
    int user;              /* 1 if user mode may access it at all */
} sel4sim_translation;

/* Translate vaddr through the paging structures rooted at the object that
 * vspace_root names (a vspace root cap, or on RISC-V a page-table cap),
 * reading the entries from simulated physical memory in the hardware's own
 * format, as the CPU would. Returns seL4_NoError and fills *out (found = 0
 * if the access would fault), or seL4_InvalidCapability if vspace_root does
 * not name a vspace root object. */
seL4_Error sel4sim_translate(seL4_CPtr vspace_root, seL4_Word vaddr, sel4sim_translation *out);

/* Where the loads and stores a thread running in the vspace vspace_root
 * (named as for sel4sim_translate) makes to [vaddr, vaddr + len) land in
 * host memory: if the MMU maps every page of the range user-readable (and
 * writable if `write`) onto one physically contiguous range of RAM, the
 * host address of that RAM, so reading and writing there is what the
 * thread does through the mapping. NULL if len is 0, a page would fault,
 * the rights fall short, or the range is physically discontiguous (then
 * copy page by page, e.g. with sel4sim_vs_read / sel4sim_vs_write). The
 * pointer shows RAM, not the mapping: valid until shutdown whatever is
 * mapped later, so to be used only while the mapping lasts. */
void *sel4sim_user_window(seL4_CPtr vspace_root, seL4_Word vaddr, size_t len, int write);

/* 1 if p points into the host memory holding RAM (what
 * sel4sim_user_window returns), 0 otherwise. */
int sel4sim_is_ram(const void *p);

/* An untyped cap's memory and watermark. */
typedef struct sel4sim_untyped_info {
    seL4_Word paddr;
    unsigned size_bits;
    int is_device;
    seL4_Word watermark;  /* bytes used from the start (the cap's free index) */
    seL4_Word free_bytes; /* (1 << size_bits) - watermark */
    int has_children;     /* derived caps exist (objects, copies) */
} sel4sim_untyped_info;

/* Describe the untyped cap at cptr (in the initial thread's CSpace).
 * Returns seL4_NoError, or seL4_InvalidCapability if it is not an untyped
 * cap. */
seL4_Error sel4sim_untyped(seL4_CPtr cptr, sel4sim_untyped_info *out);

/* Number of kernel objects alive (every retyped object, boot objects,
 * untyped regions). Tests compare it before and after. */
size_t sel4sim_live_objects(void);

/* Number of empty slots in the initial thread's root CNode. */
size_t sel4sim_free_slots(void);

/* log2 size in bytes of an object of the given type on the booted
 * architecture (user_size_bits as Retype takes it), or -1 if the type does
 * not exist there. */
int sel4sim_object_size_bits(seL4_Word type, seL4_Word user_size_bits);

/* Where boot mapped the initial thread's IPC buffer and boot info frame. */
seL4_Word sel4sim_ipc_buffer_vaddr(void);
seL4_Word sel4sim_bootinfo_vaddr(void);

/* What a TCB holds. */
typedef struct sel4sim_tcb_info {
    int has_cspace, has_vspace, has_ipc_buffer;
    seL4_Word ipc_buffer_addr;
    seL4_Word pc, sp; /* from the booted architecture's register names */
    seL4_Word regs_written;
    seL4_Word fault_ep; /* the fault endpoint CPtr the TCB was configured with */
    int resumed;
    seL4_Word cspace_paddr, vspace_paddr; /* physical address of the root objects */
} sel4sim_tcb_info;

/* Describe the TCB at cptr. seL4_InvalidCapability if it is not a TCB. */
seL4_Error sel4sim_tcb(seL4_CPtr cptr, sel4sim_tcb_info *out);

/* Failure injection, for all-or-nothing tests: the nth call (1-based,
 * counted from this call) among those a real kernel may refuse for want of
 * memory, slots or rights -- Untyped_Retype, CNode_Copy/Mint/Move/Mutate,
 * Page_Map, PageTable_Map (and the x86 PD/PDPT maps), ASIDPool_Assign,
 * TCB_Configure/SetSpace/SetIPCBuffer/WriteRegisters/Resume -- fails before
 * changing anything, with `error`. Deletes, revokes, unmaps and reads are
 * never failed. nth 0 disarms. Boot and shutdown disarm too. */
void sel4sim_inject_failure(uint64_t nth, seL4_Error error);

/* 1 if the armed failure has happened since sel4sim_inject_failure. */
int sel4sim_injection_fired(void);

/* Physical address of the object a cap names (any kind but the null cap
 * and controller caps), for tests that look into paging structures. */
seL4_Error sel4sim_cap_paddr(seL4_CPtr cptr, seL4_Word *paddr);

/* How many of caps[0..n) (in the initial thread's CSpace), from the first,
 * name objects lying one after another in RAM 2^size_bits bytes apart:
 * caps[i]'s object at caps[0]'s physical address + (i << size_bits), as
 * sel4sim_cap_paddr reports them. 0 if n is 0 or caps[0] names no object.
 * Changes nothing. */
size_t sel4sim_contiguous_objects(const seL4_CPtr *caps, size_t n, unsigned size_bits);

#endif
