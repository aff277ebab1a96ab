/* vs_elf_load: reservations, fresh frames and the copy of file bytes
 * through the loader's temporary mappings; undone entirely on error. */
#include <vs/undo.h>

#include "internal.h"

enum {
    RUN_MAX = 256, /* frames per window (1 MiB): the cap array lives on the stack */
    /* File pages per file_frames call, one kernel mapping each: caps and
     * cookies on the stack (8 KiB), in map_file_run's frame only. Only a
     * hosted frame access (the Linux backend) offers file_frames, so a
     * root task's small stack never holds them; 512 maps busybox's 1.5 MiB
     * of text in one mmap instead of four (~0.03x of a `vspace exec`). */
    FILE_RUN_MAX = 512,
    UNDO_TRIES = 4 /* a failed undo step is retried: each step changes nothing when it fails */
};

typedef struct load_ctx {
    vs_space *child;
    const vs_elf_image *img;
    const vs_frame_access *fa;
    vs_elf_plan *plan;
    vs_reservation **res; /* res[i] for plan->regions[i]; NULL if not made */
    uint64_t table_mark;  /* the child's paging structures before the load */
    vs_elf_diag *d;
    vs_elf_error fill_error;  /* why a fill refused (vs_map_new_filled then fails) */
    int large_pages;          /* VS_ELF_LOAD_LARGE_PAGES */
    vs_addr fill_lo, fill_hi; /* the file bytes of the run vs_map_new_filled fills */
    int file_slack;           /* VS_ELF_LOAD_FILE_SLACK */
} load_ctx;

static vs_elf_error space_fail(load_ctx *c, vs_result r, const char *call, const char *what, vs_addr vaddr)
{
    const vs_error_info *info = vs_last_error(c->child);
    vs_elf_diag *d = c->d;
    if (d == NULL) {
        return VS_ELF_ERR_SPACE;
    }
    elf_fail(d, VS_ELF_ERR_SPACE, -1, call, vaddr, "", 0, 0);
    d->vaddr = info->vaddr != 0 ? info->vaddr : vaddr;
    d->space_result = r;
    d->kernel_error = r == VS_ERR_KERNEL ? info->kernel_error : 0;
    elf_msg m = {d->message, sizeof(d->message), 0};
    d->message[0] = '\0';
    elf_msg_str(&m, call);
    elf_msg_str(&m, " for ");
    elf_msg_str(&m, what);
    elf_msg_str(&m, " at ");
    elf_msg_hex(&m, vaddr);
    elf_msg_str(&m, " failed: ");
    elf_msg_str(&m, vs_result_name(r));
    elf_msg_str(&m, " (");
    elf_msg_str(&m, info->reason);
    if (r == VS_ERR_KERNEL) {
        elf_msg_str(&m, ", kernel error ");
        elf_msg_dec(&m, (uint64_t)(int64_t)info->kernel_error);
    }
    elf_msg_str(&m, ") at ");
    elf_msg_hex(&m, d->vaddr);
    return VS_ELF_ERR_SPACE;
}

typedef struct blocker {
    const vs_space *vs;
    vs_addr start, end; /* the range asked for */
    vs_addr found_end;  /* end of the first reservation meeting it, or 0 */
} blocker;

static int find_blocker(void *ctx, const vs_reservation *res)
{
    blocker *b = ctx;
    vs_reservation_info info;
    vs_reservation_get_info(b->vs, res, &info);
    if (info.start < b->end && info.end > b->start) {
        b->found_end = info.end;
        return 1;
    }
    return 0;
}

/* Frees the reservations made so far (with their frames). */
static void free_regions(load_ctx *c)
{
    for (size_t i = c->plan->num_regions; i-- > 0;) {
        if (c->res[i] == NULL) {
            continue;
        }
        for (int t = 0; t < UNDO_TRIES; t++) {
            if (vs_free(c->child, c->res[i], VS_FREE_UNMAP | VS_FREE_FRAMES) == VS_OK) {
                break;
            }
        }
        c->res[i] = NULL;
    }
}

/* Reserves every region; on error frees those made and, for an overlap,
 * stores in *blocked_end where the reservation in the way ends. */
