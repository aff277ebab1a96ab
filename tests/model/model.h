/* The reference model: deliberately simple. Reservations are a sorted
 * array; mappings are an array of records found through a small hash keyed
 * by (page start, size index). Nothing here is clever so that it is
 * obviously right. */
#ifndef TESTS_MODEL_MODEL_H
#define TESTS_MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <vs/space.h>

typedef struct m_res {
    vs_addr start, end;
    uint8_t rights;
    vs_cache cache;
    char name[VS_NAME_MAX];
    vs_reservation *handle;
    uint64_t mapped_pages;
} m_res;

typedef struct m_map {
    vs_addr vaddr; /* page start */
    unsigned size_index;
    vs_cap cap;
    uintptr_t cookie;
    vs_page_owner owner;
} m_map;

typedef struct m_space {
    const vs_arch *arch;
    vs_addr base, end;
    m_res *res;
    size_t nres, res_cap;
    m_map *maps;
    size_t nmaps, maps_cap;
    uint64_t *slots; /* hash: key -> index + 1 into maps; 0 empty, UINT64_MAX deleted */
    uint64_t *slot_keys;
    size_t slots_cap;
    size_t slots_used; /* live + deleted markers */
    uint64_t reserved_pages, mapped_pages;
} m_space;

void m_init(m_space *m, const vs_arch *arch, vs_addr base, vs_addr end);
void m_fini(m_space *m);

/* Index of the reservation containing addr, or -1. */
long m_res_at(const m_space *m, vs_addr addr);
/* True if [a, b) overlaps a reservation other than `except` (-1: none). */
int m_overlaps(const m_space *m, vs_addr a, vs_addr b, long except);
/* Index of the reservation wholly holding [a, b), or -1. */
long m_res_holding(const m_space *m, vs_addr a, vs_addr b);
/* Lowest aligned free start for size, or 0 with *found = 0. */
vs_addr m_first_fit(const m_space *m, uint64_t size, uint64_t align, int *found);
void m_res_insert(m_space *m, const m_res *r);
void m_res_remove(m_space *m, size_t i);
/* Keeps the array sorted after reservation i moved. */
void m_res_resort(m_space *m, size_t i);

/* The mapping covering addr, or NULL. */
const m_map *m_map_at(const m_space *m, vs_addr addr);
void m_map_add(m_space *m, const m_map *mp);
void m_map_remove(m_space *m, const m_map *mp);
uint64_t m_pages(const m_space *m, unsigned size_index);

#endif
