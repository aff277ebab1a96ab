/* The three-way audit (include/vs/audit.h). Built on the public API only:
 * vs_check for I1/I3, the walks for the shadow's view, the kernel interface
 * (translate, frame_paddr) for the kernel's. Freestanding, like the core. */
#include <vs/audit.h>
#include <vs/walk.h>

typedef struct auditor {
    const vs_space *vs;
    const vs_arch *arch;
    vs_kernel k;
    vs_cap root;
    vs_discrepancy_fn report;
    void *ctx;
    vs_audit_summary *sum;
    int translate_ok; /* the kernel answers translate */
} auditor;

static void found(auditor *a, unsigned invariant, vs_audit_kind kind, int violation, vs_addr vaddr, uint64_t expected,
                  uint64_t got, const char *what)
{
    a->sum->discrepancies++;
    a->sum->per_invariant[invariant]++;
    a->sum->per_kind[kind]++;
    if (a->report != NULL) {
        vs_discrepancy d = {invariant, kind, violation, vaddr, expected, got, what};
        a->report(a->ctx, &d);
    }
}

/* ---- I1 and I3: the bookkeeping ---- */

static unsigned invariant_of(vs_violation_kind kind)
{
    return kind == VS_V_CAP_MAPPED_TWICE || kind == VS_V_ACCOUNTING ? 3 : 1;
}

static void on_violation(void *ctx, const vs_violation *v)
{
    auditor *a = ctx;
    found(a, invariant_of(v->kind), VS_AUDIT_BOOKKEEPING, (int)v->kind, v->vaddr, v->expected, v->found, v->what);
}

static int count_reservation(void *ctx, const vs_reservation *res)
{
    const auditor *a = ctx;
    vs_audit_summary *s = a->sum;
    vs_reservation_info info;
    vs_reservation_get_info(a->vs, res, &info);
    s->reservations++;
    s->reserved_pages += (info.end - info.start) >> 12;
    s->mapped_in_reservations += info.mapped_pages;
    return 0;
}

/* ---- I2: each page the shadow maps, against the kernel ---- */

uint8_t vs_audit_kernel_rights(const vs_arch *arch, uint8_t rights)
{
    if (rights & (VS_RIGHT_WRITE | VS_RIGHT_EXEC)) {
        rights |= VS_RIGHT_READ;
    }
    if ((rights & VS_RIGHT_READ) && (arch->id == VS_ARCH_IA32 || arch->id == VS_ARCH_X86_64)) {
        rights |= VS_RIGHT_EXEC;
    }
    return rights;
}

static int translate(auditor *a, vs_addr vaddr, vs_translation *t)
{
    a->sum->kernel_probes++;
    *t = (vs_translation){0, 0, 0, 0};
    return a->k.ops->translate(a->k.ctx, a->root, vaddr, t);
}

static int check_page(void *ctx, const vs_mapping *m)
{
    auditor *a = ctx;
    uint64_t pages = (uint64_t)1 << (m->size_bits - 12);
    a->sum->mapped_pages += pages;
    a->sum->mapped_outside += m->res == NULL ? pages : 0;
    vs_addr paddr = 0;
    int perr = a->k.ops->frame_paddr(a->k.ctx, m->cap, &paddr);
    if (perr != 0) {
        found(a, 2, VS_AUDIT_FRAME_CAP, -1, m->vaddr, 0, (uint64_t)perr,
              "the kernel does not know the page's cap as a frame (frame_paddr failed)");
    }
    if (!a->translate_ok) {
        return 0;
    }
    vs_translation t;
    int terr = translate(a, m->vaddr, &t);
    if (terr != 0) {
        found(a, 2, VS_AUDIT_KERNEL_ERROR, -1, m->vaddr, 0, (uint64_t)terr, "the kernel's translate failed");
        return 0;
    }
    if (!t.mapped) {
        found(a, 2, VS_AUDIT_KERNEL_UNMAPPED, -1, m->vaddr, m->size_bits, 0,
              "the shadow maps this page, the kernel maps nothing here");
        return 0;
    }
    if (t.size_bits != m->size_bits) {
        found(a, 2, VS_AUDIT_KERNEL_SIZE, -1, m->vaddr, m->size_bits, t.size_bits,
              "the kernel maps this page with another page size (log2 bytes)");
    }
    if (perr == 0 && t.paddr != paddr) {
        found(a, 2, VS_AUDIT_KERNEL_PADDR, -1, m->vaddr, paddr, t.paddr,
              "the kernel maps another frame here than the shadow's cap names (physical address)");
    }
    uint8_t want = a->k.ops->granted_rights != NULL ? a->k.ops->granted_rights(a->k.ctx, m->rights)
                                                    : vs_audit_kernel_rights(a->arch, m->rights);
    if (m->res != NULL && t.rights != want) {
        found(a, 2, VS_AUDIT_KERNEL_RIGHTS, -1, m->vaddr, want, t.rights,
              "the kernel grants other rights than the reservation's (VS_RIGHT_* bits)");
    }
    return 0;
}

/* ---- I2: the kernel's whole managed range, against the shadow ---- */