static vs_result reserve_regions(load_ctx *c, size_t *failed, vs_addr *blocked_end)
{
    for (size_t i = 0; i < c->plan->num_regions; i++) {
        vs_elf_region *g = &c->plan->regions[i];
        vs_attrs attrs = {g->name, g->rights, VS_CACHE_DEFAULT};
        vs_result r = vs_reserve_at(c->child, g->start, g->end - g->start, &attrs, &c->res[i]);
        if (r != VS_OK) {
            c->res[i] = NULL;
            *failed = i;
            blocker b = {c->child, g->start, g->end, 0};
            if (r == VS_ERR_OVERLAP) {
                vs_for_each_reservation(c->child, find_blocker, &b);
            }
            *blocked_end = b.found_end;
            free_regions(c);
            return r;
        }
    }
    return VS_OK;
}

/* Reserves the regions of the plan. For an ET_DYN image whose base the
 * loader picks, a region meeting an existing reservation moves the base
 * past it (to the next multiple of the largest p_align) and tries again:
 * the lowest such base that fits. Never reserves more than the regions, so
 * a sparse image costs what its pages cost. */
static vs_elf_error reserve_at_base(load_ctx *c, vs_elf_load_opts *o)
{
    int search = c->img->type == VS_ET_DYN && !(o->flags & VS_ELF_LOAD_BASE_GIVEN);
    uint64_t align = c->img->max_align;
    for (;;) {
        size_t failed = 0;
        vs_addr blocked_end = 0;
        vs_result r = reserve_regions(c, &failed, &blocked_end);
        if (r == VS_OK) {
            return VS_ELF_OK;
        }
        const vs_elf_region *g = &c->plan->regions[failed];
        if (!search || r != VS_ERR_OVERLAP || blocked_end == 0) {
            return space_fail(c, r, "vs_reserve_at", g->name, g->start);
        }
        vs_addr base = c->plan->base;
        vs_addr next = base + (blocked_end - g->start);
        next = next + align - 1 < next ? 0 : (next + align - 1) & ~(align - 1);
        if (next <= base) {
            return space_fail(c, VS_ERR_NO_SPACE, "vs_reserve_at", g->name, g->start);
        }
        o->flags |= VS_ELF_LOAD_BASE_GIVEN;
        o->base = next;
        vs_elf_diag scratch;
        if (vs_elf_plan_load(c->img, o, c->plan, &scratch) != VS_ELF_OK) {
            /* Past the top of the user range: no base fits. */
            return space_fail(c, VS_ERR_NO_SPACE, "vs_reserve_at", g->name, g->start);
        }
        o->flags &= ~(unsigned)VS_ELF_LOAD_BASE_GIVEN;
    }
}

static vs_elf_error access_fail(load_ctx *c, const char *call, int code, vs_addr vaddr)
{
    elf_fail(c->d, VS_ELF_ERR_FRAME_ACCESS, -1, call, vaddr, "", 0, 0);
    if (c->d != NULL) {
        c->d->kernel_error = code;
        c->d->vaddr = vaddr;
        elf_msg m = {c->d->message, sizeof(c->d->message), 0};
        elf_msg_str(&m, "frame access ");
        elf_msg_str(&m, call);
        elf_msg_str(&m, " of the child's frames at ");
        elf_msg_hex(&m, vaddr);
        elf_msg_str(&m, " failed with code ");
        elf_msg_dec(&m, (uint64_t)(int64_t)code);
    }
    return VS_ELF_ERR_FRAME_ACCESS;
}

/* 64 bytes a step (the compiler ORs them with vector loads): a byte loop
 * over a segment's partial first and last pages was ~5% of a whole `vspace
 * exec busybox true`. */
static int all_zero(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t w[8];
        memcpy(w, p + i, sizeof w);
        uint64_t any = 0;
        for (unsigned k = 0; k < 8; k++) {
            any |= w[k];
        }
        if (any != 0) {
            return 0;
        }
    }
    uint8_t any = 0;
    for (; i < n; i++) {
        any |= p[i];
    }
    return any == 0;
}

/* A region's one segment, as file_page needs it (decoded once per region). */
typedef struct region_seg {
    int usable;      /* file_frames offered and the region holds one segment */
    vs_addr s, e;    /* where its file bytes lie: [p_vaddr, p_vaddr + p_filesz) + base */
    uint64_t offset; /* its p_offset */
    int has_bss;     /* p_memsz > p_filesz */
} region_seg;

