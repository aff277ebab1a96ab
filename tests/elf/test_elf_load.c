/* The loader on the simulator, with images made for the purpose
 * (gen_images.py): all-or-nothing under a failure injected at every
 * bookkeeping allocation, every kernel call of the child's vspace and every
 * frame-access call; the legacy flag caught by vs_check; ET_DYN base
 * choice; refusals that change nothing; section lookup; warnings; random
 * layouts read back the same through every kind of frame access, with the
 * file's own pages exactly where a page-by-page check allows them.
 *
 *   test_elf_load IMAGES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sel4sim/vs_host.h>
#include <vs/undo.h>

#include "elf_sim.h"

static const char *images;

/* ---- a kernel interface that fails its nth call ---- */

typedef struct failk {
    vs_kernel inner;
    uint64_t calls, fail_at; /* fail_at 0: never */
    int fired;
    /* A free the injection refused, for the test to carry out afterwards
     * (the core counts it in release_failures and leaves the object). */
    int refused_free;
    vs_object_kind refused_kind;
    unsigned refused_size;
    vs_object refused_obj;
} failk;

/* Counts a call; true (and *fired set) when it is call number fail_at. */
static int fail_now(uint64_t *calls, uint64_t fail_at, int *fired)
{
    ++*calls;
    if (fail_at != 0 && *calls == fail_at) {
        *fired = 1;
        return 1;
    }
    return 0;
}

static int failing(failk *f)
{
    return fail_now(&f->calls, f->fail_at, &f->fired);
}

enum { INJECTED = 10 }; /* seL4_NotEnoughMemory */

static int fk_alloc(void *c, vs_object_kind k, unsigned s, vs_object *o)
{
    failk *f = c;
    return failing(f) ? INJECTED : f->inner.ops->alloc_object(f->inner.ctx, k, s, o);
}
static int fk_free(void *c, vs_object_kind k, unsigned s, const vs_object *o)
{
    failk *f = c;
    if (failing(f)) {
        f->refused_free = 1;
        f->refused_kind = k;
        f->refused_size = s;
        f->refused_obj = *o;
        return INJECTED;
    }
    return f->inner.ops->free_object(f->inner.ctx, k, s, o);
}
static vs_kstatus fk_map_frame(void *c, vs_cap r, vs_cap fr, vs_addr v, unsigned ps, unsigned rights, vs_cache ca)
{
    failk *f = c;
    if (failing(f)) {
        return (vs_kstatus){INJECTED, -1};
    }
    return f->inner.ops->map_frame(f->inner.ctx, r, fr, v, ps, rights, ca);
}
static vs_kstatus fk_map_table(void *c, vs_cap r, vs_cap t, unsigned l, vs_addr v)
{
    failk *f = c;
    if (failing(f)) {
        return (vs_kstatus){INJECTED, -1};
    }
    return f->inner.ops->map_table(f->inner.ctx, r, t, l, v);
}
static int fk_unmap_frame(void *c, vs_cap fr, unsigned ps)
{
    failk *f = c;
    return failing(f) ? INJECTED : f->inner.ops->unmap_frame(f->inner.ctx, fr, ps);
}
static int fk_unmap_table(void *c, vs_cap t, unsigned l)
{
    failk *f = c;
    return failing(f) ? INJECTED : f->inner.ops->unmap_table(f->inner.ctx, t, l);
}
static int fk_copy(void *c, vs_cap s, vs_cap *o)
{
    failk *f = c;
    return failing(f) ? INJECTED : f->inner.ops->copy_cap(f->inner.ctx, s, o);
}
static int fk_delete(void *c, vs_cap s)
{
    failk *f = c;
    return failing(f) ? INJECTED : f->inner.ops->delete_cap(f->inner.ctx, s);
}
static int fk_paddr(void *c, vs_cap fr, vs_addr *p)
{
    failk *f = c;
    return failing(f) ? INJECTED : f->inner.ops->frame_paddr(f->inner.ctx, fr, p);
}
static int fk_translate(void *c, vs_cap r, vs_addr v, vs_translation *o)
{
    failk *f = c;
    return f->inner.ops->translate(f->inner.ctx, r, v, o);
}

static const vs_kernel_ops failk_ops = {
    .alloc_object = fk_alloc,
    .free_object = fk_free,
    .map_frame = fk_map_frame,
    .map_table = fk_map_table,
    .unmap_frame = fk_unmap_frame,
    .unmap_table = fk_unmap_table,
    .copy_cap = fk_copy,
    .delete_cap = fk_delete,
    .frame_paddr = fk_paddr,
    .translate = fk_translate,
};

/* ---- a frame access that fails its nth call ---- */

typedef struct failfa {
    vs_frame_access inner;
    uint64_t calls, fail_at;
    int fired;
    /* file_frames (failfa_file_ops): frames from kernel, filled with the
     * bytes of file as the file's own pages would hold them */
    vs_kernel kernel;
    const uint8_t *file;
    size_t file_size;
    size_t file_pages; /* pages handed out */
} failfa;

static int ffa_map(void *c, const vs_cap *fr, size_t n, unsigned bits, vs_frame_window *w)
{
    failfa *f = c;
    if (fail_now(&f->calls, f->fail_at, &f->fired)) {
        return -7;
    }
    return f->inner.ops->map(f->inner.ctx, fr, n, bits, w);
}
static int ffa_unmap(void *c, vs_frame_window *w)
{
    failfa *f = c;
    if (fail_now(&f->calls, f->fail_at, &f->fired)) {
        return -8;
    }
    return f->inner.ops->unmap(f->inner.ctx, w);
}
static int ffa_map_unmapped(void *c, const vs_cap *fr, size_t n, unsigned bits, vs_frame_window *w)
{
    failfa *f = c;
    if (fail_now(&f->calls, f->fail_at, &f->fired)) {
        return -9;
    }
    return f->inner.ops->map_unmapped(f->inner.ctx, fr, n, bits, w);
}

/* Writes file bytes [offset, offset + n pages) into frames (zero past the
 * end of the file) through the inner access, which may show fewer frames
 * per window than asked. */
static int fill_from_file(failfa *f, const vs_cap *caps, size_t n, uint64_t offset)
{
    for (size_t done = 0; done < n;) {
        vs_frame_window w;
        int e = f->inner.ops->map(f->inner.ctx, caps + done, n - done, 12, &w);
        if (e != 0) {
            return e;
        }
        size_t shown = (size_t)(w.size / 4096);
        for (size_t b = 0; b < shown * 4096; b++) {
            uint64_t at = offset + done * 4096 + b;
            w.host[b] = at < f->file_size ? f->file[at] : 0;
        }
        e = f->inner.ops->unmap(f->inner.ctx, &w);
        if (e != 0 || shown == 0) {
            return e != 0 ? e : -1;
        }
        done += shown;
    }
    return 0;
}

