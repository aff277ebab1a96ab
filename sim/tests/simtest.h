/* A small harness for the simulator's tests: checks that report and count
 * failures, a booted machine per architecture, and helpers that call the
 * right libsel4 function for the booted architecture. The tests' knowledge
 * of each architecture (types, levels, limits) is their own data, written
 * from the seL4 manual and libsel4, not taken from the simulator. */
#ifndef SEL4SIM_TEST_H
#define SEL4SIM_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <sel4/sel4.h>
#include <sel4/sel4_arch/mapping.h>
#include <sel4sim/sim.h>

#define CHECK(c) simtest_check((c) != 0, #c, __FILE__, __LINE__)
#define CHECK_EQ(a, b) simtest_check_eq((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)

int simtest_check(int ok, const char *expr, const char *file, int line);
int simtest_check_eq(uint64_t a, uint64_t b, const char *ea, const char *eb, const char *file, int line);
/* Summary line; the process exit status (0 only if nothing failed). */
int simtest_done(const char *name);

extern const vs_arch_id simtest_archs[VS_ARCH_COUNT];

/* Boot arch with bytes of RAM; CHECKs it worked. */
seL4_BootInfo *t_boot(vs_arch_id arch, uint64_t bytes);
/* A fresh empty slot of the root CNode. */
seL4_CPtr t_slot(void);
/* Retype one object from the first boot untyped with room; 0 on failure. */
seL4_CPtr t_retype(seL4_Word type, seL4_Word size_bits);

/* The booted architecture's types: frame of page-size index i, paging
 * structure for level l (0 = root), and the page-size count and levels. */
seL4_Word t_frame_type(int i);
seL4_Word t_table_type(int l);
int t_num_page_sizes(void);
unsigned t_page_bits(int i);
int t_num_levels(void);

/* The booted family's libsel4 calls. */
seL4_Error t_map_frame(seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t r);
seL4_Error t_map_frame_attr(seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t r, seL4_Word attr);
seL4_Error t_unmap_frame(seL4_CPtr frame);
seL4_Word t_frame_paddr(seL4_CPtr frame);
seL4_Error t_map_table(seL4_Word type, seL4_CPtr table, seL4_CPtr vspace, seL4_Word vaddr);
seL4_Error t_unmap_table(seL4_Word type, seL4_CPtr table);
seL4_Error t_assign(seL4_CPtr pool, seL4_CPtr vspace);
seL4_Word t_default_attr(void);

/* A new vspace root with an ASID from the initial pool; 0 on failure. */
seL4_CPtr t_new_vspace(void);
/* Retype and map the paging structures of levels 1..leaf_level at vaddr,
 * skipping those present; returns how many it mapped, -1 on error. */
int t_map_tables(seL4_CPtr vspace, seL4_Word vaddr, int leaf_level);
/* The level whose entry maps page-size index i. */
int t_page_level(int i);
/* Map a frame, adding the paging structures seL4_MappingFailedLookupLevel
 * asks for, as libsel4 users do. */
seL4_Error t_map_frame_auto(seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr, seL4_CapRights_t r);
/* Translate through vspace; CHECKs the call itself worked. */
sel4sim_translation t_translate(seL4_CPtr vspace, seL4_Word vaddr);

#endif
