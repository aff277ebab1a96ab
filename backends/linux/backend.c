/* The Linux backend's objects and kernel ops: frames in a memfd, caps,
 * roots held by placeholders, map and unmap by mmap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lx_internal.h"

enum { PAGE_BITS = 12, PAGE = 1 << PAGE_BITS };

int lx_fail(vs_linux *be, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(be->error, sizeof be->error, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof be->error) {
        snprintf(be->error + n, sizeof be->error - (size_t)n, ": %s", strerror(error));
    }
    return error;
}

lx_cap *lx_get(const vs_linux *be, vs_cap cap, lx_kind k)
{
    if (cap == 0 || cap >= be->ncaps) {
        return NULL;
    }
    lx_cap *c = &be->caps[cap];
    int ok = c->kind == k || (k == LX_FRAME && c->kind == LX_COPY);
    return ok ? c : NULL;
}

/* ---- cap slots ---- */

static int slot_alloc(vs_linux *be, vs_cap *out)
{
    if (be->free_slot != 0) {
        *out = be->free_slot;
        be->free_slot = be->caps[*out].next_free;
        memset(&be->caps[*out], 0, sizeof be->caps[*out]);
        return 0;
    }
    if (be->ncaps >= be->capcap) {
        /* The first block is 256 KiB (8192 slots), which glibc's malloc
         * takes straight from mmap and the command's heap (heap.c) from
         * untouched memory: its pages are touched only as slots are used.
         * A program's load (a cap per page) seldom grows it. */
        uint32_t n = be->capcap ? be->capcap * 2 : (256u << 10) / (uint32_t)sizeof *be->caps;
        lx_cap *caps = realloc(be->caps, (size_t)n * sizeof *caps);
        if (caps == NULL) {
            return lx_fail(be, ENOMEM, "no memory for a cap slot");
        }
        be->caps = caps;
        be->capcap = n;
    }
    *out = be->ncaps++;
    memset(&be->caps[*out], 0, sizeof be->caps[*out]);
    return 0;
}

static void slot_free(vs_linux *be, vs_cap cap)
{
    memset(&be->caps[cap], 0, sizeof be->caps[cap]);
    be->caps[cap].next_free = be->free_slot;
    be->free_slot = (uint32_t)cap;
}

/* ---- physical memory ---- */

static int freelist_push(vs_linux *be, lx_freelist *f, uint64_t paddr)
{
    if (f->n == f->cap) {
        size_t n = f->cap ? f->cap * 2 : 64;
        uint64_t *p = realloc(f->paddr, n * sizeof *p);
        if (p == NULL) {
            return lx_fail(be, ENOMEM, "no memory for the free-frame list");
        }
        f->paddr = p;
        f->cap = n;
    }
    f->paddr[f->n++] = paddr;
    return 0;
}

/* Takes a zeroed, size-aligned run of the memfd for a frame of size index i:
 * a freed one, else (base pages) one skipped to align a large frame, else
 * from the bump. */
static int phys_take(vs_linux *be, unsigned i, uint64_t *paddr)
{
    lx_freelist *f = &be->free[i];
    if (f->n > 0) {
        *paddr = f->paddr[--f->n];
        return 0;
    }
    if (i == 0 && be->gap_lo < be->gap_hi) {
        *paddr = be->gap_lo;
        be->gap_lo += PAGE;
        return 0;
    }
    uint64_t size = lx_frame_bytes(be, i);
    uint64_t at = (be->bump + size - 1) & ~(size - 1);
    if (at + size > be->phys_bytes || at < be->bump) {
        return lx_fail(be, ENOMEM, "physical memory (memfd of %llu bytes) has no free frame of %llu bytes",
                       (unsigned long long)be->phys_bytes, (unsigned long long)size);
    }
    /* The pages skipped for alignment are kept as one range, not a free
     * list entry each (a 2 MiB frame after a few pages skips ~500); an
     * older range left over goes to the free list first, page by page. */
    if (at > be->bump) {
        for (; be->gap_lo < be->gap_hi; be->gap_lo += PAGE) {
            if (freelist_push(be, &be->free[0], be->gap_lo) != 0) {
                return ENOMEM;
            }
        }
        be->gap_lo = be->bump;
        be->gap_hi = at;
    }
    *paddr = at;
    be->bump = at + size;
    return 0;
}

/* Returns a frame's memory to the memfd (zeroing it) and to the free list. */
static int phys_give(vs_linux *be, unsigned i, uint64_t paddr)
{
    uint64_t size = lx_frame_bytes(be, i);
    if (fallocate(be->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)paddr, (off_t)size) != 0) {
        return lx_fail(be, errno, "punching frame %#llx out of the memfd", (unsigned long long)paddr);
    }
    return freelist_push(be, &be->free[i], paddr);
}

/* ---- mapping ---- */

static int prot_of(unsigned rights)
{
    return ((rights & VS_RIGHT_READ) ? PROT_READ : 0) | ((rights & VS_RIGHT_WRITE) ? PROT_WRITE : 0) |
           ((rights & VS_RIGHT_EXEC) ? PROT_EXEC : 0);
}

static void *host_of(const lx_cap *root, vs_addr vaddr)
{
    return (void *)(uintptr_t)(vaddr + (uint64_t)root->offset);
}

static void name_clash(vs_linux *be, uint64_t start, uint64_t end, const char *what, vs_addr base, vs_addr vend);

/* Puts the placeholder back over [vaddr, vaddr + size) of root. */
static int placeholder(vs_linux *be, const lx_cap *root, vs_addr vaddr, uint64_t size)
{
    void *host = host_of(root, vaddr);
    void *p = mmap(host, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return lx_fail(be, errno, "restoring the placeholder at %#llx", (unsigned long long)vaddr);
    }
    return 0;
}

