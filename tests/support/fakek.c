/* The recording fake kernel. See fakek.h for what it models and why. */
#include "fakek.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_TABLE = 64 }; /* slot tags: page-size bits for frames, TAG_TABLE + level for tables */

struct fk_slot {
    uint8_t state; /* 0 empty, 1 used, 2 deleted */
    uint8_t tag;
    uint32_t sub; /* frames of smaller sizes mapped inside this block */
    vs_cap root;
    vs_addr addr;
    vs_cap cap; /* the frame or table occupying exactly this block, or 0 */
};

static const vs_kstatus KOK = {0, -1};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        abort();
    }
    return q;
}

static void violation(fakek *fk, const char *fmt, ...)
{
    if (fk->violations++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fk->first_violation, sizeof fk->first_violation, fmt, ap);
        va_end(ap);
    }
}

/* ---- the (root, tag, addr) index ---- */

static size_t slot_hash(vs_cap root, unsigned tag, vs_addr addr, size_t cap)
{
    uint64_t x = addr ^ (root * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)tag << 56);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return (size_t)x & (cap - 1);
}

static fk_slot *slot_find(const fakek *fk, vs_cap root, unsigned tag, vs_addr addr)
{
    size_t mask = fk->slots_capacity - 1;
    for (size_t i = slot_hash(root, tag, addr, fk->slots_capacity);; i = (i + 1) & mask) {
        fk_slot *s = &fk->slots[i];
        if (s->state == 0) {
            return NULL;
        }
        if (s->state == 1 && s->root == root && s->tag == tag && s->addr == addr) {
            return s;
        }
    }
}

static void slots_rehash(fakek *fk, size_t capacity)
{
    fk_slot *old = fk->slots;
    size_t old_cap = fk->slots_capacity;
    fk->slots = calloc(capacity, sizeof *fk->slots);
    if (fk->slots == NULL) {
        abort();
    }
    fk->slots_capacity = capacity;
    fk->slots_used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].state == 1) {
            size_t j = slot_hash(old[i].root, old[i].tag, old[i].addr, capacity);
            while (fk->slots[j].state != 0) {
                j = (j + 1) & (capacity - 1);
            }
            fk->slots[j] = old[i];
            fk->slots_used++;
        }
    }
    free(old);
}

/* The slot for the key, created empty if absent. */
static fk_slot *slot_get(fakek *fk, vs_cap root, unsigned tag, vs_addr addr)
{
    fk_slot *s = slot_find(fk, root, tag, addr);
    if (s != NULL) {
        return s;
    }
    if (2 * (fk->slots_used + 1) > fk->slots_capacity) {
        slots_rehash(fk, fk->slots_capacity * 2);
    }
    size_t i = slot_hash(root, tag, addr, fk->slots_capacity);
    while (fk->slots[i].state == 1) {
        i = (i + 1) & (fk->slots_capacity - 1);
    }
    s = &fk->slots[i];
    if (s->state == 0) {
        fk->slots_used++;
    }
    memset(s, 0, sizeof *s);
    s->state = 1;
    s->root = root;
    s->tag = (uint8_t)tag;
    s->addr = addr;
    return s;
}

static void slot_release_if_unused(fk_slot *s)
{
    if (s->cap == 0 && s->sub == 0) {
        s->state = 2;
    }
}

/* ---- geometry ---- */

static vs_addr align_down(vs_addr a, unsigned bits)
{
    return bits >= 64 ? 0 : a & ~((1ull << bits) - 1);
}

static unsigned page_bits(const fakek *fk, unsigned index)
{
    return fk->arch->page_sizes[index].bits;
}

/* log2 of the span a table of this level translates. */
static unsigned table_span_bits(const fakek *fk, unsigned level)
{
    const vs_paging_level *l = &fk->arch->levels[level];
    return (unsigned)l->shift + l->index_bits;
}

static int is_riscv(const fakek *fk)
{
    return fk->arch->id == VS_ARCH_RISCV32 || fk->arch->id == VS_ARCH_RISCV64;
}

/* ---- caps ---- */

