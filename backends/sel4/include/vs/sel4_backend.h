/* The seL4 backend: vs_kernel_ops implemented with libsel4 invocations, the
 * creation of a child vspace's root paging structure, and the bootstrap of
 * the root task's own vspace. Written against <sel4/sel4.h> only: on the
 * host it links against the simulator, on seL4 against the real libsel4.
 * See docs/sel4-backend.md. */
#ifndef VS_SEL4_BACKEND_H
#define VS_SEL4_BACKEND_H

#include <stdint.h>

#include <sel4/sel4.h>

#include <vs/frame_access.h>
#include <vs/sel4_alloc.h>
#include <vs/space.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vs_sel4_backend vs_sel4_backend; /* opaque */

/* seL4 has no "translate this address" call. Whoever can read the page
 * tables another way (on the host: the simulator's MMU walk) installs this
 * hook, and the backend's translate op forwards to it. It returns 0 and
 * fills *out, or a non-zero error. */
typedef int (*vs_sel4_translate_fn)(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out);

/* Creates a backend for `arch` drawing objects, slots and copies from
 * alloc (which must outlive it); bookkeeping comes from mem. Errors:
 * INVALID_ARG (NULL argument, or arch not available in this build: on real
 * seL4 only the configured architecture is), NO_MEMORY. */
vs_result vs_sel4_backend_create(const vs_arch *arch, vs_sel4_alloc *alloc, vs_allocator mem, vs_sel4_backend **out);

/* Frees the backend's bookkeeping; kernel objects are the caller's to have
 * freed. Accepts NULL. */
void vs_sel4_backend_destroy(vs_sel4_backend *be);

/* The kernel interface to put in vs_config.kernel. Its map_frame refuses,
 * with seL4_InvalidArgument and no kernel call, a frame cap the backend's
 * object allocator made (or a copy of one) whose size differs from the
 * page size asked for; the core reports that as VS_ERR_KERNEL with
 * kernel_error seL4_InvalidArgument and changes nothing. Frame caps from
 * elsewhere are passed to the kernel unchecked (see vs_map). */
vs_kernel vs_sel4_backend_kernel(vs_sel4_backend *be);

/* The architecture and the object allocator the backend was created with. */
const vs_arch *vs_sel4_backend_arch(const vs_sel4_backend *be);
vs_sel4_alloc *vs_sel4_backend_alloc(const vs_sel4_backend *be);

/* Installs (or with fn NULL removes) the translate hook. Without one the
 * translate op fails with seL4_IllegalOperation, as it must on seL4. */
void vs_sel4_backend_set_translate(vs_sel4_backend *be, vs_sel4_translate_fn fn, void *ctx);

/* Creates the root paging structure of a new vspace (PML4, PD, PGD or
 * VSpace object, root page table) and assigns it an ASID from
 * seL4_CapInitThreadASIDPool. *out->cap is then the vs_config.root of the
 * child. Same as the kernel op alloc_object(VS_OBJ_PAGING_TABLE, 0).
 * Returns seL4_NoError or the failing call's seL4_Error; on error no
 * object, slot or untyped memory was consumed. */
int vs_sel4_create_root(vs_sel4_backend *be, vs_object *out);

/* Deletes a root made by vs_sel4_create_root (its ASID goes with it). The
 * vspace using it must have been destroyed. Returns seL4_NoError or the
 * kernel's error. */
int vs_sel4_free_root(vs_sel4_backend *be, const vs_object *root);

/* ---- the root task's own vspace ---- */

/* Ranges of the root task's vspace the kernel mapped before it ran; they
 * are reserved so vspace never hands them out. Empty ranges (size 0) are
 * skipped. Addresses are virtual addresses in the root task. */
typedef struct vs_sel4_root_layout {
    vs_addr image_start, image_end; /* the root task's ELF image */
    vs_addr ipc_buffer;             /* one base page */
    vs_addr bootinfo;               /* bootinfo frame(s) */
    uint64_t bootinfo_size;
    vs_addr extra_start, extra_end; /* anything else in use (e.g. a heap), or 0, 0 */
    /* The extra boot info (bi->extraLen bytes), which the kernel maps at
     * bootinfo + bootinfo_size, right after the bootinfo frame. */
    uint64_t extra_bootinfo_size;
} vs_sel4_root_layout;

/* The whole boot layout of the root task as seL4 made it, so no range can
 * be forgotten: the image [image_start, image_end) from the root task's
 * linker symbols (e.g. __executable_start and _end), the IPC buffer at
 * bi->ipcBuffer, the bootinfo frame (seL4_BootInfoFrameSize) at bi itself
 * and the extra boot info right after it: every page of bi->extraBIPages
 * (seL4 maps the next power of two of pages holding bi->extraLen bytes),
 * and at least bi->extraLen bytes rounded up to a page. bi is the
 * pointer the root task was started with (sel4runtime_bootinfo()): on seL4
 * its value is the frame's address in the root task. Leaves extra_start and
 * extra_end 0. Errors: INVALID_ARG (NULL bi or out, image_end <
 * image_start). */
