/* Architecture descriptors: the paging geometry of every architecture seL4
 * runs on, as data. One build serves all six. */
#ifndef VS_ARCH_H
#define VS_ARCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vs_arch_id {
    VS_ARCH_IA32,
    VS_ARCH_X86_64,
    VS_ARCH_AARCH32,
    VS_ARCH_AARCH64,
    VS_ARCH_RISCV32,
    VS_ARCH_RISCV64,
    VS_ARCH_COUNT
} vs_arch_id;

enum { VS_MAX_LEVELS = 4, VS_MAX_PAGE_SIZES = 4 };

/* One level of the hardware page-table tree. Level 0 is the vspace root. */
typedef struct vs_paging_level {
    const char *name;    /* the manual's name for the table: "PML4", "PD", ... */
    uint8_t index_bits;  /* the table has 1 << index_bits entries */
    uint8_t shift;       /* lowest virtual-address bit of this level's index */
    uint8_t entry_bytes; /* size of one hardware entry: 4 or 8 */
} vs_paging_level;

/* A page size seL4 can map on the architecture. */
typedef struct vs_page_size {
    const char *name; /* "4K", "2M", ... */
    uint8_t bits;     /* log2 of the size in bytes */
    uint8_t level;    /* index into levels[] of the table whose entry maps it */
    uint8_t entries;  /* hardware entries the page occupies (16 for Arm large pages and supersections) */
} vs_page_size;

typedef struct vs_arch {
    vs_arch_id id;
    const char *name;  /* "ia32", "x86_64", "aarch32", "aarch64", "riscv32", "riscv64" */
    uint8_t word_bits; /* 32 or 64: width of seL4_Word and seL4_CPtr */
    uint8_t num_levels;
    vs_paging_level levels[VS_MAX_LEVELS];
    uint8_t num_page_sizes;
    vs_page_size page_sizes[VS_MAX_PAGE_SIZES]; /* ascending; [0] is the base page */
    uint64_t user_top;                          /* seL4_UserTop: first address user level cannot use */
    uint64_t user_base;                         /* lowest address vspace hands out by default (page 0 stays unmapped) */
    uint64_t user_end; /* exclusive end of the default managed range: user_top rounded down to a page */
    uint64_t va_end;   /* exclusive end of the user half of the address space: 2^32 on the 32-bit
                          archs, 2^47 on x86_64 and aarch64 (the canonical lower half; seL4 lets
                          user level no further), 2^38 on riscv64 (Sv39 lower half). [user_end,
                          va_end) is the kernel's: a vspace may reserve it, never map it */
} vs_arch;

/* The descriptor for id, or NULL if id is not a vs_arch_id. */
const vs_arch *vs_arch_get(vs_arch_id id);

/* The descriptor whose name equals name ("x86_64"), or NULL (also for a
 * NULL name). */
const vs_arch *vs_arch_by_name(const char *name);

/* Index into arch->page_sizes of the size with the given log2 bits, or -1
 * (also for a NULL arch). */
int vs_arch_page_size_index(const vs_arch *arch, unsigned bits);

/* Index into arch->levels of the level whose index field starts at bit
 * `shift`, or -1. Kernels that report a missing paging structure by the
 * number of address bits left unresolved can be mapped back to a level.
 * -1 also for a NULL arch. */
int vs_arch_level_by_shift(const vs_arch *arch, unsigned shift);

#ifdef __cplusplus
}
#endif

#endif
