/* End to end on the simulator, per architecture: a child vspace built by
 * the core over the seL4 backend; frames written through temporary
 * mappings in the root task's vspace and read back through the simulated
 * MMU at the child's addresses; then everything torn down and the
 * simulator's accounting back to its boot values. */
#include <stdio.h>
#include <string.h>

#include "be_fixture.h"

enum { SMALL_PAGES = 8 };

static void fill_pattern(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
    }
}

/* Writes a pattern at `offset` of the page mapped at child vaddr `page`
 * via the root task, then reads it at the child's address. */
static void write_via_root(be_fx *fx, be_child *c, vs_addr page, uint64_t offset, unsigned seed)
{
    vs_page pg;
    CHECK_RES(vs_lookup(c->vs, page, &pg), VS_OK);
    CHECK(pg.state == VS_PAGE_MAPPED);
    vs_sel4_temp_map tm;
    int kerr = 0;
    vs_result r = vs_sel4_temp_map_frame(fx->be, fx->root_vs, pg.cap, pg.size_bits, &tm, &kerr);
    CHECK_RES(r, VS_OK);
    if (r != VS_OK) {
        fprintf(stderr, "  temp map kernel error %d\n", kerr);
        return;
    }
    unsigned char out[600], in[600];
    fill_pattern(out, sizeof out, seed);
    CHECK(sel4sim_vs_write(seL4_CapInitThreadVSpace, tm.vaddr + offset, out, sizeof out) == 0);
    CHECK_RES(vs_sel4_temp_unmap(fx->be, fx->root_vs, &tm), VS_OK);
    memset(in, 0, sizeof in);
    CHECK(sel4sim_vs_read(c->root.cap, page + offset, in, sizeof in) == 0);
    CHECK(memcmp(in, out, sizeof in) == 0);
}

/* The kernel's translation agrees with the frame's own address. */
static void check_translation(be_fx *fx, be_child *c, vs_addr vaddr)
{
    vs_page pg;
    CHECK_RES(vs_lookup(c->vs, vaddr, &pg), VS_OK);
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    vs_addr pa = 0;
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, pg.cap, &pa), 0);
    vs_translation t;
    CHECK_EQ_U(k.ops->translate(k.ctx, c->root.cap, vaddr, &t), 0);
    CHECK(t.mapped);
    CHECK_EQ_U(t.paddr, pa + (vaddr - pg.page_vaddr));
    CHECK_EQ_U(t.size_bits, pg.size_bits);
    CHECK(t.rights & VS_RIGHT_READ);
    CHECK(t.rights & VS_RIGHT_WRITE);
}

static void run_small_pages(be_fx *fx, be_child *c)
{
    vs_attrs attrs = attrs_rw("data");
    vs_reservation *res;
    CHECK_RES(vs_reserve(c->vs, SMALL_PAGES * 4096, 0, &attrs, &res), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(res, &info);
    CHECK_RES(vs_map_new(c->vs, info.start, SMALL_PAGES, 12), VS_OK);
    for (unsigned i = 0; i < SMALL_PAGES; i++) {
        vs_addr page = info.start + (vs_addr)i * 4096;
        write_via_root(fx, c, page, (i * 97u) % 3000u, i);
        check_translation(fx, c, page + 5);
    }
}

/* The arch's second page size (2M, 4M or 64K): written near its start,
 * middle and end. */
static void run_large_page(be_fx *fx, be_child *c)
{
    unsigned bits = fx->arch->page_sizes[1].bits;
    uint64_t size = (uint64_t)1 << bits;
    vs_attrs attrs = attrs_rw("large");
    vs_reservation *res;
    CHECK_RES(vs_reserve(c->vs, size, size, &attrs, &res), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(res, &info);
    CHECK_RES(vs_map_new(c->vs, info.start, 1, bits), VS_OK);
    write_via_root(fx, c, info.start, 0, 100);
    write_via_root(fx, c, info.start, size / 2 - 300, 101);
    write_via_root(fx, c, info.start, size - 600, 102);
    check_translation(fx, c, info.start + size - 1);
}

static void run_arch(const vs_arch *arch)
{
    be_fx fx;
    be_fx_init(&fx, arch->id, 64u << 20);
    be_child c;
    CHECK_EQ_U(be_child_create(&fx, &c, 0, 0), 0);
    if (c.vs != NULL) {
        run_small_pages(&fx, &c);
        run_large_page(&fx, &c);
        size_t count = 1;
        CHECK_RES(vs_check(c.vs, NULL, NULL, &count), VS_OK);
        CHECK_RES(vs_check(fx.root_vs, NULL, NULL, &count), VS_OK);
        be_child_destroy(&fx, &c, 0);
    }
    be_fx_fini(&fx);
}

int main(int argc, char **argv)
{
    const vs_arch *only = argc > 1 ? vs_arch_by_name(argv[1]) : NULL;
    if (argc > 1 && only == NULL) {
        fprintf(stderr, "unknown arch %s\n", argv[1]);
        return 2;
    }
    if (only != NULL) {
        test_context = only->name;
        run_arch(only);
    } else {
        run_all_archs("sel4be_e2e", run_arch);
    }
    return test_summary("sel4be_e2e");
}