static vs_cap cap_new(fakek *fk, fk_kind kind, unsigned size)
{
    vs_cap c;
    if (fk->nfree > 0) {
        c = fk->free_caps[--fk->nfree];
    } else {
        if (fk->ncaps == fk->caps_capacity) {
            fk->caps_capacity *= 2;
            fk->caps = xrealloc(fk->caps, fk->caps_capacity * sizeof *fk->caps);
        }
        c = fk->ncaps++;
    }
    fk_cap *k = &fk->caps[c];
    memset(k, 0, sizeof *k);
    k->alive = 1;
    k->kind = (uint8_t)kind;
    k->size = (uint8_t)size;
    k->orig = c;
    return c;
}

static void cap_kill(fakek *fk, vs_cap c)
{
    fk->caps[c].alive = 0;
    fk->free_caps = xrealloc(fk->free_caps, (fk->nfree + 1) * sizeof *fk->free_caps);
    fk->free_caps[fk->nfree++] = c;
}

static fk_cap *cap_live(fakek *fk, vs_cap c, fk_kind kind)
{
    if (c == 0 || c >= fk->ncaps || !fk->caps[c].alive) {
        return NULL;
    }
    fk_cap *k = &fk->caps[c];
    return kind == FK_KIND_NONE || k->kind == kind ? k : NULL;
}

static vs_addr paddr_new(fakek *fk, unsigned bits)
{
    vs_addr p = (fk->next_paddr + (1ull << bits) - 1) & ~((1ull << bits) - 1);
    fk->next_paddr = p + (1ull << bits);
    return p;
}

/* ---- call bookkeeping and injection ---- */

static void log_call(fakek *fk, fk_op op, int error, int missing, vs_cap cap, vs_addr vaddr, unsigned size)
{
    if (!fk->logging) {
        return;
    }
    if (fk->nlog == fk->log_capacity) {
        fk->log_capacity = fk->log_capacity ? fk->log_capacity * 2 : 64;
        fk->log = xrealloc(fk->log, fk->log_capacity * sizeof *fk->log);
    }
    fk_call c = {(uint8_t)op, error, missing, cap, vaddr, size};
    fk->log[fk->nlog++] = c;
}

/* Counts the call; returns 1 if this one must fail by injection. */
static int enter(fakek *fk, fk_op op)
{
    fk->calls[op]++;
    fk->total_calls++;
    fk->armed_calls++;
    if (fk->fail_at != 0 && fk->armed_calls == fk->fail_at) {
        fk->fired = 1;
        return 1;
    }
    return 0;
}

static vs_kstatus injected_status(const fakek *fk, int map_call)
{
    vs_kstatus st = {FK_INJECTED, -1};
    if (map_call && fk->fail_mode == FK_FAIL_MISSING_LEVEL) {
        st.error = FK_FAILED_LOOKUP;
        st.missing_level = 1;
    }
    return st;
}

static vs_kstatus kerr(int error)
{
    vs_kstatus st = {error, -1};
    return st;
}

/* ---- frame mapping state ---- */

static void frame_index_add(fakek *fk, vs_cap root, vs_addr vaddr, unsigned size, vs_cap frame)
{
    slot_get(fk, root, page_bits(fk, size), vaddr)->cap = frame;
    for (unsigned j = size + 1; j < fk->arch->num_page_sizes; j++) {
        slot_get(fk, root, page_bits(fk, j), align_down(vaddr, page_bits(fk, j)))->sub++;
    }
}

static void frame_index_remove(fakek *fk, const fk_cap *k)
{
    fk_slot *s = slot_find(fk, k->root, page_bits(fk, k->size), k->vaddr);
    s->cap = 0;
    slot_release_if_unused(s);
    for (unsigned j = k->size + 1; j < fk->arch->num_page_sizes; j++) {
        s = slot_find(fk, k->root, page_bits(fk, j), align_down(k->vaddr, page_bits(fk, j)));
        s->sub--;
        slot_release_if_unused(s);
    }
}

/* Forgets where the cap was mapped, so unmap-then-remap compares equal. */
static void clear_mapping(fk_cap *k)
{
    k->mapped = 0;
    k->root = 0;
    k->vaddr = 0;
    k->rights = 0;
    k->cache = 0;
}

