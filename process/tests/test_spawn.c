/* Spawning real static images on the simulated seL4 of one architecture
 * (argv[1]), test images from argv[2]: the child's start-up stack read back
 * through the MMU walk and decoded, checked against the psABI, against what
 * was passed and against the ELF file itself; registers read back from the
 * TCB; the child's CSpace; the three counts of mapped pages (reservations,
 * shadow, kernel page tables) equal; every mapped page in a named
 * reservation; the stack's guard page; large pages and the top of the user
 * range; all-or-nothing under injected failures of every allocation and
 * kernel call; destroy returning every slot, object, untyped byte and byte
 * of bookkeeping, 1000 times over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vs/audit.h>
#include <vs/process.h>

#include "be_fixture.h"

typedef struct tenv {
    be_fx fx;
    vs_sel4_frame_access *fa;
    vs_frame_access fai;
    vs_spawn_env se;
} tenv;

static const vs_sel4_window_ops sim_window = {sel4sim_vs_window_open, sel4sim_vs_window_close, sel4sim_vs_window_span};

static void up(tenv *t, vs_arch_id arch)
{
    be_fx_init(&t->fx, arch, 256ull << 20);
    vs_result r =
        vs_sel4_frame_access_create(t->fx.be, t->fx.root_vs, talloc_allocator(&t->fx.ta), &sim_window, NULL, 0, &t->fa);
    if (r != VS_OK) {
        fprintf(stderr, "FATAL: frame access: %s\n", vs_result_name(r));
        exit(2);
    }
    t->fai = vs_sel4_frame_access_get(t->fa);
    t->se = (vs_spawn_env){t->fx.be, t->fx.root_vs, talloc_allocator(&t->fx.ta), &t->fai};
}

static void down(tenv *t)
{
    vs_sel4_frame_access_destroy(t->fa);
    be_fx_fini(&t->fx);
}

typedef struct blob {
    uint8_t *data;
    size_t size;
} blob;

static blob load_file(const char *path)
{
    blob b = {0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return b;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = malloc((size_t)n);
    if (b.data != NULL && fread(b.data, 1, (size_t)n, f) == (size_t)n) {
        b.size = (size_t)n;
    }
    fclose(f);
    return b;
}

/* The test's own reading of the ELF header (gABI field offsets), as the
 * oracle for AT_ENTRY, AT_PHDR's bytes, AT_PHENT and AT_PHNUM. */
typedef struct elf_facts {
    int is64;
    uint64_t entry, phoff;
    unsigned phentsize, phnum;
} elf_facts;

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static elf_facts elf_header(const blob *b)
{
    elf_facts f = {0};
    f.is64 = b->data[4] == 2;
    if (f.is64) {
        f.entry = le(b->data + 24, 8);
        f.phoff = le(b->data + 32, 8);
        f.phentsize = (unsigned)le(b->data + 54, 2);
        f.phnum = (unsigned)le(b->data + 56, 2);
    } else {
        f.entry = le(b->data + 24, 4);
        f.phoff = le(b->data + 28, 4);
        f.phentsize = (unsigned)le(b->data + 42, 2);
        f.phnum = (unsigned)le(b->data + 44, 2);
    }
    return f;
}

/* ---- reading the child */

static vs_result child_read(void *ctx, uint64_t addr, void *dst, size_t len)
{
    const vs_cap *root = ctx;
    return sel4sim_vs_read(*root, addr, dst, len) == 0 ? VS_OK : VS_ERR_NOT_MAPPED;
}

static uint64_t aux_value(const vs_startstack_view *v, vs_cap *root, uint64_t type, int *found)
{
    *found = 0;
    for (uint64_t i = 0; i + 1 < v->auxc; i++) {
        uint64_t t = 0, val = 0;
        vs_startstack_word(v, child_read, root, v->auxv, 2 * i, &t);
        vs_startstack_word(v, child_read, root, v->auxv, 2 * i + 1, &val);
        if (t == type) {
            *found = 1;
            return val;
        }
    }
    return 0;
}

static uint64_t aux_must(const vs_startstack_view *v, vs_cap *root, uint64_t type)
{
    int found = 0;
    uint64_t val = aux_value(v, root, type, &found);
    if (!found) {
        test_fail(__FILE__, __LINE__, "auxv has no %s", vs_auxv_name(type));
    }
    return val;
}

static void check_strings(const vs_startstack_view *v, vs_cap *root, uint64_t vec, const char *const *want, size_t n)
{
    static char got[1 << 17];
    for (size_t i = 0; i < n; i++) {
        uint64_t p = 0;
        size_t len = 0;
        CHECK_RES(vs_startstack_word(v, child_read, root, vec, i, &p), VS_OK);
        CHECK_RES(vs_startstack_string(child_read, root, p, got, sizeof got, &len), VS_OK);
        if (strcmp(got, want[i]) != 0) {
            test_fail(__FILE__, __LINE__, "string %zu reads \"%.40s\" (len %zu), expected \"%.40s\" (len %zu)", i, got,
                      len, want[i], strlen(want[i]));
        }
    }
}