static int ffa_file_frames(void *c, uint64_t offset, size_t n, vs_cap *caps, uintptr_t *cookies)
{
    failfa *f = c;
    if (fail_now(&f->calls, f->fail_at, &f->fired)) {
        return -9;
    }
    size_t made = 0;
    int e = 0;
    for (; made < n && e == 0; made++) {
        vs_object o;
        e = f->kernel.ops->alloc_object(f->kernel.ctx, VS_OBJ_FRAME, 0, &o);
        caps[made] = o.cap;
        cookies[made] = o.cookie;
    }
    if (e == 0) {
        e = fill_from_file(f, caps, n, offset);
    } else {
        made--; /* the failed allocation made nothing */
    }
    if (e != 0) {
        for (size_t i = 0; i < made; i++) {
            vs_object o = {caps[i], cookies[i]};
            f->kernel.ops->free_object(f->kernel.ctx, VS_OBJ_FRAME, 0, &o);
        }
        return e;
    }
    f->file_pages += n;
    return 0;
}
/* A refused hold holds nothing; a failing release still ends the hold
 * (the inner one's), as the interface says. */
static int ffa_hold(void *c)
{
    failfa *f = c;
    if (fail_now(&f->calls, f->fail_at, &f->fired)) {
        return -9;
    }
    return f->inner.ops->hold(f->inner.ctx);
}
static int ffa_release(void *c)
{
    failfa *f = c;
    int e = f->inner.ops->release(f->inner.ctx);
    return fail_now(&f->calls, f->fail_at, &f->fired) ? -9 : e;
}
/* With map_unmapped the loader fills new frames before the child maps
 * them; without it, it maps the child's frames' copies afterwards. Each
 * holds the windows' paging structures for the load. */
static const vs_frame_access_ops failfa_ops = {
    .map = ffa_map, .unmap = ffa_unmap, .map_unmapped = ffa_map_unmapped, .hold = ffa_hold, .release = ffa_release};
static const vs_frame_access_ops failfa_copy_ops = {
    .map = ffa_map, .unmap = ffa_unmap, .hold = ffa_hold, .release = ffa_release};
/* The file's own pages for read-only ones (file_frames), map_unmapped for
 * the rest. */
static const vs_frame_access_ops failfa_file_ops = {.map = ffa_map,
                                                    .unmap = ffa_unmap,
                                                    .file_frames = ffa_file_frames,
                                                    .map_unmapped = ffa_map_unmapped,
                                                    .hold = ffa_hold,
                                                    .release = ffa_release};

/* ---- a frame access that shows at most `most` frames per window ---- */

typedef struct shortfa {
    vs_frame_access inner;
    size_t most;
    unsigned short_windows; /* windows that showed fewer frames than asked */
    unsigned maps, unmapped_maps;
} shortfa;

static int sfa_map(void *c, const vs_cap *fr, size_t n, unsigned bits, vs_frame_window *w)
{
    shortfa *f = c;
    f->short_windows += n > f->most;
    f->maps++;
    return f->inner.ops->map(f->inner.ctx, fr, n < f->most ? n : f->most, bits, w);
}
static int sfa_map_unmapped(void *c, const vs_cap *fr, size_t n, unsigned bits, vs_frame_window *w)
{
    shortfa *f = c;
    f->short_windows += n > f->most;
    f->unmapped_maps++;
    return f->inner.ops->map_unmapped(f->inner.ctx, fr, n < f->most ? n : f->most, bits, w);
}
static int sfa_unmap(void *c, vs_frame_window *w)
{
    shortfa *f = c;
    return f->inner.ops->unmap(f->inner.ctx, w);
}
static const vs_frame_access_ops shortfa_ops = {.map = sfa_map, .unmap = sfa_unmap, .map_unmapped = sfa_map_unmapped};
static const vs_frame_access_ops shortfa_copy_ops = {.map = sfa_map, .unmap = sfa_unmap};

/* ---- state snapshots ---- */

typedef struct snap {
    be_acct acct;
    size_t live_bytes;
    vs_stats child, root;
} snap;

static void take(elf_sim *s, vs_space *child, snap *p)
{
    memset(p, 0, sizeof *p);
    be_acct_take(s->fx.bi, &p->acct);
    p->live_bytes = s->fx.ta.live_bytes;
    vs_get_stats(child, &p->child);
    vs_get_stats(s->fx.root_vs, &p->root);
}

static int same(const snap *a, const snap *b, const char *label)
{
    int diff = be_acct_compare(&a->acct, &b->acct, label);
    if (a->live_bytes != b->live_bytes || memcmp(&a->child, &b->child, sizeof a->child) != 0 ||
        memcmp(&a->root, &b->root, sizeof a->root) != 0) {
        test_fail(__FILE__, __LINE__, "%s: vspace stats or bookkeeping bytes changed (bytes %zu -> %zu)", label,
                  a->live_bytes, b->live_bytes);
        diff = 1;
    }
    return diff;
}

static void *image(const char *name, size_t *size, vs_elf_image *img)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", images, name);
    void *data = elf_read_file(path, size);
    if (data == NULL) {
        fprintf(stderr, "FATAL: cannot read %s\n", path);
        exit(2);
    }
    vs_elf_diag d;
    vs_elf_error e = vs_elf_parse(data, *size, NULL, img, &d);
    if (e != VS_ELF_OK) {
        fprintf(stderr, "FATAL: %s: %s\n", path, d.message);
        exit(2);
    }
    return data;
}

/* Removes everything a load made: its reservations with their frames and
 * the paging structures. */
static void unload(vs_space *child, const vs_elf_loaded *ld)
{
    size_t nviol = 1;
    CHECK_RES(vs_check(child, NULL, NULL, &nviol), VS_OK);
    for (size_t i = 0; i < ld->plan.num_regions; i++) {
        CHECK_RES(vs_free(child, ld->reservations[i], VS_FREE_UNMAP | VS_FREE_FRAMES), VS_OK);
    }
    CHECK_RES(vs_table_rollback(child, 0), VS_OK);
}

/* Loads img with base pages and frees its regions without removing the
 * tables the load made: a large-page load then finds them empty in its
 * large pages' spans, to be taken down and, if it fails, put back. */
