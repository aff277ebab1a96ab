/* The three-way audit on the simulated seL4, per architecture: clean after
 * honest work, and each kind of disagreement planted on purpose is caught
 * at its address with the expected and found values:
 *  - a reservation dropped while its pages stay mapped (the seed's bug),
 *  - a page the kernel maps that the shadow does not know (mapped straight
 *    through the backend's libsel4 calls),
 *  - a large frame cap handed to vs_map as a base page,
 *  - rights that differ from the kernel's,
 *  - a frame the shadow attributes to another physical address,
 *  - a cap that is no frame at all, found even without translate.
 * Corruptions reach into the core's private structures (as the core's own
 * check test does) and are undone before teardown. */
#include <stdio.h>
#include <string.h>

#include <vs/audit.h>
#include <vs/walk.h>

#include "be_fixture.h"
#include "internal.h"

enum { MAX_FOUND = 4096 };

typedef struct found_list {
    vs_discrepancy items[MAX_FOUND];
    size_t count;
} found_list;

static found_list got;

static void take(void *ctx, const vs_discrepancy *d)
{
    found_list *l = ctx;
    if (l->count < MAX_FOUND) {
        l->items[l->count++] = *d;
    }
}

static vs_result audit(const vs_space *vs, vs_audit_summary *s)
{
    got.count = 0;
    return vs_audit(vs, take, &got, s);
}

/* Number of discrepancies of kind at vaddr. */
static size_t count_at(vs_audit_kind kind, vs_addr vaddr)
{
    size_t n = 0;
    for (size_t i = 0; i < got.count; i++) {
        n += got.items[i].kind == kind && got.items[i].vaddr == vaddr;
    }
    return n;
}

static const vs_discrepancy *first_of(vs_audit_kind kind)
{
    for (size_t i = 0; i < got.count; i++) {
        if (got.items[i].kind == kind) {
            return &got.items[i];
        }
    }
    return NULL;
}

static void dump(const char *label)
{
    for (size_t i = 0; i < got.count && i < 8; i++) {
        const vs_discrepancy *d = &got.items[i];
        fprintf(stderr, "  %s: I%u %s at %#llx expected %#llx found %#llx: %s\n", label, d->invariant,
                vs_audit_kind_name(d->kind), (unsigned long long)d->vaddr, (unsigned long long)d->expected,
                (unsigned long long)d->found, d->what);
    }
}

typedef struct layout {
    vs_reservation *text, *data, *big;
    vs_addr text_va, data_va, big_va;
    unsigned big_bits;
} layout;

static vs_addr start_of(const vs_space *vs, const vs_reservation *r)
{
    vs_reservation_info info;
    vs_reservation_get_info(vs, r, &info);
    return info.start;
}

