/* The model-based randomized test: generator, expected results, state
 * comparison. See model_test.h for the contract and README.md for use. */
#include "model_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vs/walk.h>

#include "../support/talloc.h"
#include "model.h"

enum { PG = 4096, MAX_RES = 48, POOL_MAX = 256, SAMPLE_LIMIT = 2048 };

#define BIT(r) (1u << (r))

typedef struct frame_pool {
    vs_object objs[POOL_MAX];
    size_t n;
} frame_pool;

typedef struct runner {
    const model_test_config *cfg;
    const model_backend *be;
    const vs_arch *arch;
    uint64_t rng;
    talloc ta;
    vs_space *vs[2];
    vs_cap root[2];
    m_space m[2];
    frame_pool pool[VS_MAX_PAGE_SIZES];
    unsigned max_size_index; /* largest page size the model uses */
    vs_addr wlo, whi;        /* window most addresses are drawn from */
    uint64_t op, epoch;
    char desc[200];
    vs_result last;              /* what the operation returned */
    unsigned last_fired;         /* injections that fired during it */
    size_t releases_absorbed[2]; /* release failures the model expects in each vspace's stats */
    vs_stats before_call[2];     /* both vspaces' stats before the last mutating call (inj_begin) */
    int failed;
} runner;

/* ---- randomness ---- */

static uint64_t rnd(runner *r)
{
    uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(runner *r, uint64_t n)
{
    return n == 0 ? 0 : rnd(r) % n;
}

static int chance(runner *r, unsigned permille)
{
    return below(r, 1000) < permille;
}

/* ---- failure reporting ---- */

static int fail(runner *r, const char *fmt, ...)
{
    if (r->failed++) {
        return 1;
    }
    va_list ap;
    fprintf(stderr, "MODEL FAILURE arch=%s seed=%llu epoch=%llu op=%llu: %s\n  ", r->arch->name,
            (unsigned long long)r->cfg->seed, (unsigned long long)r->epoch, (unsigned long long)r->op, r->desc);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  the operation returned %s%s%s", vs_result_name(r->last),
            r->last_fired & BIT(VS_ERR_NO_MEMORY) ? " (allocation failure injected)" : "",
            r->last_fired & BIT(VS_ERR_KERNEL) ? " (kernel failure injected)" : "");
    fprintf(stderr, "\n  replay: VSPACE_SEED=%llu (same --ops and arch)\n", (unsigned long long)r->cfg->seed);
    return 1;
}

static void describe(runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->desc, sizeof r->desc, fmt, ap);
    va_end(ap);
}

/* ---- caller frames ---- */

static int frame_get(runner *r, unsigned si, vs_object *out)
{
    frame_pool *p = &r->pool[si];
    if (p->n > 0) {
        *out = p->objs[--p->n];
        return 0;
    }
    return r->be->new_frame(r->be->ctx, r->arch->page_sizes[si].bits, out);
}

static void frame_put(runner *r, unsigned si, vs_object o)
{
    frame_pool *p = &r->pool[si];
    if (p->n < POOL_MAX) {
        p->objs[p->n++] = o;
    } else if (r->be->free_frame != NULL) {
        r->be->free_frame(r->be->ctx, si, &o);
    }
}

/* What happens to a page's frame when it is unmapped. */
static void frame_released(runner *r, const m_map *mp, int free_frames)
{
    vs_object o = {mp->cap, mp->cookie};
    if (mp->owner == VS_OWNER_CALLER && !free_frames) {
        frame_put(r, mp->size_index, o);
    } /* the vspace frees its own frames and deletes copies: check_clean proves it */
}

/* ---- address generation ---- */

static vs_addr pick_addr(runner *r, const m_space *m)
{
    uint64_t k = below(r, 100);
    vs_addr a;
    if (k < 45 && m->nres > 0) {
        const m_res *x = &m->res[below(r, m->nres)];
        a = (below(r, 2) ? x->start : x->end) + (below(r, 9) - 4) * PG;
    } else if (k < 90) {
        a = r->wlo + below(r, (r->whi - r->wlo) / PG) * PG;
    } else {
        vs_addr edges[4] = {m->base, m->end - PG, m->end, m->base - PG};
        a = edges[below(r, 4)];
    }
    if (chance(r, 20)) {
        a += 1 + below(r, PG - 1);
    }
    return a;
}

static unsigned pick_size_index(runner *r)
{
    uint64_t k = below(r, 100);
    return k < 75 ? 0 : (unsigned)(1 + below(r, r->max_size_index));
}

/* Aligns a down to the page size, usually, so large pages get placed. */
static vs_addr align_for(runner *r, vs_addr a, unsigned si)
{
    return chance(r, 900) ? a & ~((1ull << r->arch->page_sizes[si].bits) - 1) : a;
}

/* ---- expected-result helpers ---- */

/* Allowed results for a range [a, a + size) that must be page aligned,
 * inside the managed range and in one reservation; -1 if it is in one. */
static unsigned range_errors(const m_space *m, vs_addr a, uint64_t size, long *res)
{
    *res = -1;
    if (size == 0 || a % PG != 0 || size % PG != 0) {
        return BIT(VS_ERR_INVALID_ARG);
    }
    if (a + size < a) { /* wraps around: malformed or out of range, either is fair */
        return BIT(VS_ERR_INVALID_ARG) | BIT(VS_ERR_OUT_OF_RANGE) | BIT(VS_ERR_NOT_RESERVED);
    }
    if (a < m->base || a + size > m->end) {
        return BIT(VS_ERR_OUT_OF_RANGE) | BIT(VS_ERR_NOT_RESERVED);
    }
    *res = m_res_holding(m, a, a + size);
    return *res < 0 ? BIT(VS_ERR_NOT_RESERVED) : 0;
}

static uint64_t map_bytes(const m_space *m, const m_map *mp)
{
    return 1ull << m->arch->page_sizes[mp->size_index].bits;
}

/* Mappings overlapping [a, b): count, whether one is cut by an edge, bytes covered, largest size. */
typedef struct overlap {
    size_t count;
    int cut;
    uint64_t covered;
    unsigned max_si;
} overlap;

