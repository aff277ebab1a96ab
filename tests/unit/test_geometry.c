/* The architecture tables (arch/arch.c) against expectations written here
 * by hand from the architecture manuals and libsel4, not from arch/:
 *  - ia32: Intel SDM vol. 3A 4.3 (32-bit paging, no PAE): a 1024-entry page
 *    directory (VA bits 31:22) of 4-byte entries, 1024-entry page tables
 *    (21:12); 4 KiB pages in a PTE, 4 MiB pages in a PDE (PS = 1).
 *  - x86_64: SDM 4.5 (4-level paging): PML4 (47:39), PDPT (38:30), PD
 *    (29:21), PT (20:12), 512 entries of 8 bytes; 1 GiB pages in a PDPTE,
 *    2 MiB in a PDE, 4 KiB in a PTE.
 *  - aarch32: ARM ARM (ARMv7-A) B3.5 short descriptors: a 4096-entry first
 *    level (31:20, 16 KiB) and 256-entry second level (19:12, 1 KiB) of
 *    4-byte descriptors; 1 MiB sections and 16 MiB supersections (16
 *    identical first-level entries) at level 1, 4 KiB small and 64 KiB large
 *    pages (16 identical second-level entries) at level 2.
 *  - aarch64: ARM ARM (ARMv8-A) D8, 4 KiB granule, 48-bit VA: four levels of
 *    512 8-byte descriptors (47:39, 38:30, 29:21, 20:12); 1 GiB blocks at
 *    level 1, 2 MiB at level 2, 4 KiB pages at level 3.
 *  - riscv32: RISC-V privileged spec 4.3 (Sv32): two levels of 1024 4-byte
 *    PTEs (31:22, 21:12); 4 MiB megapages, 4 KiB pages.
 *  - riscv64: 4.4 (Sv39): three levels of 512 8-byte PTEs (38:30, 29:21,
 *    20:12); 1 GiB gigapages, 2 MiB megapages, 4 KiB pages.
 *  - seL4_UserTop per libsel4 13.0 (sel4_arch constants): ia32 and aarch32
 *    0xe0000000, x86_64 0x7ffffffff000, aarch64 0x7fffffffffff, riscv32
 *    0x80000000, riscv64 0x3ffffff000; seL4_WordBits 32 or 64. */
#include <string.h>

#include "../support/harness.h"

typedef struct level_fact {
    unsigned entries;     /* entries per table */
    unsigned low_bit;     /* lowest VA bit the level's index covers */
    unsigned entry_bytes; /* bytes per entry */
    unsigned table_bytes; /* bytes per table */
} level_fact;

typedef struct page_fact {
    uint64_t bytes;
    unsigned level;   /* table level whose entries map it, 0 = root */
    unsigned entries; /* identical entries it takes */
} page_fact;

typedef struct arch_fact {
    const char *name;
    unsigned word_bits;
    unsigned va_bits; /* virtual address bits the walk translates */
    unsigned nlevels;
    level_fact levels[4];
    unsigned npages;
    page_fact pages[4];
    uint64_t user_top;
} arch_fact;

enum { K = 1024 };
#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

