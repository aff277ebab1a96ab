/* The start-up stack of a new process, as each architecture's System V
 * psABI lays it out at the entry point: a pure function of its inputs that
 * knows no kernel. It writes into a caller buffer that stands for the top of
 * the target's stack; the caller copies that buffer into the child (through
 * temporary mappings on seL4, or directly on Linux).
 *
 * Layout, from the initial stack pointer SP upwards (W = word size, 4 bytes
 * on ia32, aarch32 and riscv32, 8 on x86_64, aarch64 and riscv64; words are
 * little-endian on all six):
 *
 *   SP                   argc
 *   SP + W               argv[0] .. argv[argc-1], then a 0 word
 *   envp (= argv + (argc+1)W)  envp[0] .. envp[envc-1], then a 0 word
 *   auxv (= envp + (envc+1)W)  (type, value) word pairs; the caller's entries
 *                        in the caller's order, then AT_RANDOM, then AT_EXECFN,
 *                        then (AT_NULL, 0)
 *   ...                  zero padding
 *   random               the 16 AT_RANDOM bytes (16-byte aligned)
 *   strings              argv strings, then envp strings, each NUL-terminated
 *                        and in order, then the AT_EXECFN string, which ends
 *                        exactly at stack_top
 *
 * SP is aligned to VS_STARTSTACK_ALIGN (16) on every architecture. That is
 * what the x86_64, AArch64 and RISC-V psABIs require at process entry and
 * what the i386 psABI (version 1.1, 16-byte stack alignment) requires; the
 * AArch32 AAPCS asks only for 8 (vs_startstack_abi() gives each ABI's own
 * minimum). Besides SP, the psABIs name one register at entry: a function
 * pointer the program registers with atexit (%rdx on x86_64, %edx on ia32,
 * r0 on aarch32, x0 on aarch64, a0 on RISC-V), 0 for "none"; the caller
 * sets it (vs_startstack_abi() names it).
 *
 * Freestanding: uses nothing beyond memcpy/memset. */
#ifndef VS_STARTSTACK_H
#define VS_STARTSTACK_H

#include <stddef.h>
#include <stdint.h>

#include <vs/arch.h>
#include <vs/result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Auxiliary vector types. The standard ones carry the numbers of the
 * System V gABI / Linux <elf.h>; the seL4 ones are sel4runtime's
 * (include/sel4runtime/auxv.h), which its start-up code reads. Prefixed with
 * VS_ so they collide with neither <elf.h> nor sel4runtime's macros. */
enum {
    VS_AT_NULL = 0,      /* end of the vector */
    VS_AT_IGNORE = 1,    /* entry to ignore */
    VS_AT_EXECFD = 2,    /* file descriptor of the program */
    VS_AT_PHDR = 3,      /* address of the program headers in the image */
    VS_AT_PHENT = 4,     /* size of one program header */
    VS_AT_PHNUM = 5,     /* number of program headers */
    VS_AT_PAGESZ = 6,    /* system page size */
    VS_AT_BASE = 7,      /* interpreter base address (0 for a static image) */
    VS_AT_FLAGS = 8,     /* flags, 0 */
    VS_AT_ENTRY = 9,     /* the program's entry point */
    VS_AT_NOTELF = 10,   /* program is not ELF */
    VS_AT_UID = 11,      /* real uid */
    VS_AT_EUID = 12,     /* effective uid */
    VS_AT_GID = 13,      /* real gid */
    VS_AT_EGID = 14,     /* effective gid */
    VS_AT_PLATFORM = 15, /* address of a string naming the platform */
    VS_AT_HWCAP = 16,    /* hardware capability bits */
    VS_AT_CLKTCK = 17,   /* frequency of times() */
    VS_AT_SECURE = 23,   /* secure mode (setuid) */
    VS_AT_BASE_PLATFORM = 24,
    VS_AT_RANDOM = 25, /* address of 16 random bytes */
    VS_AT_HWCAP2 = 26,
    VS_AT_EXECFN = 31,  /* address of the file name of the program */
    VS_AT_SYSINFO = 32, /* entry of the vsyscall handler (sel4runtime: __sysinfo) */
    VS_AT_SYSINFO_EHDR = 33,
    VS_AT_MINSIGSTKSZ = 51,

