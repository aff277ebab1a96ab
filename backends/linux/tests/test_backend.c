/* The Linux backend against the real kernel: every fact is read back from
 * /proc/self/maps or from the memory itself, not from the backend's own
 * bookkeeping. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vs/audit.h>

#include "harness.h"
#include "lx_compare.h"

enum { PG = 4096 };
static const vs_addr BASE = 1ull << 30, END = (1ull << 30) + (256ull << 20);

typedef struct lfx {
    vs_linux *be;
    talloc ta;
    vs_cap root;
    vs_space *vs;
    int64_t offset;
} lfx;

static void lfx_init(lfx *f, int private_mappings)
{
    vs_linux_config cfg = {NULL, 64ull << 20, private_mappings};
    memset(f, 0, sizeof *f);
    if (vs_linux_create(&cfg, &f->be) != 0 ||
        vs_linux_root_create(f->be, BASE, END, 0, VS_LINUX_ANYWHERE, &f->root) != 0) {
        fprintf(stderr, "backend setup failed\n");
        exit(1);
    }
    vs_addr b, e;
    vs_linux_root_window(f->be, f->root, &b, &e, &f->offset);
    talloc_init(&f->ta);
    vs_config c = {vs_arch_get(VS_ARCH_X86_64), talloc_allocator(&f->ta), vs_linux_kernel(f->be), f->root, BASE, END};
    CHECK_RES(vs_create(&c, &f->vs), VS_OK);
}

static void lfx_fini(lfx *f)
{
    CHECK_RES(vs_destroy(f->vs, VS_DESTROY_FREE_CALLER_FRAMES, NULL), VS_OK);
    vs_linux_counts n;
    vs_linux_get_counts(f->be, &n);
    CHECK_EQ_U(n.frames + n.copies + n.mapped, 0);
    CHECK_EQ_U(n.phys_memory, 0); /* the memfd really holds no page any more */
    CHECK_EQ_U(f->ta.live_bytes, 0);
    vs_linux_destroy(f->be);
    talloc_fini(&f->ta);
}

static uint8_t *host(const lfx *f, vs_addr va)
{
    return (uint8_t *)(uintptr_t)(va + (uint64_t)f->offset);
}

/* The /proc/self/maps line at a vspace address. */
static vs_linux_vma line_at(const lfx *f, vs_addr va)
{
    vs_linux_maps m;
    vs_linux_vma v;
    memset(&v, 0, sizeof v);
    if (vs_linux_maps_read(f->be, 0, &m) == 0) {
        const vs_linux_vma *p = vs_linux_maps_find(&m, va + (uint64_t)f->offset);
        if (p != NULL) {
            v = *p;
        }
        vs_linux_maps_free(&m);
    }
    return v;
}

/* How many lines of /proc/self/maps map the backend's memfd. */
static size_t memfd_line_count(const lfx *f)
{
    vs_linux_maps m;
    size_t n = 0;
    if (vs_linux_maps_read(f->be, 0, &m) == 0) {
        for (size_t i = 0; i < m.count; i++) {
            n += m.vma[i].frames;
        }
        vs_linux_maps_free(&m);
    }
    return n;
}

static void compare(lfx *f)
{
    char msg[200] = "";
    if (lx_compare(f->be, f->vs, f->root, msg, sizeof msg) != 0) {
        test_fail(__FILE__, __LINE__, "shadow and /proc/self/maps differ: %s", msg);
    }
}

static void test_map_unmap(void)
{
    test_context = "map_unmap";
    lfx f;
    lfx_init(&f, 0);
    vs_attrs ro = {"ro", VS_RIGHT_READ, VS_CACHE_DEFAULT};
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_reservation *r1, *r2;
    CHECK_RES(vs_reserve_at(f.vs, BASE + 16 * PG, 64 * PG, &rw, &r1), VS_OK);
    CHECK_RES(vs_reserve_at(f.vs, BASE + 128 * PG, 16 * PG, &ro, &r2), VS_OK);
    /* Before mapping: the whole window is one placeholder. */
    vs_linux_vma v = line_at(&f, BASE + 16 * PG);
    CHECK(v.placeholder && v.start == BASE + (uint64_t)f.offset && v.end == END + (uint64_t)f.offset);
    /* 32 new frames come contiguous from the memfd: one mmap, one line. */
    CHECK_RES(vs_map_new(f.vs, BASE + 16 * PG, 32, 12), VS_OK);
    v = line_at(&f, BASE + 20 * PG);
    CHECK(v.frames && v.shared && v.rights == (VS_RIGHT_READ | VS_RIGHT_WRITE));
    CHECK_EQ_U(v.end - v.start, 32 * PG);
    /* Writes through the mapping land in the frame (read via the physmap,
     * which the first vs_linux_frame_host maps: one memfd line more). */
    memcpy(host(&f, BASE + 17 * PG + 5), "hello", 5);
    vs_page p;
    vs_lookup(f.vs, BASE + 17 * PG, &p);
    uint64_t size = 0;
    CHECK_EQ_U(memfd_line_count(&f), 1);
    uint8_t *fr = vs_linux_frame_host(f.be, p.cap, &size);
    CHECK(fr != NULL && size == PG && memcmp(fr + 5, "hello", 5) == 0);
    CHECK_EQ_U(memfd_line_count(&f), 2);
    CHECK(vs_linux_frame_host(f.be, p.cap, NULL) == fr); /* the same physmap */
    compare(&f);
    /* Read-only reservation: the line says r--. */
    CHECK_RES(vs_map_new(f.vs, BASE + 128 * PG, 1, 12), VS_OK);
    v = line_at(&f, BASE + 128 * PG);
    CHECK(v.frames && v.rights == VS_RIGHT_READ);
    compare(&f);
    /* Unmapping puts the placeholder back: no memfd line is left in the window. */
    CHECK_RES(vs_unmap(f.vs, BASE + 16 * PG, 32 * PG, 0), VS_OK);
    CHECK_RES(vs_unmap(f.vs, BASE + 128 * PG, PG, 0), VS_OK);
    v = line_at(&f, BASE + 16 * PG);
    CHECK(v.placeholder && v.start == BASE + (uint64_t)f.offset && v.end == END + (uint64_t)f.offset);
    compare(&f);
    lfx_fini(&f);
}

