/* Batched kernel frame calls, falling back to one call per frame when the
 * backend offers no batch form. A single frame always takes the per-frame
 * call: the batch form buys nothing for one and costs its extra arguments. */
#ifndef VSPACE_CORE_KCALLS_H
#define VSPACE_CORE_KCALLS_H

#include <stddef.h>

#include <vs/kernel.h>

struct vs_space;

/* Frames of one page size at consecutive pages from vaddr. */
typedef struct frame_batch {
    const vs_cap *caps;
    unsigned count;
    unsigned size_index;
    vs_addr vaddr;
    unsigned rights;
    vs_cache cache;
} frame_batch;

/* Maps the batch; *done frames succeeded; the status is of frame *done. */
vs_kstatus kcall_map_frames(const struct vs_space *vs, const frame_batch *b, unsigned *done);

/* Unmaps caps[0..n); *done succeeded; returns the error of caps[*done]. */
int kcall_unmap_frames(const struct vs_space *vs, const vs_cap *caps, unsigned n, unsigned size_index, unsigned *done);

/* Unmaps caps[0..n) for clean-up, going on past failures; returns their
 * number and stores the last one's error in *last_error (if non-NULL). */
size_t kcall_unmap_all(const struct vs_space *vs, const vs_cap *caps, unsigned n, unsigned size_index, int *last_error);

#endif
