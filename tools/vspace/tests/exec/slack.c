/* A test program for `vspace exec`, built static and static-PIE: prints,
 * for each of its own PT_LOAD segments, what its first and last pages
 * hold outside the segment (the slack: bytes of the file around the
 * segment, or zero) -- a hash and the number of non-zero bytes -- and,
 * for a segment the program never writes, a hash of all its pages. The
 * output depends only on the file and on what the loader put in those
 * pages, not on where it put them: run directly, it is what the kernel's
 * exec shows. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

extern const ElfW(Ehdr) __ehdr_start;

/* FNV-1a, 64 bits */
static uint64_t hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static size_t nonzero(const unsigned char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += p[i] != 0;
    }
    return k;
}

static void show(const char *what, uintptr_t from, uintptr_t to)
{
    const unsigned char *p = (const unsigned char *)from;
    size_t n = to - from;
    printf(" %s %zu bytes hash %016llx nonzero %zu", what, n, (unsigned long long)hash(p, n), nonzero(p, n));
}

int main(void)
{
    uintptr_t page = getauxval(AT_PAGESZ);
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
    /* The header lies at file offset 0, mapped where the segment holding
     * offset 0 starts: that gives the load bias (0 for ET_EXEC). */
    uintptr_t bias = 0;
    for (int i = 0; i < __ehdr_start.e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
            bias = (uintptr_t)&__ehdr_start - ph[i].p_vaddr;
            break;
        }
    }
    for (int i = 0; i < __ehdr_start.e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        uintptr_t start = bias + ph[i].p_vaddr, end = start + ph[i].p_memsz;
        uintptr_t first = start & ~(page - 1), last = (end + page - 1) & ~(page - 1);
        printf("load %d flags %c%c%c filesz %#llx memsz %#llx:", i, ph[i].p_flags & PF_R ? 'r' : '-',
               ph[i].p_flags & PF_W ? 'w' : '-', ph[i].p_flags & PF_X ? 'x' : '-', (unsigned long long)ph[i].p_filesz,
               (unsigned long long)ph[i].p_memsz);
        show("before", first, start);
        show("after", end, last);
        if (!(ph[i].p_flags & PF_W)) {
            show("pages", first, last);
        }
        printf("\n");
    }
    return 0;
}