static void test_share_and_large(void)
{
    test_context = "share_large";
    lfx f;
    lfx_init(&f, 0);
    vs_linux_config cfg;
    (void)cfg;
    vs_cap root2 = 0;
    CHECK_EQ_U(vs_linux_root_create(f.be, BASE, END, 0, VS_LINUX_ANYWHERE, &root2), 0);
    vs_addr b, e;
    int64_t off2 = 0;
    vs_linux_root_window(f.be, root2, &b, &e, &off2);
    vs_space *vs2 = NULL;
    vs_config c = {vs_arch_get(VS_ARCH_X86_64), talloc_allocator(&f.ta), vs_linux_kernel(f.be), root2, BASE, END};
    CHECK_RES(vs_create(&c, &vs2), VS_OK);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE + (4ull << 20), 4ull << 20, &rw, NULL), VS_OK);
    CHECK_RES(vs_reserve_at(vs2, BASE + (8ull << 20), 4ull << 20, &rw, NULL), VS_OK);
    /* A 2 MiB frame: a 2 MiB-aligned run of the memfd, reported as a large page. */
    CHECK_RES(vs_map_new(f.vs, BASE + (4ull << 20), 1, 21), VS_OK);
    vs_translation t;
    CHECK_EQ_U(vs_linux_kernel(f.be).ops->translate(f.be, f.root, BASE + (5ull << 20), &t), 0);
    CHECK(t.mapped && t.size_bits == 21 && (t.paddr & ((2u << 20) - 1)) == (1u << 20));
    compare(&f);
    /* Share it into the second vspace: the same frame, mapped twice. */
    CHECK_RES(vs_share(vs2, BASE + (8ull << 20), f.vs, BASE + (4ull << 20), 2ull << 20), VS_OK);
    memcpy(host(&f, BASE + (4ull << 20) + 100), "shared bytes", 13);
    CHECK(strcmp((char *)(uintptr_t)(BASE + (8ull << 20) + 100 + (uint64_t)off2), "shared bytes") == 0);
    char msg[200] = "";
    CHECK(lx_compare(f.be, vs2, root2, msg, sizeof msg) == 0);
    compare(&f);
    CHECK_RES(vs_destroy(vs2, 0, NULL), VS_OK);
    CHECK_EQ_U(vs_linux_root_free(f.be, root2), 0);
    lfx_fini(&f);
}

/* The comparison itself catches what it is there to catch. */
static void test_compare_catches(void)
{
    test_context = "compare_catches";
    lfx f;
    lfx_init(&f, 0);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE, 16 * PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_map_new(f.vs, BASE, 4, 12), VS_OK);
    char msg[200] = "";
    /* Rights changed behind the shadow's back. */
    CHECK(mprotect(host(&f, BASE + PG), PG, PROT_READ) == 0);
    CHECK(lx_compare(f.be, f.vs, f.root, msg, sizeof msg) == 1 && strstr(msg, "rights") != NULL);
    CHECK(mprotect(host(&f, BASE + PG), PG, PROT_READ | PROT_WRITE) == 0);
    CHECK(lx_compare(f.be, f.vs, f.root, msg, sizeof msg) == 0);
    /* A foreign anonymous mapping in the window. */
    CHECK(mmap(host(&f, BASE + 8 * PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED);
    CHECK(lx_compare(f.be, f.vs, f.root, msg, sizeof msg) == 1 && strstr(msg, "0x40008000") != NULL);
    CHECK(mmap(host(&f, BASE + 8 * PG), PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
               0) != MAP_FAILED);
    /* A page unmapped behind the shadow's back. */
    CHECK(mmap(host(&f, BASE + 2 * PG), PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
               0) != MAP_FAILED);
    CHECK(lx_compare(f.be, f.vs, f.root, msg, sizeof msg) == 1 && strstr(msg, "kernel does not") != NULL);
    lfx_fini(&f);
}

/* A failing batch leaves nothing mapped: a cap used twice, and a cap that
 * is no frame, part way through. */
static void test_all_or_nothing(void)
{
    test_context = "all_or_nothing";
    lfx f;
    lfx_init(&f, 0);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE, 16 * PG, &rw, NULL), VS_OK);
    vs_kernel k = vs_linux_kernel(f.be);
    vs_object o[3];
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_U(k.ops->alloc_object(f.be, VS_OBJ_FRAME, 0, &o[i]), 0);
    }
    vs_cap twice[4] = {o[0].cap, o[1].cap, o[2].cap, o[1].cap};
    CHECK_RES(vs_map(f.vs, BASE, twice, NULL, 4, 12), VS_ERR_KERNEL);
    CHECK_EQ_U(vs_last_kernel_error(f.vs), EBUSY);
    compare(&f);
    vs_linux_vma v = line_at(&f, BASE);
    CHECK(v.placeholder);
    vs_cap bogus[3] = {o[0].cap, o[1].cap, 9999};
    CHECK_RES(vs_map(f.vs, BASE, bogus, NULL, 3, 12), VS_ERR_KERNEL);
    CHECK_EQ_U(vs_last_kernel_error(f.vs), EINVAL);
    CHECK(line_at(&f, BASE + PG).placeholder);
    compare(&f);
    vs_linux_counts n;
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.mapped, 0);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_U(k.ops->free_object(f.be, VS_OBJ_FRAME, 0, &o[i]), 0);
    }
    lfx_fini(&f);
}

