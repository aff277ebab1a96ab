/* Paging structures the vspace created in the kernel, and the mapping of
 * frames that creates them when the kernel reports one missing. */
#ifndef VSPACE_CORE_TABLES_H
#define VSPACE_CORE_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include <vs/kernel.h>
#include <vs/result.h>

#include "kcalls.h"

struct vs_space;

typedef struct table_rec {
    struct table_rec *next;
    vs_addr vaddr; /* first address the table translates */
    vs_object obj;
    unsigned level;
    uint64_t seq; /* creation order: a call undoes the tables newer than its mark */
} table_rec;

/* Newest first, so children precede the tables they hang from. */
typedef struct table_list {
    table_rec *head;
    size_t count;
    uint64_t next_seq;
} table_list;

/* Maps the batch, creating every missing paging structure the kernel asks
 * for. All or nothing: on failure the frames mapped so far are unmapped and
 * the tables this call created are removed. */
vs_result tables_map_frames(struct vs_space *vs, const frame_batch *batch);

/* Goes on with a batch whose kernel call mapped its first `done` frames
 * and then returned st (an error): creates the missing table st names and
 * maps the rest, or undoes the batch. Lets a caller make the first kernel
 * call itself (the single-page path calls map_frame directly). */
vs_result tables_map_failed(struct vs_space *vs, const frame_batch *batch, vs_kstatus st, unsigned done);

/* A mark for tables_rollback: tables created after it are newer. */
static inline uint64_t tables_mark(const table_list *list)
{
    return list->next_seq;
}

/* Unmaps and frees the tables created since mark. */
void tables_rollback(struct vs_space *vs, uint64_t mark);

/* Unmaps and frees the tables below entry_level inside [vaddr, vaddr +
 * size): a large page needs its entry free of them. The caller knows no
 * page in the span is mapped, so the tables are empty. Returns the number
 * of tables removed. */
size_t tables_clear_span(struct vs_space *vs, vs_addr vaddr, uint64_t size, unsigned entry_level);

/* Unmaps and frees every table. */
void tables_destroy(struct vs_space *vs);

#endif
