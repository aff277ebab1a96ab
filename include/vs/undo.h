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

/* vs_table_mark, and from now until vs_table_keep_end or a successful
 * vs_table_rollback, the empty paging structures a large page replaces
 * (the kernel maps no large page over them; vspace takes them down first)
 * are kept, unmapped, instead of freed when the call that replaced them
 * succeeds, so that a rollback can map them back: the caller's whole
 * operation then leaves even those as it found them. They count in
 * vs_stats.paging_tables and the bookkeeping while kept. One keep at a
 * time (a second call only returns the mark). Returns 0 for a NULL vs.
 * While a table is kept, a map that would need a paging structure where
 * it lies (smaller pages there) fails with INVALID_ARG, naming the
 * structure's address, and changes nothing: end the keep or roll back
 * first. An ELF load never does this. */
uint64_t vs_table_keep(vs_space *vs);

/* Ends a keep that succeeded: the kept structures are freed. Nothing
 * without an open keep (or for NULL). */
void vs_table_keep_end(vs_space *vs);

/* Unmaps and frees every paging structure vs created after `mark` (from
 * vs_table_mark or vs_table_keep), newest first, then maps back the
 * structures an open keep kept (those older than the mark; newer ones are
 * freed) and ends the keep. Each must map nothing any more: the caller
 * has unmapped what it mapped since the mark. Errors: INVALID_ARG (NULL vs,
 * mark in the future), HAS_MAPPINGS (a page is still mapped under one of
 * them, or where a kept one is to go back; vs_last_error names the first
 * mapped address in that structure's span: the page's start, or the
 * structure's own if the page begins below it; nothing changed, the keep
 * stays open). A kernel refusal to unmap or free a table, or to map a
 * kept one back (that one is freed), is counted in
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
