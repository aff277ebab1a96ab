/* A small recording kernel for the demo: it prints every call it receives
 * and keeps just enough state to behave like seL4 where the demo can see
 * it (caps, frames with physical addresses, paging structures that must
 * exist before a frame is mapped, one mapping per frame cap), so that the
 * demo can check at the end that the vspace agrees with it and returned
 * every object. */
#ifndef VSPACE_DEMO_FAKE_KERNEL_H
#define VSPACE_DEMO_FAKE_KERNEL_H

#include <stddef.h>

#include <vspace/arch.h>
#include <vspace/kernel.h>

enum { FK_MAX_SLOTS = 128 };

/* seL4_Error values the fake returns (seL4 reference manual). */
enum {
    FK_INVALID_ARGUMENT = 1,
    FK_INVALID_CAPABILITY = 2,
    FK_ALIGNMENT_ERROR = 5,
    FK_FAILED_LOOKUP = 6,
    FK_DELETE_FIRST = 8,
    FK_NOT_ENOUGH_MEMORY = 10
};

/* One cap slot: a frame, a paging structure, or a copy of a frame cap. */
typedef struct fk_slot {
    int live;
    int is_copy;
    vs_object_kind kind;
    unsigned size; /* frame: page-size index; table: level */
    vs_addr paddr; /* frames and copies: the frame's physical address */
    int mapped;
    vs_cap root;
    vs_addr vaddr; /* where it is mapped (tables: first address translated) */
    uint8_t rights;
} fk_slot;

typedef struct fake_kernel {
    const vs_arch *arch;
    fk_slot slots[FK_MAX_SLOTS]; /* slot i is cap FK_FIRST_CAP + i */
    size_t used;
    vs_addr next_paddr;
    unsigned calls;    /* every call received */
    unsigned overmaps; /* frames mapped over another mapping (seL4 replaces silently) */
    int quiet;         /* non-zero: do not print calls */
} fake_kernel;

enum { FK_FIRST_CAP = 0x100 };

/* Initialises fk for arch. */
void fk_init(fake_kernel *fk, const vs_arch *arch);

/* The kernel interface backed by fk. */
vs_kernel fk_kernel(fake_kernel *fk);

/* The slot of cap, or NULL if cap names no slot. */
const fk_slot *fk_slot_of(const fake_kernel *fk, vs_cap cap);

/* Counts of what is still alive in the kernel. */
typedef struct fk_census {
    unsigned frames; /* live frame objects */
    unsigned tables; /* live paging structures */
    unsigned copies; /* live cap copies */
    unsigned mapped; /* mapped frames (objects and copies) */
} fk_census;

fk_census fk_count(const fake_kernel *fk);

#endif
