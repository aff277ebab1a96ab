/* The reservation handle table alone (core/handles.c), white-box: where a
 * chunk given back leaves the generations. With 32-bit generations: A released chunk raises
 * gen_floor to the highest generation its records reached, and a chunk
 * whose records went past 2^31 is kept (a floor that high would leave a
 * rebuilt slot fewer than 2^31 reuses before an old handle's generation
 * came round again). Checked at 2^31 exactly (released) and one past
 * (kept), with every byte returned at the end. */
#include "../support/harness.h"
#include "handles.h"

/* Chunks 0 and 1 (4 records each) full; then chunk 1 emptied with its
 * last record freed at generation `gen` (one free of chunk 0 first, so
 * the rest of the table has the quarter of a chunk free that a release
 * needs). Returns whether chunk 1 was given back. */
static int release_with_generation(uint32_t gen)
{
    talloc ta;
    talloc_init(&ta);
    counted_alloc a = {talloc_allocator(&ta), 0};
    handle_table t;
    handles_init(&t, 0x5a5a);
    res_node *n[8];
    for (int i = 0; i < 8; i++) {
        CHECK_RES(handles_prepare(&t, &a), VS_OK);
        n[i] = handles_add(&t);
    }
    CHECK_EQ_U(t.chunk_count, 2);
    handles_remove(&t, n[0], &a);
    for (int i = 7; i > 4; i--) {
        handles_remove(&t, n[i], &a);
    }
    n[4]->gen = gen - 1; /* its free makes it gen */
    handles_remove(&t, n[4], &a);
    int released = t.chunk_count == 1;
    uint32_t slot = 0;
    CHECK(handles_disagreement(&t, t.used, &slot) == NULL);
    CHECK_EQ_U(t.gen_floor, released ? gen : 0);
    if (released) { /* chunk 0's free record first, then the rebuilt chunk's, at the floor */
        for (int i = 0; i < 2; i++) {
            CHECK_RES(handles_prepare(&t, &a), VS_OK);
            n[i] = handles_add(&t);
        }
        CHECK(n[0]->slot == 0 && n[1]->slot == 4 && n[1]->gen == gen);
    }
    handles_destroy(&t, &a);
    CHECK_EQ_U(a.bytes, 0);
    CHECK_EQ_U(ta.live_bytes, 0);
    talloc_fini(&ta);
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
    talloc ta;
    talloc_init(&ta);
    counted_alloc a = {talloc_allocator(&ta), 0};
    handle_table t;
    handles_init(&t, 0x5a5a);
    res_node *n[8];
    vs_reservation *old[8];
    for (int i = 0; i < 8; i++) {
        CHECK_RES(handles_prepare(&t, &a), VS_OK);
        n[i] = handles_add(&t);
        old[i] = handles_of(&t, n[i]);
    }
    /* slot 0 goes round 1024 generations and ends one further: the
     * highest a floor could have taken */
    for (int k = 0; k < 1025; k++) {
        handles_remove(&t, n[0], &a);
        CHECK_RES(handles_prepare(&t, &a), VS_OK);
        n[0] = handles_add(&t);
        CHECK(n[0]->slot == 0);
    }
    /* chunk 1 (slots 4-7) freed, slot 5 at generation 3 */
    for (int k = 0; k < 2; k++) {
        handles_remove(&t, n[5], &a);
        CHECK_RES(handles_prepare(&t, &a), VS_OK);
        n[5] = handles_add(&t);
    }
    vs_reservation *five_at_2 = handles_of(&t, n[5]);
    handles_remove(&t, n[1], &a); /* the quarter of a chunk free elsewhere */
    for (int i = 4; i < 8; i++) {
        handles_remove(&t, n[i], &a);
    }
    CHECK_EQ_U(t.chunk_count, 1);
    CHECK(t.saved_bytes > 0);
    uint32_t slot = 0;
    CHECK(handles_disagreement(&t, t.used, &slot) == NULL);
    /* made again: slot 1 first (chunk 0), then slots 4-7 at their own
     * generations */
    for (int i = 0; i < 5; i++) {
        CHECK_RES(handles_prepare(&t, &a), VS_OK);
        n[i] = handles_add(&t);
    }
    CHECK(n[0]->slot == 1 && n[1]->slot == 4 && n[2]->slot == 5);
    CHECK_EQ_U(n[1]->gen, 1); /* slot 4: freed once */
    CHECK_EQ_U(n[2]->gen, 3); /* slot 5: twice, then freed */
    CHECK_EQ_U(t.saved_bytes, t.saved_capacity * sizeof(uint16_t *));
    for (int i = 4; i < 8; i++) {
        CHECK(handles_resolve(&t, old[i]) == NULL);
    }
    CHECK(handles_resolve(&t, five_at_2) == NULL);
    CHECK(handles_resolve(&t, handles_of(&t, n[2])) == n[2]);
    CHECK(handles_disagreement(&t, t.used, &slot) == NULL);
    handles_destroy(&t, &a);
    CHECK_EQ_U(a.bytes, 0);
    CHECK_EQ_U(ta.live_bytes, 0);
    talloc_fini(&ta);
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
