/* A root task written against libsel4 only: it runs a fixed script of
 * kernel calls and prints, for each, the call, the seL4_Error it returned
 * with the error details libsel4 exposes, and whether that is what the seL4
 * Reference Manual (13.0) documents.
 *
 * The same file builds against the real libsel4 + sel4runtime (a rootserver
 * on seL4) and against the host simulator (sim/, with host_launcher.c); the
 * two transcripts are meant to be diffed (README.md). Nothing printed
 * depends on the machine: physical addresses are printed relative to the
 * untyped they come from, sizes relative to the objects the script made.
 *
 * The architecture is chosen by the macros seL4's build configuration
 * defines (CONFIG_ARCH_<sel4_arch>, from KernelSel4Arch); on the host,
 * CMake passes one of them per build. */
#include <sel4/sel4.h>
#include <sel4/sel4_arch/mapping.h> /* seL4_MappingFailedLookupLevel: not in <sel4/sel4.h> */
#include <sel4runtime.h>
#include <stdio.h>

/* ---- per-architecture table: the only place architectures differ ----
 *
 * TEST_VADDR lies in a top-level region a root task's image, boot info and
 * IPC buffer do not use, so every paging structure below the vspace root is
 * missing there at first. LEVELS lists, from the top, the structure each
 * missing level needs and the bits left that seL4_FailedLookup reports when
 * it is missing (Reference Manual, ch. 7 "Address Spaces and Virtual
 * Memory": a frame or table can only be mapped once the structures above it
 * are). OVERMAP is the result of mapping a frame where another frame is
 * mapped: x86 and Arm replace the mapping, RISC-V refuses (seL4 issues #967,
 * #1304). */
/* Each family names its frame calls and attributes once ... */
#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_IA32)
#define FAMILY "X86"
#define FRAME_OBJECT seL4_X86_4K
#define FRAME_MAP seL4_X86_Page_Map
#define FRAME_UNMAP seL4_X86_Page_Unmap
#define FRAME_GET_ADDRESS seL4_X86_Page_GetAddress
#define FRAME_ADDRESS_T seL4_X86_Page_GetAddress_t
#define VM_ATTRIBUTES seL4_X86_Default_VMAttributes
#define OVERMAP seL4_NoError /* x86 replaces a frame mapped over another */
typedef seL4_X86_VMAttributes vm_attributes;
#elif defined(CONFIG_ARCH_AARCH64) || defined(CONFIG_ARCH_AARCH32)
#define FAMILY "ARM"
#define FRAME_OBJECT seL4_ARM_SmallPageObject
#define FRAME_MAP seL4_ARM_Page_Map
#define FRAME_UNMAP seL4_ARM_Page_Unmap
#define FRAME_GET_ADDRESS seL4_ARM_Page_GetAddress
#define FRAME_ADDRESS_T seL4_ARM_Page_GetAddress_t
#define VM_ATTRIBUTES seL4_ARM_Default_VMAttributes
#define OVERMAP seL4_NoError /* so does Arm */
typedef seL4_ARM_VMAttributes vm_attributes;
#elif defined(CONFIG_ARCH_RISCV64) || defined(CONFIG_ARCH_RISCV32)
#define FAMILY "RISCV"
#define FRAME_OBJECT seL4_RISCV_4K_Page
#define FRAME_MAP seL4_RISCV_Page_Map
#define FRAME_UNMAP seL4_RISCV_Page_Unmap
#define FRAME_GET_ADDRESS seL4_RISCV_Page_GetAddress
#define FRAME_ADDRESS_T seL4_RISCV_Page_GetAddress_t
#define VM_ATTRIBUTES seL4_RISCV_Default_VMAttributes
#define OVERMAP seL4_DeleteFirst /* RISC-V refuses (seL4 issues #967, #1304) */
typedef seL4_RISCV_VMAttributes vm_attributes;
#else
#error "define one of CONFIG_ARCH_X86_64, _IA32, _AARCH64, _AARCH32, _RISCV64, _RISCV32"
#endif

/* ... and each architecture its test address and the paging structures a
 * 4 KiB mapping there needs, top down. */