vs_result vs_sel4_root_layout_from_bootinfo(const seL4_BootInfo *bi, vs_addr image_start, vs_addr image_end,
                                            vs_sel4_root_layout *out);

/* The same where the root task's view of its boot frames is not where the
 * kernel mapped them (the host simulator: bi and bi->ipcBuffer are host
 * memory): their addresses in the root task's vspace are given instead.
 * Errors as above. */
vs_result vs_sel4_root_layout_from_bootinfo_at(const seL4_BootInfo *bi, vs_addr bootinfo_vaddr,
                                               vs_addr ipc_buffer_vaddr, vs_addr image_start, vs_addr image_end,
                                               vs_sel4_root_layout *out);

/* Creates the vspace describing the root task's own address space (root
 * cap seL4_CapInitThreadVSpace) over the arch's default range and reserves
 * every non-empty range of the layout, rounded out to base pages, named
 * "image", "ipc-buffer", "bootinfo", "extra-bootinfo", "extra". Take the
 * layout from vs_sel4_root_layout_from_bootinfo. Those pages are RESERVED,
 * not MAPPED: their frame caps are the kernel's boot mappings, so vspace
 * never unmaps them. Errors: INVALID_ARG (NULL argument, or an inverted
 * range: image_end < image_start, extra_end < extra_start, or a bootinfo,
 * extra-bootinfo or ipc-buffer range that wraps; only end == start means empty), those of
 * vs_create and vs_reserve_at (e.g. OVERLAP if two ranges share a page,
 * OUT_OF_RANGE); on error nothing is left allocated. */
vs_result vs_sel4_root_vspace_create(vs_sel4_backend *be, vs_allocator mem, const vs_sel4_root_layout *layout,
                                     vs_space **out);

/* A child's frame made visible in the root task's vspace, for a loader to
 * write into. */
typedef struct vs_sel4_temp_map {
    vs_addr vaddr; /* where the frame appears in the root task */
    uint64_t size; /* bytes: 1 << size_bits */
    vs_cap copy;   /* the cap copy that is mapped there */
    vs_reservation *res;
    int mapped;          /* cleared once vs_sel4_temp_unmap has unmapped it */
    uint64_t table_mark; /* vs_table_mark of root_vs before the mapping */
} vs_sel4_temp_map;

/* Maps a fresh copy of `frame` (2^size_bits bytes, any cap in the root
 * CNode, e.g. one a child vspace has mapped) into root_vs, a vspace made by
 * vs_sel4_root_vspace_create with this backend, at a free range aligned to
 * the page size, read-write. Errors: INVALID_ARG, NO_SPACE, NO_MEMORY,
 * KERNEL (copy or map failed; vs_last_kernel_error(root_vs) or *kernel_error
 * if non-NULL tells the seL4_Error). On error nothing is left behind. */
vs_result vs_sel4_temp_map_frame(vs_sel4_backend *be, vs_space *root_vs, vs_cap frame, unsigned size_bits,
                                 vs_sel4_temp_map *out, int *kernel_error);

/* Undoes vs_sel4_temp_map_frame: unmaps, deletes the copy, frees the
 * reservation, and clears *map. Errors: INVALID_ARG; KERNEL if the unmap
 * or the delete failed: what was done stays done (map->mapped says whether
 * the unmap happened) and calling again resumes with the step that failed. */
vs_result vs_sel4_temp_unmap(vs_sel4_backend *be, vs_space *root_vs, vs_sel4_temp_map *map);

/* A run of frames mapped at once: n cap copies, one reservation, one
 * vs_map. copies is the caller's array of n slots, filled by the call. */
typedef struct vs_sel4_temp_run {
    vs_addr vaddr; /* where frames[0] appears in the root task */
    uint64_t size; /* bytes: n << size_bits */
    size_t n;
    unsigned size_bits;
    vs_cap *copies; /* the caller's array: the copies mapped there */
    size_t copied;  /* copies still held (deleted from the end on unmap) */
    vs_reservation *res;
    int mapped;          /* cleared once vs_sel4_temp_unmap_run has unmapped the run */
    uint64_t table_mark; /* vs_table_mark of root_vs before the run: the paging structures the
                            run created are removed with it, so root_vs is left as it was */
} vs_sel4_temp_run;

