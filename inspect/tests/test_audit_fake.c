/* The audit over the core's recording fake kernel, whose translate answers
 * for mapped pages but says nothing about how far an unmapped range goes:
 * every mapped page is still compared with the kernel, and the scan for
 * unknown mappings stops at the first unmapped page and is reported as
 * skipped, with the reason, instead of being claimed. On all six architectures. */
#include <string.h>

#include <vs/audit.h>

#include "../../tests/support/harness.h"

static void test_fake(const vs_arch *arch)
{
    fixture fx;
    fx_init(&fx, arch, 0, 0, FX_TABLES);
    /* All rights: what seL4 grants for them is the same on every
     * architecture, and the fake grants what it is asked. */
    vs_attrs a = {"data", VS_RIGHTS_ALL, VS_CACHE_DEFAULT};
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve(fx.vs, 8 * PAGE_SIZE, 0, &a, &r), VS_OK);
    vs_reservation_info info;
    CHECK_RES(vs_reservation_get_info(fx.vs, r, &info), VS_OK);
    CHECK_RES(vs_map_new(fx.vs, info.start, 8, 12), VS_OK);
    vs_audit_summary s;
    CHECK_RES(vs_audit(fx.vs, NULL, NULL, &s), VS_OK);
    CHECK_EQ_U(s.checks_run, VS_AUDIT_CHECK_BOOKKEEPING | VS_AUDIT_CHECK_FRAME_ADDR | VS_AUDIT_CHECK_TRANSLATE);
    CHECK_EQ_U(s.checks_skipped, VS_AUDIT_CHECK_UNKNOWN);
    CHECK(s.skipped_why != NULL && strstr(s.skipped_why, "unmapped") != NULL);
    CHECK_EQ_U(s.mapped_pages, 8);
    CHECK_EQ_U(s.reserved_pages, 8);
    /* One probe of the range's start, one per mapped page, then the scan:
     * the 8 mapped pages and the first unmapped one, where it stops. */
    CHECK_EQ_U(s.kernel_probes, 1 + 8 + 9);
    fx_check(&fx, fx.vs);
    fx_fini(&fx, 0);
}

int main(void)
{
    run_all_archs("audit_fake", test_fake);
    return test_summary("inspect_audit_fake");
}