#if defined(CONFIG_ARCH_X86_64)
#define ARCH_NAME "x86_64"
#define TEST_VADDR 0x8000000000ull
#define LEVELS                                                                                                         \
    {39, seL4_X86_PDPTObject, seL4_X86_PDPT_Map, "X86_PDPT"},                                                          \
        {30, seL4_X86_PageDirectoryObject, seL4_X86_PageDirectory_Map, "X86_PageDirectory"},                           \
        {21, seL4_X86_PageTableObject, seL4_X86_PageTable_Map, "X86_PageTable"},
#elif defined(CONFIG_ARCH_IA32)
#define ARCH_NAME "ia32"
#define TEST_VADDR 0x80000000ull
#define LEVELS {22, seL4_X86_PageTableObject, seL4_X86_PageTable_Map, "X86_PageTable"},
#elif defined(CONFIG_ARCH_AARCH64)
#define ARCH_NAME "aarch64"
#define TEST_VADDR 0x8000000000ull
#define LEVELS                                                                                                         \
    {39, seL4_ARM_PageTableObject, seL4_ARM_PageTable_Map, "ARM_PageTable"},                                           \
        {30, seL4_ARM_PageTableObject, seL4_ARM_PageTable_Map, "ARM_PageTable"},                                       \
        {21, seL4_ARM_PageTableObject, seL4_ARM_PageTable_Map, "ARM_PageTable"},
#elif defined(CONFIG_ARCH_AARCH32)
#define ARCH_NAME "aarch32"
#define TEST_VADDR 0x80000000ull
#define LEVELS {20, seL4_ARM_PageTableObject, seL4_ARM_PageTable_Map, "ARM_PageTable"},
#elif defined(CONFIG_ARCH_RISCV64)
#define ARCH_NAME "riscv64"
#define TEST_VADDR 0x3000000000ull
#define LEVELS                                                                                                         \
    {30, seL4_RISCV_PageTableObject, seL4_RISCV_PageTable_Map, "RISCV_PageTable"},                                     \
        {21, seL4_RISCV_PageTableObject, seL4_RISCV_PageTable_Map, "RISCV_PageTable"},
#else /* CONFIG_ARCH_RISCV32 */
#define ARCH_NAME "riscv32"
#define TEST_VADDR 0x40000000ull
#define LEVELS {22, seL4_RISCV_PageTableObject, seL4_RISCV_PageTable_Map, "RISCV_PageTable"},
#endif
/* ---- end of the per-architecture table ---- */

#define PAGE ((seL4_Word)1 << seL4_PageBits)
#define WORK_BITS 20 /* the script's own untyped: 1 MiB */
#define DEPTH seL4_WordBits

typedef seL4_Error (*table_map_fn)(seL4_CPtr table, seL4_CPtr vspace, seL4_Word vaddr, vm_attributes attr);

typedef struct paging_level {
    seL4_Word bits_left; /* what seL4_MappingFailedLookupLevel() reports */
    seL4_Word type;
    table_map_fn map;
    const char *name;
} paging_level;

static const paging_level levels[] = {LEVELS};
#define NUM_LEVELS (sizeof(levels) / sizeof(levels[0]))

int roottask_main(void);

/* ---- checking and printing ---- */

static const char *const error_names[] = {
    "seL4_NoError",     "seL4_InvalidArgument", "seL4_InvalidCapability", "seL4_IllegalOperation",
    "seL4_RangeError",  "seL4_AlignmentError",  "seL4_FailedLookup",      "seL4_TruncatedMessage",
    "seL4_DeleteFirst", "seL4_RevokeFirst",     "seL4_NotEnoughMemory",
};

/* What the manual says a call returns: the error and the message registers
 * that carry its details (Reference Manual, "Errors" in the API chapter:
 * InvalidArgument MR0 = argument number; InvalidCapability MR0 = cap
 * number; RangeError MR0, MR1 = allowed minimum and maximum; FailedLookup
 * MR0 = 1 if the source lookup failed, MR1 = lookup failure type, MR2... its
 * details; NotEnoughMemory MR0 = bytes left). A detail named here is
 * printed by that name instead of its value when it matches, so values that
 * depend on the word size read the same on every build. */
typedef struct expect {
    seL4_Error error;
    int nmr;
    seL4_Word mr[3];
    const char *mr_name[3];
    int map_level; /* a map call: also print seL4_MappingFailedLookupLevel() */
} expect;

static int calls, mismatches;

static const char *error_name(seL4_Error e)
{
    return (unsigned)e < sizeof(error_names) / sizeof(error_names[0]) ? error_names[e] : "seL4_Error(?)";
}

