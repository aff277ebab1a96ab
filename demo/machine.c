/* See machine.h. */
#include "machine.h"

#include <string.h>

/* Free untyped memory is what no object and no split piece holds: the
 * free bytes of every untyped cap without children. A boot untyped the
 * allocator split is full (its halves are its children), so summing
 * boot untypeds alone would count a 4 KiB frame as a whole split region. */
static uint64_t untyped_free_bytes(const seL4_BootInfo *bi)
{
    /* Pieces live in the empty region, boot untypeds in their own. */
    seL4_CPtr lo = bi->untyped.start < bi->empty.start ? bi->untyped.start : bi->empty.start;
    seL4_CPtr hi = bi->untyped.end > bi->empty.end ? bi->untyped.end : bi->empty.end;
    uint64_t sum = 0;
    for (seL4_CPtr slot = lo; slot < hi; slot++) {
        sel4sim_untyped_info info;
        if (sel4sim_untyped(slot, &info) == seL4_NoError && !info.has_children && !info.is_device) {
            sum += info.free_bytes;
        }
    }
    return sum;
}

void machine_acct_take(const seL4_BootInfo *bi, machine_acct *out)
{
    memset(out, 0, sizeof *out);
    out->free_slots = sel4sim_free_slots();
    out->live_objects = sel4sim_live_objects();
    out->untyped_free = untyped_free_bytes(bi);
    out->num_untypeds = (size_t)(bi->untyped.end - bi->untyped.start);
    for (size_t i = 0; i < out->num_untypeds; i++) {
        sel4sim_untyped_info info;
        if (sel4sim_untyped(bi->untyped.start + i, &info) == seL4_NoError) {
            out->watermark[i] = info.watermark;
        }
    }
}

size_t machine_watermarks_moved(const machine_acct *a, const machine_acct *b)
{
    size_t moved = a->num_untypeds != b->num_untypeds;
    for (size_t i = 0; i < a->num_untypeds && i < b->num_untypeds; i++) {
        moved += a->watermark[i] != b->watermark[i];
    }
    return moved;
}

const char *machine_error_name(int err)
{
    static const char *const names[] = {
        "seL4_NoError",     "seL4_InvalidArgument", "seL4_InvalidCapability", "seL4_IllegalOperation",
        "seL4_RangeError",  "seL4_AlignmentError",  "seL4_FailedLookup",      "seL4_TruncatedMessage",
        "seL4_DeleteFirst", "seL4_RevokeFirst",     "seL4_NotEnoughMemory",
    };
    if (err < 0 || (size_t)err >= sizeof names / sizeof names[0]) {
        return "(not an seL4_Error)";
    }
    return names[err];
}
