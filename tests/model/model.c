/* The reference model. See model.h. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

static void *xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return p;
    }
    *cap = *cap ? *cap * 2 : 16;
    if (*cap < need) {
        *cap = need;
    }
    p = realloc(p, *cap * elem);
    if (p == NULL) {
        abort();
    }
    return p;
}

void m_init(m_space *m, const vs_arch *arch, vs_addr base, vs_addr end)
{
    memset(m, 0, sizeof *m);
    m->arch = arch;
    m->base = base;
    m->end = end;
    m->slots_cap = 1024;
    m->slots = calloc(m->slots_cap, sizeof *m->slots);
    m->slot_keys = calloc(m->slots_cap, sizeof *m->slot_keys);
    if (m->slots == NULL || m->slot_keys == NULL) {
        abort();
    }
}

void m_fini(m_space *m)
{
    free(m->res);
    free(m->maps);
    free(m->slots);
    free(m->slot_keys);
    memset(m, 0, sizeof *m);
}

long m_res_at(const m_space *m, vs_addr addr)
{
    for (size_t i = 0; i < m->nres; i++) {
        if (m->res[i].start <= addr && addr < m->res[i].end) {
            return (long)i;
        }
    }
    return -1;
}

int m_overlaps(const m_space *m, vs_addr a, vs_addr b, long except)
{
    for (size_t i = 0; i < m->nres; i++) {
        if ((long)i != except && m->res[i].start < b && a < m->res[i].end) {
            return 1;
        }
    }
    return 0;
}

long m_res_holding(const m_space *m, vs_addr a, vs_addr b)
{
    long i = m_res_at(m, a);
    return i >= 0 && b <= m->res[i].end ? i : -1;
}

static vs_addr align_up(vs_addr a, uint64_t align, int *overflow)
{
    vs_addr r = (a + align - 1) & ~(align - 1);
    *overflow |= r < a;
    return r;
}

vs_addr m_first_fit(const m_space *m, uint64_t size, uint64_t align, int *found)
{
    int overflow = 0;
    vs_addr cand = align_up(m->base, align, &overflow);
    for (size_t i = 0; i < m->nres && !overflow; i++) {
        if (cand + size <= m->res[i].start && cand + size > cand) {
            break;
        }
        if (m->res[i].end > cand) {
            cand = align_up(m->res[i].end, align, &overflow);
        }
    }
    *found = !overflow && cand + size > cand && cand + size <= m->end;
    return *found ? cand : 0;
}

void m_res_insert(m_space *m, const m_res *r)
{
    m->res = xgrow(m->res, &m->res_cap, m->nres + 1, sizeof *m->res);
    size_t i = m->nres;
    while (i > 0 && m->res[i - 1].start > r->start) {
        m->res[i] = m->res[i - 1];
        i--;
    }
    m->res[i] = *r;
    m->nres++;
    m->reserved_pages += (r->end - r->start) >> 12;
}

void m_res_remove(m_space *m, size_t i)
{
    m->reserved_pages -= (m->res[i].end - m->res[i].start) >> 12;
    memmove(&m->res[i], &m->res[i + 1], (m->nres - i - 1) * sizeof *m->res);
    m->nres--;
}

void m_res_resort(m_space *m, size_t i)
{
    m_res r = m->res[i];
    m->reserved_pages -= (r.end - r.start) >> 12; /* insert adds it back */
    memmove(&m->res[i], &m->res[i + 1], (m->nres - i - 1) * sizeof *m->res);
    m->nres--;
    m_res_insert(m, &r);
}

uint64_t m_pages(const m_space *m, unsigned size_index)
{
    return 1ull << (m->arch->page_sizes[size_index].bits - 12);
}

/* ---- mapping hash: key = vaddr | size_index (vaddr is 4K aligned) ---- */

static size_t slot_of(const m_space *m, uint64_t key)
{
    uint64_t x = key * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 40) & (m->slots_cap - 1);
}

static uint64_t *slot_find(const m_space *m, uint64_t key)
{
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->slots_cap - 1)) {
        if (m->slots[i] == 0) {
            return NULL;
        }
        if (m->slots[i] != UINT64_MAX && m->slot_keys[i] == key) {
            return &m->slots[i];
        }
    }
}

static void slot_put(m_space *m, uint64_t key, uint64_t value);

static void slots_rebuild(m_space *m)
{
    m->slots_cap = 1024;
    while (m->slots_cap < 4 * (m->nmaps + 1)) {
        m->slots_cap *= 2;
    }
    free(m->slots);
    free(m->slot_keys);
    m->slots = calloc(m->slots_cap, sizeof *m->slots);
    m->slot_keys = calloc(m->slots_cap, sizeof *m->slot_keys);
    if (m->slots == NULL || m->slot_keys == NULL) {
        abort();
    }
    m->slots_used = 0;
    for (size_t i = 0; i < m->nmaps; i++) {
        slot_put(m, m->maps[i].vaddr | m->maps[i].size_index, i + 1);
    }
}

static void slot_put(m_space *m, uint64_t key, uint64_t value)
{
    size_t i = slot_of(m, key);
    while (m->slots[i] != 0 && m->slots[i] != UINT64_MAX) {
        i = (i + 1) & (m->slots_cap - 1);
    }
    m->slots_used += m->slots[i] == 0;
    m->slots[i] = value;
    m->slot_keys[i] = key;
}

const m_map *m_map_at(const m_space *m, vs_addr addr)
{
    for (unsigned s = 0; s < m->arch->num_page_sizes; s++) {
        vs_addr start = addr & ~((1ull << m->arch->page_sizes[s].bits) - 1);
        const uint64_t *slot = slot_find(m, start | s);
        if (slot != NULL) {
            return &m->maps[*slot - 1];
        }
    }
    return NULL;
}

void m_map_add(m_space *m, const m_map *mp)
{
    m->maps = xgrow(m->maps, &m->maps_cap, m->nmaps + 1, sizeof *m->maps);
    m->maps[m->nmaps++] = *mp;
    m->mapped_pages += m_pages(m, mp->size_index);
    long r = m_res_at(m, mp->vaddr);
    m->res[r].mapped_pages += m_pages(m, mp->size_index);
    if (2 * (m->slots_used + 1) > m->slots_cap) {
        slots_rebuild(m); /* grows if needed and clears deleted markers */
    } else {
        slot_put(m, mp->vaddr | mp->size_index, m->nmaps);
    }
}

void m_map_remove(m_space *m, const m_map *mp)
{
    size_t i = (size_t)(mp - m->maps);
    uint64_t *slot = slot_find(m, mp->vaddr | mp->size_index);
    *slot = UINT64_MAX;
    m->mapped_pages -= m_pages(m, mp->size_index);
    m->res[m_res_at(m, mp->vaddr)].mapped_pages -= m_pages(m, mp->size_index);
    m->nmaps--;
    if (i != m->nmaps) {
        m->maps[i] = m->maps[m->nmaps]; /* swap the last record in */
        *slot_find(m, m->maps[i].vaddr | m->maps[i].size_index) = i + 1;
    }
}