/* The details libsel4 exposes for an error, as far as the manual documents
 * them; after a failed mapping also seL4_MappingFailedLookupLevel(). */
static int detail_count(seL4_Error e)
{
    switch (e) {
    case seL4_InvalidArgument:
    case seL4_InvalidCapability:
    case seL4_NotEnoughMemory:
        return 1;
    case seL4_RangeError:
        return 2;
    case seL4_FailedLookup:
        return 3;
    default:
        return 0;
    }
}

static int check(const char *call, seL4_Error got, expect want)
{
    seL4_Word mr[3] = {0, 0, 0};
    int n = detail_count(got);
    int ok = got == want.error;
    calls++;
    for (int i = 0; i < n; i++) {
        mr[i] = seL4_GetMR(i);
    }
    for (int i = 0; ok && i < want.nmr; i++) {
        ok = mr[i] == want.mr[i];
    }
    printf("%02d %s -> %s", calls, call, error_name(got));
    for (int i = 0; i < n; i++) {
        if (got == want.error && i < want.nmr && want.mr_name[i] != NULL && mr[i] == want.mr[i]) {
            printf(" MR%d=%s", i, want.mr_name[i]);
        } else {
            printf(" MR%d=0x%llx", i, (unsigned long long)mr[i]);
        }
    }
    if (got == seL4_FailedLookup && want.map_level) {
        printf(" level=%llu", (unsigned long long)seL4_MappingFailedLookupLevel());
    }
    if (ok) {
        printf(" : ok\n");
        return 1;
    }
    mismatches++;
    printf(" : MISMATCH (expected %s", error_name(want.error));
    for (int i = 0; i < want.nmr; i++) {
        printf(" MR%d=0x%llx", i, (unsigned long long)want.mr[i]);
    }
    printf(")\n");
    return 0;
}

static expect ok_(void)
{
    expect e = {seL4_NoError, 0, {0, 0, 0}, {NULL, NULL, NULL}, 0};
    return e;
}

static expect err(seL4_Error error)
{
    expect e = {error, 0, {0, 0, 0}, {NULL, NULL, NULL}, 0};
    return e;
}

static expect err1(seL4_Error error, seL4_Word mr0)
{
    expect e = {error, 1, {mr0, 0, 0}, {NULL, NULL, NULL}, 0};
    return e;
}

static expect err2(seL4_Error error, seL4_Word mr0, seL4_Word mr1)
{
    expect e = {error, 2, {mr0, mr1, 0}, {NULL, NULL, NULL}, 0};
    return e;
}

/* A RangeError whose maximum depends on the kernel configuration
 * (KernelRetypeFanOutLimit, KernelRootCNodeSizeBits): printed by name. */
static expect range_cfg(seL4_Word min, seL4_Word max, const char *max_name)
{
    expect e = {seL4_RangeError, 2, {min, max, 0}, {NULL, max_name, NULL}, 0};
    return e;
}

/* seL4_FailedLookup for a missing capability with bits_left untranslated. */
static expect missing(int source, seL4_Word bits_left, const char *bits_name)
{
    expect e = {
        seL4_FailedLookup, 3, {(seL4_Word)source, seL4_MissingCapability, bits_left}, {NULL, NULL, bits_name}, 0};
    return e;
}

/* ---- the script ---- */

static seL4_CPtr slot_base;

/* The script's slots, all in bootinfo->empty. */
enum { S_WORK, S_FRAME, S_COPY, S_MINT, S_MOVED, S_SPARE, S_EXTRA_TABLE, S_TABLES, S_COUNT = S_TABLES + 4 };

static seL4_CPtr slot(int i)
{
    return slot_base + (seL4_CPtr)i;
}

static seL4_Error retype(seL4_Untyped ut, seL4_Word type, seL4_Word bits, seL4_Word offset, seL4_Word num)
{
    return seL4_Untyped_Retype(ut, type, bits, seL4_CapInitThreadCNode, 0, 0, offset, num);
}

static seL4_Error map(seL4_CPtr frame, seL4_Word vaddr, seL4_CapRights_t rights)
{
    return FRAME_MAP(frame, seL4_CapInitThreadVSpace, vaddr, rights, VM_ATTRIBUTES);
}

static const char *const map_fn = "seL4_" FAMILY "_Page_Map";

