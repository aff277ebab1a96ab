/* IPC buffer accessors. After a failed invocation the simulated kernel puts
 * the error's details in the message registers exactly where seL4 puts them
 * (Reference Manual, "Errors"), so callers read them the libsel4 way. */
#ifndef SEL4SIM_SEL4_FUNCTIONS_H
#define SEL4SIM_SEL4_FUNCTIONS_H

#include <sel4/types.h>

/* The calling thread's IPC buffer (never NULL once the sim has booted). */
seL4_IPCBuffer *seL4_GetIPCBuffer(void);

/* Point later accessors at ipc_buffer; NULL restores the sim's own. */
void seL4_SetIPCBuffer(seL4_IPCBuffer *ipc_buffer);

/* Message register i (0 <= i < seL4_MsgMaxLength). */
seL4_Word seL4_GetMR(int i);

/* Set message register i (0 <= i < seL4_MsgMaxLength). */
void seL4_SetMR(int i, seL4_Word mr);

#endif