static overlap overlaps(const m_space *m, vs_addr a, vs_addr b)
{
    overlap o = {0, 0, 0, 0};
    for (size_t i = 0; i < m->nmaps; i++) {
        const m_map *mp = &m->maps[i];
        vs_addr e = mp->vaddr + map_bytes(m, mp);
        if (mp->vaddr < b && a < e) {
            o.count++;
            o.cut |= mp->vaddr < a || e > b;
            o.covered += (e < b ? e : b) - (mp->vaddr > a ? mp->vaddr : a);
            o.max_si = mp->size_index > o.max_si ? mp->size_index : o.max_si;
        }
    }
    return o;
}

/* Removes the mappings inside [a, b) from the model, releasing frames. */
static void model_unmap(runner *r, m_space *m, vs_addr a, vs_addr b, int free_frames)
{
    for (size_t i = m->nmaps; i-- > 0;) {
        const m_map *mp = &m->maps[i];
        if (mp->vaddr >= a && mp->vaddr < b) {
            frame_released(r, mp, free_frames);
            m_map_remove(m, mp);
        }
    }
}

static int allowed_or_fail(runner *r, vs_result got, unsigned allowed)
{
    r->last = got;
    if (got < VS_RESULT_COUNT && (allowed & BIT(got))) {
        return 0;
    }
    char want[160] = "";
    for (int i = 0; i < VS_RESULT_COUNT; i++) {
        if (allowed & BIT(i)) {
            strncat(want, vs_result_name((vs_result)i), sizeof want - strlen(want) - 2);
            strncat(want, " ", sizeof want - strlen(want) - 1);
        }
    }
    return fail(r, "returned %s, model allows: %s", vs_result_name(got), want);
}

/* ---- injection around one call ---- */

static void inj_begin(runner *r, int kernel_ok)
{
    vs_get_stats(r->vs[0], &r->before_call[0]);
    vs_get_stats(r->vs[1], &r->before_call[1]);
    talloc_disarm(&r->ta);
    if (chance(r, r->cfg->alloc_fail_permille)) {
        talloc_fail_nth(&r->ta, 1 + below(r, 4));
    }
    /* One fault per operation: a second one inside the rollback is BUGS.md B3. */
    if (r->ta.fail_at == 0 && kernel_ok && r->be->inject != NULL && chance(r, r->cfg->kernel_fail_permille)) {
        r->be->inject(r->be->ctx, 1 + below(r, 6));
    }
}

static size_t release_failures(runner *r, int s)
{
    vs_stats st;
    vs_get_stats(r->vs[s], &st);
    return st.release_failures;
}

/* After every operation: a call that returned VS_OK although an injected
 * kernel failure fired may have absorbed a refused release after its
 * commit (a frame freed or a copy deleted after an unmap, an empty table
 * freed once a large page replaced it): exactly one more release failure, which the
 * backend then carries out so the kernel is clean at the end of the epoch.
 * Any other change of the count is a failure nobody injected. */
static int check_releases(runner *r)
{
    for (int s = 0; s < 2; s++) {
        size_t now = release_failures(r, s);
        if (now == r->releases_absorbed[s]) {
            continue;
        }
        int absorbed = r->last == VS_OK && (r->last_fired & BIT(VS_ERR_KERNEL)) && now == r->releases_absorbed[s] + 1;
        if (!absorbed) {
            return fail(r, "vspace %d counts %zu release failures, expected %zu", s, now, r->releases_absorbed[s]);
        }
        r->releases_absorbed[s] = now;
        if (r->be->reclaim != NULL) {
            r->be->reclaim(r->be->ctx);
        }
        r->last_fired = 0;
    }
    return 0;
}

/* Extra results the injections that fired allow. */
static unsigned inj_end(runner *r)
{
    unsigned extra = r->ta.fired ? BIT(VS_ERR_NO_MEMORY) : 0;
    talloc_disarm(&r->ta);
    if (r->be->inject != NULL) {
        extra |= r->be->fired(r->be->ctx) ? BIT(VS_ERR_KERNEL) : 0;
        r->be->inject(r->be->ctx, 0);
    }
    r->last_fired = extra;
    return extra;
}

/* ---- state comparison ---- */

typedef struct walk {
    runner *r;
    const m_space *m;
    const vs_space *vs;
    size_t i;
    int bad;
} walk;

static int cmp_res(void *ctx, const vs_reservation *res)
{
    walk *w = ctx;
    vs_reservation_info info;
    vs_reservation_get_info(w->vs, res, &info);
    if (w->i >= w->m->nres) {
        w->bad = fail(w->r, "extra reservation [%#llx, %#llx)", (unsigned long long)info.start,
                      (unsigned long long)info.end);
        return 1;
    }
    const m_res *x = &w->m->res[w->i++];
    if (x->handle != res || x->start != info.start || x->end != info.end || x->rights != info.rights ||
        x->cache != info.cache || strcmp(x->name, info.name) != 0 || x->mapped_pages != info.mapped_pages) {
        w->bad =
            fail(w->r, "reservation [%#llx, %#llx) mapped %llu differs from model [%#llx, %#llx) mapped %llu",
                 (unsigned long long)info.start, (unsigned long long)info.end, (unsigned long long)info.mapped_pages,
                 (unsigned long long)x->start, (unsigned long long)x->end, (unsigned long long)x->mapped_pages);
        return 1;
    }
    return 0;
}

static int compare_reservations(runner *r, int s)
{
    walk w = {r, &r->m[s], r->vs[s], 0, 0};
    vs_for_each_reservation(r->vs[s], cmp_res, &w);
    if (!w.bad && w.i != r->m[s].nres) {
        return fail(r, "vspace %d has %zu reservations, model %zu", s, w.i, r->m[s].nres);
    }
    vs_stats st;
    vs_get_stats(r->vs[s], &st);
    if (!w.bad && (st.reservations != r->m[s].nres || st.reserved_pages != r->m[s].reserved_pages ||
                   st.mapped_pages != r->m[s].mapped_pages || vs_reservation_count(r->vs[s]) != r->m[s].nres)) {
        return fail(r, "stats of vspace %d: %zu res, %llu reserved, %llu mapped; model %zu, %llu, %llu", s,
                    st.reservations, (unsigned long long)st.reserved_pages, (unsigned long long)st.mapped_pages,
                    r->m[s].nres, (unsigned long long)r->m[s].reserved_pages, (unsigned long long)r->m[s].mapped_pages);
    }
    return w.bad;
}