/* Manual 2.4 "Kernel Memory Allocation" and the seL4_Untyped_Retype API
 * entry: objects are carved from the untyped in order, each aligned to its
 * size; a slot that is not empty is DeleteFirst; the errors below are the
 * argument checks in the order the manual lists them. */
static void untyped_script(seL4_Untyped parent, seL4_Word cnode_slots)
{
    seL4_Untyped work = slot(S_WORK);
    check("Untyped_Retype(boot untyped, Untyped, 20, into work)",
          retype(parent, seL4_UntypedObject, WORK_BITS, work, 1), ok_());
    check("Untyped_Retype(work, frame, into frame)", retype(work, FRAME_OBJECT, 0, slot(S_FRAME), 1), ok_());
    /* 1 MiB no longer fits: MR0 = bytes left above the watermark. */
    check("Untyped_Retype(work, Untyped, 20) too big", retype(work, seL4_UntypedObject, WORK_BITS, slot(S_SPARE), 1),
          err1(seL4_NotEnoughMemory, ((seL4_Word)1 << WORK_BITS) - PAGE));
    check("Untyped_Retype(work, frame, into frame) while occupied", retype(work, FRAME_OBJECT, 0, slot(S_FRAME), 1),
          err(seL4_DeleteFirst));
    check("Untyped_Retype(work, type = seL4_ObjectTypeCount)", retype(work, seL4_ObjectTypeCount, 0, slot(S_SPARE), 1),
          err1(seL4_InvalidArgument, 0));
    check("Untyped_Retype(work, Untyped, seL4_MinUntypedBits - 1)",
          retype(work, seL4_UntypedObject, seL4_MinUntypedBits - 1, slot(S_SPARE), 1), err1(seL4_InvalidArgument, 1));
    check("Untyped_Retype(work, Untyped, seL4_MaxUntypedBits + 1)",
          retype(work, seL4_UntypedObject, seL4_MaxUntypedBits + 1, slot(S_SPARE), 1),
          err2(seL4_RangeError, 0, seL4_MaxUntypedBits));
    check("Untyped_Retype(work, frame, num_objects = 0)", retype(work, FRAME_OBJECT, 0, slot(S_SPARE), 0),
          range_cfg(1, CONFIG_RETYPE_FAN_OUT_LIMIT, "fan-out limit"));
    check("Untyped_Retype(work, frame, num_objects = fan-out limit + 1)",
          retype(work, FRAME_OBJECT, 0, slot(S_SPARE), CONFIG_RETYPE_FAN_OUT_LIMIT + 1),
          range_cfg(1, CONFIG_RETYPE_FAN_OUT_LIMIT, "fan-out limit"));
    check("Untyped_Retype(work, frame, offset = CNode size)", retype(work, FRAME_OBJECT, 0, cnode_slots, 1),
          range_cfg(0, cnode_slots - 1, "CNode slots - 1"));
    check("Untyped_Retype(work, frame, offset = last slot, 2 objects)",
          retype(work, FRAME_OBJECT, 0, cnode_slots - 1, 2), err2(seL4_RangeError, 1, 1));
}

/* Manual ch. 7 "Address Spaces and Virtual Memory" and the Page_Map /
 * PageTable_Map API entries: a frame cap maps once (elsewhere:
 * InvalidArgument 0; same place: new rights); the address must be aligned
 * to the page (AlignmentError) and below seL4_UserTop (InvalidArgument 0);
 * a missing paging structure is FailedLookup with the bits left; a
 * structure where one is already is DeleteFirst; unmapping an unmapped
 * frame is no error. */