static void leave_base_tables(vs_space *child, const vs_elf_image *img, const vs_frame_access *fa)
{
    const vs_elf_load_opts base = {0, 0};
    vs_elf_loaded ld;
    vs_elf_diag d;
    CHECK(vs_elf_load(child, img, &base, fa, &ld, &d) == VS_ELF_OK);
    for (size_t i = 0; i < ld.plan.num_regions; i++) {
        CHECK_RES(vs_free(child, ld.reservations[i], VS_FREE_UNMAP | VS_FREE_FRAMES), VS_OK);
    }
}

/* How many pages of the loaded regions are larger than a base page. */
static unsigned large_pages_in(const vs_space *child, const vs_elf_loaded *ld)
{
    unsigned n = 0;
    for (size_t i = 0; i < ld->plan.num_regions; i++) {
        for (vs_addr va = ld->plan.regions[i].start; va < ld->plan.regions[i].end;) {
            vs_page p;
            CHECK_RES(vs_lookup(child, va, &p), VS_OK);
            n += p.state == VS_PAGE_MAPPED && p.size_bits > 12;
            va = p.state == VS_PAGE_MAPPED ? p.page_vaddr + ((vs_addr)1 << p.size_bits) : va + 4096;
        }
    }
    return n;
}

/* Loads `name` into a child over the failing kernel with a failure at every
 * allocation, then every kernel call, then every frame access call, until
 * a run goes through without the failure firing. variant 0: a frame
 * access with map and unmap only (the loader copies after mapping); 1:
 * with map_unmapped (new frames filled before the child maps them); 2:
 * with file_frames too (the file's own pages for read-only ones), whose
 * frames a failed load must give back too. flags: vs_elf_load_opts.flags
 * (VS_ELF_LOAD_LARGE_PAGES: then at least one large page is mapped). */
static void inject(const char *name, int variant, unsigned flags, int leftover)
{
    test_context = name;
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_X86_64, 64u << 20);
    size_t size;
    vs_elf_image img;
    void *data = image(name, &size, &img);
    vs_object root;
    CHECK_EQ_U(vs_sel4_create_root(s.fx.be, &root), 0);
    failk fk = {vs_sel4_backend_kernel(s.fx.be), 0, 0, 0, 0, 0, 0, {0, 0}};
    vs_config cfg = {s.fx.arch, talloc_allocator(&s.fx.ta), {&failk_ops, &fk}, root.cap, 0, 0};
    vs_space *child = NULL;
    CHECK_RES(vs_create(&cfg, &child), VS_OK);
    failfa ffa = {elf_sim_access(&s), 0, 0, 0, vs_sel4_backend_kernel(s.fx.be), data, size, 0};
    static const vs_frame_access_ops *const variants[3] = {&failfa_copy_ops, &failfa_ops, &failfa_file_ops};
    vs_frame_access fa = {variants[variant], &ffa, 0};
    const vs_elf_load_opts opts = {flags, 0};
    /* One load first: the core's handle table grows to hold the regions'
     * reservations and keeps that capacity (the only bookkeeping a failed
     * load may leave grown, docs/elf.md); from then on a failure must leave
     * every byte as it was. */
    vs_elf_loaded warm;
    vs_elf_diag wd;
    CHECK(vs_elf_load(child, &img, &opts, &fa, &warm, &wd) == VS_ELF_OK);
    CHECK(variant == 2 ? ffa.file_pages > 0 : ffa.file_pages == 0);
    CHECK((large_pages_in(child, &warm) > 0) == ((flags & VS_ELF_LOAD_LARGE_PAGES) != 0));
    unload(child, &warm);
    unsigned runs[3] = {0, 0, 0};
    for (int mode = 0; mode < 3; mode++) {
        for (uint64_t n = 1;; n++) {
            snap before, after;
            if (leftover) {
                leave_base_tables(child, &img, &fa);
            }
            take(&s, child, &before);
            fk.calls = ffa.calls = 0;
            fk.fired = ffa.fired = 0;
            fk.fail_at = mode == 1 ? n : 0;
            ffa.fail_at = mode == 2 ? n : 0;
            if (mode == 0) {
                talloc_fail_nth(&s.fx.ta, n);
            }
            vs_elf_loaded ld;
            vs_elf_diag d;
            vs_elf_error e = vs_elf_load(child, &img, &opts, &fa, &ld, &d);
            int fired = mode == 0 ? s.fx.ta.fired : mode == 1 ? fk.fired : ffa.fired;
            talloc_disarm(&s.fx.ta);
            fk.fail_at = ffa.fail_at = 0;
            if (e != VS_ELF_OK) {
                CHECK(fired);
                if (!fired) {
                    break; /* a load that fails by itself fails every time: do not loop */
                }
                CHECK(e == VS_ELF_ERR_SPACE || e == VS_ELF_ERR_FRAME_ACCESS);
                CHECK(d.code == e && d.message[0] != '\0');
                take(&s, child, &after);
                if (same(&before, &after, d.message)) {
                    break;
                }
                runs[mode]++;
                continue;
            }
            /* Went through: undo it (everything the load made) for the next mode. */
            if (fk.refused_free) {
                /* A free after the commit (a replaced table's, over
                 * leftover tables) refused: counted, its object left;
                 * carried out here, as the kernel's caller would. */
                vs_stats cs;
                vs_get_stats(child, &cs);
                CHECK(leftover && cs.release_failures > before.child.release_failures);
                CHECK_EQ_U(fk.inner.ops->free_object(fk.inner.ctx, fk.refused_kind, fk.refused_size, &fk.refused_obj),
                           0);
                fk.refused_free = 0;
            }
            unload(child, &ld);
            if (!leftover) { /* else the tables it found are gone with those it made */
                take(&s, child, &after);
                same(&before, &after, "after undoing a load by hand");
            }
            if (!fired) {
                break;
            }
        }
    }
    printf("%s%s%s%s: failed loads undone: %u at allocations, %u at kernel calls, %u at frame access calls\n", name,
           variant == 0   ? " (copies)"
           : variant == 2 ? " (file frames)"
                          : "",
           (flags & VS_ELF_LOAD_LARGE_PAGES) ? " (large pages)" : "",
           leftover ? " (over a base load's empty tables)" : "", runs[0], runs[1], runs[2]);
    CHECK(runs[0] > 3 && runs[1] > 3 && runs[2] >= 2);
    CHECK_RES(vs_destroy(child, 0, NULL), VS_OK);
    CHECK_EQ_U(vs_sel4_free_root(s.fx.be, &root), 0);
    /* elf_sim_down destroys its own child too. */
    elf_sim_down(&s);
    free(data);
}