static void frame_unmap_state(fakek *fk, fk_cap *k)
{
    if (k->mapped) {
        frame_index_remove(fk, k);
        clear_mapping(k);
    }
}

static void table_unmap_state(fakek *fk, fk_cap *k)
{
    if (k->mapped) {
        fk_slot *s = slot_find(fk, k->root, TAG_TABLE + k->size, k->vaddr);
        s->cap = 0;
        slot_release_if_unused(s);
        clear_mapping(k);
    }
}

/* The frame mapping (cap) covering vaddr, ignoring whether tables exist. */
static vs_cap frame_covering(const fakek *fk, vs_cap root, vs_addr vaddr, unsigned *size)
{
    for (unsigned j = 0; j < fk->arch->num_page_sizes; j++) {
        const fk_slot *s = slot_find(fk, root, page_bits(fk, j), align_down(vaddr, page_bits(fk, j)));
        if (s != NULL && s->cap != 0) {
            *size = j;
            return s->cap;
        }
    }
    return 0;
}

static vs_cap table_at(const fakek *fk, vs_cap root, unsigned level, vs_addr vaddr)
{
    const fk_slot *s = slot_find(fk, root, TAG_TABLE + level, align_down(vaddr, table_span_bits(fk, level)));
    return s != NULL ? s->cap : 0;
}

/* First level in [1, upto] whose table covering vaddr is absent, or -1. */
static int first_missing_level(const fakek *fk, vs_cap root, vs_addr vaddr, unsigned upto)
{
    for (unsigned l = 1; l <= upto; l++) {
        if (table_at(fk, root, l, vaddr) == 0) {
            return (int)l;
        }
    }
    return -1;
}

