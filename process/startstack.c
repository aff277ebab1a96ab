/* The start-up stack builder (include/vs/startstack.h). */
#include <vs/startstack.h>

#include <string.h>

static const vs_startstack_abi_info abi_table[VS_ARCH_COUNT] = {
    [VS_ARCH_IA32] = {4, 16, "esp", "edx"},  [VS_ARCH_X86_64] = {8, 16, "rsp", "rdx"},
    [VS_ARCH_AARCH32] = {4, 8, "sp", "r0"},  [VS_ARCH_AARCH64] = {8, 16, "sp", "x0"},
    [VS_ARCH_RISCV32] = {4, 16, "sp", "a0"}, [VS_ARCH_RISCV64] = {8, 16, "sp", "a0"},
};

const vs_startstack_abi_info *vs_startstack_abi(vs_arch_id arch)
{
    if ((unsigned)arch >= VS_ARCH_COUNT) {
        return NULL;
    }
    return &abi_table[arch];
}

typedef struct auxv_name {
    uint8_t type;
    const char *name;
} auxv_name;

static const auxv_name auxv_names[] = {
    {VS_AT_NULL, "AT_NULL"},
    {VS_AT_IGNORE, "AT_IGNORE"},
    {VS_AT_EXECFD, "AT_EXECFD"},
    {VS_AT_PHDR, "AT_PHDR"},
    {VS_AT_PHENT, "AT_PHENT"},
    {VS_AT_PHNUM, "AT_PHNUM"},
    {VS_AT_PAGESZ, "AT_PAGESZ"},
    {VS_AT_BASE, "AT_BASE"},
    {VS_AT_FLAGS, "AT_FLAGS"},
    {VS_AT_ENTRY, "AT_ENTRY"},
    {VS_AT_NOTELF, "AT_NOTELF"},
    {VS_AT_UID, "AT_UID"},
    {VS_AT_EUID, "AT_EUID"},
    {VS_AT_GID, "AT_GID"},
    {VS_AT_EGID, "AT_EGID"},
    {VS_AT_PLATFORM, "AT_PLATFORM"},
    {VS_AT_HWCAP, "AT_HWCAP"},
    {VS_AT_CLKTCK, "AT_CLKTCK"},
    {VS_AT_SECURE, "AT_SECURE"},
    {VS_AT_BASE_PLATFORM, "AT_BASE_PLATFORM"},
    {VS_AT_RANDOM, "AT_RANDOM"},
    {VS_AT_HWCAP2, "AT_HWCAP2"},
    {VS_AT_EXECFN, "AT_EXECFN"},
    {VS_AT_SYSINFO, "AT_SYSINFO"},
    {VS_AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR"},
    {VS_AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ"},
    {VS_AT_SEL4_BOOT_INFO, "AT_SEL4_BOOT_INFO"},
    {VS_AT_SEL4_CSPACE_DESCRIPTOR, "AT_SEL4_CSPACE_DESCRIPTOR"},
    {VS_AT_SEL4_VSYSCALL, "AT_SEL4_VSYSCALL"},
    {VS_AT_SEL4_IPC_BUFFER_PTR, "AT_SEL4_IPC_BUFFER_PTR"},
    {VS_AT_SEL4_IPC_BUFFER, "AT_SEL4_IPC_BUFFER"},
    {VS_AT_SEL4_TCB, "AT_SEL4_TCB"},
    {VS_AT_SEL4_CNODE, "AT_SEL4_CNODE"},
    {VS_AT_SEL4_VSPACE, "AT_SEL4_VSPACE"},
    {VS_AT_SEL4_ASID_POOL, "AT_SEL4_ASID_POOL"},
};

const char *vs_auxv_name(uint64_t type)
{
    for (size_t i = 0; i < sizeof auxv_names / sizeof auxv_names[0]; i++) {
        if (auxv_names[i].type == type) {
            return auxv_names[i].name;
        }
    }
    return NULL;
}

static size_t str_size(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n + 1;
}

static vs_result fail(vs_startstack_layout *out, vs_result r, const char *why, uint64_t value)
{
    out->error = why;
    out->error_value = value;
    return r;
}

static const char *execfn_of(const vs_startstack_spec *spec)
{
    if (spec->execfn != NULL) {
        return spec->execfn;
    }
    return spec->argc > 0 ? spec->argv[0] : "";
}

/* Sum of the sizes of n strings (NUL included) into *total; the index of
 * the first NULL string, or n if none. Sizes cannot overflow 64 bits: they
 * are sizes of objects in memory. */
static size_t strings_size(const char *const *v, size_t n, uint64_t *total)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == NULL) {
            return i;
        }
        sum += str_size(v[i]);
    }
    *total = sum;
    return n;
}