static void legacy(void)
{
    test_context = "legacy";
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_IA32, 64u << 20);
    size_t size;
    vs_elf_image img;
    void *data = image("ia32-basic.elf", &size, &img);
    vs_frame_access fa = elf_sim_access(&s);
    vs_elf_loaded ld;
    vs_elf_diag d;
    size_t n = 0;
    CHECK(vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d) == VS_ELF_OK);
    CHECK_RES(vs_check(s.child.vs, NULL, NULL, &n), VS_OK);
    CHECK_EQ_U(vs_reservation_count(s.child.vs), ld.plan.num_regions);
    elf_sim_new_child(&s);
    vs_elf_load_opts o = {VS_ELF_LOAD_FREE_RESERVATIONS, 0};
    CHECK(vs_elf_load(s.child.vs, &img, &o, &fa, &ld, &d) == VS_ELF_OK);
    CHECK_RES(vs_check(s.child.vs, NULL, NULL, &n), VS_ERR_INCONSISTENT);
    CHECK(n >= ld.plan.pages); /* at least one report per page left outside any reservation */
    CHECK_EQ_U(vs_reservation_count(s.child.vs), 0);
    vs_stats st;
    vs_get_stats(s.child.vs, &st);
    CHECK_EQ_U(st.mapped_pages, ld.plan.pages);
    CHECK_EQ_U(st.reserved_pages, 0);
    elf_sim_down(&s);
    free(data);
}

static void dyn_base(void)
{
    test_context = "dyn_base";
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_AARCH64, 64u << 20);
    size_t size;
    vs_elf_image img;
    void *data = image("aarch64-dyn.elf", &size, &img);
    vs_frame_access fa = elf_sim_access(&s);
    vs_elf_loaded ld;
    vs_elf_diag d;
    vs_elf_plan plan;
    /* The plan's base: the lowest multiple of the largest p_align >= one page. */
    CHECK(vs_elf_plan_load(&img, NULL, &plan, &d) == VS_ELF_OK);
    CHECK_EQ_U(plan.base, 0x1000);
    /* A reservation in the way moves the base past it. */
    vs_attrs attrs = attrs_rw("in-the-way");
    vs_reservation *r;
    CHECK_RES(vs_reserve_at(s.child.vs, 0x2000, 0x3000, &attrs, &r), VS_OK);
    CHECK(vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d) == VS_ELF_OK);
    CHECK_EQ_U(ld.plan.base, 0x5000);
    CHECK_EQ_U(ld.plan.entry, 0x5000 + img.entry);
    CHECK(ld.has_tls && ld.tls_vaddr == 0x5000 + 0x2800 && ld.tls_memsz == 0x80);
    elf_sim_new_child(&s);
    /* A base given is used; a misaligned one or 0 is refused with nothing made. */
    vs_elf_load_opts o = {VS_ELF_LOAD_BASE_GIVEN, 0x40000000};
    CHECK(vs_elf_load(s.child.vs, &img, &o, &fa, &ld, &d) == VS_ELF_OK);
    CHECK_EQ_U(ld.plan.regions[0].start, 0x40000000);
    elf_sim_new_child(&s);
    snap before, after;
    take(&s, s.child.vs, &before);
    o.base = 0x40000800;
    CHECK(vs_elf_load(s.child.vs, &img, &o, &fa, &ld, &d) == VS_ELF_ERR_BASE);
    o.base = 0;
    CHECK(vs_elf_load(s.child.vs, &img, &o, &fa, &ld, &d) == VS_ELF_ERR_BASE);
    take(&s, s.child.vs, &after);
    same(&before, &after, "refused base");
    free(data);
    /* ET_EXEC: a base is refused; a reservation in the way is an OVERLAP, nothing made. */
    data = image("aarch64-basic.elf", &size, &img);
    o.base = 0x1000;
    CHECK(vs_elf_load(s.child.vs, &img, &o, &fa, &ld, &d) == VS_ELF_ERR_BASE);
    CHECK_RES(vs_reserve_at(s.child.vs, 0x403000, 0x1000, &attrs, &r), VS_OK);
    take(&s, s.child.vs, &before);
    CHECK(vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d) == VS_ELF_ERR_SPACE);
    CHECK(d.space_result == VS_ERR_OVERLAP);
    take(&s, s.child.vs, &after);
    same(&before, &after, "overlap");
    /* Section lookup. */
    vs_elf_section sec;
    CHECK(vs_elf_find_section(&img, "__vsyscall", &sec, &d) == VS_ELF_OK);
    CHECK_EQ_U(sec.addr, 0x402000);
    CHECK_EQ_U(sec.size, 0x10);
    CHECK(vs_elf_find_section(&img, "__vsyscal", &sec, &d) == VS_ELF_ERR_NO_SECTION);
    /* Requested architecture. */
    vs_elf_parse_opts po = {vs_arch_get(VS_ARCH_RISCV64)};
    vs_elf_image other;
    CHECK(vs_elf_parse(data, size, &po, &other, &d) == VS_ELF_ERR_ARCH_MISMATCH);
    CHECK(strstr(d.message, "aarch64") != NULL && strstr(d.message, "riscv64") != NULL);
    elf_sim_down(&s);
    free(data);
}

static int has_warning(const vs_elf_image *img, vs_elf_warning_kind k)
{
    for (unsigned i = 0; i < img->num_warnings && i < VS_ELF_MAX_WARNINGS; i++) {
        if (img->warnings[i].kind == k) {
            return 1;
        }
    }
    return 0;
}

static void warnings(void)
{
    test_context = "warnings";
    size_t size;
    vs_elf_image img;
    void *data = image("riscv32-unsorted.elf", &size, &img);
    CHECK(has_warning(&img, VS_ELF_W_UNSORTED_LOAD));
    CHECK(!has_warning(&img, VS_ELF_W_SHARED_PAGE));
    free(data);
    data = image("riscv32-shared.elf", &size, &img);
    CHECK(has_warning(&img, VS_ELF_W_SHARED_PAGE));
    CHECK(!has_warning(&img, VS_ELF_W_UNSORTED_LOAD));
    vs_elf_plan plan;
    vs_elf_diag d;
    CHECK(vs_elf_plan_load(&img, NULL, &plan, &d) == VS_ELF_OK);
    /* text | shared page | data: three reservations, the middle one with both segments' rights. */
    CHECK_EQ_U(plan.num_regions, 3);
    CHECK(strcmp(plan.regions[1].name, ".text|.data") == 0);
    CHECK_EQ_U(plan.regions[1].rights, VS_RIGHT_READ | VS_RIGHT_WRITE | VS_RIGHT_EXEC);
    free(data);
    data = image("x86_64-interp.elf", &size, &img);
    CHECK(has_warning(&img, VS_ELF_W_INTERP) && img.interp != NULL && strcmp(img.interp, "/lib/ld-test.so.1") == 0);
    vs_elf_load_opts o = {VS_ELF_LOAD_ALLOW_INTERP, 0};
    CHECK(vs_elf_plan_load(&img, NULL, &plan, &d) == VS_ELF_ERR_NEEDS_INTERP);
    CHECK(vs_elf_plan_load(&img, &o, &plan, &d) == VS_ELF_OK);
    free(data);
}

