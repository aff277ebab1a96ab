/* vs_last_error: a failed call says why and where, beyond its result code,
 * on every architecture; a successful call leaves the last failure alone. */
#include <string.h>

#include "../support/harness.h"

static void check_error(const vs_space *vs, vs_result result, vs_addr vaddr, const char *words)
{
    const vs_error_info *e = vs_last_error(vs);
    CHECK(e->result == result);
    CHECK(e->vaddr == vaddr);
    CHECK(e->reason != NULL && strstr(e->reason, words) != NULL);
}

static uint64_t mapped_pages(const vs_space *vs)
{
    vs_stats st;
    CHECK_RES(vs_get_stats(vs, &st), VS_OK);
    return st.mapped_pages;
}

static void test_reservation_errors(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, 0);
    CHECK(vs_last_error(fx.vs)->result == VS_OK && vs_last_error(fx.vs)->reason != NULL);
    vs_attrs a = attrs_rw("a");
    vs_reservation *r = NULL;
    vs_addr base = arch->user_base + 0x100000;
    CHECK_RES(vs_reserve_at(fx.vs, base, 4 * PAGE_SIZE, &a, &r), VS_OK);
    /* Overlap names the reservation hit, not the request. */
    CHECK_RES(vs_reserve_at(fx.vs, base - PAGE_SIZE, 2 * PAGE_SIZE, &a, NULL), VS_ERR_OVERLAP);
    check_error(fx.vs, VS_ERR_OVERLAP, base, "overlaps");
    CHECK_RES(vs_reserve(fx.vs, 3 * PAGE_SIZE, 3 * PAGE_SIZE, &a, NULL), VS_ERR_INVALID_ARG);
    check_error(fx.vs, VS_ERR_INVALID_ARG, 0, "alignment");
    CHECK_RES(vs_reserve_at(fx.vs, base + 1, PAGE_SIZE, &a, NULL), VS_ERR_INVALID_ARG);
    check_error(fx.vs, VS_ERR_INVALID_ARG, base + 1, "page aligned");
    CHECK_RES(vs_reserve_at(fx.vs, arch->user_end, PAGE_SIZE, &a, NULL), VS_ERR_OUT_OF_RANGE);
    check_error(fx.vs, VS_ERR_OUT_OF_RANGE, arch->user_end, "managed range");
    /* A success in between does not clear the last failure. */
    CHECK_RES(vs_reserve(fx.vs, PAGE_SIZE, 0, &a, NULL), VS_OK);
    check_error(fx.vs, VS_ERR_OUT_OF_RANGE, arch->user_end, "managed range");
    /* HAS_MAPPINGS names the first mapped page. */
    vs_cap cap = fx_frame(&fx, 12);
    CHECK_RES(vs_map(fx.vs, base + 2 * PAGE_SIZE, &cap, NULL, 1, 12), VS_OK);
    CHECK_RES(vs_free(fx.vs, r, 0), VS_ERR_HAS_MAPPINGS);
    check_error(fx.vs, VS_ERR_HAS_MAPPINGS, base + 2 * PAGE_SIZE, "still mapped");
    CHECK_RES(vs_resize(fx.vs, r, PAGE_SIZE), VS_ERR_HAS_MAPPINGS);
    check_error(fx.vs, VS_ERR_HAS_MAPPINGS, base + 2 * PAGE_SIZE, "still mapped");
    fx_fini(&fx, 0);
}