static void build(be_child *c, layout *l)
{
    const vs_arch *arch = vs_get_arch(c->vs);
    vs_attrs text = {".text", VS_RIGHT_READ | VS_RIGHT_EXEC, VS_CACHE_DEFAULT};
    vs_attrs data = {".data", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_attrs big = {"big", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    l->big_bits = arch->page_sizes[1].bits;
    CHECK_RES(vs_reserve_at(c->vs, 0x400000, 8 * PAGE_SIZE, &text, &l->text), VS_OK);
    CHECK_RES(vs_reserve_at(c->vs, 0x408000, 8 * PAGE_SIZE, &data, &l->data), VS_OK);
    CHECK_RES(vs_reserve(c->vs, 2ull << l->big_bits, 1ull << l->big_bits, &big, &l->big), VS_OK);
    l->text_va = start_of(c->vs, l->text);
    l->data_va = start_of(c->vs, l->data);
    l->big_va = start_of(c->vs, l->big);
    CHECK_RES(vs_map_new(c->vs, l->text_va, 5, 12), VS_OK);
    CHECK_RES(vs_map_new(c->vs, l->data_va + PAGE_SIZE, 3, 12), VS_OK);
    CHECK_RES(vs_map_new(c->vs, l->big_va, 1, l->big_bits), VS_OK);
}

static void test_clean(be_fx *fx, be_child *c, const layout *l)
{
    (void)l;
    vs_audit_summary s;
    CHECK_RES(audit(c->vs, &s), VS_OK);
    if (s.discrepancies != 0) {
        dump("clean");
    }
    CHECK_EQ_U(s.discrepancies, 0);
    CHECK_EQ_U(s.checks_run, VS_AUDIT_CHECK_BOOKKEEPING | VS_AUDIT_CHECK_FRAME_ADDR | VS_AUDIT_CHECK_TRANSLATE |
                                 VS_AUDIT_CHECK_UNKNOWN);
    CHECK_EQ_U(s.checks_skipped, 0);
    uint64_t big_pages = 1ull << (l->big_bits - 12);
    CHECK_EQ_U(s.reservations, 3);
    CHECK_EQ_U(s.reserved_pages, 16 + 2 * big_pages);
    CHECK_EQ_U(s.mapped_pages, 8 + big_pages);
    CHECK_EQ_U(s.mapped_in_reservations, s.mapped_pages);
    CHECK_EQ_U(s.kernel_pages, s.mapped_pages);
    CHECK_EQ_U(s.mapped_outside, 0);
    /* The scan steps over unmapped spans: far fewer probes than pages. */
    CHECK(s.kernel_probes < 20000);

    /* Without translate (real seL4): the kernel checks are skipped, and
     * said so; frame addresses are still asked for. */
    vs_sel4_backend_set_translate(fx->be, NULL, NULL);
    CHECK_RES(audit(c->vs, &s), VS_OK);
    CHECK_EQ_U(s.checks_run, VS_AUDIT_CHECK_BOOKKEEPING | VS_AUDIT_CHECK_FRAME_ADDR);
    CHECK_EQ_U(s.checks_skipped, VS_AUDIT_CHECK_TRANSLATE | VS_AUDIT_CHECK_UNKNOWN);
    CHECK(s.skipped_why != NULL && strstr(s.skipped_why, "translate") != NULL);
    CHECK_EQ_U(s.kernel_probes, 1);
    vs_sel4_backend_set_translate(fx->be, sel4sim_vs_translate, NULL);
}

/* The seed's bug: the reservations of the loaded image dropped, the pages
 * still mapped. */
static void test_dropped_reservation(be_child *c, const layout *l)
{
    vs_space *vs = c->vs;
    res_node *text = handles_resolve(&vs->handles, l->text);
    restree_remove(&vs->tree, text, restree_leaf_of(&vs->tree, text));
    vs_audit_summary s;
    CHECK_RES(audit(vs, &s), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(s.mapped_outside, 5);
    CHECK_EQ_U(s.reservations, 2);
    for (unsigned i = 0; i < 5; i++) {
        const vs_addr va = l->text_va + i * PAGE_SIZE;
        CHECK_EQ_U(count_at(VS_AUDIT_BOOKKEEPING, va), 1);
    }
    const vs_discrepancy *d = first_of(VS_AUDIT_BOOKKEEPING);
    CHECK(d != NULL && d->invariant == 1 && d->violation == VS_V_PAGE_OUTSIDE_RESERVATION);
    CHECK_EQ_U(s.per_invariant[2], 0); /* the kernel agrees with the shadow */
    CHECK_RES(restree_prepare(&vs->tree, text->start, NULL), VS_OK);
    restree_insert(&vs->tree, text);
    CHECK_RES(audit(vs, &s), VS_OK);
}

/* A frame mapped behind the shadow's back, in a reserved page whose page
 * table exists. */
static void test_unknown_page(be_fx *fx, be_child *c, const layout *l)
{
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    vs_object frame;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    vs_addr va = l->text_va + 6 * PAGE_SIZE;
    vs_kstatus st = k.ops->map_frame(k.ctx, c->root.cap, frame.cap, va, 0, VS_RIGHT_READ, VS_CACHE_DEFAULT);
    CHECK_EQ_U(st.error, 0);
    vs_addr pa = 0;
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, frame.cap, &pa), 0);
    vs_audit_summary s;
    CHECK_RES(audit(c->vs, &s), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(s.discrepancies, 1);
    CHECK_EQ_U(count_at(VS_AUDIT_KERNEL_UNKNOWN, va), 1);
    const vs_discrepancy *d = first_of(VS_AUDIT_KERNEL_UNKNOWN);
    CHECK(d != NULL && d->invariant == 2 && d->expected == VS_PAGE_RESERVED && d->found == pa);
    CHECK_EQ_U(s.kernel_pages, s.mapped_pages + 1);
    CHECK_EQ_U(k.ops->unmap_frame(k.ctx, frame.cap, 0), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    CHECK_RES(audit(c->vs, &s), VS_OK);
}

/* A frame mapped far from everything the vspace holds, with the paging
 * structures it needs created behind the vspace's back too: the scan of
 * the managed range must still find it, stepping over unmapped spans. */
static void test_unknown_far_page(be_fx *fx, be_child *c)
{
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    const vs_arch *arch = vs_get_arch(c->vs);
    vs_addr va = ((arch->user_end / 2) & ~(vs_addr)0xfffff) + 7 * PAGE_SIZE;
    vs_object frame;
    vs_object tables[VS_MAX_LEVELS];
    unsigned levels[VS_MAX_LEVELS];
    size_t ntables = 0;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    vs_kstatus st;
    while ((st = k.ops->map_frame(k.ctx, c->root.cap, frame.cap, va, 0, VS_RIGHT_READ, VS_CACHE_DEFAULT)).error != 0 &&
           st.missing_level >= 1 && ntables < VS_MAX_LEVELS) {
        unsigned level = (unsigned)st.missing_level;
        CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_PAGING_TABLE, level, &tables[ntables]), 0);
        vs_kstatus ts = k.ops->map_table(k.ctx, c->root.cap, tables[ntables].cap, level, va);
        CHECK_EQ_U(ts.error, 0);
        levels[ntables++] = level;
    }
    CHECK_EQ_U(st.error, 0);
    vs_addr pa = 0;
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, frame.cap, &pa), 0);
    vs_audit_summary s;
    CHECK_RES(audit(c->vs, &s), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(s.discrepancies, 1);
    CHECK_EQ_U(count_at(VS_AUDIT_KERNEL_UNKNOWN, va), 1);
    const vs_discrepancy *d = first_of(VS_AUDIT_KERNEL_UNKNOWN);
    CHECK(d != NULL && d->expected == VS_PAGE_EMPTY && d->found == pa);
    CHECK_EQ_U(s.kernel_pages, s.mapped_pages + 1);
    CHECK(s.kernel_probes < 20000);
    CHECK_EQ_U(k.ops->unmap_frame(k.ctx, frame.cap, 0), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    while (ntables-- > 0) {
        CHECK_EQ_U(k.ops->unmap_table(k.ctx, tables[ntables].cap, levels[ntables]), 0);
        CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_PAGING_TABLE, levels[ntables], &tables[ntables]), 0);
    }
    CHECK_RES(audit(c->vs, &s), VS_OK);
}

