/* The three-way audit: the reservations, the shadow page tables and the
 * kernel's page tables of one vspace, compared with each other.
 *
 *  I1  reservations vs shadow: every mapped page lies in a live reservation,
 *      per-reservation and total page counts agree (vs_check's findings);
 *  I2  shadow vs kernel, asked through the kernel interface: for every page
 *      the shadow maps, the kernel maps the same frame (physical address of
 *      the frame cap, frame_paddr op, against the MMU's translation), with
 *      the same page size and the rights the kernel grants for the
 *      reservation's rights; and in the whole managed range the kernel maps
 *      nothing the shadow does not know;
 *  I3  caps and accounting: no frame cap backs two mappings, bookkeeping
 *      bytes and counts match the structures (vs_check's findings).
 *
 * A kernel that cannot be asked (the translate op missing or refusing, as on
 * real seL4, which has no such call) does not fail the audit: the checks
 * that need it are reported as skipped, with the reason, and the rest run
 * (each mapped frame cap's physical address is still asked for, which is
 * GetAddress on seL4, so a cap that is no frame is still found).
 *
 * Reads only; the vspace is not modified. Scratch memory comes from the
 * vspace's allocator and is given back before the call returns. */
#ifndef VS_AUDIT_H
#define VS_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <vs/space.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vs_audit_kind {
    VS_AUDIT_BOOKKEEPING,     /* I1/I3: a vs_check violation (see .violation) */
    VS_AUDIT_KERNEL_UNMAPPED, /* I2: the shadow maps the page, the kernel maps nothing there */
    VS_AUDIT_KERNEL_SIZE,     /* I2: page size differs (expected: shadow's log2 size, found: kernel's) */
    VS_AUDIT_KERNEL_PADDR,    /* I2: frame differs (expected: frame cap's paddr, found: kernel's) */
    VS_AUDIT_KERNEL_RIGHTS,   /* I2: rights differ (expected: what the kernel grants for the
                                 reservation's rights, found: the kernel's; VS_RIGHT_* bits) */
    VS_AUDIT_KERNEL_UNKNOWN,  /* I2: the kernel maps a page the shadow does not know
                                 (expected: the shadow's vs_page_state, found: kernel paddr) */
    VS_AUDIT_FRAME_CAP,       /* I2: frame_paddr refused the page's cap (expected 0, found its error) */
    VS_AUDIT_KERNEL_ERROR,    /* I2: translate failed at this address (found: its error) */
    VS_AUDIT_KIND_COUNT
} vs_audit_kind;

typedef struct vs_discrepancy {
    unsigned invariant; /* 1, 2 or 3 */
    vs_audit_kind kind;
    int violation;     /* BOOKKEEPING: the vs_violation_kind; otherwise -1 */
    vs_addr vaddr;     /* where */
    uint64_t expected; /* what the reference view says (see the kind) */
    uint64_t found;    /* what the audited view holds */
    const char *what;  /* a sentence saying what disagrees; static */
} vs_discrepancy;

typedef void (*vs_discrepancy_fn)(void *ctx, const vs_discrepancy *d);

/* The checks, for vs_audit_summary.checks_run / checks_skipped. */
enum {
    VS_AUDIT_CHECK_BOOKKEEPING = 1u << 0, /* I1 and I3 through vs_check */
    VS_AUDIT_CHECK_FRAME_ADDR = 1u << 1,  /* each mapped frame cap's physical address (frame_paddr) */
    VS_AUDIT_CHECK_TRANSLATE = 1u << 2,   /* each mapped page against the kernel's translation:
                                             mapped, size, physical address, rights */
    VS_AUDIT_CHECK_UNKNOWN = 1u << 3      /* the whole managed range scanned through the kernel
                                             for mappings the shadow does not know */
};

typedef struct vs_audit_summary {
    unsigned checks_run;     /* VS_AUDIT_CHECK_* that ran */
    unsigned checks_skipped; /* VS_AUDIT_CHECK_* that could not run */
    const char *skipped_why; /* why they could not (NULL if none skipped); static */
    size_t discrepancies;
    size_t per_invariant[4]; /* discrepancies by invariant: [1], [2], [3] */
    size_t per_kind[VS_AUDIT_KIND_COUNT];
    /* The seed's numbers, each counted its own way (base pages). */
    size_t reservations;
    uint64_t reserved_pages;         /* through the reservations: pages they cover */
    uint64_t mapped_in_reservations; /* through the reservations: their mapped-page counts */
    uint64_t mapped_pages;           /* through the shadow: pages it maps */
    uint64_t mapped_outside;         /* through the shadow: mapped pages in no reservation */
    uint64_t kernel_pages;           /* through the kernel: pages it maps in the managed range
                                        (valid when VS_AUDIT_CHECK_UNKNOWN ran) */
    uint64_t kernel_probes;          /* translate calls made */
} vs_audit_summary;

/* Runs every check it can, calls report (if non-NULL) for each discrepancy
 * in the order found, and fills *out (if non-NULL). Returns VS_OK if no
 * discrepancy was found, VS_ERR_INCONSISTENT if any was, INVALID_ARG for a
 * NULL vs, NO_MEMORY if scratch memory ran out (the summary then holds
 * what ran before). */
vs_result vs_audit(const vs_space *vs, vs_discrepancy_fn report, void *ctx, vs_audit_summary *out);

/* The kind's short name ("kernel-unknown"); "unknown" for other values. */
const char *vs_audit_kind_name(vs_audit_kind kind);

/* The rights a kernel grants user mode for a mapping asked with `rights`
 * on arch: seL4 gives no write-only or execute-only page (write and execute
 * imply read), and x86 libsel4 has no execute-never attribute (readable
 * implies executable on ia32 and x86_64). */
uint8_t vs_audit_kernel_rights(const vs_arch *arch, uint8_t rights);

#ifdef __cplusplus
}
#endif

#endif