    /* sel4runtime's seL4-specific entries (values in the child's terms). */
    VS_AT_SEL4_BOOT_INFO = 64,         /* address of seL4_BootInfo (root task only) */
    VS_AT_SEL4_CSPACE_DESCRIPTOR = 65, /* reserved by sel4runtime, unused */
    VS_AT_SEL4_VSYSCALL = 66,          /* reserved by sel4runtime, unused */
    VS_AT_SEL4_IPC_BUFFER_PTR = 67,    /* address of the thread's IPC buffer */
    VS_AT_SEL4_IPC_BUFFER = 68,        /* cap (child CSpace) of the IPC buffer frame */
    VS_AT_SEL4_TCB = 69,               /* cap (child CSpace) of the thread's TCB */
    VS_AT_SEL4_CNODE = 70,             /* cap (child CSpace) of its CSpace root CNode */
    VS_AT_SEL4_VSPACE = 71,            /* cap (child CSpace) of its VSpace root */
    VS_AT_SEL4_ASID_POOL = 72          /* cap (child CSpace) of an ASID pool */
};

/* The name of an auxv type ("AT_PHDR", "AT_SEL4_TCB"), or NULL if unknown. */
const char *vs_auxv_name(uint64_t type);

enum {
    VS_STARTSTACK_ALIGN = 16, /* SP alignment the builder produces on every arch */
    VS_STARTSTACK_RANDOM = 16 /* bytes behind AT_RANDOM */
};

/* What the psABI of one architecture says about process entry. */
typedef struct vs_startstack_abi_info {
    uint8_t word_bytes;     /* 4 or 8 */
    uint8_t min_align;      /* the ABI's own stack alignment at entry */
    const char *sp_reg;     /* register holding SP: "rsp", "esp", "sp" */
    const char *atexit_reg; /* register holding the atexit function pointer (0 = none) */
} vs_startstack_abi_info;

/* The entry ABI of arch, or NULL if arch is not a vs_arch_id. */
const vs_startstack_abi_info *vs_startstack_abi(vs_arch_id arch);

/* One auxv entry supplied by the caller. */
typedef struct vs_auxv_entry {
    uint64_t type;
    uint64_t value;
} vs_auxv_entry;

/* What to lay out. */
typedef struct vs_startstack_spec {
    vs_arch_id arch;         /* selects word size (and nothing else: layout is the same on all) */
    uint64_t stack_top;      /* exclusive top of the stack in the target's address space */
    const char *const *argv; /* argc strings (may be empty strings); NULL if argc == 0 */
    size_t argc;
    const char *const *envp; /* envc strings, "K=V" by convention, passed as given */
    size_t envc;
    const vs_auxv_entry *auxv; /* caller entries, without AT_NULL, AT_RANDOM or AT_EXECFN */
    size_t auxc;
    uint8_t random[VS_STARTSTACK_RANDOM]; /* the AT_RANDOM bytes (vs_startstack_random()) */
    const char *execfn;                   /* AT_EXECFN string; NULL: argv[0], or "" if argc == 0 */
} vs_startstack_spec;

/* Where everything went, as addresses in the target. */
typedef struct vs_startstack_layout {
    uint64_t sp;      /* initial stack pointer: address of argc */
    uint64_t argv;    /* address of argv[0]'s pointer */
    uint64_t envp;    /* address of envp[0]'s pointer */
    uint64_t auxv;    /* address of the first auxv pair */
    size_t auxc;      /* auxv pairs written, AT_NULL included */
    uint64_t random;  /* address of the 16 random bytes */
    uint64_t execfn;  /* address of the AT_EXECFN string */
    uint64_t strings; /* lowest address of the string area (argv[0]'s string) */
    size_t size;      /* bytes used: stack_top - sp */
    /* On failure: why, and the offending value (an index, a size, an address). */
    const char *error;
    uint64_t error_value;
} vs_startstack_layout;