/* An x86_64 ELF64 header at buf: type etype (2 ET_EXEC, 3 ET_DYN), phnum
 * program headers right after it (e_phoff 64). */
static void put_ehdr64(uint8_t *buf, unsigned etype, uint64_t entry, unsigned phnum)
{
    static const uint8_t ident[7] = {0x7f, 'E', 'L', 'F', 2, 1, 1}; /* ELF64, little-endian, EV_CURRENT */
    uint64_t phoff = 64;
    memset(buf, 0, 64);
    memcpy(buf, ident, sizeof ident);
    buf[16] = (uint8_t)etype;
    buf[18] = 62; /* EM_X86_64 */
    buf[20] = 1;
    memcpy(buf + 24, &entry, 8);
    memcpy(buf + 32, &phoff, 8);
    buf[52] = 64;
    buf[54] = 56;
    buf[56] = (uint8_t)phnum;
}

/* Program header i of such an image: a PT_LOAD (p_paddr = p_vaddr). */
static void put_load64(uint8_t *buf, unsigned i, uint8_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz,
                       uint64_t memsz, uint64_t align)
{
    uint8_t *ph = buf + 64 + 56 * i;
    memset(ph, 0, 56);
    ph[0] = 1;
    ph[4] = flags;
    memcpy(ph + 8, &offset, 8);
    memcpy(ph + 16, &vaddr, 8);
    memcpy(ph + 24, &vaddr, 8);
    memcpy(ph + 32, &filesz, 8);
    memcpy(ph + 40, &memsz, 8);
    memcpy(ph + 48, &align, 8);
}

/* An image with more PT_LOADs than the loader makes regions. */
static void too_many_regions(void)
{
    test_context = "too_many_regions";
    enum { N = VS_ELF_MAX_REGIONS + 1 };
    static uint8_t buf[64 + 56 * N];
    memset(buf, 0, sizeof buf);
    put_ehdr64(buf, 2, 0x400000, N);
    for (unsigned i = 0; i < N; i++) {
        put_load64(buf, i, 4, 0, 0x400000 + 0x2000 * (uint64_t)i, 0, 0x10, 0);
    }
    vs_elf_image img;
    vs_elf_diag d;
    CHECK(vs_elf_parse(buf, sizeof buf, NULL, &img, &d) == VS_ELF_OK);
    vs_elf_plan plan;
    CHECK(vs_elf_plan_load(&img, NULL, &plan, &d) == VS_ELF_ERR_TOO_MANY_REGIONS);
}

/* A frame access may show fewer frames than asked for (the simulator's
 * window shows a physically contiguous first part): the loader fills what
 * each window shows and asks again for the rest. An x86_64 image with one
 * PT_LOAD of 5 pages and a bit of file bytes, a pattern in every byte,
 * loaded through windows of 1, 2 and 3 frames, reads back through the MMU
 * as the file says. */
static void short_windows(void)
{
    test_context = "short_windows";
    enum { FILE_OFF = 0x1000, FILESZ = 5 * 4096 + 123, MEMSZ = FILESZ + 3000 };
    static uint8_t buf[FILE_OFF + FILESZ];
    memset(buf, 0, sizeof buf);
    const vs_addr vaddr = 0x400000;
    put_ehdr64(buf, 2, vaddr, 1);
    put_load64(buf, 0, 5 /* R X */, FILE_OFF, vaddr, FILESZ, MEMSZ, 0x1000);
    for (size_t i = 0; i < FILESZ; i++) {
        buf[FILE_OFF + i] = (uint8_t)(i * 7 + 1 + i / 4096);
    }
    vs_elf_image img;
    vs_elf_diag d;
    CHECK(vs_elf_parse(buf, sizeof buf, NULL, &img, &d) == VS_ELF_OK);
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_X86_64, 64u << 20);
    static uint8_t back[MEMSZ];
    for (size_t run = 0; run < 6; run++) {
        size_t most = 1 + run % 3;
        int copy_only = run >= 3;
        shortfa sfa = {elf_sim_access(&s), most, 0, 0, 0};
        vs_frame_access fa = {copy_only ? &shortfa_copy_ops : &shortfa_ops, &sfa, 0};
        vs_elf_loaded ld;
        CHECK(vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d) == VS_ELF_OK);
        CHECK(sfa.short_windows > 0);
        /* Offered map_unmapped, the loader fills the new frames through it
         * and never maps copies of the child's frames. */
        CHECK(copy_only ? sfa.maps > 0 && sfa.unmapped_maps == 0 : sfa.maps == 0 && sfa.unmapped_maps > 0);
        CHECK_EQ_U(sel4sim_vs_read(s.child.root.cap, vaddr, back, sizeof back), 0);
        CHECK(memcmp(back, buf + FILE_OFF, FILESZ) == 0);
        size_t nonzero = 0;
        for (size_t i = FILESZ; i < MEMSZ; i++) {
            nonzero += back[i] != 0;
        }
        CHECK_EQ_U(nonzero, 0);
        elf_sim_new_child(&s);
    }
    elf_sim_down(&s);
}

/* With file_frames offered, the loader takes the file's own page exactly
 * for the pages of one segment whose file page holds the right bytes (the
 * rest of the file page zero or past the end of the file), and the child
 * reads back the same bytes as a load that copies everything: file bytes up
 * to p_filesz, zero elsewhere. */
