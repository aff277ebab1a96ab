/* What differs between the architectures, for the seL4 backend: which
 * libsel4 object types and invocations implement each page size and paging
 * level, and how vspace's rights and cacheability become VM attributes.
 * One descriptor per architecture, as data; the code in backend.c is
 * shared. Private to backends/sel4. */
#ifndef VSPACE_SEL4_BE_ARCH_H
#define VSPACE_SEL4_BE_ARCH_H

#include <stddef.h>

#include <sel4/sel4.h>

#include <vs/arch.h>
#include <vs/kernel.h>

/* libsel4's invocations take arch-specific attribute enums; these wrapper
 * signatures are the common shape every per-arch file adapts them to, so a
 * descriptor can hold plain function pointers without casting them. */
typedef seL4_Error (*be_map_page_fn)(seL4_CPtr frame, seL4_CPtr root, seL4_Word vaddr, seL4_CapRights_t rights,
                                     seL4_Word attr);
typedef seL4_Error (*be_map_table_fn)(seL4_CPtr table, seL4_CPtr root, seL4_Word vaddr, seL4_Word attr);
typedef seL4_Error (*be_unmap_fn)(seL4_CPtr cap);
typedef seL4_Error (*be_paddr_fn)(seL4_CPtr frame, seL4_Word *paddr);
typedef seL4_Error (*be_assign_fn)(seL4_CPtr pool, seL4_CPtr root);

typedef struct be_arch {
    vs_arch_id id;
    seL4_Word frame_type[VS_MAX_PAGE_SIZES]; /* by vs_arch page-size index */
    seL4_Word table_type[VS_MAX_LEVELS];     /* by vs_arch level; [0] is the vspace root */
    uint8_t table_bits[VS_MAX_LEVELS];       /* log2 bytes of each table object */
    be_map_page_fn map_page;
    be_unmap_fn unmap_page;
    be_paddr_fn page_paddr;
    be_map_table_fn map_table[VS_MAX_LEVELS]; /* [0] unused: the root is never mapped */
    be_unmap_fn unmap_table[VS_MAX_LEVELS];
    be_assign_fn asid_assign;
    seL4_Word table_attr;                 /* attributes for mapping paging structures */
    seL4_Word cache_attr[VS_CACHE_COUNT]; /* frame attributes per vs_cache */
    uint8_t cache_ok[VS_CACHE_COUNT];     /* 0: the arch cannot express it */
    seL4_Word execute_never;              /* or-ed in without VS_RIGHT_EXEC; 0 if the arch has none */
    /* seL4_MappingFailedLookupLevel() reports the address bits left to
     * resolve when it met the empty entry; that is the shift of the table
     * holding the entry, and the missing table is one level below it. */
    int8_t missing_level_delta;
} be_arch;

/* The descriptor for id, or NULL if this build has no backend for it (on
 * real seL4 only the configured architecture exists). */
const be_arch *be_arch_get(vs_arch_id id);

/* Per-arch descriptors; each is defined only where its libsel4 exists. */
extern const be_arch be_arch_ia32;
extern const be_arch be_arch_x86_64;
extern const be_arch be_arch_aarch32;
extern const be_arch be_arch_aarch64;
extern const be_arch be_arch_riscv32;
extern const be_arch be_arch_riscv64;

#endif