/* Maps fresh copies of frames[0..n) (2^size_bits bytes each, any caps in
 * the root CNode) as consecutive pages of a free range of root_vs aligned
 * to the page size, read-write: one reservation "temp-map" and one vs_map
 * for the whole run. vs_sel4_temp_map_frame is this with n = 1. Errors:
 * INVALID_ARG (NULL, n 0, bad size), NO_SPACE, NO_MEMORY, KERNEL (a copy
 * or the map failed; *kernel_error, if non-NULL, tells the seL4_Error). On
 * error nothing is left behind: copies deleted, reservation freed. */
vs_result vs_sel4_temp_map_run(vs_sel4_backend *be, vs_space *root_vs, const vs_cap *frames, size_t n,
                               unsigned size_bits, vs_cap *copies, vs_sel4_temp_run *out, int *kernel_error);

/* vs_sel4_temp_map_run for frames that are mapped nowhere (fresh frames a
 * loader fills before mapping them, vs_map_new_filled): maps frames[0..n)
 * themselves, no copies (out->copies NULL, out->copied 0); a frame cap on
 * seL4 holds one mapping, so each must be unmapped (else KERNEL, nothing
 * left). vs_sel4_temp_unmap_run undoes it, leaving the caps as they were.
 * Errors: INVALID_ARG (NULL, n 0, bad size), NO_SPACE, NO_MEMORY, KERNEL. */
vs_result vs_sel4_temp_map_unmapped(vs_sel4_backend *be, vs_space *root_vs, const vs_cap *frames, size_t n,
                                    unsigned size_bits, vs_sel4_temp_run *out, int *kernel_error);

/* Undoes vs_sel4_temp_map_run: unmaps the run, deletes the copies, frees
 * the reservation and the paging structures the run created (those still
 * in use by another mapping stay), and clears *run. Errors: INVALID_ARG; KERNEL if the
 * unmap or a delete failed: what was done stays done and calling again
 * resumes with the step that failed. */
vs_result vs_sel4_temp_unmap_run(vs_sel4_backend *be, vs_space *root_vs, vs_sel4_temp_run *run);

/* ---- frame access for loaders (<vs/frame_access.h>) ---- */

/* How the root task reaches its own virtual addresses. On seL4 a mapped
 * address is simply dereferenced (pass NULL ops: identity). A host build
 * on the simulator supplies these: open gives host memory showing
 * [vaddr, vaddr + size) of the root task's vspace, close makes what was
 * written there reach the frames and releases it. Both return 0 or
 * non-zero; on error open leaves nothing behind and close changes nothing.
 * span is optional (NULL: all n): how many of frames[0..n) from the first
 * (at least 1 for n >= 1) open can show cheaply as one range, e.g. without
 * copying; the frame access then makes a window of just those. */
typedef struct vs_sel4_window_ops {
    int (*open)(void *ctx, vs_addr vaddr, uint64_t size, uint8_t **host);
    int (*close)(void *ctx, vs_addr vaddr, uint64_t size, uint8_t *host);
    size_t (*span)(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits);
} vs_sel4_window_ops;

typedef struct vs_sel4_frame_access vs_sel4_frame_access; /* opaque */

/* A vs_frame_access whose map makes a temporary run (vs_sel4_temp_map_run)
 * in root_vs (a vspace from vs_sel4_root_vspace_create on be) and whose
 * unmap removes it. Per window it takes sizeof(state) + n cap slots from
 * mem. max_run bounds the frames per window (0: no bound). win may be NULL
 * (identity: the temporary mapping's address is the pointer); with a
 * win->span, a window covers the first win->span(frames, n) frames only
 * (out->size says so) and the caller asks again for the rest. Map errors
 * are vs_result values (NO_MEMORY, NO_SPACE, KERNEL, ...) or -1 for a
 * failed window open; unmap errors likewise. Its kernel_error op gives
 * the seL4_Error behind a map's KERNEL (a failed cap copy or temporary
 * map). It offers hold and release: from the first hold to the matching
 * release, a window's unmap leaves the
 * paging structures its run needed in root_vs for the next windows, and
 * release rolls back every one made since that hold (vs_table_rollback;
 * its error, e.g. HAS_MAPPINGS if a page of someone else's is mapped under
 * one, is release's; INVALID_ARG without a hold). Errors of create:
 * INVALID_ARG, NO_MEMORY. */
vs_result vs_sel4_frame_access_create(vs_sel4_backend *be, vs_space *root_vs, vs_allocator mem,
                                      const vs_sel4_window_ops *win, void *win_ctx, size_t max_run,
                                      vs_sel4_frame_access **out);

/* Frees it; every window must have been unmapped. Accepts NULL. */
void vs_sel4_frame_access_destroy(vs_sel4_frame_access *fa);

/* The interface to hand to vs_elf_load. */
vs_frame_access vs_sel4_frame_access_get(vs_sel4_frame_access *fa);

#ifdef __cplusplus
}
#endif

#endif
