/* Paging structures the vspace created in the kernel, and the mapping of
 * frames that creates them when the kernel reports one missing. */
#ifndef VSPACE_CORE_TABLES_H
#define VSPACE_CORE_TABLES_H

#include <stddef.h>

#include <vspace/kernel.h>
#include <vspace/result.h>

#include "kcalls.h"

struct vspace;

typedef struct table_rec {
    struct table_rec *next;
    vs_addr vaddr; /* first address the table translates */
    vs_object obj;
    unsigned level;
} table_rec;

/* Newest first, so children precede the tables they hang from. */
typedef struct table_list {
    table_rec *head;
    size_t count;
} table_list;

/* Maps the batch, creating every missing paging structure the kernel asks
 * for. All or nothing: on failure the frames mapped so far are unmapped and
 * the tables this call created are removed. */
vs_result tables_map_frames(struct vspace *vs, const frame_batch *batch);

/* Unmaps and frees tables newer than mark (a previous head). */
void tables_rollback(struct vspace *vs, const table_rec *mark);

/* Unmaps and frees every table. */
void tables_destroy(struct vspace *vs);

#endif