static const arch_fact facts[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] = {"ia32",
                      32,
                      32,
                      2,
                      {{1024, 22, 4, 4 * K}, {1024, 12, 4, 4 * K}},
                      2,
                      {{4 * K, 1, 1}, {4 * MIB, 0, 1}},
                      0xe0000000u},
    [VS_ARCH_X86_64] = {"x86_64",
                        64,
                        48,
                        4,
                        {{512, 39, 8, 4 * K}, {512, 30, 8, 4 * K}, {512, 21, 8, 4 * K}, {512, 12, 8, 4 * K}},
                        3,
                        {{4 * K, 3, 1}, {2 * MIB, 2, 1}, {GIB, 1, 1}},
                        0x7ffffffff000ull},
    [VS_ARCH_AARCH32] = {"aarch32",
                         32,
                         32,
                         2,
                         {{4096, 20, 4, 16 * K}, {256, 12, 4, 1 * K}},
                         4,
                         {{4 * K, 1, 1}, {64 * K, 1, 16}, {MIB, 0, 1}, {16 * MIB, 0, 16}},
                         0xe0000000u},
    [VS_ARCH_AARCH64] = {"aarch64",
                         64,
                         48,
                         4,
                         {{512, 39, 8, 4 * K}, {512, 30, 8, 4 * K}, {512, 21, 8, 4 * K}, {512, 12, 8, 4 * K}},
                         3,
                         {{4 * K, 3, 1}, {2 * MIB, 2, 1}, {GIB, 1, 1}},
                         0x7fffffffffffull},
    [VS_ARCH_RISCV32] = {"riscv32",
                         32,
                         32,
                         2,
                         {{1024, 22, 4, 4 * K}, {1024, 12, 4, 4 * K}},
                         2,
                         {{4 * K, 1, 1}, {4 * MIB, 0, 1}},
                         0x80000000u},
    [VS_ARCH_RISCV64] = {"riscv64",
                         64,
                         39,
                         3,
                         {{512, 30, 8, 4 * K}, {512, 21, 8, 4 * K}, {512, 12, 8, 4 * K}},
                         3,
                         {{4 * K, 2, 1}, {2 * MIB, 1, 1}, {GIB, 0, 1}},
                         0x3ffffff000ull},
};

static void test_geometry(const vs_arch *arch)
{
    const arch_fact *f = &facts[arch->id];
    CHECK(strcmp(arch->name, f->name) == 0);
    CHECK(vs_arch_by_name(f->name) == arch);
    CHECK_EQ_U(arch->word_bits, f->word_bits);
    CHECK_EQ_U(arch->num_levels, f->nlevels);
    for (unsigned l = 0; l < f->nlevels && l < arch->num_levels; l++) {
        const vs_paging_level *got = &arch->levels[l];
        const level_fact *want = &f->levels[l];
        CHECK_EQ_U(1ull << got->index_bits, want->entries);
        CHECK_EQ_U(got->shift, want->low_bit);
        CHECK_EQ_U(got->entry_bytes, want->entry_bytes);
        CHECK_EQ_U((1ull << got->index_bits) * got->entry_bytes, want->table_bytes);
        CHECK(vs_arch_level_by_shift(arch, want->low_bit) == (int)l);
    }
    /* The root's index ends at the top of the translated address. */
    CHECK_EQ_U(arch->levels[0].shift + arch->levels[0].index_bits, f->va_bits);
    CHECK_EQ_U(arch->num_page_sizes, f->npages);
    for (unsigned i = 0; i < f->npages && i < arch->num_page_sizes; i++) {
        const vs_page_size *got = &arch->page_sizes[i];
        const page_fact *want = &f->pages[i];
        CHECK_EQ_U(1ull << got->bits, want->bytes);
        CHECK_EQ_U(got->level, want->level);
        CHECK_EQ_U(got->entries, want->entries);
        /* The entries it takes cover exactly the page. */
        CHECK_EQ_U((uint64_t)want->entries << f->levels[want->level].low_bit, want->bytes);
        CHECK(vs_arch_page_size_index(arch, got->bits) == (int)i);
    }
    CHECK_EQ_U(arch->user_top, f->user_top);
    CHECK_EQ_U(arch->user_end, f->user_top & ~(uint64_t)(4 * K - 1));
    CHECK(arch->user_base >= 4 * K); /* page 0 is never handed out */
    /* 64-bit: user addresses are the lower half of the translated space. */
    CHECK(arch->user_end <= (1ull << (f->word_bits == 64 ? f->va_bits - 1 : f->va_bits)));
}

int main(void)
{
    run_all_archs("geometry", test_geometry);
    return test_summary("core_geometry");
}
