/* The simulator's private model: machine state, objects, caps, and the
 * helpers the invocation files share. Nothing here is visible to users of
 * <sel4/sel4.h>. */
#ifndef SEL4SIM_INTERNAL_H
#define SEL4SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sel4/sel4.h>
#include <sel4sim/sim.h>
#include <vs/arch.h>

typedef enum sim_family { FAM_X86, FAM_ARM, FAM_RISCV } sim_family;

/* Kinds of objects, and of the caps that name them (controller caps name
 * no object). */
typedef enum sim_kind {
    K_NULL,
    K_UNTYPED,
    K_TCB,
    K_ENDPOINT,
    K_NOTIFICATION,
    K_CNODE,
    K_FRAME,
    K_TABLE, /* a non-root paging structure (on RISC-V, also a root once assigned) */
    K_ROOT,  /* a vspace root type: PML4, ia32/aarch32 PD, aarch64 VSpace */
    K_ASID_POOL,
    K_ASID_CONTROL,
    K_IRQ_CONTROL,
    K_IO_PORT_CONTROL,
    K_DOMAIN
} sim_kind;

/* Cap rights bits, as seL4_CapRights_t stores them. */
enum { R_WRITE = 1, R_READ = 2, R_GRANT = 4, R_GRANT_REPLY = 8, R_ALL = 15 };

/* The rights a frame mapping gets: seL4's vm_rights_t. */
typedef enum sim_vm_rights { VM_KERNEL_ONLY, VM_READ_ONLY, VM_READ_WRITE } sim_vm_rights;

enum { TCB_SLOT_CSPACE, TCB_SLOT_VSPACE, TCB_SLOT_BUFFER, TCB_SLOTS };
enum { ROOT_CNODE_BITS = 12, MAX_ASID_POOLS = 128 };

typedef struct sim_obj sim_obj;
typedef struct sim_slot sim_slot;

typedef struct sim_cap {
    sim_kind kind;
    sim_obj *obj;
    uint8_t rights; /* R_* */
    seL4_Word badge;
    uint8_t guard_size; /* CNode caps */
    seL4_Word guard;
    seL4_Word free_index; /* untyped caps: bytes used from the start */
    bool mapped;          /* frames, tables, roots: has a mapping / an ASID */
    seL4_Word mapped_asid;
    seL4_Word mapped_vaddr;
} sim_cap;

struct sim_slot {
    sim_cap cap;
    sim_slot *parent; /* derivation-tree parent; NULL for boot caps */
    sim_obj *owner;   /* the CNode or TCB that holds the slot */
    /* The children of this slot, a doubly linked list through their
     * sibling links (mdb.c keeps it equal to "slots whose parent is this"). */
    sim_slot *first_child, *next_sibling, *prev_sibling;
};

typedef struct sim_tcb {
    seL4_UserContext regs;
    seL4_Word fault_ep; /* the CPtr Configure / SetSpace was given, kept as seL4 keeps it */
    seL4_Word regs_written;
    seL4_Word ipc_buffer;
    bool resumed;
} sim_tcb;

typedef struct sim_objtype sim_objtype;

struct sim_obj {
    sim_kind kind;
    seL4_Word type;           /* the seL4 object type it was made as */
    const sim_objtype *otype; /* the booted architecture's entry for type (NULL: not an arch type) */
    seL4_Word paddr;
    uint8_t size_bits;
    bool dying;     /* finalisation started; host memory freed at the end of the call */
    unsigned ncaps; /* caps naming it; the last one's deletion destroys it */
    sim_obj *next, *prev;
    sim_slot *slots; /* CNode: 1 << radix; TCB: TCB_SLOTS */
    size_t nslots;
    uint8_t radix;
    int level;           /* paging structures: level in the tree, -1 if not yet placed */
    seL4_Word asid_base; /* ASID pools */
    sim_obj **pool;      /* ASID pools: root per low ASID bits */
    bool is_device;      /* untyped */
    sim_tcb *tcb;
};

/* One object type of one architecture. */
struct sim_objtype {
    seL4_Word type;
    sim_kind kind;
    uint8_t size_bits;
    int8_t index; /* frames: page-size index; tables: level (-1: any) */
};

/* A paging entry decoded the way the MMU reads it. */
typedef enum sim_pte_kind { PTE_INVALID, PTE_TABLE, PTE_LEAF } sim_pte_kind;

typedef struct sim_pte {
    sim_pte_kind kind;
    uint64_t addr;                         /* next table, or base of the page */
    uint8_t size_bits;                     /* leaves */
    bool user, read, write, exec;          /* leaves */
    bool deny_user, deny_write, deny_exec; /* tables: limits on everything below */
} sim_pte;

