/* What `vspace exec` does in its own process: builds the program's image
 * in its address space through vspace (Linux backend, ELF loader, start-up
 * stack builder), audits it if asked, and becomes the program. */
#define _GNU_SOURCE
#include "exec.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vs/linux_backend.h>
#include <vs/report.h>
#include <vs/startstack.h>

enum { PG = 4096, GUARD = PG };

static vs_addr round_up(vs_addr v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The lowest address Linux lets this process map (vm.mmap_min_addr), and
 * never page 0: where the kernel's exec could load a program, so can
 * vspace. */
static vs_addr min_addr(void)
{
    char buf[32] = "";
    int fd = open("/proc/sys/vm/mmap_min_addr", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) {
        close(fd);
    }
    buf[n > 0 ? n : 0] = '\0';
    vs_addr lo = round_up(strtoull(buf, NULL, 10), PG);
    return lo > PG ? lo : PG;
}

/* The image's page-aligned extent [*start, *end) at the layout's base. */
static void image_extent(const vs_elf_image *img, const exec_layout *l, vs_addr *start, vs_addr *end)
{
    *start = (img->load_min & ~(vs_addr)(PG - 1)) + l->base;
    *end = round_up(img->load_max, PG) + l->base;
}

static int below_floor(vs_addr start, vs_addr floor, char *msg, size_t len)
{
    snprintf(msg, len,
             "its segments start at %#llx, below %#llx, the lowest address this machine lets a process map "
             "(vm.mmap_min_addr)",
             (unsigned long long)start, (unsigned long long)floor);
    return 2;
}

int exec_plan_layout(const vs_elf_image *img, exec_layout *out, char *msg, size_t len)
{
    const vs_addr big = (vs_addr)2 << 20; /* the stack's frames are 2 MiB */
    memset(out, 0, sizeof *out);
    out->base = img->type == VS_ET_DYN ? round_up(EXEC_DYN_BASE, img->max_align) : 0;
    vs_addr start, end;
    image_extent(img, out, &start, &end);
    out->stack_size = EXEC_STACK_SIZE;
    out->stack_top = round_up(end + GUARD, big) + big + out->stack_size;
    out->lo = start & ~(big - 1);
    out->hi = out->stack_top;
    /* The floor is read (a /proc file: ~0.02x of an exec) only where it
     * can clip the range; above 2 MiB a floor set higher still makes the
     * window's placeholder fail, and place_window then starts the range
     * at the floor (or says the image lies below it). */
    if (out->lo < big) {
        vs_addr floor = min_addr();
        if (start < floor) {
            return below_floor(start, floor, msg, len);
        }
        out->lo = out->lo < floor ? floor : out->lo;
    }
    return 0;
}

/* Names in msg the first mapping of this process that lies in the
 * layout's range (why the window's placeholder could not be placed), or
 * why the maps could not be read; leaves msg as it was if none does. */
static void explain_clash(const vs_elf_image *img, const exec_layout *l, char *msg, size_t len)
{
    vs_addr start, end;
    image_extent(img, l, &start, &end);
    vs_linux_maps maps;
    int e = vs_linux_maps_read(NULL, 0, &maps);
    if (e != 0) {
        snprintf(msg, len, "cannot read /proc/self/maps: %s", strerror(e));
        return;
    }
    for (size_t i = 0; i < maps.count; i++) {
        const vs_linux_vma *v = &maps.vma[i];
        if (v->end <= l->lo || v->start >= l->hi) {
            continue;
        }
        int image = v->end > start && v->start < end;
        snprintf(msg, len,
                 "%s [%#llx, %#llx) clash%s with vspace's own mapping [%#llx, %#llx) %s: vspace exec cannot load it "
                 "there",
                 image ? "its segments" : "the range for its segments and stack",
                 (unsigned long long)(image ? start : l->lo), (unsigned long long)(image ? end : l->hi),
                 image ? "" : "es", (unsigned long long)v->start, (unsigned long long)v->end,
                 v->path[0] ? v->path : "(anonymous)");
        break;
    }
    vs_linux_maps_free(&maps);
}

/* ---- bookkeeping memory ---- */

static void *mem_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void mem_free(void *ctx, void *p, size_t size)
{
    (void)ctx, (void)size;
    free(p);
}

/* ---- the start-up stack ---- */

static size_t host_auxv(vs_auxv_entry *aux, size_t n, const vs_elf_plan *plan)
{
    const struct {
        uint64_t type, value;
    } fixed[] = {
        {VS_AT_PHDR, plan->phdr},
        {VS_AT_PHENT, plan->phent},
        {VS_AT_PHNUM, plan->phnum},
        {VS_AT_PAGESZ, PG},
        {VS_AT_BASE, 0},
        {VS_AT_FLAGS, 0},
        {VS_AT_ENTRY, plan->entry},
        /* The ids the kernel gave vspace at its own exec: vspace never
         * changes them, so they are the program's too, without four
         * system calls. */
        {VS_AT_UID, getauxval(AT_UID)},
        {VS_AT_EUID, getauxval(AT_EUID)},
        {VS_AT_GID, getauxval(AT_GID)},
        {VS_AT_EGID, getauxval(AT_EGID)},
        {VS_AT_SECURE, 0},
        {VS_AT_CLKTCK, getauxval(AT_CLKTCK)},
        {VS_AT_HWCAP, getauxval(AT_HWCAP)},
        {VS_AT_HWCAP2, getauxval(AT_HWCAP2)},
        /* The vDSO the kernel mapped into this process stays where it is
         * (it lies above the range vspace manages), so the program may use it. */
        {VS_AT_SYSINFO_EHDR, getauxval(AT_SYSINFO_EHDR)},
        {VS_AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ)},
    };
    size_t k = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && k < n; i++) {
        int optional =
            fixed[i].type == VS_AT_SYSINFO_EHDR || fixed[i].type == VS_AT_MINSIGSTKSZ || fixed[i].type == VS_AT_HWCAP2;
        if (optional && fixed[i].value == 0) {
            continue;
        }
        aux[k++] = (vs_auxv_entry){fixed[i].type, fixed[i].value};
    }
    return k;
}

