/* The kernel interface: the only way the core touches a kernel. Backends
 * (seL4 via libsel4, a recording fake for tests, Linux) implement it. */
#ifndef VS_KERNEL_H
#define VS_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t vs_cap;  /* a capability pointer (seL4_CPtr); 0 is the null cap */
typedef uint64_t vs_addr; /* a virtual or physical address */

enum { VS_RIGHT_READ = 1u << 0, VS_RIGHT_WRITE = 1u << 1, VS_RIGHT_EXEC = 1u << 2, VS_RIGHTS_ALL = 7u };

typedef enum vs_cache {
    VS_CACHE_DEFAULT = 0, /* normal cached memory */
    VS_CACHE_UNCACHED,    /* device / strongly ordered */
    VS_CACHE_WRITE_COMBINE,
    VS_CACHE_COUNT
} vs_cache;

typedef enum vs_object_kind {
    VS_OBJ_FRAME,       /* a frame; `size` is arch page-size index */
    VS_OBJ_PAGING_TABLE /* a paging structure; `size` is its arch level (>= 1) */
} vs_object_kind;

/* A kernel object the core allocated: its cap, plus the allocator's cookie
 * the backend needs to free it again. */
typedef struct vs_object {
    vs_cap cap;
    uintptr_t cookie;
} vs_object;

/* What a kernel call returned. error is 0 on success, else the backend's
 * own code (for seL4: the seL4_Error value). missing_level is >= 1 when a
 * frame or table could not be mapped because the paging structure of that
 * arch level is absent (seL4_FailedLookup); -1 otherwise. */
typedef struct vs_kstatus {
    int error;
    int missing_level;
} vs_kstatus;

/* The kernel's view of one address, as the MMU would translate it. */
typedef struct vs_translation {
    int mapped;        /* 0: nothing mapped at the address */
    vs_addr paddr;     /* physical address of the byte at the address */
    uint8_t size_bits; /* log2 size of the page mapping it; when not mapped: log2 size of the
                          naturally aligned block around the address known to be unmapped
                          (an invalid entry's span), or 0 if the kernel does not say */
    uint8_t rights;    /* VS_RIGHT_* */
} vs_translation;

/* Every call returns 0 / {0,-1} on success. `root` is the vspace root cap
 * the vspace was created with. Calls that fail must leave the kernel state
 * as it was before the call. */
typedef struct vs_kernel_ops {
    int (*alloc_object)(void *ctx, vs_object_kind kind, unsigned size, vs_object *out);
    int (*free_object)(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj);
    vs_kstatus (*map_frame)(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned page_size, unsigned rights,
                            vs_cache cache);
    vs_kstatus (*map_table)(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr);
    int (*unmap_frame)(void *ctx, vs_cap frame, unsigned page_size);
    int (*unmap_table)(void *ctx, vs_cap table, unsigned level);
    /* Copy src into a fresh slot the backend allocates; delete_cap frees it. */
    int (*copy_cap)(void *ctx, vs_cap src, vs_cap *out);
    int (*delete_cap)(void *ctx, vs_cap cap);
    int (*frame_paddr)(void *ctx, vs_cap frame, vs_addr *paddr);
    int (*translate)(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out);
    /* Optional batch forms (NULL: the core calls map_frame / unmap_frame per
     * page). They act on frames[0..n) at consecutive pages from vaddr and
     * store in *done how many succeeded; on failure the status describes
     * frames[*done], and frames before it stay mapped / unmapped, so the
     * core can resume or undo. A backend whose kernel has a batch call
     * (mmap of a range on Linux) saves a call per page. */
    vs_kstatus (*map_frames)(void *ctx, vs_cap root, const vs_cap *frames, unsigned n, vs_addr vaddr,
                             unsigned page_size, unsigned rights, vs_cache cache, unsigned *done);
    int (*unmap_frames)(void *ctx, const vs_cap *frames, unsigned n, unsigned page_size, unsigned *done);
    /* Optional: the rights (VS_RIGHT_*) a mapping asked with `rights`
     * really has on this kernel, as translate reports them. NULL: seL4's
     * rules for the arch (vs_audit_kernel_rights: no write-only or
     * execute-only pages, no execute-never on x86). Linux grants exactly
     * what mmap was asked for. */
    uint8_t (*granted_rights)(void *ctx, unsigned rights);
} vs_kernel_ops;

typedef struct vs_kernel {
    const vs_kernel_ops *ops;
    void *ctx;
} vs_kernel;

#ifdef __cplusplus
}
#endif

#endif
