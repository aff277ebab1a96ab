/* Booting a machine: the initial thread's objects and caps in the slots the
 * Reference Manual gives ("System Bootstrapping"), its vspace with the boot
 * info and IPC buffer frames mapped, and the rest of RAM handed out as
 * power-of-two aligned untypeds, as the real kernel does. */
#include <string.h>

#include "internal.h"

#define MIN_RAM ((uint64_t)1 << 20)
#define MAX_RAM ((uint64_t)1 << 34)
/* Where boot maps the initial thread's frames, in the order seL4 does (after
 * the image, which the simulator has none of): the IPC buffer, the bootinfo
 * frame, then the extra boot info. Valid on every architecture; one
 * last-level table covers them all. */
#define BOOT_FRAMES_VADDR 0x10000000u
/* Bytes of extra boot info: like seL4, the kernel maps the next power of two
 * of pages at least that large (here 3 pages' worth, so 4 pages), and
 * bi->extraBIPages holds a cap to each. */
#define EXTRA_BI_LEN (2 * 4096 + 2 * sizeof(seL4_BootInfoHeader))
#define EXTRA_BI_PAGES 4
#define FIRST_FREE_SLOT seL4_NumInitialCaps

typedef struct boot_state {
    seL4_Word cursor;    /* next free physical byte */
    seL4_Word next_slot; /* next free root CNode slot */
} boot_state;

static seL4_Word boot_alloc(boot_state *b, unsigned bits)
{
    seL4_Word at = (b->cursor + sim_mask(bits)) & ~sim_mask(bits);
    b->cursor = at + ((seL4_Word)1 << bits);
    return at;
}

static const sim_objtype *type_with(sim_kind kind, int index)
{
    for (unsigned i = 0; i < sim.sa->ntypes; i++) {
        const sim_objtype *t = &sim.sa->types[i];
        if (t->kind == kind && (t->index == index || t->index == -1)) {
            return t;
        }
    }
    return NULL;
}

/* A boot object with its cap in root CNode slot `slot` (no MDB parent). */
static sim_obj *boot_obj(boot_state *b, sim_kind kind, seL4_Word type, unsigned bits, unsigned radix, seL4_Word slot)
{
    sim_obj *o = sim_obj_new(kind, type, boot_alloc(b, bits), bits, radix);
    if (o != NULL && sim.root_cnode != NULL) {
        sim_cap cap = sim_cap_new(o);
        sim_slot_insert(&sim.root_cnode->slots[slot], &cap, NULL);
    }
    return o;
}

static void control_cap(sim_kind kind, seL4_Word slot)
{
    sim_slot_insert(&sim.root_cnode->slots[slot], &(sim_cap){.kind = kind, .rights = R_ALL}, NULL);
}

/* Root CNode with a guard that makes CPtrs resolve at seL4_WordBits depth,
 * and the initial TCB whose CSpace it is. */
static bool boot_cspace(boot_state *b)
{
    unsigned bits = ROOT_CNODE_BITS + sim.sa->slot_bits;
    sim.root_cnode = NULL;
    sim_obj *cn = sim_obj_new(K_CNODE, seL4_CapTableObject, boot_alloc(b, bits), bits, ROOT_CNODE_BITS);
    if (cn == NULL) {
        return false;
    }
    sim.root_cnode = cn;
    sim_cap cap = sim_cap_new(cn);
    cap.guard_size = seL4_WordBits - ROOT_CNODE_BITS;
    sim_slot_insert(&cn->slots[seL4_CapInitThreadCNode], &cap, NULL);
    sim.init_tcb = boot_obj(b, K_TCB, seL4_TCBObject, sim.sa->tcb_bits, 0, seL4_CapInitThreadTCB);
    if (sim.init_tcb == NULL) {
        return false;
    }
    sim_slot_insert(&sim.init_tcb->slots[TCB_SLOT_CSPACE], &cap, &cn->slots[seL4_CapInitThreadCNode]);
    return true;
}