/* The entry registers each psABI names, read back from the TCB. */
static void check_registers(const vs_process_info *info)
{
    seL4_UserContext r;
    memset(&r, 0xa5, sizeof r);
    CHECK_EQ_U(seL4_TCB_ReadRegisters(info->tcb, 0, 0, sizeof r / sizeof(seL4_Word), &r), seL4_NoError);
    seL4_Word pc, sp, atexit;
    switch (info->arch) {
    case VS_ARCH_X86_64:
        pc = r.rip, sp = r.rsp, atexit = r.rdx;
        break;
    case VS_ARCH_IA32:
        pc = r.eip, sp = r.esp, atexit = r.edx;
        break;
    case VS_ARCH_AARCH32:
        pc = r.pc, sp = r.sp, atexit = r.r0;
        break;
    case VS_ARCH_AARCH64:
        pc = r.pc, sp = r.sp, atexit = r.x0;
        break;
    default:
        pc = r.pc, sp = r.sp, atexit = r.a0;
        break;
    }
    CHECK_EQ_U(pc, info->entry);
    CHECK_EQ_U(sp, info->sp);
    CHECK_EQ_U(atexit, 0);
}

/* ---- the three counts and names */

typedef struct names_ctx {
    const vs_space *vs;
    int unnamed_with_pages;
    int have_stack, have_ipc, have_text, have_kernel;
    const vs_arch *arch;
} names_ctx;

static int visit_res(void *ctx, const vs_reservation *res)
{
    names_ctx *n = ctx;
    vs_reservation_info i;
    vs_reservation_get_info(n->vs, res, &i);
    if (i.mapped_pages > 0 && i.name[0] == '\0') {
        n->unnamed_with_pages++;
    }
    n->have_stack += strcmp(i.name, "stack") == 0;
    n->have_ipc += strcmp(i.name, "ipc-buffer") == 0;
    if (strcmp(i.name, "kernel") == 0) {
        n->have_kernel++;
        CHECK_EQ_U(i.start, n->arch->user_end);
        CHECK_EQ_U(i.end, n->arch->va_end);
        CHECK_EQ_U(i.mapped_pages, 0);
        CHECK_EQ_U(i.rights, 0);
    }
    n->have_text += (i.rights & VS_RIGHT_EXEC) != 0 && strcmp(i.name, "stack") != 0;
    return 0;
}

static void check_counts(vs_space *vs)
{
    vs_audit_summary s;
    vs_result r = vs_audit(vs, NULL, NULL, &s);
    CHECK_RES(r, VS_OK);
    CHECK(s.checks_run & VS_AUDIT_CHECK_UNKNOWN);
    CHECK_EQ_U(s.mapped_in_reservations, s.mapped_pages);
    CHECK_EQ_U(s.kernel_pages, s.mapped_pages);
    CHECK_EQ_U(s.mapped_outside, 0);
    CHECK(s.mapped_pages > 0);
    names_ctx n = {vs, 0, 0, 0, 0, 0, vs_get_arch(vs)};
    vs_for_each_reservation(vs, visit_res, &n);
    CHECK_EQ_U(n.have_kernel, 1);
    CHECK_EQ_U(n.unnamed_with_pages, 0);
    CHECK_EQ_U(n.have_stack, 1);
    CHECK_EQ_U(n.have_ipc, 1);
    CHECK(n.have_text >= 1);
}

/* ---- one spawn, checked from every side */

typedef struct spawn_case {
    const char *const *argv;
    size_t argc;
    const char *const *envp;
    size_t envc;
    uint64_t seed;
    unsigned stack_page_bits;
    uint64_t stack_size;
    unsigned flags;
    int exec_stack; /* the image asks for an executable stack */
} spawn_case;

