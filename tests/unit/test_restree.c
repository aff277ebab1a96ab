/* The reservation B+-tree on its own, against a sorted array of the same
 * reservations: random inserts, removals, resizes and queries (lowest fit
 * with alignment included), tree sizes around each fan-out boundary, and
 * allocation failure at every point of restree_prepare. After every change
 * the tree's shape, links and summaries are checked here, recomputed from
 * the array, not with the tree's own code. */
#include <stdlib.h>
#include <string.h>

#include "../support/harness.h"
#include "restree.h"

enum { PAGE = 4096, MAX_RES = 4000 };

static const vs_addr LO = 0x10000;
static const vs_addr HI = 0x10000 + (vs_addr)PAGE * 20000;

typedef struct oracle {
    res_node *res[MAX_RES]; /* sorted by start */
    size_t n;
} oracle;

typedef struct world {
    talloc ta;
    counted_alloc alloc;
    restree tree;
    oracle o;
    uint64_t rng;
    restree_node *links[MAX_RES]; /* the tree's leaf link of each reservation, by its slot */
    uint32_t free_slots[MAX_RES]; /* slots no live reservation has */
    size_t free_count;
} world;

static restree_node **leaf_link(void *ctx, const res_node *res)
{
    world *w = ctx;
    return &w->links[res->slot];
}