/* Lays out the start-up stack and writes it into the stack's frames. */
static int write_stack(const exec_request *rq, vs_space *vs, vs_linux *be, const vs_elf_plan *plan,
                       vs_startstack_layout *out)
{
    vs_auxv_entry aux[24];
    vs_startstack_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.arch = VS_ARCH_X86_64;
    spec.stack_top = rq->layout.stack_top;
    spec.argv = (const char *const *)rq->argv;
    spec.argc = rq->argc;
    spec.envp = (const char *const *)rq->envp;
    spec.envc = rq->envc;
    spec.auxv = aux;
    spec.auxc = host_auxv(aux, sizeof aux / sizeof aux[0], plan);
    spec.execfn = rq->path;
    if (getrandom(spec.random, sizeof spec.random, 0) != (ssize_t)sizeof spec.random) {
        vs_startstack_random((uint64_t)getpid() ^ (uint64_t)(uintptr_t)&spec, spec.random);
    }
    vs_startstack_layout lay;
    vs_result r = vs_startstack_measure(&spec, &lay);
    size_t size = r == VS_OK ? round_up(lay.size, PG) : 0;
    if (r == VS_OK && size > rq->layout.stack_size / 2) {
        r = VS_ERR_NO_SPACE;
        lay.error = "arguments and environment take more than half the stack";
    }
    uint8_t *buf = r == VS_OK ? calloc(1, size) : NULL;
    if (r == VS_OK && buf == NULL) {
        r = VS_ERR_NO_MEMORY;
        lay.error = "no memory for the start-up stack";
    }
    if (r == VS_OK) {
        r = vs_startstack_build(&spec, buf, size, &lay);
    }
    if (r != VS_OK) {
        fprintf(stderr, "vspace exec: %s: start-up stack: %s (%s)\n", rq->path, lay.error ? lay.error : "",
                vs_result_name(r));
        free(buf);
        return 2;
    }
    /* buf stands for [stack_top - size, stack_top); each page goes into
     * the frame mapped there, written through the memfd (the physmap is
     * never touched: its teardown would cost more than the write). */
    for (size_t off = 0; off < size; off += PG) {
        vs_page p;
        vs_addr va = rq->layout.stack_top - size + off;
        int mapped = vs_lookup(vs, va, &p) == VS_OK && p.state == VS_PAGE_MAPPED;
        if (!mapped || vs_linux_frame_write(be, p.cap, va - p.page_vaddr, buf + off, PG) != 0) {
            fprintf(stderr, "vspace exec: %s: stack page %#llx: %s\n", rq->path, (unsigned long long)va,
                    mapped ? vs_linux_last_error(be) : "not mapped");
            free(buf);
            return 2;
        }
    }
    free(buf);
    *out = lay;
    return 0;
}

