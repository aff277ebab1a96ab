/* Shared by the elf/ layer's files only. */
#ifndef VS_ELF_INTERNAL_H
#define VS_ELF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <vs/elf.h>

/* The only libc the layer uses (it builds freestanding, like the core). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* The first NUL in [p, p + n), or NULL. */
static inline const uint8_t *elf_find_nul(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0) {
            return p + i;
        }
    }
    return NULL;
}

enum { ELF_PAGE = 4096, ELF_PAGE_MASK = ELF_PAGE - 1 };

/* Little-endian reads at an offset the caller has bounds-checked. */
static inline uint16_t elf_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t elf_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t elf_rd64(const uint8_t *p)
{
    return (uint64_t)elf_rd32(p) | (uint64_t)elf_rd32(p + 4) << 32;
}

/* Decodes the program header at p (bounds checked by the caller). */
void elf_decode_phdr(const uint8_t *p, int elf64, vs_elf_phdr *out);

/* Fills *d (if non-NULL) and returns code. The message reads
 * "[phdr[index].]field = 0xVALUE: what[ 0xLIMIT]" (limit printed when
 * has_limit). field and what must be static strings. */
vs_elf_error elf_fail(vs_elf_diag *d, vs_elf_error code, int index, const char *field, uint64_t value, const char *what,
                      int has_limit, uint64_t limit);

/* A small appender for messages: never writes past cap - 1, always
 * NUL-terminates. */
typedef struct elf_msg {
    char *buf;
    size_t cap, len;
} elf_msg;

void elf_msg_str(elf_msg *m, const char *s);
void elf_msg_hex(elf_msg *m, uint64_t v);
void elf_msg_dec(elf_msg *m, uint64_t v);

/* The rights a PT_LOAD's p_flags give (VS_RIGHT_*). */
uint8_t elf_rights(uint32_t p_flags);

/* The name of a region holding one segment: ".text", ".rodata", ".data",
 * ".bss", "rwx", "---". */
const char *elf_segment_name(const vs_elf_phdr *ph);

#endif