static uint64_t next(world *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static uint64_t below(world *w, uint64_t n)
{
    return next(w) % n;
}

static void world_init(world *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    talloc_init(&w->ta);
    w->alloc.base = talloc_allocator(&w->ta);
    CHECK_RES(restree_init(&w->tree, &w->alloc, leaf_link, w), VS_OK);
    for (uint32_t slot = MAX_RES; slot-- > 0;) {
        w->free_slots[w->free_count++] = slot;
    }
    w->rng = seed;
}

static void drop(void *ctx, res_node *res)
{
    (void)ctx;
    free(res);
}

static void world_fini(world *w)
{
    restree_destroy(&w->tree, drop, NULL);
    CHECK_EQ_U(w->alloc.bytes, 0);
    CHECK_EQ_U(w->ta.live_bytes, 0);
    CHECK_EQ_U(w->ta.errors, 0);
    talloc_fini(&w->ta);
}

/* ---- the oracle ---- */

/* Index of the first reservation starting at or after addr. */
static size_t oracle_at(const oracle *o, vs_addr addr)
{
    size_t i = 0;
    while (i < o->n && o->res[i]->start < addr) {
        i++;
    }
    return i;
}

static int oracle_free(const oracle *o, vs_addr start, vs_addr end)
{
    for (size_t i = 0; i < o->n; i++) {
        if (o->res[i]->start < end && start < o->res[i]->end) {
            return 0;
        }
    }
    return 1;
}

static const res_node *oracle_containing(const oracle *o, vs_addr addr)
{
    for (size_t i = 0; i < o->n; i++) {
        if (o->res[i]->start <= addr && addr < o->res[i]->end) {
            return o->res[i];
        }
    }
    return NULL;
}

static int oracle_gap(const oracle *o, uint64_t size, uint64_t align, vs_addr *out)
{
    for (size_t i = 0; i <= o->n; i++) {
        vs_addr from = i == 0 ? LO : o->res[i - 1]->end;
        vs_addr to = i == o->n ? HI : o->res[i]->start;
        vs_addr a = (from + align - 1) / align * align;
        if (a <= to && to - a >= size) {
            *out = a;
            return 1;
        }
    }
    return 0;
}

/* ---- the tree's shape, checked from the oracle ---- */

typedef struct walk {
    const oracle *o;
    restree_node *const *links;
    size_t next; /* oracle index of the next reservation expected */
    size_t nodes;
    size_t leaves;
} walk;

/* Checks subtree n on `level` whose parent is `parent`; returns its lowest
 * start, highest end and widest gap, computed from the oracle's
 * reservations it holds. Nodes on the right spine (the last child of a
 * node on it) may hold a single entry; others half a node. */
static restree_summary check_node(walk *k, const restree_node *n, uint32_t level, const restree_node *parent,
                                  int on_spine)
{
    k->nodes++;
    k->leaves += level == 0;
    CHECK_EQ_U(n->level, level);
    CHECK(n->parent == parent);
    unsigned least = parent == NULL ? (level > 0 ? 2 : 0) : on_spine ? 1 : RESTREE_MIN_FILL;
    CHECK(n->count >= least && n->count <= RESTREE_FANOUT);
    size_t first = k->next;
    for (uint32_t i = 0; i < n->count; i++) {
        if (level == 0) {
            CHECK(k->next < k->o->n && n->ref[i].res == k->o->res[k->next]);
            CHECK(k->links[n->ref[i].res->slot] == n);
            CHECK_EQ_U(n->start[i], n->ref[i].res->start);
            CHECK_EQ_U(n->end[i], n->ref[i].res->end);
            k->next++;
            continue;
        }
        restree_summary s = check_node(k, n->ref[i].child, level - 1, n, on_spine && i + 1 == n->count);
        CHECK_EQ_U(n->start[i], s.start);
        CHECK_EQ_U(n->end[i], s.end);
        CHECK_EQ_U(restree_gaps_const(n)[i], s.gap);
    }
    restree_summary s = {0, 0, 0};
    if (k->next == first) {
        return s; /* the empty root leaf */
    }
    s = (restree_summary){k->o->res[first]->start, k->o->res[k->next - 1]->end, 0};
    for (size_t i = first + 1; i < k->next; i++) {
        uint64_t gap = k->o->res[i]->start - k->o->res[i - 1]->end;
        s.gap = gap > s.gap ? gap : s.gap;
    }
    return s;
}

static void check_tree(const world *w)
{
    const restree *t = &w->tree;
    walk k = {&w->o, w->links, 0, 0, 0};
    CHECK_EQ_U(t->count, w->o.n);
    CHECK(t->root != NULL && t->height >= 1);
    check_node(&k, t->root, (uint32_t)t->height - 1, NULL, 1);
    CHECK_EQ_U(k.next, w->o.n);
    CHECK_EQ_U(k.nodes, t->nodes);
    CHECK_EQ_U(k.leaves, t->leaves);
    CHECK_EQ_U(t->spare_count, 0);
    CHECK_EQ_U(w->alloc.bytes, k.leaves * sizeof(restree_node) + (k.nodes - k.leaves) * sizeof(restree_inner));
    CHECK_EQ_U(w->alloc.bytes, restree_bytes(t));
}

/* ---- operations on both ---- */

/* Inserts [start, start + size) into both; the tree's pool is prepared. */
static void add_prepared(world *w, vs_addr start, uint64_t size)
{
    res_node *r = calloc(1, sizeof *r);
    r->slot = w->free_slots[--w->free_count];
    r->start = start;
    r->end = start + size;
    restree_insert(&w->tree, r);
    size_t i = oracle_at(&w->o, start);
    for (size_t j = w->o.n; j > i; j--) {
        w->o.res[j] = w->o.res[j - 1];
    }
    w->o.res[i] = r;
    w->o.n++;
}

static void add(world *w, vs_addr start, uint64_t size)
{
    CHECK_RES(restree_prepare(&w->tree, start, NULL), VS_OK);
    add_prepared(w, start, size);
}

static void drop_at(world *w, size_t i)
{
    res_node *r = w->o.res[i];
    restree_remove(&w->tree, r, w->links[r->slot]);
    w->free_slots[w->free_count++] = r->slot;
    for (size_t j = i; j + 1 < w->o.n; j++) {
        w->o.res[j] = w->o.res[j + 1];
    }
    w->o.n--;
    free(r);
}

/* Resizes reservation i to a random size that keeps it clear of the next. */
static void resize_at(world *w, size_t i)
{
    res_node *r = w->o.res[i];
    vs_addr limit = i + 1 < w->o.n ? w->o.res[i + 1]->start : HI;
    uint64_t room = (limit - r->start) / PAGE;
    r->end = r->start + (1 + below(w, room < 64 ? room : 64)) * PAGE;
    restree_refresh(&w->tree, r);
}

static void probe(world *w)
{
    vs_addr addr = LO - PAGE + below(w, (HI - LO) / PAGE + 2) * PAGE + below(w, 2) * (PAGE - 1);
    CHECK(restree_containing(&w->tree, addr) == oracle_containing(&w->o, addr));
    size_t i = oracle_at(&w->o, addr);
    CHECK(restree_last_below(&w->tree, addr) == (i > 0 ? w->o.res[i - 1] : NULL));
    uint64_t len = (1 + below(w, 80)) * PAGE;
    CHECK_EQ_U(restree_is_free(&w->tree, addr, addr + len), oracle_free(&w->o, addr, addr + len));
    uint64_t align = (uint64_t)PAGE << below(w, 6);
    vs_addr got = 0, want = 0;
    int found = restree_find_gap(&w->tree, LO, HI, len, align, &got);
    CHECK_EQ_U(found, oracle_gap(&w->o, len, align, &want));
    if (found) {
        CHECK_EQ_U(got, want);
    }
}

/* Churn against the oracle: a quarter lowest-fit reserves, a quarter
 * reserves at random free places, the rest removals, resizes and probes. */
static void test_random(uint64_t seed, unsigned ops, size_t target)
{
    world w;
    world_init(&w, seed);
    for (unsigned op = 0; op < ops; op++) {
        unsigned what = (unsigned)below(&w, 8);
        uint64_t size = (1 + below(&w, 64)) * PAGE;
        vs_addr at = LO + below(&w, (HI - LO) / PAGE) * PAGE;
        int grow = w.o.n < target;
        if (what < 2 && grow && restree_find_gap(&w.tree, LO, HI, size, PAGE, &at)) {
            add(&w, at, size);
        } else if (what < 4 && grow && at + size <= HI && oracle_free(&w.o, at, at + size)) {
            add(&w, at, size);
        } else if (what < 6 && w.o.n > 0) {
            drop_at(&w, (size_t)below(&w, w.o.n));
        } else if (what == 6 && w.o.n > 0) {
            resize_at(&w, (size_t)below(&w, w.o.n));
        } else {
            probe(&w);
        }
        check_tree(&w);
    }
    while (w.o.n > 0) {
        drop_at(&w, (size_t)below(&w, w.o.n));
        check_tree(&w);
    }
    world_fini(&w);
}

/* Every tree size up to past two full levels, filled in address order and
 * emptied from the front, the back and the middle. */
static void test_boundaries(void)
{
    size_t most = (size_t)RESTREE_FANOUT * RESTREE_FANOUT + RESTREE_FANOUT + 2;
    for (size_t n = 1; n <= most; n += n < 3 * RESTREE_FANOUT ? 1 : 7) {
        for (unsigned order = 0; order < 3; order++) {
            world w;
            world_init(&w, 1 + n);
            for (size_t i = 0; i < n; i++) {
                add(&w, LO + 2 * i * PAGE, PAGE);
            }
            check_tree(&w);
            probe(&w);
            while (w.o.n > 0) {
                drop_at(&w, order == 0 ? 0 : order == 1 ? w.o.n - 1 : w.o.n / 2);
                check_tree(&w);
            }
            world_fini(&w);
        }
    }
}

/* Prepares an insert at start (after `leaving` goes, if set): first with
 * the 1st, 2nd, ... allocation failing, each leaving the tree and the
 * allocator as they were, then for real. Returns how many nodes it took. */
static uint64_t prepare_every_way(world *w, vs_addr start, const res_node *leaving)
{
    size_t bytes = w->ta.live_bytes;
    for (uint64_t nth = 1;; nth++) {
        talloc_fail_nth(&w->ta, nth);
        vs_result r = restree_prepare(&w->tree, start, leaving);
        int fired = w->ta.fired;
        talloc_disarm(&w->ta);
        if (!fired) {
            CHECK_RES(r, VS_OK);
            return w->tree.spare_count;
        }
        CHECK_RES(r, VS_ERR_NO_MEMORY);
        CHECK_EQ_U(w->ta.live_bytes, bytes);
        check_tree(w);
    }
}

/* The insert after a prepare takes no memory, and leaves none over. */
static void insert_without_memory(world *w, vs_addr start)
{
    uint64_t failed = w->ta.failed_allocs;
    talloc_fail_after(&w->ta, 0);
    add_prepared(w, start, PAGE);
    talloc_disarm(&w->ta);
    CHECK_EQ_U(w->ta.failed_allocs, failed);
    check_tree(w);
}

/* Appends until the root has split twice: each prepare fails cleanly at
 * each of its allocations, and takes exactly what the insert then uses
 * (height + 1 nodes when every node on the path is full). */
static void test_prepare_failure(void)
{
    world w;
    world_init(&w, 7);
    uint64_t most = 0;
    while (w.tree.height < 3) {
        size_t nodes = w.tree.nodes;
        vs_addr start = LO + 2 * w.o.n * PAGE;
        uint64_t took = prepare_every_way(&w, start, NULL);
        most = took > most ? took : most;
        insert_without_memory(&w, start);
        CHECK_EQ_U(w.tree.nodes, nodes + took);
    }
    CHECK_EQ_U(most, 3); /* the insert that made the third level */
    world_fini(&w);
}

/* A move: prepare for the new place with the old one leaving, remove,
 * insert, and no allocation in between, also when the removal takes out
 * the root and the insert then needs a new one. */
static void test_move_prepare(void)
{
    for (uint64_t seed = 1; seed <= 300; seed++) {
        world w;
        world_init(&w, seed);
        size_t n = RESTREE_FANOUT + below(&w, (uint64_t)RESTREE_FANOUT * RESTREE_FANOUT);
        for (size_t i = 0; i < n; i++) {
            add(&w, LO + 2 * i * PAGE, PAGE);
        }
        for (unsigned moves = 0; moves < 20 && w.o.n > 1; moves++) {
            size_t i = (size_t)below(&w, w.o.n);
            res_node *leaving = w.o.res[i];
            vs_addr to = below(&w, 2) ? LO + 2 * (vs_addr)w.o.n * PAGE + 2 * PAGE * below(&w, 4)
                                      : w.o.res[below(&w, w.o.n)]->start + PAGE;
            if (!oracle_free(&w.o, to, to + PAGE) && !(leaving->start == to)) {
                continue;
            }
            prepare_every_way(&w, to, leaving);
            uint64_t failed = w.ta.failed_allocs;
            talloc_fail_after(&w.ta, 0);
            restree_remove(&w.tree, leaving, w.links[leaving->slot]);
            leaving->start = to;
            leaving->end = to + PAGE;
            restree_insert(&w.tree, leaving);
            talloc_disarm(&w.ta);
            CHECK_EQ_U(w.ta.failed_allocs, failed);
            for (size_t j = i; j + 1 < w.o.n; j++) {
                w.o.res[j] = w.o.res[j + 1];
            }
            w.o.n--;
            size_t at = oracle_at(&w.o, to);
            for (size_t j = w.o.n; j > at; j--) {
                w.o.res[j] = w.o.res[j - 1];
            }
            w.o.res[at] = leaving;
            w.o.n++;
            check_tree(&w);
        }
        world_fini(&w);
    }
}

int main(void)
{
    test_boundaries();
    test_prepare_failure();
    test_move_prepare();
    test_random(1, 20000, 40);
    test_random(2, 60000, 600);
    test_random(3, 60000, MAX_RES);
    return test_summary("core_restree");
}