/* The root of a map of frames of size_index from vaddr: NULL after
 * saying why if root_cap is none. *fit: how many frames from vaddr lie in
 * its window (0 if vaddr is misaligned or outside). */
static const lx_cap *map_root(vs_linux *be, vs_cap root_cap, vs_addr vaddr, unsigned size_index, uint64_t *fit)
{
    const lx_cap *root = lx_get(be, root_cap, LX_ROOT);
    if (root == NULL) {
        lx_fail(be, EINVAL, "map_frame: cap %llu is not a root", (unsigned long long)root_cap);
        return NULL;
    }
    uint64_t size = lx_frame_bytes(be, size_index);
    int inside = (vaddr & (size - 1)) == 0 && vaddr >= root->base && vaddr <= root->end;
    *fit = inside ? (root->end - vaddr) / size : 0;
    return root;
}

/* Whether frame (the i-th of a map from vaddr) may be mapped there: a
 * frame cap of that size, not mapped, inside the window (i < fit). */
static int map_check(vs_linux *be, const lx_cap *root, vs_cap frame, unsigned i, uint64_t fit, vs_addr vaddr,
                     unsigned size_index)
{
    const lx_cap *c = lx_get(be, frame, LX_FRAME);
    if (c == NULL) {
        return lx_fail(be, EINVAL, "map_frame: cap %llu is not a frame", (unsigned long long)frame);
    }
    if (c->size_index != size_index) {
        return lx_fail(be, EINVAL, "map_frame: frame cap %llu has size index %u, not %u", (unsigned long long)frame,
                       c->size_index, size_index);
    }
    if (c->mapped) {
        return lx_fail(be, EBUSY, "map_frame: frame cap %llu is already mapped at %#llx", (unsigned long long)frame,
                       (unsigned long long)c->vaddr);
    }
    if (i >= fit) {
        vs_addr at = vaddr + (vs_addr)i * lx_frame_bytes(be, size_index);
        return lx_fail(be, EINVAL, "map_frame: %#llx is misaligned or outside the root's window [%#llx, %#llx)",
                       (unsigned long long)at, (unsigned long long)root->base, (unsigned long long)root->end);
    }
    return 0;
}

/* mmaps frames[0..n), contiguous in the memfd, at consecutive pages from
 * vaddr; records them as mapped. */
static int map_run(vs_linux *be, vs_cap root_cap, const lx_cap *root, const vs_cap *frames, unsigned n, vs_addr vaddr,
                   unsigned size_index, unsigned rights)
{
    uint64_t size = lx_frame_bytes(be, size_index);
    const lx_cap *first = &be->caps[frames[0]];
    /* A file page is mapped privately in either mode, as exec maps a
     * program's pages: writes are copy-on-write, the file never changes. */
    /* In an unheld window nothing of ours lies there to replace: the
     * mapping must not replace anything else either. */
    int flags = (root->unheld ? MAP_FIXED_NOREPLACE : MAP_FIXED) |
                (be->private_mappings || first->file ? MAP_PRIVATE : MAP_SHARED);
    int fd = first->file ? be->file_fd : be->memfd;
    off_t off = (off_t)(first->file ? first->paddr - be->phys_bytes : first->paddr);
    void *host = host_of(root, vaddr);
    void *p = mmap(host, size * n, prot_of(rights), flags, fd, off);
    if (p != MAP_FAILED && p != host) {
        munmap(p, size * n); /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
        p = MAP_FAILED;
        errno = EEXIST;
    }
    if (p == MAP_FAILED) {
        int e = errno;
        if (!root->unheld) {
            placeholder(be, root, vaddr, size * n); /* a failed MAP_FIXED may have removed it */
        }
        lx_fail(be, e, "mmap of frame cap %llu at %#llx", (unsigned long long)frames[0], (unsigned long long)vaddr);
        if (e == EEXIST) {
            name_clash(be, (uint64_t)(uintptr_t)host, (uint64_t)(uintptr_t)host + size * n, "mapping", vaddr,
                       vaddr + size * n);
        }
        return e;
    }
    for (unsigned i = 0; i < n; i++) {
        lx_cap *c = &be->caps[frames[i]];
        c->mapped = 1;
        c->root = root_cap;
        c->vaddr = vaddr + i * size;
        c->rights = (uint8_t)rights;
    }
    be->counts.mapped += n;
    return 0;
}

/* From now on the frame at memfd offset paddr may hold bytes other than
 * zero (the flag lives in the table frame_at points to, so a const backend
 * can set it). */
static void mark_written(const vs_linux *be, uint64_t paddr)
{
    be->frame_at[paddr >> PAGE_BITS] |= FRAME_WRITTEN;
}

/* Maps the pending run frames[start, start + len): on success each memfd
 * frame is marked written (the program may write it), on failure the
 * `mapped` marks map_check's callers set are cleared. */
static int flush_map(vs_linux *be, vs_cap root_cap, const lx_cap *root, const vs_cap *frames, unsigned start,
                     unsigned len, vs_addr vaddr, unsigned size_index, unsigned rights)
{
    if (len == 0) {
        return 0;
    }
    uint64_t size = lx_frame_bytes(be, size_index);
    int e = map_run(be, root_cap, root, frames + start, len, vaddr + (vs_addr)start * size, size_index, rights);
    for (unsigned i = start; i < start + len; i++) {
        lx_cap *c = &be->caps[frames[i]];
        if (e != 0) {
            c->mapped = 0;
        } else if (!c->file) {
            mark_written(be, c->paddr);
        }
    }
    return e;
}

