/* The start-up stack builder and decoder against layouts worked out by hand
 * from the psABIs (argc at SP, argv, 0, envp, 0, auxv pairs, AT_NULL; SP
 * 16-byte aligned), and the decoder against this very process's stack as
 * the Linux kernel built it. */
#define _GNU_SOURCE
#include <vs/startstack.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static int failures;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

#define CHECK_EQ(a, b)                                                                                                 \
    do {                                                                                                               \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                                 \
        if (a_ != b_) {                                                                                                \
            fprintf(stderr, "%s:%d: %s == 0x%llx, expected %s == 0x%llx\n", __FILE__, __LINE__, #a, a_, #b, b_);       \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

/* A buffer standing for target bytes [top - size, top). */
typedef struct mem {
    uint8_t *b;
    size_t size;
    uint64_t top;
} mem;

static uint64_t word_at(const mem *m, uint64_t addr, unsigned w)
{
    const uint8_t *p = m->b + (addr - (m->top - m->size));
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static const char *str_at(const mem *m, uint64_t addr)
{
    return (const char *)m->b + (addr - (m->top - m->size));
}

static vs_result mem_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
    const mem *m = ctx;
    uint64_t base = m->top - m->size;
    if (addr < base || addr + len > m->top) {
        return VS_ERR_OUT_OF_RANGE;
    }
    memcpy(dst, m->b + (addr - base), len);
    return VS_OK;
}

/* x86_64, worked out by hand:
 *   top 0x7fff0000; "/p\0" at 0x7ffefffd; "X=1\0" at 0x7ffefff9;
 *   "a\0" at 0x7ffefff4, "bc\0" at 0x7ffefff6; strings start 0x7ffefff4,
 *   16-aligned down 0x7ffefff0, random 16 bytes at 0x7ffeffe0;
 *   14 words (argc, 2 argv + 0, 1 envp + 0, 4 auxv pairs) = 112 bytes,
 *   SP = 0x7ffeffe0 - 0x70 = 0x7ffeff70 (already 16-aligned). */
static void test_x86_64_by_hand(void)
{
    const char *argv[] = {"a", "bc"};
    const char *envp[] = {"X=1"};
    vs_auxv_entry aux[] = {{VS_AT_PAGESZ, 4096}};
    vs_startstack_spec s = {.arch = VS_ARCH_X86_64,
                            .stack_top = 0x7fff0000,
                            .argv = argv,
                            .argc = 2,
                            .envp = envp,
                            .envc = 1,
                            .auxv = aux,
                            .auxc = 1,
                            .execfn = "/p"};
    for (int i = 0; i < 16; i++) {
        s.random[i] = (uint8_t)(0xa0 + i);
    }
    uint8_t buf[512];
    memset(buf, 0xcc, sizeof buf);
    mem m = {buf, sizeof buf, s.stack_top};
    vs_startstack_layout l;
    CHECK_EQ(vs_startstack_build(&s, buf, sizeof buf, &l), VS_OK);
    CHECK_EQ(l.sp, 0x7ffeff70);
    CHECK_EQ(l.size, 0x90);
    CHECK_EQ(l.argv, 0x7ffeff78);
    CHECK_EQ(l.envp, 0x7ffeff90);
    CHECK_EQ(l.auxv, 0x7ffeffa0);
    CHECK_EQ(l.auxc, 4);
    CHECK_EQ(l.random, 0x7ffeffe0);
    CHECK_EQ(l.execfn, 0x7ffefffd);
    CHECK_EQ(l.strings, 0x7ffefff4);
    const uint64_t expect[14] = {2,    0x7ffefff4, 0x7ffefff6, 0,  0x7ffefff9, 0, 6,
                                 4096, 25,         0x7ffeffe0, 31, 0x7ffefffd, 0, 0};
    for (int i = 0; i < 14; i++) {
        CHECK_EQ(word_at(&m, 0x7ffeff70 + 8 * i, 8), expect[i]);
    }
    for (int i = 0; i < 16; i++) {
        CHECK_EQ(buf[sizeof buf - 0x20 + i], 0xa0 + i);
    }
    CHECK(strcmp(str_at(&m, 0x7ffefff4), "a") == 0);
    CHECK(strcmp(str_at(&m, 0x7ffefff6), "bc") == 0);
    CHECK(strcmp(str_at(&m, 0x7ffefff9), "X=1") == 0);
    CHECK(strcmp(str_at(&m, 0x7ffefffd), "/p") == 0);
    CHECK_EQ(buf[sizeof buf - 1], 0);
    /* strings to random: the 4 bytes 0x7ffefff0..3 are padding, zeroed. */
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(buf[sizeof buf - 0x10 + i], 0);
    }
    /* Below SP nothing was touched. */
    CHECK_EQ(buf[sizeof buf - 0x91], 0xcc);
}

/* ia32 (4-byte words), no arguments, no environment, no caller auxv:
 *   execfn "" at 0xbfffffff = strings; random at 0xbfffffe0;
 *   9 words (argc, 0, 0, 3 auxv pairs) = 36 bytes: 0xbfffffbc, aligned
 *   down to 16: SP 0xbfffffb0; 12 bytes of padding 0xbfffffd4..0xbfffffdf. */
static void test_ia32_empty_by_hand(void)
{
    vs_startstack_spec s = {.arch = VS_ARCH_IA32, .stack_top = 0xc0000000};
    vs_startstack_random(1, s.random);
    uint8_t buf[128];
    memset(buf, 0xcc, sizeof buf);
    mem m = {buf, sizeof buf, s.stack_top};
    vs_startstack_layout l;
    CHECK_EQ(vs_startstack_build(&s, buf, sizeof buf, &l), VS_OK);
    CHECK_EQ(l.sp, 0xbfffffb0);
    CHECK_EQ(l.argv, 0xbfffffb4);
    CHECK_EQ(l.envp, 0xbfffffb8);
    CHECK_EQ(l.auxv, 0xbfffffbc);
    CHECK_EQ(l.random, 0xbfffffe0);
    CHECK_EQ(l.execfn, 0xbfffffff);
    CHECK_EQ(l.size, 0x50);
    const uint64_t expect[9] = {0, 0, 0, 25, 0xbfffffe0, 31, 0xbfffffff, 0, 0};
    for (int i = 0; i < 9; i++) {
        CHECK_EQ(word_at(&m, 0xbfffffb0 + 4 * i, 4), expect[i]);
    }
    for (uint64_t a = 0xbfffffd4; a < 0xbfffffe0; a++) {
        CHECK_EQ(buf[a - (0xc0000000 - sizeof buf)], 0);
    }
    CHECK(memcmp(buf + sizeof buf - 0x20, s.random, 16) == 0);
    CHECK_EQ(buf[sizeof buf - 1], 0);
}

/* aarch32 / riscv32: the same shape with 4-byte words; an empty argument
 * string and an empty environment string are real entries. Top at 2^32
 * exactly (the word's reach) is allowed. */
static void test_32bit_empty_strings(vs_arch_id arch)
{
    const char *argv[] = {"prog", "", "x"};
    const char *envp[] = {"", "A="};
    vs_startstack_spec s = {
        .arch = arch, .stack_top = 0x100000000ULL, .argv = argv, .argc = 3, .envp = envp, .envc = 2};
    vs_startstack_random(7, s.random);
    uint8_t buf[256];
    mem m = {buf, sizeof buf, s.stack_top};
    vs_startstack_layout l;
    CHECK_EQ(vs_startstack_build(&s, buf, sizeof buf, &l), VS_OK);
    /* "prog\0" "\0" "x\0" "\0" "A=\0" then execfn = argv[0] "prog\0": 5+1+2+1+3+5 = 17 */
    CHECK_EQ(l.strings, 0x100000000ULL - 17);
    CHECK_EQ(l.execfn, 0x100000000ULL - 5);
    CHECK_EQ(l.random, 0xffffffe0 - 16);
    /* words: 1 + 4 + 3 + 2*3 = 14 -> 56 bytes: 0xffffffd0 - 56 = 0xffffff98 -> 0xffffff90 */
    CHECK_EQ(l.sp, 0xffffff90);
    CHECK_EQ(word_at(&m, l.sp, 4), 3);
    CHECK_EQ(word_at(&m, l.sp + 4, 4), l.strings);
    CHECK_EQ(word_at(&m, l.sp + 8, 4), l.strings + 5);
    CHECK_EQ(word_at(&m, l.sp + 12, 4), l.strings + 6);
    CHECK_EQ(word_at(&m, l.sp + 16, 4), 0);
    CHECK_EQ(word_at(&m, l.sp + 20, 4), l.strings + 8);
    CHECK_EQ(word_at(&m, l.sp + 24, 4), l.strings + 9);
    CHECK_EQ(word_at(&m, l.sp + 28, 4), 0);
    CHECK(strcmp(str_at(&m, l.strings + 5), "") == 0);
    CHECK(strcmp(str_at(&m, l.strings + 9), "A=") == 0);
    CHECK(strcmp(str_at(&m, l.execfn), "prog") == 0);
    CHECK_EQ(l.sp % vs_startstack_abi(arch)->min_align, 0);
}

/* A long argument and many of them: every pointer lands on its string. */
static void test_long_strings_roundtrip(vs_arch_id arch)
{
    enum { N = 40 };
    static char longarg[70000];
    memset(longarg, 'L', sizeof longarg - 1);
    longarg[sizeof longarg - 1] = '\0';
    const char *argv[N];
    char small[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(small[i], sizeof small[i], "arg%d", i);
        argv[i] = i == 5 ? longarg : i == 6 ? "" : small[i];
    }
    const char *envp[] = {"HOME=/", "EMPTY=", "PATH=/bin:/usr/bin"};
    vs_auxv_entry aux[] = {{VS_AT_PHDR, 0x400040}, {VS_AT_PHNUM, 7}, {VS_AT_SEL4_TCB, 2}};
    uint64_t top = vs_startstack_abi(arch)->word_bytes == 8 ? 0x7ffffffff000ULL : 0xbffff000ULL;
    vs_startstack_spec s = {.arch = arch,
                            .stack_top = top,
                            .argv = argv,
                            .argc = N,
                            .envp = envp,
                            .envc = 3,
                            .auxv = aux,
                            .auxc = 3,
                            .execfn = "/bin/prog"};
    vs_startstack_random(42, s.random);
    size_t size = 80000;
    uint8_t *buf = malloc(size);
    mem m = {buf, size, top};
    vs_startstack_layout l;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_OK);
    size_t need = l.size;
    CHECK_EQ(vs_startstack_build(&s, buf, size, &l), VS_OK);
    CHECK_EQ(l.size, need);
    CHECK_EQ(l.sp % 16, 0);

    vs_startstack_view v;
    CHECK_EQ(vs_startstack_decode(arch, l.sp, mem_read, &m, 1000, &v), VS_OK);
    CHECK_EQ(v.argc, N);
    CHECK_EQ(v.envc, 3);
    CHECK_EQ(v.auxc, 6);
    CHECK_EQ(v.argv, l.argv);
    CHECK_EQ(v.envp, l.envp);
    CHECK_EQ(v.auxv, l.auxv);
    static char got[70001];
    for (uint64_t i = 0; i < v.argc; i++) {
        uint64_t p = 0;
        size_t len = 0;
        CHECK_EQ(vs_startstack_word(&v, mem_read, &m, v.argv, i, &p), VS_OK);
        CHECK_EQ(vs_startstack_string(mem_read, &m, p, got, sizeof got, &len), VS_OK);
        CHECK(strcmp(got, argv[i]) == 0);
        CHECK_EQ(len, strlen(argv[i]));
    }
    for (uint64_t i = 0; i < v.envc; i++) {
        uint64_t p = 0;
        size_t len = 0;
        CHECK_EQ(vs_startstack_word(&v, mem_read, &m, v.envp, i, &p), VS_OK);
        CHECK_EQ(vs_startstack_string(mem_read, &m, p, got, sizeof got, &len), VS_OK);
        CHECK(strcmp(got, envp[i]) == 0);
    }
    const uint64_t types[6] = {VS_AT_PHDR, VS_AT_PHNUM, VS_AT_SEL4_TCB, VS_AT_RANDOM, VS_AT_EXECFN, VS_AT_NULL};
    const uint64_t vals[6] = {0x400040, 7, 2, l.random, l.execfn, 0};
    for (uint64_t i = 0; i < 6; i++) {
        uint64_t t = 0, val = 1;
        CHECK_EQ(vs_startstack_word(&v, mem_read, &m, v.auxv, 2 * i, &t), VS_OK);
        CHECK_EQ(vs_startstack_word(&v, mem_read, &m, v.auxv, 2 * i + 1, &val), VS_OK);
        CHECK_EQ(t, types[i]);
        CHECK_EQ(val, vals[i]);
    }
    CHECK(memcmp(buf + (l.random - (top - size)), s.random, 16) == 0);
    /* A string longer than the destination: NO_SPACE, truncated, terminated. */
    size_t len = 0;
    char tiny[4];
    uint64_t p5 = 0;
    CHECK_EQ(vs_startstack_word(&v, mem_read, &m, v.argv, 5, &p5), VS_OK);
    CHECK_EQ(vs_startstack_string(mem_read, &m, p5, tiny, sizeof tiny, &len), VS_ERR_NO_SPACE);
    CHECK(strcmp(tiny, "LLL") == 0);
    free(buf);
}

static void test_errors(void)
{
    uint8_t buf[256];
    vs_startstack_layout l;
    const char *argv[] = {"a", NULL};
    vs_startstack_spec s = {.arch = VS_ARCH_X86_64, .stack_top = 0x10000, .argv = argv, .argc = 2};
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_INVALID_ARG);
    CHECK_EQ(l.error_value, 1);
    CHECK(l.error != NULL);

    s.argc = 1;
    vs_auxv_entry bad[] = {{VS_AT_PAGESZ, 4096}, {VS_AT_RANDOM, 0}};
    s.auxv = bad;
    s.auxc = 2;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_INVALID_ARG);
    CHECK_EQ(l.error_value, 1);
    bad[1].type = VS_AT_NULL;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_INVALID_ARG);
    bad[1].type = VS_AT_EXECFN;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_INVALID_ARG);

    /* A 64-bit value on a 32-bit arch. */
    bad[1] = (vs_auxv_entry){VS_AT_ENTRY, 0x100000000ULL};
    s.arch = VS_ARCH_AARCH32;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_INVALID_ARG);
    s.auxc = 1;
    s.stack_top = 0x100001000ULL;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_OUT_OF_RANGE);
    s.stack_top = 0;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_OUT_OF_RANGE);
    s.stack_top = 0x40; /* runs below 0 */
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_OUT_OF_RANGE);
    s.arch = (vs_arch_id)99;
    s.stack_top = 0x10000;
    CHECK_EQ(vs_startstack_measure(&s, &l), VS_ERR_INVALID_ARG);
    CHECK_EQ(vs_startstack_measure(NULL, &l), VS_ERR_INVALID_ARG);
    CHECK_EQ(vs_startstack_measure(&s, NULL), VS_ERR_INVALID_ARG);

    /* Too small a buffer: NO_SPACE, needed size reported, nothing written. */
    s.arch = VS_ARCH_RISCV64;
    memset(buf, 0xcc, sizeof buf);
    CHECK_EQ(vs_startstack_build(&s, buf, 64, &l), VS_ERR_NO_SPACE);
    CHECK(l.size > 64);
    for (size_t i = 0; i < sizeof buf; i++) {
        CHECK_EQ(buf[i], 0xcc);
    }
    CHECK_EQ(vs_startstack_build(&s, buf, l.size, &l), VS_OK);
}

