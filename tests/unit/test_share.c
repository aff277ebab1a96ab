/* vs_share: every shared page is mapped through its own cap copy (I3),
 * with the destination reservation's rights; copies die on unmap and on
 * teardown; the argument errors. */
#include <string.h>

#include "../support/harness.h"

typedef struct pair {
    fixture fx; /* fx.vs is the source */
    vs_space *dst;
    vs_cap dst_root;
    vs_addr src_va;
    vs_addr dst_va;
} pair;

/* Source: 4 caller pages at user_base; destination: 8 reserved pages, R only. */
static void pair_init(pair *p, const vs_arch *arch)
{
    fx_init(&p->fx, arch, 0, 0, FX_TABLES);
    p->dst = fx_second(&p->fx, &p->dst_root);
    vs_attrs rw = attrs_rw("src"), ro = {"dst", VS_RIGHT_READ, VS_CACHE_DEFAULT};
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(p->fx.vs, 4 * PAGE_SIZE, 0, &rw, &r), VS_OK);
    CHECK_RES(vs_reserve(p->dst, 8 * PAGE_SIZE, 0, &ro, &r), VS_OK);
    p->src_va = p->dst_va = arch->user_base;
    vs_cap c[4] = {fx_frame(&p->fx, 12), fx_frame(&p->fx, 12), fx_frame(&p->fx, 12), fx_frame(&p->fx, 12)};
    CHECK_RES(vs_map(p->fx.vs, p->src_va, c, NULL, 4, 12), VS_OK);
}

static void pair_fini(pair *p)
{
    fx_check(&p->fx, p->dst);
    CHECK_RES(vs_destroy(p->dst, 0, NULL), VS_OK);
    fx_fini(&p->fx, 0);
}

static void check_copy(pair *p, vs_addr src_va, vs_addr dst_va)
{
    vs_page s, d;
    CHECK_RES(vs_lookup(p->fx.vs, src_va, &s), VS_OK);
    CHECK_RES(vs_lookup(p->dst, dst_va, &d), VS_OK);
    CHECK(d.state == VS_PAGE_MAPPED && d.owner == VS_OWNER_COPY && d.cap != s.cap);
    const fk_cap *kd = fk_cap_get(p->fx.fk, d.cap), *ks = fk_cap_get(p->fx.fk, s.cap);
    CHECK(kd != NULL && ks != NULL && kd->is_copy && kd->orig == ks->orig && kd->paddr == ks->paddr);
    CHECK(kd != NULL && kd->mapped && kd->root == p->dst_root && kd->vaddr == dst_va);
    CHECK(kd != NULL && kd->rights == VS_RIGHT_READ);
}

static void test_share_copies(const vs_arch *arch)
{
    pair p;
    pair_init(&p, arch);
    CHECK_RES(vs_share(p.dst, p.dst_va + PAGE_SIZE, p.fx.vs, p.src_va, 4 * PAGE_SIZE), VS_OK);
    for (int i = 0; i < 4; i++) {
        check_copy(&p, p.src_va + (vs_addr)i * PAGE_SIZE, p.dst_va + (vs_addr)(i + 1) * PAGE_SIZE);
    }
    CHECK_EQ_U(fk_count(p.fx.fk).copies, 4);
    /* Sharing the same source again elsewhere makes four more copies. */
    CHECK_RES(vs_share(p.dst, p.dst_va + 5 * PAGE_SIZE, p.fx.vs, p.src_va, 2 * PAGE_SIZE), VS_OK);
    CHECK_EQ_U(fk_count(p.fx.fk).copies, 6);
    /* Unmapping without "free" still deletes the copies. */
    CHECK_RES(vs_unmap(p.dst, p.dst_va + PAGE_SIZE, 2 * PAGE_SIZE, 0), VS_OK);
    CHECK_EQ_U(fk_count(p.fx.fk).copies, 4);
    CHECK_EQ_U(fk_count(p.fx.fk).mapped_frames, 8);
    vs_stats st;
    vs_get_stats(p.dst, &st);
    CHECK_EQ_U(st.mapped_pages, 4);
    pair_fini(&p); /* destroy deletes the remaining copies: fx_fini checks copies == 0 */
}