static void check_process(tenv *t, vs_process *p, const blob *img, const spawn_case *c)
{
    vs_process_info info;
    CHECK_RES(vs_process_get_info(p, &info), VS_OK);
    vs_space *vs = vs_process_space(p);
    vs_cap root = info.vspace_root;
    const vs_arch *arch = vs_arch_get(info.arch);
    const unsigned w = arch->word_bits / 8;
    elf_facts ef = elf_header(img);

    /* The stack pointer: 16-byte aligned, inside the stack, argc there. */
    CHECK_EQ_U(info.sp % 16, 0);
    CHECK(info.sp >= info.stack_base && info.sp < info.stack_top);
    vs_startstack_view v;
    CHECK_RES(vs_startstack_decode(info.arch, info.sp, child_read, &root, 1u << 20, &v), VS_OK);
    CHECK_EQ_U(v.argc, c->argc);
    CHECK_EQ_U(v.envc, c->envc);
    CHECK_EQ_U(v.argv, info.sp + w);
    CHECK_EQ_U(v.envp, info.sp + (c->argc + 2) * w);
    CHECK_EQ_U(v.auxv, v.envp + (c->envc + 1) * w);
    check_strings(&v, &root, v.argv, c->argv, c->argc);
    check_strings(&v, &root, v.envp, c->envp, c->envc);

    /* auxv against the file and the ABI. */
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_ENTRY), ef.entry);
    CHECK_EQ_U(info.entry, ef.entry);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_PHENT), ef.phentsize);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_PHNUM), ef.phnum);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_PAGESZ), 4096);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_BASE), 0);
    uint64_t phdr = aux_must(&v, &root, VS_AT_PHDR);
    size_t phbytes = (size_t)ef.phentsize * ef.phnum;
    uint8_t *got = malloc(phbytes);
    CHECK_EQ_U(sel4sim_vs_read(root, phdr, got, phbytes), 0);
    CHECK(memcmp(got, img->data + ef.phoff, phbytes) == 0);
    free(got);
    /* The entry point's bytes are the file's bytes at the entry's offset in
     * its segment: compare 16 bytes through the first PT_LOAD holding it. */
    for (unsigned i = 0; i < ef.phnum; i++) {
        const uint8_t *ph = img->data + ef.phoff + (uint64_t)i * ef.phentsize;
        uint64_t type = le(ph, 4), off, va, fsz;
        if (ef.is64) {
            off = le(ph + 8, 8), va = le(ph + 16, 8), fsz = le(ph + 32, 8);
        } else {
            off = le(ph + 4, 4), va = le(ph + 8, 4), fsz = le(ph + 16, 4);
        }
        uint64_t e = ef.entry & ~(uint64_t)1;
        if (type == 1 && e >= va && e + 16 <= va + fsz) {
            uint8_t code[16];
            CHECK_EQ_U(sel4sim_vs_read(root, e, code, 16), 0);
            CHECK(memcmp(code, img->data + off + (e - va), 16) == 0);
            break;
        }
    }
    /* AT_RANDOM: 16 bytes, the seeded SplitMix64 stream. */
    uint64_t rnd = aux_must(&v, &root, VS_AT_RANDOM);
    uint8_t rb[16], want[16];
    CHECK_EQ_U(sel4sim_vs_read(root, rnd, rb, 16), 0);
    vs_startstack_random(c->seed, want);
    CHECK(memcmp(rb, want, 16) == 0);
    CHECK(rnd > v.auxv && rnd + 16 <= info.stack_top);
    /* AT_EXECFN: argv[0]'s string, at the very top. */
    uint64_t execfn = aux_must(&v, &root, VS_AT_EXECFN);
    char name[256];
    size_t len = 0;
    CHECK_RES(vs_startstack_string(child_read, &root, execfn, name, sizeof name, &len), VS_OK);
    CHECK(c->argc == 0 || strncmp(name, c->argv[0], sizeof name - 1) == 0);
    CHECK_EQ_U(execfn + len + 1, info.stack_top);
    /* sel4runtime's entries. */
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_SEL4_IPC_BUFFER_PTR), info.ipc_buffer);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_SEL4_TCB), VS_CHILD_SLOT_TCB);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_SEL4_CNODE), VS_CHILD_SLOT_CNODE);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_SEL4_VSPACE), VS_CHILD_SLOT_VSPACE);
    CHECK_EQ_U(aux_must(&v, &root, VS_AT_SEL4_IPC_BUFFER), VS_CHILD_SLOT_IPC_BUFFER);
    /* AT_SYSINFO: the pointer the image keeps in "__vsyscall", which points
     * into its executable code. */
    int has_sysinfo = 0;
    uint64_t sysinfo = aux_value(&v, &root, VS_AT_SYSINFO, &has_sysinfo);
    if (has_sysinfo) {
        vs_reservation *res = NULL;
        CHECK_RES(vs_find(vs, sysinfo & ~(uint64_t)1, &res), VS_OK);
        vs_reservation_info ri = {0};
        vs_reservation_get_info(vs, res, &ri);
        CHECK(ri.rights & VS_RIGHT_EXEC);
    }

    /* The IPC buffer is mapped, writable, and the TCB knows it. */
    sel4sim_translation tr;
    CHECK_EQ_U(sel4sim_translate((seL4_CPtr)root, (seL4_Word)info.ipc_buffer, &tr), seL4_NoError);
    CHECK(tr.found && tr.write && tr.user);
    sel4sim_tcb_info ti;
    CHECK_EQ_U(sel4sim_tcb((seL4_CPtr)info.tcb, &ti), seL4_NoError);
    CHECK(ti.has_cspace && ti.has_vspace && ti.has_ipc_buffer);
    CHECK_EQ_U(ti.ipc_buffer_addr, info.ipc_buffer);
    seL4_Word paddr = 0;
    CHECK_EQ_U(sel4sim_cap_paddr((seL4_CPtr)info.vspace_root, &paddr), seL4_NoError);
    CHECK_EQ_U(ti.vspace_paddr, paddr);
    CHECK_EQ_U(sel4sim_cap_paddr((seL4_CPtr)info.cnode, &paddr), seL4_NoError);
    CHECK_EQ_U(ti.cspace_paddr, paddr);
    CHECK_EQ_U(ti.resumed, (c->flags & VS_SPAWN_RESUME) != 0);
    CHECK_EQ_U(ti.fault_ep, (c->flags & VS_SPAWN_FAULT_EP) ? VS_CHILD_SLOT_FAULT_EP : 0);
    check_registers(&info);

    /* The child's CSpace: each fixed slot names the object spawn says. */
    const struct {
        unsigned slot;
        vs_cap obj;
    } slots[] = {{VS_CHILD_SLOT_TCB, info.tcb},
                 {VS_CHILD_SLOT_CNODE, info.cnode},
                 {VS_CHILD_SLOT_VSPACE, info.vspace_root},
                 {VS_CHILD_SLOT_IPC_BUFFER, vs_get_cap(vs, info.ipc_buffer)},
                 {VS_CHILD_SLOT_FAULT_EP, info.fault_ep}};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        seL4_CPtr tmp = 0;
        CHECK_EQ_U(vs_sel4_alloc_slot(t->fx.alloc, &tmp), seL4_NoError);
        seL4_Error e = seL4_CNode_Copy(seL4_CapInitThreadCNode, tmp, seL4_WordBits, (seL4_CPtr)info.cnode,
                                       slots[i].slot, (seL4_Uint8)info.cspace_bits, seL4_AllRights);
        if (slots[i].obj == 0) {
            CHECK(e != seL4_NoError); /* empty slot */
        } else {
            CHECK_EQ_U(e, seL4_NoError);
            seL4_Word a = 1, b = 2;
            CHECK_EQ_U(sel4sim_cap_paddr(tmp, &a), seL4_NoError);
            CHECK_EQ_U(sel4sim_cap_paddr((seL4_CPtr)slots[i].obj, &b), seL4_NoError);
            CHECK_EQ_U(a, b);
            CHECK_EQ_U(seL4_CNode_Delete(seL4_CapInitThreadCNode, tmp, seL4_WordBits), seL4_NoError);
        }
        CHECK_EQ_U(vs_sel4_free_slot(t->fx.alloc, tmp), seL4_NoError);
    }

    /* The stack: "stack" covers the guard page, which is unmapped. */
    vs_reservation *sres = NULL;
    CHECK_RES(vs_find(vs, info.guard_base, &sres), VS_OK);
    vs_reservation_info si = {0};
    vs_reservation_get_info(vs, sres, &si);
    CHECK(strcmp(si.name, "stack") == 0);
    CHECK_EQ_U(si.start, info.guard_base);
    CHECK_EQ_U(si.end, info.stack_top);
    CHECK_EQ_U(info.stack_base - info.guard_base, 4096);
    vs_page pg;
    CHECK_RES(vs_lookup(vs, info.guard_base, &pg), VS_OK);
    CHECK(pg.state == VS_PAGE_RESERVED);
    CHECK_EQ_U(sel4sim_translate((seL4_CPtr)root, (seL4_Word)info.guard_base, &tr), seL4_NoError);
    CHECK(!tr.found);
    CHECK_EQ_U(sel4sim_translate((seL4_CPtr)root, (seL4_Word)info.stack_base, &tr), seL4_NoError);
    CHECK(tr.found && tr.write);
    CHECK_EQ_U(tr.size_bits, c->stack_page_bits ? c->stack_page_bits : 12);
    /* PT_GNU_STACK decides (the execstack image asks for PF_X). */
    CHECK_EQ_U((si.rights & VS_RIGHT_EXEC) != 0, c->exec_stack);
    CHECK_EQ_U(info.stack_exec, c->exec_stack);
    if (arch->id != VS_ARCH_IA32 && arch->id != VS_ARCH_X86_64) { /* x86 libsel4 has no execute-never */
        CHECK_EQ_U(tr.exec != 0, c->exec_stack);
    }
    check_counts(vs);
}