/* ---- the audit ---- */

static int audit(const exec_request *rq, vs_space *vs, vs_linux *be, vs_addr entry)
{
    vs_linux_maps maps;
    int e = vs_linux_maps_read(be, 0, &maps);
    if (e != 0) {
        fprintf(stderr, "vspace exec: --audit: cannot read /proc/self/maps: %s\n", strerror(e));
        return 2;
    }
    vs_linux_use_maps(be, &maps); /* every page against one consistent view */
    vs_audit_result res;
    memset(&res, 0, sizeof res);
    vs_result r = vs_audit_collect(vs, &res);
    vs_linux_use_maps(be, NULL);
    printf("vspace exec: %s (pid %d), before the jump to %#llx; kernel view: /proc/%d/maps\n", rq->path, (int)getpid(),
           (unsigned long long)entry, (int)getpid());
    vs_report_text(stdout, vs, &res);
    vs_audit_result_free(&res);
    vs_linux_maps_free(&maps);
    /* A report nobody can read must not let the program run as if it
     * had been audited: the same exit 2 as spawn's and inspect's. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vspace exec: --audit: cannot write the report to standard output: %s\n", strerror(errno));
        clearerr(stdout); /* said here: the exit-time check of stdout need not say it again */
        return 2;
    }
    return r == VS_OK ? 0 : r == VS_ERR_INCONSISTENT ? 1 : 2;
}

/* ---- becoming the program ---- */

/* The kernel keeps writing to the restartable-sequences area glibc
 * registered for this thread; the program registers its own. */
static void rseq_unregister(void)
{
#ifdef SYS_rseq
    extern const ptrdiff_t __rseq_offset __attribute__((weak));
    extern const unsigned int __rseq_size __attribute__((weak));
    if (&__rseq_size == NULL || __rseq_size == 0) {
        return;
    }
    char *tp = NULL;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    const unsigned sig = 0x53053053u; /* RSEQ_SIG on x86 */
    /* glibc registers at least 32 bytes (struct rseq), more if __rseq_size says so. */
    unsigned registered = __rseq_size < 32 ? 32 : __rseq_size;
    if (syscall(SYS_rseq, tp + __rseq_offset, registered, 1 /* RSEQ_FLAG_UNREGISTER */, sig) != 0) {
        syscall(SYS_rseq, tp + __rseq_offset, __rseq_size, 1, sig);
    }
#endif
}

/* What exec does to signals: handlers go back to the default action
 * (ignored signals stay ignored, the mask stays), no alternate stack.
 * vspace's own code installs no handler and exec reset the caught ones
 * when vspace started, so only a sanitizer runtime (ASan, UBSan: SIGSEGV,
 * SIGBUS, ...) can have left one: only such a build reads every handler
 * back (64 system calls, ~0.03x of a direct `busybox true` run). */
static void reset_signals(void)
{
#ifdef VSPACE_CLI_RUNTIME_SIGNAL_HANDLERS
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL) {
            signal(sig, SIG_DFL);
        }
    }
#endif
    stack_t none = {.ss_flags = SS_DISABLE};
    sigaltstack(&none, NULL);
}