static void file_frames(void)
{
    static const struct {
        const char *name;
        size_t file_pages; /* pages of one segment whose file page is zero outside the segment */
    } cases[] = {
        /* basic: text's two pages and rodata's (zero padding after each); not
         * the data page, whose file page goes on with the section headers */
        {"x86_64-basic.elf", 3},
        {"x86_64-shared.elf", 1}, /* the first page; the second holds text and data */
        {"x86_64-three.elf", 1},
        {"x86_64-bigtext.elf", 514}, /* 513 of text: more than one file_frames call maps (512); data */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        test_context = cases[k].name;
        elf_sim s = {0};
        elf_sim_up(&s, VS_ARCH_X86_64, 64u << 20);
        size_t size;
        vs_elf_image img;
        void *data = image(cases[k].name, &size, &img);
        enum { SPAN_MAX = 4 << 20 };
        uint8_t *copied = malloc(SPAN_MAX), *shared = malloc(SPAN_MAX);
        if (copied == NULL || shared == NULL) {
            test_fail(__FILE__, __LINE__, "no memory for the read-back buffers");
            exit(1);
        }
        vs_elf_loaded ld;
        vs_elf_diag d;
        for (int with_file = 0; with_file < 2; with_file++) {
            failfa ffa = {elf_sim_access(&s), 0, 0, 0, vs_sel4_backend_kernel(s.fx.be), data, size, 0};
            vs_frame_access fa = {with_file ? &failfa_file_ops : &failfa_ops, &ffa, 0};
            CHECK(vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d) == VS_ELF_OK);
            CHECK_EQ_U(ffa.file_pages, with_file ? cases[k].file_pages : 0);
            uint64_t span = ld.plan.hi - ld.plan.lo;
            if (span > SPAN_MAX) {
                test_fail(__FILE__, __LINE__, "image spans %llu bytes, more than the read-back buffers",
                          (unsigned long long)span);
                unload(s.child.vs, &ld);
                continue;
            }
            CHECK_EQ_U(sel4sim_vs_read(s.child.root.cap, ld.plan.lo, with_file ? shared : copied, span), 0);
            if (with_file) {
                CHECK(memcmp(copied, shared, span) == 0);
            }
            unload(s.child.vs, &ld);
        }
        elf_sim_down(&s);
        free(data);
        free(copied);
        free(shared);
    }
}

/* ---- random layouts: every frame access variant reads back the same ----
 *
 * Segments starting on a page boundary, mid-page and in the page the last
 * one ended in; file bytes none, ending on a page boundary, a few bytes or
 * more than one file_frames call maps; .bss none, partial, large enough for
 * a 2 MiB page; bytes no segment loads just before a segment or at the end
 * of its last file page; the file ending mid-page; ET_DYN at a given base.
 * Each image is loaded copying after mapping, filling before mapping, and
 * with the file's own pages, each with and without large pages: all must
 * read back as the file says, and the file's own pages must be exactly
 * those the page-by-page check (own_page) allows. */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* n in [0, bound) */
static uint64_t rnd_below(uint64_t bound)
{
    return bound != 0 ? rnd() % bound : 0;
}

typedef struct rseg {
    uint64_t vaddr, offset, filesz, memsz;
} rseg;

/* An x86_64 image of up to three PT_LOADs in ascending order, written
 * into buf (*size bytes). Each segment's bytes are random, with zero
 * runs at its edges half the time; the file's bytes around and between
 * segments are zero or not, and the file may end right after the last
 * segment's bytes, mid-page. Returns the number of segments. */
static unsigned random_image(uint8_t *buf, size_t cap, size_t *size, int dyn, rseg *segs)
{
    unsigned nseg = 1 + (unsigned)rnd_below(3);
    size_t hdr = 64 + 56 * (size_t)nseg;
    memset(buf, 0, cap);
    uint64_t va = dyn ? 0 : 0x400000, off = hdr;
    for (unsigned i = 0; i < nseg; i++) {
        rseg *g = &segs[i];
        /* Where it starts: a page boundary, mid-page, or in the page the
         * last segment ended in. */
        uint64_t k = rnd_below(4);
        va += k == 0 ? 0 : k == 1 ? rnd_below(3) * 4096 : k == 2 ? rnd_below(4096) : 4096 + rnd_below(8192);
        if (i == 0 && rnd_below(2)) {
            va &= ~(uint64_t)4095; /* the first segment from offset 0, header included */
        }
        /* Its file bytes: none, ending on a page boundary, a few pages,
         * or more than one file_frames call maps. */
        uint64_t f = rnd_below(5);
        g->vaddr = va;
        g->filesz = f == 0   ? 0
                    : f == 1 ? ((va + 4096 * (1 + rnd_below(4))) & ~(uint64_t)4095) - va
                    : f == 2 ? 1 + rnd_below(5 * 4096)
                    : f == 3 ? 1 + rnd_below(64)
                             : 513 * 4096 + rnd_below(3 * 4096);
        uint64_t m = rnd_below(4);
        g->memsz = g->filesz + (m == 0   ? 0
                                : m == 1 ? rnd_below(4096)
                                : m == 2 ? rnd_below(6 * 4096)
                                         : (2u << 20) + rnd_below(1u << 20));
        if (g->memsz == 0) {
            g->memsz = 1 + rnd_below(4096);
        }
        /* Its offset: congruent to vaddr, from offset 0 for the first
         * segment at a page boundary, else past what the file holds. */
        if (i == 0 && (va & 4095) == 0 && g->filesz >= hdr && rnd_below(2)) {
            g->offset = 0;
        } else {
            uint64_t o = off + rnd_below(3) * 4096;
            o += ((va & 4095) - (o & 4095)) & 4095;
            g->offset = o;
            if (o > off && rnd_below(3) == 0) {
                buf[o - 1] = 0x5a; /* no segment's byte right before it, in its first file page */
            }
        }
        if (g->offset + g->filesz + 8192 > cap) {
            nseg = i;
            break;
        }
        for (uint64_t b = 0; b < g->filesz; b++) {
            buf[g->offset + b] = (uint8_t)rnd();
        }
        if (rnd_below(2)) { /* zero runs at the edges: the first and last page may hold nothing else */
            uint64_t z = rnd_below(g->filesz + 1);
            memset(buf + g->offset + g->filesz - z, 0, (size_t)z);
            z = rnd_below(g->filesz - z + 1);
            memset(buf + g->offset, 0, (size_t)z);
        }
        off = g->offset + g->filesz;
        /* Bytes after it in the file that no segment loads: right after
         * it, or just before the next page boundary (the last byte of
         * its last file page). */
        uint64_t j = rnd_below(4);
        if (j == 1 || j == 3) {
            uint64_t junk = 1 + rnd_below(300);
            for (uint64_t b = 0; b < junk; b++) {
                buf[off + b] = (uint8_t)(rnd() | 1);
            }
            off += junk;
        }
        if (j >= 2 && (off & 4095) != 0) {
            uint64_t page_end = (off + 4095) & ~(uint64_t)4095,
                     from = page_end - 1 - (rnd_below(2) ? 0 : rnd_below(page_end - off));
            for (uint64_t b = from; b < page_end; b++) {
                buf[b] = (uint8_t)(rnd() | 1);
            }
            off = page_end;
        }
        va = g->vaddr + g->memsz;
    }
    if (nseg == 0) {
        return 0;
    }
    *size = off;
    for (unsigned i = 0; i < nseg; i++) {
        size_t end = (size_t)(segs[i].offset + segs[i].filesz);
        *size = end > *size ? end : *size;
    }
    if (*size < hdr) {
        *size = hdr;
    }
    memset(buf, 0, hdr); /* a segment from offset 0 shows the header, as in a real file */
    put_ehdr64(buf, dyn ? 3 : 2, segs[0].vaddr, nseg);
    for (unsigned i = 0; i < nseg; i++) {
        put_load64(buf, i,
                   (uint8_t)(i == 0   ? 5
                             : i == 1 ? 4
                                      : 6),
                   segs[i].offset, segs[i].vaddr, segs[i].filesz, segs[i].memsz, 4096);
    }
    return nseg;
}