static void vspace_script(seL4_Untyped work, seL4_Word work_paddr)
{
    char buf[160];
    seL4_CPtr frame = slot(S_FRAME), copy = slot(S_COPY);
    seL4_Word top = (seL4_UserTop + PAGE - 1) & ~(PAGE - 1);

    snprintf(buf, sizeof(buf), "%s(frame, TEST_VADDR%s)", map_fn, "");
    for (unsigned i = 0; i < NUM_LEVELS; i++) {
        char what[96];
        expect want = missing(0, levels[i].bits_left, NULL);
        want.map_level = 1;
        check(buf, map(frame, TEST_VADDR, seL4_ReadWrite), want);
        snprintf(what, sizeof(what), "Untyped_Retype(work, %s, into table %u)", levels[i].name, i);
        check(what, retype(work, levels[i].type, 0, slot(S_TABLES + (int)i), 1), ok_());
        snprintf(what, sizeof(what), "seL4_%s_Map(table %u, TEST_VADDR)", levels[i].name, i);
        check(what, levels[i].map(slot(S_TABLES + (int)i), seL4_CapInitThreadVSpace, TEST_VADDR, VM_ATTRIBUTES), ok_());
    }
    check(buf, map(frame, TEST_VADDR, seL4_ReadWrite), ok_());
    snprintf(buf, sizeof(buf), "%s(frame, TEST_VADDR%s) again, read-only", map_fn, "");
    check(buf, map(frame, TEST_VADDR, seL4_CanRead), ok_());
    snprintf(buf, sizeof(buf), "%s(frame, TEST_VADDR%s) while mapped", map_fn, " + PAGE");
    check(buf, map(frame, TEST_VADDR + PAGE, seL4_ReadWrite), err1(seL4_InvalidArgument, 0));

    {
        seL4_Word off;
        int good;
        /* The generated stub returns the error and the address together. */
        FRAME_ADDRESS_T ga = FRAME_GET_ADDRESS(frame);
        off = ga.paddr - work_paddr;
        good = ga.error == seL4_NoError && off == 0;
        calls++;
        mismatches += !good;
        printf("%02d seL4_%s_Page_GetAddress(frame) -> %s paddr=work+0x%llx : %s\n", calls, FAMILY,
               error_name((seL4_Error)ga.error), (unsigned long long)off, good ? "ok" : "MISMATCH (expected work+0x0)");
    }

    {
        char what[96];
        snprintf(what, sizeof(what), "seL4_%s_Map(extra table, TEST_VADDR) over a table", levels[NUM_LEVELS - 1].name);
        check("Untyped_Retype(work, last-level table, into extra table)",
              retype(work, levels[NUM_LEVELS - 1].type, 0, slot(S_EXTRA_TABLE), 1), ok_());
        check(what,
              levels[NUM_LEVELS - 1].map(slot(S_EXTRA_TABLE), seL4_CapInitThreadVSpace, TEST_VADDR, VM_ATTRIBUTES),
              err(seL4_DeleteFirst));
    }

    check("CNode_Copy(frame into copy, all rights)",
          seL4_CNode_Copy(seL4_CapInitThreadCNode, copy, DEPTH, seL4_CapInitThreadCNode, frame, DEPTH, seL4_AllRights),
          ok_());
    snprintf(buf, sizeof(buf), "%s(copy, TEST_VADDR%s) misaligned", map_fn, " + PAGE / 2");
    check(buf, map(copy, TEST_VADDR + PAGE / 2, seL4_ReadWrite), err(seL4_AlignmentError));
    snprintf(buf, sizeof(buf), "%s(copy, seL4_UserTop%s)", map_fn, " rounded up to a page");
    check(buf, map(copy, top, seL4_ReadWrite), err1(seL4_InvalidArgument, 0));
    snprintf(buf, sizeof(buf), "%s(copy, TEST_VADDR%s) over the frame's mapping", map_fn, "");
    check(buf, map(copy, TEST_VADDR, seL4_ReadWrite), err(OVERMAP));
    check("seL4_" FAMILY "_Page_Unmap(copy)", FRAME_UNMAP(copy), ok_());
    snprintf(buf, sizeof(buf), "%s(copy, TEST_VADDR%s)", map_fn, " + PAGE");
    check(buf, map(copy, TEST_VADDR + PAGE, seL4_ReadWrite), ok_());
    check("seL4_" FAMILY "_Page_Unmap(frame)", FRAME_UNMAP(frame), ok_());
    check("seL4_" FAMILY "_Page_Unmap(frame) again", FRAME_UNMAP(frame), ok_());
    snprintf(buf, sizeof(buf), "%s(frame, TEST_VADDR%s) after unmap", map_fn, " + 2 * PAGE");
    check(buf, map(frame, TEST_VADDR + 2 * PAGE, seL4_ReadWrite), ok_());
}

/* Manual 3.1 "Capability-space management" and the CNode API entries:
 * Copy/Mint derive a child cap (Mint with reduced rights), a destination
 * that is not empty is DeleteFirst, an empty source is FailedLookup from the
 * source lookup (missing capability, bits left = the depth given), Move
 * empties the source, deleting an empty slot is no error, Revoke deletes
 * every cap derived from the one revoked. */
