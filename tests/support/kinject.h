/* A kernel interface that forwards to another and can fail the Nth call
 * from now (counting every op, batch forms as one call), for failure
 * injection over any backend. */
#ifndef TESTS_SUPPORT_KINJECT_H
#define TESTS_SUPPORT_KINJECT_H

#include <stdint.h>

#include <vs/kernel.h>

typedef struct kinject {
    vs_kernel real;
    uint64_t fail_in; /* calls until the injected failure (1: the next); 0: off */
    int fired;        /* an injected failure happened since kinject_arm */
    int error;        /* what an injected failure returns */
    /* Called after each successful map (one frame or a batch); may be NULL. */
    void (*on_map)(void *ctx, vs_cap root, vs_addr vaddr);
    void *on_map_ctx;
    vs_kernel_ops ops; /* filled by kinject_kernel */
    /* The release call (free_object, delete_cap, unmap_frame(s),
     * unmap_table) the last injection refused, for kinject_reclaim. */
    int pending; /* 0: none; else which (internal) */
    vs_object_kind pending_kind;
    unsigned pending_size;
    vs_object pending_obj;
} kinject;

/* The forwarding kernel (k must outlive it). Optional ops are offered iff
 * real offers them. */
vs_kernel kinject_kernel(kinject *k);

/* Fails the nth call from now (0: disarm) and clears fired; arming (n > 0)
 * also forgets a refused call not reclaimed. */
void kinject_arm(kinject *k, uint64_t n);

/* Carries out the release call the last injection refused (the core
 * counted it as a leak and went on); returns 1 if there was one and it
 * succeeded now, else 0. */
int kinject_reclaim(kinject *k);

#endif