/* True if a table of `level` is mapped anywhere inside [vaddr, vaddr + 2^bits). */
static int tables_inside(const fakek *fk, vs_cap root, unsigned level, vs_addr vaddr, unsigned bits)
{
    if (level >= fk->arch->num_levels) {
        return 0;
    }
    unsigned span = table_span_bits(fk, level);
    uint64_t n = bits > span ? 1ull << (bits - span) : 1;
    for (uint64_t i = 0; i < n; i++) {
        if (table_at(fk, root, level, vaddr + (i << span)) != 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- kernel ops ---- */

static int validate_object(fakek *fk, vs_object_kind kind, unsigned size)
{
    if (kind == VS_OBJ_FRAME && size < fk->arch->num_page_sizes) {
        return 1;
    }
    if (kind == VS_OBJ_PAGING_TABLE && size >= 1 && size < fk->arch->num_levels) {
        return 1;
    }
    violation(fk, "alloc/free_object: bad kind %d size %u", (int)kind, size);
    return 0;
}

static int op_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    fakek *fk = ctx;
    if (enter(fk, FK_OP_ALLOC_OBJECT)) {
        log_call(fk, FK_OP_ALLOC_OBJECT, FK_INJECTED, -1, 0, 0, size);
        return FK_INJECTED;
    }
    if (!validate_object(fk, kind, size)) {
        return FK_INVALID_ARGUMENT;
    }
    vs_cap c = cap_new(fk, kind == VS_OBJ_FRAME ? FK_KIND_FRAME : FK_KIND_TABLE, size);
    fk_cap *k = &fk->caps[c];
    k->by_alloc = 1;
    k->cookie = (uintptr_t)(c * 1000003u + 0x5eed);
    k->paddr = paddr_new(fk, kind == VS_OBJ_FRAME ? page_bits(fk, size) : 12);
    out->cap = c;
    out->cookie = k->cookie;
    log_call(fk, FK_OP_ALLOC_OBJECT, 0, -1, c, 0, size);
    return 0;
}

static int check_free(fakek *fk, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    fk_cap *k = cap_live(fk, obj->cap, kind == VS_OBJ_FRAME ? FK_KIND_FRAME : FK_KIND_TABLE);
    if (!validate_object(fk, kind, size)) {
        return FK_INVALID_ARGUMENT;
    }
    if (k == NULL || k->is_copy) {
        violation(fk, "free_object: cap %llu is not a live original of that kind", (unsigned long long)obj->cap);
        return FK_INVALID_CAPABILITY;
    }
    if (k->size != size || k->cookie != obj->cookie) {
        violation(fk, "free_object: cap %llu size %u/%u cookie %llx/%llx mismatch", (unsigned long long)obj->cap, size,
                  k->size, (unsigned long long)obj->cookie, (unsigned long long)k->cookie);
        return FK_INVALID_ARGUMENT;
    }
    return 0;
}

/* Freeing a mapped object unmaps it first, as deleting the last cap does. */
static int op_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    fakek *fk = ctx;
    int err = enter(fk, FK_OP_FREE_OBJECT) ? FK_INJECTED : check_free(fk, kind, size, obj);
    log_call(fk, FK_OP_FREE_OBJECT, err, -1, obj->cap, 0, size);
    if (err != 0) {
        return err;
    }
    fk_cap *k = &fk->caps[obj->cap];
    if (k->kind == FK_KIND_FRAME) {
        frame_unmap_state(fk, k);
    } else {
        table_unmap_state(fk, k);
    }
    cap_kill(fk, obj->cap);
    return 0;
}

static vs_kstatus check_map_frame(fakek *fk, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned ps, unsigned rights,
                                  vs_cache cache)
{
    fk_cap *k = cap_live(fk, frame, FK_KIND_FRAME);
    if (cap_live(fk, root, FK_KIND_ROOT) == NULL || k == NULL) {
        violation(fk, "map_frame: bad root %llu or frame %llu", (unsigned long long)root, (unsigned long long)frame);
        return kerr(FK_INVALID_CAPABILITY);
    }
    if (ps >= fk->arch->num_page_sizes || ps != k->size || rights > VS_RIGHTS_ALL ||
        (unsigned)cache >= VS_CACHE_COUNT) {
        violation(fk, "map_frame: page size %u (cap has %u), rights %u, cache %u", ps, k->size, rights,
                  (unsigned)cache);
        return kerr(FK_INVALID_ARGUMENT);
    }
    if (align_down(vaddr, page_bits(fk, ps)) != vaddr || vaddr + (1ull << page_bits(fk, ps)) > fk->arch->user_top) {
        violation(fk, "map_frame: vaddr %llx misaligned or above user_top", (unsigned long long)vaddr);
        return kerr(FK_ALIGNMENT_ERROR);
    }
    if (k->mapped) {
        return kerr(FK_INVALID_CAPABILITY); /* seL4: a frame cap maps once */
    }
    int missing = fk->tables_required ? first_missing_level(fk, root, vaddr, fk->arch->page_sizes[ps].level) : -1;
    if (missing >= 1) {
        vs_kstatus st = {FK_FAILED_LOOKUP, missing};
        return st;
    }
    return KOK;
}

/* What mapping over existing state does: 0 proceed, 1 replace the frame
 * at the exact same place (x86/Arm), else an seL4 error. */
static int map_conflict(fakek *fk, vs_cap root, vs_addr vaddr, unsigned ps, vs_cap *old)
{
    unsigned old_size;
    *old = frame_covering(fk, root, vaddr, &old_size);
    if (*old != 0) {
        if (old_size == ps && fk->caps[*old].vaddr == vaddr && !is_riscv(fk)) {
            return 1;
        }
        return FK_DELETE_FIRST;
    }
    const fk_slot *s = slot_find(fk, root, page_bits(fk, ps), vaddr);
    if (s != NULL && s->sub > 0) {
        return FK_DELETE_FIRST;
    }
    if (tables_inside(fk, root, fk->arch->page_sizes[ps].level + 1u, vaddr, page_bits(fk, ps))) {
        return FK_DELETE_FIRST;
    }
    return 0;
}

/* Checks and commits one frame mapping; no call counted. */
static vs_kstatus do_map_frame(fakek *fk, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned ps, unsigned rights,
                               vs_cache cache)
{
    vs_kstatus st = check_map_frame(fk, root, frame, vaddr, ps, rights, cache);
    vs_cap old = 0;
    int c = st.error == 0 ? map_conflict(fk, root, vaddr, ps, &old) : 0;
    if (c > 1) {
        st = kerr(c);
    }
    log_call(fk, FK_OP_MAP_FRAME, st.error, st.missing_level, frame, vaddr, ps);
    if (st.error != 0) {
        return st;
    }
    if (c == 1) {
        fk->silent_replacements++;
        frame_unmap_state(fk, &fk->caps[old]);
    }
    fk_cap *k = &fk->caps[frame];
    k->mapped = 1;
    k->root = root;
    k->vaddr = vaddr;
    k->rights = (uint8_t)rights;
    k->cache = (uint8_t)cache;
    frame_index_add(fk, root, vaddr, ps, frame);
    return st;
}

static vs_kstatus op_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned ps, unsigned rights,
                               vs_cache cache)
{
    fakek *fk = ctx;
    if (enter(fk, FK_OP_MAP_FRAME)) {
        vs_kstatus st = injected_status(fk, 1);
        log_call(fk, FK_OP_MAP_FRAME, st.error, st.missing_level, frame, vaddr, ps);
        return st;
    }
    return do_map_frame(fk, root, frame, vaddr, ps, rights, cache);
}