typedef struct acct {
    be_acct k;
    size_t bytes;
} acct;

static void take(tenv *t, acct *a)
{
    be_acct_take(t->fx.bi, &a->k);
    a->bytes = t->fx.ta.live_bytes;
}

static int same(tenv *t, const acct *want, const char *label)
{
    acct now;
    take(t, &now);
    int d = be_acct_compare(&want->k, &now.k, label);
    if (now.bytes != want->bytes) {
        test_fail(__FILE__, __LINE__, "%s: live bookkeeping bytes %zu, expected %zu", label, now.bytes, want->bytes);
        d = 1;
    }
    return d;
}

static vs_result spawn(tenv *t, vs_arch_id arch, const blob *img, const spawn_case *c, vs_process **p,
                       vs_spawn_error *err)
{
    vs_spawn_opts o = {.argv = c->argv,
                       .argc = c->argc,
                       .envp = c->envp,
                       .envc = c->envc,
                       .flags = c->flags,
                       .stack_size = c->stack_size,
                       .stack_page_bits = c->stack_page_bits,
                       .random_seed = c->seed};
    return vs_process_spawn(&t->se, arch, img->data, img->size, &o, p, err);
}

/* The root task's own vspace keeps the paging structures the frame
 * access's temporary windows needed the first time a window of that size
 * appeared there; that is the root task's, not the child's. A spawn and
 * destroy of the same shape first lets them settle, then the accounting
 * must return exactly. */
static void warm_up(tenv *t, vs_arch_id arch, const blob *img, const spawn_case *c)
{
    vs_process *p = NULL;
    if (spawn(t, arch, img, c, &p, NULL) == VS_OK) {
        vs_process_destroy(p, NULL);
    }
}

static void spawn_check_destroy(tenv *t, vs_arch_id arch, const blob *img, const spawn_case *c)
{
    warm_up(t, arch, img, c);
    acct before;
    take(t, &before);
    vs_process *p = NULL;
    vs_spawn_error err;
    vs_result r = spawn(t, arch, img, c, &p, &err);
    if (r != VS_OK) {
        test_fail(__FILE__, __LINE__, "spawn: %s at stage %s: %s (0x%llx, kernel %d) %s", vs_result_name(r),
                  vs_spawn_stage_name(err.stage), err.reason, (unsigned long long)err.vaddr, err.kernel_error,
                  err.elf_message);
        return;
    }
    check_process(t, p, img, c);
    int k = -1;
    CHECK_RES(vs_process_destroy(p, &k), VS_OK);
    CHECK_EQ_U(k, 0);
    same(t, &before, "after destroy");
}

/* Arguments and environment: empty strings and long ones. */
static void test_args(tenv *t, vs_arch_id arch, const blob *img, unsigned flags)
{
    static char longarg[20000], longenv[9000];
    memset(longarg, 'a', sizeof longarg - 1);
    memset(longenv, 'e', sizeof longenv - 1);
    longenv[0] = 'L', longenv[1] = 'O', longenv[2] = 'N', longenv[3] = 'G', longenv[4] = '=';
    const char *argv[] = {"/bin/hello", "", "second", longarg, ""};
    const char *envp[] = {"HOME=/", "EMPTY=", "", longenv};
    spawn_case c = {argv, 5, envp, 4, 0x1234, 0, 0, flags, 0};
    spawn_check_destroy(t, arch, img, &c);
    spawn_case none = {NULL, 0, NULL, 0, 7, 0, 0, flags, 0};
    spawn_check_destroy(t, arch, img, &none);
}

