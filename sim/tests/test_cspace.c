/* CSpace: addressing with guards and depth (Reference Manual 3.3 "CSpace
 * Addressing"), lookup failure details (6.4 / "Lookup Failure
 * Description": MR0 source flag, MR1 type, then bits left and the rest),
 * rights and Mint (3.1.4: rights can only be reduced), Copy / Move /
 * Delete / Revoke and the derivation tree (3.1.2, 3.2). */
#include "simtest.h"

#define ROOT seL4_CapInitThreadCNode
#define D seL4_WordBits

static seL4_Error copy(seL4_CPtr dest, seL4_CPtr src)
{
    return seL4_CNode_Copy(ROOT, dest, D, ROOT, src, D, seL4_AllRights);
}

static void check_lookup(seL4_Error e, seL4_Word source, seL4_Word type, seL4_Word bits_left)
{
    CHECK_EQ(e, seL4_FailedLookup);
    CHECK_EQ(seL4_GetMR(0), source);
    CHECK_EQ(seL4_GetMR(1), type);
    CHECK_EQ(seL4_GetMR(2), bits_left);
}

static void test_addressing(void)
{
    seL4_CPtr s = t_slot();
    CHECK_EQ(copy(s, seL4_CapInitThreadTCB), seL4_NoError);
    CHECK_EQ(copy(s, seL4_CapInitThreadTCB), seL4_DeleteFirst);
    check_lookup(copy(t_slot(), t_slot()), 1, seL4_MissingCapability, D); /* empty source */
    CHECK_EQ(seL4_CNode_Copy(ROOT, t_slot(), 0, ROOT, s, D, seL4_AllRights), seL4_RangeError);
    CHECK_EQ(seL4_GetMR(0), 1);
    CHECK_EQ(seL4_GetMR(1), D);
    /* The root CNode's guard of zeros (D - 12 bits): high CPtr bits mismatch it. */
    seL4_Word bad = ((seL4_Word)1 << 20) | 5;
    check_lookup(copy(bad, s), 0, seL4_GuardMismatch, D);
    CHECK_EQ(seL4_GetMR(3), bad >> 12);
    CHECK_EQ(seL4_GetMR(4), D - 12);
    /* D - 4 bits cover the guard but not guard + radix: depth mismatch. */
    check_lookup(seL4_CNode_Copy(ROOT, 5, D - 4, ROOT, s, D, seL4_AllRights), 0, seL4_DepthMismatch, D - 4);
    CHECK_EQ(seL4_GetMR(3), D);
    CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadTCB, t_slot(), D, ROOT, s, D, seL4_AllRights), seL4_IllegalOperation);
    CHECK_EQ(seL4_CNode_Delete(t_slot(), 0, D), seL4_InvalidCapability);
    CHECK_EQ(seL4_GetMR(0), 0);
}

/* The word the booted kernel resolves CPtrs with, from the seL4 manual and
 * libsel4 (seL4_WordBits = bits of seL4_Word), not from the simulator. */
static seL4_Word word_bits_of(vs_arch_id arch)
{
    return (arch == VS_ARCH_IA32 || arch == VS_ARCH_AARCH32 || arch == VS_ARCH_RISCV32) ? 32 : 64;
}

/* Observed on the real seL4 kernel (ia32): a lookup's "bits left" counts
 * against the 32-bit word. Copy from an empty slot at full depth is a
 * missing capability with all 32 bits left; a source depth one short of the
 * word is a depth mismatch with 31 left (the root CNode's guard + radix
 * need 32). */
static void test_word_bits(void)
{
    seL4_Word wb = word_bits_of(sel4sim_arch());
    CHECK_EQ(seL4_WordBits, wb);
    seL4_CPtr s = t_slot();
    CHECK_EQ(copy(s, seL4_CapInitThreadTCB), seL4_NoError);
    check_lookup(seL4_CNode_Copy(ROOT, t_slot(), (seL4_Uint8)wb, ROOT, t_slot(), (seL4_Uint8)wb, seL4_AllRights), 1,
                 seL4_MissingCapability, wb);
    check_lookup(seL4_CNode_Copy(ROOT, t_slot(), (seL4_Uint8)wb, ROOT, s, (seL4_Uint8)(wb - 1), seL4_AllRights), 1,
                 seL4_DepthMismatch, wb - 1);
    CHECK_EQ(seL4_GetMR(3), wb); /* bits the level needed: guard + radix */
    /* A depth beyond the word is a range error naming 1..word bits. */
    if (wb == 32) {
        CHECK_EQ(seL4_CNode_Copy(ROOT, t_slot(), 33, ROOT, s, 32, seL4_AllRights), seL4_RangeError);
        CHECK_EQ(seL4_GetMR(0), 1);
        CHECK_EQ(seL4_GetMR(1), 32);
    }
}

