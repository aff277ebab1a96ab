/* The Linux backend: the kernel interface (vs_kernel_ops) implemented on a
 * Linux process, so vspace builds address spaces that a real kernel and a
 * real CPU use. See docs/linux-backend.md.
 *
 *  - Physical memory is one memfd. A frame is a run of 2^bits bytes of it,
 *    aligned to its size (so a 2 MiB frame starts at a 2 MiB offset); the
 *    frame's "physical address" is its offset in the memfd. Frames come
 *    zeroed; freeing one punches it out of the memfd (memory returned).
 *  - A frame cap names one frame; copy_cap makes another cap for the same
 *    frame, so the same frame can be mapped twice (sharing).
 *  - A root is a window [base, end) of vspace addresses, held in this
 *    process at [base + offset, end + offset) by one PROT_NONE placeholder
 *    mapping (offset 0: the addresses are the process's own, as `vspace
 *    exec` uses). Nothing else can be placed there by the kernel; map_frame
 *    is an mmap(MAP_FIXED) of the frame's memfd pages inside the window,
 *    unmap puts the placeholder back.
 *  - Paging structures are bookkeeping only: Linux builds its own page
 *    tables, so map_frame never reports a missing level and the core never
 *    allocates one; the objects exist so that the interface is complete.
 *  - translate reads the truth from /proc/self/maps: which memfd offset,
 *    with which rights, is mapped at an address.
 *
 * Error codes returned by the kernel ops and the calls below are errno
 * values (EINVAL, ENOMEM, EEXIST, ...); vs_linux_last_error() says why in
 * a sentence with the address or cap. Not thread-safe: one thread uses a
 * backend at a time. */
#ifndef VS_LINUX_BACKEND_H
#define VS_LINUX_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <vs/arch.h>
#include <vs/frame_access.h>
#include <vs/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vs_linux vs_linux; /* opaque */

typedef struct vs_linux_config {
    /* Geometry of frames: page_sizes[i].bits is the size of a frame of
     * size index i. NULL: x86_64. Every arch's base page is 4 KiB, like
     * the host's. */
    const vs_arch *arch;
    /* Bytes of "physical memory" (the memfd's size; sparse, so only
     * frames written cost memory). 0: 1 GiB. Rounded up to the largest
     * page size. */
    uint64_t phys_bytes;
    /* 0: frames are mapped MAP_SHARED, so two mappings of a frame see each
     * other's writes (sharing). 1: MAP_PRIVATE, copy-on-write: what a
     * program expects of its memory across fork(); a shared frame is then
     * shared only until one side writes it. */
    int private_mappings;
} vs_linux_config;

/* Creates a backend: the memfd (the read-write mapping of all of it, the
 * "physmap", is made by the first vs_linux_frame_host). cfg may be NULL
 * (all defaults). Returns 0 or an errno value (EINVAL for a bad config,
 * or what memfd_create or ftruncate said); *out is set only on success. */
int vs_linux_create(const vs_linux_config *cfg, vs_linux **out);

/* Unmaps every frame mapping and placeholder the backend made, closes the
 * memfd and frees the bookkeeping. Accepts NULL. */
void vs_linux_destroy(vs_linux *be);

/* Lets go of the backend's own handles while leaving every mapping it made
 * in place: closes the memfd and unmaps the physmap (if one was made). For
 * a process about to become the program it built (`vspace exec`), which
 * must not inherit a stray descriptor. Afterwards only vs_linux_destroy may be called (it
 * then frees bookkeeping only, unmapping nothing). */
void vs_linux_detach(vs_linux *be);

/* The kernel interface to put in vs_config.kernel. */
vs_kernel vs_linux_kernel(vs_linux *be);

/* The arch whose page sizes the backend uses. */
const vs_arch *vs_linux_arch(const vs_linux *be);

/* Why the last call that failed failed: a sentence naming the cause and
 * the address or cap ("mmap of frame cap 7 at 0x400000: Cannot allocate
 * memory"). "" if nothing has failed. Valid until the next call. */
const char *vs_linux_last_error(const vs_linux *be);

enum {
    VS_LINUX_AT_OFFSET = 0, /* the window lives at [base + offset, end + offset) exactly */
    VS_LINUX_ANYWHERE = 1,  /* the backend picks offset (aligned to the largest page size) */
    VS_LINUX_UNHELD = 2     /* with AT_OFFSET: no placeholder until vs_linux_root_hold */
};