/* The last steps run from a copy of this trampoline in an anonymous page,
 * because they unmap vspace's own image: with the image gone the kernel
 * lets PR_SET_MM_MAP make the process's record of itself the program's --
 * /proc/self/exe (busybox re-executes itself through it), the code, data
 * and brk bounds, /proc/PID/cmdline and environ, /proc/PID/auxv. That call
 * needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN; without it vspace's image
 * stays and those records name vspace (make_trampoline asks first).
 *
 * rdi points at a tramp_params block. Then process entry as the x86_64
 * psABI (3.4.1) says: %rsp the start-up stack (16-byte aligned, argc at
 * it), %rdx 0 (no function for atexit), the other general registers
 * cleared, DF clear, MXCSR and the x87 control word at their initial
 * values. The entry address is pushed below the new stack and reached with
 * ret, so every register can be cleared first. System call errors are
 * ignored there: nobody is left to tell. */
typedef struct tramp_params {
    uint64_t nranges; /* ranges of vspace's image to unmap */
    uint64_t exe_fd;  /* the program's file (closed after the call), or -1 */
    uint64_t entry;
    uint64_t sp;
    struct prctl_mm_map map; /* offset 32; 104 bytes */
    uint64_t ranges[][2];    /* offset 136: start, length */
} tramp_params;

_Static_assert(offsetof(tramp_params, map) == 32 && sizeof(struct prctl_mm_map) == 104 &&
                   offsetof(tramp_params, ranges) == 136,
               "the trampoline's offsets");

__asm__(".text\n"
        ".globl vs_exec_tramp_start\n"
        ".hidden vs_exec_tramp_start\n"
        "vs_exec_tramp_start:\n"
        "    mov %rdi, %r12\n"
        "    mov 0(%r12), %r13\n"
        "    lea 136(%r12), %r14\n"
        "1:  test %r13, %r13\n"
        "    jz 2f\n"
        "    mov $11, %eax\n" /* munmap(start, length) */
        "    mov 0(%r14), %rdi\n"
        "    mov 8(%r14), %rsi\n"
        "    syscall\n"
        "    add $16, %r14\n"
        "    dec %r13\n"
        "    jmp 1b\n"
        "2:  cmpq $0, 0(%r12)\n"
        "    je 3f\n"
        "    mov $157, %eax\n" /* prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) */
        "    mov $35, %edi\n"
        "    mov $14, %esi\n"
        "    lea 32(%r12), %rdx\n"
        "    mov $104, %r10d\n"
        "    xor %r8d, %r8d\n"
        "    syscall\n"
        "3:  mov $3, %eax\n" /* close(exe_fd) */
        "    mov 8(%r12), %rdi\n"
        "    syscall\n"
        "    mov 16(%r12), %rsi\n"
        "    mov 24(%r12), %rsp\n"
        "    push %rsi\n"
        "    push $0x1f80\n"
        "    ldmxcsr (%rsp)\n"
        "    add $8, %rsp\n"
        "    fninit\n"
        "    cld\n"
        "    xor %eax, %eax\n"
        "    xor %ebx, %ebx\n"
        "    xor %ecx, %ecx\n"
        "    xor %edx, %edx\n"
        "    xor %esi, %esi\n"
        "    xor %edi, %edi\n"
        "    xor %ebp, %ebp\n"
        "    xor %r8d, %r8d\n"
        "    xor %r9d, %r9d\n"
        "    xor %r10d, %r10d\n"
        "    xor %r11d, %r11d\n"
        "    xor %r12d, %r12d\n"
        "    xor %r13d, %r13d\n"
        "    xor %r14d, %r14d\n"
        "    xor %r15d, %r15d\n"
        "    ret\n"
        ".globl vs_exec_tramp_end\n"
        ".hidden vs_exec_tramp_end\n"
        "vs_exec_tramp_end:\n");

extern const char vs_exec_tramp_start[];
extern const char vs_exec_tramp_end[];

/* The trampoline's mapping: its code, then its parameters (at most
 * TRAMP_RANGES ranges of vspace's image: one per PT_LOAD, adjacent ones
 * merged), then the copy of the program's argument and environment
 * strings (strings_copy), rounded up to whole pages. */
enum { TRAMP_PARAMS = 1024, TRAMP_RANGES = 32, PAGE_BYTES = 4096 };
#define TRAMP_STRINGS (TRAMP_PARAMS + sizeof(tramp_params) + TRAMP_RANGES * sizeof(uint64_t[2]))

