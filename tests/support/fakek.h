/* A recording fake kernel behind vs_kernel_ops.
 *
 * It models just enough of seL4 to judge the core: caps (originals and
 * copies) naming frames, paging tables and vspace roots; one mapping per
 * frame cap; which tables are mapped at which (level, vaddr); physical
 * addresses; and a translate() answered from that state. Optionally it
 * requires paging tables the way seL4 does (map_frame answers
 * missing_level when a covering table is absent), and it behaves per arch
 * when a frame is mapped over another: x86 and Arm silently replace it
 * (counted in silent_replacements), RISC-V refuses.
 *
 * Misuse that a correct core never commits (wrong object kind or size,
 * freeing a copy as an object, a bad cookie, unmapping a table with frames
 * still beneath it, ...) is counted in `violations`, first message kept.
 * Any call can be made to fail (the Nth from arming); a failing call leaves
 * the state exactly as it was, except a batch call (map_frames,
 * unmap_frames), which fails halfway with the first half done, as the
 * interface allows. A batch call counts as one call of the single op. */
#ifndef TESTS_SUPPORT_FAKEK_H
#define TESTS_SUPPORT_FAKEK_H

#include <stddef.h>
#include <stdint.h>

#include <vs/arch.h>
#include <vs/kernel.h>

/* seL4_Error values the fake answers with. */
enum {
    FK_INVALID_ARGUMENT = 1,
    FK_INVALID_CAPABILITY = 2,
    FK_ALIGNMENT_ERROR = 5,
    FK_FAILED_LOOKUP = 6,
    FK_DELETE_FIRST = 8,
    FK_NOT_ENOUGH_MEMORY = 10,
    FK_INJECTED = 42 /* the code an injected failure returns */
};

typedef enum fk_op {
    FK_OP_ALLOC_OBJECT,
    FK_OP_FREE_OBJECT,
    FK_OP_MAP_FRAME,
    FK_OP_MAP_TABLE,
    FK_OP_UNMAP_FRAME,
    FK_OP_UNMAP_TABLE,
    FK_OP_COPY_CAP,
    FK_OP_DELETE_CAP,
    FK_OP_FRAME_PADDR,
    FK_OP_TRANSLATE,
    FK_OP_COUNT
} fk_op;

typedef enum fk_kind { FK_KIND_NONE = 0, FK_KIND_FRAME, FK_KIND_TABLE, FK_KIND_ROOT } fk_kind;

typedef struct fk_cap {
    uint8_t alive;
    uint8_t kind; /* fk_kind */
    uint8_t is_copy;
    uint8_t by_alloc; /* created through alloc_object or copy_cap (the core's) */
    uint8_t mapped;
    uint8_t rights;
    uint8_t cache;
    uint8_t size; /* frame: arch page-size index; table: level */
    vs_cap orig;  /* the original cap (itself unless a copy) */
    uintptr_t cookie;
    vs_addr paddr; /* frames */
    vs_cap root;   /* where mapped */
    vs_addr vaddr;
} fk_cap;

typedef struct fk_call {
    uint8_t op; /* fk_op */
    int error;
    int missing_level;
    vs_cap cap;
    vs_addr vaddr;
    unsigned size;
} fk_call;

typedef enum fk_fail_mode {
    FK_FAIL_ERROR,        /* return FK_INJECTED */
    FK_FAIL_MISSING_LEVEL /* map calls report FK_FAILED_LOOKUP with missing_level 1; others FK_INJECTED */
} fk_fail_mode;

typedef struct fk_slot fk_slot;

typedef struct fakek {
    const vs_arch *arch;
    int tables_required;
    int batch;    /* fk_kernel offers map_frames/unmap_frames (set before fk_kernel) */
    fk_cap *caps; /* indexed by cap number; [0] unused (null cap) */
    size_t ncaps;
    size_t caps_capacity;
    vs_cap *free_caps; /* LIFO of reusable cap numbers */
    size_t nfree;
    fk_slot *slots; /* index: (root, tag, aligned vaddr) -> cap / sub-count */
    size_t slots_capacity;
    size_t slots_used;
    vs_addr next_paddr;
    uint64_t calls[FK_OP_COUNT];
    uint64_t total_calls;
    /* injection */
    uint64_t fail_at;
    uint64_t armed_calls;
    int fired;
    int preempted; /* the injected call was a batch that failed naturally before the injection point */
    fk_fail_mode fail_mode;
    /* findings */
    unsigned violations;
    char first_violation[200];
    unsigned silent_replacements;
    /* call log */
    int logging;
    fk_call *log;
    size_t nlog;
    size_t log_capacity;
} fakek;

typedef struct fk_counts {
    size_t frames, tables, roots, copies; /* live caps by kind (copies counted apart) */
    size_t core_objects;                  /* live caps the core created (alloc_object/copy_cap) */
    size_t mapped_frames;                 /* live frame caps that are mapped */
    size_t mapped_tables;
} fk_counts;

fakek *fk_create(const vs_arch *arch, int tables_required);
void fk_destroy(fakek *fk);
vs_kernel fk_kernel(fakek *fk);

/* Test-side object creation (not counted as kernel calls, not "core"). */
vs_cap fk_new_root(fakek *fk);
vs_object fk_new_frame(fakek *fk, unsigned size_bits);

const fk_cap *fk_cap_get(const fakek *fk, vs_cap cap);
fk_counts fk_count(const fakek *fk);
/* Translation from the fake's own state (no call counted). */
vs_translation fk_translate_now(const fakek *fk, vs_cap root, vs_addr vaddr);

void fk_fail_nth(fakek *fk, uint64_t n, fk_fail_mode mode);
void fk_disarm(fakek *fk);
void fk_log_clear(fakek *fk);
/* Carries out the call an injection failed (the last logged injected call)
 * where the core could not: a refused free_object / delete_cap after a
 * committed unmap (absorbed: counted in release_failures), or a refused
 * unmap_frame / unmap_table in vs_destroy, which goes on without it. A
 * frame whose unmap was refused is still mapped when teardown removes the
 * table above it: seL4 allows that, the fake notes it as a misuse, and
 * that note is withdrawn here. Returns the op it completed, or FK_OP_COUNT
 * if nothing was left to do. */
fk_op fk_reclaim_injected(fakek *fk);
/* Number of logged calls of op (since the last clear) whose cap is cap (0: any). */
size_t fk_log_count(const fakek *fk, fk_op op, vs_cap cap);

#endif