static int compare_page(runner *r, int s, vs_addr a)
{
    const m_space *m = &r->m[s];
    vs_page p;
    memset(&p, 0, sizeof p);
    vs_result got = vs_lookup(r->vs[s], a, &p);
    if (a < m->base || a >= m->end) {
        return got == VS_ERR_OUT_OF_RANGE
                   ? 0
                   : fail(r, "lookup %#llx outside range gave %s", (unsigned long long)a, vs_result_name(got));
    }
    const m_map *mp = m_map_at(m, a);
    vs_page_state want = mp != NULL ? VS_PAGE_MAPPED : m_res_at(m, a) >= 0 ? VS_PAGE_RESERVED : VS_PAGE_EMPTY;
    if (got != VS_OK || p.state != want) {
        return fail(r, "vspace %d page %#llx: %s state %d, model state %d", s, (unsigned long long)a,
                    vs_result_name(got), (int)p.state, (int)want);
    }
    vs_cap fast = vs_get_cap(r->vs[s], a);
    if (mp == NULL) {
        return fast == 0 ? 0
                         : fail(r, "vs_get_cap(%#llx) = %llu for an unmapped page", (unsigned long long)a,
                                (unsigned long long)fast);
    }
    if (p.cap != mp->cap || fast != mp->cap || p.cookie != mp->cookie || p.owner != mp->owner ||
        p.page_vaddr != mp->vaddr || p.size_bits != r->arch->page_sizes[mp->size_index].bits) {
        return fail(r,
                    "vspace %d page %#llx: cap %llu/%llu cookie %#llx owner %d at %#llx bits %u; model cap %llu "
                    "cookie %#llx owner %d at %#llx",
                    s, (unsigned long long)a, (unsigned long long)p.cap, (unsigned long long)fast,
                    (unsigned long long)p.cookie, (int)p.owner, (unsigned long long)p.page_vaddr, p.size_bits,
                    (unsigned long long)mp->cap, (unsigned long long)mp->cookie, (int)mp->owner,
                    (unsigned long long)mp->vaddr);
    }
    return 0;
}

/* Every base page of [a, b) (sampled when large), plus one page either side. */
static int compare_range(runner *r, int s, vs_addr a, vs_addr b)
{
    a &= ~(vs_addr)(PG - 1);
    uint64_t pages = b > a ? (b - a + PG - 1) / PG : 0;
    uint64_t step = pages > SAMPLE_LIMIT ? pages / 256 : 1;
    for (uint64_t i = 0; i < pages; i += step) {
        if (compare_page(r, s, a + i * PG)) {
            return 1;
        }
    }
    return compare_page(r, s, a - PG) || (pages > 0 && compare_page(r, s, a + (pages - 1) * PG)) ||
           compare_page(r, s, a + pages * PG);
}

static void report_violation(void *ctx, const vs_violation *v)
{
    runner *r = ctx;
    fail(r, "vs_check: %s at %#llx (expected %llu, found %llu): %s", vs_violation_kind_name(v->kind),
         (unsigned long long)v->vaddr, (unsigned long long)v->expected, (unsigned long long)v->found,
         v->what != NULL ? v->what : "");
}

static int check_both(runner *r)
{
    for (int s = 0; s < 2; s++) {
        size_t n = 0;
        vs_result c = vs_check(r->vs[s], report_violation, r, &n);
        if (c != VS_OK || n != 0) {
            return fail(r, "vs_check(vspace %d) = %s with %zu violations", s, vs_result_name(c), n);
        }
        if (compare_reservations(r, s)) {
            return 1;
        }
    }
    return 0;
}

static int full_compare(runner *r)
{
    for (int s = 0; s < 2; s++) {
        const m_space *m = &r->m[s];
        for (size_t i = 0; i < m->nres; i++) {
            if (compare_range(r, s, m->res[i].start, m->res[i].end)) {
                return 1;
            }
        }
        for (size_t i = 0; i < m->nmaps; i++) {
            if (compare_page(r, s, m->maps[i].vaddr + map_bytes(m, &m->maps[i]) - 1)) {
                return 1;
            }
        }
        char msg[200] = "";
        if (r->be->verify != NULL && r->be->verify(r->be->ctx, r->vs[s], r->root[s], msg, sizeof msg) != 0) {
            return fail(r, "kernel disagrees with vspace %d: %s", s, msg);
        }
    }
    return 0;
}

/* ---- operations: each draws arguments, predicts, calls, compares ---- */

static const char *const names[] = {"", "text", "stack", "a-name-that-is-longer-than-the-limit"};

static vs_attrs pick_attrs(runner *r)
{
    vs_attrs a = {names[below(r, 4)], (uint8_t)below(r, 8), (vs_cache)below(r, VS_CACHE_COUNT)};
    if (chance(r, 15)) {
        a.rights = 8 + (uint8_t)below(r, 8);
    }
    if (chance(r, 15)) {
        a.cache = VS_CACHE_COUNT;
    }
    return a;
}

static int attrs_bad(const vs_attrs *a)
{
    return a->rights > VS_RIGHTS_ALL || (unsigned)a->cache >= VS_CACHE_COUNT;
}

static m_res res_from(const vs_attrs *a, vs_addr start, uint64_t size, vs_reservation *h)
{
    m_res x;
    memset(&x, 0, sizeof x);
    x.start = start;
    x.end = start + size;
    x.rights = a->rights;
    x.cache = a->cache;
    x.handle = h;
    if (a->name != NULL) {
        strncpy(x.name, a->name, VS_NAME_MAX - 1);
    }
    return x;
}

static uint64_t pick_res_size(runner *r)
{
    uint64_t k = below(r, 100);
    if (k < 3) {
        return k == 0 ? 0 : PG + 1 + below(r, PG - 1);
    }
    if (k < 85) {
        return (1 + below(r, 16)) * PG;
    }
    return (1 + below(r, 3)) << r->arch->page_sizes[below(r, r->max_size_index + 1)].bits;
}

