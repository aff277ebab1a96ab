/* A test program for `vspace exec`, built static and static-PIE: prints
 * its arguments, its environment and what it finds in its auxiliary
 * vector, each address-valued entry checked against the program itself
 * (so the output is the same whoever loaded it, and differs if an entry
 * is wrong). Exit status: the number of checks that failed. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern const ElfW(Ehdr) __ehdr_start;
void _start(void);

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "WRONG");
    failures += !ok;
}

int main(int argc, char **argv)
{
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d] \"%s\"\n", i, argv[i]);
    }
    int envc = 0;
    for (char **e = environ; *e != NULL; e++) {
        printf("env \"%s\"\n", *e);
        envc++;
    }
    /* The psABI's layout: argc just below argv, 16-byte aligned; envp
     * right after argv's NULL; auxv right after envp's NULL. */
    uintptr_t sp = (uintptr_t)argv - sizeof(long);
    check("stack pointer at entry 16-byte aligned", sp % 16 == 0);
    check("argc word", *(long *)sp == argc);
    check("envp follows argv", environ == argv + argc + 1);
    const ElfW(auxv_t) *aux = (const ElfW(auxv_t) *)(environ + envc + 1);
    int seen_null = 0;
    for (int i = 0; i < 64; i++) {
        if (aux[i].a_type == AT_NULL) {
            seen_null = 1;
            break;
        }
    }
    check("auxv ends with AT_NULL", seen_null);
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    check("AT_PHDR is this image's program header table",
          ph == (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff));
    check("AT_PHENT", getauxval(AT_PHENT) == sizeof(ElfW(Phdr)));
    check("AT_PHNUM", getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
    check("AT_PAGESZ", getauxval(AT_PAGESZ) == (unsigned long)sysconf(_SC_PAGESIZE) && getauxval(AT_PAGESZ) == 4096);
    check("AT_ENTRY is _start", getauxval(AT_ENTRY) == (unsigned long)(uintptr_t)&_start);
    check("AT_BASE is 0 (no interpreter)", getauxval(AT_BASE) == 0);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; rnd != NULL && i < 16; i++) {
        nonzero |= rnd[i];
    }
    check("AT_RANDOM points at 16 bytes, not all zero", rnd != NULL && nonzero != 0);
    const char *fn = (const char *)getauxval(AT_EXECFN);
    check("AT_EXECFN is argv[0] as run", fn != NULL && strcmp(fn, argv[0]) == 0);
    printf("AT_HWCAP %#lx\n", getauxval(AT_HWCAP));
    printf("AT_UID %lu AT_EUID %lu AT_GID %lu AT_EGID %lu AT_SECURE %lu\n", getauxval(AT_UID), getauxval(AT_EUID),
           getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
    printf("AT_CLKTCK %lu\n", getauxval(AT_CLKTCK));
    fprintf(stderr, "auxv_argv: %d failure(s)\n", failures);
    return failures;
}
