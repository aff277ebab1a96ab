/* The object allocator on its own (x86_64 and riscv32 simulated machines):
 * objects, copies and slots; frees that do not match what was handed out
 * are refused; running out of slots or untyped memory changes nothing; and
 * everything comes back. */
#include <stdio.h>
#include <stdlib.h>

#include "be_fixture.h"

static seL4_Word frame_type(const vs_arch *arch)
{
    return arch->id == VS_ARCH_X86_64 ? seL4_X86_4K : seL4_RISCV_4K_Page;
}

static void objects_and_copies(be_fx *fx)
{
    vs_sel4_alloc *a = fx->alloc;
    size_t objects0 = sel4sim_live_objects();
    seL4_CPtr cap = 0, copy = 0, copy2 = 0;
    uintptr_t cookie = 0;
    CHECK_EQ_U(vs_sel4_alloc_object(a, frame_type(fx->arch), 0, 12, &cap, &cookie), seL4_NoError);
    CHECK(cap >= fx->bi->empty.start && cap < fx->bi->empty.end);
    CHECK(sel4sim_live_objects() > objects0); /* the frame, and untyped halves split for it */
    CHECK_EQ_U(vs_sel4_alloc_free_object(a, cap, cookie + 1), seL4_InvalidArgument);
    CHECK_EQ_U(vs_sel4_alloc_delete_copy(a, cap), seL4_InvalidArgument);
    CHECK_EQ_U(vs_sel4_alloc_free_object(a, fx->bi->empty.end, 0), seL4_InvalidArgument);

    CHECK_EQ_U(vs_sel4_alloc_copy(a, cap, seL4_AllRights, &copy), seL4_NoError);
    CHECK_EQ_U(vs_sel4_alloc_copy(a, copy, seL4_CanRead, &copy2), seL4_NoError);
    CHECK_EQ_U(vs_sel4_alloc_free_object(a, copy, cookie), seL4_InvalidArgument);
    vs_sel4_alloc_stats st;
    vs_sel4_alloc_get_stats(a, &st);
    CHECK_EQ_U(st.objects, 1);
    CHECK_EQ_U(st.copies, 2);
    CHECK_EQ_U(st.busy_untypeds, 1);

    /* The object goes first; its copies keep the untyped busy. */
    CHECK_EQ_U(vs_sel4_alloc_free_object(a, cap, cookie), seL4_NoError);
    vs_sel4_alloc_get_stats(a, &st);
    CHECK_EQ_U(st.busy_untypeds, 1);
    CHECK_EQ_U(vs_sel4_alloc_delete_copy(a, copy), seL4_NoError);
    CHECK_EQ_U(vs_sel4_alloc_delete_copy(a, copy2), seL4_NoError);
    CHECK_EQ_U(vs_sel4_alloc_delete_copy(a, copy2), seL4_InvalidArgument);
    vs_sel4_alloc_get_stats(a, &st);
    CHECK_EQ_U(st.busy_untypeds, 0);
    CHECK_EQ_U(st.copies, 0);

    /* A copy of a boot cap is foreign: counted as a copy, no untyped. */
    CHECK_EQ_U(vs_sel4_alloc_copy(a, seL4_CapBootInfoFrame, seL4_AllRights, &copy), seL4_NoError);
    vs_sel4_alloc_get_stats(a, &st);
    CHECK_EQ_U(st.busy_untypeds, 0);
    CHECK_EQ_U(vs_sel4_alloc_delete_copy(a, copy), seL4_NoError);
    /* A copy of an empty slot fails and takes no slot. */
    vs_sel4_alloc_get_stats(a, &st);
    size_t free0 = st.free_slots;
    CHECK(vs_sel4_alloc_copy(a, fx->bi->empty.end - 1, seL4_AllRights, &copy) != seL4_NoError);
    vs_sel4_alloc_get_stats(a, &st);
    CHECK_EQ_U(st.free_slots, free0);
}

/* A type the booted arch does not have is the kernel's error, not "no
 * memory", and whatever was split for it is merged back: for every piece
 * size, slots, watermarks and objects are as before. */