/* A large frame's cap handed to vs_map as a base page: the kernel maps the
 * frame at its own size. The backend refuses frames its own allocator made
 * with another size, so the cap is a copy in a plain slot, as a caller's
 * own frame (a device frame, a boot frame) would be. */
static void test_large_cap_as_small(be_fx *fx, be_child *c, const layout *l)
{
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    vs_object frame;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 1, &frame), 0);
    seL4_CPtr slot = 0;
    CHECK_EQ_U(vs_sel4_alloc_slot(fx->alloc, &slot), 0);
    CHECK_EQ_U(seL4_CNode_Copy(seL4_CapInitThreadCNode, slot, (seL4_Uint8)seL4_WordBits, seL4_CapInitThreadCNode,
                               (seL4_CPtr)frame.cap, (seL4_Uint8)seL4_WordBits, seL4_AllRights),
               0);
    vs_addr va = l->big_va + (1ull << l->big_bits);
    vs_cap cap = slot;
    vs_result r = vs_map(c->vs, va, &cap, NULL, 1, 12);
    CHECK_RES(r, VS_OK);
    if (r == VS_OK) {
        vs_audit_summary s;
        CHECK_RES(audit(c->vs, &s), VS_ERR_INCONSISTENT);
        CHECK_EQ_U(count_at(VS_AUDIT_KERNEL_SIZE, va), 1);
        const vs_discrepancy *d = first_of(VS_AUDIT_KERNEL_SIZE);
        CHECK(d != NULL && d->expected == 12 && d->found == l->big_bits && d->invariant == 2);
        CHECK_RES(vs_unmap(c->vs, va, PAGE_SIZE, 0), VS_OK);
    }
    CHECK_EQ_U(seL4_CNode_Delete(seL4_CapInitThreadCNode, slot, (seL4_Uint8)seL4_WordBits), 0);
    CHECK_EQ_U(vs_sel4_free_slot(fx->alloc, slot), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 1, &frame), 0);
    vs_audit_summary s;
    CHECK_RES(audit(c->vs, &s), VS_OK);
}