/* Scans the managed range through the kernel, stepping over the spans
 * it reports unmapped. Returns 0, or -1 if the kernel reported an unmapped
 * address without its span: a page-by-page scan of a 64-bit range would take
 * years, so the scan stops there. */
static int scan_kernel(auditor *a)
{
    vs_addr base;
    vs_addr end;
    vs_get_range(a->vs, &base, &end);
    /* A range may reach past user_end to reserve the kernel's top of the
     * address space; nothing there is ever the vspace's, and what the kernel
     * maps there is its own (on ia32 and aarch32 its window in every
     * address space). */
    const vs_arch *arch = vs_get_arch(a->vs);
    if (end > arch->user_end) {
        end = arch->user_end;
    }
    for (vs_addr va = base; va < end;) {
        vs_translation t;
        int err = translate(a, va, &t);
        vs_addr next;
        if (err != 0) {
            found(a, 2, VS_AUDIT_KERNEL_ERROR, -1, va, 0, (uint64_t)err, "the kernel's translate failed");
            next = va + 4096;
        } else if (t.mapped) {
            vs_addr page_end = (va | (((vs_addr)1 << t.size_bits) - 1)) + 1;
            next = page_end != 0 && page_end < end ? page_end : end;
            a->sum->kernel_pages += (next - va) >> 12;
            vs_page p;
            if (vs_lookup(a->vs, va, &p) == VS_OK && p.state != VS_PAGE_MAPPED) {
                found(a, 2, VS_AUDIT_KERNEL_UNKNOWN, -1, va, p.state, t.paddr,
                      "the kernel maps a page here that the shadow does not know");
            }
        } else if (t.size_bits >= 12) {
            next = (va | (((vs_addr)1 << t.size_bits) - 1)) + 1;
        } else {
            return -1;
        }
        if (next <= va) {
            break; /* wrapped past the top of the address space */
        }
        va = next;
    }
    return 0;
}

/* Does the kernel answer translate? Asked at the managed range's first
 * page (any answer will do). */
static void probe_kernel(auditor *a)
{
    if (a->k.ops == NULL || a->k.ops->translate == NULL) {
        return;
    }
    vs_addr base;
    vs_addr end;
    vs_get_range(a->vs, &base, &end);
    vs_translation t;
    a->translate_ok = translate(a, base, &t) == 0;
}

vs_result vs_audit(const vs_space *vs, vs_discrepancy_fn report, void *ctx, vs_audit_summary *out)
{
    if (vs == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_audit_summary local;
    vs_audit_summary *sum = out != NULL ? out : &local;
    *sum = (vs_audit_summary){0};
    auditor a = {vs, vs_get_arch(vs), vs_get_kernel(vs), vs_get_root(vs), report, ctx, sum, 0};

    size_t violations = 0;
    vs_result r = vs_check(vs, on_violation, &a, &violations);
    if (r == VS_ERR_NO_MEMORY) {
        return r;
    }
    sum->checks_run |= VS_AUDIT_CHECK_BOOKKEEPING;
    vs_for_each_reservation(vs, count_reservation, &a);

    probe_kernel(&a);
    r = vs_walk_pages(vs, check_page, &a);
    if (r != VS_OK) {
        return r;
    }
    sum->checks_run |= VS_AUDIT_CHECK_FRAME_ADDR;
    if (!a.translate_ok) {
        sum->checks_skipped |= VS_AUDIT_CHECK_TRANSLATE | VS_AUDIT_CHECK_UNKNOWN;
        sum->skipped_why = "the kernel interface cannot translate addresses (seL4 has no such call): page size, "
                           "physical address and rights of each mapping, and mappings the shadow does not know, "
                           "were not compared with the kernel's page tables";
    } else {
        sum->checks_run |= VS_AUDIT_CHECK_TRANSLATE;
        if (scan_kernel(&a) == 0) {
            sum->checks_run |= VS_AUDIT_CHECK_UNKNOWN;
        } else {
            sum->checks_skipped |= VS_AUDIT_CHECK_UNKNOWN;
            sum->skipped_why = "the kernel's translate does not say how far an unmapped range goes, so the managed "
                               "range was not scanned for mappings the shadow does not know";
        }
    }
    return sum->discrepancies == 0 ? VS_OK : VS_ERR_INCONSISTENT;
}

const char *vs_audit_kind_name(vs_audit_kind kind)
{
    static const char *const names[] = {
        [VS_AUDIT_BOOKKEEPING] = "bookkeeping",     [VS_AUDIT_KERNEL_UNMAPPED] = "kernel-unmapped",
        [VS_AUDIT_KERNEL_SIZE] = "kernel-size",     [VS_AUDIT_KERNEL_PADDR] = "kernel-paddr",
        [VS_AUDIT_KERNEL_RIGHTS] = "kernel-rights", [VS_AUDIT_KERNEL_UNKNOWN] = "kernel-unknown",
        [VS_AUDIT_FRAME_CAP] = "frame-cap",         [VS_AUDIT_KERNEL_ERROR] = "kernel-error",
    };
    if ((unsigned)kind >= VS_AUDIT_KIND_COUNT || names[kind] == NULL) {
        return "unknown";
    }
    return names[kind];
}
