/* Result codes shared by every vspace call. */
#ifndef VS_RESULT_H
#define VS_RESULT_H

#ifdef __cplusplus
extern "C" {
#endif

/* A closed set of outcomes. Every fallible call returns one of these; none
 * returns -1 or NULL to signal failure. vs_strerror() names each one. */
typedef enum vs_result {
    VS_OK = 0,
    VS_ERR_INVALID_ARG,    /* malformed argument: zero size, misaligned address, bad page size, NULL */
    VS_ERR_NO_MEMORY,      /* the injected bookkeeping allocator returned NULL */
    VS_ERR_NO_SPACE,       /* no free virtual range of the requested size and alignment */
    VS_ERR_OUT_OF_RANGE,   /* range lies (partly) outside the vspace's managed range */
    VS_ERR_OVERLAP,        /* fixed range overlaps an existing reservation */
    VS_ERR_NOT_RESERVED,   /* address range is not inside one live reservation */
    VS_ERR_ALREADY_MAPPED, /* a page in the range is already mapped */
    VS_ERR_NOT_MAPPED,     /* a page in the range is not mapped */
    VS_ERR_HAS_MAPPINGS,   /* reservation still has mapped pages; ask for them to be unmapped */
    VS_ERR_CAP_RANGE,      /* capability pointer is null or does not fit the architecture's word */
    VS_ERR_KERNEL,         /* a kernel operation failed; vs_last_kernel_error() has its code */
    VS_ERR_INCONSISTENT,   /* vs_check() found at least one invariant violation */
    VS_RESULT_COUNT
} vs_result;

/* A static, human-readable message for r; never NULL, even for unknown codes. */
const char *vs_strerror(vs_result r);

/* The enumerator's name ("VS_ERR_OVERLAP"), for logs and JSON. Never NULL. */
const char *vs_result_name(vs_result r);

#ifdef __cplusplus
}
#endif

#endif
