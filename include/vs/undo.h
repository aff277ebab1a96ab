/* Undo across several vspace calls, for a caller (an ELF loader) whose own
 * operation is made of many vspace calls and must be all-or-nothing as a
 * whole. Each vspace call is all-or-nothing already; what outlives the
 * undo of its effects with vs_free/vs_unmap is the paging structures it
 * created, which the core keeps until vs_destroy. These calls remove them.
 *
 * Also the legacy libsel4utils behaviour, reproduced on purpose so the
 * audit can be shown to catch it. */
#ifndef VS_UNDO_H
#define VS_UNDO_H

#include <stdint.h>

#include <vs/space.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A mark of the paging structures vs has created so far (0 for NULL).
 * Never fails. */
uint64_t vs_table_mark(const vs_space *vs);

/* Unmaps and frees every paging structure vs created after `mark` (from
 * vs_table_mark), newest first. Each must map nothing any more: the caller
 * has unmapped what it mapped since the mark. Errors: INVALID_ARG (NULL vs,
 * mark in the future), HAS_MAPPINGS (a page is still mapped under one of
 * them; vs_last_error names its table's address; nothing changed). A
 * kernel refusal to unmap or free a table is counted in
 * vs_stats.release_failures, as for vs_unmap. */
vs_result vs_table_rollback(vs_space *vs, uint64_t mark);

/* The legacy loader's bug, on request: drops the reservation from the tree
 * while its pages stay mapped in the shadow table and the kernel, and stops
 * counting its pages as reserved. Breaks invariant I1 on purpose: vs_check
 * and the audit report every such page as outside any reservation. The
 * vspace keeps the dropped range aside (its bookkeeping is still held) so
 * vs_destroy tears its pages down and frees their frames. Errors: INVALID_ARG (NULL, or a
 * handle of another vspace). res is invalid afterwards. */
vs_result vs_legacy_drop_reservation(vs_space *vs, vs_reservation *res);

#ifdef __cplusplus
}
#endif

#endif