/* map_frames called directly: a batch that meets a bad frame part way
 * maps frames[0..done) (every pending run before it, contiguous in the
 * memfd or not), says why the bad one was refused and leaves the rest
 * as they were. */
static void test_batch_partial(void)
{
    test_context = "batch_partial";
    lfx f;
    lfx_init(&f, 0);
    vs_kernel k = vs_linux_kernel(f.be);
    const unsigned rw = VS_RIGHT_READ | VS_RIGHT_WRITE;
    vs_object o[4], big[2];
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_U(k.ops->alloc_object(f.be, VS_OBJ_FRAME, 0, &o[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_U(k.ops->alloc_object(f.be, VS_OBJ_FRAME, 1, &big[i]), 0);
    }
    const vs_cap a = o[0].cap, b = o[1].cap, c = o[2].cap, d = o[3].cap;
    vs_linux_counts n;
    unsigned done = 99;
    /* Three frames from two pages below the window's end: the third would
     * lie past it, and the message names its address (the end). */
    vs_cap tail[3] = {a, b, c};
    vs_kstatus st = k.ops->map_frames(f.be, f.root, tail, 3, END - 2 * PG, 0, rw, VS_CACHE_DEFAULT, &done);
    CHECK_EQ_U(st.error, EINVAL);
    CHECK_EQ_U(done, 2);
    CHECK(strstr(vs_linux_last_error(f.be), "0x50000000 is misaligned or outside") != NULL);
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.mapped, 2);
    CHECK(line_at(&f, END - 2 * PG).frames && line_at(&f, END - PG).frames);
    CHECK_EQ_U(k.ops->unmap_frames(f.be, tail, 2, 0, &done), 0);
    CHECK_EQ_U(done, 2);
    /* Up to the end exactly: all three fit. */
    CHECK_EQ_U(k.ops->map_frames(f.be, f.root, tail, 3, END - 3 * PG, 0, rw, VS_CACHE_DEFAULT, &done).error, 0);
    CHECK_EQ_U(done, 3);
    CHECK_EQ_U(k.ops->unmap_frames(f.be, tail, 3, 0, &done), 0);
    /* Runs of one frame each (a, c, b are not consecutive in the memfd),
     * then a cap that is no frame: done counts every run before it, and d
     * after it stays unmapped. */
    vs_cap bogus[5] = {a, c, b, 9999, d};
    st = k.ops->map_frames(f.be, f.root, bogus, 5, BASE, 0, rw, VS_CACHE_DEFAULT, &done);
    CHECK_EQ_U(st.error, EINVAL);
    CHECK_EQ_U(done, 3);
    CHECK(strstr(vs_linux_last_error(f.be), "cap 9999 is not a frame") != NULL);
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.mapped, 3);
    CHECK(line_at(&f, BASE + 2 * PG).frames && line_at(&f, BASE + 3 * PG).placeholder &&
          line_at(&f, BASE + 4 * PG).placeholder);
    /* A frame mapped already, part way: EBUSY, the one before it mapped. */
    vs_cap busy[2] = {d, a};
    st = k.ops->map_frames(f.be, f.root, busy, 2, BASE + 8 * PG, 0, rw, VS_CACHE_DEFAULT, &done);
    CHECK_EQ_U(st.error, EBUSY);
    CHECK_EQ_U(done, 1);
    CHECK_EQ_U(k.ops->unmap_frames(f.be, bogus, 3, 0, &done), 0);
    CHECK_EQ_U(k.ops->unmap_frame(f.be, d, 0), 0);
    /* No root, a misaligned address: nothing is mapped. */
    st = k.ops->map_frames(f.be, a, tail, 3, BASE, 0, rw, VS_CACHE_DEFAULT, &done);
    CHECK(st.error == EINVAL && done == 0);
    CHECK(strstr(vs_linux_last_error(f.be), "is not a root") != NULL);
    /* No frame at all: nothing to refuse, whatever the root. */
    st = k.ops->map_frames(f.be, a, tail, 0, BASE, 0, rw, VS_CACHE_DEFAULT, &done);
    CHECK(st.error == 0 && done == 0);
    st = k.ops->map_frames(f.be, f.root, tail, 3, BASE + PG / 2, 0, rw, VS_CACHE_DEFAULT, &done);
    CHECK(st.error == EINVAL && done == 0);
    /* Large frames: none at the end itself, one of two from 2 MiB below it. */
    vs_cap large[2] = {big[0].cap, big[1].cap};
    st = k.ops->map_frames(f.be, f.root, large, 1, END, 1, rw, VS_CACHE_DEFAULT, &done);
    CHECK(st.error == EINVAL && done == 0);
    st = k.ops->map_frames(f.be, f.root, large, 2, END - (2u << 20), 1, rw, VS_CACHE_DEFAULT, &done);
    CHECK(st.error == EINVAL && done == 1);
    CHECK(strstr(vs_linux_last_error(f.be), "0x50000000 is misaligned or outside") != NULL);
    CHECK_EQ_U(k.ops->unmap_frame(f.be, large[0], 1), 0);
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.mapped, 0);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_U(k.ops->free_object(f.be, VS_OBJ_FRAME, 0, &o[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_U(k.ops->free_object(f.be, VS_OBJ_FRAME, 1, &big[i]), 0);
    }
    compare(&f);
    lfx_fini(&f);
}

/* A window placed at a fixed address refuses to land on anything. */
static void test_clash(void)
{
    test_context = "clash";
    vs_linux *be = NULL;
    CHECK_EQ_U(vs_linux_create(NULL, &be), 0);
    vs_addr here = (vs_addr)(uintptr_t)&test_clash & ~(vs_addr)(PG - 1);
    vs_cap root = 0;
    CHECK_EQ_U(vs_linux_root_create(be, here - 16 * PG, here + 16 * PG, 0, VS_LINUX_AT_OFFSET, &root), EEXIST);
    CHECK(strstr(vs_linux_last_error(be), "linuxbe_unit") != NULL);
    vs_linux_destroy(be);
}

/* Private mappings are copy-on-write across fork, as a program expects. */
static void test_private_fork(void)
{
    test_context = "private_fork";
    lfx f;
    lfx_init(&f, 1);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE, 4 * PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_map_new(f.vs, BASE, 4, 12), VS_OK);
    CHECK(!line_at(&f, BASE).shared && line_at(&f, BASE).frames);
    compare(&f);
    volatile int *x = (volatile int *)host(&f, BASE);
    *x = 1;
    pid_t pid = fork();
    if (pid == 0) {
        *x = 2;
        _exit(*x == 2 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(*x == 1);
    lfx_fini(&f);
}

static void count_kind(void *ctx, const vs_discrepancy *d)
{
    ((size_t *)ctx)[d->kind]++;
}

/* The three-way audit (inspect/) over this backend: clean after real work,
 * and it sees what is planted behind the shadow's back. */
static void test_audit(void)
{
    test_context = "audit";
    lfx f;
    lfx_init(&f, 1);
    vs_attrs rx = {".text", VS_RIGHT_READ | VS_RIGHT_EXEC, VS_CACHE_DEFAULT};
    vs_attrs rw = {".data", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE + (2ull << 20), 2ull << 20, &rx, NULL), VS_OK);
    CHECK_RES(vs_reserve_at(f.vs, BASE + (8ull << 20), 64 * PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_map_new(f.vs, BASE + (2ull << 20), 1, 21), VS_OK);
    CHECK_RES(vs_map_new(f.vs, BASE + (8ull << 20), 40, 12), VS_OK);
    vs_audit_summary sum;
    size_t kinds[VS_AUDIT_KIND_COUNT] = {0};
    CHECK_RES(vs_audit(f.vs, count_kind, kinds, &sum), VS_OK);
    CHECK(sum.checks_run & VS_AUDIT_CHECK_TRANSLATE);
    CHECK(sum.checks_run & VS_AUDIT_CHECK_UNKNOWN);
    CHECK_EQ_U(sum.mapped_pages, 512 + 40);
    CHECK_EQ_U(sum.kernel_pages, 512 + 40);
    /* Planted: a foreign page in the window, a page's rights changed. */
    CHECK(mmap(host(&f, BASE + (8ull << 20) + 50 * PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
               0) != MAP_FAILED);
    CHECK(mprotect(host(&f, BASE + (8ull << 20)), PG, PROT_READ) == 0);
    CHECK_RES(vs_audit(f.vs, count_kind, kinds, &sum), VS_ERR_INCONSISTENT);
    CHECK_EQ_U(kinds[VS_AUDIT_KERNEL_UNKNOWN], 1);
    CHECK_EQ_U(kinds[VS_AUDIT_KERNEL_RIGHTS], 1);
    CHECK(mprotect(host(&f, BASE + (8ull << 20)), PG, PROT_READ | PROT_WRITE) == 0);
    lfx_fini(&f);
}

/* Frames that are pages of a file (vs_linux_set_file, file_frames): the
 * file's bytes, mapped privately from the file and identified by device,
 * inode and offset in /proc/self/maps (translate, audit); writable ones are
 * copy-on-write (the file never changes); never shown through frame
 * access; freeing them frees no memfd memory. */
static void test_file_frames(void)
{
    test_context = "file_frames";
    const uint64_t PHYS = 1ull << 30; /* the memfd's 64 MiB, rounded up to the largest page */
    lfx f;
    lfx_init(&f, 0);
    char path[] = "/tmp/linuxbe-file-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    static uint8_t bytes[5 * PG];
    for (size_t i = 0; i < sizeof bytes; i++) {
        bytes[i] = (uint8_t)(i / PG * 16 + i % 13);
    }
    CHECK(write(fd, bytes, sizeof bytes) == (ssize_t)sizeof bytes);
    vs_frame_access fa = vs_linux_frame_access(f.be);
    CHECK(fa.ops->file_frames == NULL); /* no file set: not offered */
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    CHECK_EQ_U(vs_linux_set_file(f.be, pipefd[0]), EINVAL);
    close(pipefd[0]);
    close(pipefd[1]);
    CHECK_EQ_U(vs_linux_set_file(f.be, fd), 0);
    CHECK_EQ_U(vs_linux_set_file(f.be, fd), EBUSY);
    /* the backend keeps its own descriptor; fd stays to read the file back */
    fa = vs_linux_frame_access(f.be);
    CHECK(fa.ops->file_frames != NULL);
    vs_cap caps[4];
    uintptr_t cookies[4];
    /* Past the end of the file, or misaligned: refused, nothing made. */
    CHECK_EQ_U(fa.ops->file_frames(fa.ctx, 4 * PG, 2, caps, cookies), EINVAL);
    CHECK_EQ_U(fa.ops->file_frames(fa.ctx, 100, 1, caps, cookies), EINVAL);
    vs_linux_counts n;
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.frames + n.file_frames, 0);
    CHECK_EQ_U(fa.ops->file_frames(fa.ctx, PG, 3, caps, cookies), 0);
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.frames, 3);
    CHECK_EQ_U(n.file_frames, 3);
    CHECK_EQ_U(n.phys_used, 0);
    /* Writable (in the shared mode, too): copy-on-write, the file stays. */
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    vs_attrs rx = {"rx", VS_RIGHT_READ | VS_RIGHT_EXEC, VS_CACHE_DEFAULT};
    vs_reservation *rwres, *rxres;
    vs_cap wcap[1];
    uintptr_t wcookie[1];
    CHECK_EQ_U(fa.ops->file_frames(fa.ctx, 0, 1, wcap, wcookie), 0);
    CHECK_RES(vs_reserve_at(f.vs, BASE, 8 * PG, &rw, &rwres), VS_OK);
    CHECK_RES(vs_map(f.vs, BASE, wcap, wcookie, 1, 12), VS_OK);
    vs_linux_vma wl = line_at(&f, BASE);
    CHECK(wl.frames && !wl.shared && wl.rights == (VS_RIGHT_READ | VS_RIGHT_WRITE) && wl.offset == PHYS);
    CHECK(memcmp(host(&f, BASE), bytes, PG) == 0);
    memset(host(&f, BASE), 0x5a, 16);
    uint8_t back[16];
    CHECK(pread(fd, back, sizeof back, 0) == (ssize_t)sizeof back && memcmp(back, bytes, sizeof back) == 0);
    compare(&f);
    CHECK_RES(vs_unmap(f.vs, BASE, PG, VS_UNMAP_FREE_FRAMES), VS_OK);
    close(fd);
    /* Read-only: the file's bytes, one private line of the file. */
    CHECK_RES(vs_reserve_at(f.vs, BASE + 16 * PG, 8 * PG, &rx, &rxres), VS_OK);
    CHECK_RES(vs_map(f.vs, BASE + 16 * PG, caps, cookies, 3, 12), VS_OK);
    CHECK(memcmp(host(&f, BASE + 16 * PG), bytes + PG, 3 * PG) == 0);
    vs_linux_vma v = line_at(&f, BASE + 17 * PG);
    CHECK(v.frames && !v.shared && v.rights == (VS_RIGHT_READ | VS_RIGHT_EXEC));
    CHECK_EQ_U(v.offset, PHYS + PG); /* phys_bytes (rounded up to 1 GiB) + the file offset */
    vs_addr pa = 0;
    vs_kernel k = vs_linux_kernel(f.be);
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, caps[2], &pa), 0);
    CHECK_EQ_U(pa, PHYS + 3 * PG);
    compare(&f);
    vs_audit_summary sum;
    CHECK_RES(vs_audit(f.vs, NULL, NULL, &sum), VS_OK);
    CHECK_EQ_U(sum.kernel_pages, 3);
    /* A memfd frame next to them stays a separate run (other file). */
    CHECK_RES(vs_map_new(f.vs, BASE + 19 * PG, 1, 12), VS_OK);
    compare(&f);
    /* Never shown through frame access or the physmap. */
    vs_frame_window w;
    CHECK_EQ_U(fa.ops->map(fa.ctx, caps, 1, 12, &w), EINVAL);
    CHECK(vs_linux_frame_host(f.be, caps[0], NULL) == NULL);
    /* A copy names the same page; deleting it leaves the original. */
    vs_cap copy = 0;
    CHECK_EQ_U(k.ops->copy_cap(k.ctx, caps[0], &copy), 0);
    CHECK_EQ_U(k.ops->frame_paddr(k.ctx, copy, &pa), 0);
    CHECK_EQ_U(pa, PHYS + PG);
    CHECK_EQ_U(k.ops->delete_cap(k.ctx, copy), 0);
    /* Freed with the reservation (VS_FREE_FRAMES): no memfd memory involved. */
    CHECK_RES(vs_free(f.vs, rxres, VS_FREE_UNMAP | VS_FREE_FRAMES), VS_OK);
    CHECK(line_at(&f, BASE + 16 * PG).placeholder);
    vs_linux_get_counts(f.be, &n);
    CHECK_EQ_U(n.file_frames, 0);
    CHECK_EQ_U(n.frames, 0);
    CHECK_RES(vs_free(f.vs, rwres, 0), VS_OK);
    lfx_fini(&f);
}