/* The reservation says read-write, the kernel was asked for read-only. */
static void test_wrong_rights(be_child *c, const layout *l)
{
    vs_space *vs = c->vs;
    res_node *text = handles_resolve(&vs->handles, l->text);
    uint8_t saved = text->rights;
    text->rights = VS_RIGHT_READ | VS_RIGHT_WRITE;
    vs_audit_summary s;
    CHECK_RES(audit(vs, &s), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(s.discrepancies, 5);
    CHECK_EQ_U(s.per_kind[VS_AUDIT_KERNEL_RIGHTS], 5);
    const vs_discrepancy *d = first_of(VS_AUDIT_KERNEL_RIGHTS);
    const vs_arch *arch = vs_get_arch(vs);
    CHECK(d != NULL && d->vaddr == l->text_va);
    CHECK(d != NULL && d->expected == vs_audit_kernel_rights(arch, VS_RIGHT_READ | VS_RIGHT_WRITE));
    CHECK(d != NULL && d->found == vs_audit_kernel_rights(arch, VS_RIGHT_READ | VS_RIGHT_EXEC));
    text->rights = saved;
    CHECK_RES(audit(vs, &s), VS_OK);
}

/* The cap the shadow records for a mapped base page: inline, or in the
 * leaf's side array when the page has a cookie. */
static vs_cap shadow_cap(vs_space *vs, vs_addr va)
{
    shadow_leaf *leaf = shadow_leaf_of(&vs->shadow, va >> 12);
    unsigned i = (unsigned)((va >> 12) & (SHADOW_LEAF_PAGES - 1));
    return (leaf->meta[i] & META_EXT) ? leaf->ext[i].cap : leaf->cap[i];
}

static void set_shadow_cap(vs_space *vs, vs_addr va, vs_cap cap)
{
    shadow_leaf *leaf = shadow_leaf_of(&vs->shadow, va >> 12);
    unsigned i = (unsigned)((va >> 12) & (SHADOW_LEAF_PAGES - 1));
    if (leaf->meta[i] & META_EXT) {
        leaf->ext[i].cap = cap;
    } else {
        leaf->cap[i] = (uint32_t)cap;
    }
}

static void swap_caps(vs_space *vs, vs_addr a, vs_addr b)
{
    vs_cap tmp = shadow_cap(vs, a);
    set_shadow_cap(vs, a, shadow_cap(vs, b));
    set_shadow_cap(vs, b, tmp);
}

static void test_wrong_paddr(be_fx *fx, be_child *c, const layout *l)
{
    vs_space *vs = c->vs;
    vs_addr a = l->data_va + PAGE_SIZE;
    vs_addr b = l->data_va + 3 * PAGE_SIZE;
    vs_page pa_page;
    vs_page pb_page;
    CHECK_RES(vs_lookup(vs, a, &pa_page), VS_OK);
    CHECK_RES(vs_lookup(vs, b, &pb_page), VS_OK);
    swap_caps(vs, a, b);
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    vs_addr frame_a = 0;
    vs_addr frame_b = 0;
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, pa_page.cap, &frame_a), 0);
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, pb_page.cap, &frame_b), 0);
    vs_audit_summary s;
    CHECK_RES(audit(vs, &s), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(s.discrepancies, 2);
    CHECK_EQ_U(count_at(VS_AUDIT_KERNEL_PADDR, a), 1);
    CHECK_EQ_U(count_at(VS_AUDIT_KERNEL_PADDR, b), 1);
    const vs_discrepancy *d = first_of(VS_AUDIT_KERNEL_PADDR);
    CHECK(d != NULL && d->vaddr == a && d->expected == frame_b && d->found == frame_a);
    swap_caps(vs, a, b);

    /* A cap that is no frame: caught through frame_paddr alone, also
     * without translate. */
    vs_cap saved = shadow_cap(vs, a);
    set_shadow_cap(vs, a, c->root.cap);
    vs_sel4_backend_set_translate(fx->be, NULL, NULL);
    CHECK_RES(audit(vs, &s), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(count_at(VS_AUDIT_FRAME_CAP, a), 1);
    vs_sel4_backend_set_translate(fx->be, sel4sim_vs_translate, NULL);
    set_shadow_cap(vs, a, saved);
    CHECK_RES(audit(vs, &s), VS_OK);
}

int main(int argc, char **argv)
{
    if (argc != 2 || vs_arch_by_name(argv[1]) == NULL) {
        fprintf(stderr, "usage: %s ARCH\n", argv[0]);
        return 2;
    }
    const vs_arch *arch = vs_arch_by_name(argv[1]);
    static char ctx[64];
    snprintf(ctx, sizeof ctx, "audit/%s", arch->name);
    test_context = ctx;
    be_fx fx;
    be_fx_init(&fx, arch->id, 256ull << 20);
    be_child c;
    CHECK(be_child_create(&fx, &c, 0, 0) == 0);
    layout l;
    build(&c, &l);
    test_clean(&fx, &c, &l);
    test_dropped_reservation(&c, &l);
    test_unknown_page(&fx, &c, &l);
    test_unknown_far_page(&fx, &c);
    test_large_cap_as_small(&fx, &c, &l);
    test_wrong_rights(&c, &l);
    test_wrong_paddr(&fx, &c, &l);
    be_child_destroy(&fx, &c, 0);
    be_fx_fini(&fx);
    return test_summary("inspect_audit");
}