static int op_reserve(runner *r, int s)
{
    m_space *m = &r->m[s];
    uint64_t size = pick_res_size(r);
    uint64_t aligns[5] = {0, PG, 16 * PG, 1ull << r->arch->page_sizes[r->max_size_index].bits, 3 * PG};
    uint64_t align = chance(r, 30) ? PG / 2 : aligns[below(r, 5)];
    vs_attrs a = pick_attrs(r);
    describe(r, "vs_reserve(vs%d, size %#llx, align %#llx, rights %u, cache %u)", s, (unsigned long long)size,
             (unsigned long long)align, a.rights, (unsigned)a.cache);
    int found = 0;
    int bad = size == 0 || size % PG || attrs_bad(&a) || (align != 0 && (align < PG || (align & (align - 1))));
    vs_addr want = bad ? 0 : m_first_fit(m, size, align ? align : PG, &found);
    unsigned allowed = bad ? BIT(VS_ERR_INVALID_ARG) : found ? BIT(VS_OK) : BIT(VS_ERR_NO_SPACE);
    vs_reservation *h = NULL;
    inj_begin(r, 1);
    vs_result got = vs_reserve(r->vs[s], size, align, &a, &h);
    allowed |= inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    if (got == VS_OK) {
        m_res x = res_from(&a, want, size, h);
        m_res_insert(m, &x);
        return compare_range(r, s, want, want + size);
    }
    return 0;
}

static unsigned place_errors(const m_space *m, vs_addr a, uint64_t size, long except)
{
    if (size == 0 || a % PG || size % PG) {
        return BIT(VS_ERR_INVALID_ARG);
    }
    if (a + size < a) {
        return BIT(VS_ERR_INVALID_ARG) | BIT(VS_ERR_OUT_OF_RANGE);
    }
    if (a < m->base || a + size > m->end) {
        return BIT(VS_ERR_OUT_OF_RANGE);
    }
    return m_overlaps(m, a, a + size, except) ? BIT(VS_ERR_OVERLAP) : 0;
}

static int op_reserve_at(runner *r, int s)
{
    m_space *m = &r->m[s];
    vs_addr a = pick_addr(r, m);
    uint64_t size = pick_res_size(r);
    vs_attrs at = pick_attrs(r);
    describe(r, "vs_reserve_at(vs%d, %#llx, size %#llx)", s, (unsigned long long)a, (unsigned long long)size);
    unsigned err = place_errors(m, a, size, -1) | (attrs_bad(&at) ? BIT(VS_ERR_INVALID_ARG) : 0);
    vs_reservation *h = NULL;
    inj_begin(r, 1);
    vs_result got = vs_reserve_at(r->vs[s], a, size, &at, &h);
    unsigned allowed = (err ? err : BIT(VS_OK)) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    if (got == VS_OK) {
        m_res x = res_from(&at, a, size, h);
        m_res_insert(m, &x);
    }
    return compare_range(r, s, a, a + (size < (64ull << 20) ? size : PG));
}

static int op_free(runner *r, int s)
{
    m_space *m = &r->m[s];
    unsigned flags = (unsigned)below(r, 4);
    long i = m->nres > 0 ? (long)below(r, m->nres) : -1;
    vs_reservation *h = i >= 0 ? m->res[i].handle : NULL;
    uint64_t k = below(r, 100);
    if (k < 4 || (k < 8 && r->m[1 - s].nres > 0)) {
        i = -1; /* a NULL handle, or one of the other vspace: INVALID_ARG */
        h = k < 4 ? NULL : r->m[1 - s].res[0].handle;
    }
    describe(r, "vs_free(vs%d, res %ld, flags %u)", s, i, flags);
    unsigned allowed = i < 0                                                ? BIT(VS_ERR_INVALID_ARG)
                       : m->res[i].mapped_pages && !(flags & VS_FREE_UNMAP) ? BIT(VS_ERR_HAS_MAPPINGS)
                                                                            : BIT(VS_OK);
    inj_begin(r, r->be->reclaim != NULL);
    vs_result got = vs_free(r->vs[s], h, flags);
    allowed |= inj_end(r);
    if (allowed_or_fail(r, got, allowed) || got != VS_OK) {
        return r->failed;
    }
    vs_addr a = m->res[i].start, b = m->res[i].end;
    model_unmap(r, m, a, b, (flags & VS_FREE_UNMAP) && (flags & VS_FREE_FRAMES));
    m_res_remove(m, (size_t)i);
    return compare_range(r, s, a, b);
}

static int op_resize(runner *r, int s)
{
    m_space *m = &r->m[s];
    if (m->nres == 0) {
        return 0;
    }
    size_t i = below(r, m->nres);
    m_res *x = &m->res[i];
    uint64_t size = chance(r, 50) ? (x->end - x->start) + (below(r, 9) - 4) * PG : pick_res_size(r);
    describe(r, "vs_resize(vs%d, [%#llx, %#llx), new size %#llx)", s, (unsigned long long)x->start,
             (unsigned long long)x->end, (unsigned long long)size);
    unsigned err = 0;
    vs_addr ne = x->start + size;
    if (size == 0 || size % PG) {
        err = BIT(VS_ERR_INVALID_ARG);
    } else if (ne < x->start) { /* wraps: malformed or out of range, either is fair */
        err = BIT(VS_ERR_INVALID_ARG) | BIT(VS_ERR_OUT_OF_RANGE);
    } else if (ne > m->end) {
        err = BIT(VS_ERR_OUT_OF_RANGE);
    } else if (ne > x->end && m_overlaps(m, x->end, ne, (long)i)) {
        err = BIT(VS_ERR_OVERLAP);
    } else if (ne < x->end && overlaps(m, ne, x->end).count > 0) {
        err = BIT(VS_ERR_HAS_MAPPINGS);
    }
    inj_begin(r, 1);
    vs_result got = vs_resize(r->vs[s], x->handle, size);
    unsigned allowed = (err ? err : BIT(VS_OK)) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    vs_addr old_end = x->end;
    if (got == VS_OK) {
        if (ne > old_end) {
            m->reserved_pages += (ne - old_end) / PG;
        } else {
            m->reserved_pages -= (old_end - ne) / PG;
        }
        x->end = ne;
    }
    vs_addr hi = ne > old_end ? ne : old_end;
    return compare_range(r, s, x->start, hi < x->start + (64ull << 20) ? hi : x->start + PG);
}