typedef struct own_ranges {
    tramp_params *tp;
    uint64_t max;
} own_ranges;

/* The first object dl_iterate_phdr reports is vspace's own executable. */
static int list_own_image(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    own_ranges *o = ctx;
    for (size_t i = 0; i < info->dlpi_phnum && o->tp->nranges < o->max; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) {
            continue;
        }
        uint64_t start = (info->dlpi_addr + ph->p_vaddr) & ~(uint64_t)(PG - 1);
        uint64_t end = round_up(info->dlpi_addr + ph->p_vaddr + ph->p_memsz, PG);
        uint64_t(*last)[2] = o->tp->nranges > 0 ? &o->tp->ranges[o->tp->nranges - 1] : NULL;
        if (last != NULL && (*last)[0] + (*last)[1] == start) {
            (*last)[1] += end - start; /* adjacent segments: one munmap (each costs a TLB flush) */
            continue;
        }
        o->tp->ranges[o->tp->nranges][0] = start;
        o->tp->ranges[o->tp->nranges][1] = end - start;
        o->tp->nranges++;
    }
    return 1;
}

/* Lists the ranges vspace's own image occupies (its PT_LOAD segments, as
 * the kernel mapped them) in tp, at most max; no /proc read. */
static void own_image(tramp_params *tp, uint64_t max)
{
    own_ranges o = {tp, max};
    tp->nranges = 0;
    dl_iterate_phdr(list_own_image, &o);
}

/* The kernel's record of the program, as exec would have made it. */
static void mm_map(const exec_request *rq, const vs_elf_plan *plan, const vs_startstack_layout *lay,
                   struct prctl_mm_map *m)
{
    memset(m, 0, sizeof *m);
    m->start_code = m->start_data = UINT64_MAX;
    for (size_t i = 0; i < plan->num_regions; i++) {
        const vs_elf_region *r = &plan->regions[i];
        if (r->rights & VS_RIGHT_EXEC) {
            m->start_code = r->start < m->start_code ? r->start : m->start_code;
            m->end_code = r->end > m->end_code ? r->end : m->end_code;
        } else if (r->rights & VS_RIGHT_WRITE) {
            m->start_data = r->start < m->start_data ? r->start : m->start_data;
            m->end_data = r->end > m->end_data ? r->end : m->end_data;
        }
    }
    if (m->start_code == UINT64_MAX) {
        m->start_code = plan->lo, m->end_code = plan->hi;
    }
    if (m->start_data == UINT64_MAX) {
        m->start_data = m->end_data = m->end_code;
    }
    m->start_stack = lay->sp;
    m->arg_start = m->arg_end = lay->strings;
    for (size_t i = 0; i < rq->argc; i++) {
        m->arg_end += strlen(rq->argv[i]) + 1;
    }
    m->env_start = m->env_end = m->arg_end;
    for (size_t i = 0; i < rq->envc; i++) {
        m->env_end += strlen(rq->envp[i]) + 1;
    }
    m->auxv = (void *)(uintptr_t)lay->auxv; /* __u64 * in glibc, uint64_t * in musl */
    m->auxv_size = (uint32_t)(lay->auxc * 16);
    m->exe_fd = (uint32_t)-1;
}

/* /proc/PID/cmdline and environ: the kernel reads [arg_start, env_end)
 * only from anonymous memory (FOLL_ANON), and the start-up stack is memfd
 * frames. The kernel's record points at a copy of the same strings at p
 * instead, in the trampoline's mapping: anonymous memory that stays where
 * it is, outside the managed range, after vspace's image and heap are gone
 * (the program's argv and envp still point into its stack). The copy
 * shares the trampoline's mmap: each costs ~0.01x of an exec. */