static region_seg region_segment(const load_ctx *c, const vs_elf_region *g)
{
    region_seg rs = {0, 0, 0, 0, 0};
    if (c->fa->ops->file_frames != NULL && g->first_phdr == g->last_phdr && g->first_phdr >= 0) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(c->img, (unsigned)g->first_phdr, &ph);
        rs = (region_seg){1, ph.vaddr + c->plan->base, ph.vaddr + c->plan->base + ph.filesz, ph.offset,
                          ph.memsz > ph.filesz};
    }
    return rs;
}

/* Whether the page at va lies in a region that holds segment phdr alone. */
static int alone_in_page(const load_ctx *c, unsigned phdr, vs_addr va)
{
    for (size_t i = 0; i < c->plan->num_regions; i++) {
        const vs_elf_region *g = &c->plan->regions[i];
        if (va >= g->start && va < g->end) {
            return g->first_phdr == (int)phdr && g->last_phdr == (int)phdr;
        }
    }
    return 0;
}

/* The child's bytes [*from, *to) that come from the file for PT_LOAD ph
 * (program header index phdr); their file offset is p_offset + (*from -
 * relocated p_vaddr), which may lie before p_offset. The segment's file
 * bytes, and with VS_ELF_LOAD_FILE_SLACK what Linux's exec shows around
 * them in the segment's first and last page when no other segment shares
 * that page and the file offset is congruent to the address: the file's
 * bytes before the segment, and after it unless the segment has .bss (exec
 * zeroes the rest of that page). */
static void file_span(const load_ctx *c, unsigned phdr, const vs_elf_phdr *ph, vs_addr *from, vs_addr *to)
{
    vs_addr s = ph->vaddr + c->plan->base;
    vs_addr e = s + ph->filesz;
    *from = s, *to = e;
    if (!c->file_slack || ph->filesz == 0 || (ph->offset & ELF_PAGE_MASK) != (s & ELF_PAGE_MASK)) {
        return;
    }
    vs_addr first = s & ~(vs_addr)ELF_PAGE_MASK;
    vs_addr last = (e - 1) & ~(vs_addr)ELF_PAGE_MASK;
    if (alone_in_page(c, phdr, first)) {
        *from = first;
    }
    if (ph->memsz == ph->filesz && alone_in_page(c, phdr, last)) {
        uint64_t in_file = c->img->size - ph->offset; /* >= p_filesz: the parser checked */
        vs_addr page_end = last + ELF_PAGE;
        *to = in_file < page_end - s ? s + in_file : page_end;
    }
}

/* Whether the page at va of a region can be a frame that is the file's own
 * page: the region has one segment (no other segment's bytes share the
 * page), the page holds some of its file bytes, the file page starts at a
 * page-aligned offset, and every other byte of that file page is what the
 * copy would write there (file_span): zero in the file or past its end
 * (which a mapping shows as zero), except that with FILE_SLACK the bytes
 * before the segment are the file's anyway, and so are those after it
 * when it has no .bss. Then the file page holds exactly what the copy
 * would write; *offset is its file offset. */
static int file_page(const load_ctx *c, const region_seg *rs, vs_addr va, uint64_t *offset)
{
    vs_addr s = rs->s;
    vs_addr e = rs->e;
    if (!rs->usable || s == e || va + ELF_PAGE <= s || va >= e || (va < s && rs->offset < s - va)) {
        return 0;
    }
    uint64_t off = va < s ? rs->offset - (s - va) : rs->offset + (va - s);
    if ((off & ELF_PAGE_MASK) != 0) {
        return 0;
    }
    size_t from = (size_t)(va < s ? s - va : 0); /* the segment's bytes in the page: [from, to) */
    size_t to = (size_t)(e < va + ELF_PAGE ? e - va : ELF_PAGE);
    size_t in_file = (size_t)(c->img->size - off < ELF_PAGE ? c->img->size - off : ELF_PAGE);
    const uint8_t *page = c->img->data + off;
    int head_shown = c->file_slack;
    int tail_shown = c->file_slack && !rs->has_bss;
    if ((!head_shown && !all_zero(page, from)) || (!tail_shown && to < in_file && !all_zero(page + to, in_file - to))) {
        return 0;
    }
    *offset = off;
    return 1;
}

/* How many pages from va, itself the file's own page (file_page), are
 * the file's own, up to max and before `end`. The pages wholly inside the
 * segment's file bytes are (their file offsets stay page-aligned and they
 * hold nothing else), so only the page the bytes end in needs a look:
 * one file_page per run, not per page. */