/* A child CNode reached through a guarded copy of its cap. */
static void test_guard(void)
{
    seL4_CPtr cn = t_retype(seL4_CapTableObject, 8), guarded = t_slot();
    CHECK_EQ(seL4_CNode_Copy(cn, 3, 8, ROOT, seL4_CapInitThreadTCB, D, seL4_AllRights), seL4_NoError);
    CHECK_EQ(seL4_CNode_Mint(ROOT, guarded, D, ROOT, cn, D, seL4_AllRights, seL4_CNode_CapData_new(0, D - 8).words[0]),
             seL4_NoError);
    CHECK_EQ(seL4_CNode_Copy(guarded, 3, D, ROOT, seL4_CapInitThreadTCB, D, seL4_AllRights),
             seL4_DeleteFirst); /* the same slot 3, now addressed with 64 bits */
    CHECK_EQ(seL4_CNode_Copy(guarded, 4, D, ROOT, seL4_CapInitThreadTCB, D, seL4_AllRights), seL4_NoError);
    CHECK_EQ(seL4_CNode_Copy(cn, 4, 8, ROOT, seL4_CapInitThreadTCB, D, seL4_AllRights), seL4_DeleteFirst);
    CHECK_EQ(seL4_CNode_Mint(ROOT, t_slot(), D, ROOT, cn, D, seL4_AllRights, seL4_CNode_CapData_new(0, 60).words[0]),
             seL4_IllegalOperation);
}

/* Mint and Copy reduce frame rights; they never grow back. */
static void test_rights(void)
{
    seL4_CPtr vs = t_new_vspace(), f = t_retype(t_frame_type(0), 0);
    seL4_CPtr ro = t_slot(), again = t_slot();
    CHECK_EQ(seL4_CNode_Mint(ROOT, ro, D, ROOT, f, D, seL4_CanRead, 0), seL4_NoError);
    CHECK_EQ(seL4_CNode_Copy(ROOT, again, D, ROOT, ro, D, seL4_AllRights), seL4_NoError);
    CHECK_EQ(t_map_frame_auto(again, vs, 0x10000, seL4_ReadWrite), seL4_NoError);
    sel4sim_translation t = t_translate(vs, 0x10000);
    CHECK(t.found && t.read && !t.write);
    CHECK_EQ(t.paddr, t_frame_paddr(f));
}

static void test_move_delete_revoke(void)
{
    seL4_CPtr f = t_retype(t_frame_type(0), 0), a = t_slot(), b = t_slot(), m = t_slot();
    size_t free0 = sel4sim_free_slots(), live0 = sel4sim_live_objects();
    CHECK_EQ(copy(a, f), seL4_NoError);
    CHECK_EQ(copy(b, a), seL4_NoError); /* grandchild */
    CHECK_EQ(seL4_CNode_Move(ROOT, m, D, ROOT, a, D), seL4_NoError);
    check_lookup(copy(t_slot(), a), 1, seL4_MissingCapability, D);
    CHECK_EQ(sel4sim_free_slots(), free0 - 2);
    CHECK_EQ(seL4_CNode_Revoke(ROOT, f, D), seL4_NoError);
    CHECK_EQ(sel4sim_free_slots(), free0);
    CHECK_EQ(seL4_CNode_Delete(ROOT, f, D), seL4_NoError);
    CHECK_EQ(sel4sim_live_objects(), live0 - 1);           /* last cap: object destroyed */
    CHECK_EQ(seL4_CNode_Delete(ROOT, f, D), seL4_NoError); /* empty slot: fine */
}

/* What cannot be copied (deriveCap). */
static void test_derive(const seL4_BootInfo *bi)
{
    seL4_CPtr pt = t_retype(t_table_type(1), 0), ut = bi->untyped.start, cp = t_slot();
    CHECK_EQ(copy(t_slot(), pt), seL4_IllegalOperation);                           /* unmapped table */
    CHECK_EQ(copy(t_slot(), t_retype(t_table_type(0), 0)), seL4_IllegalOperation); /* no ASID */
    CHECK_EQ(copy(t_slot(), seL4_CapIRQControl), seL4_IllegalOperation);
    CHECK_EQ(copy(t_slot(), ut), seL4_RevokeFirst); /* it has children now */
    seL4_CPtr fresh = t_retype(seL4_UntypedObject, 16);
    CHECK_EQ(copy(cp, fresh), seL4_NoError);
    /* The copy marks the original full until the copy goes. */
    CHECK_EQ(seL4_Untyped_Retype(fresh, seL4_EndpointObject, 0, ROOT, 0, 0, t_slot(), 1), seL4_NotEnoughMemory);
    CHECK_EQ(seL4_GetMR(0), 0);
    CHECK_EQ(seL4_CNode_Delete(ROOT, cp, D), seL4_NoError);
    CHECK_EQ(seL4_Untyped_Retype(fresh, seL4_EndpointObject, 0, ROOT, 0, 0, t_slot(), 1), seL4_NoError);
}

int main(void)
{
    for (int i = 0; i < VS_ARCH_COUNT; i++) {
        const seL4_BootInfo *bi = t_boot(simtest_archs[i], 16u << 20);
        if (bi == NULL) {
            continue;
        }
        test_addressing();
        test_word_bits();
        test_guard();
        test_rights();
        test_move_delete_revoke();
        test_derive(bi);
    }
    return simtest_done("sim_cspace");
}