static void strings_copy(const exec_request *rq, struct prctl_mm_map *m, char *p)
{
    char *q = p;
    for (size_t i = 0; i < rq->argc; i++) {
        size_t n = strlen(rq->argv[i]) + 1;
        memcpy(q, rq->argv[i], n);
        q += n;
    }
    for (size_t i = 0; i < rq->envc; i++) {
        size_t n = strlen(rq->envp[i]) + 1;
        memcpy(q, rq->envp[i], n);
        q += n;
    }
    uint64_t base = (uint64_t)(uintptr_t)p;
    m->arg_end = base + (m->arg_end - m->arg_start);
    m->env_start = base + (m->env_start - m->arg_start);
    m->env_end = base + (m->env_end - m->arg_start);
    m->arg_start = base;
}

/* Whether the kernel will let this process set its record of itself
 * (PR_SET_MM_MAP): CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in its
 * effective set. Asked with capget instead of a probing PR_SET_MM_MAP,
 * which costs ~0.03x of a direct `busybox true` run on the reference VM.
 * The values themselves are not checked in advance: if the trampoline's
 * call still fails (the kernel finds one invalid, or a security module
 * refuses), the program runs with vspace's record, as without the
 * capability, but vspace's image is gone already. */
static int may_set_mm_map(void)
{
    /* capget(2)'s version-3 ABI, spelled out here: musl's headers do not
     * carry <linux/capability.h>. */
    enum { CAPS_VERSION_3 = 0x20080522, CAP_SYS_ADMIN_BIT = 21, CAP_CHECKPOINT_RESTORE_BIT = 40 };
    struct {
        uint32_t version;
        int pid;
    } head = {CAPS_VERSION_3, 0};
    struct {
        uint32_t effective, permitted, inheritable;
    } data[2];
    if (syscall(SYS_capget, &head, data) != 0) {
        return 0;
    }
    const unsigned wanted[] = {CAP_CHECKPOINT_RESTORE_BIT, CAP_SYS_ADMIN_BIT};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (data[wanted[i] / 32].effective & (UINT32_C(1) << (wanted[i] % 32))) {
            return 1;
        }
    }
    return 0;
}

/* Makes the trampoline's mapping with its parameters (the kernel record,
 * and whether vspace's image goes); NULL after saying why if it cannot.
 * Changes nothing else, so a failure here still leaves vspace as it was. */
static tramp_params *make_trampoline(const exec_request *rq, const vs_elf_plan *plan, const vs_startstack_layout *lay)
{
    size_t code = (size_t)(vs_exec_tramp_end - vs_exec_tramp_start);
    struct prctl_mm_map record;
    mm_map(rq, plan, lay, &record);
    size_t strings = (size_t)(record.env_end - record.arg_start);
    size_t size = (TRAMP_STRINGS + strings + PAGE_BYTES - 1) & ~(size_t)(PAGE_BYTES - 1);
    uint8_t *page = code <= TRAMP_PARAMS && strings < (size_t)1 << 30
                        ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                        : MAP_FAILED;
    if (page == MAP_FAILED) {
        fprintf(stderr, "vspace exec: %s: no memory for the entry trampoline\n", rq->path);
        return NULL;
    }
    memcpy(page, vs_exec_tramp_start, code);
    tramp_params *tp = (tramp_params *)(page + TRAMP_PARAMS);
    tp->entry = plan->entry;
    tp->sp = lay->sp;
    tp->exe_fd = (uint64_t)-1;
    tp->nranges = 0;
    tp->map = record;
    /* The program's heap starts at the current break, as a fresh one
     * would after exec. */
    tp->map.brk = (uint64_t)(uintptr_t)sbrk(0);
    tp->map.start_brk = tp->map.brk;
    /* Without the capability vspace's image and the kernel's record stay
     * as they are (and so do the strings the record points at). The
     * program's file is the descriptor it was parsed from: the trampoline
     * closes it after the call. */
    tp->map.exe_fd = (uint32_t)rq->file_fd;
    if (may_set_mm_map()) {
        strings_copy(rq, &tp->map, (char *)page + TRAMP_STRINGS);
        tp->exe_fd = (uint64_t)rq->file_fd;
        own_image(tp, TRAMP_RANGES);
    }
    if (mprotect(page, size, PROT_READ | PROT_EXEC) != 0) {
        fprintf(stderr, "vspace exec: %s: entry trampoline: %s\n", rq->path, strerror(errno));
        munmap(page, size);
        return NULL;
    }
    return tp;
}