static size_t file_run(const load_ctx *c, const region_seg *rs, vs_addr va, vs_addr end, size_t max)
{
    uint64_t whole = rs->e > va ? (rs->e - va) / ELF_PAGE : 0;
    size_t n = whole < 1 ? 1 : whole < max ? (size_t)whole : max;
    uint64_t offset = 0;
    while (n < max && va + n * ELF_PAGE < end && file_page(c, rs, va + n * ELF_PAGE, &offset)) {
        n++;
    }
    return n;
}

/* Maps n frames that are the file's pages from offset at va; on error none
 * is left. */
static __attribute__((noinline)) vs_elf_error map_file_run(load_ctx *c, const vs_elf_region *g, vs_addr va,
                                                           uint64_t offset, size_t n)
{
    vs_cap caps[FILE_RUN_MAX];
    uintptr_t cookies[FILE_RUN_MAX];
    int err = c->fa->ops->file_frames(c->fa->ctx, offset, n, caps, cookies);
    if (err != 0) {
        return access_fail(c, "file_frames", err, va);
    }
    vs_result r = vs_map(c->child, va, caps, cookies, n, 12);
    if (r != VS_OK) {
        vs_kernel k = vs_get_kernel(c->child);
        for (size_t i = 0; i < n; i++) {
            vs_object obj = {caps[i], cookies[i]};
            for (int t = 0; t < UNDO_TRIES && k.ops->free_object(k.ctx, VS_OBJ_FRAME, 0, &obj) != 0; t++) {
            }
        }
        return space_fail(c, r, "vs_map", g->name, va);
    }
    return VS_ELF_OK;
}

/* Copies the file bytes of every PT_LOAD that fall in [lo, hi) to the
 * window showing that range. */
static void copy_into(const load_ctx *c, uint8_t *host, vs_addr lo, vs_addr hi)
{
    const vs_elf_image *img = c->img;
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, i, &ph);
        if (ph.type != VS_PT_LOAD || ph.filesz == 0) {
            continue;
        }
        vs_addr s = ph.vaddr + c->plan->base;
        vs_addr first, last;
        file_span(c, i, &ph, &first, &last);
        vs_addr from = first > lo ? first : lo;
        vs_addr to = last < hi ? last : hi;
        if (from < to) {
            /* from - s wraps below zero for the slack before the
             * segment: its offset is congruent, so p_offset >= s - from
             * (summed as integers: a pointer must not step outside) */
            uint64_t src = ph.offset + (from - s);
            memcpy(host + (from - lo), img->data + src, (size_t)(to - from));
        }
    }
}

/* The page-aligned part [*lo, *hi) of region g that holds file bytes. */
static int file_extent(const load_ctx *c, const vs_elf_region *g, vs_addr *lo, vs_addr *hi)
{
    const vs_elf_image *img = c->img;
    vs_addr from = g->end, to = g->start;
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, i, &ph);
        if (ph.type != VS_PT_LOAD || ph.filesz == 0) {
            continue;
        }
        vs_addr s = ph.vaddr + c->plan->base;
        vs_addr e = s + ph.filesz;
        s = s > g->start ? s : g->start;
        e = e < g->end ? e : g->end;
        if (s < e) {
            from = s < from ? s : from;
            to = e > to ? e : to;
        }
    }
    *lo = from & ~(vs_addr)ELF_PAGE_MASK;
    *hi = (to + ELF_PAGE_MASK) & ~(vs_addr)ELF_PAGE_MASK;
    return from < to;
}

/* Fills the frames of 2^size_bits bytes mapped from lo with their file
 * bytes through windows over frames[0..n): map (copies of the child's
 * caps) or map_unmapped (frames mapped nowhere), as many windows as the
 * frame access needs to show them all; no window is left. */
typedef int (*window_map_fn)(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits, vs_frame_window *out);