/* Creates a root: the window [base, end) of vspace addresses (page
 * aligned, base < end), placed in this process at base + offset (how says
 * `where`) and held there by a PROT_NONE placeholder. With
 * VS_LINUX_AT_OFFSET the placeholder is mapped with MAP_FIXED_NOREPLACE, so
 * it never replaces anything: if any mapping of the process lies in the
 * window the call fails with EEXIST and vs_linux_last_error() names the
 * first such mapping (address range and path, from /proc/self/maps).
 * *root receives the root cap for vs_config.root; the vspace using it
 * must be created with range_base = base and range_end = end. Errors:
 * EINVAL (misaligned, empty or wrapping window, offset not page aligned),
 * EEXIST, ENOMEM. */
int vs_linux_root_create(vs_linux *be, vs_addr base, vs_addr end, int64_t offset, int where, vs_cap *root);

/* With `where` = VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD, vs_linux_root_create
 * checks the window as above (EEXIST naming what lies there; EPERM below
 * vm.mmap_min_addr) but leaves no placeholder: a mapping into the window
 * then needs no placeholder split away (each costs about as much as the
 * mapping itself), for a caller that maps most of the window at once, as
 * `vspace exec` does. Until vs_linux_root_hold, a mapping is made with
 * MAP_FIXED_NOREPLACE, so where something of the process's own has come
 * to lie it fails with EEXIST (vs_linux_last_error naming that mapping)
 * instead of replacing anything, and an unmap leaves the range free;
 * nothing stops this process from mapping something of its own into the
 * window meanwhile.
 *
 * Holds an unheld root's window: a placeholder over every part of it that
 * no frame is mapped at, after which the root is like any other. A held
 * root: 0, nothing done. Errors: EINVAL (not a root), EEXIST (a mapping
 * the backend did not make lies in an unmapped part: named by
 * vs_linux_last_error; the placeholders of this call are removed and the
 * root stays unheld), ENOMEM. */
int vs_linux_root_hold(vs_linux *be, vs_cap root);

/* Deletes a root: unmaps whatever is still mapped in its window (the caps
 * stay, unmapped) and removes the placeholder. Of an unheld root only the
 * frames' mappings go: the rest of the window is not the backend's, and
 * whatever else the process mapped there stays. Errors: EINVAL (not a
 * root). */
int vs_linux_root_free(vs_linux *be, vs_cap root);

/* The root's window and where it lives: host address = vaddr + *offset. */
int vs_linux_root_window(const vs_linux *be, vs_cap root, vs_addr *base, vs_addr *end, int64_t *offset);

/* Where frame `frame` (a frame cap) is visible read-write in this process
 * through the physmap, and its size; NULL if frame is not a frame cap, or
 * if the physmap cannot be mapped (the first call maps it; after
 * vs_linux_detach it is gone).
 * The bytes are the frame's own: what any mapping of it shows (a private
 * mapping until it is written through). */
uint8_t *vs_linux_frame_host(const vs_linux *be, vs_cap frame, uint64_t *size);

/* Writes len bytes into frame `frame` (a frame cap, not a page of the
 * image file) at byte offset, through the memfd (pwrite): what writing at
 * vs_linux_frame_host would do, without touching the physmap. Returns 0,
 * EINVAL (not such a frame, or the bytes do not fit in it), or what pwrite
 * said; the frame may then hold part of the bytes. */
int vs_linux_frame_write(vs_linux *be, vs_cap frame, uint64_t offset, const void *bytes, size_t len);

/* Frame access for loaders (elf/, the start-up stack): a window is a
 * buffer in the heap, not a mapping -- map reads the frames into it
 * (pread of the memfd), unmap writes it back (pwrite), so no page table of
 * this process is touched (the physmap and temporary mappings cost their
 * teardown). It shows at most 64 KiB of frames at once (at least one
 * frame; the frame access contract lets the loader ask again for the
 * rest). With an image file set (vs_linux_set_file) it also offers
 * file_frames. Error codes are errno values (EINVAL for a cap that is no
 * frame of that size, or a page of the image file; ENOMEM; pread's or
 * pwrite's errors). */
vs_frame_access vs_linux_frame_access(vs_linux *be);

/* Lets frame access hand out frames that are pages of the regular file fd
 * (the image being loaded): vs_linux_frame_access then offers
 * file_frames (include/vs/frame_access.h). Such a frame costs no memory
 * and no copy; it is mapped MAP_PRIVATE from the file in either mapping
 * mode, as the kernel's exec maps a program (mapped writable it is
 * copy-on-write: writes stay in that mapping, the file never changes), and
 * it is never shown through frame access or vs_linux_frame_host (NULL). Its physical address is
 * phys_bytes + its file offset, and translate recognises the file's lines
 * in /proc/self/maps by device and inode, so the audit identifies each
 * page. The backend keeps its own descriptor (close-on-exec; closed by
 * vs_linux_detach and vs_linux_destroy). One file per backend. Errors:
 * EBUSY (a file is set already), EINVAL (not a regular file), what fstat
 * or fcntl(F_DUPFD_CLOEXEC) said. */