/* Batch form: one call. An injected failure strikes halfway, after the
 * first n/2 frames were really mapped, so the core's resume/undo path runs. */
static vs_kstatus op_map_frames(void *ctx, vs_cap root, const vs_cap *frames, unsigned n, vs_addr vaddr, unsigned ps,
                                unsigned rights, vs_cache cache, unsigned *done)
{
    fakek *fk = ctx;
    int inject = enter(fk, FK_OP_MAP_FRAME);
    unsigned stop = inject ? n / 2 : n;
    uint64_t step = ps < fk->arch->num_page_sizes ? 1ull << page_bits(fk, ps) : 0;
    vs_kstatus st = KOK;
    for (*done = 0; *done < stop; ++*done) {
        st = do_map_frame(fk, root, frames[*done], vaddr + *done * step, ps, rights, cache);
        if (st.error != 0) {
            if (inject) { /* a natural failure came first: the injection had no effect */
                fk->fired = 0;
                fk->preempted = 1;
            }
            return st;
        }
    }
    if (inject) {
        st = injected_status(fk, 1);
        log_call(fk, FK_OP_MAP_FRAME, st.error, st.missing_level, n > 0 ? frames[stop] : 0, vaddr + stop * step, ps);
    }
    return st;
}

static vs_kstatus check_map_table(fakek *fk, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    fk_cap *k = cap_live(fk, table, FK_KIND_TABLE);
    if (cap_live(fk, root, FK_KIND_ROOT) == NULL || k == NULL || k->size != level || k->mapped) {
        violation(fk, "map_table: bad root %llu, or table %llu not an unmapped level-%u table",
                  (unsigned long long)root, (unsigned long long)table, level);
        return kerr(FK_INVALID_CAPABILITY);
    }
    vs_addr base = align_down(vaddr, table_span_bits(fk, level));
    int missing = fk->tables_required ? first_missing_level(fk, root, base, level - 1) : -1;
    if (missing >= 1) {
        vs_kstatus st = {FK_FAILED_LOOKUP, missing};
        return st;
    }
    unsigned old_size;
    vs_cap old = frame_covering(fk, root, base, &old_size);
    if (table_at(fk, root, level, base) != 0 || (old != 0 && page_bits(fk, old_size) >= table_span_bits(fk, level))) {
        return kerr(FK_DELETE_FIRST);
    }
    return KOK;
}

static vs_kstatus op_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    fakek *fk = ctx;
    vs_kstatus st =
        enter(fk, FK_OP_MAP_TABLE) ? injected_status(fk, 1) : check_map_table(fk, root, table, level, vaddr);
    log_call(fk, FK_OP_MAP_TABLE, st.error, st.missing_level, table, vaddr, level);
    if (st.error != 0) {
        return st;
    }
    fk_cap *k = &fk->caps[table];
    k->mapped = 1;
    k->root = root;
    k->vaddr = align_down(vaddr, table_span_bits(fk, level));
    slot_get(fk, root, TAG_TABLE + level, k->vaddr)->cap = table;
    return st;
}

