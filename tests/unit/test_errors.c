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

int main(void)
{
    run_all_archs("reservation_errors", test_reservation_errors);
    run_all_archs("mapping_errors", test_mapping_errors);
    return test_summary("core_errors");
}