static vs_elf_error fill_through_windows(load_ctx *c, window_map_fn map, const vs_cap *frames, size_t n,
                                         unsigned size_bits, vs_addr lo)
{
    const vs_frame_access *fa = c->fa;
    const vs_addr frame = (vs_addr)1 << size_bits;
    size_t done = 0;
    while (done < n) {
        vs_addr at = lo + (vs_addr)done * frame;
        vs_frame_window w;
        int err = map(fa->ctx, frames + done, n - done, size_bits, &w);
        if (err != 0) {
            return access_fail(c, "map", err, at);
        }
        /* The window may show only the first frames asked for: fill
         * those, ask again for the rest. A window of no whole frame
         * would never end the loop; it is refused after its unmap. */
        vs_addr asked = (vs_addr)(n - done) * frame;
        vs_addr shown = w.size < asked ? w.size & ~(frame - 1) : asked;
        copy_into(c, w.host, at, at + shown);
        err = fa->ops->unmap(fa->ctx, &w);
        for (int t = 1; err != 0 && t < UNDO_TRIES; t++) {
            err = fa->ops->unmap(fa->ctx, &w);
        }
        if (err != 0 || shown == 0) {
            return access_fail(c, err != 0 ? "unmap" : "map", err != 0 ? err : -1, at);
        }
        done += (size_t)(shown / frame);
    }
    return VS_ELF_OK;
}

/* Windows only over fresh pages that receive file bytes: the others are
 * zero already, or are the file's own pages (file_page). Only for a frame
 * access without map_unmapped: with it, map_regions filled the frames
 * before mapping them. */
static vs_elf_error copy_bytes(load_ctx *c)
{
    const vs_frame_access *fa = c->fa;
    if (fa->ops->map_unmapped != NULL) {
        return VS_ELF_OK;
    }
    size_t run = fa->max_run != 0 && fa->max_run < RUN_MAX ? fa->max_run : RUN_MAX;
    vs_cap caps[RUN_MAX];
    for (size_t i = 0; i < c->plan->num_regions; i++) {
        const vs_elf_region *g = &c->plan->regions[i];
        region_seg rs = region_segment(c, g);
        vs_addr lo, end;
        if (!file_extent(c, g, &lo, &end)) {
            continue;
        }
        while (lo < end) {
            uint64_t offset = 0;
            if (file_page(c, &rs, lo, &offset)) {
                lo += file_run(c, &rs, lo, end, SIZE_MAX) * ELF_PAGE; /* the file's own pages: nothing to copy */
                continue;
            }
            size_t n = 1;
            while (n < run && lo + n * ELF_PAGE < end && !file_page(c, &rs, lo + n * ELF_PAGE, &offset)) {
                n++;
            }
            for (size_t k = 0; k < n; k++) {
                caps[k] = vs_get_cap(c->child, lo + (vs_addr)k * ELF_PAGE);
            }
            vs_elf_error e = fill_through_windows(c, fa->ops->map, caps, n, 12, lo);
            if (e != VS_ELF_OK) {
                return e;
            }
            lo += (vs_addr)n * ELF_PAGE;
        }
    }
    return VS_ELF_OK;
}

/* Whether the page of 2^bits bytes at `at` meets [lo, hi). */
static int page_meets(vs_addr at, unsigned bits, vs_addr lo, vs_addr hi)
{
    return at < hi && at + ((vs_addr)1 << bits) > lo;
}

/* vs_map_new_filled's fill: the new frames of [vaddr, ...) get their file
 * bytes through map_unmapped windows, at most max_run frames per window. */
static vs_result fill_new_frames(void *ctx, vs_addr vaddr, const vs_cap *frames, size_t n, unsigned size_bits)
{
    load_ctx *c = ctx;
    const vs_frame_access *fa = c->fa;
    /* Windows only over the frames that receive file bytes: the run may
     * go on into zero pages (.bss past the last file bytes). */
    size_t from = 0, to = n;
    while (from < to && !page_meets(vaddr + ((vs_addr)from << size_bits), size_bits, c->fill_lo, c->fill_hi)) {
        from++;
    }
    while (to > from && !page_meets(vaddr + ((vs_addr)(to - 1) << size_bits), size_bits, c->fill_lo, c->fill_hi)) {
        to--;
    }
    size_t run = fa->max_run != 0 ? fa->max_run : n;
    for (size_t k = from; k < to; k += run) {
        size_t m = to - k < run ? to - k : run;
        c->fill_error =
            fill_through_windows(c, fa->ops->map_unmapped, frames + k, m, size_bits, vaddr + ((vs_addr)k << size_bits));
        if (c->fill_error != VS_ELF_OK) {
            return VS_ERR_KERNEL; /* what failed is in c->d; the load reports it */
        }
    }
    return VS_OK;
}

/* Index of the largest page size of the architecture that starts at va
 * and ends by `to` (0, the base page, if no larger one does). */
