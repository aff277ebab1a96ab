/* Slots and untyped memory of an seL4 root task, as a tiny allocator.
 *
 * Slots: one record per slot of the bootinfo's empty region says what the
 * slot holds (nothing, the caller's, a copy, an object, an untyped piece),
 * so every free call can refuse a cap that is not what the caller claims.
 *
 * Memory: a buddy allocator over the boot untypeds, done with the kernel's
 * own objects. An object of 2^b bytes is retyped from an untyped piece of
 * exactly 2^b bytes, made by retyping a larger free piece into two halves,
 * repeatedly. When the object and every copy of it are gone, its piece is
 * free again, and two free halves are merged by revoking their parent
 * (which deletes just them). seL4 retypes from a watermark that only goes
 * back when an untyped has no children, so this is what makes a failed or
 * undone allocation leave the untypeds' watermarks where they were.
 * Invariant: no split piece has two free halves. */
#include <vs/sel4_alloc.h>

#include <stdint.h>

#define NONE UINT32_MAX

typedef enum rec_kind {
    REC_EMPTY = 0, /* a free slot */
    REC_USER,      /* a slot handed to the caller */
    REC_COPY,      /* a cap copy */
    REC_OBJECT,    /* an object; up is the untyped piece it was retyped from */
    REC_UNTYPED    /* an untyped piece (a boot untyped or a half of a piece) */
} rec_kind;

typedef enum piece_state { PIECE_FREE = 0, PIECE_SPLIT, PIECE_OBJECT } piece_state;

typedef struct rec {
    uint8_t kind;                  /* rec_kind */
    uint8_t state;                 /* REC_UNTYPED: piece_state */
    uint8_t bits;                  /* REC_UNTYPED: log2 size */
    uint8_t listed;                /* REC_UNTYPED: on the free list of its size (exactly when state is PIECE_FREE) */
    uint32_t up;                   /* REC_UNTYPED: parent piece; REC_OBJECT/COPY: the piece it lives in; or NONE */
    uint32_t half[2];              /* PIECE_SPLIT: the halves */
    uint32_t refs;                 /* PIECE_OBJECT: live caps to its object (the object and its copies) */
    uint32_t next_free, prev_free; /* listed: neighbours on the free list of its size, or NONE */
} rec;

enum { MAX_PIECE_BITS = 64 };

/* Records [0, num_slots) are the empty region's slots; the boot untypeds
 * follow at [num_slots, num_slots + num_roots). */
struct vs_sel4_alloc {
    vs_allocator mem;
    seL4_CPtr slot_base;
    size_t num_slots;
    size_t num_roots;
    rec *recs;
    seL4_CPtr *root_cap;
    size_t hint;                            /* no free slot below this index */
    uint32_t free_head[MAX_PIECE_BITS + 1]; /* free pieces by log2 size, linked through next_free */
    size_t free_slots;
    size_t objects;
    size_t copies;
};

/* Root-task CPtrs resolve with the whole word (a function: on the host
 * simulator seL4_WordBits answers for the booted architecture). */
#define CNODE_DEPTH ((seL4_Uint8)seL4_WordBits)

static seL4_CPtr rec_cap(const vs_sel4_alloc *a, uint32_t i)
{
    return i < a->num_slots ? a->slot_base + i : a->root_cap[i - a->num_slots];
}

/* ---- creation ---- */

static size_t count_ram_untypeds(const seL4_BootInfo *bi)
{
    size_t n = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        n += bi->untypedList[i].isDevice ? 0 : 1;
    }
    return n;
}

/* Free pieces are kept on one list per size, so finding the smallest
 * free piece that fits costs the number of sizes, not a scan of every
 * record. Every change of a piece's state goes through these two. */
static void piece_listed(vs_sel4_alloc *a, uint32_t i)
{
    rec *r = &a->recs[i];
    r->state = PIECE_FREE;
    if (r->listed) {
        return;
    }
    r->listed = 1;
    r->prev_free = NONE;
    r->next_free = a->free_head[r->bits];
    if (r->next_free != NONE) {
        a->recs[r->next_free].prev_free = i;
    }
    a->free_head[r->bits] = i;
}

static void piece_unlisted(vs_sel4_alloc *a, uint32_t i, piece_state state)
{
    rec *r = &a->recs[i];
    r->state = (uint8_t)state;
    if (!r->listed) {
        return;
    }
    if (r->prev_free != NONE) {
        a->recs[r->prev_free].next_free = r->next_free;
    } else {
        a->free_head[r->bits] = r->next_free;
    }
    if (r->next_free != NONE) {
        a->recs[r->next_free].prev_free = r->prev_free;
    }
    r->listed = 0;
    r->next_free = r->prev_free = NONE;
}