static int op_move(runner *r, int s)
{
    m_space *m = &r->m[s];
    if (m->nres == 0) {
        return 0;
    }
    size_t i = below(r, m->nres);
    m_res *x = &m->res[i];
    vs_addr to = chance(r, 30) ? x->start + (below(r, 9) - 4) * PG : pick_addr(r, m);
    uint64_t size = x->end - x->start;
    describe(r, "vs_move(vs%d, [%#llx, %#llx) to %#llx)", s, (unsigned long long)x->start, (unsigned long long)x->end,
             (unsigned long long)to);
    unsigned err = place_errors(m, to, size, (long)i);
    if (x->mapped_pages != 0) {
        err |= BIT(VS_ERR_HAS_MAPPINGS);
    }
    inj_begin(r, 1);
    vs_result got = vs_move(r->vs[s], x->handle, to);
    unsigned allowed = (err ? err : BIT(VS_OK)) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    vs_addr old = x->start;
    if (got == VS_OK) {
        x->start = to;
        x->end = to + size;
        m_res_resort(m, i);
        uint64_t span = size < (64ull << 20) ? size : PG;
        return compare_range(r, s, old, old + span) || compare_range(r, s, to, to + span);
    }
    return 0;
}

/* Errors common to vs_map and vs_map_new. */
static unsigned map_errors(runner *r, const m_space *m, vs_addr a, size_t n, unsigned bits)
{
    int si = vs_arch_page_size_index(r->arch, bits);
    if (n == 0 || si < 0 || a % (1ull << bits)) {
        return BIT(VS_ERR_INVALID_ARG);
    }
    long res;
    uint64_t size = (uint64_t)n << bits;
    unsigned err = range_errors(m, a, size, &res);
    if (err == 0 && overlaps(m, a, a + size).count > 0) {
        err = BIT(VS_ERR_ALREADY_MAPPED);
    }
    return err;
}

static void pick_map_args(runner *r, const m_space *m, vs_addr *a, size_t *n, unsigned *bits, unsigned *si)
{
    *si = pick_size_index(r);
    *bits = chance(r, 15) ? 13 : r->arch->page_sizes[*si].bits;
    *a = align_for(r, pick_addr(r, m), *si);
    *n = *si == 0 ? (size_t)below(r, 6) : (size_t)below(r, 3);
}

static void add_maps(runner *r, m_space *m, int s, vs_addr a, size_t n, unsigned si)
{
    for (size_t k = 0; k < n; k++) {
        vs_addr va = a + (k << r->arch->page_sizes[si].bits);
        vs_page p;
        vs_lookup(r->vs[s], va, &p); /* new caps (map_new, share) are the core's choice */
        m_map mp = {va, si, p.cap, p.cookie, p.owner};
        m_map_add(m, &mp);
    }
}

static int op_map(runner *r, int s)
{
    m_space *m = &r->m[s];
    vs_addr a;
    size_t n;
    unsigned bits, si;
    pick_map_args(r, m, &a, &n, &bits, &si);
    vs_object objs[8];
    vs_cap caps[8];
    uintptr_t cookies[8];
    for (size_t k = 0; k < n; k++) {
        if (frame_get(r, si, &objs[k]) != 0) {
            return fail(r, "backend could not make a frame");
        }
        caps[k] = objs[k].cap;
        cookies[k] = objs[k].cookie;
    }
    unsigned err = map_errors(r, m, a, n, bits);
    if (n > 0 && chance(r, 20)) {
        caps[below(r, n)] = chance(r, 500) || r->arch->word_bits == 64 ? 0 : 1ull << 33;
        err |= BIT(VS_ERR_CAP_RANGE);
    }
    describe(r, "vs_map(vs%d, %#llx, n %zu, bits %u)", s, (unsigned long long)a, n, bits);
    inj_begin(r, 1);
    vs_result got = vs_map(r->vs[s], a, caps, cookies, n, bits);
    unsigned allowed = (err ? err : BIT(VS_OK)) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    if (got == VS_OK) {
        add_maps(r, m, s, a, n, si);
    } else {
        for (size_t k = 0; k < n; k++) {
            frame_put(r, si, objs[k]);
        }
    }
    return n > 0 && bits != 13 ? compare_range(r, s, a, a + ((uint64_t)n << bits)) : compare_page(r, s, a);
}

static int map_new_at(runner *r, int s, vs_addr a, size_t n, unsigned bits, unsigned si)
{
    m_space *m = &r->m[s];
    describe(r, "vs_map_new(vs%d, %#llx, n %zu, bits %u)", s, (unsigned long long)a, n, bits);
    unsigned err = map_errors(r, m, a, n, bits);
    inj_begin(r, 1);
    vs_result got = vs_map_new(r->vs[s], a, n, bits);
    unsigned allowed = (err ? err : BIT(VS_OK)) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    if (got == VS_OK) {
        add_maps(r, m, s, a, n, si);
    }
    return n > 0 && bits != 13 ? compare_range(r, s, a, a + ((uint64_t)n << bits)) : compare_page(r, s, a);
}

static int op_map_new(runner *r, int s)
{
    vs_addr a;
    size_t n;
    unsigned bits, si;
    pick_map_args(r, &r->m[s], &a, &n, &bits, &si);
    return map_new_at(r, s, a, n, bits, si);
}

static uint64_t pick_len(runner *r)
{
    uint64_t k = below(r, 100);
    if (k < 70) {
        return (1 + below(r, 8)) * PG;
    }
    if (k < 95) {
        return (1 + below(r, 2)) << r->arch->page_sizes[below(r, r->max_size_index + 1)].bits;
    }
    return k < 97 ? 0 : PG + 7;
}

/* Starts an unmap or share at a mapping most of the time, so it succeeds. */
static vs_addr pick_mapped_addr(runner *r, const m_space *m)
{
    if (m->nmaps > 0 && chance(r, 700)) {
        return m->maps[below(r, m->nmaps)].vaddr;
    }
    return pick_addr(r, m);
}