static void test_random_and_names(void)
{
    uint8_t a[16], b[16], c[16];
    vs_startstack_random(5, a);
    vs_startstack_random(5, b);
    vs_startstack_random(6, c);
    CHECK(memcmp(a, b, 16) == 0);
    CHECK(memcmp(a, c, 16) != 0);
    /* SplitMix64's published reference outputs for seed 0, little-endian. */
    uint8_t z[16];
    vs_startstack_random(0, z);
    uint64_t z0 = 0, z1 = 0;
    for (int i = 7; i >= 0; i--) {
        z0 = z0 << 8 | z[i];
        z1 = z1 << 8 | z[8 + i];
    }
    CHECK_EQ(z0, 0xe220a8397b1dcdafULL);
    CHECK_EQ(z1, 0x6e789e6aa1b965f4ULL);
    /* Numbers from sel4runtime's auxv.h and the gABI. */
    CHECK(strcmp(vs_auxv_name(3), "AT_PHDR") == 0);
    CHECK(strcmp(vs_auxv_name(25), "AT_RANDOM") == 0);
    CHECK(strcmp(vs_auxv_name(31), "AT_EXECFN") == 0);
    CHECK(strcmp(vs_auxv_name(32), "AT_SYSINFO") == 0);
    CHECK(strcmp(vs_auxv_name(67), "AT_SEL4_IPC_BUFFER_PTR") == 0);
    CHECK(strcmp(vs_auxv_name(69), "AT_SEL4_TCB") == 0);
    CHECK(vs_auxv_name(1000) == NULL);
    /* and the host's <elf.h> agrees with the standard ones */
    CHECK_EQ(VS_AT_PHDR, AT_PHDR);
    CHECK_EQ(VS_AT_PAGESZ, AT_PAGESZ);
    CHECK_EQ(VS_AT_ENTRY, AT_ENTRY);
    CHECK_EQ(VS_AT_RANDOM, AT_RANDOM);
    CHECK_EQ(VS_AT_EXECFN, AT_EXECFN);
    CHECK_EQ(VS_AT_BASE, AT_BASE);
    CHECK_EQ(VS_AT_SECURE, AT_SECURE);
    CHECK_EQ(VS_AT_SYSINFO_EHDR, AT_SYSINFO_EHDR);
    CHECK(vs_startstack_abi(VS_ARCH_COUNT) == NULL);
    CHECK_EQ(vs_startstack_abi(VS_ARCH_IA32)->word_bytes, 4);
    CHECK_EQ(vs_startstack_abi(VS_ARCH_RISCV64)->word_bytes, 8);
}

