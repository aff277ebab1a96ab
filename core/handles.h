/* Reservation handles: what callers hold is not a pointer to a node but an
 * id, a slot of this table and the slot's generation, mixed with a value
 * drawn from the vspace's address. Freeing a reservation bumps its slot's
 * generation, so a stale handle (of a freed reservation, even when a new
 * one reuses the slot or the node's memory) no longer resolves, and a
 * handle of another vspace almost never does (its salt differs); neither
 * is ever dereferenced.
 *
 * Generations are 32 bits on 64-bit hosts (a stale handle is refused until
 * its slot has been reused 2^32 times) and 10 bits on 32-bit hosts, where
 * a handle has 22 bits of slot (up to 2^21 - 1 live reservations). */
#ifndef VSPACE_CORE_HANDLES_H
#define VSPACE_CORE_HANDLES_H

#include <stddef.h>
#include <stdint.h>

#include <vs/result.h>
#include <vs/space.h>

#include "counted.h"
#include "restree.h"

typedef struct handle_slot {
    res_node *node; /* NULL while free */
    uint32_t gen;
    uint32_t next_free; /* while free: the next free slot, or HANDLE_NONE */
} handle_slot;

typedef struct handle_table {
    handle_slot *slots;
    uint32_t capacity;
    uint32_t free_head; /* HANDLE_NONE if no slot is free */
    uintptr_t salt;
} handle_table;

enum { HANDLE_NONE = 0xffffffffu };

/* Starts an empty table whose handles are mixed with salt. */
void handles_init(handle_table *t, uintptr_t salt);

/* Makes sure handles_add will find a free slot (growing the table).
 * NO_MEMORY leaves the table unchanged. */
vs_result handles_prepare(handle_table *t, counted_alloc *a);

/* Gives node a slot (prepared) and returns its handle. */
vs_reservation *handles_add(handle_table *t, res_node *node);

/* Frees node's slot: every handle to it goes stale. */
void handles_remove(handle_table *t, res_node *node);

/* The live node h names, or NULL (NULL, stale or foreign handle). */
res_node *handles_resolve(const handle_table *t, const vs_reservation *h);

/* The handle of a live node. */
vs_reservation *handles_of(const handle_table *t, const res_node *node);

size_t handles_bytes(const handle_table *t);

void handles_destroy(handle_table *t, counted_alloc *a);

#endif