static vs_kstatus lx_map_frames(void *ctx, vs_cap root_cap, const vs_cap *frames, unsigned n, vs_addr vaddr,
                                unsigned size_index, unsigned rights, vs_cache cache, unsigned *done)
{
    (void)cache; /* all memfd memory is normal cached memory (docs/linux-backend.md) */
    vs_linux *be = ctx;
    *done = 0;
    if (size_index >= be->arch->num_page_sizes) {
        return (vs_kstatus){lx_fail(be, EINVAL, "map_frame: page size index %u", size_index), -1};
    }
    uint64_t size = lx_frame_bytes(be, size_index);
    if (n == 0) {
        return (vs_kstatus){0, -1}; /* no frame: nothing to check, whatever the root */
    }
    uint64_t fit = 0;
    const lx_cap *root = map_root(be, root_cap, vaddr, size_index, &fit);
    if (root == NULL) {
        return (vs_kstatus){EINVAL, -1};
    }
    unsigned start = 0;
    unsigned len = 0;        /* the pending run, contiguous in the memfd: frames[start, start + len) */
    uint64_t next_paddr = 0; /* where the pending run's next frame must start */
    for (unsigned i = 0; i < n; i++) {
        int error = map_check(be, root, frames[i], i, fit, vaddr, size_index);
        uint64_t paddr = error == 0 ? be->caps[frames[i]].paddr : 0;
        int file = error == 0 && be->caps[frames[i]].file;
        if (error == 0 && len > 0 && paddr == next_paddr && file == be->caps[frames[start]].file) {
            be->caps[frames[i]].mapped = 1; /* pending: a second use of the cap in this call is refused */
            next_paddr += size;
            len++;
            continue;
        }
        int e = flush_map(be, root_cap, root, frames, start, len, vaddr, size_index, rights);
        if (e != 0 || error != 0) {
            *done = e != 0 ? start : i;
            return (vs_kstatus){e != 0 ? e : error, -1};
        }
        be->caps[frames[i]].mapped = 1;
        next_paddr = paddr + size;
        start = i;
        len = 1;
    }
    int e = flush_map(be, root_cap, root, frames, start, len, vaddr, size_index, rights);
    *done = e != 0 ? start : n;
    return (vs_kstatus){e, -1};
}

static vs_kstatus lx_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned size_index,
                               unsigned rights, vs_cache cache)
{
    unsigned done = 0;
    return lx_map_frames(ctx, root, &frame, 1, vaddr, size_index, rights, cache, &done);
}

/* Unmaps caps[0..n), mapped at consecutive addresses of one root. */
static int unmap_run(vs_linux *be, const vs_cap *caps, unsigned n, uint64_t size)
{
    lx_cap *first = &be->caps[caps[0]];
    const lx_cap *root = &be->caps[first->root];
    if (root->unheld) {
        /* Nothing holds the rest of the window either: leave it free. */
        if (munmap(host_of(root, first->vaddr), size * n) != 0) {
            return lx_fail(be, errno, "munmap at %#llx", (unsigned long long)first->vaddr);
        }
    } else {
        int e = placeholder(be, root, first->vaddr, size * n);
        if (e != 0) {
            return e;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        be->caps[caps[i]].mapped = 0;
    }
    be->counts.mapped -= n;
    return 0;
}

static int lx_unmap_frames(void *ctx, const vs_cap *caps, unsigned n, unsigned size_index, unsigned *done)
{
    vs_linux *be = ctx;
    *done = 0;
    if (size_index >= be->arch->num_page_sizes) {
        return lx_fail(be, EINVAL, "unmap_frame: page size index %u", size_index);
    }
    uint64_t size = lx_frame_bytes(be, size_index);
    unsigned start = 0;
    unsigned len = 0;     /* the pending run: mapped at consecutive addresses of one root */
    vs_cap run_root = 0;  /* its root */
    vs_addr run_next = 0; /* where its next page must be mapped */
    for (unsigned i = 0; i < n; i++) {
        const lx_cap *c = lx_get(be, caps[i], LX_FRAME);
        int bad = c == NULL || c->size_index != size_index;
        if (!bad && c->mapped && len > 0 && c->root == run_root && c->vaddr == run_next) {
            run_next += size;
            len++;
            continue;
        }
        int e = len > 0 ? unmap_run(be, caps + start, len, size) : 0;
        if (e != 0) {
            *done = start;
            return e;
        }
        len = 0;
        if (bad) {
            *done = i;
            return lx_fail(be, EINVAL, "unmap_frame: cap %llu is not a frame of size index %u",
                           (unsigned long long)caps[i], size_index);
        }
        if (c->mapped) { /* an unmapped cap is already unmapped: nothing to do, as on seL4 */
            start = i;
            len = 1;
            run_root = c->root;
            run_next = c->vaddr + size;
        }
    }
    int e = len > 0 ? unmap_run(be, caps + start, len, size) : 0;
    *done = e != 0 ? start : n;
    return e;
}

static int lx_unmap_frame(void *ctx, vs_cap frame, unsigned size_index)
{
    unsigned done = 0;
    return lx_unmap_frames(ctx, &frame, 1, size_index, &done);
}

static int unmap_one(vs_linux *be, vs_cap cap)
{
    lx_cap *c = &be->caps[cap];
    return c->mapped ? unmap_run(be, &cap, 1, lx_frame_bytes(be, c->size_index)) : 0;
}

/* ---- objects and caps ---- */

static int lx_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    vs_linux *be = ctx;
    if (kind == VS_OBJ_PAGING_TABLE) {
        if (size == 0 || size >= be->arch->num_levels) {
            return lx_fail(be, EINVAL, "alloc_object: paging level %u (roots come from vs_linux_root_create)", size);
        }
    } else if (kind != VS_OBJ_FRAME || size >= be->arch->num_page_sizes) {
        return lx_fail(be, EINVAL, "alloc_object: kind %d size %u", (int)kind, size);
    }
    vs_cap cap = 0;
    int e = slot_alloc(be, &cap);
    if (e != 0) {
        return e;
    }
    lx_cap *c = &be->caps[cap];
    c->size_index = (uint8_t)size;
    if (kind == VS_OBJ_PAGING_TABLE) {
        c->kind = LX_TABLE;
        be->counts.tables++;
    } else {
        uint64_t paddr = 0;
        e = phys_take(be, size, &paddr);
        if (e != 0) {
            slot_free(be, cap);
            return e;
        }
        c->kind = LX_FRAME;
        c->paddr = paddr;
        be->frame_at[paddr >> PAGE_BITS] = (uint8_t)(size + 1);
        be->refs[paddr >> PAGE_BITS] = 1;
        be->counts.frames++;
        be->counts.phys_used += lx_frame_bytes(be, size);
    }
    *out = (vs_object){cap, 0};
    return 0;
}