static int unmap_at(runner *r, int s, vs_addr a, uint64_t size, unsigned flags)
{
    m_space *m = &r->m[s];
    describe(r, "vs_unmap(vs%d, %#llx, size %#llx, flags %u)", s, (unsigned long long)a, (unsigned long long)size,
             flags);
    long res;
    unsigned err = range_errors(m, a, size, &res);
    if (err == 0) {
        overlap o = overlaps(m, a, a + size);
        err |= o.cut ? BIT(VS_ERR_INVALID_ARG) : 0;
        err |= o.covered < size ? BIT(VS_ERR_NOT_MAPPED) : 0;
    }
    inj_begin(r, r->be->reclaim != NULL);
    vs_result got = vs_unmap(r->vs[s], a, size, flags);
    unsigned allowed = (err ? err : BIT(VS_OK)) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    if (got == VS_OK) {
        model_unmap(r, m, a, a + size, flags & VS_UNMAP_FREE_FRAMES);
    }
    return compare_range(r, s, a, a + (size < (64ull << 20) ? size : PG));
}

static int op_unmap(runner *r, int s)
{
    m_space *m = &r->m[s];
    vs_addr a = pick_mapped_addr(r, m);
    uint64_t size = pick_len(r);
    const m_map *at = m_map_at(m, a);
    if (at != NULL && at->vaddr == a && chance(r, 600)) {
        size = map_bytes(m, at) * (1 + below(r, 2));
    }
    return unmap_at(r, s, a, size, (unsigned)below(r, 2));
}

/* A large page where a base page was: the base page's empty table is in
 * its way, which the core must take down, and put back if the large page
 * fails. Three calls, each checked as its own operation; the first that
 * fails or has an injection fire ends the sequence, so the checks after
 * the operation see that call. */
static int op_large_over_base(runner *r, int s)
{
    m_space *m = &r->m[s];
    if (m->nres == 0 || r->max_size_index == 0) {
        return op_map_new(r, s);
    }
    const m_res *x = &m->res[below(r, m->nres)];
    unsigned si = (unsigned)(1 + below(r, r->max_size_index));
    unsigned bits = r->arch->page_sizes[si].bits;
    vs_addr a = (x->start + ((1ull << bits) - 1)) & ~((1ull << bits) - 1);
    if (a < x->start || a + (1ull << bits) > x->end) {
        return op_map_new(r, s);
    }
    vs_addr base_page = a + below(r, (1ull << bits) / PG) * PG;
    if (map_new_at(r, s, base_page, 1, 12, 0) || r->last != VS_OK || r->last_fired != 0) {
        return r->failed;
    }
    if (unmap_at(r, s, base_page, PG, 0) || r->last != VS_OK || r->last_fired != 0) {
        return r->failed;
    }
    return map_new_at(r, s, a, 1, bits, si);
}

static unsigned share_src_errors(const m_space *sm, vs_addr sa, uint64_t size, overlap *o)
{
    if (size == 0 || sa % PG || size % PG) {
        return BIT(VS_ERR_INVALID_ARG);
    }
    if (sa + size < sa) {
        return BIT(VS_ERR_INVALID_ARG) | BIT(VS_ERR_OUT_OF_RANGE) | BIT(VS_ERR_NOT_MAPPED) | BIT(VS_ERR_NOT_RESERVED);
    }
    if (sa < sm->base || sa + size > sm->end) {
        return BIT(VS_ERR_OUT_OF_RANGE) | BIT(VS_ERR_NOT_MAPPED) | BIT(VS_ERR_NOT_RESERVED);
    }
    *o = overlaps(sm, sa, sa + size);
    if (o->covered < size) {
        return BIT(VS_ERR_NOT_MAPPED) | (o->cut ? BIT(VS_ERR_INVALID_ARG) : 0);
    }
    return o->cut ? BIT(VS_ERR_INVALID_ARG) | BIT(VS_ERR_NOT_MAPPED) : 0;
}

static int op_share(runner *r, int d)
{
    int s = chance(r, 20) ? d : 1 - d;
    m_space *dm = &r->m[d], *sm = &r->m[s];
    vs_addr sa = pick_mapped_addr(r, sm);
    const m_map *at = m_map_at(sm, sa);
    uint64_t size = at != NULL && at->vaddr == sa && chance(r, 700) ? map_bytes(sm, at) : pick_len(r);
    vs_addr da = align_for(r, pick_addr(r, dm), at != NULL ? at->size_index : 0);
    describe(r, "vs_share(dst vs%d %#llx, src vs%d %#llx, size %#llx)", d, (unsigned long long)da, s,
             (unsigned long long)sa, (unsigned long long)size);
    overlap o = {0, 0, 0, 0};
    unsigned err = s == d ? BIT(VS_ERR_INVALID_ARG) : 0;
    err |= share_src_errors(sm, sa, size, &o);
    long res;
    unsigned derr = range_errors(dm, da, size, &res);
    if (derr == 0 && overlaps(dm, da, da + size).count > 0) {
        derr = BIT(VS_ERR_ALREADY_MAPPED);
    }
    uint64_t big = 1ull << r->arch->page_sizes[o.max_si].bits;
    err |= derr | (da % big || sa % big ? BIT(VS_ERR_INVALID_ARG) : 0);
    int spans = err == 0 && m_res_holding(sm, sa, sa + size) < 0;
    inj_begin(r, 1);
    vs_result got = vs_share(r->vs[d], da, r->vs[s], sa, size);
    unsigned allowed = (err ? err : BIT(VS_OK)) | (spans ? BIT(VS_ERR_NOT_RESERVED) : 0) | inj_end(r);
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    if (got == VS_OK) {
        for (size_t i = 0; i < sm->nmaps; i++) {
            const m_map *mp = &sm->maps[i];
            if (mp->vaddr >= sa && mp->vaddr < sa + size) {
                add_maps(r, dm, d, da + (mp->vaddr - sa), 1, mp->size_index);
            }
        }
    }
    return compare_range(r, d, da, da + (size < (64ull << 20) ? size : PG));
}

static int op_lookup(runner *r, int s)
{
    vs_addr a = pick_addr(r, &r->m[s]);
    describe(r, "vs_lookup(vs%d, %#llx)", s, (unsigned long long)a);
    return compare_page(r, s, a);
}