/* Whether the page at va (of a region of the one segment g, relocated by
 * base) can be the file's own page: what file_page decides, written out
 * page by page. With slack (VS_ELF_LOAD_FILE_SLACK) the file's bytes
 * before the segment are shown anyway, and so are those after it when it
 * has no .bss. */
static int own_page(const uint8_t *file, size_t size, const rseg *g, vs_addr base, vs_addr va, int slack)
{
    vs_addr s = g->vaddr + base, e = s + g->filesz;
    if (g->filesz == 0 || va + 4096 <= s || va >= e || (va < s && g->offset < s - va)) {
        return 0; /* no file byte of the segment in the page (exec maps no file there either) */
    }
    uint64_t off = g->offset + va - s; /* wraps back when va < s */
    if ((off & 4095) != 0) {
        return 0;
    }
    for (uint64_t b = 0; b < 4096 && off + b < size; b++) {
        int shown =
            (va + b >= s && va + b < e) || (slack && va + b < s) || (slack && va + b >= e && g->memsz == g->filesz);
        if (!shown && file[off + b] != 0) {
            return 0;
        }
    }
    return 1;
}

/* Whether segment i of segs is the only one whose pages meet the page at va. */
static int seg_alone(const rseg *segs, unsigned nseg, unsigned i, vs_addr base, vs_addr va)
{
    for (unsigned j = 0; j < nseg; j++) {
        vs_addr lo = (segs[j].vaddr + base) & ~(vs_addr)4095;
        vs_addr hi = (segs[j].vaddr + base + segs[j].memsz + 4095) & ~(vs_addr)4095;
        if (j != i && va < hi && va + 4096 > lo) {
            return 0;
        }
    }
    return 1;
}

/* Adds to want (the image's bytes from lo) what Linux's exec shows around
 * each segment's file bytes (VS_ELF_LOAD_FILE_SLACK): in its first page
 * the file's bytes before it, in its last page those after it (up to the
 * end of the file) if it has no .bss; only in a page no other segment
 * meets. */
static void add_slack(uint8_t *want, vs_addr lo, const uint8_t *file, size_t size, const rseg *segs, unsigned nseg,
                      vs_addr base)
{
    for (unsigned i = 0; i < nseg; i++) {
        const rseg *g = &segs[i];
        vs_addr s = g->vaddr + base, e = s + g->filesz;
        if (g->filesz == 0 || (g->offset & 4095) != (s & 4095)) {
            continue;
        }
        vs_addr first = s & ~(vs_addr)4095, last = (e - 1) & ~(vs_addr)4095;
        if (seg_alone(segs, nseg, i, base, first)) {
            memcpy(want + (first - lo), file + g->offset - (s - first), (size_t)(s - first));
        }
        if (g->memsz == g->filesz && seg_alone(segs, nseg, i, base, last)) {
            for (vs_addr va = e; va < last + 4096 && g->offset + (va - s) < size; va++) {
                want[va - lo] = file[g->offset + (va - s)];
            }
        }
    }
}

static void random_layouts(void)
{
    test_context = "random_layouts";
    enum { CAP = 3 << 20, ROUNDS = 120 };
    uint8_t *buf = malloc(CAP), *want = malloc(8 << 20), *want_slack = malloc(8 << 20), *got = malloc(8 << 20);
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_X86_64, 256u << 20);
    /* VS_TEST_SEED: other layouts (by hand; ctest runs the fixed seed). */
    const char *seed = getenv("VS_TEST_SEED");
    rnd_state = seed != NULL ? strtoull(seed, NULL, 0) | 1 : 0x9e3779b97f4a7c15ull;
    unsigned loads = 0, own_total = 0, own_slack = 0, slack_bytes = 0, large = 0;
    for (unsigned round = 0; round < ROUNDS; round++) {
        int dyn = round % 3 == 2;
        rseg segs[3];
        size_t size = 0;
        unsigned nseg = random_image(buf, CAP, &size, dyn, segs);
        vs_elf_image img;
        vs_elf_diag d;
        vs_elf_plan plan;
        vs_elf_load_opts o = {dyn ? VS_ELF_LOAD_BASE_GIVEN : 0, dyn ? 0x40000000 + rnd_below(64) * 4096 : 0};
        if (nseg == 0 || vs_elf_parse(buf, size, NULL, &img, &d) != VS_ELF_OK ||
            vs_elf_plan_load(&img, &o, &plan, &d) != VS_ELF_OK || plan.hi - plan.lo > (8u << 20) || plan.pages > 1100) {
            continue;
        }
        /* The bytes every load must show: file bytes up to p_filesz, zero
         * elsewhere; with FILE_SLACK also the slack around them. */
        vs_addr span = plan.hi - plan.lo;
        memset(want, 0, span);
        for (unsigned i = 0; i < nseg; i++) {
            memcpy(want + (segs[i].vaddr + plan.base - plan.lo), buf + segs[i].offset, (size_t)segs[i].filesz);
        }
        memcpy(want_slack, want, span);
        add_slack(want_slack, plan.lo, buf, size, segs, nseg, plan.base);
        slack_bytes += (unsigned)(memcmp(want, want_slack, span) != 0);
        unsigned own[2] = {0, 0};
        for (size_t r = 0; r < plan.num_regions; r++) {
            const vs_elf_region *g = &plan.regions[r];
            for (vs_addr va = g->start; va < g->end && g->first_phdr == g->last_phdr; va += 4096) {
                own[0] += own_page(buf, size, &segs[g->first_phdr], plan.base, va, 0);
                own[1] += own_page(buf, size, &segs[g->first_phdr], plan.base, va, 1);
            }
        }
        /* Frame access copy-after-map, fill-before-map, the file's own
         * pages; base or large pages; without or with FILE_SLACK. */
        for (int variant = 0; variant < 12; variant++) {
            static const vs_frame_access_ops *const ops[3] = {&failfa_copy_ops, &failfa_ops, &failfa_file_ops};
            failfa ffa = {elf_sim_access(&s), 0, 0, 0, vs_sel4_backend_kernel(s.fx.be), buf, size, 0};
            vs_frame_access fa = {ops[variant % 3], &ffa, 0};
            vs_elf_load_opts lo = o;
            int slack = variant >= 6;
            lo.flags |= (variant % 6 >= 3 ? VS_ELF_LOAD_LARGE_PAGES : 0) | (slack ? VS_ELF_LOAD_FILE_SLACK : 0);
            const uint8_t *expect = slack ? want_slack : want;
            vs_elf_loaded ld;
            if (vs_elf_load(s.child.vs, &img, &lo, &fa, &ld, &d) != VS_ELF_OK) {
                test_fail(__FILE__, __LINE__, "round %u variant %d: %s", round, variant, d.message);
                for (unsigned q = 0; q < nseg; q++) {
                    fprintf(stderr, "  seg %u: va %#llx off %#llx filesz %#llx memsz %#llx\n", q,
                            (unsigned long long)segs[q].vaddr, (unsigned long long)segs[q].offset,
                            (unsigned long long)segs[q].filesz, (unsigned long long)segs[q].memsz);
                }
                continue;
            }
            loads++;
            large += large_pages_in(s.child.vs, &ld) > 0;
            if (ffa.file_pages != (variant % 3 == 2 ? own[slack] : 0)) {
                test_fail(__FILE__, __LINE__, "round %u variant %d: %zu file pages, %u expected", round, variant,
                          ffa.file_pages, variant % 3 == 2 ? own[slack] : 0);
            }
            for (size_t r = 0; r < ld.plan.num_regions; r++) {
                const vs_elf_region *g = &ld.plan.regions[r];
                CHECK_EQ_U(sel4sim_vs_read(s.child.root.cap, g->start, got, g->end - g->start), 0);
                if (memcmp(got, expect + (g->start - plan.lo), g->end - g->start) != 0) {
                    test_fail(__FILE__, __LINE__, "round %u variant %d: region %s [%#llx, %#llx) reads back wrong",
                              round, variant, g->name, (unsigned long long)g->start, (unsigned long long)g->end);
                    for (unsigned q = 0; q < nseg; q++) {
                        fprintf(stderr, "  seg %u: va %#llx off %#llx filesz %#llx memsz %#llx\n", q,
                                (unsigned long long)segs[q].vaddr, (unsigned long long)segs[q].offset,
                                (unsigned long long)segs[q].filesz, (unsigned long long)segs[q].memsz);
                    }
                    size_t b = 0;
                    while (got[b] == expect[g->start - plan.lo + b]) {
                        b++;
                    }
                    fprintf(stderr, "  first difference at +%#zx: %02x, want %02x\n", b, got[b],
                            expect[g->start - plan.lo + b]);
                }
            }
            unload(s.child.vs, &ld);
        }
        own_total += own[0];
        own_slack += own[1];
    }
    printf("random_layouts: %u loads (%u with large pages), %u of the file's own pages (%u with FILE_SLACK), %u "
           "images with slack shown\n",
           loads, large, own_total, own_slack, slack_bytes);
    CHECK(loads > ROUNDS * 6);
    CHECK(own_slack > own_total); /* the flag lets more pages be the file's own */
    CHECK(slack_bytes > ROUNDS / 8);
    elf_sim_down(&s);
    free(buf);
    free(want);
    free(want_slack);
    free(got);
}