/* The initial vspace root and ASID pool 0, and the controller caps. */
static bool boot_vspace_root(boot_state *b)
{
    const sim_objtype *rt = type_with(K_ROOT, 0);
    if (rt == NULL) {
        rt = type_with(K_TABLE, -1); /* RISC-V: a page table serves as root */
    }
    if (boot_obj(b, rt->kind, rt->type, rt->size_bits, 0, seL4_CapInitThreadVSpace) == NULL) {
        return false;
    }
    sim_obj *pool = boot_obj(b, K_ASID_POOL, seL4_UntypedObject, seL4_ASIDPoolBits, 0, seL4_CapInitThreadASIDPool);
    if (pool == NULL) {
        return false;
    }
    sim.asid_table[0] = pool;
    control_cap(K_IRQ_CONTROL, seL4_CapIRQControl);
    control_cap(K_ASID_CONTROL, seL4_CapASIDControl);
    control_cap(K_DOMAIN, seL4_CapDomain);
    if (sim.sa->family == FAM_X86) {
        control_cap(K_IO_PORT_CONTROL, seL4_CapIOPortControl);
    }
    return sim_asid_assign(sim.sa->family, seL4_CapInitThreadASIDPool, seL4_CapInitThreadVSpace) == seL4_NoError;
}

/* Paging structures for the boot frames, one per level below the root,
 * listed in bootinfo.userImagePaging. */
static bool boot_tables(boot_state *b)
{
    sim.bootinfo.userImagePaging.start = b->next_slot;
    for (int level = 1; level < sim.arch->num_levels; level++) {
        const sim_objtype *t = type_with(K_TABLE, level);
        seL4_Word slot = b->next_slot++;
        if (boot_obj(b, K_TABLE, t->type, t->size_bits, 0, slot) == NULL ||
            sim_table_map(sim.sa->family, t->type, slot, seL4_CapInitThreadVSpace, BOOT_FRAMES_VADDR) != seL4_NoError) {
            return false;
        }
    }
    sim.bootinfo.userImagePaging.end = b->next_slot;
    return true;
}

static seL4_Word default_attr(void)
{
    return sim.sa->family == FAM_ARM ? seL4_ARM_Default_VMAttributes : 0;
}

static bool boot_frame(boot_state *b, seL4_Word slot, seL4_Word vaddr)
{
    const sim_objtype *t = type_with(K_FRAME, 0);
    return boot_obj(b, K_FRAME, t->type, t->size_bits, 0, slot) != NULL &&
           sim_frame_map(sim.sa->family, slot, seL4_CapInitThreadVSpace, vaddr, seL4_ReadWrite, default_attr()) ==
               seL4_NoError;
}

/* Extra boot info frames in slots bi->extraBIPages, mapped after the
 * bootinfo frame; one padding chunk covers all extraLen bytes. */
static bool boot_extra_bi(boot_state *b)
{
    seL4_BootInfo *bi = &sim.bootinfo;
    bi->extraBIPages.start = b->next_slot;
    for (unsigned i = 0; i < EXTRA_BI_PAGES; i++) {
        seL4_Word vaddr = sim.bootinfo_vaddr + ((seL4_Word)(i + 1) << seL4_PageBits);
        if (!boot_frame(b, b->next_slot, vaddr)) {
            return false;
        }
        b->next_slot++;
    }
    bi->extraBIPages.end = b->next_slot;
    bi->extraLen = EXTRA_BI_LEN;
    seL4_BootInfoHeader h = {SEL4_BOOTINFO_HEADER_PADDING, EXTRA_BI_LEN};
    sel4sim_phys_write(sim.root_cnode->slots[bi->extraBIPages.start].cap.obj->paddr, &h, sizeof(h));
    return true;
}

/* The initial TCB holds copies of its vspace and IPC buffer caps. */
static void boot_thread(void)
{
    sim_slot *rs = sim.root_cnode->slots;
    sim_cap buf = rs[seL4_CapInitThreadIPCBuffer].cap;
    buf.mapped = false;
    buf.mapped_asid = buf.mapped_vaddr = 0;
    sim_slot_insert(&sim.init_tcb->slots[TCB_SLOT_VSPACE], &rs[seL4_CapInitThreadVSpace].cap,
                    &rs[seL4_CapInitThreadVSpace]);
    sim_slot_insert(&sim.init_tcb->slots[TCB_SLOT_BUFFER], &buf, &rs[seL4_CapInitThreadIPCBuffer]);
    sim.init_tcb->tcb->ipc_buffer = sim.ipc_vaddr;
}

/* Largest aligned power-of-two block at `at` that fits before `end`. */
static unsigned untyped_bits(seL4_Word at, seL4_Word end)
{
    unsigned bits = sim.sa->max_untyped_bits;
    while (bits > seL4_MinUntypedBits && ((at & sim_mask(bits)) || end - at < ((seL4_Word)1 << bits))) {
        bits--;
    }
    return bits;
}

