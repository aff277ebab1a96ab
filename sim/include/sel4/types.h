/* Basic libsel4 types as the simulator provides them. One host build serves
 * all six architectures, so seL4_Word is always the host's 64-bit word as a
 * C type; on a 32-bit simulated architecture only the low 32 bits are ever
 * significant, and seL4_WordBits (below) is 32 there: the kernel's values
 * (CPtr resolution, lookup-failure bits) are the 32-bit kernel's. */
#ifndef SEL4SIM_SEL4_TYPES_H
#define SEL4SIM_SEL4_TYPES_H

/* From the compiler's own type macros, not <stdint.h>: like libsel4's,
 * these headers bring no libc header with them. */
typedef __UINT8_TYPE__ seL4_Uint8;
typedef __UINT16_TYPE__ seL4_Uint16;
typedef __UINT32_TYPE__ seL4_Uint32;
typedef __UINT64_TYPE__ seL4_Uint64;
typedef __INT8_TYPE__ seL4_Int8;
typedef __INT64_TYPE__ seL4_Int64;
typedef seL4_Uint8 seL4_Bool;

typedef seL4_Uint64 seL4_Word;
typedef seL4_Word seL4_CPtr;
typedef seL4_Word seL4_NodeId;
typedef seL4_Word seL4_Domain;
typedef seL4_Word seL4_SlotPos;

/* Capability types: plain CPtrs, as in libsel4. */
typedef seL4_CPtr seL4_CNode;
typedef seL4_CPtr seL4_IRQHandler;
typedef seL4_CPtr seL4_IRQControl;
typedef seL4_CPtr seL4_TCB;
typedef seL4_CPtr seL4_Untyped;
typedef seL4_CPtr seL4_DomainSet;
typedef seL4_CPtr seL4_X86_Page;
typedef seL4_CPtr seL4_X86_PageTable;
typedef seL4_CPtr seL4_X86_PageDirectory;
typedef seL4_CPtr seL4_X86_PDPT;
typedef seL4_CPtr seL4_X64_PML4;
typedef seL4_CPtr seL4_X86_ASIDControl;
typedef seL4_CPtr seL4_X86_ASIDPool;
typedef seL4_CPtr seL4_X86_IOPortControl;
typedef seL4_CPtr seL4_ARM_Page;
typedef seL4_CPtr seL4_ARM_PageTable;
typedef seL4_CPtr seL4_ARM_PageDirectory;
typedef seL4_CPtr seL4_ARM_VSpace;
typedef seL4_CPtr seL4_ARM_ASIDControl;
typedef seL4_CPtr seL4_ARM_ASIDPool;
typedef seL4_CPtr seL4_RISCV_Page;
typedef seL4_CPtr seL4_RISCV_PageTable;
typedef seL4_CPtr seL4_RISCV_ASIDControl;
typedef seL4_CPtr seL4_RISCV_ASIDPool;

/* The booted architecture's word width: 32 on ia32, aarch32 and riscv32,
 * 64 on the others (64 before boot). CPtrs resolve with this many bits.
 * A query, not a constant: not usable in #if or static initialisers. */
seL4_Uint8 sel4sim_word_bits(void);
#define seL4_WordBits (sel4sim_word_bits())
#define seL4_PageBits 12
#define seL4_MinUntypedBits 4
#define seL4_ASIDPoolBits 12
#define seL4_MsgMaxLength 120
#define seL4_MsgMaxExtraCaps 3
#define CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS 230
#define CONFIG_RETYPE_FAN_OUT_LIMIT 256

typedef enum {
    seL4_NoError = 0,
    seL4_InvalidArgument,
    seL4_InvalidCapability,
    seL4_IllegalOperation,
    seL4_RangeError,
    seL4_AlignmentError,
    seL4_FailedLookup,
    seL4_TruncatedMessage,
    seL4_DeleteFirst,
    seL4_RevokeFirst,
    seL4_NotEnoughMemory,
    seL4_NumErrors
} seL4_Error;

/* Lookup failure kinds, as reported in MR1 after seL4_FailedLookup. */
typedef enum {
    seL4_NoFailure = 0,
    seL4_InvalidRoot,
    seL4_MissingCapability,
    seL4_DepthMismatch,
    seL4_GuardMismatch
} seL4_LookupFailureType;

/* Capability rights: bit 0 write, 1 read, 2 grant, 3 grant-reply. */
typedef struct seL4_CapRights {
    seL4_Word words[1];
} seL4_CapRights_t;

seL4_CapRights_t seL4_CapRights_new(seL4_Word grant_reply, seL4_Word grant, seL4_Word read, seL4_Word write);
seL4_Word seL4_CapRights_get_capAllowWrite(seL4_CapRights_t r);
seL4_Word seL4_CapRights_get_capAllowRead(seL4_CapRights_t r);
seL4_Word seL4_CapRights_get_capAllowGrant(seL4_CapRights_t r);
seL4_Word seL4_CapRights_get_capAllowGrantReply(seL4_CapRights_t r);