static void cnode_script(void)
{
    seL4_CNode cn = seL4_CapInitThreadCNode;
    seL4_CPtr frame = slot(S_FRAME), copy = slot(S_COPY), mint = slot(S_MINT), moved = slot(S_MOVED);

    check("CNode_Mint(frame into mint, read only, badge 0)",
          seL4_CNode_Mint(cn, mint, DEPTH, cn, frame, DEPTH, seL4_CanRead, 0), ok_());
    check("CNode_Copy(frame into mint) while mint is occupied",
          seL4_CNode_Copy(cn, mint, DEPTH, cn, frame, DEPTH, seL4_AllRights), err(seL4_DeleteFirst));
    check("CNode_Move(mint into moved)", seL4_CNode_Move(cn, moved, DEPTH, cn, mint, DEPTH), ok_());
    check("CNode_Move(mint into spare) from the emptied slot",
          seL4_CNode_Move(cn, slot(S_SPARE), DEPTH, cn, mint, DEPTH), missing(1, DEPTH, "depth"));
    check("CNode_Delete(moved)", seL4_CNode_Delete(cn, moved, DEPTH), ok_());
    check("CNode_Delete(moved) again, empty", seL4_CNode_Delete(cn, moved, DEPTH), ok_());
    check("CNode_Revoke(frame): deletes copy (mapped)", seL4_CNode_Revoke(cn, frame, DEPTH), ok_());
    check("CNode_Copy(copy into spare) after the revoke",
          seL4_CNode_Copy(cn, slot(S_SPARE), DEPTH, cn, copy, DEPTH, seL4_AllRights), missing(1, DEPTH, "depth"));
}

/* Manual 2.4: revoking an untyped cap deletes every object made from it,
 * after which its whole memory can be retyped again. */
static int cleanup_script(seL4_Untyped parent)
{
    seL4_Untyped work = slot(S_WORK);
    seL4_CNode cn = seL4_CapInitThreadCNode;
    int reusable;

    check("CNode_Revoke(work)", seL4_CNode_Revoke(cn, work, DEPTH), ok_());
    reusable = check("Untyped_Retype(work, Untyped, 20, into spare): all of it again",
                     retype(work, seL4_UntypedObject, WORK_BITS, slot(S_SPARE), 1), ok_());
    check("CNode_Revoke(boot untyped)", seL4_CNode_Revoke(cn, parent, DEPTH), ok_());
    reusable &= check("Untyped_Retype(boot untyped, Untyped, 20, into work) again",
                      retype(parent, seL4_UntypedObject, WORK_BITS, work, 1), ok_());
    check("CNode_Revoke(boot untyped)", seL4_CNode_Revoke(cn, parent, DEPTH), ok_());
    return reusable;
}

int roottask_main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    seL4_Untyped parent = seL4_CapNull;
    seL4_Word parent_paddr = 0;
    int reusable;

    printf("roottask " ARCH_NAME ": libsel4 script\n");
    if (bi == NULL) {
        printf("no bootinfo\n");
        return 1;
    }
    for (seL4_SlotPos s = bi->untyped.start; s < bi->untyped.end && parent == seL4_CapNull; s++) {
        const seL4_UntypedDesc *d = &bi->untypedList[s - bi->untyped.start];
        if (!d->isDevice && d->sizeBits >= WORK_BITS) {
            parent = s;
            parent_paddr = d->paddr;
        }
    }
    if (parent == seL4_CapNull || bi->empty.end - bi->empty.start < S_COUNT) {
        printf("no untyped of 2^%d bytes or too few empty slots\n", WORK_BITS);
        return 1;
    }
    slot_base = bi->empty.start;

    untyped_script(parent, (seL4_Word)1 << bi->initThreadCNodeSizeBits);
    vspace_script(slot(S_WORK), parent_paddr);
    cnode_script();
    reusable = cleanup_script(parent);

    printf("untyped memory reusable: %s\n", reusable ? "yes" : "NO");
    printf("%d calls, %d mismatches\n", calls, mismatches);
    return mismatches != 0;
}

#ifndef ROOTTASK_HOST_LAUNCHER
/* On seL4, sel4runtime calls main; on the host, host_launcher.c boots the
 * simulator and calls roottask_main. */
int main(void)
{
    return roottask_main();
}
#endif