static int do_unmap_frame(fakek *fk, vs_cap frame, unsigned ps)
{
    fk_cap *k = cap_live(fk, frame, FK_KIND_FRAME);
    int err = 0;
    if (k == NULL || k->size != ps) {
        violation(fk, "unmap_frame: cap %llu is not a live frame of size %u", (unsigned long long)frame, ps);
        err = FK_INVALID_CAPABILITY;
    }
    log_call(fk, FK_OP_UNMAP_FRAME, err, -1, frame, k != NULL ? k->vaddr : 0, ps);
    if (err == 0) {
        frame_unmap_state(fk, k);
    }
    return err;
}

static int op_unmap_frame(void *ctx, vs_cap frame, unsigned ps)
{
    fakek *fk = ctx;
    if (enter(fk, FK_OP_UNMAP_FRAME)) {
        log_call(fk, FK_OP_UNMAP_FRAME, FK_INJECTED, -1, frame, 0, ps);
        return FK_INJECTED;
    }
    return do_unmap_frame(fk, frame, ps);
}

static int op_unmap_frames(void *ctx, const vs_cap *frames, unsigned n, unsigned ps, unsigned *done)
{
    fakek *fk = ctx;
    int inject = enter(fk, FK_OP_UNMAP_FRAME);
    unsigned stop = inject ? n / 2 : n;
    for (*done = 0; *done < stop; ++*done) {
        int err = do_unmap_frame(fk, frames[*done], ps);
        if (err != 0) {
            if (inject) { /* a natural failure came first: the injection had no effect */
                fk->fired = 0;
                fk->preempted = 1;
            }
            return err;
        }
    }
    if (inject) {
        log_call(fk, FK_OP_UNMAP_FRAME, FK_INJECTED, -1, n > 0 ? frames[stop] : 0, 0, ps);
        return FK_INJECTED;
    }
    return 0;
}

/* A frame still mapped inside [base, base + 2^bits) of root. */
static int frames_beneath(const fakek *fk, vs_cap root, vs_addr base, unsigned bits)
{
    for (size_t c = 1; c < fk->ncaps; c++) {
        const fk_cap *k = &fk->caps[c];
        if (k->alive && k->kind == FK_KIND_FRAME && k->mapped && k->root == root &&
            align_down(k->vaddr, bits) == base) {
            return 1;
        }
    }
    return 0;
}

static int op_unmap_table(void *ctx, vs_cap table, unsigned level)
{
    fakek *fk = ctx;
    int err = 0;
    fk_cap *k = cap_live(fk, table, FK_KIND_TABLE);
    if (enter(fk, FK_OP_UNMAP_TABLE)) {
        err = FK_INJECTED;
    } else if (k == NULL || k->size != level) {
        violation(fk, "unmap_table: cap %llu is not a live level-%u table", (unsigned long long)table, level);
        err = FK_INVALID_CAPABILITY;
    }
    log_call(fk, FK_OP_UNMAP_TABLE, err, -1, table, k != NULL ? k->vaddr : 0, level);
    if (err != 0) {
        return err;
    }
    if (k->mapped && frames_beneath(fk, k->root, k->vaddr, table_span_bits(fk, level))) {
        violation(fk, "unmap_table: level-%u table at %llx still has frames mapped beneath", level,
                  (unsigned long long)k->vaddr);
    }
    table_unmap_state(fk, k);
    return 0;
}

static int op_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    fakek *fk = ctx;
    int err = 0;
    if (enter(fk, FK_OP_COPY_CAP)) {
        err = FK_INJECTED;
    } else if (cap_live(fk, src, FK_KIND_FRAME) == NULL) {
        violation(fk, "copy_cap: %llu is not a live frame cap", (unsigned long long)src);
        err = FK_INVALID_CAPABILITY;
    }
    vs_cap c = 0;
    if (err == 0) {
        c = cap_new(fk, FK_KIND_FRAME, 0);
        fk_cap *s = &fk->caps[src]; /* after cap_new: the array may have moved */
        fk_cap *k = &fk->caps[c];
        k->size = s->size;
        k->orig = s->orig;
        k->paddr = s->paddr;
        k->is_copy = 1;
        k->by_alloc = 1;
        *out = c;
    }
    log_call(fk, FK_OP_COPY_CAP, err, -1, src, 0, c);
    return err;
}

