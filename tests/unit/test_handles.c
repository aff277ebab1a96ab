/* The reservation handle table alone (core/handles.c), white-box: where a
 * chunk given back leaves the generations. With 32-bit generations: A released chunk raises
 * gen_floor to the highest generation its records reached, and a chunk
 * whose records went past 2^31 is kept (a floor that high would leave a
 * rebuilt slot fewer than 2^31 reuses before an old handle's generation
 * came round again). Checked at 2^31 exactly (released) and one past
 * (kept), with every byte returned at the end. */
#include "../support/harness.h"
#include "handles.h"

/* A handle table over a counting allocator. */
typedef struct table_fx {
    talloc ta;
    counted_alloc a;
    handle_table t;
} table_fx;

/* A record added as vs_reserve adds one: room first. */
static res_node *add(table_fx *f)
{
    CHECK_RES(handles_prepare(&f->t, &f->a), VS_OK);
    return handles_add(&f->t);
}

/* A table with chunks 0 and 1 (4 records each) full: n[0..8). */
static void open_full(table_fx *f, res_node *n[8])
{
    talloc_init(&f->ta);
    f->a = (counted_alloc){talloc_allocator(&f->ta), 0};
    handles_init(&f->t, 0x5a5a);
    for (int i = 0; i < 8; i++) {
        n[i] = add(f);
    }
    CHECK_EQ_U(f->t.chunk_count, 2);
}

/* Every byte back once the table goes. */
static void close_table(table_fx *f)
{
    handles_destroy(&f->t, &f->a);
    CHECK_EQ_U(f->a.bytes, 0);
    CHECK_EQ_U(f->ta.live_bytes, 0);
    talloc_fini(&f->ta);
}

/* Chunks 0 and 1 (4 records each) full; then chunk 1 emptied with its
 * last record freed at generation `gen` (one free of chunk 0 first, so
 * the rest of the table has the quarter of a chunk free that a release
 * needs). Returns whether chunk 1 was given back. */
static int release_with_generation(uint32_t gen)
{
    table_fx f;
    res_node *n[8];
    open_full(&f, n);
    handles_remove(&f.t, n[0], &f.a);
    for (int i = 7; i > 4; i--) {
        handles_remove(&f.t, n[i], &f.a);
    }
    n[4]->gen = gen - 1; /* its free makes it gen */
    handles_remove(&f.t, n[4], &f.a);
    int released = f.t.chunk_count == 1;
    uint32_t slot = 0;
    CHECK(handles_disagreement(&f.t, f.t.used, &slot) == NULL);
    CHECK_EQ_U(f.t.gen_floor, released ? gen : 0);
    if (released) { /* chunk 0's free record first, then the rebuilt chunk's, at the floor */
        for (int i = 0; i < 2; i++) {
            n[i] = add(&f);
        }
        CHECK(n[0]->slot == 0 && n[1]->slot == 4 && n[1]->gen == gen);
    }
    close_table(&f);
    return released;
}

#ifndef VSPACE_HANDLE_SLOT_BITS
#define VSPACE_HANDLE_SLOT_BITS (sizeof(uintptr_t) >= 8 ? 32 : 22)
#endif

/* 10-bit generations: a given-back chunk keeps each slot's generation, and
 * the chunk made again gives them back, so no old handle resolves again
 * -- also after another slot went round its 1024 generations, which one
 * floor for the table would have let it. */
static void exact_generations(void)
{
    table_fx f;
    res_node *n[8];
    vs_reservation *old[8];
    open_full(&f, n);
    for (int i = 0; i < 8; i++) {
        old[i] = handles_of(&f.t, n[i]);
    }
    /* slot 0 goes round 1024 generations and ends one further: the
     * highest a floor could have taken */
    for (int k = 0; k < 1025; k++) {
        handles_remove(&f.t, n[0], &f.a);
        n[0] = add(&f);
        CHECK(n[0]->slot == 0);
    }
    /* chunk 1 (slots 4-7) freed, slot 5 at generation 3 */
    for (int k = 0; k < 2; k++) {
        handles_remove(&f.t, n[5], &f.a);
        n[5] = add(&f);
    }
    vs_reservation *five_at_2 = handles_of(&f.t, n[5]);
    handles_remove(&f.t, n[1], &f.a); /* the quarter of a chunk free elsewhere */
    for (int i = 4; i < 8; i++) {
        handles_remove(&f.t, n[i], &f.a);
    }
    CHECK_EQ_U(f.t.chunk_count, 1);
    CHECK(f.t.saved_bytes > 0);
    uint32_t slot = 0;
    CHECK(handles_disagreement(&f.t, f.t.used, &slot) == NULL);
    /* made again: slot 1 first (chunk 0), then slots 4-7 at their own
     * generations */
    for (int i = 0; i < 5; i++) {
        n[i] = add(&f);
    }
    CHECK(n[0]->slot == 1 && n[1]->slot == 4 && n[2]->slot == 5);
    CHECK_EQ_U(n[1]->gen, 1); /* slot 4: freed once */
    CHECK_EQ_U(n[2]->gen, 3); /* slot 5: twice, then freed */
    CHECK_EQ_U(f.t.saved_bytes, f.t.saved_capacity * sizeof(uint16_t *));
    for (int i = 4; i < 8; i++) {
        CHECK(handles_resolve(&f.t, old[i]) == NULL);
    }
    CHECK(handles_resolve(&f.t, five_at_2) == NULL);
    CHECK(handles_resolve(&f.t, handles_of(&f.t, n[2])) == n[2]);
    CHECK(handles_disagreement(&f.t, f.t.used, &slot) == NULL);
    close_table(&f);
}

int main(void)
{
    test_context = "generation_limit";
    if (VSPACE_HANDLE_SLOT_BITS == 32) {
        CHECK(release_with_generation(1u << 3));
        CHECK(release_with_generation(1u << 31));
        CHECK(!release_with_generation((1u << 31) + 1));
    } else {
        test_context = "exact_generations";
        exact_generations();
    }
    return test_summary("core_handles");
}
