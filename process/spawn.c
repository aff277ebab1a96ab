/* vs_process_spawn and vs_process_destroy (<vs/process.h>): the order of
 * the steps, and the one teardown that undoes any prefix of them. */
#include <string.h>

#include "internal.h"

enum { BASE_PAGE = 4096 };

static const char *const stage_names[] = {
    [VS_SPAWN_STAGE_NONE] = "none",
    [VS_SPAWN_STAGE_ARGS] = "args",
    [VS_SPAWN_STAGE_ELF] = "elf",
    [VS_SPAWN_STAGE_VSPACE] = "vspace",
    [VS_SPAWN_STAGE_KERNEL_RESERVATION] = "kernel-reservation",
    [VS_SPAWN_STAGE_STACK] = "stack",
    [VS_SPAWN_STAGE_IPC_BUFFER] = "ipc-buffer",
    [VS_SPAWN_STAGE_SHARED] = "shared",
    [VS_SPAWN_STAGE_CSPACE] = "cspace",
    [VS_SPAWN_STAGE_TCB] = "tcb",
    [VS_SPAWN_STAGE_FAULT_EP] = "fault-ep",
};

const char *vs_spawn_stage_name(vs_spawn_stage s)
{
    if ((unsigned)s < sizeof stage_names / sizeof stage_names[0] && stage_names[s] != NULL) {
        return stage_names[s];
    }
    return "unknown";
}

vs_result proc_fail(vs_spawn_error *err, vs_result r, vs_spawn_stage stage, const char *reason, vs_addr vaddr,
                    int kernel_error)
{
    if (err != NULL) {
        err->result = r;
        err->stage = stage;
        err->reason = reason != NULL ? reason : "unknown";
        err->vaddr = vaddr;
        err->value = 0;
        err->limit = 0;
        err->kernel_error = kernel_error;
    }
    return r;
}

vs_result proc_fail_value(vs_spawn_error *err, vs_result r, vs_spawn_stage stage, const char *reason, uint64_t value,
                          uint64_t limit)
{
    proc_fail(err, r, stage, reason, 0, 0);
    if (err != NULL) {
        err->value = value;
        err->limit = limit;
    }
    return r;
}

vs_result proc_fail_vs(vs_spawn_error *err, const vs_space *vs, vs_result r, vs_spawn_stage stage)
{
    const vs_error_info *e = vs_last_error(vs);
    return proc_fail(err, r, stage, e->reason, e->vaddr, r == VS_ERR_KERNEL ? e->kernel_error : 0);
}

int proc_fa_kernel_error(const vs_frame_access *fa)
{
    return fa->ops->kernel_error != NULL ? fa->ops->kernel_error(fa->ctx) : 0;
}

int proc_teardown(vs_process *p)
{
    int last = 0;
    seL4_Error e;
    if (p->tcb != 0 && p->resumed) {
        e = seL4_TCB_Suspend(p->tcb);
        last = e != seL4_NoError ? (int)e : last;
    }
    if (p->cnode != 0) {
        int k = proc_cspace_clear(p);
        last = k != 0 ? k : last;
    }
    /* The TCB holds copies of the CNode, vspace root and IPC buffer caps:
     * it goes before them. */
    seL4_CPtr *caps[] = {&p->tcb, &p->ep, &p->cnode};
    uintptr_t *cookies[] = {&p->tcb_cookie, &p->ep_cookie, &p->cnode_cookie};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        if (*caps[i] != 0) {
            e = vs_sel4_alloc_free_object(p->alloc, *caps[i], *cookies[i]);
            if (e != seL4_NoError) {
                last = (int)e;
            } else {
                *caps[i] = 0;
            }
        }
    }
    if (p->vs != NULL) {
        int k = 0;
        if (vs_destroy(p->vs, 0, &k) != VS_OK) {
            last = k;
        }
        p->vs = NULL;
    }
    if (p->root.cap != 0) {
        int k = vs_sel4_free_root(p->env.be, &p->root);
        if (k != 0) {
            last = k;
        }
        p->root.cap = 0;
    }
    return last;
}

static void put(vs_process *p)
{
    p->env.mem.free(p->env.mem.ctx, p, sizeof *p);
}