static int op_find(runner *r, int s)
{
    const m_space *m = &r->m[s];
    vs_addr a = pick_addr(r, m) + (chance(r, 300) ? PG - 1 : 0);
    describe(r, "vs_find(vs%d, %#llx)", s, (unsigned long long)a);
    long i = m_res_at(m, a);
    vs_reservation *h = NULL;
    vs_result got = vs_find(r->vs[s], a, &h);
    unsigned allowed = i >= 0 ? BIT(VS_OK) : BIT(VS_ERR_NOT_RESERVED);
    if (i < 0 && (a < m->base || a >= m->end)) {
        allowed |= BIT(VS_ERR_OUT_OF_RANGE);
    }
    if (allowed_or_fail(r, got, allowed)) {
        return 1;
    }
    return got == VS_OK && h != m->res[i].handle ? fail(r, "vs_find returned another reservation") : 0;
}

/* ---- epochs ---- */

static void choose_range(runner *r, vs_addr *base, vs_addr *end)
{
    const vs_arch *a = r->arch;
    uint64_t mid = 1ull << a->page_sizes[1].bits, top = 1ull << a->page_sizes[r->max_size_index].bits;
    vs_addr lo = a->user_base, hi = a->user_end;
    int fixed = r->be->range_end != 0; /* the backend says where: no default range */
    if (fixed) {
        lo = r->be->range_base, hi = r->be->range_end;
    }
    switch (below(r, 4)) {
    case 0: /* tiny: NO_SPACE and collisions are common */
        *base = lo + below(r, 64) * PG;
        *end = *base + 64 * PG;
        r->wlo = *base - 4 * PG, r->whi = *end + 4 * PG;
        break;
    case 1: /* a few large pages */
        *base = fixed ? (lo + mid - 1) / mid * mid : mid, *end = *base + 8 * mid;
        r->wlo = *base, r->whi = *end;
        break;
    case 2: /* default range, working at its bottom */
        *base = fixed ? lo : 0, *end = fixed ? hi : 0;
        r->wlo = lo, r->whi = lo + 32 * top;
        break;
    default: /* default range, working at its top */
        *base = fixed ? lo : 0, *end = fixed ? hi : 0;
        r->wlo = hi - 32 * top, r->whi = hi;
        break;
    }
}

static int epoch_setup(runner *r)
{
    r->releases_absorbed[0] = r->releases_absorbed[1] = 0;
    vs_addr base, end;
    choose_range(r, &base, &end);
    if (r->be->epoch_begin != NULL) {
        r->be->epoch_begin(r->be->ctx, r->epoch);
    }
    for (int s = 0; s < 2; s++) {
        r->root[s] = r->be->new_root(r->be->ctx);
        vs_config c = {r->arch, talloc_allocator(&r->ta), r->be->kernel(r->be->ctx), r->root[s], base, end};
        vs_result got = vs_create(&c, &r->vs[s]);
        if (got != VS_OK) {
            return fail(r, "vs_create: %s", vs_result_name(got));
        }
        m_init(&r->m[s], r->arch, base ? base : r->arch->user_base, end ? end : r->arch->user_end);
    }
    return 0;
}

static int epoch_teardown(runner *r)
{
    unsigned flags = chance(r, 500) ? VS_DESTROY_FREE_CALLER_FRAMES : 0;
    describe(r, "vs_destroy(flags %u) at end of epoch", flags);
    for (int s = 0; s < 2; s++) {
        m_space *m = &r->m[s];
        /* A kernel failure in the middle of teardown: it goes on, returns
         * every byte (checked below) and reports the failure. */
        int inject = r->be->reclaim != NULL && r->be->inject != NULL && chance(r, 10 * r->cfg->kernel_fail_permille);
        if (inject) {
            r->be->inject(r->be->ctx, 1 + below(r, 8));
        }
        int kerr = -1;
        vs_result got = vs_destroy(r->vs[s], flags, &kerr);
        int fired = inject && r->be->fired(r->be->ctx);
        if (inject) {
            r->be->inject(r->be->ctx, 0);
        }
        if (fired) {
            if (got != VS_ERR_KERNEL || kerr != r->be->injected_error) {
                fail(r, "vs_destroy(vspace %d) with a kernel failure injected = %s, error %d", s, vs_result_name(got),
                     kerr);
            }
            r->be->reclaim(r->be->ctx);
        } else if (got != VS_OK) {
            fail(r, "vs_destroy(vspace %d) = %s", s, vs_result_name(got));
        }
        for (size_t i = 0; i < m->nmaps; i++) {
            if (m->maps[i].owner == VS_OWNER_CALLER && !flags) {
                frame_put(r, m->maps[i].size_index, (vs_object){m->maps[i].cap, m->maps[i].cookie});
            }
        }
        m_fini(m);
    }
    for (unsigned si = 0; si < VS_MAX_PAGE_SIZES; si++) {
        while (r->pool[si].n > 0 && r->be->free_frame != NULL) {
            r->be->free_frame(r->be->ctx, si, &r->pool[si].objs[--r->pool[si].n]);
        }
        r->pool[si].n = 0;
    }
    if (r->ta.live_bytes != 0 || r->ta.errors != 0) {
        fail(r, "allocator after destroy: %zu live bytes, %u misuses (%s)", r->ta.live_bytes, r->ta.errors,
             r->ta.first_error);
    }
    char msg[200] = "";
    if (r->be->check_clean != NULL && r->be->check_clean(r->be->ctx, msg, sizeof msg) != 0) {
        fail(r, "kernel not clean after destroy: %s", msg);
    }
    return r->failed;
}

typedef int (*op_fn)(runner *r, int s);

static const struct {
    op_fn fn;
    unsigned weight;
} ops[] = {
    {op_reserve, 14}, {op_reserve_at, 10}, {op_free, 8},  {op_resize, 6}, {op_move, 5}, {op_map, 14},
    {op_map_new, 10}, {op_unmap, 12},      {op_share, 8}, {op_lookup, 7}, {op_find, 6}, {op_large_over_base, 3},
};