/* An architecture's entry format: how the kernel writes entries and how the
 * MMU reads them. `level` indexes vs_arch.levels. */
typedef struct sim_pte_format {
    uint64_t (*table)(uint64_t paddr, int level);
    uint64_t (*leaf)(uint64_t paddr, int level, unsigned size_bits, sim_vm_rights rights, seL4_Word attr);
    sim_pte (*decode)(uint64_t raw, int level);
} sim_pte_format;

typedef struct sim_arch {
    vs_arch_id id;
    sim_family family;
    const sim_pte_format *pte;
    seL4_Word ram_base;
    uint8_t slot_bits, tcb_bits, endpoint_bits, notification_bits, ipc_buffer_bits;
    uint8_t asid_low_bits, asid_pool_bits;
    uint8_t max_untyped_bits;
    seL4_Word frame_last;    /* highest address a mapped frame may cover */
    seL4_Word table_last;    /* PageTable_Map refuses a vaddr above this ... */
    bool table_round;        /* ... after rounding it down to the table's reach (x86) */
    seL4_Word kernel_window; /* top-level entries from here up map the kernel in every root; 0: none */
    uint8_t va_bits;         /* user addresses the MMU translates: below 2^va_bits */
    bool generic_walk;       /* one table type; walks stop at the first non-table (aarch64, RISC-V) */
    bool refuse_remap;       /* mapping over a valid entry is seL4_DeleteFirst (RISC-V) */
    bool walk_first;         /* Page_Map walks the tables before checking a mapped cap's record (RISC-V) */
    const sim_objtype *types;
    uint8_t ntypes;
} sim_arch;

typedef struct sim_machine {
    bool booted;
    const vs_arch *arch;
    const sim_arch *sa;
    seL4_Word ram_base;
    uint64_t ram_bytes;
    uint8_t *ram;      /* host mapping of all of RAM (phys.c): paddr is at ram + (paddr - ram_base) */
    uint64_t *touched; /* bit per 4 KiB page: ever written since last handed back to the host */
    size_t npages;     /* pages of RAM */
    size_t resident;   /* bits set in touched */
    sim_obj *live;     /* every live object */
    sim_obj *dead;     /* destroyed in this call; freed by sim_collect */
    size_t nlive;
    sim_obj *asid_table[MAX_ASID_POOLS];
    sim_obj *init_tcb;
    sim_obj *root_cnode;
    seL4_BootInfo bootinfo;
    seL4_Word ipc_vaddr, bootinfo_vaddr;
    /* Failure injection (sel4sim_inject_failure); cleared by boot and shutdown. */
    uint64_t inject_at, fallible_calls;
    seL4_Error inject_error;
    bool inject_fired;
} sim_machine;

extern sim_machine sim;

/* seL4_WordBits inside the model: the booted architecture's word width (64
 * before boot), inline because every CPtr lookup needs it. */
static inline unsigned sim_word_bits(void)
{
    return sim.arch != NULL ? sim.arch->word_bits : 64;
}

/* Counts a call that a real kernel may refuse for want of resources or
 * rights and, if it is the one sel4sim_inject_failure armed, fails it
 * before any change with the armed error; else returns seL4_NoError. */
seL4_Error sim_injected(void);

/* ---- archdata.c */
const sim_arch *sim_arch_data(vs_arch_id id);
const sim_objtype *sim_objtype_find(seL4_Word type);

/* ---- pte.c */
extern const sim_pte_format sim_pte_x86_32, sim_pte_x86_64, sim_pte_armv7, sim_pte_armv8, sim_pte_sv32, sim_pte_sv39;

/* ---- util */
/* The low `bits` bits set; inline, as every address computation uses it. */
static inline seL4_Word sim_mask(unsigned bits)
{
    return bits >= 64 ? ~(seL4_Word)0 : ((seL4_Word)1 << bits) - 1;
}
/* seL4's maskVMRights applied to a frame cap's rights: write access needs
 * read access too; write-only is kernel-only. Inline: every Page_Map
 * asks. */
static inline sim_vm_rights sim_vm_rights_of(unsigned rights)
{
    if (!(rights & R_READ)) {
        return VM_KERNEL_ONLY;
    }
    return (rights & R_WRITE) ? VM_READ_WRITE : VM_READ_ONLY;
}

/* ---- phys.c */
bool sim_phys_init(seL4_Word base, uint64_t bytes);
void sim_phys_fini(void);
bool sim_phys_contains(seL4_Word paddr, uint64_t len);
void sim_phys_zero(seL4_Word paddr, uint64_t len);
/* The host address of RAM byte paddr ([paddr, paddr + len) must be RAM);
 * `write`: the caller may write there, so the pages count as touched. */