/* Frame access shows frames in a heap buffer (no mapping is made): map
 * reads their current bytes, unmap writes the window back, in memfd
 * order whatever order the caps come in; at most 64 KiB at once. And
 * vs_linux_frame_write lands in the frame, inside it only. */
static void test_frame_access(void)
{
    test_context = "frame_access";
    lfx f;
    lfx_init(&f, 1);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE + 16 * PG, 20 * PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_map_new(f.vs, BASE + 16 * PG, 20, 12), VS_OK);
    vs_cap caps[20];
    for (int i = 0; i < 20; i++) {
        vs_page p;
        CHECK_RES(vs_lookup(f.vs, BASE + (vs_addr)(16 + i) * PG, &p), VS_OK);
        caps[i] = p.cap;
    }
    /* Written through the memfd: the frame and the (untouched, private)
     * mapping show it; a write past the frame's end or into no frame is
     * refused. */
    CHECK_EQ_U(vs_linux_frame_write(f.be, caps[3], 100, "before", 6), 0);
    CHECK_EQ_U(vs_linux_frame_write(f.be, caps[10], 0, "ten", 3), 0);
    CHECK(memcmp(host(&f, BASE + 19 * PG + 100), "before", 6) == 0);
    CHECK(memcmp(vs_linux_frame_host(f.be, caps[10], NULL), "ten", 3) == 0);
    CHECK_EQ_U(vs_linux_frame_write(f.be, caps[4], PG - 2, "abc", 3), EINVAL);
    CHECK_EQ_U(vs_linux_frame_write(f.be, f.root, 0, "abc", 3), EINVAL);
    CHECK_EQ_U(vs_linux_frame_write(f.be, 0, 0, "abc", 3), EINVAL);
    CHECK(memcmp(host(&f, BASE + 20 * PG + PG - 2), "\0\0", 2) == 0);
    size_t memfd_lines = memfd_line_count(&f);
    vs_frame_access fa = vs_linux_frame_access(f.be);
    vs_frame_window w;
    CHECK_EQ_U(fa.ops->map(fa.ctx, caps, 20, 12, &w), 0);
    CHECK_EQ_U(w.size, 16 * PG);                   /* 64 KiB shown: the loader asks again for the rest */
    CHECK_EQ_U(memfd_line_count(&f), memfd_lines); /* the window maps no frame */
    CHECK(memcmp(w.host + 3 * PG + 100, "before", 6) == 0);
    memcpy(w.host + 5 * PG + 7, "after", 5);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    CHECK(memcmp(host(&f, BASE + 21 * PG + 7), "after", 5) == 0);
    CHECK(memcmp(vs_linux_frame_host(f.be, caps[5], NULL) + 7, "after", 5) == 0);
    /* Caps out of memfd order: each frame's bytes at its place in the window. */
    vs_cap backwards[3] = {caps[10], caps[9], caps[8]};
    CHECK_EQ_U(fa.ops->map(fa.ctx, backwards, 3, 12, &w), 0);
    CHECK_EQ_U(w.size, 3 * PG);
    CHECK_EQ_U(memfd_line_count(&f), memfd_lines); /* nor frames out of order */
    CHECK(memcmp(w.host, "ten", 3) == 0);
    memcpy(w.host + 2 * PG, "eight", 5);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    CHECK(memcmp(host(&f, BASE + 24 * PG), "eight", 5) == 0);
    /* An unmapped window cannot be unmapped again; a refused frame past
     * what the window would show is not looked at, one inside is. */
    CHECK(w.state == NULL && w.host == NULL);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), EINVAL);
    vs_cap tail_bad[17] = {0};
    memcpy(tail_bad, caps, 16 * sizeof caps[0]);
    tail_bad[16] = f.root;
    CHECK_EQ_U(fa.ops->map(fa.ctx, tail_bad, 17, 12, &w), 0);
    CHECK_EQ_U(w.size, 16 * PG);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    tail_bad[3] = f.root;
    CHECK_EQ_U(fa.ops->map(fa.ctx, tail_bad, 17, 12, &w), EINVAL);
    CHECK(memcmp(host(&f, BASE + 26 * PG), "ten", 3) == 0);
    lfx_fini(&f);
}

