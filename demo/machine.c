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

int machine_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    (void)ctx;
    sel4sim_translation t;
    seL4_Error err = sel4sim_translate((seL4_CPtr)root, (seL4_Word)vaddr, &t);
    if (err != seL4_NoError) {
        return (int)err;
    }
    memset(out, 0, sizeof *out);
    if (t.found) {
        /* A kernel-only mapping is still a mapping, with no user rights. */
        out->mapped = 1;
        out->paddr = t.paddr;
        out->size_bits = (uint8_t)t.size_bits;
        out->rights = t.user ? (uint8_t)((t.read ? VS_RIGHT_READ : 0) | (t.write ? VS_RIGHT_WRITE : 0) |
                                         (t.exec ? VS_RIGHT_EXEC : 0))
                             : 0;
    }
    return 0;
}

/* One page-bounded chunk at a time: consecutive virtual pages need not be
 * consecutive in physical memory. */
static int vcopy(vs_cap root, vs_addr vaddr, unsigned char *buf, size_t len, int write)
{
    while (len > 0) {
        sel4sim_translation t;
        if (sel4sim_translate((seL4_CPtr)root, (seL4_Word)vaddr, &t) != seL4_NoError || !t.found || !t.user ||
            (write && !t.write)) {
            return -1;
        }
        size_t chunk = 4096 - (size_t)(vaddr & 4095);
        chunk = chunk < len ? chunk : len;
        int r = write ? sel4sim_phys_write(t.paddr, buf, chunk) : sel4sim_phys_read(t.paddr, buf, chunk);
        if (r != 0) {
            return -1;
        }
        buf += chunk;
        vaddr += chunk;
        len -= chunk;
    }
    return 0;
}

int machine_vwrite(vs_cap root, vs_addr vaddr, const void *buf, size_t len)
{
    return vcopy(root, vaddr, (unsigned char *)(uintptr_t)buf, len, 1);
}

int machine_vread(vs_cap root, vs_addr vaddr, void *buf, size_t len)
{
    return vcopy(root, vaddr, buf, len, 0);
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