/* The decoder on the stack the Linux kernel built for this process: argv
 * sits one word above argc, envp after argv's 0, auxv after envp's 0 and
 * its AT_RANDOM / AT_EXECFN agree with getauxval(). */
static vs_result self_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
    (void)ctx;
    memcpy(dst, (const void *)(uintptr_t)addr, len);
    return VS_OK;
}

extern char **environ;

static void test_decode_own_stack(char **argv)
{
#if defined(__x86_64__)
    uint64_t sp = (uint64_t)(uintptr_t)argv - 8;
    vs_startstack_view v;
    CHECK_EQ(vs_startstack_decode(VS_ARCH_X86_64, sp, self_read, NULL, 1 << 20, &v), VS_OK);
    CHECK_EQ(v.envp, (uint64_t)(uintptr_t)environ);
    uint64_t envc = 0;
    while (environ[envc] != NULL) {
        envc++;
    }
    CHECK_EQ(v.envc, envc);
    int seen_random = 0;
    for (uint64_t i = 0; i + 1 < v.auxc; i++) {
        uint64_t t = 0, val = 0;
        vs_startstack_word(&v, self_read, NULL, v.auxv, 2 * i, &t);
        vs_startstack_word(&v, self_read, NULL, v.auxv, 2 * i + 1, &val);
        if (t == VS_AT_RANDOM) {
            CHECK_EQ(val, getauxval(AT_RANDOM));
            seen_random = 1;
        }
        if (t == VS_AT_EXECFN) {
            CHECK_EQ(val, getauxval(AT_EXECFN));
        }
    }
    CHECK(seen_random);
    /* The kernel's SP at entry was 16-byte aligned, and argc sits there. */
    CHECK_EQ(sp % 16, 0);
#else
    (void)argv;
#endif
}

int main(int argc, char **argv)
{
    (void)argc;
    test_x86_64_by_hand();
    test_ia32_empty_by_hand();
    test_32bit_empty_strings(VS_ARCH_AARCH32);
    test_32bit_empty_strings(VS_ARCH_RISCV32);
    for (int a = 0; a < VS_ARCH_COUNT; a++) {
        test_long_strings_roundtrip((vs_arch_id)a);
    }
    test_errors();
    test_random_and_names();
    test_decode_own_stack(argv);
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("startstack: all checks passed\n");
    return 0;
}