/* A window over frames still as the memfd gave them shows zeros without
 * reading them. Once a frame was written in any way -- through a window,
 * vs_linux_frame_write, vs_linux_frame_host or a mapping of it -- a window
 * reads it, also after the mapping is gone; a frame freed and made again
 * is zero. */
static void test_fresh_frames(void)
{
    test_context = "fresh_frames";
    lfx f;
    lfx_init(&f, 0); /* shared mappings: what the program writes is the frame's */
    vs_kernel k = vs_linux_kernel(f.be);
    enum { N = 5 };
    vs_object obj[N];
    vs_cap caps[N];
    for (int i = 0; i < N; i++) {
        CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &obj[i]), 0);
        caps[i] = obj[i].cap;
    }
    static const uint8_t zero[N * PG];
    vs_frame_access fa = vs_linux_frame_access(f.be);
    vs_frame_window w;
    /* Each frame written one way, the window's alone (its unmap writes
     * back every frame it shows). */
    CHECK_EQ_U(fa.ops->map(fa.ctx, caps, 1, 12, &w), 0);
    CHECK(memcmp(w.host, zero, PG) == 0);
    memcpy(w.host + 9, "window", 6);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    CHECK_EQ_U(vs_linux_frame_write(f.be, caps[1], 9, "write", 5), 0);
    memcpy(vs_linux_frame_host(f.be, caps[2], NULL) + 9, "host", 4);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(f.vs, BASE, PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_map(f.vs, BASE, &caps[3], NULL, 1, 12), VS_OK);
    memcpy(host(&f, BASE + 9), "mapped", 6);
    CHECK_RES(vs_unmap(f.vs, BASE, PG, 0), VS_OK);
    /* A window a frame: one frame written makes a window read all it shows. */
    static const char *const written[N] = {"window", "write", "host", "mapped", ""};
    for (int i = 0; i < N; i++) {
        CHECK_EQ_U(fa.ops->map(fa.ctx, &caps[i], 1, 12, &w), 0);
        CHECK(memcmp(w.host + 9, written[i], strlen(written[i])) == 0);
        CHECK(memcmp(w.host + 9 + strlen(written[i]), zero, PG - 9 - strlen(written[i])) == 0);
        CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    }
    /* A window over a new frame and a written one reads them: each frame
     * counts, not only the first. */
    vs_object fresh;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &fresh), 0);
    vs_cap mixed[2] = {fresh.cap, caps[1]};
    CHECK_EQ_U(fa.ops->map(fa.ctx, mixed, 2, 12, &w), 0);
    CHECK(memcmp(w.host, zero, PG) == 0);
    CHECK(memcmp(w.host + PG + 9, "write", 5) == 0);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &fresh), 0);
    for (int i = 0; i < N; i++) {
        CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &obj[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &obj[i]), 0);
        caps[i] = obj[i].cap;
    }
    CHECK_EQ_U(fa.ops->map(fa.ctx, caps, N, 12, &w), 0);
    CHECK(memcmp(w.host, zero, N * PG) == 0);
    CHECK_EQ_U(fa.ops->unmap(fa.ctx, &w), 0);
    for (int i = 0; i < N; i++) {
        CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &obj[i]), 0);
    }
    lfx_fini(&f);
}