vs_result vs_startstack_measure(const vs_startstack_spec *spec, vs_startstack_layout *out)
{
    if (out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (spec == NULL) {
        return fail(out, VS_ERR_INVALID_ARG, "spec is NULL", 0);
    }
    const vs_startstack_abi_info *abi = vs_startstack_abi(spec->arch);
    if (abi == NULL) {
        return fail(out, VS_ERR_INVALID_ARG, "unknown architecture", (uint64_t)spec->arch);
    }
    uint64_t word_max = abi->word_bytes == 8 ? UINT64_MAX : UINT32_MAX;
    uint64_t w = abi->word_bytes;
    if ((spec->argc > 0 && spec->argv == NULL) || (spec->envc > 0 && spec->envp == NULL) ||
        (spec->auxc > 0 && spec->auxv == NULL)) {
        return fail(out, VS_ERR_INVALID_ARG, "vector is NULL but its count is not 0", 0);
    }
    if (spec->stack_top == 0 || spec->stack_top - 1 > word_max) {
        return fail(out, VS_ERR_OUT_OF_RANGE, "stack top is 0 or beyond the word's reach", spec->stack_top);
    }
    if (spec->argc >= word_max) {
        return fail(out, VS_ERR_INVALID_ARG, "argc does not fit the word", spec->argc);
    }
    for (size_t i = 0; i < spec->auxc; i++) {
        uint64_t t = spec->auxv[i].type;
        if (t == VS_AT_NULL || t == VS_AT_RANDOM || t == VS_AT_EXECFN) {
            return fail(out, VS_ERR_INVALID_ARG, "auxv entry of a type the builder writes itself, at index", i);
        }
        if (t > word_max || spec->auxv[i].value > word_max) {
            return fail(out, VS_ERR_INVALID_ARG, "auxv entry does not fit the word, at index", i);
        }
    }
    uint64_t arg_bytes = 0;
    uint64_t env_bytes = 0;
    size_t bad = strings_size(spec->argv, spec->argc, &arg_bytes);
    if (bad != spec->argc) {
        return fail(out, VS_ERR_INVALID_ARG, "argv string is NULL, at index", bad);
    }
    bad = strings_size(spec->envp, spec->envc, &env_bytes);
    if (bad != spec->envc) {
        return fail(out, VS_ERR_INVALID_ARG, "envp string is NULL, at index", bad);
    }
    uint64_t exec_bytes = str_size(execfn_of(spec));

    /* Everything below is computed downwards from the top; each subtraction
     * is checked against running below 0. */
    uint64_t top = spec->stack_top;
    uint64_t need = exec_bytes + env_bytes + arg_bytes;
    if (need > top) {
        return fail(out, VS_ERR_OUT_OF_RANGE, "strings run below address 0; bytes needed", need);
    }
    out->execfn = top - exec_bytes;
    out->strings = top - need;
    uint64_t p = out->strings & ~(uint64_t)(VS_STARTSTACK_ALIGN - 1);
    if (p < VS_STARTSTACK_RANDOM) {
        return fail(out, VS_ERR_OUT_OF_RANGE, "random bytes run below address 0", p);
    }
    out->random = p - VS_STARTSTACK_RANDOM;
    out->auxc = spec->auxc + 3; /* + AT_RANDOM, AT_EXECFN, AT_NULL */
    uint64_t words = 1 + (spec->argc + 1) + (spec->envc + 1) + 2 * (uint64_t)out->auxc;
    if (words > out->random / w) {
        return fail(out, VS_ERR_OUT_OF_RANGE, "vectors run below address 0; words needed", words);
    }
    out->sp = (out->random - words * w) & ~(uint64_t)(VS_STARTSTACK_ALIGN - 1);
    out->argv = out->sp + w;
    out->envp = out->argv + (spec->argc + 1) * w;
    out->auxv = out->envp + (spec->envc + 1) * w;
    out->size = (size_t)(top - out->sp);
    return VS_OK;
}

static void put_word(uint8_t *at, uint64_t v, unsigned w)
{
    for (unsigned i = 0; i < w; i++) {
        at[i] = (uint8_t)(v >> (8 * i));
    }
}

vs_result vs_startstack_build(const vs_startstack_spec *spec, void *buf, size_t buf_size, vs_startstack_layout *out)
{
    vs_result r = vs_startstack_measure(spec, out);
    if (r != VS_OK) {
        return r;
    }
    if (buf == NULL || out->size > buf_size) {
        return fail(out, VS_ERR_NO_SPACE, "buffer smaller than the stack; bytes needed", out->size);
    }
    const unsigned w = vs_startstack_abi(spec->arch)->word_bytes;
    /* base: the target address of buf[0]. */
    const uint64_t base = spec->stack_top - buf_size;
    uint8_t *b = buf;
    memset(b + (out->sp - base), 0, out->size);

    uint8_t *vec = b + (out->sp - base);
    put_word(vec, spec->argc, w);
    vec += w;

    uint64_t s = out->strings;
    for (size_t i = 0; i < spec->argc; i++) {
        size_t n = str_size(spec->argv[i]);
        memcpy(b + (s - base), spec->argv[i], n);
        put_word(vec, s, w);
        vec += w;
        s += n;
    }
    vec += w; /* argv's terminating 0 */
    for (size_t i = 0; i < spec->envc; i++) {
        size_t n = str_size(spec->envp[i]);
        memcpy(b + (s - base), spec->envp[i], n);
        put_word(vec, s, w);
        vec += w;
        s += n;
    }
    vec += w; /* envp's terminating 0 */
    const char *execfn = execfn_of(spec);
    memcpy(b + (out->execfn - base), execfn, str_size(execfn));

    for (size_t i = 0; i < spec->auxc; i++) {
        put_word(vec, spec->auxv[i].type, w);
        put_word(vec + w, spec->auxv[i].value, w);
        vec += 2 * w;
    }
    put_word(vec, VS_AT_RANDOM, w);
    put_word(vec + w, out->random, w);
    vec += 2 * w;
    put_word(vec, VS_AT_EXECFN, w);
    put_word(vec + w, out->execfn, w);
    /* (AT_NULL, 0) is already zero. */

    memcpy(b + (out->random - base), spec->random, VS_STARTSTACK_RANDOM);
    return VS_OK;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void vs_startstack_random(uint64_t seed, uint8_t out[VS_STARTSTACK_RANDOM])
{
    uint64_t state = seed;
    for (unsigned half = 0; half < 2; half++) {
        uint64_t v = splitmix64(&state);
        for (unsigned i = 0; i < 8; i++) {
            out[half * 8 + i] = (uint8_t)(v >> (8 * i));
        }
    }
}

static vs_result get_word(const vs_startstack_view *v, vs_startstack_read_fn read, void *ctx, uint64_t addr,
                          uint64_t *value)
{
    uint8_t b[8];
    vs_result r = read(ctx, addr, b, v->word_bytes);
    if (r != VS_OK) {
        return r;
    }
    uint64_t x = 0;
    for (unsigned i = 0; i < v->word_bytes; i++) {
        x |= (uint64_t)b[i] << (8 * i);
    }
    *value = x;
    return VS_OK;
}

vs_result vs_startstack_word(const vs_startstack_view *view, vs_startstack_read_fn read, void *ctx, uint64_t vec,
                             uint64_t i, uint64_t *value)
{
    if (view == NULL || read == NULL || value == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    return get_word(view, read, ctx, vec + i * view->word_bytes, value);
}

static vs_result view_fail(vs_startstack_view *out, vs_result r, const char *why, uint64_t value)
{
    out->error = why;
    out->error_value = value;
    return r;
}

vs_result vs_startstack_decode(vs_arch_id arch, uint64_t sp, vs_startstack_read_fn read, void *ctx, uint64_t max_words,
                               vs_startstack_view *out)
{
    if (out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    const vs_startstack_abi_info *abi = vs_startstack_abi(arch);
    if (abi == NULL || read == NULL) {
        return view_fail(out, VS_ERR_INVALID_ARG, "unknown architecture or no read function", (uint64_t)arch);
    }
    out->word_bytes = abi->word_bytes;
    out->sp = sp;
    const uint64_t w = abi->word_bytes;
    uint64_t v = 0;
    vs_result r = get_word(out, read, ctx, sp, &out->argc);
    if (r != VS_OK) {
        return view_fail(out, r, "cannot read argc at", sp);
    }
    if (out->argc + 1 >= max_words) {
        return view_fail(out, VS_ERR_INCONSISTENT, "argc exceeds the words allowed", out->argc);
    }
    out->argv = sp + w;
    r = get_word(out, read, ctx, out->argv + out->argc * w, &v);
    if (r != VS_OK || v != 0) {
        return view_fail(out, r != VS_OK ? r : VS_ERR_INCONSISTENT, "argv[argc] is not 0 at",
                         out->argv + out->argc * w);
    }
    uint64_t used = 2 + out->argc;
    out->envp = out->argv + (out->argc + 1) * w;
    for (;;) {
        if (used >= max_words) {
            return view_fail(out, VS_ERR_INCONSISTENT, "no envp terminator within the words allowed", used);
        }
        r = get_word(out, read, ctx, out->envp + out->envc * w, &v);
        if (r != VS_OK) {
            return view_fail(out, r, "cannot read envp at", out->envp + out->envc * w);
        }
        used++;
        if (v == 0) {
            break;
        }
        out->envc++;
    }
    out->auxv = out->envp + (out->envc + 1) * w;
    for (;;) {
        if (used + 2 > max_words) {
            return view_fail(out, VS_ERR_INCONSISTENT, "no AT_NULL within the words allowed", used);
        }
        r = get_word(out, read, ctx, out->auxv + out->auxc * 2 * w, &v);
        if (r != VS_OK) {
            return view_fail(out, r, "cannot read auxv at", out->auxv + out->auxc * 2 * w);
        }
        used += 2;
        out->auxc++;
        if (v == VS_AT_NULL) {
            break;
        }
    }
    return VS_OK;
}

vs_result vs_startstack_string(vs_startstack_read_fn read, void *ctx, uint64_t addr, char *dst, size_t cap, size_t *len)
{
    if (read == NULL || dst == NULL || cap == 0 || len == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    size_t n = 0;
    while (n + 1 < cap) {
        char c;
        vs_result r = read(ctx, addr + n, &c, 1);
        if (r != VS_OK) {
            dst[n] = '\0';
            return r;
        }
        if (c == '\0') {
            dst[n] = '\0';
            *len = n;
            return VS_OK;
        }
        dst[n++] = c;
    }
    dst[n] = '\0';
    *len = n;
    return VS_ERR_NO_SPACE;
}
