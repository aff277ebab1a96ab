/* The reservation handle table alone (core/handles.c), white-box: where a
 * chunk given back leaves the generations. A released chunk raises
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

int main(void)
{
    test_context = "generation_limit";
    if (sizeof(void *) >= 8) { /* 32-bit hosts never give chunks back */
        CHECK(release_with_generation(1u << 3));
        CHECK(release_with_generation(1u << 31));
        CHECK(!release_with_generation((1u << 31) + 1));
    }
    return test_summary("core_handles");
}