/* The lines of /proc/self/maps in [lo, hi) (host addresses): how many,
 * how many of them placeholders, and whether together they cover it all. */
typedef struct window_lines {
    size_t lines, placeholders;
    int covered;
} window_lines;

static window_lines lines_in(uint64_t lo, uint64_t hi)
{
    window_lines w = {0, 0, 0};
    vs_linux_maps m;
    if (vs_linux_maps_read(NULL, 0, &m) != 0) {
        test_fail(__FILE__, __LINE__, "cannot read /proc/self/maps");
        return w;
    }
    uint64_t at = lo;
    int gap = 0;
    for (size_t i = 0; i < m.count; i++) {
        const vs_linux_vma *v = &m.vma[i];
        if (v->end <= lo || v->start >= hi) {
            continue;
        }
        w.lines++;
        w.placeholders += v->placeholder;
        gap |= v->start > at;
        at = v->end;
    }
    w.covered = !gap && at >= hi;
    vs_linux_maps_free(&m);
    return w;
}

/* An unheld window (VS_LINUX_UNHELD): no placeholder until
 * vs_linux_root_hold, mappings that never replace anything (a clash fails
 * and names the mapping in the way, changing nothing), unmapping that
 * leaves the range free; then the hold covers exactly the unmapped parts,
 * refusing (and undoing itself) while something foreign lies in one. */
