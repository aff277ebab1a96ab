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
    vs_reservation_get_info(c->vs, res, &info);
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
    vs_reservation_get_info(c->vs, res, &info);
    CHECK_RES(vs_map_new(c->vs, info.start, 1, bits), VS_OK);
    write_via_root(fx, c, info.start, 0, 100);
    write_via_root(fx, c, info.start, size / 2 - 300, 101);
    write_via_root(fx, c, info.start, size - 600, 102);
    check_translation(fx, c, info.start + size - 1);
}

/* The root task's layout: an inverted range (end < start) is refused, not
 * taken as empty; only start == end is empty. Nothing is left allocated. */
static void run_inverted_layout(be_fx *fx)
{
    size_t live = fx->ta.live_bytes;
    vs_sel4_root_layout bad[4];
    memset(bad, 0, sizeof bad);
    bad[0].image_start = 0x400000, bad[0].image_end = 0x3ff000;
    bad[1].extra_start = 0x800000, bad[1].extra_end = 0x7fffff;
    bad[2].bootinfo = UINT64_MAX - 4095, bad[2].bootinfo_size = 8192; /* wraps */
    bad[3].ipc_buffer = UINT64_MAX - 4095;                            /* its page wraps */
    for (unsigned i = 0; i < 4; i++) {
        vs_space *vs = (vs_space *)&vs;
        CHECK_RES(vs_sel4_root_vspace_create(fx->be, talloc_allocator(&fx->ta), &bad[i], &vs), VS_ERR_INVALID_ARG);
        CHECK(vs == (vs_space *)&vs);
        CHECK_EQ_U(fx->ta.live_bytes, live);
    }
    vs_sel4_root_layout empty;
    memset(&empty, 0, sizeof empty);
    empty.image_start = empty.image_end = 0x400000;
    vs_space *vs = NULL;
    CHECK_RES(vs_sel4_root_vspace_create(fx->be, talloc_allocator(&fx->ta), &empty, &vs), VS_OK);
    CHECK_EQ_U(vs_reservation_count(vs), 0);
    CHECK_RES(vs_destroy(vs, 0, NULL), VS_OK);
    CHECK_EQ_U(fx->ta.live_bytes, live);
}

/* vs_map of caps[0..n) as 2^bits pages must fail with the backend's
 * refusal (VS_ERR_KERNEL, seL4_InvalidArgument from map_frame) and change
 * nothing: same counts, every page still RESERVED, nothing in the MMU
 * there (frames mapped before the refused one are unmapped again). */
static void expect_size_refused(be_fx *fx, be_child *c, vs_addr vaddr, const vs_cap *caps, size_t n, unsigned bits)
{
    vs_stats before, after;
    vs_get_stats(c->vs, &before);
    CHECK_RES(vs_map(c->vs, vaddr, caps, NULL, n, bits), VS_ERR_KERNEL);
    const vs_error_info *e = vs_last_error(c->vs);
    CHECK_EQ_U(e->kernel_error, seL4_InvalidArgument);
    CHECK(e->kernel_call != NULL && strcmp(e->kernel_call, "map_frame") == 0);
    vs_get_stats(c->vs, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    for (size_t i = 0; i < n; i++) {
        vs_addr at = vaddr + ((vs_addr)i << bits);
        vs_page pg;
        CHECK_RES(vs_lookup(c->vs, at, &pg), VS_OK);
        CHECK(pg.state == VS_PAGE_RESERVED);
        vs_translation t;
        CHECK_EQ_U(k.ops->translate(k.ctx, c->root.cap, at, &t), 0);
        CHECK(!t.mapped);
    }
}

/* A frame the backend's own allocator made has a known size: mapping it
 * (or a copy of it) as another page size is refused, all or nothing; the
 * right size still maps. */
static void run_frame_size_mismatch(be_fx *fx, be_child *c)
{
    unsigned small = fx->arch->page_sizes[0].bits;
    unsigned large = fx->arch->page_sizes[1].bits;
    uint64_t size = (uint64_t)1 << large;
    vs_attrs attrs = attrs_rw("mismatch");
    vs_reservation *res;
    CHECK_RES(vs_reserve(c->vs, size, size, &attrs, &res), VS_OK);
    vs_reservation_info info;
    vs_reservation_get_info(c->vs, res, &info);
    vs_kernel k = vs_sel4_backend_kernel(fx->be);
    vs_object big, little;
    vs_cap copy = 0;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 1, &big), 0);
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &little), 0);
    CHECK_EQ_U(k.ops->copy_cap(k.ctx, big.cap, &copy), 0);
    CHECK_EQ_U(vs_sel4_alloc_object_bits(fx->alloc, big.cap), large);
    CHECK_EQ_U(vs_sel4_alloc_object_bits(fx->alloc, copy), large);
    CHECK_EQ_U(vs_sel4_alloc_object_bits(fx->alloc, little.cap), small);
    CHECK(vs_sel4_alloc_object_bits(fx->alloc, seL4_CapInitThreadTCB) == -1);
    expect_size_refused(fx, c, info.start, &big.cap, 1, small);
    expect_size_refused(fx, c, info.start, &copy, 1, small);
    expect_size_refused(fx, c, info.start, &little.cap, 1, large);
    /* In a batch (the backend maps runs in one call): the first frame is
     * mapped, the second refused, the first unmapped again. */
    vs_object little2;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &little2), 0);
    vs_cap run[3] = {little.cap, big.cap, little2.cap};
    expect_size_refused(fx, c, info.start, run, 3, small);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &little2), 0);
    size_t count = 1;
    CHECK_RES(vs_check(c->vs, NULL, NULL, &count), VS_OK);
    /* The sizes that match map. */
    CHECK_RES(vs_map(c->vs, info.start, &big.cap, NULL, 1, large), VS_OK);
    CHECK_RES(vs_unmap(c->vs, info.start, size, 0), VS_OK);
    CHECK_RES(vs_map(c->vs, info.start, &little.cap, NULL, 1, small), VS_OK);
    CHECK_RES(vs_unmap(c->vs, info.start, (uint64_t)1 << small, 0), VS_OK);
    CHECK_EQ_U(k.ops->delete_cap(k.ctx, copy), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 1, &big), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &little), 0);
    CHECK_RES(vs_free(c->vs, res, 0), VS_OK);
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
        run_frame_size_mismatch(&fx, &c);
        run_inverted_layout(&fx);
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