static void test_share_errors(const vs_arch *arch)
{
    pair p;
    pair_init(&p, arch);
    vs_addr d = p.dst_va, s = p.src_va;
    CHECK_RES(vs_share(p.fx.vs, s + 4 * PAGE_SIZE, p.fx.vs, s, PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_share(p.dst, d + 1, p.fx.vs, s, PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_share(p.dst, d, p.fx.vs, s, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_share(p.dst, d, p.fx.vs, s + 3 * PAGE_SIZE, 2 * PAGE_SIZE), VS_ERR_NOT_MAPPED);
    CHECK_RES(vs_share(p.dst, d + 7 * PAGE_SIZE, p.fx.vs, s, 2 * PAGE_SIZE), VS_ERR_NOT_RESERVED);
    CHECK_RES(vs_share(p.dst, d, p.fx.vs, s, PAGE_SIZE), VS_OK);
    CHECK_RES(vs_share(p.dst, d, p.fx.vs, s + PAGE_SIZE, 2 * PAGE_SIZE), VS_ERR_ALREADY_MAPPED);
    CHECK_EQ_U(fk_count(p.fx.fk).copies, 1);
    vs_page pg;
    CHECK_RES(vs_lookup(p.dst, d + PAGE_SIZE, &pg), VS_OK);
    CHECK(pg.state == VS_PAGE_RESERVED);
    /* Different architectures. */
    fixture other;
    fx_init(&other, vs_arch_get(arch->id == VS_ARCH_IA32 ? VS_ARCH_X86_64 : VS_ARCH_IA32), 0, 0, 0);
    CHECK_RES(vs_share(other.vs, other.arch->user_base, p.fx.vs, s, PAGE_SIZE), VS_ERR_INVALID_ARG);
    fx_fini(&other, 0);
    pair_fini(&p);
}

/* Large pages keep their size, so both sides must be aligned to it. */
static void test_share_large(const vs_arch *arch)
{
    pair p;
    pair_init(&p, arch);
    unsigned big = arch->page_sizes[1].bits;
    uint64_t bs = 1ull << big;
    vs_attrs a = attrs_rw("big");
    vs_reservation *rs = NULL, *rd = NULL;
    CHECK_RES(vs_reserve(p.fx.vs, bs, bs, &a, &rs), VS_OK);
    CHECK_RES(vs_reserve(p.dst, 2 * bs, bs, &a, &rd), VS_OK);
    vs_reservation_info is, id;
    vs_reservation_get_info(p.fx.vs, rs, &is);
    vs_reservation_get_info(p.dst, rd, &id);
    CHECK_RES(vs_map_new(p.fx.vs, is.start, 1, big), VS_OK);
    CHECK_RES(vs_share(p.dst, id.start + PAGE_SIZE, p.fx.vs, is.start, bs), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_share(p.dst, id.start + bs, p.fx.vs, is.start, bs), VS_OK);
    vs_page pg;
    CHECK_RES(vs_lookup(p.dst, id.start + bs + 3 * PAGE_SIZE, &pg), VS_OK);
    CHECK(pg.state == VS_PAGE_MAPPED && pg.size_bits == big && pg.page_vaddr == id.start + bs);
    CHECK_RES(vs_unmap(p.dst, id.start + bs, PAGE_SIZE, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_destroy(p.fx.vs, 0, NULL), VS_OK); /* the source goes first: the copy stays valid */
    p.fx.vs = NULL;
    CHECK_RES(vs_lookup(p.dst, id.start + bs, &pg), VS_OK);
    CHECK(pg.state == VS_PAGE_MAPPED && fk_cap_get(p.fx.fk, pg.cap) != NULL);
    fx_check(&p.fx, p.dst);
    CHECK_RES(vs_destroy(p.dst, 0, NULL), VS_OK);
    fx_fini(&p.fx, 0);
}

int main(void)
{
    run_all_archs("share_copies", test_share_copies);
    run_all_archs("share_errors", test_share_errors);
    run_all_archs("share_large", test_share_large);
    return test_summary("core_share");
}