static void add_roots(vs_sel4_alloc *a, const seL4_BootInfo *bi)
{
    size_t n = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (!bi->untypedList[i].isDevice) {
            a->root_cap[n] = bi->untyped.start + i;
            a->recs[a->num_slots + n] =
                (rec){REC_UNTYPED, PIECE_FREE, bi->untypedList[i].sizeBits, 0, NONE, {NONE, NONE}, 0, NONE, NONE};
            piece_listed(a, (uint32_t)(a->num_slots + n));
            n++;
        }
    }
}

static void release_tables(vs_sel4_alloc *a)
{
    size_t nrecs = a->num_slots + a->num_roots;
    if (a->recs != NULL) {
        a->mem.free(a->mem.ctx, a->recs, nrecs * sizeof *a->recs);
    }
    if (a->root_cap != NULL) {
        a->mem.free(a->mem.ctx, a->root_cap, a->num_roots * sizeof *a->root_cap);
    }
    a->mem.free(a->mem.ctx, a, sizeof *a);
}

static void *alloc_zeroed(vs_allocator mem, size_t size)
{
    unsigned char *p = size ? mem.alloc(mem.ctx, size) : NULL;
    for (size_t i = 0; p != NULL && i < size; i++) {
        p[i] = 0;
    }
    return p;
}