/* A frame access over the simulator's that shows one frame per window,
 * whatever was asked: the stack writer must fill what each window shows and
 * ask again for the rest. The window is a buffer as large as was asked for,
 * of which only the frame shown is written back, so bytes meant for the
 * frames not shown are lost rather than landing in the next frame of RAM. */
typedef struct one_frame_fa {
    vs_frame_access inner;
    unsigned cut; /* windows asked for more than one frame */
} one_frame_fa;

typedef struct one_frame_window {
    vs_frame_window inner;
    uint8_t buf[];
} one_frame_window;

static int one_frame_map(void *ctx, const vs_cap *frames, size_t n, unsigned bits, vs_frame_window *w)
{
    one_frame_fa *f = ctx;
    one_frame_window *ow = malloc(sizeof *ow + (n << bits));
    if (ow == NULL) {
        return -1;
    }
    int e = f->inner.ops->map(f->inner.ctx, frames, 1, bits, &ow->inner);
    if (e != 0) {
        free(ow);
        return e;
    }
    f->cut += n > 1;
    memcpy(ow->buf, ow->inner.host, (size_t)ow->inner.size);
    *w = (vs_frame_window){ow->buf, ow->inner.size, ow};
    return 0;
}

static int one_frame_unmap(void *ctx, vs_frame_window *w)
{
    one_frame_fa *f = ctx;
    one_frame_window *ow = w->state;
    memcpy(ow->inner.host, ow->buf, (size_t)ow->inner.size);
    int e = f->inner.ops->unmap(f->inner.ctx, &ow->inner);
    if (e == 0) {
        free(ow);
    }
    return e;
}

static void test_one_frame_windows(tenv *t, vs_arch_id arch, const blob *img)
{
    static const vs_frame_access_ops ops = {.map = one_frame_map, .unmap = one_frame_unmap};
    one_frame_fa f = {t->fai, 0};
    t->fai = (vs_frame_access){&ops, &f, 0};
    test_args(t, arch, img, 0); /* 29 KB of arguments and environment: several stack pages */
    t->fai = f.inner;
    CHECK(f.cut > 0);
}

/* The largest page size of the arch below 1 GiB, for the stack. */
static unsigned large_bits(const vs_arch *a)
{
    unsigned best = a->page_sizes[0].bits;
    for (unsigned i = 1; i < a->num_page_sizes; i++) {
        if (a->page_sizes[i].bits < 30) {
            best = a->page_sizes[i].bits;
        }
    }
    return best;
}

/* The image near the top of the user range, the stack of large pages at
 * the very top, the IPC buffer just below its guard. */
static void test_high(tenv *t, vs_arch_id arch, const blob *img)
{
    const vs_arch *a = vs_arch_get(arch);
    const char *argv[] = {"hello-high", "x"};
    unsigned bits = large_bits(a);
    spawn_case c = {argv, 2, NULL, 0, 99, bits, (uint64_t)1 << bits, 0, 0};
    warm_up(t, arch, img, &c);
    acct before;
    take(t, &before);
    vs_process *p = NULL;
    vs_spawn_error err;
    vs_result r = spawn(t, arch, img, &c, &p, &err);
    CHECK_RES(r, VS_OK);
    if (r != VS_OK) {
        fprintf(stderr, "  stage %s: %s (0x%llx) %s\n", vs_spawn_stage_name(err.stage), err.reason,
                (unsigned long long)err.vaddr, err.elf_message);
        return;
    }
    check_process(t, p, img, &c);
    vs_process_info info;
    vs_process_get_info(p, &info);
    uint64_t top = a->user_end & ~(((uint64_t)1 << bits) - 1);
    CHECK_EQ_U(info.stack_top, top);
    CHECK_EQ_U(info.stack_page_bits, bits);
    CHECK(info.entry >= a->user_end - (1ull << 30));
    CHECK(info.ipc_buffer >= a->user_end - (1ull << 30));
    CHECK_RES(vs_process_destroy(p, NULL), VS_OK);
    same(t, &before, "after destroying the high process");
}

/* One kind of injected failure: arm the n-th event, disarm, did it fire. */
typedef struct injector {
    const char *what; /* "allocation", "kernel call" */
    void (*arm)(tenv *t, uint64_t n);
    int (*disarm)(tenv *t); /* returns whether the armed event happened */
} injector;

static void arm_alloc(tenv *t, uint64_t n)
{
    talloc_fail_nth(&t->fx.ta, n);
}

static int disarm_alloc(tenv *t)
{
    int fired = t->fx.ta.fired;
    talloc_disarm(&t->fx.ta);
    return fired;
}

static void arm_kernel(tenv *t, uint64_t n)
{
    (void)t;
    sel4sim_inject_failure(n, seL4_NotEnoughMemory);
}

static int disarm_kernel(tenv *t)
{
    (void)t;
    int fired = sel4sim_injection_fired();
    sel4sim_inject_failure(0, seL4_NoError);
    return fired;
}

/* Fails the 1st, 2nd, ... event of one kind until a spawn runs without
 * reaching it: each failing spawn returns an error and leaves nothing
 * behind. Returns how many events were tried. */