static void test_mapping_errors(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    vs_attrs a = attrs_rw("m");
    vs_addr base = arch->user_base + 0x400000;
    CHECK_RES(vs_reserve_at(fx.vs, base, 8 * PAGE_SIZE, &a, NULL), VS_OK);
    vs_cap caps[2] = {fx_frame(&fx, 12), fx_frame(&fx, 12)};
    CHECK_RES(vs_map(fx.vs, base + 3 * PAGE_SIZE, caps, NULL, 1, 12), VS_OK);
    /* Mapping over it names the page already mapped, not the start. */
    vs_cap bad[2] = {caps[1], 0};
    CHECK_RES(vs_map(fx.vs, base + 5 * PAGE_SIZE, bad, NULL, 2, 12), VS_ERR_CAP_RANGE);
    check_error(fx.vs, VS_ERR_CAP_RANGE, base + 6 * PAGE_SIZE, "cap");
    CHECK_RES(vs_map_new(fx.vs, base + 2 * PAGE_SIZE, 2, 12), VS_ERR_ALREADY_MAPPED);
    check_error(fx.vs, VS_ERR_ALREADY_MAPPED, base + 3 * PAGE_SIZE, "already mapped");
    CHECK_RES(vs_unmap(fx.vs, base + 3 * PAGE_SIZE, 2 * PAGE_SIZE, 0), VS_ERR_NOT_MAPPED);
    check_error(fx.vs, VS_ERR_NOT_MAPPED, base + 4 * PAGE_SIZE, "not mapped");
    CHECK_RES(vs_map_new(fx.vs, base + 8 * PAGE_SIZE, 1, 12), VS_ERR_NOT_RESERVED);
    check_error(fx.vs, VS_ERR_NOT_RESERVED, base + 8 * PAGE_SIZE, "reservation");
    CHECK_RES(vs_map_new(fx.vs, base, 1, 13), VS_ERR_INVALID_ARG);
    check_error(fx.vs, VS_ERR_INVALID_ARG, base, "page size");
    /* A kernel refusal names the kernel call, its code and the address. */
    fk_fail_nth(fx.fk, 1, FK_FAIL_ERROR);
    CHECK_RES(vs_map_new(fx.vs, base + 5 * PAGE_SIZE, 1, 12), VS_ERR_KERNEL);
    const vs_error_info *e = vs_last_error(fx.vs);
    CHECK(e->result == VS_ERR_KERNEL && e->kernel_error == FK_INJECTED);
    CHECK(e->kernel_call != NULL && strcmp(e->kernel_call, "alloc_object") == 0);
    CHECK(vs_last_kernel_error(fx.vs) == FK_INJECTED);
    fk_disarm(fx.fk);
    fx_fini(&fx, 0);
}

/* Single-page vs_map and vs_unmap take a short admission test before the
 * full one: at and just past both ends of a limited range, unaligned, with
 * an unknown flag or the null cap, they must still refuse with the full
 * check's code and message, and change nothing. */
static void test_single_page_edges(const vs_arch *arch)
{
    fixture fx;
    vs_addr base = 0x400000, end = base + 16 * PAGE_SIZE;
    fx_init(&fx, arch, base, end, 0);
    vs_attrs a = attrs_rw("edge");
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve_at(fx.vs, base, 16 * PAGE_SIZE, &a, &r), VS_OK);
    vs_cap f = fx_frame(&fx, 12), null_cap = 0;
    const vs_addr outside[] = {base - PAGE_SIZE, end, end + PAGE_SIZE};
    for (size_t k = 0; k < sizeof outside / sizeof outside[0]; k++) {
        CHECK_RES(vs_map(fx.vs, outside[k], &f, NULL, 1, 12), VS_ERR_OUT_OF_RANGE);
        check_error(fx.vs, VS_ERR_OUT_OF_RANGE, outside[k], "managed range");
        CHECK_RES(vs_unmap(fx.vs, outside[k], PAGE_SIZE, 0), VS_ERR_OUT_OF_RANGE);
        check_error(fx.vs, VS_ERR_OUT_OF_RANGE, outside[k], "managed range");
    }
    CHECK_RES(vs_map(fx.vs, base + 1, &f, NULL, 1, 12), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_map(fx.vs, base, &null_cap, NULL, 1, 12), VS_ERR_CAP_RANGE);
    CHECK_RES(vs_unmap(fx.vs, base, PAGE_SIZE, 0), VS_ERR_NOT_MAPPED);
    CHECK_RES(vs_map(fx.vs, end - PAGE_SIZE, &f, NULL, 1, 12), VS_OK); /* the last page is inside */
    CHECK_RES(vs_unmap(fx.vs, end - PAGE_SIZE + 1, PAGE_SIZE, 0), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_unmap(fx.vs, end - PAGE_SIZE, PAGE_SIZE, 0x80), VS_ERR_INVALID_ARG);
    check_error(fx.vs, VS_ERR_INVALID_ARG, end - PAGE_SIZE, "flags");
    CHECK(mapped_pages(fx.vs) == 1);
    CHECK_RES(vs_unmap(fx.vs, end - PAGE_SIZE, PAGE_SIZE, 0), VS_OK);
    CHECK(mapped_pages(fx.vs) == 0);
    fx_fini(&fx, 0);
}

int main(void)
{
    run_all_archs("reservation_errors", test_reservation_errors);
    run_all_archs("mapping_errors", test_mapping_errors);
    run_all_archs("single_page_edges", test_single_page_edges);
    return test_summary("core_errors");
}