static vs_result fail_elf(vs_spawn_error *err, const vs_elf_diag *d, const vs_frame_access *fa)
{
    vs_result r = VS_ERR_INVALID_ARG;
    int kerr = 0;
    if (d->code == VS_ELF_ERR_SPACE) {
        r = d->space_result;
        kerr = d->kernel_error;
    } else if (d->code == VS_ELF_ERR_FRAME_ACCESS) {
        /* d->kernel_error is the frame access's own code (in elf_message);
         * the seL4_Error behind it, if the frame access keeps one, is what
         * the caller can act on, as in the stack stage. */
        r = VS_ERR_KERNEL;
        kerr = proc_fa_kernel_error(fa);
    }
    proc_fail(err, r, VS_SPAWN_STAGE_ELF, vs_elf_strerror(d->code), d->vaddr, kerr);
    if (err != NULL) {
        err->elf_error = (int)d->code;
        memcpy(err->elf_message, d->message, sizeof err->elf_message);
        err->elf_message[sizeof err->elf_message - 1] = '\0';
    }
    return r;
}

static vs_result check_args(const vs_spawn_env *env, const vs_spawn_opts *o, vs_process **out, vs_spawn_error *err)
{
    const char *why = NULL;
    if (env == NULL || out == NULL) {
        why = "env or out is NULL";
    } else if (env->be == NULL || env->root_vs == NULL || env->fa == NULL || env->fa->ops == NULL) {
        why = "env lacks the backend, the root vspace or the frame access";
    } else if (env->mem.alloc == NULL || env->mem.free == NULL) {
        why = "env.mem lacks alloc or free";
    } else if ((o->argc > 0 && o->argv == NULL) || (o->envc > 0 && o->envp == NULL)) {
        why = "argv or envp is NULL with a non-zero count";
    } else if (o->num_shared > VS_SPAWN_MAX_SHARED || (o->num_shared > 0 && o->shared == NULL)) {
        why = "more shared regions than VS_SPAWN_MAX_SHARED, or shared is NULL";
    } else if (o->num_extra_auxv > 0 && o->extra_auxv == NULL) {
        why = "extra_auxv is NULL with a non-zero count";
    } else if (o->flags & ~(unsigned)(VS_SPAWN_RESUME | VS_SPAWN_FAULT_EP | VS_SPAWN_FREE_ELF_RESERVATIONS |
                                      VS_SPAWN_LARGE_PAGES)) {
        why = "unknown flag";
    }
    return why != NULL ? proc_fail(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_ARGS, why, 0, 0) : VS_OK;
}

/* The word stored at the start of the "__vsyscall" section (libsel4utils
 * and sel4runtime: the address of the vsyscall handler), or 0. */
static vs_addr vsyscall_of(const vs_elf_image *img)
{
    vs_elf_section sec;
    unsigned w = img->arch->word_bits / 8;
    if (vs_elf_find_section(img, "__vsyscall", &sec, NULL) != VS_ELF_OK || sec.size < w || sec.offset > img->size - w) {
        return 0;
    }
    vs_addr v = 0;
    for (unsigned i = 0; i < w; i++) {
        v |= (vs_addr)img->data[sec.offset + i] << (8 * i);
    }
    return v;
}

static vs_result load_elf(vs_process *p, const void *elf, size_t elf_size, const vs_spawn_opts *o, vs_spawn_error *err)
{
    vs_elf_image img;
    vs_elf_diag d;
    vs_elf_parse_opts popts = {p->arch};
    vs_elf_error e = vs_elf_parse(elf, elf_size, &popts, &img, &d);
    if (e != VS_ELF_OK) {
        return fail_elf(err, &d, p->env.fa);
    }
    vs_elf_load_opts lopts = {0, 0};
    if (o->flags & VS_SPAWN_FREE_ELF_RESERVATIONS) {
        lopts.flags |= VS_ELF_LOAD_FREE_RESERVATIONS;
    }
    if (o->flags & VS_SPAWN_LARGE_PAGES) {
        lopts.flags |= VS_ELF_LOAD_LARGE_PAGES;
    }
    e = vs_elf_load(p->vs, &img, &lopts, p->env.fa, &p->loaded, &d);
    if (e != VS_ELF_OK) {
        return fail_elf(err, &d, p->env.fa);
    }
    p->info.entry = p->loaded.plan.entry;
    p->info.phdr = p->loaded.plan.phdr;
    p->info.phent = p->loaded.plan.phent;
    p->info.phnum = p->loaded.plan.phnum;
    p->info.sysinfo = vsyscall_of(&img);
    return VS_OK;
}