static unsigned inject_every(tenv *t, const injector *inj, vs_arch_id arch, const blob *img, const spawn_case *c,
                             const acct *before)
{
    unsigned points = 0;
    for (uint64_t n = 1;; n++) {
        inj->arm(t, n);
        vs_process *p = NULL;
        vs_spawn_error err;
        vs_result r = spawn(t, arch, img, c, &p, &err);
        if (!inj->disarm(t)) {
            CHECK_RES(r, VS_OK);
            vs_process_destroy(p, NULL);
            return points;
        }
        points++;
        CHECK(r != VS_OK);
        if (r == VS_OK) {
            vs_process_destroy(p, NULL);
        }
        if (inj->arm == arm_kernel && err.kernel_error != seL4_NotEnoughMemory) {
            /* Whatever stage a kernel call failed in, the error names it. */
            test_fail(__FILE__, __LINE__,
                      "kernel call %llu failed with seL4_NotEnoughMemory, the spawn error (stage %s: %s) says kernel "
                      "error %d",
                      (unsigned long long)n, vs_spawn_stage_name(err.stage), err.reason, err.kernel_error);
        }
        char when[64];
        snprintf(when, sizeof when, "after an injected %s failure", inj->what);
        if (same(t, before, when)) {
            fprintf(stderr, "  %s %llu: %s at %s: %s\n", inj->what, (unsigned long long)n, vs_result_name(r),
                    vs_spawn_stage_name(err.stage), err.reason);
            return points;
        }
    }
}

/* Injected failures at every allocation, then every kernel call. */
static void test_injection(tenv *t, vs_arch_id arch, const blob *img)
{
    const char *argv[] = {"inj", "a"};
    const char *envp[] = {"K=V"};
    spawn_case c = {argv, 2, envp, 1, 3, 0, 0, VS_SPAWN_FAULT_EP | VS_SPAWN_RESUME, 0};
    warm_up(t, arch, img, &c);
    acct before;
    take(t, &before);
    static const injector alloc = {"allocation", arm_alloc, disarm_alloc};
    static const injector kernel = {"kernel call", arm_kernel, disarm_kernel};
    unsigned alloc_points = inject_every(t, &alloc, arch, img, &c, &before);
    unsigned kernel_points = inject_every(t, &kernel, arch, img, &c, &before);
    /* Spawn allocates and calls the kernel many times; all were tried. */
    CHECK(alloc_points > 10);
    CHECK(kernel_points > 10);
    printf("  injection: %u allocation points, %u kernel calls\n", alloc_points, kernel_points);
}

/* Spawn and destroy in a loop: nothing grows. */
static void test_loop(tenv *t, vs_arch_id arch, const blob *img, unsigned rounds)
{
    const char *argv[] = {"loop"};
    spawn_case c = {argv, 1, NULL, 0, 5, 0, 0, VS_SPAWN_FAULT_EP, 0};
    warm_up(t, arch, img, &c);
    acct before;
    take(t, &before);
    for (unsigned i = 0; i < rounds; i++) {
        vs_process *p = NULL;
        vs_result r = spawn(t, arch, img, &c, &p, NULL);
        if (r != VS_OK) {
            CHECK_RES(r, VS_OK);
            break;
        }
        vs_process_destroy(p, NULL);
        if (i % 100 == 0 && same(t, &before, "in the spawn/destroy loop")) {
            break;
        }
    }
    same(t, &before, "after the spawn/destroy loop");
}

/* Pages of the root task shared into the child (boot info, init data):
 * each lands in a reservation of the given name holding copies of the same
 * frames (the child reads the root task's bytes), is announced in auxv when
 * asked, and comes back on destroy. */