/* Drops one cap's reference to the frame at paddr; the last one returns
 * the memory (a frame lives while any cap names it, as on seL4). */
static int frame_unref(vs_linux *be, unsigned size_index, uint64_t paddr)
{
    uint64_t pfn = paddr >> PAGE_BITS;
    if (be->refs[pfn] > 1) {
        be->refs[pfn]--;
        return 0;
    }
    int e = phys_give(be, size_index, paddr);
    if (e != 0) {
        return e;
    }
    be->refs[pfn] = 0;
    be->frame_at[pfn] = 0;
    be->counts.phys_used -= lx_frame_bytes(be, size_index);
    return 0;
}

/* Deletes a frame cap or copy: unmaps it, drops its reference, frees the slot. */
static int frame_cap_delete(vs_linux *be, vs_cap cap)
{
    lx_cap *c = &be->caps[cap];
    int e = unmap_one(be, cap);
    if (e == 0 && !c->file) { /* a file page holds no memory of the memfd */
        e = frame_unref(be, c->size_index, c->paddr);
    }
    if (e != 0) {
        return e;
    }
    if (c->kind == LX_COPY) {
        be->counts.copies--;
    } else {
        be->counts.frames--;
        be->counts.file_frames -= c->file;
    }
    slot_free(be, cap);
    return 0;
}

static int lx_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    vs_linux *be = ctx;
    lx_cap *c = lx_get(be, obj->cap, kind == VS_OBJ_FRAME ? LX_FRAME : LX_TABLE);
    if (c == NULL || c->kind == LX_COPY || c->size_index != size) {
        return lx_fail(be, EINVAL, "free_object: cap %llu is not a %s of size %u", (unsigned long long)obj->cap,
                       kind == VS_OBJ_FRAME ? "frame" : "paging table", size);
    }
    if (kind == VS_OBJ_PAGING_TABLE) {
        slot_free(be, obj->cap);
        be->counts.tables--;
        return 0;
    }
    /* The original cap goes; copies keep the frame alive until they go too. */
    return frame_cap_delete(be, obj->cap);
}

static vs_kstatus lx_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    vs_linux *be = ctx;
    lx_cap *t = lx_get(be, table, LX_TABLE);
    if (lx_get(be, root, LX_ROOT) == NULL || t == NULL || t->size_index != level || t->mapped) {
        return (vs_kstatus){
            lx_fail(be, EINVAL, "map_table: cap %llu at %#llx", (unsigned long long)table, (unsigned long long)vaddr),
            -1};
    }
    t->mapped = 1; /* bookkeeping only: Linux builds its own page tables */
    t->root = root;
    t->vaddr = vaddr;
    return (vs_kstatus){0, -1};
}

static int lx_unmap_table(void *ctx, vs_cap table, unsigned level)
{
    vs_linux *be = ctx;
    lx_cap *t = lx_get(be, table, LX_TABLE);
    if (t == NULL || t->size_index != level) {
        return lx_fail(be, EINVAL, "unmap_table: cap %llu", (unsigned long long)table);
    }
    t->mapped = 0;
    return 0;
}

static int lx_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    vs_linux *be = ctx;
    if (lx_get(be, src, LX_FRAME) == NULL) {
        return lx_fail(be, EINVAL, "copy_cap: cap %llu is not a frame", (unsigned long long)src);
    }
    vs_cap cap = 0;
    int e = slot_alloc(be, &cap);
    if (e != 0) {
        return e;
    }
    const lx_cap *s = &be->caps[src];
    lx_cap *c = &be->caps[cap];
    c->kind = LX_COPY;
    c->size_index = s->size_index;
    c->paddr = s->paddr;
    c->file = s->file;
    if (!s->file) {
        be->refs[s->paddr >> PAGE_BITS]++;
    }
    be->counts.copies++;
    *out = cap;
    return 0;
}

static int lx_delete_cap(void *ctx, vs_cap cap)
{
    vs_linux *be = ctx;
    if (lx_get(be, cap, LX_COPY) == NULL) {
        return lx_fail(be, EINVAL, "delete_cap: cap %llu is not a copy (free originals with free_object)",
                       (unsigned long long)cap);
    }
    return frame_cap_delete(be, cap);
}

static int lx_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    vs_linux *be = ctx;
    const lx_cap *c = lx_get(be, frame, LX_FRAME);
    if (c == NULL) {
        return lx_fail(be, EINVAL, "frame_paddr: cap %llu is not a frame", (unsigned long long)frame);
    }
    *paddr = c->paddr;
    return 0;
}

static int lx_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    vs_linux *be = ctx;
    if (be->maps != NULL) {
        return vs_linux_translate_in(be, be->maps, root, vaddr, out);
    }
    vs_linux_maps maps;
    int e = vs_linux_maps_read(be, 0, &maps);
    if (e != 0) {
        return lx_fail(be, e, "reading /proc/self/maps");
    }
    e = vs_linux_translate_in(be, &maps, root, vaddr, out);
    vs_linux_maps_free(&maps);
    return e;
}