uint8_t *sim_phys_host(seL4_Word paddr, uint64_t len, bool write);
/* Whether p points into the host mapping of RAM. */
bool sim_phys_is_host(const void *p);
/* Records that the pages of [paddr, paddr + len) may hold non-zero bytes. */
void sim_mark_touched_range(seL4_Word paddr, uint64_t len);
void sim_entry_write(seL4_Word paddr, unsigned bytes, uint64_t value);

enum { SIM_PAGE_BITS = 12 }; /* the granule of sim.touched */

/* The page of RAM byte paddr, and whether it was written (see touched). */
static inline size_t sim_page_of(seL4_Word paddr)
{
    return (size_t)((paddr - sim.ram_base) >> SIM_PAGE_BITS);
}

static inline bool sim_touched(size_t page)
{
    return (sim.touched[page / 64] >> (page % 64)) & 1;
}

/* Entries are naturally aligned 4- or 8-byte words, never across a page;
 * on a little-endian host they are plain loads and stores. A page never
 * written reads as zero without the host allocating it. Inline, as is the
 * last-level write below: a loader's page costs three entry reads and two
 * writes, and the calls were a twentieth of it. */
static inline uint64_t sim_entry_read(seL4_Word paddr, unsigned bytes)
{
    if (!sim_touched(sim_page_of(paddr))) {
        return 0;
    }
    const uint8_t *p = sim.ram + (paddr - sim.ram_base);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bytes == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    if (bytes == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
#endif
    uint64_t v = 0;
    for (unsigned i = bytes; i-- > 0;) {
        v = v << 8 | p[i];
    }
    return v;
}

static inline void sim_entry_store(uint8_t *p, unsigned bytes, uint64_t value)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bytes == 8) {
        memcpy(p, &value, 8);
        return;
    }
    if (bytes == 4) {
        uint32_t v = (uint32_t)value;
        memcpy(p, &v, 4);
        return;
    }
#endif
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(value >> (8 * i));
    }
}

/* sim_entry_write for an entry of a last-level table (the deepest level),
 * which no walk passes through: the walks keep their path (walk.c). */
static inline void sim_leaf_entry_write(seL4_Word paddr, unsigned bytes, uint64_t value)
{
    /* An entry never crosses a page: its first byte's page is the page. */
    if (!sim_touched(sim_page_of(paddr))) {
        sim_mark_touched_range(paddr, bytes);
    }
    sim_entry_store(sim.ram + (paddr - sim.ram_base), bytes, value);
}

/* ---- ipc.c: record an invocation's error in the message registers */
typedef struct sim_fault {
    seL4_LookupFailureType type;
    seL4_Word bits_left, guard_found, bits_found;
} sim_fault;

/* Write the reply: label e, n message registers. */
void sim_reply(seL4_Error e, unsigned n, const seL4_Word *mrs);
/* MR0: 1 if the source lookup failed; MR1: failure type; then its words. */
void sim_reply_lookup(bool source, sim_fault f);
sim_fault sim_fault_missing(seL4_Word bits_left);
sim_fault sim_fault_invalid_root(void);
void sim_ipc_reset(void);

/* Each helper writes the reply and returns its label. They are inline so
 * every caller (and the static analyzer) sees that an error path returns
 * that error, never seL4_NoError, and so never falls through to code that
 * relies on the out-parameters only a successful call sets. */
static inline seL4_Error sim_err(seL4_Error e)
{
    sim_reply(e, 0, NULL);
    return e;
}

static inline seL4_Error sim_err_arg(seL4_Word n)
{
    sim_reply(seL4_InvalidArgument, 1, &n);
    return seL4_InvalidArgument;
}

static inline seL4_Error sim_err_cap(seL4_Word n)
{
    sim_reply(seL4_InvalidCapability, 1, &n);
    return seL4_InvalidCapability;
}

static inline seL4_Error sim_err_range(seL4_Word min, seL4_Word max)
{
    seL4_Word mrs[2] = {min, max};
    sim_reply(seL4_RangeError, 2, mrs);
    return seL4_RangeError;
}

static inline seL4_Error sim_err_memory(seL4_Word bytes_left)
{
    sim_reply(seL4_NotEnoughMemory, 1, &bytes_left);
    return seL4_NotEnoughMemory;
}

static inline seL4_Error sim_err_lookup(bool source, sim_fault f)
{
    sim_reply_lookup(source, f);
    return seL4_FailedLookup;
}

static inline seL4_Error sim_ok(seL4_Word mr0, unsigned len)
{
    sim_reply(seL4_NoError, len, &mr0);
    return seL4_NoError;
}