static vs_result make_vspace(vs_process *p, const vs_spawn_opts *o, vs_spawn_error *err)
{
    int k = vs_sel4_create_root(p->env.be, &p->root);
    if (k != 0) {
        p->root.cap = 0;
        return proc_fail(err, VS_ERR_KERNEL, VS_SPAWN_STAGE_VSPACE, "cannot create the child's paging root and ASID", 0,
                         k);
    }
    p->info.vspace_root = p->root.cap;
    /* By default the range reaches the end of the user half, so that the
     * kernel's top of it can be reserved ("kernel", below). */
    int whole = o->range_base == 0 && o->range_end == 0;
    vs_config cfg = {p->arch,
                     p->env.mem,
                     vs_sel4_backend_kernel(p->env.be),
                     p->root.cap,
                     whole ? p->arch->user_base : o->range_base,
                     whole ? p->arch->va_end : o->range_end};
    vs_result r = vs_create(&cfg, &p->vs);
    if (r != VS_OK) {
        p->vs = NULL;
        const char *why = "cannot create the child's vspace";
        vs_config_check(&cfg, &why);
        return proc_fail(err, r, VS_SPAWN_STAGE_VSPACE, why, 0, 0);
    }
    return VS_OK;
}

/* The kernel's top of the address space, [user_end, range end), as a
 * reservation named "kernel" with no rights (the core never maps there). */
static vs_result make_kernel_reservation(vs_process *p, const vs_spawn_opts *o, vs_spawn_error *err)
{
    int whole = o->range_base == 0 && o->range_end == 0;
    vs_addr end = whole ? p->arch->va_end : o->range_end;
    if (end <= p->arch->user_end) {
        return VS_OK;
    }
    vs_attrs attrs = {"kernel", 0, VS_CACHE_DEFAULT};
    vs_result r = vs_reserve_at(p->vs, p->arch->user_end, end - p->arch->user_end, &attrs, NULL);
    if (r != VS_OK) {
        return proc_fail_vs(err, p->vs, r, VS_SPAWN_STAGE_KERNEL_RESERVATION);
    }
    return VS_OK;
}