/* Linux grants what mmap was asked for: no rule adds read or exec. */
static uint8_t lx_granted_rights(void *ctx, unsigned rights)
{
    (void)ctx;
    return (uint8_t)(rights & VS_RIGHTS_ALL);
}

static const vs_kernel_ops lx_ops = {
    .alloc_object = lx_alloc_object,
    .free_object = lx_free_object,
    .map_frame = lx_map_frame,
    .map_table = lx_map_table,
    .unmap_frame = lx_unmap_frame,
    .unmap_table = lx_unmap_table,
    .copy_cap = lx_copy_cap,
    .delete_cap = lx_delete_cap,
    .frame_paddr = lx_frame_paddr,
    .translate = lx_translate,
    .map_frames = lx_map_frames,
    .unmap_frames = lx_unmap_frames,
    .granted_rights = lx_granted_rights,
};

/* ---- the backend ---- */

int vs_linux_create(const vs_linux_config *cfg, vs_linux **out)
{
    const vs_arch *arch = cfg != NULL && cfg->arch != NULL ? cfg->arch : vs_arch_get(VS_ARCH_X86_64);
    uint64_t largest = (uint64_t)1 << arch->page_sizes[arch->num_page_sizes - 1].bits;
    uint64_t phys = cfg != NULL && cfg->phys_bytes != 0 ? cfg->phys_bytes : (uint64_t)1 << 30;
    if (out == NULL || arch->page_sizes[0].bits != PAGE_BITS || phys > ((uint64_t)1 << 46)) {
        return EINVAL;
    }
    phys = (phys + largest - 1) & ~(largest - 1);
    vs_linux *be = calloc(1, sizeof *be);
    if (be != NULL) {
        be->memfd = -1;
        be->file_fd = -1;
    }
    if (be == NULL) {
        return ENOMEM;
    }
    be->arch = arch;
    be->phys_bytes = phys;
    be->private_mappings = cfg != NULL && cfg->private_mappings;
    be->ncaps = 1; /* cap 0 is the null cap */
    be->frame_at = calloc(phys >> PAGE_BITS, 1);
    be->refs = calloc(phys >> PAGE_BITS, sizeof *be->refs);
    be->memfd = memfd_create("vspace-frames", MFD_CLOEXEC);
    int e = be->frame_at == NULL || be->refs == NULL ? ENOMEM : be->memfd < 0 ? errno : 0;
    struct stat st;
    memset(&st, 0, sizeof st);
    if (e == 0 && (ftruncate(be->memfd, (off_t)phys) != 0 || fstat(be->memfd, &st) != 0)) {
        e = errno;
    }
    if (e == 0) {
        be->dev = st.st_dev;
        be->ino = st.st_ino;
    }
    if (e != 0) {
        vs_linux_destroy(be);
        return e;
    }
    *out = be;
    return 0;
}

void vs_linux_detach(vs_linux *be)
{
    if (be->physmap != NULL) {
        munmap(be->physmap, be->phys_bytes);
        be->physmap = NULL;
    }
    if (be->memfd >= 0) {
        close(be->memfd);
        be->memfd = -1;
    }
    if (be->file_fd >= 0) {
        close(be->file_fd);
        be->file_fd = -1;
    }
    be->detached = 1;
}

void vs_linux_destroy(vs_linux *be)
{
    if (be == NULL) {
        return;
    }
    for (vs_cap i = 1; i < be->ncaps && !be->detached; i++) {
        if (be->caps[i].kind == LX_ROOT) {
            vs_linux_root_free(be, i);
        }
    }
    if (be->physmap != NULL) {
        munmap(be->physmap, be->phys_bytes);
    }
    if (be->memfd >= 0) {
        close(be->memfd);
    }
    if (be->file_fd >= 0) {
        close(be->file_fd);
    }
    for (unsigned i = 0; i < VS_MAX_PAGE_SIZES; i++) {
        free(be->free[i].paddr);
    }
    free(be->frame_at);
    free(be->refs);
    free(be->caps);
    free(be);
}

vs_kernel vs_linux_kernel(vs_linux *be)
{
    return (vs_kernel){&lx_ops, be};
}

const vs_arch *vs_linux_arch(const vs_linux *be)
{
    return be->arch;
}

const char *vs_linux_last_error(const vs_linux *be)
{
    return be->error;
}

/* Names the first mapping of this process in [start, end) (host
 * addresses), which clashes with `what` [base, vend) (vspace addresses). */
static void name_clash(vs_linux *be, uint64_t start, uint64_t end, const char *what, vs_addr base, vs_addr vend)
{
    vs_linux_maps maps;
    if (vs_linux_maps_read(NULL, 0, &maps) == 0) {
        for (size_t i = 0; i < maps.count; i++) {
            const vs_linux_vma *v = &maps.vma[i];
            if (v->end > start && v->start < end) {
                lx_fail(be, EEXIST, "%s [%#llx, %#llx) clashes with this process's mapping [%#llx, %#llx) %s", what,
                        (unsigned long long)base, (unsigned long long)vend, (unsigned long long)v->start,
                        (unsigned long long)v->end, v->path[0] ? v->path : "(anonymous)");
                break;
            }
        }
        vs_linux_maps_free(&maps);
    }
}