static void test_shared(tenv *t, vs_arch_id arch, const blob *img)
{
    vs_space *root = t->fx.root_vs;
    vs_attrs rw = {"init-src", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_reservation *src = NULL;
    CHECK_RES(vs_reserve(root, 3 * 4096, 0, &rw, &src), VS_OK);
    vs_reservation_info si = {0};
    vs_reservation_get_info(root, src, &si);
    CHECK_RES(vs_map_new(root, si.start, 3, 12), VS_OK);
    static const char msg[] = "init data from the root task";
    CHECK_EQ_U(sel4sim_vs_write(seL4_CapInitThreadVSpace, si.start + 4096 + 100, msg, sizeof msg), 0);
    const char *argv[] = {"shared"};
    vs_spawn_shared sh[2] = {{"bootinfo", si.start, 4096, VS_RIGHT_READ, VS_AT_SEL4_BOOT_INFO},
                             {"init-data", si.start + 4096, 2 * 4096, VS_RIGHT_READ | VS_RIGHT_WRITE, 0}};
    vs_spawn_opts o = {.argv = argv, .argc = 1, .shared = sh, .num_shared = 2, .random_seed = 4};
    vs_process *p = NULL;
    vs_spawn_error err;
    acct before;
    CHECK_RES(vs_process_spawn(&t->se, arch, img->data, img->size, &o, &p, &err), VS_OK); /* warm-up */
    vs_process_destroy(p, NULL);
    take(t, &before);
    CHECK_RES(vs_process_spawn(&t->se, arch, img->data, img->size, &o, &p, &err), VS_OK);
    if (p == NULL) {
        return;
    }
    vs_process_info info;
    vs_process_get_info(p, &info);
    vs_space *vs = vs_process_space(p);
    vs_cap croot = info.vspace_root;
    for (int i = 0; i < 2; i++) {
        vs_reservation *res = NULL;
        CHECK_RES(vs_find(vs, info.shared_vaddr[i], &res), VS_OK);
        vs_reservation_info ri = {0};
        vs_reservation_get_info(vs, res, &ri);
        CHECK(strcmp(ri.name, sh[i].name) == 0);
        CHECK_EQ_U(ri.end - ri.start, sh[i].size);
        CHECK_EQ_U(ri.mapped_pages, sh[i].size / 4096);
        for (uint64_t off = 0; off < sh[i].size; off += 4096) {
            sel4sim_translation a, b;
            CHECK_EQ_U(sel4sim_translate((seL4_CPtr)croot, (seL4_Word)(info.shared_vaddr[i] + off), &a), 0);
            CHECK_EQ_U(sel4sim_translate(seL4_CapInitThreadVSpace, (seL4_Word)(sh[i].src_vaddr + off), &b), 0);
            CHECK(a.found && b.found && a.paddr == b.paddr);
            CHECK_EQ_U(a.write != 0, (sh[i].rights & VS_RIGHT_WRITE) != 0);
        }
    }
    char got[sizeof msg];
    CHECK_EQ_U(sel4sim_vs_read(croot, info.shared_vaddr[1] + 100, got, sizeof got), 0);
    CHECK(memcmp(got, msg, sizeof msg) == 0);
    vs_startstack_view v;
    CHECK_RES(vs_startstack_decode(arch, info.sp, child_read, &croot, 4096, &v), VS_OK);
    CHECK_EQ_U(aux_must(&v, &croot, VS_AT_SEL4_BOOT_INFO), info.shared_vaddr[0]);
    check_counts(vs);
    CHECK_RES(vs_process_destroy(p, NULL), VS_OK);
    same(t, &before, "after destroying a process with shared pages");
    /* The root task's pages are untouched by the child's teardown. */
    char again[sizeof msg];
    CHECK_EQ_U(sel4sim_vs_read(seL4_CapInitThreadVSpace, si.start + 4096 + 100, again, sizeof again), 0);
    CHECK(memcmp(again, msg, sizeof msg) == 0);
    CHECK_RES(vs_free(root, src, VS_FREE_UNMAP), VS_OK);
}

/* A child range of the caller's choosing that stops below user_end: no
 * "kernel" reservation, and the stack where the caller puts it. */
static int count_named(void *ctx, const vs_reservation *res)
{
    names_ctx *n = ctx;
    vs_reservation_info i;
    vs_reservation_get_info(n->vs, res, &i);
    n->have_kernel += strcmp(i.name, "kernel") == 0;
    n->have_stack += strcmp(i.name, "stack") == 0;
    return 0;
}

static void test_custom_range(tenv *t, vs_arch_id arch, const blob *img)
{
    const char *argv[] = {"ranged"};
    vs_spawn_opts o = {.argv = argv,
                       .argc = 1,
                       .range_base = 0x1000,
                       .range_end = 0x40000000,
                       .stack_top = 0x30000000,
                       .stack_size = 8192,
                       .random_seed = 9};
    vs_process *p = NULL;
    vs_spawn_error err;
    CHECK_RES(vs_process_spawn(&t->se, arch, img->data, img->size, &o, &p, &err), VS_OK);
    vs_process_destroy(p, NULL);
    acct before;
    take(t, &before);
    CHECK_RES(vs_process_spawn(&t->se, arch, img->data, img->size, &o, &p, &err), VS_OK);
    if (p == NULL) {
        return;
    }
    vs_process_info info;
    vs_process_get_info(p, &info);
    CHECK_EQ_U(info.stack_top, 0x30000000);
    CHECK_EQ_U(info.stack_base, 0x30000000 - 8192);
    CHECK_EQ_U(info.ipc_buffer, 0x30000000 - 8192 - 2 * 4096);
    names_ctx n = {vs_process_space(p), 0, 0, 0, 0, 0, vs_get_arch(vs_process_space(p))};
    vs_for_each_reservation(n.vs, count_named, &n);
    CHECK_EQ_U(n.have_kernel, 0);
    CHECK_EQ_U(n.have_stack, 1);
    vs_addr base = 0, end = 0;
    vs_get_range(n.vs, &base, &end);
    CHECK_EQ_U(end, 0x40000000);
    CHECK_RES(vs_process_destroy(p, NULL), VS_OK);
    same(t, &before, "after destroying a process in a custom range");
    /* A stack top outside that range is refused, leaving nothing. */
    o.stack_top = 0x50000000;
    CHECK_RES(vs_process_spawn(&t->se, arch, img->data, img->size, &o, &p, &err), VS_ERR_OUT_OF_RANGE);
    CHECK(err.stage == VS_SPAWN_STAGE_STACK);
    same(t, &before, "after a stack outside the range");
}

/* PT_GNU_STACK with PF_X: the stack is executable. */
static void test_execstack(tenv *t, vs_arch_id arch, const blob *img)
{
    const char *argv[] = {"execstack"};
    spawn_case c = {argv, 1, NULL, 0, 11, 0, 0, 0, 1};
    spawn_check_destroy(t, arch, img, &c);
}

/* The legacy loader (libsel4utils without a region array): the ELF
 * reservations are dropped after loading. The audit must see exactly the
 * image's pages outside any reservation, and destroy must still return
 * everything. */
static void test_legacy(tenv *t, vs_arch_id arch, const blob *img)
{
    const char *argv[] = {"legacy"};
    spawn_case c = {argv, 1, NULL, 0, 12, 0, 0, VS_SPAWN_FREE_ELF_RESERVATIONS, 0};
    warm_up(t, arch, img, &c);
    acct before;
    take(t, &before);
    vs_process *p = NULL;
    vs_spawn_error err;
    CHECK_RES(spawn(t, arch, img, &c, &p, &err), VS_OK);
    if (p == NULL) {
        return;
    }
    vs_space *vs = vs_process_space(p);
    vs_process_info info;
    vs_process_get_info(p, &info);
    vs_audit_summary s;
    CHECK_RES(vs_audit(vs, NULL, NULL, &s), VS_ERR_INCONSISTENT);
    /* Outside: everything but the stack and the IPC buffer. */
    uint64_t stack_pages = (info.stack_top - info.stack_base) / 4096;
    CHECK(s.mapped_outside > 0);
    CHECK_EQ_U(s.mapped_outside, s.mapped_pages - stack_pages - 1);
    CHECK_EQ_U(s.kernel_pages, s.mapped_pages);
    vs_reservation *res = NULL;
    CHECK_RES(vs_find(vs, info.entry, &res), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_process_destroy(p, NULL), VS_OK);
    same(t, &before, "after destroying a legacy-loaded process");
}

/* Refusals: each leaves nothing behind. */
static void test_errors(tenv *t, vs_arch_id arch, const blob *img)
{
    acct before;
    take(t, &before);
    vs_process *p = NULL;
    vs_spawn_error err;
    /* Arguments larger than the stack. */
    static char big[40000];
    memset(big, 'b', sizeof big - 1);
    const char *argv[] = {"x", big};
    spawn_case c = {argv, 2, NULL, 0, 1, 0, 16384, 0, 0};
    CHECK_RES(spawn(t, arch, img, &c, &p, &err), VS_ERR_NO_SPACE);
    CHECK(err.stage == VS_SPAWN_STAGE_STACK);
    /* The sizes in value and limit, no address, no kernel error. */
    CHECK(err.value > sizeof big && err.value < sizeof big + 4096);
    CHECK_EQ_U(err.limit, 16384);
    CHECK_EQ_U(err.vaddr, 0);
    CHECK_EQ_U(err.kernel_error, 0);
    /* A truncated image. */
    blob half = {img->data, 40};
    spawn_case ok = {argv, 1, NULL, 0, 1, 0, 0, 0, 0};
    CHECK_RES(spawn(t, arch, &half, &ok, &p, &err), VS_ERR_INVALID_ARG);
    CHECK(err.stage == VS_SPAWN_STAGE_ELF);
    CHECK(err.elf_message[0] != '\0');
    /* The wrong architecture for the backend. */
    vs_arch_id other = arch == VS_ARCH_X86_64 ? VS_ARCH_IA32 : VS_ARCH_X86_64;
    vs_spawn_opts o = {0};
    CHECK_RES(vs_process_spawn(&t->se, other, img->data, img->size, &o, &p, &err), VS_ERR_INVALID_ARG);
    /* A stack page size the arch does not have. */
    spawn_case bad = {argv, 1, NULL, 0, 1, 13, 0, 0, 0};
    CHECK_RES(spawn(t, arch, img, &bad, &p, &err), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(err.value, 13);
    CHECK_EQ_U(err.vaddr, 0);
    /* A CSpace too small for the fixed slots. */
    vs_spawn_opts tiny = {.argv = argv, .argc = 1, .cspace_bits = 2};
    CHECK_RES(vs_process_spawn(&t->se, arch, img->data, img->size, &tiny, &p, &err), VS_ERR_INVALID_ARG);
    CHECK(err.stage == VS_SPAWN_STAGE_CSPACE);
    CHECK_EQ_U(err.value, 2);
    CHECK_EQ_U(err.vaddr, 0);
    CHECK_RES(vs_process_spawn(NULL, arch, img->data, img->size, &o, &p, &err), VS_ERR_INVALID_ARG);
    same(t, &before, "after refused spawns");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ARCH IMAGE_DIR\n", argv[0]);
        return 2;
    }
    const vs_arch *a = vs_arch_by_name(argv[1]);
    if (a == NULL) {
        fprintf(stderr, "unknown arch %s\n", argv[1]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/hello-%s", argv[2], a->name);
    blob img = load_file(path);
    snprintf(path, sizeof path, "%s/hello-high-%s", argv[2], a->name);
    blob high = load_file(path);
    snprintf(path, sizeof path, "%s/hello-execstack-%s", argv[2], a->name);
    blob xstack = load_file(path);
    if (img.size == 0 || high.size == 0 || xstack.size == 0) {
        fprintf(stderr, "cannot read the test images in %s\n", argv[2]);
        return 2;
    }
    static char ctx[64];
    snprintf(ctx, sizeof ctx, "process_spawn %s", a->name);
    test_context = ctx;

    tenv t;
    up(&t, a->id);
    test_args(&t, a->id, &img, 0);
    test_args(&t, a->id, &img, VS_SPAWN_RESUME | VS_SPAWN_FAULT_EP);
    test_one_frame_windows(&t, a->id, &img);
    test_high(&t, a->id, &high);
    test_errors(&t, a->id, &img);
    test_execstack(&t, a->id, &xstack);
    test_shared(&t, a->id, &img);
    test_custom_range(&t, a->id, &img);
    test_legacy(&t, a->id, &img);
    test_injection(&t, a->id, &img);
    test_loop(&t, a->id, &img, a->id == VS_ARCH_X86_64 ? 1000 : 100);
    if (a->id == VS_ARCH_X86_64) {
        blob bb = load_file("/bin/busybox");
        if (bb.size > 0 && bb.data[4] == 2 && le(bb.data + 18, 2) == 62) {
            const char *bargv[] = {"busybox", "echo", "", "hello world"};
            const char *benv[] = {"PATH=/bin", "TERM="};
            spawn_case c = {bargv, 4, benv, 2, 2024, 0, 0, VS_SPAWN_RESUME, 0};
            spawn_check_destroy(&t, a->id, &bb, &c);
        } else {
            test_fail(__FILE__, __LINE__, "/bin/busybox (busybox-static, x86_64) is missing");
        }
        free(bb.data);
    }
    down(&t);
    free(img.data);
    free(high.data);
    free(xstack.data);
    if (test_failures) {
        fprintf(stderr, "%s: %u failures\n", ctx, test_failures);
        return 1;
    }
    printf("%s: all checks passed\n", ctx);
    return 0;
}
