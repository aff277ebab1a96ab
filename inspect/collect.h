/* The walks of a vspace gathered into arrays, for the reports. */
#ifndef VSPACE_INSPECT_COLLECT_H
#define VSPACE_INSPECT_COLLECT_H

#include <stddef.h>

#include <vs/space.h>
#include <vs/walk.h>

typedef struct ins_res {
    vs_reservation_info info;
    const vs_reservation *handle;
} ins_res;

typedef struct ins_space {
    ins_res *res;
    size_t nres;
    vs_mapped_run *runs;
    size_t nruns;
    vs_table_occupancy *tables;
    size_t ntables;
} ins_space;

/* Fills *out with the reservations and mapped runs (and the tables if
 * want_tables), ascending. Returns 0, or -1 if memory ran out (then
 * nothing is held). */
int ins_collect(const vs_space *vs, ins_space *out, int want_tables);
void ins_free(ins_space *s);

/* The reservation of s holding run r, or NULL. */
const ins_res *ins_res_of(const ins_space *s, const vs_mapped_run *r);

/* Formats a size in bytes as "4 KiB", "1.5 GiB", ... into buf. */
const char *ins_size_str(uint64_t bytes, char *buf, size_t cap);

#endif
