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
    c.range_base = 0x10000, c.range_end = arch->user_end + PAGE_SIZE;
    expect_invalid(&s, c);
    vs_space *vs = NULL;
    CHECK_RES(vs_create(NULL, &vs), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_create(&s.cfg, NULL), VS_ERR_INVALID_ARG);
    setup_fini(&s);
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
    run_all_archs("create_no_memory", test_create_no_memory);
    return test_summary("core_create");
}