/* The IPC buffer: one base page right below the stack's guard page. */
static vs_result make_ipc_buffer(vs_process *p, vs_spawn_error *err)
{
    vs_addr at = p->info.guard_base - BASE_PAGE;
    vs_attrs attrs = {"ipc-buffer", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_result r = vs_reserve_at(p->vs, at, BASE_PAGE, &attrs, NULL);
    if (r == VS_OK) {
        r = vs_map_new(p->vs, at, 1, 12);
    }
    if (r != VS_OK) {
        return proc_fail_vs(err, p->vs, r, VS_SPAWN_STAGE_IPC_BUFFER);
    }
    p->info.ipc_buffer = at;
    return VS_OK;
}

/* The largest page size that divides addr, capped at max. */
static uint64_t natural_align(const vs_arch *arch, vs_addr addr, uint64_t max)
{
    uint64_t best = (uint64_t)1 << arch->page_sizes[0].bits;
    for (unsigned i = 1; i < arch->num_page_sizes; i++) {
        uint64_t s = (uint64_t)1 << arch->page_sizes[i].bits;
        if (s <= max && (addr & (s - 1)) == 0) {
            best = s;
        }
    }
    return best;
}

static vs_result make_shared(vs_process *p, const vs_spawn_opts *o, vs_spawn_error *err)
{
    for (size_t i = 0; i < o->num_shared; i++) {
        const vs_spawn_shared *s = &o->shared[i];
        vs_attrs attrs = {s->name, s->rights, VS_CACHE_DEFAULT};
        vs_reservation *res = NULL;
        vs_result r = vs_reserve(p->vs, s->size, natural_align(p->arch, s->src_vaddr, s->size), &attrs, &res);
        if (r != VS_OK) {
            return proc_fail_vs(err, p->vs, r, VS_SPAWN_STAGE_SHARED);
        }
        vs_reservation_info info;
        vs_reservation_get_info(p->vs, res, &info);
        r = vs_share(p->vs, info.start, p->env.root_vs, s->src_vaddr, s->size);
        if (r != VS_OK) {
            return proc_fail_vs(err, p->vs, r, VS_SPAWN_STAGE_SHARED);
        }
        p->info.shared_vaddr[i] = info.start;
    }
    return VS_OK;
}

static vs_result make_object(vs_process *p, seL4_Word type, unsigned obj_bits, vs_spawn_stage stage, seL4_CPtr *cap,
                             uintptr_t *cookie, vs_spawn_error *err)
{
    seL4_Error e = vs_sel4_alloc_object(p->alloc, type, 0, obj_bits, cap, cookie);
    if (e != seL4_NoError) {
        *cap = 0;
        return proc_fail(err, VS_ERR_KERNEL, stage, "cannot allocate a kernel object", 0, (int)e);
    }
    return VS_OK;
}

/* CNode, TCB, endpoint; the child's caps; TCB_Configure. */
static vs_result make_thread(vs_process *p, const vs_spawn_opts *o, vs_spawn_error *err)
{
    unsigned bits = o->cspace_bits != 0 ? o->cspace_bits : VS_SPAWN_DEFAULT_CSPACE_BITS;
    vs_result r = proc_cspace_create(p, bits, err);
    if (r == VS_OK) {
        r = make_object(p, seL4_TCBObject, (unsigned)seL4_TCBBits, VS_SPAWN_STAGE_TCB, &p->tcb, &p->tcb_cookie, err);
    }
    if (r == VS_OK && (o->flags & VS_SPAWN_FAULT_EP)) {
        r = make_object(p, seL4_EndpointObject, (unsigned)seL4_EndpointBits, VS_SPAWN_STAGE_FAULT_EP, &p->ep,
                        &p->ep_cookie, err);
    }
    if (r != VS_OK) {
        return r;
    }
    p->info.tcb = p->tcb;
    p->info.fault_ep = p->ep;
    vs_cap ipc_frame = vs_get_cap(p->vs, p->info.ipc_buffer);
    const struct {
        unsigned slot;
        seL4_CPtr src;
    } caps[] = {
        {VS_CHILD_SLOT_TCB, p->tcb},
        {VS_CHILD_SLOT_CNODE, p->cnode},
        {VS_CHILD_SLOT_VSPACE, (seL4_CPtr)p->root.cap},
        {VS_CHILD_SLOT_IPC_BUFFER, (seL4_CPtr)ipc_frame},
        {VS_CHILD_SLOT_FAULT_EP, p->ep},
    };
    for (size_t i = 0; r == VS_OK && i < sizeof caps / sizeof caps[0]; i++) {
        if (caps[i].src != 0) {
            r = proc_cspace_put(p, caps[i].slot, caps[i].src, err);
        }
    }
    if (r != VS_OK) {
        return r;
    }
    seL4_Word fault_ep = p->ep != 0 ? VS_CHILD_SLOT_FAULT_EP : seL4_CapNull;
    seL4_Error e = seL4_TCB_Configure(p->tcb, fault_ep, p->cnode, proc_cspace_guard(p), (seL4_CPtr)p->root.cap, 0,
                                      (seL4_Word)p->info.ipc_buffer, (seL4_CPtr)ipc_frame);
    if (e != seL4_NoError) {
        return proc_fail(err, VS_ERR_KERNEL, VS_SPAWN_STAGE_TCB, "TCB_Configure failed", 0, (int)e);
    }
    return VS_OK;
}

enum { MAX_AUXV = 16 + VS_SPAWN_MAX_SHARED };

static vs_result write_startstack(vs_process *p, const vs_spawn_opts *o, vs_spawn_error *err)
{
    vs_auxv_entry aux[MAX_AUXV];
    size_t n = 0;
    aux[n++] = (vs_auxv_entry){VS_AT_PHDR, p->info.phdr};
    aux[n++] = (vs_auxv_entry){VS_AT_PHENT, p->info.phent};
    aux[n++] = (vs_auxv_entry){VS_AT_PHNUM, p->info.phnum};
    aux[n++] = (vs_auxv_entry){VS_AT_PAGESZ, (uint64_t)1 << p->arch->page_sizes[0].bits};
    aux[n++] = (vs_auxv_entry){VS_AT_BASE, 0};
    aux[n++] = (vs_auxv_entry){VS_AT_FLAGS, 0};
    aux[n++] = (vs_auxv_entry){VS_AT_ENTRY, p->info.entry};
    if (p->info.sysinfo != 0) {
        aux[n++] = (vs_auxv_entry){VS_AT_SYSINFO, p->info.sysinfo};
    }
    aux[n++] = (vs_auxv_entry){VS_AT_SEL4_IPC_BUFFER_PTR, p->info.ipc_buffer};
    aux[n++] = (vs_auxv_entry){VS_AT_SEL4_IPC_BUFFER, VS_CHILD_SLOT_IPC_BUFFER};
    aux[n++] = (vs_auxv_entry){VS_AT_SEL4_TCB, VS_CHILD_SLOT_TCB};
    aux[n++] = (vs_auxv_entry){VS_AT_SEL4_CNODE, VS_CHILD_SLOT_CNODE};
    aux[n++] = (vs_auxv_entry){VS_AT_SEL4_VSPACE, VS_CHILD_SLOT_VSPACE};
    for (size_t i = 0; i < o->num_shared; i++) {
        if (o->shared[i].auxv_type != 0) {
            aux[n++] = (vs_auxv_entry){o->shared[i].auxv_type, p->info.shared_vaddr[i]};
        }
    }
    /* Extra entries go in a second array: the builder takes one list. */
    size_t total = n + o->num_extra_auxv;
    const vs_allocator *m = &p->env.mem;
    vs_auxv_entry *all = m->alloc(m->ctx, total * sizeof *all);
    if (all == NULL) {
        return proc_fail(err, VS_ERR_NO_MEMORY, VS_SPAWN_STAGE_STACK, "no memory for the auxiliary vector", 0, 0);
    }
    memcpy(all, aux, n * sizeof *all);
    if (o->num_extra_auxv > 0) {
        memcpy(all + n, o->extra_auxv, o->num_extra_auxv * sizeof *all);
    }
    vs_startstack_spec spec = {.arch = p->arch->id,
                               .stack_top = p->info.stack_top,
                               .argv = o->argv,
                               .argc = o->argc,
                               .envp = o->envp,
                               .envc = o->envc,
                               .auxv = all,
                               .auxc = total,
                               .execfn = o->execfn};
    vs_startstack_random(o->random_seed, spec.random);
    vs_result r = proc_stack_write(p, &spec, err);
    m->free(m->ctx, all, total * sizeof *all);
    return r;
}

/* The default stack top: the top of the child's range below anything
 * reserved there ("kernel"), aligned down to the stack page size. */
static vs_addr default_stack_top(const vs_process *p, const vs_spawn_opts *o)
{
    unsigned bits = o->stack_page_bits != 0 ? o->stack_page_bits : p->arch->page_sizes[0].bits;
    vs_addr top = o->range_end != 0 ? o->range_end : p->arch->user_end;
    if (top > p->arch->user_end) {
        top = p->arch->user_end;
    }
    return top & ~(((vs_addr)1 << bits) - 1);
}

vs_result vs_process_spawn(const vs_spawn_env *env, vs_arch_id arch, const void *elf, size_t elf_size,
                           const vs_spawn_opts *opts, vs_process **out, vs_spawn_error *err)
{
    static const vs_spawn_opts defaults;
    const vs_spawn_opts *o = opts != NULL ? opts : &defaults;
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->reason = "no error";
    }
    vs_result r = check_args(env, o, out, err);
    if (r != VS_OK) {
        return r;
    }
    const vs_arch *a = vs_arch_get(arch);
    if (a == NULL || vs_sel4_backend_arch(env->be) != a) {
        return proc_fail(err, VS_ERR_INVALID_ARG, VS_SPAWN_STAGE_ARGS, "architecture unknown or not the backend's",
                         (vs_addr)arch, 0);
    }
    vs_process *p = env->mem.alloc(env->mem.ctx, sizeof *p);
    if (p == NULL) {
        return proc_fail(err, VS_ERR_NO_MEMORY, VS_SPAWN_STAGE_ARGS, "no memory for the process record", 0, 0);
    }
    memset(p, 0, sizeof *p);
    p->env = *env;
    p->arch = a;
    p->alloc = vs_sel4_backend_alloc(env->be);
    p->info.arch = arch;

    r = make_vspace(p, o, err);
    if (r == VS_OK) {
        r = make_kernel_reservation(p, o, err);
    }
    if (r == VS_OK) {
        r = load_elf(p, elf, elf_size, o, err);
    }
    if (r == VS_OK) {
        r = proc_stack_create(p, o, o->stack_top != 0 ? o->stack_top : default_stack_top(p, o), err);
    }
    if (r == VS_OK) {
        r = make_ipc_buffer(p, err);
    }
    if (r == VS_OK) {
        r = make_shared(p, o, err);
    }
    if (r == VS_OK) {
        r = make_thread(p, o, err);
    }
    if (r == VS_OK) {
        r = write_startstack(p, o, err);
    }
    if (r == VS_OK) {
        r = proc_write_registers(p, (o->flags & VS_SPAWN_RESUME) != 0, err);
    }
    if (r != VS_OK) {
        proc_teardown(p);
        put(p);
        return r;
    }
    *out = p;
    return VS_OK;
}

vs_result vs_process_destroy(vs_process *p, int *kernel_error)
{
    if (p == NULL) {
        if (kernel_error != NULL) {
            *kernel_error = 0;
        }
        return VS_OK;
    }
    int k = proc_teardown(p);
    if (kernel_error != NULL) {
        *kernel_error = k;
    }
    put(p);
    return k != 0 ? VS_ERR_KERNEL : VS_OK;
}

vs_space *vs_process_space(const vs_process *p)
{
    return p != NULL ? p->vs : NULL;
}

vs_result vs_process_get_info(const vs_process *p, vs_process_info *out)
{
    if (p == NULL || out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    *out = p->info;
    return VS_OK;
}
