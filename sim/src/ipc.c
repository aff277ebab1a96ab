/* The IPC buffer and how the kernel reports errors in it (seL4 Reference
 * Manual, "Error Codes" in the API chapter: the reply's label is the error
 * and the message registers carry its details). */
#include "internal.h"

#include <sel4/sel4_arch/mapping.h>

static seL4_IPCBuffer sim_ipc_storage;
static seL4_IPCBuffer *ipc_current = &sim_ipc_storage;

seL4_IPCBuffer *seL4_GetIPCBuffer(void)
{
    return ipc_current;
}

void seL4_SetIPCBuffer(seL4_IPCBuffer *ipc_buffer)
{
    ipc_current = ipc_buffer != NULL ? ipc_buffer : &sim_ipc_storage;
}

seL4_Word seL4_GetMR(int i)
{
    return ipc_current->msg[i];
}

void seL4_SetMR(int i, seL4_Word mr)
{
    ipc_current->msg[i] = mr;
}

void sim_ipc_reset(void)
{
    sim_ipc_storage = (seL4_IPCBuffer){0};
    ipc_current = &sim_ipc_storage;
}

/* The reply to the caller: label e, n message registers. */
void sim_reply(seL4_Error e, unsigned n, const seL4_Word *mrs)
{
    for (unsigned i = 0; i < n; i++) {
        ipc_current->msg[i] = mrs[i];
    }
    ipc_current->tag = seL4_MessageInfo_new((seL4_Word)e, 0, 0, n);
}

void sim_reply_lookup(bool source, sim_fault f)
{
    seL4_Word mrs[5] = {source, f.type, f.bits_left, 0, 0};
    unsigned n = 2;
    if (f.type == seL4_MissingCapability) {
        n = 3;
    } else if (f.type == seL4_DepthMismatch) {
        mrs[3] = f.bits_found;
        n = 4;
    } else if (f.type == seL4_GuardMismatch) {
        mrs[3] = f.guard_found;
        mrs[4] = f.bits_found;
        n = 5;
    }
    sim_reply(seL4_FailedLookup, n, mrs);
}

sim_fault sim_fault_missing(seL4_Word bits_left)
{
    return (sim_fault){.type = seL4_MissingCapability, .bits_left = bits_left};
}

sim_fault sim_fault_invalid_root(void)
{
    return (sim_fault){.type = seL4_InvalidRoot};
}

seL4_Word seL4_MappingFailedLookupLevel(void)
{
    return seL4_GetMR(SEL4_MAPPING_LOOKUP_LEVEL);
}

/* ---- bitfield helpers of libsel4 */
seL4_CapRights_t seL4_CapRights_new(seL4_Word grant_reply, seL4_Word grant, seL4_Word read, seL4_Word write)
{
    seL4_CapRights_t r = {{(grant_reply & 1) << 3 | (grant & 1) << 2 | (read & 1) << 1 | (write & 1)}};
    return r;
}

seL4_Word seL4_CapRights_get_capAllowWrite(seL4_CapRights_t r)
{
    return r.words[0] & 1;
}

seL4_Word seL4_CapRights_get_capAllowRead(seL4_CapRights_t r)
{
    return (r.words[0] >> 1) & 1;
}

seL4_Word seL4_CapRights_get_capAllowGrant(seL4_CapRights_t r)
{
    return (r.words[0] >> 2) & 1;
}

seL4_Word seL4_CapRights_get_capAllowGrantReply(seL4_CapRights_t r)
{
    return (r.words[0] >> 3) & 1;
}

seL4_CNode_CapData_t seL4_CNode_CapData_new(seL4_Word guard, seL4_Word guard_size)
{
    seL4_CNode_CapData_t d = {{(guard << 6) | (guard_size & 0x3f)}};
    return d;
}

/* 64-bit layout: label 52 bits, capsUnwrapped 3, extraCaps 2, length 7. */
seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Word label, seL4_Word caps_unwrapped, seL4_Word extra_caps,
                                        seL4_Word length)
{
    seL4_MessageInfo_t m = {{label << 12 | (caps_unwrapped & 7) << 9 | (extra_caps & 3) << 7 | (length & 0x7f)}};
    return m;
}

seL4_Word seL4_MessageInfo_get_label(seL4_MessageInfo_t info)
{
    return info.words[0] >> 12;
}

seL4_Word seL4_MessageInfo_get_length(seL4_MessageInfo_t info)
{
    return info.words[0] & 0x7f;
}