/* Becomes the program: what exec does to the process beyond the address
 * space, then the trampoline. Never returns. */
static _Noreturn void become(const exec_request *rq, vs_linux *be, tramp_params *tp)
{
    const char *base = strrchr(rq->path, '/');
    prctl(PR_SET_NAME, base != NULL ? base + 1 : rq->path, 0, 0, 0);
    vs_linux_detach(be);
    /* The parsed file's mapping and (unless the trampoline takes it) its
     * descriptor go, so the program inherits neither. */
    munmap((void *)(uintptr_t)rq->img->data, rq->img->size);
    if (tp->exe_fd == (uint64_t)-1) {
        close(rq->file_fd);
    }
    fflush(NULL);
    reset_signals();
    rseq_unregister();
    void (*tramp)(tramp_params *) = (void (*)(tramp_params *))(uintptr_t)((uint8_t *)tp - TRAMP_PARAMS);
    tramp(tp);
    abort(); /* not reached: the trampoline never returns */
}

/* A load that cannot go on: says why, removes everything made so far
 * (the window, frames, bookkeeping) and returns rc. */
static int give_up(const exec_request *rq, vs_space *vs, vs_linux *be, int rc, const char *what, const char *why)
{
    if (what != NULL) {
        fprintf(stderr, "vspace exec: %s: %s: %s\n", rq->path, what, why);
    }
    if (vs != NULL) {
        vs_destroy(vs, VS_DESTROY_FREE_CALLER_FRAMES, NULL);
    }
    vs_linux_destroy(be);
    return rc;
}

/* The window's placeholder over the layout's range. Refused for lying
 * below vm.mmap_min_addr (read only now, exec_plan_layout) while the image
 * does not, the range starts at the floor instead. On failure msg names
 * the cause where vspace can (the image below the floor, or vspace's own
 * mapping in the range), else it is "". */
static int place_window(vs_linux *be, const vs_elf_image *img, exec_layout *layout, vs_cap *root, char *msg, size_t len)
{
    msg[0] = '\0';
    /* Unheld until the image and the stack are mapped (exec_image_run):
     * then only the gaps between them get a placeholder, and no mapping
     * splits one on the way (~15 µs an exec). */
    const int where = VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD;
    int e = vs_linux_root_create(be, layout->lo, layout->hi, 0, where, root);
    if (e == EPERM) {
        vs_addr start, end, floor = min_addr();
        image_extent(img, layout, &start, &end);
        if (start < floor) {
            below_floor(start, floor, msg, len);
            return e;
        }
        if (layout->lo < floor) {
            layout->lo = floor;
            e = vs_linux_root_create(be, layout->lo, layout->hi, 0, where, root);
        }
    }
    if (e == EEXIST) {
        explain_clash(img, layout, msg, len);
    }
    return e;
}

/* A step after place_window that failed: the window is unheld until the
 * stack is mapped, so something of vspace's own in the range makes a
 * mapping (or the hold) fail with EEXIST instead of being replaced; that
 * is said as place_window says it (clash true), anything else as what:
 * why. For a clash the program's pages go first, so that the mapping
 * named is the one in the way, not the program's own. */
static int step_failed(const exec_request *rq, vs_space *vs, vs_linux *be, int clash, const char *what, const char *why)
{
    char reason[256];
    snprintf(reason, sizeof reason, "%s", why != NULL ? why : ""); /* why may live in vs */
    char msg[512] = "";
    if (clash) {
        vs_destroy(vs, VS_DESTROY_FREE_CALLER_FRAMES, NULL);
        vs = NULL;
        explain_clash(rq->img, &rq->layout, msg, sizeof msg);
    }
    if (msg[0] != '\0') {
        fprintf(stderr, "vspace exec: %s: %s\n", rq->path, msg);
        return give_up(rq, vs, be, 2, NULL, NULL);
    }
    return give_up(rq, vs, be, 2, what, reason);
}