int vs_linux_root_create(vs_linux *be, vs_addr base, vs_addr end, int64_t offset, int where, vs_cap *root)
{
    uint64_t align = lx_frame_bytes(be, be->arch->num_page_sizes - 1u);
    uint64_t size = end - base;
    int unheld = (where & VS_LINUX_UNHELD) != 0;
    where &= ~VS_LINUX_UNHELD;
    if (root == NULL || base >= end || ((base | end | (uint64_t)offset) & (PAGE - 1)) != 0 ||
        (where != VS_LINUX_AT_OFFSET && where != VS_LINUX_ANYWHERE) || (unheld && where != VS_LINUX_AT_OFFSET)) {
        return lx_fail(be, EINVAL, "root window [%#llx, %#llx) offset %#llx", (unsigned long long)base,
                       (unsigned long long)end, (unsigned long long)offset);
    }
    uint64_t host = base + (uint64_t)offset;
    if (where == VS_LINUX_ANYWHERE) {
        align = align < ((uint64_t)1 << 30) ? ((uint64_t)1 << 30) : align;
        uint8_t *p = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            return lx_fail(be, errno, "placeholder of %#llx bytes", (unsigned long long)size);
        }
        uint64_t a = (uint64_t)(uintptr_t)p;
        /* The host address keeps base's offset within the alignment, so
         * large pages stay aligned in the host too. */
        uint64_t want = ((a - (base & (align - 1)) + align - 1) & ~(align - 1)) + (base & (align - 1));
        if (want < a) {
            want += align;
        }
        if (want > a) {
            munmap(p, want - a);
        }
        if (a + size + align > want + size) {
            munmap((void *)(uintptr_t)(want + size), a + size + align - (want + size));
        }
        host = want;
        offset = (int64_t)(host - base);
    } else {
        if (host < base ? offset >= 0 : offset < 0) {
            return lx_fail(be, EINVAL, "root window offset %#llx wraps", (unsigned long long)offset);
        }
        void *p = mmap((void *)(uintptr_t)host, size, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED || p != (void *)(uintptr_t)host) {
            int e = p == MAP_FAILED ? errno : EEXIST;
            if (p != MAP_FAILED) {
                munmap(p, size);
            }
            lx_fail(be, e, "placeholder for window [%#llx, %#llx)", (unsigned long long)base, (unsigned long long)end);
            if (e == EEXIST) {
                name_clash(be, host, host + size, "window", base, end);
            }
            return e;
        }
        /* Unheld: the placeholder proved the window free (and inside what
         * the kernel lets this process map) and goes again, so no mapping
         * has to split it. */
        if (unheld) {
            munmap(p, size);
        }
    }
    vs_cap cap = 0;
    int e = slot_alloc(be, &cap);
    if (e != 0) {
        munmap((void *)(uintptr_t)host, size);
        return e;
    }
    lx_cap *c = &be->caps[cap];
    c->kind = LX_ROOT;
    c->unheld = (uint8_t)unheld;
    c->base = base;
    c->end = end;
    c->offset = offset;
    be->counts.roots++;
    *root = cap;
    return 0;
}

typedef struct lx_range {
    vs_addr start, end;
} lx_range;

static int by_start(const void *a, const void *b)
{
    vs_addr x = ((const lx_range *)a)->start, y = ((const lx_range *)b)->start;
    return (x > y) - (x < y);
}

/* The ranges of root's window that its frames (and copies) are mapped at,
 * sorted and merged: *out (malloc'd, NULL if none) and *n. Frames mapped
 * one after another in cap order (a batch, a load) merge as they are
 * collected, so the sort has few ranges to order. */
static int mapped_ranges(vs_linux *be, vs_cap root, lx_range **out, size_t *n)
{
    lx_range *r = NULL;
    size_t count = 0, cap = 0;
    for (vs_cap i = 1; i < be->ncaps; i++) {
        const lx_cap *c = &be->caps[i];
        if ((c->kind != LX_FRAME && c->kind != LX_COPY) || !c->mapped || c->root != root) {
            continue;
        }
        vs_addr end = c->vaddr + lx_frame_bytes(be, c->size_index);
        if (count > 0 && r[count - 1].end == c->vaddr) {
            r[count - 1].end = end;
            continue;
        }
        if (count == cap) {
            size_t grown = cap ? cap * 2 : 16;
            lx_range *more = realloc(r, grown * sizeof *r);
            if (more == NULL) {
                free(r);
                return lx_fail(be, ENOMEM, "root_hold: no memory for the mapped ranges");
            }
            r = more, cap = grown;
        }
        r[count++] = (lx_range){c->vaddr, end};
    }
    if (count > 1) {
        qsort(r, count, sizeof *r, by_start);
    }
    *out = r;
    *n = count;
    return 0;
}

