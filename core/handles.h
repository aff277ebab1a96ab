/* Reservation handles and records. What callers hold is not a pointer to a
 * record but an id, a slot of this table and the slot's generation, mixed
 * with a value drawn from the vspace's address. Freeing a reservation
 * bumps its slot's generation, so a stale handle (of a freed reservation,
 * even when a new one reuses the slot) no longer resolves, and a handle of
 * another vspace almost never does (its salt differs); neither is ever
 * dereferenced.
 *
 * The slot is the reservation's record itself (res_node, restree.h):
 * resolving a handle reads one record, not a slot and then the record it
 * points to, which is one cache miss less per call on a table that does
 * not fit in cache. Beside each chunk of records lies a chunk of leaf
 * links, the tree's cell for the leaf holding each live record
 * (restree_link): 8 bytes a slot, so that the links of a million
 * reservations span 8 MB where the records span 64, and freeing by handle
 * reads the link and the record at the same time and the leaf right after
 * the link, instead of the leaf only after the record. Records live in
 * chunks that never move (the tree points at them): 4, 4, 8, ... up to
 * 1024 records, then 1024 each, so the capacity doubles while small, as a
 * growing array would, and grows by 1024 records beyond.
 *
 * Records are given out from the lowest chunk with one to give (each
 * chunk keeps its own free list, last freed first: the record just freed
 * is the one reused when its chunk is that lowest one), so that the
 * highest chunks empty first. When the last chunk (not the first) has
 * no record in use it is given back, and the chunk array shrinks with the chunks (a table
 * that held a million reservations holds its first chunk and an array of
 * 8 again once they are freed) -- unless the rest of the table has fewer
 * free records than a quarter of that chunk: then a reserve and a free in
 * turn at the boundary would make and give back a chunk each time.
 *
 * Generations are 32 bits on 64-bit hosts (a stale handle is refused until
 * its slot has been reused 2^32 times, 2^31 after a chunk came back) and
 * 10 bits on 32-bit hosts, where a handle has 22 bits of slot (up to
 * 2^21 - 1 live reservations; VSPACE_HANDLE_SLOT_BITS=22 gives a 64-bit
 * host the same handles, for the tests). A given-back chunk's generations
 * must outlive it, or an old handle would resolve once the chunk came
 * back:
 *  - with 32-bit generations they live on in gen_floor, the highest of
 *    them, where every record of a chunk made again starts, so a handle of
 *    a record given back does not resolve again before 2^31 reuses of its
 *    slot since the handle was issued (a chunk whose generations went past
 *    2^31 stays);
 *  - with 10-bit generations one floor for the table would let a busy
 *    slot's 1024 reuses bring an old handle of another slot back to life,
 *    so each slot's generation is kept instead (2 bytes a slot against the
 *    72 of its record and link) and given back to the record when its
 *    chunk is made again: exactly as if the chunk had stayed. */
#ifndef VSPACE_CORE_HANDLES_H
#define VSPACE_CORE_HANDLES_H

#include <stddef.h>
#include <stdint.h>

#include <vs/result.h>
#include <vs/space.h>

#include "counted.h"
#include "restree.h"

/* The tree's cell for the leaf of one record. */
typedef struct leaf_link {
    restree_node *leaf;
} leaf_link;

/* One chunk's records and their leaf links (record i's in links[i]).
 * Records [fresh, size) were never used: they are zero, and are given out
 * in order once the free list is empty. */
typedef struct res_chunk {
    res_node *records;
    leaf_link *links;
    uint32_t first;     /* slot of records[0] */
    uint32_t size;      /* records */
    uint32_t free_head; /* the slot of the chunk's last freed record, or HANDLE_NONE */
    uint32_t fresh;     /* records used at least once */
    uint32_t used;      /* records live or dropped */
} res_chunk;

typedef struct handle_table {
    res_chunk *chunks;       /* chunk c: the records of slots [chunk_first(c), ...) (handles.c) */
    uint64_t *room;          /* a bit per chunks[] entry: the chunk has a record to give */
    uint32_t chunk_count;    /* chunks allocated */
    uint32_t chunk_capacity; /* entries of chunks[] (and bits of room, in the same allocation) */
    uint32_t capacity;       /* slots: records in the chunks */
    uint32_t open;           /* the lowest chunk with a record to give, or chunk_count */
    uint32_t used;           /* records live or dropped, in all chunks */
    uint32_t gen_floor;      /* where the records of a chunk made again start (32-bit generations) */
    uint16_t **saved;        /* 10-bit generations: saved[c], chunk c's generations while it is given back */
    uint32_t saved_capacity; /* entries of saved[] */
    size_t saved_bytes;      /* saved[] and the arrays it holds */
    uintptr_t salt;
} handle_table;

enum { HANDLE_NONE = 0xffffffffu };

/* Starts an empty table whose handles are mixed with salt. */
void handles_init(handle_table *t, uintptr_t salt);

/* Makes sure handles_add will find a free record (adding a chunk).
 * NO_MEMORY leaves the table unchanged. */
vs_result handles_prepare(handle_table *t, counted_alloc *a);

/* Takes the free record handles_prepare made sure of: zeroed but for its
 * slot and generation, and RES_LIVE. */
res_node *handles_add(handle_table *t);

/* Frees node's record: every handle to it goes stale. On 64-bit hosts,
 * gives back the chunks at the end of the table that no longer hold a
 * record in use (see above); a failure to allocate the smaller chunk
 * array keeps the larger one. Never fails. */
void handles_remove(handle_table *t, res_node *node, counted_alloc *a);

/* Makes every handle to node stale but keeps the record, RES_DROPPED, out
 * of use until handles_destroy (vs_legacy_drop_reservation). */
void handles_drop(handle_table *t, res_node *node);

/* The live record h names, or NULL (NULL, stale or foreign handle). */
res_node *handles_resolve(const handle_table *t, const vs_reservation *h);

/* The handle of a live record. */
vs_reservation *handles_of(const handle_table *t, const res_node *node);

/* The record of slot (< capacity), live or not. */
res_node *handles_record(const handle_table *t, uint32_t slot);

/* The leaf link of node, a record of t (a restree_link: ctx is t). */
restree_node **handles_leaf_link(void *t, const res_node *node);

/* The leaf link of the record h names, read without reading the record;
 * NULL if h names no slot of t. Only meaningful once handles_resolve has
 * accepted h; a caller reads it first so that the two reads overlap. */
restree_node *handles_leaf_of(const handle_table *t, const vs_reservation *h);

/* Calls fn on every dropped record; stops at the first non-zero result. */
int handles_for_each_dropped(const handle_table *t, int (*fn)(void *ctx, const res_node *res), void *ctx);

/* For vs_check: NULL if the table's own bookkeeping agrees with its
 * records -- each chunk's first slot and size, its free list holding
 * exactly its free records among those used so far, its never-used
 * records free, its in-use count and room bit; the table's in-use count,
 * the lowest chunk with room, the capacity, no room bit past the last
 * chunk, and as many live records as the tree holds reservations
 * (in_tree) -- else what disagrees, with the slot concerned (or
 * HANDLE_NONE) in *slot. Walks at most `fresh` links of a free list, so a
 * cycle ends. */
const char *handles_disagreement(const handle_table *t, size_t in_tree, uint32_t *slot);

/* Bytes the table holds: its chunks (records and links) and the chunk array. */
size_t handles_bytes(const handle_table *t);

void handles_destroy(handle_table *t, counted_alloc *a);

#endif