static int op_delete_cap(void *ctx, vs_cap cap)
{
    fakek *fk = ctx;
    int err = 0;
    fk_cap *k = cap_live(fk, cap, FK_KIND_NONE);
    if (enter(fk, FK_OP_DELETE_CAP)) {
        err = FK_INJECTED;
    } else if (k == NULL || !k->is_copy) {
        violation(fk, "delete_cap: %llu is not a live cap copy", (unsigned long long)cap);
        err = FK_INVALID_CAPABILITY;
    }
    log_call(fk, FK_OP_DELETE_CAP, err, -1, cap, 0, 0);
    if (err == 0) {
        frame_unmap_state(fk, k); /* deleting a mapped frame cap unmaps it */
        cap_kill(fk, cap);
    }
    return err;
}

static int op_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    fakek *fk = ctx;
    int err = 0;
    const fk_cap *k = cap_live(fk, frame, FK_KIND_FRAME);
    if (enter(fk, FK_OP_FRAME_PADDR)) {
        err = FK_INJECTED;
    } else if (k == NULL) {
        violation(fk, "frame_paddr: %llu is not a live frame cap", (unsigned long long)frame);
        err = FK_INVALID_CAPABILITY;
    } else {
        *paddr = k->paddr;
    }
    log_call(fk, FK_OP_FRAME_PADDR, err, -1, frame, 0, 0);
    return err;
}

vs_translation fk_translate_now(const fakek *fk, vs_cap root, vs_addr vaddr)
{
    vs_translation t = {0, 0, 0, 0};
    unsigned size;
    vs_cap c = frame_covering(fk, root, vaddr, &size);
    if (c == 0) {
        return t;
    }
    if (fk->tables_required && first_missing_level(fk, root, vaddr, fk->arch->page_sizes[size].level) >= 1) {
        return t; /* the frame cap remembers a mapping the MMU cannot reach */
    }
    const fk_cap *k = &fk->caps[c];
    t.mapped = 1;
    t.size_bits = (uint8_t)page_bits(fk, size);
    t.paddr = k->paddr + (vaddr - k->vaddr);
    t.rights = k->rights;
    return t;
}

static int op_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    fakek *fk = ctx;
    int err = enter(fk, FK_OP_TRANSLATE) ? FK_INJECTED : 0;
    if (err == 0) {
        *out = fk_translate_now(fk, root, vaddr);
    }
    log_call(fk, FK_OP_TRANSLATE, err, -1, root, vaddr, 0);
    return err;
}

#define FK_OPS                                                                                                         \
    .alloc_object = op_alloc_object, .free_object = op_free_object, .map_frame = op_map_frame,                         \
    .map_table = op_map_table, .unmap_frame = op_unmap_frame, .unmap_table = op_unmap_table, .copy_cap = op_copy_cap,  \
    .delete_cap = op_delete_cap, .frame_paddr = op_frame_paddr, .translate = op_translate

static const vs_kernel_ops fk_ops = {FK_OPS};

static const vs_kernel_ops fk_batch_ops = {FK_OPS, .map_frames = op_map_frames, .unmap_frames = op_unmap_frames};

/* ---- public helpers ---- */

fakek *fk_create(const vs_arch *arch, int tables_required)
{
    fakek *fk = calloc(1, sizeof *fk);
    if (fk == NULL) {
        abort();
    }
    fk->arch = arch;
    fk->tables_required = tables_required;
    fk->caps_capacity = 64;
    fk->caps = xrealloc(NULL, fk->caps_capacity * sizeof *fk->caps);
    memset(&fk->caps[0], 0, sizeof fk->caps[0]);
    fk->ncaps = 1;
    fk->next_paddr = 0x100000;
    fk->logging = 1;
    slots_rehash(fk, 256);
    return fk;
}

void fk_destroy(fakek *fk)
{
    free(fk->caps);
    free(fk->free_caps);
    free(fk->slots);
    free(fk->log);
    free(fk);
}

vs_kernel fk_kernel(fakek *fk)
{
    vs_kernel k = {fk->batch ? &fk_batch_ops : &fk_ops, fk};
    return k;
}

vs_cap fk_new_root(fakek *fk)
{
    return cap_new(fk, FK_KIND_ROOT, 0);
}