int exec_image_run(const exec_request *rq)
{
    exec_request req = *rq; /* its range may start higher (place_window) */
    rq = &req;
    const vs_arch *arch = vs_arch_get(VS_ARCH_X86_64);
    vs_linux_config cfg = {arch, 1ull << 30, 1};
    vs_linux *be = NULL;
    int e = vs_linux_create(&cfg, &be);
    if (e != 0) {
        fprintf(stderr, "vspace exec: %s: Linux backend: %s\n", rq->path, strerror(e));
        return 2;
    }
    if (vs_linux_set_file(be, rq->file_fd) != 0) {
        return give_up(rq, NULL, be, 2, "image file", vs_linux_last_error(be));
    }
    vs_cap root = 0;
    char msg[512];
    e = place_window(be, rq->img, &req.layout, &root, msg, sizeof msg);
    if (e != 0 && msg[0] != '\0') {
        fprintf(stderr, "vspace exec: %s: %s\n", rq->path, msg);
        return give_up(rq, NULL, be, 2, NULL, NULL);
    }
    if (e != 0) {
        return give_up(rq, NULL, be, 2, "managed range", vs_linux_last_error(be));
    }
    vs_config vc = {arch, {mem_alloc, mem_free, NULL}, vs_linux_kernel(be), root, rq->layout.lo, rq->layout.hi};
    vs_space *vs = NULL;
    vs_result r = vs_create(&vc, &vs);
    if (r != VS_OK) {
        return give_up(rq, NULL, be, 2, "vs_create", vs_strerror(r));
    }
    /* FILE_SLACK: the pages a segment shares in the file with its
     * neighbour show the neighbour's bytes, as after the kernel's exec,
     * and so can be the file's own pages instead of copies (busybox: two
     * mmaps and two pwrites fewer). */
    vs_elf_load_opts lo = {VS_ELF_LOAD_FILE_SLACK | (rq->img->type == VS_ET_DYN ? VS_ELF_LOAD_BASE_GIVEN : 0u),
                           rq->layout.base};
    vs_frame_access fa = vs_linux_frame_access(be);
    static vs_elf_loaded loaded; /* large: keep it off the stack */
    vs_elf_diag diag;
    vs_elf_error ee = vs_elf_load(vs, rq->img, &lo, &fa, &loaded, &diag);
    if (ee != VS_ELF_OK) {
        return step_failed(rq, vs, be, vs_last_kernel_error(vs) == EEXIST, "loading", diag.message);
    }
    vs_attrs sa = {"stack", (uint8_t)(VS_RIGHT_READ | VS_RIGHT_WRITE | (loaded.stack_exec ? VS_RIGHT_EXEC : 0)),
                   VS_CACHE_DEFAULT};
    vs_addr stack_base = rq->layout.stack_top - rq->layout.stack_size;
    r = vs_reserve_at(vs, stack_base - GUARD, rq->layout.stack_size + GUARD, &sa, NULL);
    if (r == VS_OK) {
        /* 2 MiB frames: four calls to the kernel instead of 2048 (the
         * range is 2 MiB aligned; memory is still only what is touched). */
        r = vs_map_new(vs, stack_base, rq->layout.stack_size >> 21, 21);
    }
    if (r != VS_OK) {
        return step_failed(rq, vs, be, vs_last_kernel_error(vs) == EEXIST, "stack", vs_last_error(vs)->reason);
    }
    e = vs_linux_root_hold(be, root);
    if (e != 0) {
        return step_failed(rq, vs, be, e == EEXIST, "holding the unmapped part of the range", vs_linux_last_error(be));
    }
    vs_startstack_layout lay;
    if (write_stack(rq, vs, be, &loaded.plan, &lay) != 0) {
        return give_up(rq, vs, be, 2, NULL, NULL);
    }
    if (rq->audit) {
        int rc = audit(rq, vs, be, loaded.plan.entry);
        if (rc != 0) {
            return give_up(rq, vs, be, rc, NULL, NULL);
        }
    }
    tramp_params *tp = make_trampoline(rq, &loaded.plan, &lay);
    if (tp == NULL) {
        return give_up(rq, vs, be, 2, NULL, NULL);
    }
    become(rq, be, tp);
}
