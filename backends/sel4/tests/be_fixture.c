/* See be_fixture.h. */
#include "be_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, int code)
{
    fprintf(stderr, "FATAL [%s] %s failed (%d)\n", test_context, what, code);
    exit(2);
}

void be_acct_take(const seL4_BootInfo *bi, be_acct *a)
{
    memset(a, 0, sizeof *a);
    a->free_slots = sel4sim_free_slots();
    a->live_objects = sel4sim_live_objects();
    a->num_untypeds = (size_t)(bi->untyped.end - bi->untyped.start);
    for (size_t i = 0; i < a->num_untypeds; i++) {
        sel4sim_untyped_info info;
        if (sel4sim_untyped(bi->untyped.start + i, &info) == seL4_NoError) {
            a->watermark[i] = info.watermark;
        }
    }
}

int be_acct_compare(const be_acct *want, const be_acct *got, const char *label)
{
    int diff = 0;
    if (want->free_slots != got->free_slots || want->live_objects != got->live_objects) {
        test_fail(__FILE__, __LINE__, "%s: free slots %zu (want %zu), live objects %zu (want %zu)", label,
                  got->free_slots, want->free_slots, got->live_objects, want->live_objects);
        diff = 1;
    }
    for (size_t i = 0; i < want->num_untypeds; i++) {
        if (want->watermark[i] != got->watermark[i]) {
            test_fail(__FILE__, __LINE__, "%s: untyped %zu watermark %#llx (want %#llx)", label, i,
                      (unsigned long long)got->watermark[i], (unsigned long long)want->watermark[i]);
            diff = 1;
        }
    }
    return diff;
}

void be_fx_init(be_fx *fx, vs_arch_id arch, uint64_t mem_bytes)
{
    memset(fx, 0, sizeof *fx);
    fx->arch = vs_arch_get(arch);
    talloc_init(&fx->ta);
    fx->bi = sel4sim_boot(arch, mem_bytes);
    if (fx->bi == NULL) {
        die("sel4sim_boot", 0);
    }
    be_acct_take(fx->bi, &fx->boot);
    vs_result r = vs_sel4_alloc_create(fx->bi, talloc_allocator(&fx->ta), &fx->alloc);
    if (r == VS_OK) {
        r = vs_sel4_backend_create(fx->arch, fx->alloc, talloc_allocator(&fx->ta), &fx->be);
    }
    if (r != VS_OK) {
        die("allocator/backend creation", (int)r);
    }
    vs_sel4_backend_set_translate(fx->be, sel4sim_vs_translate, NULL);
    /* The simulator's bootinfo is host memory: its frames' addresses in the
     * simulated root task are given (no image is simulated). */
    vs_sel4_root_layout layout;
    r = vs_sel4_root_layout_from_bootinfo_at(fx->bi, sel4sim_bootinfo_vaddr(), sel4sim_ipc_buffer_vaddr(), 0, 0,
                                             &layout);
    if (r != VS_OK) {
        die("vs_sel4_root_layout_from_bootinfo_at", (int)r);
    }
    r = vs_sel4_root_vspace_create(fx->be, talloc_allocator(&fx->ta), &layout, &fx->root_vs);
    if (r != VS_OK) {
        die("vs_sel4_root_vspace_create", (int)r);
    }
}

void be_fx_fini(be_fx *fx)
{
    int kerr = 0;
    CHECK_RES(vs_destroy(fx->root_vs, 0, &kerr), VS_OK);
    vs_sel4_alloc_stats st;
    vs_sel4_alloc_get_stats(fx->alloc, &st);
    CHECK_EQ_U(st.objects, 0);
    CHECK_EQ_U(st.copies, 0);
    CHECK_EQ_U(st.busy_untypeds, 0);
    vs_sel4_backend_destroy(fx->be);
    vs_sel4_alloc_destroy(fx->alloc);
    be_acct now;
    be_acct_take(fx->bi, &now);
    be_acct_compare(&fx->boot, &now, "after teardown");
    CHECK_EQ_U(fx->ta.live_bytes, 0);
    CHECK_EQ_U(fx->ta.errors, 0);
    talloc_fini(&fx->ta);
    sel4sim_shutdown();
}

int be_child_create(be_fx *fx, be_child *c, vs_addr base, vs_addr end)
{
    memset(c, 0, sizeof *c);
    int err = vs_sel4_create_root(fx->be, &c->root);
    if (err != 0) {
        return err;
    }
    vs_config cfg = {fx->arch, talloc_allocator(&fx->ta), vs_sel4_backend_kernel(fx->be), c->root.cap, base, end};
    vs_result r = vs_create(&cfg, &c->vs);
    if (r != VS_OK) {
        vs_sel4_free_root(fx->be, &c->root);
        return -(int)r;
    }
    return 0;
}

void be_child_destroy(be_fx *fx, be_child *c, unsigned flags)
{
    int kerr = 0;
    CHECK_RES(vs_destroy(c->vs, flags, &kerr), VS_OK);
    CHECK_EQ_U(vs_sel4_free_root(fx->be, &c->root), 0);
    c->vs = NULL;
}