#define seL4_NoRights seL4_CapRights_new(0, 0, 0, 0)
#define seL4_ReadWrite seL4_CapRights_new(0, 0, 1, 1)
#define seL4_AllRights seL4_CapRights_new(1, 1, 1, 1)
#define seL4_CanRead seL4_CapRights_new(0, 0, 1, 0)
#define seL4_CanWrite seL4_CapRights_new(0, 0, 0, 1)
#define seL4_CanGrant seL4_CapRights_new(0, 1, 0, 0)
#define seL4_CanGrantReply seL4_CapRights_new(1, 0, 0, 0)
#define seL4_NoWrite seL4_CapRights_new(1, 1, 1, 0)
#define seL4_NoRead seL4_CapRights_new(1, 1, 0, 1)

/* CNode cap data (64-bit layout): guard size in bits 0..5, guard above. */
typedef struct seL4_CNode_CapData {
    seL4_Word words[1];
} seL4_CNode_CapData_t;

seL4_CNode_CapData_t seL4_CNode_CapData_new(seL4_Word guard, seL4_Word guard_size);

typedef struct seL4_MessageInfo {
    seL4_Word words[1];
} seL4_MessageInfo_t;

seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Word label, seL4_Word caps_unwrapped, seL4_Word extra_caps,
                                        seL4_Word length);
seL4_Word seL4_MessageInfo_get_label(seL4_MessageInfo_t info);
seL4_Word seL4_MessageInfo_get_length(seL4_MessageInfo_t info);

typedef struct seL4_IPCBuffer_ {
    seL4_MessageInfo_t tag;
    seL4_Word msg[seL4_MsgMaxLength];
    seL4_Word userData;
    seL4_Word caps_or_badges[seL4_MsgMaxExtraCaps];
    seL4_CPtr receiveCNode;
    seL4_CPtr receiveIndex;
    seL4_Word receiveDepth;
} seL4_IPCBuffer;

/* VM attributes. Values follow libsel4 for each family. */
typedef enum {
    seL4_X86_WriteBack = 0,
    seL4_X86_WriteThrough = 1,
    seL4_X86_CacheDisabled = 2,
    seL4_X86_Uncacheable = 3,
    seL4_X86_WriteCombining = 4,
    seL4_X86_Default_VMAttributes = 0
} seL4_X86_VMAttributes;

typedef enum {
    seL4_ARM_Uncacheable = 0,
    seL4_ARM_PageCacheable = 1,
    seL4_ARM_ParityEnabled = 2,
    seL4_ARM_Default_VMAttributes = 3,
    seL4_ARM_ExecuteNever = 4
} seL4_ARM_VMAttributes;

typedef enum { seL4_RISCV_Default_VMAttributes = 0, seL4_RISCV_ExecuteNever = 1 } seL4_RISCV_VMAttributes;

/* Object types. libsel4 numbers each architecture's types from
 * seL4_NonArchObjectTypeCount; one host build needs every name at once, so
 * they get distinct values here. A type that does not belong to the booted
 * architecture is refused by Retype as an unknown type would be. */
typedef enum {
    seL4_UntypedObject = 0,
    seL4_TCBObject,
    seL4_EndpointObject,
    seL4_NotificationObject,
    seL4_CapTableObject,
    seL4_NonArchObjectTypeCount,
    seL4_X86_4K = seL4_NonArchObjectTypeCount,
    seL4_X86_LargePageObject,
    seL4_X86_PageTableObject,
    seL4_X86_PageDirectoryObject,
    seL4_X86_PDPTObject,
    seL4_X64_PML4Object,
    seL4_X64_HugePageObject,
    seL4_ARM_SmallPageObject,
    seL4_ARM_LargePageObject,
    seL4_ARM_SectionObject,
    seL4_ARM_SuperSectionObject,
    seL4_ARM_HugePageObject,
    seL4_ARM_PageTableObject,
    seL4_ARM_PageDirectoryObject,
    seL4_ARM_VSpaceObject,
    seL4_RISCV_4K_Page,
    seL4_RISCV_Mega_Page,
    seL4_RISCV_Giga_Page,
    seL4_RISCV_PageTableObject,
    seL4_ObjectTypeCount
} seL4_ObjectType;

typedef seL4_Word api_object_t;

/* Register set for seL4_TCB_WriteRegisters: the union of every
 * architecture's libsel4 field names (x86_64, ia32, aarch64, aarch32,
 * RISC-V). Only the booted architecture's fields mean anything. */
typedef struct seL4_UserContext_ {
    seL4_Word pc, sp; /* aarch64, aarch32, RISC-V */
    seL4_Word rip, rsp, rflags, rax, rbx, rcx, rdx, rsi, rdi, rbp;
    seL4_Word r8, r9, r10, r11, r12, r13, r14, r15;
    seL4_Word fs_base, gs_base;
    seL4_Word eip, esp, eflags, eax, ebx, ecx, edx, esi, edi, ebp;
    seL4_Word spsr, x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15, x16, x17, x18, x19, x20, x21,
        x22, x23, x24, x25, x26, x27, x28, x29, x30, tpidr_el0, tpidrro_el0;
    seL4_Word cpsr, r0, r1, r2, r3, r4, r5, r6, r7, tpidrurw, tpidruro;
    seL4_Word ra, gp, tp, t0, t1, t2, t3, t4, t5, t6, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, a0, a1, a2, a3,
        a4, a5, a6, a7;
} seL4_UserContext;

#endif