int vs_linux_root_hold(vs_linux *be, vs_cap root)
{
    lx_cap *rc = lx_get(be, root, LX_ROOT);
    if (rc == NULL) {
        return lx_fail(be, EINVAL, "root_hold: cap %llu is not a root", (unsigned long long)root);
    }
    if (!rc->unheld) {
        return 0;
    }
    lx_range *mapped = NULL;
    size_t n = 0;
    int e = mapped_ranges(be, root, &mapped, &n);
    if (e != 0) {
        return e;
    }
    /* A placeholder over each gap between the mappings; the first that
     * meets a mapping of someone else's undoes the ones made before it. */
    vs_addr at = rc->base;
    size_t made = 0;
    for (size_t i = 0; i <= n && e == 0; i++) {
        vs_addr gap_end = i < n ? mapped[i].start : rc->end;
        if (gap_end > at) {
            void *host = host_of(rc, at);
            void *p = mmap(host, gap_end - at, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
            if (p == MAP_FAILED || p != host) {
                e = p == MAP_FAILED ? errno : EEXIST;
                if (p != MAP_FAILED) {
                    munmap(p, gap_end - at);
                }
                lx_fail(be, e, "root_hold: placeholder for [%#llx, %#llx)", (unsigned long long)at,
                        (unsigned long long)gap_end);
                if (e == EEXIST) {
                    name_clash(be, (uint64_t)(uintptr_t)host, (uint64_t)(uintptr_t)host + (gap_end - at),
                               "unmapped part", at, gap_end);
                }
                break;
            }
            made = i + 1;
        }
        at = i < n && mapped[i].end > at ? mapped[i].end : at;
    }
    if (e != 0) {
        /* The gaps before the failing one, once more. */
        vs_addr undo = rc->base;
        for (size_t i = 0; i < made; i++) {
            if (mapped[i].start > undo) {
                munmap(host_of(rc, undo), mapped[i].start - undo);
            }
            undo = mapped[i].end > undo ? mapped[i].end : undo;
        }
        free(mapped);
        return e;
    }
    free(mapped);
    rc->unheld = 0;
    return 0;
}

int vs_linux_root_free(vs_linux *be, vs_cap root)
{
    lx_cap *r = lx_get(be, root, LX_ROOT);
    if (r == NULL) {
        return lx_fail(be, EINVAL, "root_free: cap %llu is not a root", (unsigned long long)root);
    }
    /* An unheld window's unmapped parts are not the backend's: whatever
     * the process put there stays, and only the frames' mappings go. */
    for (vs_cap i = 1; i < be->ncaps; i++) {
        lx_cap *c = &be->caps[i];
        if ((c->kind == LX_FRAME || c->kind == LX_COPY || c->kind == LX_TABLE) && c->mapped && c->root == root) {
            if (r->unheld && c->kind != LX_TABLE) {
                munmap(host_of(r, c->vaddr), lx_frame_bytes(be, c->size_index));
            }
            c->mapped = 0;
            be->counts.mapped -= c->kind != LX_TABLE;
        }
    }
    if (!r->unheld) {
        munmap(host_of(r, r->base), r->end - r->base);
    }
    slot_free(be, root);
    be->counts.roots--;
    return 0;
}

int vs_linux_root_window(const vs_linux *be, vs_cap root, vs_addr *base, vs_addr *end, int64_t *offset)
{
    const lx_cap *r = lx_get(be, root, LX_ROOT);
    if (r == NULL) {
        return EINVAL;
    }
    *base = r->base;
    *end = r->end;
    *offset = r->offset;
    return 0;
}

uint8_t *vs_linux_frame_host(const vs_linux *be, vs_cap frame, uint64_t *size)
{
    const lx_cap *c = lx_get(be, frame, LX_FRAME);
    if (c == NULL || c->file) {
        return NULL;
    }
    /* The physmap is made on first use: a process that never asks for it
     * (vspace exec) saves its mmap and munmap, ~0.02x of an exec. */
    if (be->physmap == NULL && !be->detached) {
        void *p = mmap(NULL, be->phys_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, be->memfd, 0);
        ((vs_linux *)be)->physmap = p == MAP_FAILED ? NULL : p; /* a cache of the memfd, not backend state */
    }
    if (be->physmap == NULL) {
        return NULL;
    }
    if (size != NULL) {
        *size = lx_frame_bytes(be, c->size_index);
    }
    mark_written(be, c->paddr); /* the caller may write through it */
    return be->physmap + c->paddr;
}

void vs_linux_get_counts(const vs_linux *be, vs_linux_counts *out)
{
    *out = be->counts;
    struct stat st;
    out->phys_memory = fstat(be->memfd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : UINT64_MAX;
}

void vs_linux_use_maps(vs_linux *be, const vs_linux_maps *maps)
{
    be->maps = maps;
}

/* ---- frame access ---- */

/* Reads (write 0) or writes len bytes of the memfd at offset, all of them. */
static int memfd_io(vs_linux *be, int write, uint8_t *buf, uint64_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t k = write ? pwrite(be->memfd, buf, len, (off_t)offset) : pread(be->memfd, buf, len, (off_t)offset);
        if (k <= 0 && !(k < 0 && errno == EINTR)) {
            return k < 0 ? errno : EIO;
        }
        k = k < 0 ? 0 : k;
        buf += k, len -= (uint64_t)k, offset += (uint64_t)k;
    }
    return 0;
}

/* A frame-access window is a buffer in the heap, not a mapping: map reads
 * the frames into it, unmap writes it back. Touching the physmap or a
 * temporary mapping instead costs page-table pages that must be torn down
 * again -- a munmap of a few touched pages costs ~100 us on a VM, more than
 * copying them twice. At most WINDOW_BYTES are shown at once (at least
 * one frame), so the buffer stays small and is reused by malloc. */
enum { WINDOW_BYTES = 64 << 10 };

typedef struct lx_window {
    size_t n;          /* frames shown */
    uint64_t size;     /* bytes per frame */
    uint64_t paddr[1]; /* memfd offset of each (n of them) */
} lx_window;

/* Reads or writes each run of w's frames that is contiguous in the memfd. */
static int window_io(vs_linux *be, const lx_window *st, uint8_t *buf, int write)
{
    for (size_t i = 0; i < st->n;) {
        size_t j = i + 1;
        while (j < st->n && st->paddr[j] == st->paddr[j - 1] + st->size) {
            j++;
        }
        int e = memfd_io(be, write, buf + i * st->size, (j - i) * st->size, st->paddr[i]);
        if (e != 0) {
            return e;
        }
        i = j;
    }
    return 0;
}

static int fa_map(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits, vs_frame_window *out)
{
    vs_linux *be = ctx;
    if (n == 0 || size_bits >= 64) {
        return lx_fail(be, EINVAL, "frame access: %zu frames of 2^%u bytes", n, size_bits);
    }
    uint64_t size = (uint64_t)1 << size_bits;
    /* Only the frames this window shows are checked: a loader asks again
     * for the rest, so checking all n each time would be quadratic. A
     * frame larger than the window is shown alone. */
    size_t per_window = (size_t)WINDOW_BYTES >> size_bits;
    if (per_window == 0) {
        per_window = 1;
    }
    size_t m = n < per_window ? n : per_window;
    for (size_t i = 0; i < m; i++) {
        const lx_cap *c = lx_get(be, frames[i], LX_FRAME);
        if (c == NULL || c->file || be->arch->page_sizes[c->size_index].bits != size_bits) {
            return lx_fail(be, EINVAL, "frame access: cap %llu is not a writable frame of %llu bytes",
                           (unsigned long long)frames[i], (unsigned long long)size);
        }
    }
    lx_window *st = malloc(offsetof(lx_window, paddr) + m * sizeof st->paddr[0]);
    uint8_t *buf = malloc(m * size);
    if (st == NULL || buf == NULL) {
        free(st);
        free(buf);
        return lx_fail(be, ENOMEM, "frame access: buffer of %zu frames", m);
    }
    st->n = m;
    st->size = size;
    int fresh = 1;
    for (size_t i = 0; i < m; i++) {
        st->paddr[i] = be->caps[frames[i]].paddr;
        fresh &= !(be->frame_at[st->paddr[i] >> PAGE_BITS] & FRAME_WRITTEN);
    }
    /* Frames still as the memfd gave them are zero: no read (a loader's
     * new frames, ~2 us a system call on a VM). */
    int e = fresh ? (memset(buf, 0, m * size), 0) : window_io(be, st, buf, 0);
    if (e != 0) {
        free(st);
        free(buf);
        return lx_fail(be, e, "frame access: reading frame cap %llu", (unsigned long long)frames[0]);
    }
    *out = (vs_frame_window){buf, m * size, st};
    return 0;
}

static int fa_unmap(void *ctx, vs_frame_window *w)
{
    vs_linux *be = ctx;
    lx_window *st = w != NULL ? w->state : NULL;
    if (st == NULL) {
        return lx_fail(be, EINVAL, "frame access: unmap of no open window");
    }
    for (size_t i = 0; i < st->n; i++) { /* also if the write-back fails part way */
        mark_written(be, st->paddr[i]);
    }
    int e = window_io(be, st, w->host, 1);
    if (e != 0) {
        return lx_fail(be, e, "frame access: writing the window back");
    }
    free(w->host);
    free(st);
    *w = (vs_frame_window){0};
    return 0;
}

int vs_linux_frame_write(vs_linux *be, vs_cap frame, uint64_t offset, const void *bytes, size_t len)
{
    const lx_cap *c = lx_get(be, frame, LX_FRAME);
    uint64_t size = c != NULL ? lx_frame_bytes(be, c->size_index) : 0;
    if (c == NULL || c->file || offset > size || size - offset < len) {
        return lx_fail(be, EINVAL, "frame_write: %zu bytes at %#llx of cap %llu, not inside a writable frame", len,
                       (unsigned long long)offset, (unsigned long long)frame);
    }
    mark_written(be, c->paddr); /* also if the write fails part way */
    int e = memfd_io(be, 1, (uint8_t *)(uintptr_t)bytes, len, c->paddr + offset);
    return e != 0 ? lx_fail(be, e, "frame_write: cap %llu", (unsigned long long)frame) : 0;
}

/* Frame caps for pages of the image file: no memory, no system call. */
static int fa_file_frames(void *ctx, uint64_t offset, size_t n, vs_cap *caps, uintptr_t *cookies)
{
    vs_linux *be = ctx;
    uint64_t limit = (be->file_size + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    if (be->file_fd < 0 || n == 0 || (offset & (PAGE - 1)) != 0 || offset > limit || (limit - offset) / PAGE < n) {
        return lx_fail(be, EINVAL, "file frames: %zu pages from offset %#llx of a file of %llu bytes", n,
                       (unsigned long long)offset, (unsigned long long)be->file_size);
    }
    for (size_t i = 0; i < n; i++) {
        int e = slot_alloc(be, &caps[i]);
        if (e != 0) {
            while (i-- > 0) {
                slot_free(be, caps[i]);
            }
            return e;
        }
        lx_cap *c = &be->caps[caps[i]];
        c->kind = LX_FRAME;
        c->file = 1;
        c->paddr = be->phys_bytes + offset + i * PAGE;
        cookies[i] = 0;
    }
    be->counts.frames += n;
    be->counts.file_frames += n;
    return 0;
}

/* map_unmapped is map: a window is a copy in the heap either way. Offering
 * it lets a loader fill new frames before it maps them, while they are
 * still zero and need no read (FRAME_WRITTEN). */
static const vs_frame_access_ops lx_fa_ops = {.map = fa_map, .unmap = fa_unmap, .map_unmapped = fa_map};
static const vs_frame_access_ops lx_fa_file_ops = {
    .map = fa_map, .unmap = fa_unmap, .file_frames = fa_file_frames, .map_unmapped = fa_map};

vs_frame_access vs_linux_frame_access(vs_linux *be)
{
    return (vs_frame_access){be->file_fd >= 0 ? &lx_fa_file_ops : &lx_fa_ops, be, 0};
}

int vs_linux_set_file(vs_linux *be, int fd)
{
    struct stat st;
    if (be->file_fd >= 0) {
        return lx_fail(be, EBUSY, "set_file: the backend has an image file already");
    }
    if (fstat(fd, &st) != 0) {
        return lx_fail(be, errno, "set_file: descriptor %d", fd);
    }
    if (!S_ISREG(st.st_mode)) {
        return lx_fail(be, EINVAL, "set_file: descriptor %d is not a regular file", fd);
    }
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) {
        return lx_fail(be, errno, "set_file: duplicating descriptor %d", fd);
    }
    be->file_fd = own;
    be->file_dev = st.st_dev;
    be->file_ino = st.st_ino;
    be->file_size = (uint64_t)st.st_size;
    return 0;
}
