/* Every result code has a distinct, non-empty message and its own name;
 * unknown codes still get a non-NULL string. Every violation kind has a name. */
#include <string.h>

#include "../support/harness.h"

static void test_messages_distinct(void)
{
    for (int i = 0; i < VS_RESULT_COUNT; i++) {
        const char *m = vs_strerror((vs_result)i), *n = vs_result_name((vs_result)i);
        CHECK(m != NULL && m[0] != '\0');
        CHECK(n != NULL && strncmp(n, i == 0 ? "VS_OK" : "VS_ERR_", i == 0 ? 6 : 7) == 0);
        if (m == NULL || n == NULL) {
            continue; /* reported above; nothing to compare against the others */
        }
        for (int j = 0; j < i; j++) {
            CHECK(strcmp(m, vs_strerror((vs_result)j)) != 0);
            CHECK(strcmp(n, vs_result_name((vs_result)j)) != 0);
        }
    }
    CHECK(strcmp(vs_result_name(VS_ERR_OVERLAP), "VS_ERR_OVERLAP") == 0);
    CHECK(strcmp(vs_result_name(VS_ERR_INCONSISTENT), "VS_ERR_INCONSISTENT") == 0);
    CHECK(vs_strerror(VS_RESULT_COUNT) != NULL && vs_result_name(VS_RESULT_COUNT) != NULL);
    CHECK(vs_strerror((vs_result)-1) != NULL && vs_result_name((vs_result)1000) != NULL);
}

static void test_violation_names(void)
{
    for (int i = VS_V_PAGE_OUTSIDE_RESERVATION; i <= VS_V_ACCOUNTING; i++) {
        const char *n = vs_violation_kind_name((vs_violation_kind)i);
        CHECK(n != NULL && n[0] != '\0');
        if (n == NULL) {
            continue; /* reported above; nothing to compare against the others */
        }
        for (int j = VS_V_PAGE_OUTSIDE_RESERVATION; j < i; j++) {
            CHECK(strcmp(n, vs_violation_kind_name((vs_violation_kind)j)) != 0);
        }
    }
    CHECK(vs_violation_kind_name((vs_violation_kind)99) != NULL);
}

static void test_arch_lookup(const vs_arch *a)
{
    CHECK(vs_arch_get(a->id) == a && vs_arch_by_name(a->name) == a);
    CHECK(vs_arch_page_size_index(a, 12) == 0 && vs_arch_page_size_index(a, 13) == -1);
    CHECK(vs_arch_get(VS_ARCH_COUNT) == NULL && vs_arch_by_name("vax") == NULL && vs_arch_by_name(NULL) == NULL);
}

static void test_codes(const vs_arch *a)
{
    (void)a; /* arch-independent: run once per arch for uniform reporting */
    test_messages_distinct();
    test_violation_names();
}

int main(void)
{
    run_all_archs("result_codes", test_codes);
    run_all_archs("arch_lookup", test_arch_lookup);
    return test_summary("core_result");
}
