/* What the spawning root task (main.c) and its child (child.c) agree on.
 *
 * How the child ends: it sends one message, label SPAWNROOT_EXIT_LABEL,
 * message register 0 = its exit status, on the endpoint in its CSpace slot
 * VS_CHILD_SLOT_FAULT_EP (<vs/process.h>), then suspends itself. That slot
 * holds the endpoint the kernel also sends the child's faults to, and the
 * root task waits on it: one receive reports either an exit with its status
 * or a fault with the kernel's fault label (seL4 fault labels are small
 * numbers, none equal to this one). An exit by deliberate fault would carry
 * no status, and the root task could not tell a clean end from a crash. */
#ifndef SPAWNROOT_PROTOCOL_H
#define SPAWNROOT_PROTOCOL_H

#define SPAWNROOT_EXIT_LABEL 0xE417u /* fits the 20-bit label of 32-bit seL4 */
#define SPAWNROOT_CHILD_NAME "spawnchild"

#endif
