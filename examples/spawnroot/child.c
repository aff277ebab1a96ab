/* The program the spawning root task (main.c) starts on seL4, built by
 * examples/sel4 with sel4runtime and musllibc. It prints what it received
 * (argc, argv, the environment, the auxiliary vector: AT_PHDR, AT_ENTRY,
 * AT_RANDOM, sel4runtime's AT_SEL4_* entries), writes to and reads back
 * from its stack, its .data and its .bss, calls a function in its .text,
 * checks that AT_ENTRY and AT_PHDR describe this very image, then ends as
 * protocol.h says: its status (the number of failed checks) in a message on
 * its fault endpoint. Every line starts with "child| ". */
#include <sel4/sel4.h>
#include <sel4runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vs/process.h>
#include <vs/startstack.h>

#include "protocol.h"

static int failures;

static void check(int ok, const char *what)
{
    failures += !ok;
    printf("child| %s : %s\n", what, ok ? "ok" : "FAIL");
}

/* .data, .bss and a function in .text */
static volatile unsigned char data_bytes[256] = {1, 2, 3, 4};
static volatile unsigned char bss_bytes[8192];

__attribute__((noinline)) static unsigned long text_function(unsigned long x)
{
    return x * 2654435761ul + 13;
}

static int write_read(volatile unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(seed + i * 7);
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(seed + i * 7)) {
            return 0;
        }
    }
    return 1;
}

extern char _start[];

/* The program headers AT_PHDR points at (the ELF's own layout: 32- or
 * 64-bit by word size) hold a PT_LOAD containing the entry point. */
static int phdrs_cover(uintptr_t phdr, unsigned long phent, unsigned long phnum, uintptr_t entry)
{
    for (unsigned long i = 0; i < phnum; i++) {
        const unsigned char *ph = (const unsigned char *)phdr + i * phent;
        uint32_t type;
        uintptr_t vaddr, memsz;
        memcpy(&type, ph, 4);
        if (sizeof(uintptr_t) == 8) {
            memcpy(&vaddr, ph + 16, 8);
            memcpy(&memsz, ph + 40, 8);
        } else {
            memcpy(&vaddr, ph + 8, 4);
            memcpy(&memsz, ph + 20, 4);
        }
        if (type == 1 && entry >= vaddr && entry - vaddr < memsz) {
            return 1;
        }
    }
    return 0;
}

static void child_exit(int code)
{
    printf("child| exit(%d): message on the fault endpoint\n", code);
    fflush(stdout);
    seL4_SetMR(0, (seL4_Word)code);
    seL4_Send(VS_CHILD_SLOT_FAULT_EP, seL4_MessageInfo_new(SPAWNROOT_EXIT_LABEL, 0, 0, 1));
    for (;;) {
        seL4_TCB_Suspend(VS_CHILD_SLOT_TCB);
    }
}

int main(int argc, char **argv, char **envp)
{
    sel4runtime_set_exit(child_exit);
    printf("child| argc %d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("child| argv[%d] = %s\n", i, argv[i]);
    }
    int envc = 0;
    for (; envp[envc] != NULL; envc++) {
        printf("child| envp[%d] = %s\n", envc, envp[envc]);
    }
    /* The auxiliary vector follows the environment's NULL (System V ABI). */
    const uintptr_t *aux = (const uintptr_t *)&envp[envc + 1];
    const void *aux0 = aux;
    uintptr_t phdr = 0, phent = 0, phnum = 0, entry = 0, random = 0, ipc = 0;
    for (; aux[0] != VS_AT_NULL; aux += 2) {
        printf("child| auxv %-26s 0x%lx\n", vs_auxv_name(aux[0]), (unsigned long)aux[1]);
        phdr = aux[0] == VS_AT_PHDR ? aux[1] : phdr;
        phent = aux[0] == VS_AT_PHENT ? aux[1] : phent;
        phnum = aux[0] == VS_AT_PHNUM ? aux[1] : phnum;
        entry = aux[0] == VS_AT_ENTRY ? aux[1] : entry;
        random = aux[0] == VS_AT_RANDOM ? aux[1] : random;
        ipc = aux[0] == VS_AT_SEL4_IPC_BUFFER_PTR ? aux[1] : ipc;
    }
    if (random != 0) {
        const unsigned char *r = (const unsigned char *)random;
        printf("child| AT_RANDOM bytes:");
        for (int i = 0; i < 16; i++) {
            printf(" %02x", r[i]);
        }
        printf("\n");
    }
    check(entry == (uintptr_t)_start, "AT_ENTRY is this program's _start");
    check(phdr != 0 && phdrs_cover(phdr, phent, phnum, entry), "AT_PHDR: a PT_LOAD of this image holds the entry");
    check(sel4runtime_argc() == argc && (const void *)sel4runtime_auxv() == aux0,
          "sel4runtime read the same argc and auxv");
    check(ipc != 0 && (uintptr_t)seL4_GetIPCBuffer() == ipc, "the IPC buffer is AT_SEL4_IPC_BUFFER_PTR");

    volatile unsigned char stack_bytes[512];
    char line[120];
    snprintf(line, sizeof(line), "stack: wrote and read back %u bytes at %p", (unsigned)sizeof(stack_bytes),
             (void *)stack_bytes);
    check(write_read(stack_bytes, sizeof(stack_bytes), 1), line);
    snprintf(line, sizeof(line), ".data: initialised bytes %u %u %u %u at %p, rewritten and read back", data_bytes[0],
             data_bytes[1], data_bytes[2], data_bytes[3], (void *)data_bytes);
    check(data_bytes[0] == 1 && data_bytes[3] == 4 && write_read(data_bytes, sizeof(data_bytes), 2), line);
    int zero = 1;
    for (size_t i = 0; i < sizeof(bss_bytes); i++) {
        zero = zero && bss_bytes[i] == 0;
    }
    snprintf(line, sizeof(line), ".bss: %u zero bytes at %p, written and read back", (unsigned)sizeof(bss_bytes),
             (void *)bss_bytes);
    check(zero && write_read(bss_bytes, sizeof(bss_bytes), 3), line);
    unsigned long (*volatile fn)(unsigned long) = text_function;
    snprintf(line, sizeof(line), ".text: text_function at %p returned %lu", (void *)(uintptr_t)fn, fn(3));
    check(fn(3) == 3ul * 2654435761ul + 13, line);
    return failures;
}
