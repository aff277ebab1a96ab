/* Test fixture for the seL4 backend on the simulator: boots a simulated
 * machine, builds the object allocator, the backend and the root task's
 * vspace, and on teardown checks that slots, untyped watermarks, kernel
 * objects and bookkeeping memory are all back where boot left them.
 * Tests may include the simulator's header; the backend never does. */
#ifndef SEL4BE_TESTS_FIXTURE_H
#define SEL4BE_TESTS_FIXTURE_H

#include <stddef.h>

#include <sel4/sel4.h>
#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

#include <vs/sel4_backend.h>

#include "harness.h"
#include "talloc.h"

/* Everything the simulator counts that a test must give back. */
typedef struct be_acct {
    size_t free_slots;
    size_t live_objects;
    size_t num_untypeds;
    seL4_Word watermark[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
} be_acct;

typedef struct be_fx {
    const vs_arch *arch;
    talloc ta;
    seL4_BootInfo *bi;
    vs_sel4_alloc *alloc;
    vs_sel4_backend *be;
    vs_space *root_vs;
    be_acct boot; /* right after boot */
} be_fx;

/* Boots `arch` with mem_bytes of RAM and builds everything; exits the
 * program (status 2) if any step fails, since every later check would be
 * noise. */
void be_fx_init(be_fx *fx, vs_arch_id arch, uint64_t mem_bytes);

/* Destroys the root vspace, backend and allocator, checks that accounting
 * matches boot and no bookkeeping memory is live, shuts the sim down. */
void be_fx_fini(be_fx *fx);

void be_acct_take(const seL4_BootInfo *bi, be_acct *a);
/* 0 if equal; else reports each difference as a test failure and returns 1. */
int be_acct_compare(const be_acct *want, const be_acct *got, const char *label);

/* A new child vspace with its own root object, default range or [base,end). */
typedef struct be_child {
    vs_object root;
    vs_space *vs;
} be_child;

int be_child_create(be_fx *fx, be_child *c, vs_addr base, vs_addr end);
/* vs_destroy with flags, then frees the root object; checks both succeed. */
void be_child_destroy(be_fx *fx, be_child *c, unsigned flags);

#endif
