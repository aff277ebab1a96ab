/* Minimal test harness: checks that count failures and keep going, and a
 * fixture that builds a vspace over the fake kernel and the test allocator
 * and, on teardown, asserts that everything it created came back. */
#ifndef TESTS_SUPPORT_HARNESS_H
#define TESTS_SUPPORT_HARNESS_H

#include <stdio.h>

#include <vs/space.h>

#include "fakek.h"
#include "talloc.h"

extern unsigned test_failures;
extern const char *test_context; /* printed with every failure: test name and arch */

void test_fail(const char *file, int line, const char *fmt, ...);

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                                         \
        }                                                                                                              \
    } while (0)

/* Compares two vs_result values and prints both names on mismatch. */
#define CHECK_RES(expr, expected)                                                                                      \
    do {                                                                                                               \
        vs_result check_res_got_ = (expr);                                                                             \
        vs_result check_res_want_ = (expected);                                                                        \
        if (check_res_got_ != check_res_want_) {                                                                       \
            test_fail(__FILE__, __LINE__, "%s returned %s, expected %s", #expr, vs_result_name(check_res_got_),        \
                      vs_result_name(check_res_want_));                                                                \
        }                                                                                                              \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                                               \
    do {                                                                                                               \
        unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b);                     \
        if (check_a_ != check_b_) {                                                                                    \
            test_fail(__FILE__, __LINE__, "%s == %#llx, expected %s == %#llx", #a, check_a_, #b, check_b_);            \
        }                                                                                                              \
    } while (0)

enum { PAGE_SIZE = 4096 };

typedef struct fixture {
    const vs_arch *arch;
    talloc ta;
    fakek *fk;
    vs_cap root;
    vs_space *vs;
} fixture;

enum {
    FX_TABLES = 1, /* the fake kernel requires paging tables, as seL4 does */
    FX_BATCH = 2   /* the fake kernel offers the batch map/unmap ops */
};

/* Creates a vspace managing [base, end) (both 0: the arch default) over a
 * fake kernel configured by FX_* flags. Aborts the test program if creation
 * fails: every later check would be noise. */
void fx_init(fixture *fx, const vs_arch *arch, vs_addr base, vs_addr end, unsigned flags);
/* A second vspace on the same fake kernel and allocator (for vs_share). */
vs_space *fx_second(fixture *fx, vs_cap *root_out);
/* Destroys the vspace (flags for vs_destroy) and checks I3: the fake kernel
 * holds no object, copy or mapping the core created, no table is mapped,
 * the allocator holds nothing, nobody misused either. */
void fx_fini(fixture *fx, unsigned destroy_flags);
/* Runs vs_check and fails the test if it reports anything. */
void fx_check(fixture *fx, const vs_space *vs);

vs_attrs attrs_rw(const char *name);
/* A fresh caller frame cap of 2^bits bytes from the fake kernel. */
vs_cap fx_frame(fixture *fx, unsigned bits);
/* The nth (0-based) vspace reservation found by ascending walk, or NULL. */
vs_reservation *fx_nth_reservation(const vs_space *vs, size_t n);

typedef void (*arch_test_fn)(const vs_arch *arch);
/* Runs fn once per architecture with test_context set to "name/arch". */
void run_all_archs(const char *name, arch_test_fn fn);
/* Prints a summary and returns the process exit status. */
int test_summary(const char *program);

#endif
