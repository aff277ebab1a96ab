/* End to end, on every architecture: retype a frame and the paging
 * structures, make a fresh vspace (assign an ASID first), map the frame,
 * write bytes at its physical address and read them back through the MMU
 * walk at the virtual address. Then revoke everything and check that every
 * untyped watermark, the live-object count and the free slots are back. */
#include <string.h>

#include "simtest.h"

#define VADDR 0x00403000u

typedef struct snapshot {
    size_t live, free_slots;
    seL4_Word watermark[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
} snapshot;

static void take(const seL4_BootInfo *bi, snapshot *s)
{
    memset(s, 0, sizeof(*s));
    s->live = sel4sim_live_objects();
    s->free_slots = sel4sim_free_slots();
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        sel4sim_untyped_info u;
        CHECK_EQ(sel4sim_untyped(bi->untyped.start + i, &u), seL4_NoError);
        s->watermark[i] = u.watermark;
    }
}

static void round_trip(seL4_CPtr vs, seL4_CPtr frame)
{
    static const char msg[] = "through the simulated MMU";
    char back[sizeof(msg)];
    seL4_Word paddr = t_frame_paddr(frame);
    CHECK_EQ(sel4sim_phys_write(paddr + 0x123, msg, sizeof(msg)), 0);
    sel4sim_translation t = t_translate(vs, VADDR + 0x123);
    CHECK(t.found);
    CHECK_EQ(t.paddr, paddr + 0x123);
    CHECK_EQ(sel4sim_phys_read(t.paddr, back, sizeof(back)), 0);
    CHECK(memcmp(back, msg, sizeof(msg)) == 0);
}

static void test_arch(vs_arch_id arch)
{
    snapshot before, after;
    const seL4_BootInfo *bi = t_boot(arch, 32u << 20);
    if (bi == NULL) {
        return;
    }
    take(bi, &before);
    seL4_CPtr vs = t_new_vspace();
    seL4_CPtr frame = t_retype(t_frame_type(0), 0);
    CHECK_EQ(t_map_tables(vs, VADDR, t_page_level(0)), t_page_level(0));
    CHECK_EQ(t_map_frame(frame, vs, VADDR, seL4_ReadWrite), seL4_NoError);
    round_trip(vs, frame);
    CHECK(sel4sim_live_objects() > before.live);
    for (seL4_Word ut = bi->untyped.start; ut < bi->untyped.end; ut++) {
        CHECK_EQ(seL4_CNode_Revoke(seL4_CapInitThreadCNode, ut, seL4_WordBits), seL4_NoError);
    }
    take(bi, &after);
    CHECK_EQ(after.live, before.live);
    CHECK_EQ(after.free_slots, before.free_slots);
    CHECK(memcmp(after.watermark, before.watermark, sizeof(before.watermark)) == 0);
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        test_arch(simtest_archs[i]);
    }
    return simtest_done("sim_e2e");
}