vs_result vs_sel4_alloc_create(const seL4_BootInfo *bi, vs_allocator mem, vs_sel4_alloc **out)
{
    if (bi == NULL || out == NULL || mem.alloc == NULL || mem.free == NULL || bi->empty.end < bi->empty.start ||
        bi->empty.end - bi->empty.start >= NONE / 2) {
        return VS_ERR_INVALID_ARG;
    }
    vs_sel4_alloc *a = mem.alloc(mem.ctx, sizeof *a);
    if (a == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    *a = (vs_sel4_alloc){.mem = mem, .slot_base = bi->empty.start};
    for (unsigned b = 0; b <= MAX_PIECE_BITS; b++) {
        a->free_head[b] = NONE;
    }
    a->num_slots = (size_t)(bi->empty.end - bi->empty.start);
    a->num_roots = count_ram_untypeds(bi);
    a->recs = alloc_zeroed(mem, (a->num_slots + a->num_roots) * sizeof *a->recs);
    a->root_cap = alloc_zeroed(mem, a->num_roots * sizeof *a->root_cap);
    if ((a->num_slots + a->num_roots && a->recs == NULL) || (a->num_roots && a->root_cap == NULL)) {
        release_tables(a);
        return VS_ERR_NO_MEMORY;
    }
    add_roots(a, bi);
    a->free_slots = a->num_slots;
    *out = a;
    return VS_OK;
}

void vs_sel4_alloc_destroy(vs_sel4_alloc *a)
{
    if (a != NULL) {
        release_tables(a);
    }
}

/* ---- slots ---- */

/* Claims the lowest free slot as `kind`. Invariant: every slot below hint
 * is taken, so the scan starts there. */
static seL4_Error take_slot(vs_sel4_alloc *a, rec_kind kind, uint32_t *index)
{
    for (size_t i = a->hint; i < a->num_slots; i++) {
        if (a->recs[i].kind == REC_EMPTY) {
            a->recs[i] = (rec){(uint8_t)kind, 0, 0, 0, NONE, {NONE, NONE}, 0, NONE, NONE};
            a->hint = i + 1;
            a->free_slots--;
            *index = (uint32_t)i;
            return seL4_NoError;
        }
    }
    a->hint = a->num_slots;
    return seL4_NotEnoughMemory;
}

static void give_slot(vs_sel4_alloc *a, uint32_t index)
{
    a->recs[index] = (rec){0};
    a->free_slots++;
    if (index < a->hint) {
        a->hint = index;
    }
}

/* The slot's index if cap is a slot of the region holding `kind`, else NONE. */
static uint32_t slot_of_kind(const vs_sel4_alloc *a, seL4_CPtr cap, rec_kind kind)
{
    if (cap < a->slot_base || cap - a->slot_base >= a->num_slots) {
        return NONE;
    }
    uint32_t index = (uint32_t)(cap - a->slot_base);
    return a->recs[index].kind == kind ? index : NONE;
}

seL4_Error vs_sel4_alloc_slot(vs_sel4_alloc *a, seL4_CPtr *slot)
{
    uint32_t index;
    seL4_Error err = take_slot(a, REC_USER, &index);
    if (err == seL4_NoError) {
        *slot = a->slot_base + index;
    }
    return err;
}

seL4_Error vs_sel4_free_slot(vs_sel4_alloc *a, seL4_CPtr slot)
{
    uint32_t index = slot_of_kind(a, slot, REC_USER);
    if (index == NONE) {
        return seL4_InvalidArgument;
    }
    give_slot(a, index);
    return seL4_NoError;
}

/* ---- untyped pieces ---- */

/* The smallest free piece of at least 2^bits bytes, or NONE. */
static uint32_t best_piece(const vs_sel4_alloc *a, unsigned bits)
{
    for (unsigned b = bits; b <= MAX_PIECE_BITS; b++) {
        if (a->free_head[b] != NONE) {
            return a->free_head[b];
        }
    }
    return NONE;
}

static seL4_Error retype_one(const vs_sel4_alloc *a, uint32_t piece, seL4_Word type, seL4_Word size_bits, uint32_t slot)
{
    /* Depth 0 names the root CNode itself as the destination. */
    return seL4_Untyped_Retype(rec_cap(a, piece), type, size_bits, seL4_CapInitThreadCNode, 0, 0, a->slot_base + slot,
                               1);
}

/* Retypes free piece p into two halves. On error nothing changed. */
static seL4_Error split(vs_sel4_alloc *a, uint32_t p)
{
    uint32_t h[2];
    if (take_slot(a, REC_UNTYPED, &h[0]) != seL4_NoError) {
        return seL4_NotEnoughMemory;
    }
    if (take_slot(a, REC_UNTYPED, &h[1]) != seL4_NoError) {
        give_slot(a, h[0]);
        return seL4_NotEnoughMemory;
    }
    unsigned bits = a->recs[p].bits - 1u;
    seL4_Error err = retype_one(a, p, seL4_UntypedObject, bits, h[0]);
    if (err == seL4_NoError) {
        err = retype_one(a, p, seL4_UntypedObject, bits, h[1]);
        if (err != seL4_NoError) {
            (void)seL4_CNode_Delete(seL4_CapInitThreadCNode, a->slot_base + h[0], CNODE_DEPTH);
        }
    }
    if (err != seL4_NoError) {
        give_slot(a, h[1]);
        give_slot(a, h[0]);
        return err;
    }
    for (int k = 0; k < 2; k++) {
        a->recs[h[k]] = (rec){REC_UNTYPED, PIECE_FREE, (uint8_t)bits, 0, p, {NONE, NONE}, 0, NONE, NONE};
        piece_listed(a, h[k]);
    }
    piece_unlisted(a, p, PIECE_SPLIT);
    a->recs[p].half[0] = h[0];
    a->recs[p].half[1] = h[1];
    return seL4_NoError;
}

/* Piece p has just become free: merges it with its buddy, and so on up,
 * while both halves of the parent are free. A revoke the kernel refuses
 * stops the merging, leaving two free halves that still work. */
static void merge_up(vs_sel4_alloc *a, uint32_t p)
{
    piece_listed(a, p);
    for (uint32_t up = a->recs[p].up; up != NONE; p = up, up = a->recs[p].up) {
        uint32_t h0 = a->recs[up].half[0], h1 = a->recs[up].half[1];
        if (a->recs[h0].state != PIECE_FREE || a->recs[h1].state != PIECE_FREE ||
            seL4_CNode_Revoke(seL4_CapInitThreadCNode, rec_cap(a, up), CNODE_DEPTH) != seL4_NoError) {
            return;
        }
        piece_unlisted(a, h0, PIECE_FREE);
        piece_unlisted(a, h1, PIECE_FREE);
        give_slot(a, h0);
        give_slot(a, h1);
        piece_listed(a, up);
    }
}

/* Splits free piece *p down to 2^bits bytes, following the first half; on
 * error merges back what it split, so nothing changed. */
static seL4_Error split_down(vs_sel4_alloc *a, uint32_t *p, unsigned bits)
{
    uint32_t cur = *p;
    while (a->recs[cur].bits > bits) {
        seL4_Error err = split(a, cur);
        if (err != seL4_NoError) {
            merge_up(a, cur);
            return err;
        }
        cur = a->recs[cur].half[0];
    }
    *p = cur;
    return seL4_NoError;
}

/* A cap to the object in piece p is gone; the last one frees the piece. */
static void object_cap_gone(vs_sel4_alloc *a, uint32_t p)
{
    if (p != NONE && --a->recs[p].refs == 0) {
        merge_up(a, p);
    }
}

/* ---- objects ---- */

seL4_Error vs_sel4_alloc_object(vs_sel4_alloc *a, seL4_Word type, seL4_Word size_bits, unsigned obj_bits,
                                seL4_CPtr *cap, uintptr_t *cookie)
{
    uint32_t slot;
    if (take_slot(a, REC_OBJECT, &slot) != seL4_NoError) {
        return seL4_NotEnoughMemory;
    }
    uint32_t p = best_piece(a, obj_bits);
    seL4_Error err = p == NONE ? seL4_NotEnoughMemory : split_down(a, &p, obj_bits);
    if (err == seL4_NoError) {
        err = retype_one(a, p, type, size_bits, slot);
        if (err != seL4_NoError) {
            merge_up(a, p);
        }
    }
    if (err != seL4_NoError) {
        give_slot(a, slot);
        return err;
    }
    piece_unlisted(a, p, PIECE_OBJECT);
    a->recs[p].refs = 1;
    a->recs[slot].up = p;
    a->objects++;
    *cap = a->slot_base + slot;
    *cookie = p;
    return seL4_NoError;
}

/* Deletes the cap in slot `index` and, only if that worked, frees the slot
 * and drops the object's count. */
static seL4_Error delete_and_free(vs_sel4_alloc *a, uint32_t index)
{
    uint32_t piece = a->recs[index].up;
    seL4_Error err = seL4_CNode_Delete(seL4_CapInitThreadCNode, a->slot_base + index, CNODE_DEPTH);
    if (err != seL4_NoError) {
        return err;
    }
    give_slot(a, index);
    object_cap_gone(a, piece);
    return seL4_NoError;
}

seL4_Error vs_sel4_alloc_free_object(vs_sel4_alloc *a, seL4_CPtr cap, uintptr_t cookie)
{
    uint32_t index = slot_of_kind(a, cap, REC_OBJECT);
    if (index == NONE || a->recs[index].up != cookie) {
        return seL4_InvalidArgument;
    }
    seL4_Error err = delete_and_free(a, index);
    a->objects -= err == seL4_NoError;
    return err;
}

/* ---- copies ---- */

/* The piece src's object lives in if src is one of our objects or copies,
 * else NONE: a foreign cap's memory is not ours to count. */
static uint32_t source_piece(const vs_sel4_alloc *a, seL4_CPtr src)
{
    uint32_t index = slot_of_kind(a, src, REC_OBJECT);
    index = index == NONE ? slot_of_kind(a, src, REC_COPY) : index;
    return index == NONE ? NONE : a->recs[index].up;
}

seL4_Error vs_sel4_alloc_copy(vs_sel4_alloc *a, seL4_CPtr src, seL4_CapRights_t rights, seL4_CPtr *out)
{
    uint32_t piece = source_piece(a, src);
    uint32_t slot;
    if (take_slot(a, REC_COPY, &slot) != seL4_NoError) {
        return seL4_NotEnoughMemory;
    }
    seL4_Error err = seL4_CNode_Copy(seL4_CapInitThreadCNode, a->slot_base + slot, CNODE_DEPTH, seL4_CapInitThreadCNode,
                                     src, CNODE_DEPTH, rights);
    if (err != seL4_NoError) {
        give_slot(a, slot);
        return err;
    }
    a->recs[slot].up = piece;
    if (piece != NONE) {
        a->recs[piece].refs++;
    }
    a->copies++;
    *out = a->slot_base + slot;
    return seL4_NoError;
}

seL4_Error vs_sel4_alloc_delete_copy(vs_sel4_alloc *a, seL4_CPtr cap)
{
    uint32_t index = slot_of_kind(a, cap, REC_COPY);
    if (index == NONE) {
        return seL4_InvalidArgument;
    }
    seL4_Error err = delete_and_free(a, index);
    a->copies -= err == seL4_NoError;
    return err;
}

int vs_sel4_alloc_object_bits(const vs_sel4_alloc *a, seL4_CPtr cap)
{
    if (a == NULL) {
        return -1;
    }
    uint32_t piece = source_piece(a, cap);
    return piece == NONE ? -1 : (int)a->recs[piece].bits;
}

void vs_sel4_alloc_get_stats(const vs_sel4_alloc *a, vs_sel4_alloc_stats *out)
{
    size_t busy = 0;
    for (size_t i = 0; i < a->num_roots; i++) {
        busy += a->recs[a->num_slots + i].state != PIECE_FREE;
    }
    *out = (vs_sel4_alloc_stats){a->free_slots, a->objects, a->copies, a->num_roots, busy};
}