vs_object fk_new_frame(fakek *fk, unsigned size_bits)
{
    int idx = vs_arch_page_size_index(fk->arch, size_bits);
    vs_object o = {0, 0};
    if (idx < 0) {
        return o;
    }
    o.cap = cap_new(fk, FK_KIND_FRAME, (unsigned)idx);
    fk_cap *k = &fk->caps[o.cap];
    k->cookie = (uintptr_t)(o.cap * 7919u + 0xca11e4);
    k->paddr = paddr_new(fk, size_bits);
    o.cookie = k->cookie;
    return o;
}

const fk_cap *fk_cap_get(const fakek *fk, vs_cap cap)
{
    if (cap == 0 || cap >= fk->ncaps || !fk->caps[cap].alive) {
        return NULL;
    }
    return &fk->caps[cap];
}

static void count_one(fk_counts *n, const fk_cap *k)
{
    n->core_objects += k->by_alloc;
    if (k->is_copy) {
        n->copies++;
    } else if (k->kind == FK_KIND_FRAME) {
        n->frames++;
    } else if (k->kind == FK_KIND_TABLE) {
        n->tables++;
    } else {
        n->roots++;
    }
    if (k->mapped) {
        if (k->kind == FK_KIND_FRAME) {
            n->mapped_frames++;
        } else {
            n->mapped_tables++;
        }
    }
}

fk_counts fk_count(const fakek *fk)
{
    fk_counts n;
    memset(&n, 0, sizeof n);
    for (size_t c = 1; c < fk->ncaps; c++) {
        if (fk->caps[c].alive) {
            count_one(&n, &fk->caps[c]);
        }
    }
    return n;
}

void fk_fail_nth(fakek *fk, uint64_t n, fk_fail_mode mode)
{
    fk->fail_at = n;
    fk->fail_mode = mode;
    fk->armed_calls = 0;
    fk->fired = 0;
    fk->preempted = 0;
}

void fk_disarm(fakek *fk)
{
    fk_fail_nth(fk, 0, FK_FAIL_ERROR);
}

void fk_log_clear(fakek *fk)
{
    fk->nlog = 0;
}

static const fk_call *last_injected(const fakek *fk)
{
    for (size_t i = fk->nlog; i > 0; i--) {
        if (fk->log[i - 1].error == FK_INJECTED) {
            return &fk->log[i - 1];
        }
    }
    return NULL;
}

fk_op fk_reclaim_injected(fakek *fk)
{
    const fk_call *c = last_injected(fk);
    if (c == NULL || c->cap == 0 || c->cap >= fk->ncaps || !fk->caps[c->cap].alive) {
        return FK_OP_COUNT;
    }
    const fk_cap *k = &fk->caps[c->cap];
    vs_cap cap = c->cap;
    fk_op op = (fk_op)c->op;
    switch (op) {
    case FK_OP_FREE_OBJECT: {
        vs_object o = {cap, k->cookie};
        return op_free_object(fk, k->kind == FK_KIND_FRAME ? VS_OBJ_FRAME : VS_OBJ_PAGING_TABLE, k->size, &o) == 0
                   ? op
                   : FK_OP_COUNT;
    }
    case FK_OP_DELETE_CAP:
        return op_delete_cap(fk, cap) == 0 ? op : FK_OP_COUNT;
    case FK_OP_UNMAP_FRAME:
        if (fk->violations != 0 && strstr(fk->first_violation, "still has frames mapped beneath") != NULL) {
            fk->violations = 0;
        }
        return k->mapped && op_unmap_frame(fk, cap, k->size) == 0 ? op : FK_OP_COUNT;
    case FK_OP_UNMAP_TABLE:
        return k->mapped && op_unmap_table(fk, cap, k->size) == 0 ? op : FK_OP_COUNT;
    default:
        return FK_OP_COUNT;
    }
}

size_t fk_log_count(const fakek *fk, fk_op op, vs_cap cap)
{
    size_t n = 0;
    for (size_t i = 0; i < fk->nlog; i++) {
        if (fk->log[i].op == op && fk->log[i].error == 0 && (cap == 0 || fk->log[i].cap == cap)) {
            n++;
        }
    }
    return n;
}
