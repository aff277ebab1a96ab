/* vs_create's argument checks, vs_get_arch, and that creating and
 * destroying an empty vspace leaves nothing behind. */
#include <string.h>

#include "../support/harness.h"

typedef struct setup {
    talloc ta;
    fakek *fk;
    vs_config cfg;
} setup;

static void setup_init(setup *s, const vs_arch *arch)
{
    talloc_init(&s->ta);
    s->fk = fk_create(arch, 0);
    vs_config c = {arch, talloc_allocator(&s->ta), fk_kernel(s->fk), fk_new_root(s->fk), 0, 0};
    s->cfg = c;
}

static void setup_fini(setup *s)
{
    CHECK_EQ_U(s->ta.live_bytes, 0);
    CHECK_EQ_U(s->ta.errors, 0);
    CHECK_EQ_U(s->fk->total_calls, 0); /* an empty vspace needs no kernel call */
    fk_destroy(s->fk);
    talloc_fini(&s->ta);
}

/* vs_create with one field of a good config changed must give INVALID_ARG
 * and allocate nothing. */
static void expect_invalid(setup *s, vs_config c)
{
    vs_space *vs = (vs_space *)&vs; /* must not be taken for a created vs_space */
    CHECK_RES(vs_create(&c, &vs), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(s->ta.live_bytes, 0);
}

static void test_create_invalid(const vs_arch *arch)
{
    setup s;
    setup_init(&s, arch);
    vs_config c = s.cfg;
    c.arch = NULL;
    expect_invalid(&s, c);
    c = s.cfg;
    c.allocator.alloc = NULL;
    expect_invalid(&s, c);
    c = s.cfg;
    c.allocator.free = NULL;
    expect_invalid(&s, c);
    c = s.cfg;
    c.kernel.ops = NULL;
    expect_invalid(&s, c);
    c = s.cfg;
    c.range_base = 0x10000 + 1, c.range_end = 0x20000;
    expect_invalid(&s, c);
    c.range_base = 0x10000, c.range_end = 0x20000 + 5;
    expect_invalid(&s, c);
    c.range_base = 0x20000, c.range_end = 0x20000;
    expect_invalid(&s, c);
    c.range_base = 0x30000, c.range_end = 0x20000;
    expect_invalid(&s, c);
    c.range_base = 0x10000, c.range_end = arch->va_end + PAGE_SIZE;
    expect_invalid(&s, c);
    vs_space *vs = NULL;
    CHECK_RES(vs_create(NULL, &vs), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_create(&s.cfg, NULL), VS_ERR_INVALID_ARG);
    setup_fini(&s);
}

/* vs_create refuses, naming the field, with vs_config_check: expect both. */
static void expect_refused(setup *s, vs_config c, const char *words)
{
    expect_invalid(s, c);
    const char *why = NULL;
    CHECK_RES(vs_config_check(&c, &why), VS_ERR_INVALID_ARG);
    CHECK(why != NULL && strstr(why, words) != NULL);
}

/* Each required kernel operation set to NULL in turn (a table that would
 * jump to address 0 on first use), and the null cap as root, are refused;
 * the optional ones (translate, batch forms) may be NULL. */
static void test_create_hostile_config(const vs_arch *arch)
{
    setup s;
    setup_init(&s, arch);
    const vs_kernel_ops *good = s.cfg.kernel.ops;
    const char *why = NULL;
    CHECK_RES(vs_config_check(&s.cfg, &why), VS_OK);
    CHECK(why != NULL && strcmp(why, "config is valid") == 0);
    CHECK_RES(vs_config_check(NULL, &why), VS_ERR_INVALID_ARG);
    CHECK(why != NULL && strstr(why, "NULL") != NULL);
    CHECK_RES(vs_config_check(NULL, NULL), VS_ERR_INVALID_ARG);
    enum { REQUIRED = 9 };
    for (int i = 0; i < REQUIRED; i++) {
        vs_kernel_ops ops = *good;
        switch (i) {
        case 0:
            ops.alloc_object = NULL;
            break;
        case 1:
            ops.free_object = NULL;
            break;
        case 2:
            ops.map_frame = NULL;
            break;
        case 3:
            ops.map_table = NULL;
            break;
        case 4:
            ops.unmap_frame = NULL;
            break;
        case 5:
            ops.unmap_table = NULL;
            break;
        case 6:
            ops.copy_cap = NULL;
            break;
        case 7:
            ops.delete_cap = NULL;
            break;
        default:
            ops.frame_paddr = NULL;
            break;
        }
        vs_config c = s.cfg;
        c.kernel.ops = &ops;
        expect_refused(&s, c, "required operation");
    }
    vs_config c = s.cfg;
    c.root = 0;
    expect_refused(&s, c, "config.root");
    c = s.cfg;
    c.range_base = 0x30000, c.range_end = 0x20000;
    expect_refused(&s, c, "inverted");
    /* A custom arch whose base page is not 4 KiB: the shadow and the
     * single-page fast paths assume it, so it is refused, not misused. */
    vs_arch odd = *arch;
    odd.page_sizes[0].bits = 14;
    c = s.cfg;
    c.arch = &odd;
    expect_refused(&s, c, "4 KiB base page");
    odd.num_page_sizes = 0;
    expect_refused(&s, c, "4 KiB base page");
    /* Optional operations absent: accepted, and the vspace works. */
    vs_kernel_ops minimal = *good;
    minimal.translate = NULL;
    minimal.map_frames = NULL;
    minimal.unmap_frames = NULL;
    c = s.cfg;
    c.kernel.ops = &minimal;
    CHECK_RES(vs_config_check(&c, NULL), VS_OK);
    vs_space *vs = NULL;
    CHECK_RES(vs_create(&c, &vs), VS_OK);
    CHECK_RES(vs_destroy(vs, 0, NULL), VS_OK);
    setup_fini(&s);
}

static int count_visit(void *ctx, const vs_reservation *res)
{
    (void)res;
    ++*(int *)ctx;
    return 0;
}

/* Every getter takes NULL without crashing and answers as its contract
 * says: INVALID_ARG, or the neutral value named there. */
static void test_null_getters(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    vs_stats st;
    memset(&st, 0xa5, sizeof st);
    CHECK_RES(vs_get_stats(NULL, &st), VS_ERR_INVALID_ARG);
    CHECK(st.reservations == 0 && st.reserved_pages == 0 && st.mapped_pages == 0 && st.paging_tables == 0 &&
          st.bookkeeping_bytes == 0 && st.release_failures == 0);
    CHECK_RES(vs_get_stats(fx.vs, NULL), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_get_stats(fx.vs, &st), VS_OK);
    CHECK_EQ_U(st.bookkeeping_bytes, fx.ta.live_bytes);

    vs_attrs a = attrs_rw("r");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 4 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_reservation_info info;
    memset(&info, 0xa5, sizeof info);
    CHECK_RES(vs_reservation_get_info(fx.vs, NULL, &info), VS_ERR_INVALID_ARG);
    CHECK(info.start == 0 && info.end == 0 && info.name[0] == 0 && info.mapped_pages == 0);
    CHECK_RES(vs_reservation_get_info(fx.vs, r, NULL), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reservation_get_info(fx.vs, r, &info), VS_OK);
    CHECK_EQ_U(info.end - info.start, 4 * PAGE_SIZE);

    CHECK_EQ_U(vs_reservation_count(NULL), 0);
    CHECK_EQ_U(vs_reservation_count(fx.vs), 1);
    int visits = 0;
    CHECK(vs_for_each_reservation(NULL, count_visit, &visits) == 0 && visits == 0);
    CHECK(vs_for_each_reservation(fx.vs, NULL, &visits) == 0);
    CHECK(vs_for_each_reservation(fx.vs, count_visit, &visits) == 0 && visits == 1);

    CHECK(vs_get_arch(NULL) == NULL);
    CHECK(vs_get_arch(fx.vs) == arch);
    CHECK(vs_last_kernel_error(NULL) == 0);
    const vs_error_info *e = vs_last_error(NULL);
    CHECK(e != NULL && e->result == VS_ERR_INVALID_ARG && e->reason != NULL && strstr(e->reason, "NULL") != NULL);
    CHECK(vs_get_cap(NULL, info.start) == 0);

    vs_page p;
    CHECK_RES(vs_lookup(NULL, info.start, &p), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_lookup(fx.vs, info.start, NULL), VS_ERR_INVALID_ARG);
    vs_reservation *found = (vs_reservation *)&found;
    CHECK_RES(vs_find(NULL, info.start, &found), VS_ERR_INVALID_ARG);
    CHECK(found == (vs_reservation *)&found);
    CHECK_RES(vs_find(fx.vs, info.start, NULL), VS_ERR_INVALID_ARG);
    size_t count = 77;
    CHECK_RES(vs_check(NULL, NULL, NULL, &count), VS_ERR_INVALID_ARG);
    CHECK_EQ_U(count, 77);
    CHECK(vs_arch_page_size_index(NULL, 12) == -1);
    CHECK(vs_arch_level_by_shift(NULL, 12) == -1);
    CHECK(vs_arch_by_name(NULL) == NULL);

    /* The mutators, for completeness: INVALID_ARG, no crash. */
    CHECK_RES(vs_reserve(NULL, PAGE_SIZE, 0, &a, NULL), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_reserve_at(NULL, info.start, PAGE_SIZE, &a, NULL), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_free(NULL, r, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_free(fx.vs, NULL, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_resize(NULL, r, PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_move(NULL, r, info.start), VS_ERR_INVALID_ARG);
    vs_cap cap = 1;
    CHECK_RES(vs_map(NULL, info.start, &cap, NULL, 1, 12), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_map(fx.vs, info.start, NULL, NULL, 1, 12), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_map_new(NULL, info.start, 1, 12), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_unmap(NULL, info.start, PAGE_SIZE, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_share(NULL, info.start, fx.vs, info.start, PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_share(fx.vs, info.start, NULL, info.start, PAGE_SIZE), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_destroy(NULL, 0, NULL), VS_ERR_INVALID_ARG);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_create_ok(const vs_arch *arch)
{
    setup s;
    setup_init(&s, arch);
    vs_space *vs = NULL;
    CHECK_RES(vs_create(&s.cfg, &vs), VS_OK);
    CHECK(vs != NULL && vs_get_arch(vs) == arch);
    CHECK(s.ta.live_bytes > 0); /* the vspace object itself comes from the injected allocator */
    vs_stats st;
    vs_get_stats(vs, &st);
    CHECK(st.reservations == 0 && st.reserved_pages == 0 && st.mapped_pages == 0 && st.paging_tables == 0);
    CHECK_EQ_U(st.bookkeeping_bytes, s.ta.live_bytes);
    CHECK_EQ_U(vs_reservation_count(vs), 0);
    size_t count = 7;
    CHECK_RES(vs_check(vs, NULL, NULL, &count), VS_OK);
    CHECK_EQ_U(count, 0);
    vs_page p;
    CHECK_RES(vs_lookup(vs, arch->user_base, &p), VS_OK);
    CHECK(p.state == VS_PAGE_EMPTY);
    CHECK_RES(vs_destroy(vs, 0, NULL), VS_OK);
    /* A custom range that ends at user_end is accepted. */
    s.cfg.range_base = arch->user_end - 16 * PAGE_SIZE;
    s.cfg.range_end = arch->user_end;
    CHECK_RES(vs_create(&s.cfg, &vs), VS_OK);
    CHECK_RES(vs_destroy(vs, 0, NULL), VS_OK);
    setup_fini(&s);
}

/* A range may reach past user_end up to va_end, the end of the user half:
 * the kernel's top of the address space can then be reserved (named), but
 * nothing is ever mapped there; below user_end mapping works as ever. */
static void test_create_kernel_top(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, arch->va_end, FX_TABLES);
    vs_attrs k = {"kernel", 0, VS_CACHE_DEFAULT};
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_end, arch->va_end - arch->user_end, &k, NULL), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, arch->user_end, 1, 12), VS_ERR_OUT_OF_RANGE);
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_end - 2 * PAGE_SIZE, 2 * PAGE_SIZE, &rw, NULL), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, arch->user_end - 2 * PAGE_SIZE, 2, 12), VS_OK);
    vs_stats st;
    vs_get_stats(fx.vs, &st);
    CHECK_EQ_U(st.mapped_pages, 2);
    CHECK_EQ_U(st.reserved_pages, 2 + (arch->va_end - arch->user_end) / PAGE_SIZE);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

static void test_create_no_memory(const vs_arch *arch)
{
    setup s;
    setup_init(&s, arch);
    vs_space *vs = NULL;
    talloc_fail_after(&s.ta, 0);
    CHECK_RES(vs_create(&s.cfg, &vs), VS_ERR_NO_MEMORY);
    talloc_disarm(&s.ta);
    setup_fini(&s);
}

int main(void)
{
    run_all_archs("create_invalid", test_create_invalid);
    run_all_archs("create_ok", test_create_ok);
    run_all_archs("create_kernel_top", test_create_kernel_top);
    run_all_archs("create_no_memory", test_create_no_memory);
    run_all_archs("create_hostile_config", test_create_hostile_config);
    run_all_archs("null_getters", test_null_getters);
    return test_summary("core_create");
}