static void test_unheld(void)
{
    test_context = "unheld";
    const uint64_t SIZE = 16ull << 20, ALIGN = 2ull << 20;
    uint8_t *spot = mmap(NULL, SIZE + ALIGN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(spot != MAP_FAILED);
    munmap(spot, SIZE + ALIGN);
    vs_addr base = ((vs_addr)(uintptr_t)spot + ALIGN - 1) & ~(ALIGN - 1), end = base + SIZE;
    vs_linux_config cfg = {NULL, 64ull << 20, 1};
    vs_linux *be = NULL;
    vs_cap root = 0, other = 0;
    CHECK_EQ_U(vs_linux_create(&cfg, &be), 0);
    CHECK_EQ_U(vs_linux_root_create(be, base, end, 0, VS_LINUX_ANYWHERE | VS_LINUX_UNHELD, &other), EINVAL);
    /* made over something already there: refused, named, nothing left */
    uint8_t *early =
        mmap((void *)(uintptr_t)(end - PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(early == (uint8_t *)(uintptr_t)(end - PG));
    CHECK_EQ_U(vs_linux_root_create(be, base, end, 0, VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD, &root), EEXIST);
    CHECK(strstr(vs_linux_last_error(be), "window") != NULL);
    CHECK_EQ_U(lines_in(base, end).lines, 1);
    munmap(early, PG);
    CHECK_EQ_U(vs_linux_root_create(be, base, end, 0, VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD, &root), 0);
    CHECK_EQ_U(lines_in(base, end).lines, 0);
    talloc ta;
    talloc_init(&ta);
    vs_space *vs = NULL;
    vs_config c = {vs_arch_get(VS_ARCH_X86_64), talloc_allocator(&ta), vs_linux_kernel(be), root, base, end};
    CHECK_RES(vs_create(&c, &vs), VS_OK);
    vs_attrs rw = {"rw", VS_RIGHT_READ | VS_RIGHT_WRITE, VS_CACHE_DEFAULT};
    CHECK_RES(vs_reserve_at(vs, base + (1ull << 20), 8 * PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_reserve_at(vs, base + (4ull << 20), 2ull << 20, &rw, NULL), VS_OK);
    CHECK_RES(vs_reserve_at(vs, base + (12ull << 20), 4 * PG, &rw, NULL), VS_OK);
    CHECK_RES(vs_map_new(vs, base + (1ull << 20), 4, 12), VS_OK);
    CHECK_RES(vs_map_new(vs, base + (4ull << 20), 1, 21), VS_OK);
    CHECK_RES(vs_map_new(vs, base + (1ull << 20) + 6 * PG, 2, 12), VS_OK);
    CHECK_RES(vs_unmap(vs, base + (1ull << 20) + 7 * PG, PG, 0), VS_OK);
    window_lines w = lines_in(base, end);
    CHECK_EQ_U(w.placeholders, 0); /* the unmap left its page free */
    CHECK(!w.covered && w.lines >= 3);
    char msg[200] = "";
    if (lx_compare(be, vs, root, msg, sizeof msg) != 0) {
        test_fail(__FILE__, __LINE__, "unheld: shadow and /proc/self/maps differ: %s", msg);
    }
    /* Something of this process's own in the window meanwhile. */
    uint8_t *foreign = mmap((void *)(uintptr_t)(base + (12ull << 20)), PG, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(foreign == (uint8_t *)(uintptr_t)(base + (12ull << 20)));
    foreign[0] = 0x5a;
    vs_stats before, after;
    vs_get_stats(vs, &before);
    CHECK_RES(vs_map_new(vs, base + (12ull << 20), 4, 12), VS_ERR_KERNEL);
    CHECK_EQ_U(vs_last_kernel_error(vs), EEXIST);
    CHECK(strstr(vs_linux_last_error(be), "clashes with this process's mapping") != NULL);
    vs_get_stats(vs, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK(foreign[0] == 0x5a);
    /* and another in the gap between the first two mapped ranges: the
     * hold fails there, after making the placeholder before it */
    uint8_t *foreign2 = mmap((void *)(uintptr_t)(base + (3ull << 20)), PG, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(foreign2 == (uint8_t *)(uintptr_t)(base + (3ull << 20)));
    w = lines_in(base, end);
    CHECK_EQ_U(vs_linux_root_hold(be, root), EEXIST);
    CHECK(strstr(vs_linux_last_error(be), "clashes with this process's mapping") != NULL);
    window_lines again = lines_in(base, end);
    CHECK(again.lines == w.lines && again.placeholders == 0); /* the refused hold undid its placeholders */
    CHECK(foreign[0] == 0x5a);
    munmap(foreign2, PG);
    CHECK_EQ_U(vs_linux_root_hold(be, root), EEXIST); /* now the last gap */
    CHECK_EQ_U(lines_in(base, end).placeholders, 0);
    munmap(foreign, PG);
    CHECK_EQ_U(vs_linux_root_hold(be, root), 0);
    w = lines_in(base, end);
    CHECK(w.covered && w.placeholders > 0);
    CHECK_EQ_U(vs_linux_root_hold(be, root), 0); /* held already: nothing changes */
    again = lines_in(base, end);
    CHECK(again.lines == w.lines && again.placeholders == w.placeholders);
    /* Held now: an unmap puts the placeholder back, a map replaces it. */
    CHECK_RES(vs_unmap(vs, base + (1ull << 20), PG, 0), VS_OK);
    CHECK_RES(vs_map_new(vs, base + (12ull << 20), 4, 12), VS_OK);
    CHECK(lines_in(base, end).covered);
    if (lx_compare(be, vs, root, msg, sizeof msg) != 0) {
        test_fail(__FILE__, __LINE__, "held: shadow and /proc/self/maps differ: %s", msg);
    }
    vs_audit_summary sum;
    CHECK_RES(vs_audit(vs, NULL, NULL, &sum), VS_OK);
    CHECK_RES(vs_destroy(vs, VS_DESTROY_FREE_CALLER_FRAMES, NULL), VS_OK);
    CHECK_EQ_U(vs_linux_root_free(be, root), 0);
    CHECK_EQ_U(lines_in(base, end).lines, 0);
    /* The same window again: held with nothing mapped, one placeholder. */
    CHECK_EQ_U(vs_linux_root_create(be, base, end, 0, VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD, &root), 0);
    CHECK_EQ_U(vs_linux_root_hold(be, root), 0);
    w = lines_in(base, end);
    CHECK(w.covered && w.lines == 1 && w.placeholders == 1);
    CHECK_EQ_U(vs_linux_root_free(be, root), 0);
    CHECK_EQ_U(lines_in(base, end).lines, 0);
    /* Freed while unheld: its frames' mappings go, what else the process
     * mapped in the window stays. */
    CHECK_EQ_U(vs_linux_root_create(be, base, end, 0, VS_LINUX_AT_OFFSET | VS_LINUX_UNHELD, &root), 0);
    vs_kernel k = vs_linux_kernel(be);
    vs_object frame;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    CHECK_EQ_U(k.ops->map_frame(k.ctx, root, frame.cap, base, 0, VS_RIGHT_READ, VS_CACHE_DEFAULT).error, 0);
    foreign = mmap((void *)(uintptr_t)(base + 8 * PG), PG, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(foreign == (uint8_t *)(uintptr_t)(base + 8 * PG));
    foreign[0] = 0x77;
    CHECK_EQ_U(lines_in(base, end).lines, 2);
    CHECK_EQ_U(vs_linux_root_free(be, root), 0);
    CHECK_EQ_U(lines_in(base, end).lines, 1);
    CHECK(foreign[0] == 0x77);
    munmap(foreign, PG);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    vs_linux_destroy(be);
    CHECK_EQ_U(ta.live_bytes, 0);
    talloc_fini(&ta);
}

/* Physical memory: base frames come from the pages a large frame's
 * alignment skipped before the bump, every live frame's memory is its own
 * (no two overlap), and when a larger frame skips pages while some of the
 * first range are left, those go to the free list and are handed out
 * before anything new: no page is skipped for good. */
static void test_phys_gap(void)
{
    test_context = "phys_gap";
    vs_linux_config cfg = {NULL, 2ull << 30, 0};
    vs_linux *be = NULL;
    CHECK_EQ_U(vs_linux_create(&cfg, &be), 0);
    vs_kernel k = vs_linux_kernel(be);
    enum { N = 720 };
    static vs_object obj[N];
    static unsigned size_of[N];
    static vs_addr at[N];
    static const uint64_t bytes[3] = {4096, 2ull << 20, 1ull << 30};
    size_t n = 0;
    /* 3 base frames, a 2 MiB one (skipping 509 pages), 100 base frames
     * from those, a 1 GiB one (skipping the rest of the first GiB while 409
     * of the first range are left), 600 base frames: the 409, then the
     * new range. */
    const struct {
        unsigned size, count;
    } plan[] = {{0, 3}, {1, 1}, {0, 100}, {2, 1}, {0, 600}};
    for (size_t p = 0; p < sizeof plan / sizeof plan[0]; p++) {
        for (unsigned c = 0; c < plan[p].count && n < N; c++, n++) {
            CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, plan[p].size, &obj[n]), 0);
            CHECK_EQ_U(k.ops->frame_paddr(k.ctx, obj[n].cap, &at[n]), 0);
            size_of[n] = plan[p].size;
        }
    }
    CHECK_EQ_U(n, 705);
    CHECK(at[4] < at[3]); /* the first base frame after the 2 MiB one lies in its skipped range */
    size_t low = 0;
    for (size_t i = 105; i < 105 + 409; i++) {
        low += at[i] < at[3];
    }
    CHECK_EQ_U(low, 409); /* the first range's last pages, before anything new */
    for (size_t i = 0; i < n; i++) {
        CHECK((at[i] & (bytes[size_of[i]] - 1)) == 0);
        for (size_t j = i + 1; j < n; j++) {
            if (at[i] < at[j] + bytes[size_of[j]] && at[j] < at[i] + bytes[size_of[i]]) {
                test_fail(__FILE__, __LINE__, "frames %zu and %zu overlap at %#llx", i, j, (unsigned long long)at[i]);
                i = j = n;
            }
        }
    }
    vs_linux_counts c;
    vs_linux_get_counts(be, &c);
    CHECK_EQ_U(c.phys_used, 703 * 4096 + bytes[1] + bytes[2]);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, size_of[i], &obj[i]), 0);
    }
    vs_linux_get_counts(be, &c);
    CHECK_EQ_U(c.phys_used, 0);
    CHECK_EQ_U(c.phys_memory, 0);
    vs_linux_destroy(be);
}

int main(void)
{
    test_frame_access();
    test_fresh_frames();
    test_file_frames();
    test_audit();
    test_map_unmap();
    test_share_and_large();
    test_compare_catches();
    test_all_or_nothing();
    test_batch_partial();
    test_clash();
    test_unheld();
    test_phys_gap();
    test_private_fork();
    return test_summary("linuxbe_unit");
}
