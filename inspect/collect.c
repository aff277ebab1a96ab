/* Gathering the walks into arrays (collect.h). */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct grow {
    void *items;
    size_t count;
    size_t cap;
    size_t size;
    int failed;
} grow;

static void *grow_push(grow *g)
{
    if (g->count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        void *p = realloc(g->items, cap * g->size);
        if (p == NULL) {
            g->failed = 1;
            return NULL;
        }
        g->items = p;
        g->cap = cap;
    }
    return (char *)g->items + g->count++ * g->size;
}

typedef struct res_walk {
    grow *g;
    const vs_space *vs;
} res_walk;

static int take_res(void *ctx, const vs_reservation *res)
{
    const res_walk *w = ctx;
    ins_res *r = grow_push(w->g);
    if (r == NULL) {
        return 1;
    }
    vs_reservation_get_info(w->vs, res, &r->info);
    r->handle = res;
    return 0;
}

static int take_run(void *ctx, const vs_mapped_run *run)
{
    vs_mapped_run *r = grow_push(ctx);
    if (r == NULL) {
        return 1;
    }
    *r = *run;
    return 0;
}

static int take_table(void *ctx, const vs_table_occupancy *t)
{
    vs_table_occupancy *r = grow_push(ctx);
    if (r == NULL) {
        return 1;
    }
    *r = *t;
    return 0;
}

int ins_collect(const vs_space *vs, ins_space *out, int want_tables)
{
    memset(out, 0, sizeof *out);
    grow res = {NULL, 0, 0, sizeof(ins_res), 0};
    grow runs = {NULL, 0, 0, sizeof(vs_mapped_run), 0};
    grow tables = {NULL, 0, 0, sizeof(vs_table_occupancy), 0};
    res_walk rw = {&res, vs};
    vs_for_each_reservation(vs, take_res, &rw);
    int bad = res.failed || vs_walk_runs(vs, take_run, &runs) != VS_OK || runs.failed;
    if (!bad && want_tables) {
        bad = vs_walk_tables(vs, take_table, &tables) != VS_OK || tables.failed;
    }
    if (bad) {
        free(res.items);
        free(runs.items);
        free(tables.items);
        return -1;
    }
    *out = (ins_space){res.items, res.count, runs.items, runs.count, tables.items, tables.count};
    return 0;
}

void ins_free(ins_space *s)
{
    free(s->res);
    free(s->runs);
    free(s->tables);
    memset(s, 0, sizeof *s);
}

const ins_res *ins_res_of(const ins_space *s, const vs_mapped_run *r)
{
    for (size_t lo = 0, hi = s->nres; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->res[mid].info.end <= r->start) {
            lo = mid + 1;
        } else if (s->res[mid].info.start > r->start) {
            hi = mid;
        } else {
            return s->res[mid].handle == r->res ? &s->res[mid] : NULL;
        }
    }
    return NULL;
}

const char *ins_size_str(uint64_t bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    double v = (double)bytes;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (v == (double)(uint64_t)v) {
        snprintf(buf, cap, "%llu %s", (unsigned long long)v, units[u]);
    } else {
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    }
    return buf;
}
