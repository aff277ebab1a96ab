/* Harness and fixture: see harness.h. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

unsigned test_failures;
const char *test_context = "";
static unsigned tests_run;

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    test_failures++;
    fprintf(stderr, "FAIL [%s] %s:%d: ", test_context, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void fx_init(fixture *fx, const vs_arch *arch, vs_addr base, vs_addr end, unsigned flags)
{
    memset(fx, 0, sizeof *fx);
    fx->arch = arch;
    talloc_init(&fx->ta);
    fx->fk = fk_create(arch, (flags & FX_TABLES) != 0);
    fx->fk->batch = (flags & FX_BATCH) != 0;
    fx->root = fk_new_root(fx->fk);
    vs_config cfg = {arch, talloc_allocator(&fx->ta), fk_kernel(fx->fk), fx->root, base, end};
    vs_result r = vs_create(&cfg, &fx->vs);
    if (r != VS_OK) {
        fprintf(stderr, "FATAL [%s] vs_create failed: %s\n", test_context, vs_result_name(r));
        exit(2);
    }
}

vs_space *fx_second(fixture *fx, vs_cap *root_out)
{
    vs_cap root = fk_new_root(fx->fk);
    vs_config cfg = {fx->arch, talloc_allocator(&fx->ta), fk_kernel(fx->fk), root, 0, 0};
    vs_space *vs = NULL;
    vs_result r = vs_create(&cfg, &vs);
    if (r != VS_OK) {
        fprintf(stderr, "FATAL [%s] vs_create (second) failed: %s\n", test_context, vs_result_name(r));
        exit(2);
    }
    if (root_out != NULL) {
        *root_out = root;
    }
    return vs;
}

static void report_violation(void *ctx, const vs_violation *v)
{
    (void)ctx;
    test_fail(__FILE__, __LINE__, "vs_check: %s at %#llx (expected %llu, found %llu): %s",
              vs_violation_kind_name(v->kind), (unsigned long long)v->vaddr, (unsigned long long)v->expected,
              (unsigned long long)v->found, v->what != NULL ? v->what : "(no text)");
}

void fx_check(fixture *fx, const vs_space *vs)
{
    size_t count = 99;
    (void)fx;
    CHECK_RES(vs_check(vs, report_violation, NULL, &count), VS_OK);
    CHECK_EQ_U(count, 0);
}

static void check_returned_everything(fixture *fx)
{
    fk_counts n = fk_count(fx->fk);
    CHECK_EQ_U(n.core_objects, 0);
    CHECK_EQ_U(n.copies, 0);
    CHECK_EQ_U(n.tables, 0);
    CHECK_EQ_U(n.mapped_frames, 0);
    CHECK_EQ_U(n.mapped_tables, 0);
    CHECK_EQ_U(fx->ta.live_bytes, 0);
    CHECK_EQ_U(fx->ta.live_count, 0);
}

void fx_fini(fixture *fx, unsigned destroy_flags)
{
    if (fx->vs != NULL) {
        fx_check(fx, fx->vs);
        int kerr = -1;
        CHECK_RES(vs_destroy(fx->vs, destroy_flags, &kerr), VS_OK);
        fx->vs = NULL;
    }
    check_returned_everything(fx);
    if (fx->fk->violations != 0) {
        test_fail(__FILE__, __LINE__, "fake kernel saw %u misuse(s); first: %s", fx->fk->violations,
                  fx->fk->first_violation);
    }
    CHECK_EQ_U(fx->fk->silent_replacements, 0);
    if (fx->ta.errors != 0) {
        test_fail(__FILE__, __LINE__, "allocator saw %u misuse(s); first: %s", fx->ta.errors, fx->ta.first_error);
    }
    fk_destroy(fx->fk);
    talloc_fini(&fx->ta);
}

vs_attrs attrs_rw(const char *name)
{
    vs_attrs a = {name, VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    return a;
}

vs_cap fx_frame(fixture *fx, unsigned bits)
{
    return fk_new_frame(fx->fk, bits).cap;
}

typedef struct nth_ctx {
    size_t n;
    vs_reservation *found;
} nth_ctx;

static int nth_visit(void *ctx, const vs_reservation *res)
{
    nth_ctx *c = ctx;
    if (c->n-- == 0) {
        c->found = (vs_reservation *)(uintptr_t)res; /* handles are non-const in the API */
        return 1;
    }
    return 0;
}

vs_reservation *fx_nth_reservation(const vs_space *vs, size_t n)
{
    nth_ctx c = {n, NULL};
    vs_for_each_reservation(vs, nth_visit, &c);
    return c.found;
}

void run_all_archs(const char *name, arch_test_fn fn)
{
    static char ctx[128];
    for (unsigned id = 0; id < VS_ARCH_COUNT; id++) {
        const vs_arch *a = vs_arch_get((vs_arch_id)id);
        snprintf(ctx, sizeof ctx, "%s/%s", name, a->name);
        test_context = ctx;
        tests_run++;
        fn(a);
    }
    test_context = "";
}

int test_summary(const char *program)
{
    if (test_failures != 0) {
        fprintf(stderr, "%s: %u check(s) failed in %u test run(s)\n", program, test_failures, tests_run);
        return 1;
    }
    printf("%s: %u test run(s) passed\n", program, tests_run);
    return 0;
}