/* ---- objects.c */
sim_obj *sim_obj_new(sim_kind kind, seL4_Word type, seL4_Word paddr, unsigned size_bits, unsigned radix);
void sim_obj_destroy(sim_obj *o, const sim_cap *last);
void sim_collect(void);
void sim_free_all(void);
sim_cap sim_cap_new(sim_obj *o);
sim_kind sim_kind_of_type(seL4_Word type);

/* ---- mdb.c: the derivation tree */
void sim_slot_insert(sim_slot *dest, const sim_cap *cap, sim_slot *parent);
void sim_slot_move(sim_slot *src, sim_slot *dest);
void sim_slot_delete(sim_slot *slot);
void sim_slot_revoke(sim_slot *slot);
bool sim_slot_has_children(const sim_slot *slot);

/* ---- cspace.c */
sim_slot *sim_resolve(const sim_cap *node, seL4_Word cptr, unsigned nbits, seL4_Word *bits_remaining, sim_fault *fault);
sim_slot *sim_lookup_slot(seL4_CPtr cptr);
seL4_Error sim_lookup_op_slot(const sim_cap *root, seL4_Word index, seL4_Word depth, bool source, sim_slot **out);
seL4_Error sim_invoked(seL4_CPtr cptr, sim_slot **out);
sim_cap sim_extra_cap(seL4_CPtr cptr, sim_slot **slot);
const sim_cap *sim_extra_cap_ref(seL4_CPtr cptr);

/* ---- asid.c */
sim_obj *sim_asid_find(seL4_Word asid);
void sim_asid_delete(seL4_Word asid, const sim_obj *root);
void sim_asid_pool_delete(const sim_obj *pool);
seL4_Error sim_asid_assign(sim_family fam, seL4_CPtr pool, seL4_CPtr vspace);
seL4_Error sim_asid_make_pool(sim_family fam, seL4_CPtr control, seL4_CPtr untyped, seL4_CPtr root, seL4_Word index,
                              seL4_Word depth);

/* ---- walk.c: the kernel's view of its own page tables */
typedef struct sim_walk {
    int level;      /* level of the entry the walk stopped at */
    seL4_Word slot; /* physical address of that entry */
    sim_pte pte;    /* its contents */
} sim_walk;

void sim_walk_to(seL4_Word root_paddr, seL4_Word vaddr, int target, sim_walk *w);
/* Drops the remembered path to the last table walked: phys.c calls it on
 * every write to RAM that may change a paging structure. */
void sim_walk_forget(void);
seL4_Word sim_entry_addr(seL4_Word table, int level, seL4_Word vaddr);
/* The raw difference between the entries that map a leaf of size_bits at
 * addr and at addr + 2^size_bits with the same rights and attributes:
 * every modelled format keeps a leaf's address in one field of the entry,
 * at its own bit position (x86, Arm) or shifted (RISC-V's PPN), so only
 * that field differs. The rights and attributes chosen do not matter. */
uint64_t sim_next_leaf_delta(uint64_t addr, int level, unsigned size_bits);
/* Writes value to the count entries from slot, of a table of `level`
 * (a last-level table's through sim_leaf_entry_write). Inline: every map
 * and unmap of a page writes one. */
static inline void sim_entries_write(seL4_Word slot, int level, unsigned count, uint64_t value)
{
    unsigned bytes = sim.arch->levels[level].entry_bytes;
    bool last = level == sim.arch->num_levels - 1;
    for (unsigned i = 0; i < count; i++) {
        if (last) {
            sim_leaf_entry_write(slot + (seL4_Word)i * bytes, bytes, value);
        } else {
            sim_entry_write(slot + (seL4_Word)i * bytes, bytes, value);
        }
    }
}
void sim_unmap_page(const sim_cap *frame);
void sim_unmap_table(const sim_cap *table);

/* ---- vspace.c: invocations on frames and tables */
seL4_Error sim_frame_map(sim_family fam, seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t rights,
                         seL4_Word attr);
seL4_Error sim_frame_unmap(sim_family fam, seL4_CPtr frame);
seL4_Error sim_frame_address(sim_family fam, seL4_CPtr frame, seL4_Word *paddr);
seL4_Error sim_table_map(sim_family fam, seL4_Word type, seL4_CPtr table, seL4_CPtr vspace, seL4_Word vaddr);
seL4_Error sim_table_unmap(sim_family fam, seL4_Word type, seL4_CPtr table);
sim_obj *sim_valid_root(const sim_cap *cap);
/* Writes the kernel window's entries into a new root's top-level table. */
void sim_root_init(const sim_obj *root);

#endif