static unsigned largest_fitting(const vs_arch *a, vs_addr va, vs_addr to)
{
    for (unsigned k = a->num_page_sizes - 1u; k > 0; k--) {
        vs_addr size = (vs_addr)1 << a->page_sizes[k].bits;
        if ((va & (size - 1)) == 0 && to - va >= size) {
            return k;
        }
    }
    return 0;
}

/* A fresh page of a run ending at `end` whose file bytes lie in [lo, hi). */
typedef struct fresh_page {
    unsigned bits; /* its size */
    int has_file;  /* it receives file bytes */
} fresh_page;

/* The page that starts at `at`: the largest that fits when large pages
 * are asked for, except that a page receiving file bytes is a base page
 * unless the frame access fills new frames (map_unmapped): copy_bytes
 * writes through windows over base pages only. */
static fresh_page fresh_page_at(const load_ctx *c, vs_addr at, vs_addr end, vs_addr lo, vs_addr hi)
{
    const vs_arch *a = c->img->arch;
    unsigned bits = a->page_sizes[c->large_pages ? largest_fitting(a, at, end) : 0].bits;
    if (c->fa->ops->map_unmapped == NULL && page_meets(at, bits, lo, hi)) {
        bits = a->page_sizes[0].bits;
    }
    return (fresh_page){bits, page_meets(at, bits, lo, hi)};
}

/* Fresh frames for [va, va + n pages) of region g, in runs of pages of
 * one size. Where the frame access offers map_unmapped, file bytes are
 * written before the child maps the frames (vs_map_new_filled: the
 * loader's windows show the new frames themselves, no cap copies, and
 * only those that receive file bytes); else after (copy_bytes). Zero
 * pages need nothing. */
static vs_elf_error map_fresh(load_ctx *c, const vs_elf_region *g, vs_addr va, size_t n)
{
    vs_addr end = va + (vs_addr)n * ELF_PAGE, lo = end, hi = end, file_lo, file_hi;
    if (file_extent(c, g, &file_lo, &file_hi)) {
        lo = file_lo < va ? va : file_lo > end ? end : file_lo;
        hi = file_hi > end ? end : file_hi < lo ? lo : file_hi;
    }
    int fill = c->fa->ops->map_unmapped != NULL;
    c->fill_lo = lo, c->fill_hi = hi;
    for (vs_addr at = va; at < end;) {
        fresh_page first = fresh_page_at(c, at, end, lo, hi);
        vs_addr size = (vs_addr)1 << first.bits;
        size_t count = 1;
        /* Pages with and without file bytes share a run: one call, one
         * kernel mapping for the last file page and the .bss after it. */
        int has_file = first.has_file;
        for (vs_addr next = at + size; next < end; next += size, count++) {
            fresh_page p = fresh_page_at(c, next, end, lo, hi);
            if (p.bits != first.bits) {
                break;
            }
            has_file |= p.has_file;
        }
        c->fill_error = VS_ELF_OK;
        vs_result r = has_file && fill ? vs_map_new_filled(c->child, at, count, first.bits, fill_new_frames, c)
                                       : vs_map_new(c->child, at, count, first.bits);
        if (r != VS_OK) {
            return c->fill_error != VS_ELF_OK ? c->fill_error : space_fail(c, r, "vs_map_new", g->name, at);
        }
        at += (vs_addr)count * size;
    }
    return VS_ELF_OK;
}

/* Fresh zeroed frames, except where a page can be the file's own (fa
 * offers file_frames): runs of each kind, one call per run. */
static vs_elf_error map_regions(load_ctx *c)
{
    for (size_t i = 0; i < c->plan->num_regions; i++) {
        vs_elf_region *g = &c->plan->regions[i];
        region_seg rs = region_segment(c, g);
        for (vs_addr va = g->start; va < g->end;) {
            uint64_t offset = 0;
            uint64_t next = 0;
            int file = file_page(c, &rs, va, &offset);
            size_t n = file ? file_run(c, &rs, va, g->end, FILE_RUN_MAX) : 1;
            while (!file && va + n * ELF_PAGE < g->end && !file_page(c, &rs, va + n * ELF_PAGE, &next)) {
                n++;
            }
            vs_elf_error e = VS_ELF_OK;
            if (file) {
                e = map_file_run(c, g, va, offset, n);
            } else {
                e = map_fresh(c, g, va, n);
            }
            if (e != VS_ELF_OK) {
                return e;
            }
            va += (vs_addr)n * ELF_PAGE;
        }
    }
    return VS_ELF_OK;
}