/* Root paging structures a window of one new frame leaves behind. */
static size_t tables_after_window(elf_sim *s, const vs_frame_access *fa)
{
    vs_kernel k = vs_sel4_backend_kernel(s->fx.be);
    vs_object frame;
    CHECK_EQ_U(k.ops->alloc_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    vs_frame_window w;
    vs_cap cap = frame.cap;
    CHECK_EQ_U(fa->ops->map_unmapped(fa->ctx, &cap, 1, 12, &w), 0);
    w.host[0] = 1;
    CHECK_EQ_U(fa->ops->unmap(fa->ctx, &w), 0);
    CHECK_EQ_U(k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &frame), 0);
    vs_stats st;
    vs_get_stats(s->fx.root_vs, &st);
    return st.paging_tables;
}

/* The seL4 frame access keeps the page table its windows need from hold to
 * release (windows after the first create none), and only then removes
 * it; a load holds for its windows and leaves the root task's vspace as
 * it found it. */
static void held_tables(void)
{
    test_context = "held_tables";
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_X86_64, 64u << 20);
    vs_frame_access fa = elf_sim_access(&s);
    vs_stats before, after;
    vs_get_stats(s.fx.root_vs, &before);
    CHECK_EQ_U(tables_after_window(&s, &fa), before.paging_tables);
    CHECK_EQ_U(fa.ops->release(fa.ctx), VS_ERR_INVALID_ARG); /* nothing held */
    CHECK_EQ_U(fa.ops->hold(fa.ctx), 0);
    CHECK_EQ_U(fa.ops->hold(fa.ctx), 0);
    size_t kept = tables_after_window(&s, &fa);
    CHECK(kept > before.paging_tables);
    CHECK_EQ_U(tables_after_window(&s, &fa), kept);
    CHECK_EQ_U(fa.ops->release(fa.ctx), 0); /* the inner hold: still held */
    CHECK_EQ_U(tables_after_window(&s, &fa), kept);
    CHECK_EQ_U(fa.ops->release(fa.ctx), 0);
    vs_get_stats(s.fx.root_vs, &after);
    CHECK_EQ_U(after.paging_tables, before.paging_tables);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    size_t size;
    vs_elf_image img;
    void *data = image("x86_64-shared.elf", &size, &img);
    vs_elf_loaded ld;
    vs_elf_diag d;
    CHECK(vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d) == VS_ELF_OK);
    vs_get_stats(s.fx.root_vs, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_EQ_U(fa.ops->release(fa.ctx), VS_ERR_INVALID_ARG); /* the load released its hold */
    unload(s.child.vs, &ld);
    elf_sim_down(&s);
    free(data);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_elf_load IMAGES_DIR\n");
        return 2;
    }
    images = argv[1];
    warnings();
    too_many_regions();
    legacy();
    dyn_base();
    short_windows();
    file_frames();
    random_layouts();
    held_tables();
    for (int variant = 0; variant < 3; variant++) {
        inject("x86_64-shared.elf", variant, 0, 0);
        inject("x86_64-dyn.elf", variant, 0, 0);
        inject("x86_64-large.elf", variant, VS_ELF_LOAD_LARGE_PAGES, 0);
        inject("x86_64-large.elf", variant, VS_ELF_LOAD_LARGE_PAGES, 1);
    }
    inject("x86_64-bigtext.elf", 2, 0, 0);
    if (test_failures != 0) {
        printf("%u failures\n", test_failures);
        return 1;
    }
    printf("all passed\n");
    return 0;
}