static void bad_type(be_fx *fx)
{
    seL4_Word foreign = fx->arch->id == VS_ARCH_X86_64 ? seL4_RISCV_4K_Page : seL4_X86_4K;
    for (unsigned bits = 12; bits <= 18; bits++) {
        seL4_CPtr cap;
        uintptr_t cookie;
        be_acct before, after;
        vs_sel4_alloc_stats st0, st1;
        be_acct_take(fx->bi, &before);
        vs_sel4_alloc_get_stats(fx->alloc, &st0);
        seL4_Error err = vs_sel4_alloc_object(fx->alloc, foreign, 0, bits, &cap, &cookie);
        CHECK(err != seL4_NoError && err != seL4_NotEnoughMemory);
        be_acct_take(fx->bi, &after);
        be_acct_compare(&before, &after, "after a refused retype");
        vs_sel4_alloc_get_stats(fx->alloc, &st1);
        CHECK_EQ_U(st1.free_slots, st0.free_slots);
        CHECK_EQ_U(st1.objects, st0.objects);
    }
}

static void exhaust_slots(be_fx *fx)
{
    vs_sel4_alloc_stats st;
    vs_sel4_alloc_get_stats(fx->alloc, &st);
    size_t n = st.free_slots;
    seL4_CPtr *slots = malloc(n * sizeof *slots);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_U(vs_sel4_alloc_slot(fx->alloc, &slots[i]), seL4_NoError);
    }
    seL4_CPtr extra;
    uintptr_t cookie;
    CHECK_EQ_U(vs_sel4_alloc_slot(fx->alloc, &extra), seL4_NotEnoughMemory);
    CHECK_EQ_U(vs_sel4_alloc_object(fx->alloc, frame_type(fx->arch), 0, 12, &extra, &cookie), seL4_NotEnoughMemory);
    CHECK_EQ_U(vs_sel4_alloc_copy(fx->alloc, seL4_CapBootInfoFrame, seL4_AllRights, &extra), seL4_NotEnoughMemory);
    /* Free in a scrambled order; the lowest free slot is handed out next. */
    for (size_t i = 0; i < n; i += 2) {
        CHECK_EQ_U(vs_sel4_free_slot(fx->alloc, slots[i]), seL4_NoError);
    }
    CHECK_EQ_U(vs_sel4_free_slot(fx->alloc, slots[0]), seL4_InvalidArgument);
    CHECK_EQ_U(vs_sel4_alloc_slot(fx->alloc, &extra), seL4_NoError);
    CHECK_EQ_U(extra, slots[0]);
    CHECK_EQ_U(vs_sel4_free_slot(fx->alloc, extra), seL4_NoError);
    for (size_t i = 1; i < n; i += 2) {
        CHECK_EQ_U(vs_sel4_free_slot(fx->alloc, slots[i]), seL4_NoError);
    }
    vs_sel4_alloc_get_stats(fx->alloc, &st);
    CHECK_EQ_U(st.free_slots, n);
    free(slots);
}

/* Frames until the untypeds are dry; the count matches the RAM untypeds
 * hold, and freeing them all restores every watermark. */
static void exhaust_untyped(be_fx *fx)
{
    size_t cap_max = 1u << 16, n = 0;
    seL4_CPtr *caps = malloc(cap_max * sizeof *caps);
    uintptr_t *cookies = malloc(cap_max * sizeof *cookies);
    seL4_Error err = seL4_NoError;
    while (n < cap_max && (err = vs_sel4_alloc_object(fx->alloc, frame_type(fx->arch), 0, 12, &caps[n], &cookies[n])) ==
                              seL4_NoError) {
        n++;
    }
    CHECK_EQ_U(err, seL4_NotEnoughMemory);
    uint64_t ram_free = 0;
    for (seL4_Word i = 0; i < fx->bi->untyped.end - fx->bi->untyped.start; i++) {
        sel4sim_untyped_info info;
        if (sel4sim_untyped(fx->bi->untyped.start + i, &info) == seL4_NoError && !info.is_device) {
            ram_free += info.free_bytes;
        }
    }
    CHECK(ram_free < 4096 * (fx->bi->untyped.end - fx->bi->untyped.start)); /* crumbs below a page */
    printf("%s: %zu frames allocated, %llu bytes left\n", test_context, n, (unsigned long long)ram_free);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_U(vs_sel4_alloc_free_object(fx->alloc, caps[n - 1 - i], cookies[n - 1 - i]), seL4_NoError);
    }
    free(caps);
    free(cookies);
}

static void run(vs_arch_id id)
{
    be_fx fx;
    test_context = vs_arch_get(id)->name;
    be_fx_init(&fx, id, 4u << 20);
    objects_and_copies(&fx);
    bad_type(&fx);
    exhaust_slots(&fx);
    exhaust_untyped(&fx);
    be_fx_fini(&fx);
}

int main(void)
{
    run(VS_ARCH_X86_64);
    run(VS_ARCH_RISCV32);
    return test_summary("sel4be_alloc");
}
