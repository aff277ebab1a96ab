/* A small kernel-object allocator for an seL4 root task: hands out slots of
 * the root CNode's empty region and retypes the boot untypeds into objects,
 * buddy-style (untypeds split in halves down to the object's size, merged
 * again when freed). It must own the RAM untypeds: nobody else retypes
 * them. Written against libsel4 only. Every call that fails leaves caps,
 * slots and untyped memory exactly as they were. */
#ifndef VS_SEL4_ALLOC_H
#define VS_SEL4_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include <vs/alloc.h>
#include <vs/result.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vs_sel4_alloc vs_sel4_alloc; /* opaque */

/* What the allocator holds right now, for tests and reports. */
typedef struct vs_sel4_alloc_stats {
    size_t free_slots;    /* empty slots of the managed region */
    size_t objects;       /* live objects retyped by the allocator */
    size_t copies;        /* live slots handed out for cap copies */
    size_t untypeds;      /* RAM untypeds it may retype from */
    size_t busy_untypeds; /* boot untypeds not entirely free (split or holding an object) */
} vs_sel4_alloc_stats;

/* Creates an allocator over bi->empty (slots) and the non-device untypeds
 * of bi->untypedList, all in the root CNode seL4_CapInitThreadCNode, whose
 * slots it addresses with seL4_WordBits of depth, as a root task does. Its
 * bookkeeping comes from mem. Errors: INVALID_ARG (NULL bi/out/alloc
 * functions, a malformed empty region), NO_MEMORY. Issues no kernel call. */
vs_result vs_sel4_alloc_create(const seL4_BootInfo *bi, vs_allocator mem, vs_sel4_alloc **out);

/* Returns the bookkeeping memory. The caller must have freed every object
 * and slot first; anything still allocated stays in the kernel, untracked.
 * Accepts NULL. */
void vs_sel4_alloc_destroy(vs_sel4_alloc *a);

/* Retypes one object of `type` into a free slot; size_bits is passed to
 * seL4_Untyped_Retype as is (0 for fixed-size objects), obj_bits is the
 * log2 of the memory the object occupies (seL4_PageBits for a 4 KiB frame,
 * 14 for an aarch32 page directory, ...). The memory is a piece of exactly
 * 2^obj_bits bytes split off the smallest free untyped that can hold it.
 * Stores the slot in *cap and a cookie for vs_sel4_alloc_free_object in
 * *cookie. Returns seL4_NoError, seL4_NotEnoughMemory (no free slot, no
 * piece large enough, or no slot for splitting one) or the kernel's error
 * (e.g. for a type the kernel does not have); on error nothing changed:
 * slots, caps and untyped watermarks are as before. */
seL4_Error vs_sel4_alloc_object(vs_sel4_alloc *a, seL4_Word type, seL4_Word size_bits, unsigned obj_bits,
                                seL4_CPtr *cap, uintptr_t *cookie);

/* Deletes an object vs_sel4_alloc_object made (cap and cookie as it
 * returned them) and frees its slot. Its memory is free again once the
 * copies of it made with vs_sel4_alloc_copy are deleted too (they keep
 * the object alive in the kernel); then free buddies are merged back, up
 * to the boot untyped, whose watermark returns to where it was. Errors: seL4_InvalidArgument (not an object of this
 * allocator; nothing done) or the kernel's error from seL4_CNode_Delete
 * (slot kept). */
seL4_Error vs_sel4_alloc_free_object(vs_sel4_alloc *a, seL4_CPtr cap, uintptr_t cookie);

/* Copies src (any cap in the root CNode) into a fresh slot with `rights`.
 * A copy of one of our objects (or of such a copy) keeps the object's
 * untyped memory in use (busy_untypeds) until the copy is deleted.
 * Errors: seL4_NotEnoughMemory (no free slot), the kernel's error from
 * seL4_CNode_Copy; on error no slot is taken. */
seL4_Error vs_sel4_alloc_copy(vs_sel4_alloc *a, seL4_CPtr src, seL4_CapRights_t rights, seL4_CPtr *out);

/* Deletes a copy made by vs_sel4_alloc_copy and frees its slot. Errors:
 * seL4_InvalidArgument (not a copy slot of this allocator; nothing done),
 * the kernel's error from seL4_CNode_Delete (slot kept). */
seL4_Error vs_sel4_alloc_delete_copy(vs_sel4_alloc *a, seL4_CPtr cap);

/* Takes an empty slot for the caller's own use (e.g. to mint into).
 * Errors: seL4_NotEnoughMemory. */
seL4_Error vs_sel4_alloc_slot(vs_sel4_alloc *a, seL4_CPtr *slot);

/* Gives back a slot from vs_sel4_alloc_slot; the caller has emptied it.
 * Errors: seL4_InvalidArgument (not such a slot). */
seL4_Error vs_sel4_free_slot(vs_sel4_alloc *a, seL4_CPtr slot);

/* Fills *out with the allocator's current counts; never fails. */
/* The log2 size in bytes of the object behind cap, if this allocator made it
 * (cap is the object's own slot or a copy made with vs_sel4_alloc_copy);
 * -1 for any other cap (the allocator cannot know its size) and for a NULL
 * allocator. Issues no kernel call. */
int vs_sel4_alloc_object_bits(const vs_sel4_alloc *a, seL4_CPtr cap);

void vs_sel4_alloc_get_stats(const vs_sel4_alloc *a, vs_sel4_alloc_stats *out);

#ifdef __cplusplus
}
#endif

#endif