static void fill_result(const load_ctx *c, vs_elf_loaded *out)
{
    const vs_elf_image *img = c->img;
    out->stack_exec = img->stack_exec;
    if (img->tls_index >= 0) {
        vs_elf_phdr tls;
        vs_elf_get_phdr(img, (unsigned)img->tls_index, &tls);
        out->has_tls = 1;
        out->tls_vaddr = tls.vaddr + c->plan->base;
        out->tls_filesz = tls.filesz;
        out->tls_memsz = tls.memsz;
        out->tls_align = tls.align;
    }
}

vs_elf_error vs_elf_load(vs_space *child, const vs_elf_image *img, const vs_elf_load_opts *opts,
                         const vs_frame_access *fa, vs_elf_loaded *out, vs_elf_diag *diag)
{
    if (child == NULL || img == NULL || img->data == NULL || img->arch == NULL || fa == NULL || fa->ops == NULL ||
        fa->ops->map == NULL || fa->ops->unmap == NULL || out == NULL) {
        return elf_fail(diag, VS_ELF_ERR_INVALID_ARG, -1, "argument", 0, "is NULL or not a parsed image", 0, 0);
    }
    const vs_arch *arch = vs_get_arch(child);
    if (arch == NULL || arch->id != img->arch->id) {
        elf_fail(diag, VS_ELF_ERR_ARCH_MISMATCH, -1, "e_machine", img->machine, "", 0, 0);
        if (diag != NULL) {
            elf_msg m = {diag->message, sizeof(diag->message), 0};
            elf_msg_str(&m, "image is for ");
            elf_msg_str(&m, img->arch->name);
            elf_msg_str(&m, ", the vspace is ");
            elf_msg_str(&m, arch != NULL ? arch->name : "(none)");
        }
        return VS_ELF_ERR_ARCH_MISMATCH;
    }
    vs_elf_load_opts o = opts != NULL ? *opts : (vs_elf_load_opts){0};
    memset(out, 0, sizeof(*out));
    load_ctx c = {child,
                  img,
                  fa,
                  &out->plan,
                  out->reservations,
                  vs_table_keep(child),
                  diag,
                  VS_ELF_OK,
                  (o.flags & VS_ELF_LOAD_LARGE_PAGES) != 0,
                  0,
                  0,
                  (o.flags & VS_ELF_LOAD_FILE_SLACK) != 0};
    /* Refuse what the plan refuses before touching the vspace. */
    vs_elf_error e = vs_elf_plan_load(img, &o, &out->plan, diag);
    /* The windows may keep their paging structures in the loader's space
     * until the load ends (a failed hold just keeps none). */
    int held = e == VS_ELF_OK && fa->ops->hold != NULL && fa->ops->release != NULL && fa->ops->hold(fa->ctx) == 0;
    if (e == VS_ELF_OK) {
        e = reserve_at_base(&c, &o);
    }
    if (e == VS_ELF_OK) {
        e = map_regions(&c);
    }
    if (e == VS_ELF_OK) {
        e = copy_bytes(&c);
    }
    if (held) {
        int err = fa->ops->release(fa->ctx);
        if (err != 0 && e == VS_ELF_OK) {
            e = access_fail(&c, "release", err, 0);
        }
    }
    if (e != VS_ELF_OK) {
        free_regions(&c);
        /* Also maps back the empty tables a large page of this load
         * replaced (vs_table_keep), so the child is as it was. */
        int t = 0;
        while (t < UNDO_TRIES && vs_table_rollback(child, c.table_mark) != VS_OK) {
            t++;
        }
        if (t == UNDO_TRIES) {
            vs_table_keep_end(child);
        }
        return e;
    }
    vs_table_keep_end(child);
    fill_result(&c, out);
    if (o.flags & VS_ELF_LOAD_FREE_RESERVATIONS) {
        /* The seed's bug, on request: the pages stay mapped. Cannot fail
         * for handles of this vspace. */
        for (size_t i = 0; i < out->plan.num_regions; i++) {
            (void)vs_legacy_drop_reservation(child, out->reservations[i]);
            out->reservations[i] = NULL;
        }
    }
    if (diag != NULL) {
        memset(diag, 0, sizeof(*diag));
        diag->index = diag->other = -1;
        diag->field = "";
    }
    return VS_ELF_OK;
}