static int one_op(runner *r)
{
    int s = (int)below(r, 2);
    if (r->m[s].nres > MAX_RES) {
        return op_free(r, s); /* keep the state small enough to compare often */
    }
    unsigned total = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        total += ops[i].weight;
    }
    unsigned k = (unsigned)below(r, total);
    size_t i = 0;
    while (k >= ops[i].weight) {
        k -= ops[i++].weight;
    }
    return ops[i].fn(r, s);
}

/* A failed call changes nothing (I4), which the comparison with the model
 * shows for reservations and pages; this adds what the model does not
 * hold: the paging tables and the bookkeeping bytes, against the stats
 * inj_begin took just before the call. */
static int check_failed_call(runner *r)
{
    if (r->last == VS_OK) {
        return 0;
    }
    for (int s = 0; s < 2; s++) {
        vs_stats now;
        vs_get_stats(r->vs[s], &now);
        const vs_stats *before = &r->before_call[s];
        if (now.paging_tables != before->paging_tables || now.bookkeeping_bytes != before->bookkeeping_bytes) {
            return fail(r, "failed call changed vspace %d: %zu paging tables, %zu bookkeeping bytes; before %zu, %zu",
                        s, now.paging_tables, now.bookkeeping_bytes, before->paging_tables, before->bookkeeping_bytes);
        }
    }
    return 0;
}

static int run_epoch(runner *r, uint64_t count)
{
    uint64_t every = r->cfg->full_check_every ? r->cfg->full_check_every : 128;
    if (epoch_setup(r)) {
        return 1;
    }
    for (uint64_t i = 0; i < count && !r->failed; i++, r->op++) {
        r->last = VS_OK;
        r->last_fired = 0;
        vs_get_stats(r->vs[0], &r->before_call[0]); /* for an operation that makes no mutating call */
        vs_get_stats(r->vs[1], &r->before_call[1]);
        if (one_op(r) || check_failed_call(r) || check_releases(r) || check_both(r) ||
            (i % every == every - 1 && full_compare(r))) {
            break;
        }
    }
    if (!r->failed) {
        describe(r, "full comparison at end of epoch");
        full_compare(r);
    }
    epoch_teardown(r);
    return r->failed;
}

typedef struct verify_points {
    const vs_space *vs;
    vs_addr *mapped; /* first byte of every mapped page, ascending */
    size_t count;
    size_t cap;
    int (*fn)(void *ctx, vs_addr va, unsigned rights);
    void *ctx;
} verify_points;

static int collect_mapped(void *ctx, const vs_mapping *m)
{
    verify_points *v = ctx;
    if (v->count == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->mapped = realloc(v->mapped, v->cap * sizeof *v->mapped);
        if (v->mapped == NULL) {
            abort();
        }
    }
    v->mapped[v->count++] = m->vaddr;
    return 0;
}

static int points_in(void *ctx, const vs_reservation *res)
{
    verify_points *v = ctx;
    vs_reservation_info info;
    vs_reservation_get_info(v->vs, res, &info);
    size_t i = 0;
    while (i < v->count && v->mapped[i] < info.start) {
        i++;
    }
    int r = 0;
    for (vs_addr va = info.start; va < info.end && r == 0;) {
        vs_addr next = i < v->count && v->mapped[i] < info.end ? v->mapped[i] : info.end;
        if (va < next) {
            r = v->fn(v->ctx, va, info.rights);
            if (r == 0 && next - va > 4096) {
                r = v->fn(v->ctx, next - 4096, info.rights);
            }
            va = next;
            continue;
        }
        r = v->fn(v->ctx, va, info.rights);
        vs_page p;
        vs_lookup(v->vs, va, &p);
        va = p.state == VS_PAGE_MAPPED ? p.page_vaddr + (1ull << p.size_bits) : va + 4096;
        i++;
    }
    return r;
}

int model_verify_points(const vs_space *vs, int (*fn)(void *ctx, vs_addr va, unsigned rights), void *ctx)
{
    verify_points v = {vs, NULL, 0, 0, fn, ctx};
    if (vs_walk_pages(vs, collect_mapped, &v) != VS_OK) {
        abort();
    }
    int r = vs_for_each_reservation(vs, points_in, &v);
    free(v.mapped);
    return r;
}

/* Every page size of the arch, 1 GiB included: a large page is one record
 * in the shadow, so it costs an audit no more than a base page. */
static unsigned largest_modelled_size(const vs_arch *a)
{
    return a->num_page_sizes - 1u;
}

int model_test_run(const model_test_config *cfg)
{
    runner r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.be = cfg->backend;
    r.arch = cfg->arch;
    r.rng = cfg->seed * 0x2545f4914f6cdd1dull + cfg->arch->id;
    r.max_size_index = largest_modelled_size(cfg->arch);
    talloc_init(&r.ta);
    uint64_t per = cfg->ops_per_epoch ? cfg->ops_per_epoch : 4000;
    for (uint64_t done = 0; done < cfg->ops && !r.failed; done += per, r.epoch++) {
        run_epoch(&r, cfg->ops - done < per ? cfg->ops - done : per);
    }
    talloc_fini(&r.ta);
    if (cfg->verbose && !r.failed) {
        printf("model %s: %llu ops in %llu epochs ok\n", cfg->arch->name, (unsigned long long)r.op,
               (unsigned long long)r.epoch);
    }
    return r.failed != 0;
}

void model_test_backend_args(int argc, char **argv, model_test_config *cfg)
{
    *cfg = (model_test_config){argc > 1 ? vs_arch_by_name(argv[1]) : NULL, 20240611, 20000, 0, 20, 20, 0, NULL, 0};
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "0";
        if (strcmp(argv[i], "-v") == 0) {
            cfg->verbose = 1;
            continue;
        }
        i++;
        if (strcmp(argv[i - 1], "--ops") == 0) {
            cfg->ops = strtoull(v, NULL, 0);
        } else if (strcmp(argv[i - 1], "--seed") == 0) {
            cfg->seed = strtoull(v, NULL, 0);
        } else if (strcmp(argv[i - 1], "--kernel-fail") == 0) {
            cfg->kernel_fail_permille = (unsigned)strtoul(v, NULL, 0);
        } else if (strcmp(argv[i - 1], "--alloc-fail") == 0) {
            cfg->alloc_fail_permille = (unsigned)strtoul(v, NULL, 0);
        }
    }
}