int vs_linux_set_file(vs_linux *be, int fd);

/* What the backend holds, for accounting checks. */
typedef struct vs_linux_counts {
    size_t frames;        /* frame objects allocated */
    size_t copies;        /* cap copies */
    size_t tables;        /* paging-structure objects (bookkeeping only) */
    size_t mapped;        /* frame caps mapped */
    size_t roots;         /* live roots */
    uint64_t phys_used;   /* bytes of the memfd in live frames */
    uint64_t phys_memory; /* bytes the memfd really holds (st_blocks): 0 once every frame is freed */
    size_t file_frames;   /* of frames: pages of the image file (vs_linux_set_file) */
} vs_linux_counts;

void vs_linux_get_counts(const vs_linux *be, vs_linux_counts *out);

/* ---- the kernel's truth: /proc/<pid>/maps ---- */

/* One line of /proc/<pid>/maps. */
typedef struct vs_linux_vma {
    uint64_t start, end; /* host addresses, end exclusive */
    uint8_t rights;      /* VS_RIGHT_* from the r, w, x columns */
    uint8_t shared;      /* 's' in the fourth column */
    uint8_t frames;      /* maps the backend's memfd or its image file (device and inode match) */
    uint8_t placeholder; /* anonymous, private, no rights: a window's placeholder (or any such hole) */
    uint64_t offset;     /* file offset of start (for frames: its physical address; for the image
                            file's lines phys_bytes + the file offset) */
    char path[80];       /* the path column, truncated; "" if none */
} vs_linux_vma;

typedef struct vs_linux_maps {
    vs_linux_vma *vma; /* ascending, non-overlapping */
    size_t count;
} vs_linux_maps;

/* Reads and parses /proc/<pid>/maps (pid 0: this process), marking the
 * lines that map be's memfd (be may be NULL). Returns 0 or an errno value;
 * on success out must be freed with vs_linux_maps_free. */
int vs_linux_maps_read(const vs_linux *be, int pid, vs_linux_maps *out);
void vs_linux_maps_free(vs_linux_maps *maps);

/* The line containing host address a, or NULL. */
const vs_linux_vma *vs_linux_maps_find(const vs_linux_maps *maps, uint64_t a);

/* paddr reported for an address where something that is no frame of the
 * backend's is mapped (a foreign mapping in a window). */
#define VS_LINUX_FOREIGN_PADDR (~(vs_addr)0)

/* The translate op against a given view instead of a fresh read: what the
 * kernel maps at vspace address vaddr of root. A frames line gives mapped,
 * paddr (offset + distance into the line), rights; size_bits is the frame's
 * size when the whole frame is mapped, contiguously, at an address aligned
 * to its size within one line, else 12 (Linux maps memfd pages with 4 KiB
 * entries; a large frame is a large page only in that sense). Any other
 * line but a placeholder (something foreign) gives mapped = 1, paddr
 * VS_LINUX_FOREIGN_PADDR, its rights, size_bits 12. Unmapped (placeholder
 * or no line): mapped = 0 and size_bits the log2 size of the largest
 * naturally aligned block around vaddr that nothing maps. Errors: EINVAL
 * (not a root, or vaddr outside its window). */
int vs_linux_translate_in(const vs_linux *be, const vs_linux_maps *maps, vs_cap root, vs_addr vaddr,
                          vs_translation *out);

/* Makes the translate op answer from *maps (which must outlive its use)
 * instead of reading /proc/self/maps on every call; NULL goes back to
 * reading. An audit reads the maps once, installs them, and translates
 * every page against one consistent view. */
void vs_linux_use_maps(vs_linux *be, const vs_linux_maps *maps);

/* What the kernel maps in a root's window that is not a placeholder, one
 * call per line part inside the window (vspace addresses): frames lines
 * (vma->frames set) and foreign ones. fn returns non-zero to stop (then
 * returned). */
typedef int (*vs_linux_window_fn)(void *ctx, const vs_linux_vma *vma, vs_addr vstart, vs_addr vend);
int vs_linux_window_mappings(const vs_linux *be, const vs_linux_maps *maps, vs_cap root, vs_linux_window_fn fn,
                             void *ctx);

#ifdef __cplusplus
}
#endif

#endif