/* Computes the layout without writing anything (out->size says how big a
 * buffer vs_startstack_build needs). Errors: INVALID_ARG (NULL spec or out,
 * unknown arch, NULL string among argv/envp, NULL argv with argc > 0, an auxv
 * entry of type AT_NULL/AT_RANDOM/AT_EXECFN, or a value or type that does not
 * fit the word), OUT_OF_RANGE (stack_top beyond the word's reach, or the
 * stack would run below address 0). out->error names the cause. */
vs_result vs_startstack_measure(const vs_startstack_spec *spec, vs_startstack_layout *out);

/* Lays the stack out into buf, which stands for the target bytes
 * [stack_top - buf_size, stack_top): the used part [sp, stack_top) is
 * written (padding zeroed), bytes below sp are left untouched. Errors: those
 * of vs_startstack_measure, and NO_SPACE if out->size > buf_size (nothing is
 * written then; out->size still says how much is needed). */
vs_result vs_startstack_build(const vs_startstack_spec *spec, void *buf, size_t buf_size, vs_startstack_layout *out);

/* Fills out with 16 bytes derived deterministically from seed (SplitMix64),
 * so that callers can make start-up stacks reproducible. Not cryptographic:
 * a caller that wants real randomness passes its own bytes instead. */
void vs_startstack_random(uint64_t seed, uint8_t out[VS_STARTSTACK_RANDOM]);

/* ---- reading a start-up stack back (tests, inspectors) ---- */

/* Reads len bytes of the target at addr into dst; VS_OK or an error (the
 * decoder passes it on). */
typedef vs_result (*vs_startstack_read_fn)(void *ctx, uint64_t addr, void *dst, size_t len);

/* A start-up stack found in memory: where its vectors are and how long. */
typedef struct vs_startstack_view {
    uint8_t word_bytes;
    uint64_t sp;
    uint64_t argc;
    uint64_t argv; /* address of argv[0]'s pointer */
    uint64_t envc; /* envp pointers before the terminating 0 */
    uint64_t envp;
    uint64_t auxc; /* auxv pairs, AT_NULL included */
    uint64_t auxv;
    const char *error; /* on failure: why */
    uint64_t error_value;
} vs_startstack_view;

/* Walks the vectors of the stack at sp: argc, argv up to its terminating 0
 * (which must sit at argv[argc]), envp up to its 0, auxv up to AT_NULL,
 * reading at most max_words words in all. Errors: INVALID_ARG (unknown
 * arch, NULL read or out), INCONSISTENT (argv[argc] is not 0, or no
 * terminator within max_words; out->error says which), or whatever read
 * returns. */
vs_result vs_startstack_decode(vs_arch_id arch, uint64_t sp, vs_startstack_read_fn read, void *ctx, uint64_t max_words,
                               vs_startstack_view *out);

/* Word i of the vector at vec (little-endian, view->word_bytes wide). */
vs_result vs_startstack_word(const vs_startstack_view *view, vs_startstack_read_fn read, void *ctx, uint64_t vec,
                             uint64_t i, uint64_t *value);

/* Copies the NUL-terminated string at addr into dst (capacity cap, always
 * NUL-terminated when cap > 0) and its length into *len. Errors: NO_SPACE
 * if no NUL lies within cap - 1 bytes (dst then holds the first cap - 1),
 * or whatever read returns. */
vs_result vs_startstack_string(vs_startstack_read_fn read, void *ctx, uint64_t addr, char *dst, size_t cap,
                               size_t *len);

#ifdef __cplusplus
}
#endif

#endif
