/* Model-based randomized test of the core, with a pluggable kernel backend.
 *
 * model_test_run drives two vspaces (A and B, for vs_share) with random
 * operations, valid and invalid, compares every result code and the whole
 * observable state with a simple reference model after each operation, and
 * runs vs_check on both. Work is split into epochs: each creates fresh
 * vspaces over a random managed range, runs its operations, destroys them,
 * and asks the backend to confirm that everything came back.
 *
 * A backend provides the kernel and caller-side objects. Only kernel(),
 * new_root() and new_frame() are required; the rest are optional (NULL). */
#ifndef TESTS_MODEL_MODEL_TEST_H
#define TESTS_MODEL_MODEL_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <vs/space.h>

typedef struct model_backend {
    void *ctx;
    /* Called before each epoch (epoch counts from 0); may reconfigure. */
    void (*epoch_begin)(void *ctx, uint64_t epoch);
    /* The kernel the epoch's vspaces use. */
    vs_kernel (*kernel)(void *ctx);
    /* A fresh vspace root; a caller frame of 2^bits bytes (0 on success). */
    vs_cap (*new_root)(void *ctx);
    int (*new_frame)(void *ctx, unsigned bits, vs_object *out);
    /* Frees a caller frame the model no longer needs (still alive, unmapped). */
    void (*free_frame)(void *ctx, unsigned size_index, const vs_object *obj);
    /* Checks that the kernel's page tables agree with vs (I2); returns 0 if
     * they do, else writes a reason into msg. */
    int (*verify)(void *ctx, const vs_space *vs, vs_cap root, char *msg, size_t len);
    /* Checks after both vspaces were destroyed that the kernel holds nothing
     * the core created (I3); returns 0 if clean. */
    int (*check_clean)(void *ctx, char *msg, size_t len);
    /* Fails the nth kernel call from now (0: disarm); fired() tells if it did. */
    void (*inject)(void *ctx, uint64_t n);
    int (*fired)(void *ctx);
    /* The kernel error code an injected failure returns. */
    int injected_error;
    /* If range_end != 0, every epoch's managed range lies inside
     * [range_base, range_end) (aligned to the largest modelled page size):
     * for kernels that share an address space with the test (Linux), where
     * the arch's default range is not free. */
    vs_addr range_base, range_end;
    /* Carries out the call the last injection failed, where the core could
     * not and went on (a free or delete refused after a committed unmap, an
     * unmap refused in vs_destroy); returns non-zero if there was one. With
     * it, failures are also injected into free, unmap and destroy. */
    int (*reclaim)(void *ctx);
} model_backend;

typedef struct model_test_config {
    const vs_arch *arch;
    uint64_t seed;
    uint64_t ops;                  /* operations in total */
    uint64_t ops_per_epoch;        /* 0: 4000 */
    unsigned alloc_fail_permille;  /* chance an op runs with an allocation failure armed */
    unsigned kernel_fail_permille; /* same for a kernel failure (needs inject/fired) */
    unsigned full_check_every;     /* ops between full comparisons (0: 128) */
    const model_backend *backend;
    int verbose;
} model_test_config;

/* Fills cfg from a backend test's command line, `PROGRAM ARCH [--ops N]
 * [--seed S] [--kernel-fail P] [--alloc-fail P] [-v]`: defaults seed
 * 20240611, 20000 ops, 20 permille of each failure; cfg->arch is NULL if
 * ARCH is missing or unknown (the caller prints its usage). */
void model_test_backend_args(int argc, char **argv, model_test_config *cfg);

/* Runs the test; returns 0 if every operation matched the model, else
 * prints the seed, operation index and operation and returns 1. */
int model_test_run(const model_test_config *cfg);

/* For a backend's verify: calls fn(ctx, va, rights) at the first byte of
 * every mapped page of every reservation of vs, and at both ends of every
 * unmapped stretch (page by page would be 2^18 calls per 1 GiB; a stray
 * kernel mapping elsewhere must show in the backend's own frame count).
 * Stops at, and returns, the first non-zero fn result. */
int model_verify_points(const vs_space *vs, int (*fn)(void *ctx, vs_addr va, unsigned rights), void *ctx);

#endif
