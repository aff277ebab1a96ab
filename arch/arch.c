/* The six seL4 architectures as data. Geometry follows the hardware
 * manuals and the seL4 reference manual's object list for each. */
#include <vs/arch.h>

#include "../core/libc.h"

enum { KIB4 = 12 };

static const vs_arch arch_table[VS_ARCH_COUNT] =
    {
        [VS_ARCH_IA32] =
            {
                .id = VS_ARCH_IA32,
                .name = "ia32",
                .word_bits = 32,
                .num_levels = 2,
                .levels = {{"PD", 10, 22, 4}, {"PT", 10, 12, 4}},
                .num_page_sizes = 2,
                .page_sizes = {{"4K", KIB4, 1, 1}, {"4M", 22, 0, 1}},
                .user_top = 0xe0000000u,
                .user_base = 0x1000u,
                .user_end = 0xe0000000u,
                .va_end = 0x100000000ull,
            },
        [VS_ARCH_X86_64] =
            {
                .id = VS_ARCH_X86_64,
                .name = "x86_64",
                .word_bits = 64,
                .num_levels = 4,
                .levels = {{"PML4", 9, 39, 8}, {"PDPT", 9, 30, 8}, {"PD", 9, 21, 8}, {"PT", 9, 12, 8}},
                .num_page_sizes = 3,
                .page_sizes = {{"4K", KIB4, 3, 1}, {"2M", 21, 2, 1}, {"1G", 30, 1, 1}},
                .user_top = 0x00007ffffffff000ull,
                .user_base = 0x1000u,
                .user_end = 0x00007ffffffff000ull,
                .va_end = 0x0000800000000000ull,
            },
        [VS_ARCH_AARCH32] =
            {
                .id = VS_ARCH_AARCH32,
                .name = "aarch32",
                .word_bits = 32,
                .num_levels = 2,
                .levels = {{"PD", 12, 20, 4}, {"PT", 8, 12, 4}},
                .num_page_sizes = 4,
                .page_sizes = {{"4K", KIB4, 1, 1}, {"64K", 16, 1, 16}, {"1M", 20, 0, 1}, {"16M", 24, 0, 16}},
                .user_top = 0xe0000000u,
                .user_base = 0x1000u,
                .user_end = 0xe0000000u,
                .va_end = 0x100000000ull,
            },
        [VS_ARCH_AARCH64] =
            {
                .id = VS_ARCH_AARCH64,
                .name = "aarch64",
                .word_bits = 64,
                .num_levels = 4,
                .levels = {{"PGD", 9, 39, 8}, {"PUD", 9, 30, 8}, {"PD", 9, 21, 8}, {"PT", 9, 12, 8}},
                .num_page_sizes = 3,
                .page_sizes = {{"4K", KIB4, 3, 1}, {"2M", 21, 2, 1}, {"1G", 30, 1, 1}},
                .user_top = 0x00007fffffffffffull,
                .user_base = 0x1000u,
                .user_end = 0x00007ffffffff000ull,
                .va_end = 0x0000800000000000ull,
            },
        [VS_ARCH_RISCV32] =
            {
                .id = VS_ARCH_RISCV32,
                .name = "riscv32",
                .word_bits = 32,
                .num_levels = 2,
                .levels = {{"L1", 10, 22, 4}, {"L0", 10, 12, 4}},
                .num_page_sizes = 2,
                .page_sizes = {{"4K", KIB4, 1, 1}, {"4M", 22, 0, 1}},
                .user_top = 0x80000000u,
                .user_base = 0x1000u,
                .user_end = 0x80000000u,
                .va_end = 0x100000000ull,
            },
        [VS_ARCH_RISCV64] =
            {
                .id = VS_ARCH_RISCV64,
                .name = "riscv64",
                .word_bits = 64,
                .num_levels = 3,
                .levels = {{"L2", 9, 30, 8}, {"L1", 9, 21, 8}, {"L0", 9, 12, 8}},
                .num_page_sizes = 3,
                .page_sizes = {{"4K", KIB4, 2, 1}, {"2M", 21, 1, 1}, {"1G", 30, 0, 1}},
                .user_top = 0x0000003ffffff000ull,
                .user_base = 0x1000u,
                .user_end = 0x0000003ffffff000ull,
                .va_end = 0x0000004000000000ull,
            },
};

const vs_arch *vs_arch_get(vs_arch_id id)
{
    if ((unsigned)id >= VS_ARCH_COUNT) {
        return NULL;
    }
    return &arch_table[id];
}

static int names_equal(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

const vs_arch *vs_arch_by_name(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < VS_ARCH_COUNT; i++) {
        if (names_equal(arch_table[i].name, name)) {
            return &arch_table[i];
        }
    }
    return NULL;
}

int vs_arch_page_size_index(const vs_arch *arch, unsigned bits)
{
    if (arch == NULL) {
        return -1;
    }
    for (int i = 0; i < arch->num_page_sizes; i++) {
        if (arch->page_sizes[i].bits == bits) {
            return i;
        }
    }
    return -1;
}

int vs_arch_level_by_shift(const vs_arch *arch, unsigned shift)
{
    if (arch == NULL) {
        return -1;
    }
    for (int i = 0; i < arch->num_levels; i++) {
        if (arch->levels[i].shift == shift) {
            return i;
        }
    }
    return -1;
}
