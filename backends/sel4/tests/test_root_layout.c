/* The root task's boot layout, per architecture, on a simulator that maps
 * extra boot info (bi->extraLen bytes) after the bootinfo frame as seL4
 * does: the layout taken from bootinfo reserves every page the kernel
 * mapped, so vspace never hands one out and no mapping of vspace's can
 * replace the kernel's mapping of the extra boot info. */
#include <stdio.h>
#include <string.h>

#include "be_fixture.h"

/* Every page of bi->extraBIPages, right after the bootinfo frame, still
 * translates to its own frame (the kernel's boot mapping is intact). */
static void check_extra_mapped(const seL4_BootInfo *bi, const char *when)
{
    vs_addr at = sel4sim_bootinfo_vaddr() + seL4_BootInfoFrameSize;
    for (seL4_SlotPos s = bi->extraBIPages.start; s < bi->extraBIPages.end; s++, at += PAGE_SIZE) {
        seL4_Word paddr = 0;
        sel4sim_translation t;
        CHECK(sel4sim_cap_paddr(s, &paddr) == seL4_NoError);
        CHECK(sel4sim_translate(seL4_CapInitThreadVSpace, at, &t) == seL4_NoError);
        if (!t.found || t.paddr != paddr) {
            test_fail(__FILE__, __LINE__, "%s: extra boot info page 0x%llx no longer maps its frame", when,
                      (unsigned long long)at);
        }
    }
}

static void test_arch(vs_arch_id arch)
{
    be_fx fx;
    be_fx_init(&fx, arch, 64ull << 20);
    const seL4_BootInfo *bi = fx.bi;
    vs_addr bi_vaddr = sel4sim_bootinfo_vaddr();
    vs_addr extra = bi_vaddr + seL4_BootInfoFrameSize;
    uint64_t npages = bi->extraBIPages.end - bi->extraBIPages.start;

    /* The simulator models extra boot info: a non-zero extraLen, its pages
     * mapped after the bootinfo frame, starting with a chunk header, and
     * (as seL4) a power of two of pages holding extraLen bytes. */
    CHECK(bi->extraLen > 0);
    CHECK(npages * PAGE_SIZE >= bi->extraLen);
    CHECK((npages & (npages - 1)) == 0);
    CHECK(npages * PAGE_SIZE > ((bi->extraLen + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1)));
    seL4_BootInfoHeader h;
    CHECK(sel4sim_vs_read(seL4_CapInitThreadVSpace, extra, &h, sizeof h) == 0);
    CHECK_EQ_U(h.len, bi->extraLen);
    check_extra_mapped(bi, "after boot");

    /* The layout from bootinfo covers the IPC buffer, the bootinfo frame
     * and every extra page, and refuses an inverted image. */
    vs_sel4_root_layout l;
    CHECK_RES(vs_sel4_root_layout_from_bootinfo_at(bi, bi_vaddr, sel4sim_ipc_buffer_vaddr(), 0x400000, 0x416000, &l),
              VS_OK);
    CHECK_EQ_U(l.bootinfo, bi_vaddr);
    CHECK_EQ_U(l.bootinfo_size, seL4_BootInfoFrameSize);
    CHECK_EQ_U(l.extra_bootinfo_size, npages * PAGE_SIZE);
    CHECK_EQ_U(l.image_start, 0x400000);
    CHECK_EQ_U(l.image_end, 0x416000);
    CHECK_RES(vs_sel4_root_layout_from_bootinfo_at(bi, bi_vaddr, 0, 0x416000, 0x400000, &l), VS_ERR_INVALID_ARG);
    CHECK_RES(vs_sel4_root_layout_from_bootinfo(NULL, 0, 0, &l), VS_ERR_INVALID_ARG);

    /* Every extra page is taken in the fixture's root vspace: a fixed
     * reservation there is refused, and the reservation ends exactly where
     * the kernel's mapping ends. If one were handed out, mapping a fresh
     * frame there would replace the kernel's mapping: try it, then check. */
    for (uint64_t i = 0; i < npages; i++) {
        vs_reservation *res = NULL;
        vs_addr page = extra + i * PAGE_SIZE;
        vs_attrs attrs = {"probe", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
        vs_result r = vs_reserve_at(fx.root_vs, page, PAGE_SIZE, &attrs, &res);
        if (r == VS_OK) {
            test_fail(__FILE__, __LINE__, "page 0x%llx of the extra boot info was handed out",
                      (unsigned long long)page);
            (void)vs_map_new(fx.root_vs, page, 1, 12);
            check_extra_mapped(bi, "after vs_map_new on a handed-out page");
            (void)vs_unmap(fx.root_vs, page, PAGE_SIZE, 0);
            (void)vs_free(fx.root_vs, res, 0);
        } else {
            CHECK_RES(r, VS_ERR_OVERLAP);
        }
    }
    vs_reservation *after = NULL;
    vs_attrs attrs = {"after", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(fx.root_vs, extra + npages * PAGE_SIZE, PAGE_SIZE, &attrs, &after), VS_OK);
    CHECK_RES(vs_map_new(fx.root_vs, extra + npages * PAGE_SIZE, 1, 12), VS_OK);
    check_extra_mapped(bi, "after vs_map_new on the next page");
    CHECK_RES(vs_unmap(fx.root_vs, extra + npages * PAGE_SIZE, PAGE_SIZE, 0), VS_OK);
    CHECK_RES(vs_free(fx.root_vs, after, 0), VS_OK);
    CHECK_RES(vs_check(fx.root_vs, NULL, NULL, NULL), VS_OK);
    be_fx_fini(&fx);
}

int main(int argc, char **argv)
{
    static const char *names[] = {"ia32", "x86_64", "aarch32", "aarch64", "riscv32", "riscv64"};
    for (int a = 0; a < VS_ARCH_COUNT; a++) {
        if (argc > 1 && strcmp(argv[1], names[a]) != 0) {
            continue;
        }
        test_context = names[a];
        test_arch((vs_arch_id)a);
    }
    printf("root layout: %u failures\n", test_failures);
    return test_failures != 0;
}
