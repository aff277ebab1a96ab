/* Frame access: how a loader running in one address space writes into
 * frames that belong to another (a child's). A root task on seL4 cannot
 * touch a child's frame directly; it maps a copy of the frame cap into its
 * own vspace for the time of the write. This interface is that step,
 * kernel-agnostic, so elf/ never includes a kernel header:
 *  - seL4: vs_sel4_frame_access (backends/sel4/include/vs/sel4_backend.h),
 *    temporary mappings of cap copies in the root task's vspace, one
 *    reservation and one vs_map per run (the paging structures kept from
 *    hold to release);
 *  - Linux: vs_linux_frame_access, a heap buffer filled from the memfd
 *    pages that back the frames (pread) and written back at unmap (pwrite).
 */
#ifndef VS_FRAME_ACCESS_H
#define VS_FRAME_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include <vs/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A run of frames made visible in the loader's own address space. */
typedef struct vs_frame_window {
    uint8_t *host; /* first byte of frames[0]; frames[i] starts at host + (i << size_bits) */
    uint64_t size; /* bytes visible: m << size_bits, for the m frames shown */
    void *state;   /* the implementation's own, for unmap */
} vs_frame_window;

typedef struct vs_frame_access_ops {
    /* Makes frames[0..m) (caps as the child's vspace holds them, each
     * 2^size_bits bytes, n >= 1) readable and writable as one contiguous
     * byte range at out->host, showing their current contents, for some
     * 1 <= m <= n: all of them, or a first part if the implementation can
     * show only that many at once cheaply (out->size = m << size_bits says
     * how many; the caller maps frames[m..n) with further calls). Returns 0,
     * or a non-zero code of the implementation's own (for seL4: a vs_result
     * of the temporary mapping; see the implementation's header); on error
     * nothing is left mapped or allocated and *out is untouched. */
    int (*map)(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits, vs_frame_window *out);
    /* Makes the bytes written through w visible in the frames (if the
     * implementation buffers) and removes the window; w->host is invalid
     * afterwards. Returns 0, or non-zero if the removal failed; then the
     * window stays valid and unmap may be called again. */
    int (*unmap)(void *ctx, vs_frame_window *w);
    /* Optional (NULL: not offered). Makes n new frames of the base page
     * size (n >= 1) that ARE pages of the image's file -- the file this
     * access was set up with, which must be the one the image was parsed
     * from -- at file offsets offset, offset + 4096, ... (offset page
     * aligned): what the kernel's own exec does for a program's read-only
     * pages, which then cost no copy and no fresh memory. Mapped writable,
     * such a frame is copy-on-write: the writes are that mapping's own and
     * never reach the file (so two mappings of it do not share them). The
     * caller owns the frames: caps[i] with the allocator's cookies[i] (as
     * vs_object; free each with the kernel's free_object, VS_OBJ_FRAME,
     * size index 0). Returns 0 and fills caps[0..n) and cookies[0..n), or a
     * non-zero code of the implementation's own; on error no frame is
     * left allocated. */
    int (*file_frames)(void *ctx, uint64_t offset, size_t n, vs_cap *caps, uintptr_t *cookies);
    /* Optional (NULL: not offered). map, for frames that are mapped
     * nowhere: new frames a loader fills before the child maps them
     * (vs_map_new_filled). The implementation may then show the frames
     * themselves instead of copies of their caps (seL4: no cap copy and no
     * delete per frame), and the frames must stay mapped nowhere else until
     * unmap. Same window, codes and guarantees as map; unmap removes it. */
    int (*map_unmapped)(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits, vs_frame_window *out);
    /* Optional, with release (either NULL: not offered). The caller is
     * about to make windows one after another (a load) and calls release
     * when done with them: until then the implementation may keep what it
     * set up for a window past the window's unmap, for the next windows to
     * reuse (seL4: the paging structures the root task's vspace needed).
     * Holds nest: only the release matching the first hold removes. Returns
     * 0, or a non-zero code of the implementation's own; on error nothing
     * is held and the windows work as without hold (release must not
     * follow). */
    int (*hold)(void *ctx);
    /* Ends a hold (every window unmapped): what was kept since the first
     * hold is removed, so the loader's own address space is as it was
     * before it. Returns 0, or non-zero if some of it could not be removed
     * (then it stays, as a window's would have; the hold ends either way). */
    int (*release)(void *ctx);
    /* Optional (NULL: not offered). The kernel's code (for seL4: an
     * seL4_Error) of the kernel call that made the most recent map or
     * map_unmapped fail; 0 if that call succeeded or failed for another
     * reason. map's own code names the implementation's failure (seL4:
     * VS_ERR_KERNEL), not which kernel refusal it was: this is what lets a
     * caller say seL4_NotEnoughMemory, as for its own kernel calls. */
    int (*kernel_error)(void *ctx);
} vs_frame_access_ops;

typedef struct vs_frame_access {
    const vs_frame_access_ops *ops;
    void *ctx;
    size_t max_run; /* most frames one map call accepts; 0: no limit */
} vs_frame_access;

#ifdef __cplusplus
}
#endif

#endif
