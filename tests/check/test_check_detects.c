/* vs_check must see corrupted bookkeeping. Each test builds a healthy
 * vspace, corrupts one fact through the core's private structures, and
 * requires vs_check to return INCONSISTENT and report a violation of the
 * right kind at the right address; then it undoes the corruption, so that
 * teardown runs on consistent state. */
#include <string.h>

#include "../support/harness.h"
#include "internal.h"

typedef struct seen {
    vs_violation_kind kind;
    vs_addr vaddr;
    int found;
    size_t total;
} seen;

static void collect(void *ctx, const vs_violation *v)
{
    seen *s = ctx;
    s->total++;
    CHECK(v->what != NULL && v->what[0] != '\0');
    if (v->kind == s->kind && v->vaddr == s->vaddr) {
        s->found = 1;
    }
}

static void expect_violation(const vs_space *vs, vs_violation_kind kind, vs_addr vaddr)
{
    seen s = {kind, vaddr, 0, 0};
    size_t count = 0;
    CHECK_RES(vs_check(vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    CHECK(count >= 1 && count == s.total);
    if (!s.found) {
        test_fail(__FILE__, __LINE__, "no %s reported at %#llx (%zu other violations)", vs_violation_kind_name(kind),
                  (unsigned long long)vaddr, s.total);
    }
}

/* A standard healthy state: [base, base + 8 pages) with pages 0 and 1 mapped. */
static vs_reservation *healthy(fixture *fx, const vs_arch *arch)
{
    fx_init(fx, arch, 0, 0, 0);
    vs_attrs a = attrs_rw("h");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx->vs, 8 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_cap c[2] = {fx_frame(fx, 12), fx_frame(fx, 12)};
    CHECK_RES(vs_map(fx->vs, arch->user_base, c, NULL, 2, 12), VS_OK);
    fx_check(fx, fx->vs);
    return r;
}

/* The reservation holding mapped pages 0 and 1 is unlinked from the tree:
 * its pages are then mapped outside every reservation. */
static void test_page_outside_reservation(const vs_arch *arch)
{
    fixture fx;
    res_node *r = handles_resolve(&fx.vs->handles, healthy(&fx, arch));
    restree_remove(&fx.vs->tree, r);
    expect_violation(fx.vs, VS_V_PAGE_OUTSIDE_RESERVATION, arch->user_base);
    expect_violation(fx.vs, VS_V_PAGE_OUTSIDE_RESERVATION, arch->user_base + PAGE_SIZE);
    restree_insert(&fx.vs->tree, r);
    fx_fini(&fx, 0);
}

/* VS_V_PAGE_EMPTY_IN_RESERVATION cannot occur since the shadow holds mapped
 * pages only (a page of a reservation is RESERVED by definition). A mapped
 * page the shadow loses shows as the reservation's count disagreeing. */
static void test_mapped_page_lost(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    uint64_t page = page_of(arch->user_base + PAGE_SIZE);
    shadow_leaf *leaf = shadow_leaf_of(&fx.vs->shadow, page);
    unsigned i = (unsigned)(page & (SHADOW_LEAF_PAGES - 1));
    CHECK(leaf != NULL);
    uint8_t saved = leaf->meta[i];
    leaf->meta[i] = 0;
    expect_violation(fx.vs, VS_V_MAPPED_COUNT, arch->user_base);
    leaf->meta[i] = saved;
    fx_fini(&fx, 0);
}

static void test_mapped_count(const vs_arch *arch)
{
    fixture fx;
    res_node *r = handles_resolve(&fx.vs->handles, healthy(&fx, arch));
    r->mapped_pages += 1;
    expect_violation(fx.vs, VS_V_MAPPED_COUNT, r->start);
    r->mapped_pages -= 1;
    fx_fini(&fx, 0);
}

/* The second mapped page is made to name the first page's cap. */
static void test_cap_mapped_twice(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    uint64_t p0 = page_of(arch->user_base), p1 = p0 + 1;
    shadow_leaf *l0 = shadow_leaf_of(&fx.vs->shadow, p0), *l1 = shadow_leaf_of(&fx.vs->shadow, p1);
    unsigned i0 = (unsigned)(p0 & (SHADOW_LEAF_PAGES - 1)), i1 = (unsigned)(p1 & (SHADOW_LEAF_PAGES - 1));
    CHECK(l0 != NULL && l1 != NULL && !(l1->meta[i1] & META_EXT) && !(l0->meta[i0] & META_EXT));
    uint32_t saved = l1->cap[i1];
    l1->cap[i1] = l0->cap[i0];
    seen s = {VS_V_CAP_MAPPED_TWICE, 0, 0, 0};
    size_t count = 0;
    CHECK_RES(vs_check(fx.vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    s.vaddr = p1 << 12; /* reported at either mapping */
    s.found = 0;
    CHECK_RES(vs_check(fx.vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    int at_second = s.found;
    s.vaddr = p0 << 12;
    s.found = 0;
    CHECK_RES(vs_check(fx.vs, collect, &s, &count), VS_ERR_INCONSISTENT);
    CHECK(at_second || s.found);
    l1->cap[i1] = saved;
    fx_fini(&fx, 0);
}

static void test_tree_augmentation(const vs_arch *arch)
{
    fixture fx;
    vs_reservation *r = healthy(&fx, arch);
    vs_attrs a = attrs_rw("t");
    vs_reservation *r2 = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_base + 32 * PAGE_SIZE, PAGE_SIZE, &a, &r2), VS_OK);
    res_node *top = fx.vs->tree.root;
    uint64_t saved = top->sub_gap;
    top->sub_gap += PAGE_SIZE;
    expect_violation(fx.vs, VS_V_TREE, top->start);
    top->sub_gap = saved;
    (void)r;
    fx_fini(&fx, 0);
}

static void test_page_count(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    fx.vs->reserved_pages += 3;
    size_t count = 0;
    CHECK_RES(vs_check(fx.vs, NULL, NULL, &count), VS_ERR_INCONSISTENT);
    CHECK(count >= 1);
    fx.vs->reserved_pages -= 3;
    fx_fini(&fx, 0);
}

static void test_healthy_is_clean(const vs_arch *arch)
{
    fixture fx;
    healthy(&fx, arch);
    size_t count = 5;
    CHECK_RES(vs_check(fx.vs, NULL, NULL, &count), VS_OK);
    CHECK_EQ_U(count, 0);
    talloc_fail_after(&fx.ta, 0); /* the duplicate-cap scan needs scratch memory */
    vs_result r = vs_check(fx.vs, NULL, NULL, &count);
    talloc_disarm(&fx.ta);
    CHECK(r == VS_OK || r == VS_ERR_NO_MEMORY);
    fx_fini(&fx, 0);
}

int main(void)
{
    run_all_archs("healthy_is_clean", test_healthy_is_clean);
    run_all_archs("page_outside_reservation", test_page_outside_reservation);
    run_all_archs("mapped_page_lost", test_mapped_page_lost);
    run_all_archs("mapped_count", test_mapped_count);
    run_all_archs("cap_mapped_twice", test_cap_mapped_twice);
    run_all_archs("tree_augmentation", test_tree_augmentation);
    run_all_archs("page_count", test_page_count);
    return test_summary("core_check_detects");
}