static bool boot_untypeds(boot_state *b)
{
    seL4_Word at = (b->cursor + sim_mask(seL4_MinUntypedBits)) & ~sim_mask(seL4_MinUntypedBits);
    seL4_Word end = sim.ram_base + sim.ram_bytes;
    seL4_BootInfo *bi = &sim.bootinfo;
    bi->untyped.start = b->next_slot;
    while (end - at >= ((seL4_Word)1 << seL4_MinUntypedBits) &&
           b->next_slot - bi->untyped.start < CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS) {
        unsigned bits = untyped_bits(at, end);
        b->cursor = at;
        if (boot_obj(b, K_UNTYPED, seL4_UntypedObject, bits, 0, b->next_slot) == NULL) {
            return false;
        }
        bi->untypedList[b->next_slot - bi->untyped.start] =
            (seL4_UntypedDesc){.paddr = at, .sizeBits = (seL4_Uint8)bits, .isDevice = 0};
        b->next_slot++;
        at += (seL4_Word)1 << bits;
    }
    bi->untyped.end = b->next_slot;
    return true;
}

static void boot_info(const boot_state *b)
{
    seL4_BootInfo *bi = &sim.bootinfo;
    bi->nodeID = 0;
    bi->numNodes = 1;
    bi->initThreadCNodeSizeBits = ROOT_CNODE_BITS;
    bi->userImageFrames.start = bi->userImageFrames.end = bi->userImagePaging.start;
    bi->empty.start = b->next_slot;
    bi->empty.end = (seL4_Word)1 << ROOT_CNODE_BITS;
    sim_ipc_reset();
    bi->ipcBuffer = seL4_GetIPCBuffer();
    /* The frame holds the same bytes, in the host's (64-bit) layout. */
    seL4_Word paddr = sim.root_cnode->slots[seL4_CapBootInfoFrame].cap.obj->paddr;
    sel4sim_phys_write(paddr, bi, sizeof(*bi));
}

static bool boot_all(void)
{
    boot_state b = {.cursor = sim.ram_base, .next_slot = FIRST_FREE_SLOT};
    sim.ipc_vaddr = BOOT_FRAMES_VADDR;
    sim.bootinfo_vaddr = BOOT_FRAMES_VADDR + ((seL4_Word)1 << seL4_PageBits);
    bool ok = boot_cspace(&b) && boot_vspace_root(&b) && boot_tables(&b) &&
              boot_frame(&b, seL4_CapBootInfoFrame, sim.bootinfo_vaddr) &&
              boot_frame(&b, seL4_CapInitThreadIPCBuffer, sim.ipc_vaddr) && boot_extra_bi(&b);
    if (ok) {
        boot_thread();
        ok = boot_untypeds(&b);
    }
    if (ok) {
        boot_info(&b);
    }
    return ok;
}

seL4_BootInfo *sel4sim_boot(vs_arch_id arch, uint64_t phys_mem_bytes)
{
    const vs_arch *a = vs_arch_get(arch);
    const sim_arch *sa = sim_arch_data(arch);
    uint64_t bytes = phys_mem_bytes & ~(uint64_t)0xfff;
    sel4sim_shutdown();
    if (a == NULL || sa == NULL || bytes < MIN_RAM || bytes > MAX_RAM ||
        (a->word_bits == 32 && sa->ram_base + bytes > ((uint64_t)1 << 32))) {
        return NULL;
    }
    sim.arch = a;
    sim.sa = sa;
    sim.booted = sim_phys_init(sa->ram_base, bytes);
    if (!sim.booted || !boot_all()) {
        sel4sim_shutdown();
        return NULL;
    }
    return &sim.bootinfo;
}

void sel4sim_shutdown(void)
{
    sim_free_all();
    sim_phys_fini();
    memset(&sim, 0, sizeof(sim));
    sim_ipc_reset();
}

vs_arch_id sel4sim_arch(void)
{
    return sim.sa != NULL ? sim.sa->id : VS_ARCH_COUNT;
}

seL4_Word sel4sim_user_top(void)
{
    return sim.arch != NULL ? sim.arch->user_top : 0;
}

seL4_Word sel4sim_phys_base(void)
{
    return sim.ram_base;
}

uint64_t sel4sim_phys_size(void)
{
    return sim.ram_bytes;
}

seL4_Word sel4sim_ipc_buffer_vaddr(void)
{
    return sim.ipc_vaddr;
}

seL4_Word sel4sim_bootinfo_vaddr(void)
{
    return sim.bootinfo_vaddr;
}

seL4_Error sel4sim_cap_paddr(seL4_CPtr cptr, seL4_Word *paddr)
{
    sim_slot *s = sim_lookup_slot(cptr);
    if (s == NULL || s->cap.obj == NULL) {
        return seL4_InvalidCapability;
    }
    *paddr = s->cap.obj->paddr;
    return seL4_NoError;
}
