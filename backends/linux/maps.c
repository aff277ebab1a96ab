/* The kernel's truth: /proc/<pid>/maps read, parsed and looked up, and the
 * translate op answered from it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lx_internal.h"

/* Reads the whole file at path into a NUL-terminated heap buffer. */
static int slurp(const char *path, char **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    size_t cap = 16384;
    size_t len = 0;
    char *buf = malloc(cap);
    int e = buf == NULL ? ENOMEM : 0;
    while (e == 0) {
        if (cap - len < 4096) {
            char *b = realloc(buf, cap * 2);
            if (b == NULL) {
                e = ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            e = errno == EINTR ? 0 : errno;
            continue;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    if (e != 0) {
        free(buf);
        return e;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

/* Parses one line; 0 if it is well formed. */
static int parse_line(const char *line, const vs_linux *be, vs_linux_vma *v)
{
    char perms[5] = "";
    unsigned long long start = 0;
    unsigned long long end = 0;
    unsigned long long offset = 0;
    unsigned long long inode = 0;
    unsigned dmaj = 0;
    unsigned dmin = 0;
    int pathpos = 0;
    if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end, perms, &offset, &dmaj, &dmin, &inode, &pathpos) <
            7 ||
        strlen(perms) != 4) {
        return -1;
    }
    while (line[pathpos] == ' ' || line[pathpos] == '\t') {
        pathpos++;
    }
    memset(v, 0, sizeof *v);
    v->start = start;
    v->end = end;
    v->offset = offset;
    v->rights = (uint8_t)((perms[0] == 'r' ? VS_RIGHT_READ : 0) | (perms[1] == 'w' ? VS_RIGHT_WRITE : 0) |
                          (perms[2] == 'x' ? VS_RIGHT_EXEC : 0));
    v->shared = perms[3] == 's';
    const char *path = line + pathpos;
    size_t plen = strcspn(path, "\n");
    if (plen >= sizeof v->path) {
        plen = sizeof v->path - 1;
    }
    memcpy(v->path, path, plen);
    v->path[plen] = '\0';
    v->frames = be != NULL && inode == (unsigned long long)be->ino && dmaj == major(be->dev) && dmin == minor(be->dev);
    if (be != NULL && be->file_fd >= 0 && inode == (unsigned long long)be->file_ino && dmaj == major(be->file_dev) &&
        dmin == minor(be->file_dev)) {
        v->frames = 1; /* the image file's pages are frames too, above the memfd's addresses */
        v->offset += be->phys_bytes;
    }
    v->placeholder = inode == 0 && dmaj == 0 && dmin == 0 && plen == 0 && v->rights == 0 && !v->shared;
    return 0;
}

int vs_linux_maps_read(const vs_linux *be, int pid, vs_linux_maps *out)
{
    char path[64];
    if (pid == 0) {
        snprintf(path, sizeof path, "/proc/self/maps");
    } else {
        snprintf(path, sizeof path, "/proc/%d/maps", pid);
    }
    char *text = NULL;
    int e = slurp(path, &text);
    if (e != 0 || text == NULL) {
        return e != 0 ? e : EIO;
    }
    size_t lines = 0;
    for (const char *p = text; *p; p++) {
        lines += *p == '\n';
    }
    out->vma = calloc(lines + 1, sizeof *out->vma);
    out->count = 0;
    if (out->vma == NULL) {
        free(text);
        return ENOMEM;
    }
    for (const char *p = text; *p;) {
        if (parse_line(p, be, &out->vma[out->count]) == 0) {
            out->count++;
        }
        const char *nl = strchr(p, '\n');
        p = nl != NULL ? nl + 1 : p + strlen(p);
    }
    free(text);
    return 0;
}

void vs_linux_maps_free(vs_linux_maps *maps)
{
    free(maps->vma);
    maps->vma = NULL;
    maps->count = 0;
}

const vs_linux_vma *vs_linux_maps_find(const vs_linux_maps *maps, uint64_t a)
{
    size_t lo = 0;
    size_t hi = maps->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const vs_linux_vma *v = &maps->vma[mid];
        if (a < v->start) {
            hi = mid;
        } else if (a >= v->end) {
            lo = mid + 1;
        } else {
            return v;
        }
    }
    return NULL;
}

/* The size bits of the frame holding paddr if the line maps all of it at
 * an address aligned to its size, else the base page's. */
static uint8_t page_bits(const vs_linux *be, const vs_linux_vma *v, uint64_t host, uint64_t paddr)
{
    unsigned base_bits = be->arch->page_sizes[0].bits;
    for (unsigned i = be->arch->num_page_sizes; i-- > 1;) {
        uint64_t size = lx_frame_bytes(be, i);
        uint64_t fp = paddr & ~(size - 1);
        if (fp >= be->phys_bytes || (be->frame_at[fp >> base_bits] & FRAME_SIZE_MASK) != i + 1) {
            continue;
        }
        uint64_t hstart = host - (paddr - fp);
        if ((hstart & (size - 1)) == 0 && hstart >= v->start && v->end - hstart >= size) {
            return (uint8_t)be->arch->page_sizes[i].bits;
        }
        break;
    }
    return (uint8_t)base_bits;
}

/* The unmapped stretch of host addresses around host, which no line but
 * a placeholder covers: placeholder lines and the gaps between lines,
 * [*lo, *hi). */
static void unmapped_extent(const vs_linux_maps *maps, uint64_t host, uint64_t *lo, uint64_t *hi)
{
    size_t i = 0; /* first line ending above host */
    size_t n = maps->count;
    while (i < n) {
        size_t mid = i + (n - i) / 2;
        if (maps->vma[mid].end <= host) {
            i = mid + 1;
        } else {
            n = mid;
        }
    }
    uint64_t h = host;
    for (size_t j = i;; j++) {
        if (j >= maps->count) {
            h = UINT64_MAX;
            break;
        }
        const vs_linux_vma *v = &maps->vma[j];
        if (v->start > h) {
            h = v->start;
        }
        if (!v->placeholder) {
            break;
        }
        h = v->end;
    }
    uint64_t l = host;
    if (i < maps->count && maps->vma[i].start <= host) {
        l = maps->vma[i].start; /* host lies in line i, a placeholder */
    }
    for (size_t k = i; k-- > 0;) {
        const vs_linux_vma *v = &maps->vma[k];
        l = v->end;
        if (!v->placeholder) {
            break;
        }
        l = v->start;
        if (k == 0) {
            l = 0;
        }
    }
    if (i == 0 && !(i < maps->count && maps->vma[i].start <= host)) {
        l = 0;
    }
    *lo = l;
    *hi = h;
}

/* log2 of the largest naturally aligned block around host (in vspace
 * addresses: host - offset) that lies in the unmapped stretch. */
static uint8_t unmapped_bits(const vs_linux_maps *maps, uint64_t host, uint64_t offset)
{
    uint64_t lo = 0;
    uint64_t hi = 0;
    unmapped_extent(maps, host, &lo, &hi);
    uint64_t va = host - offset;
    unsigned bits = 12;
    while (bits < 47) {
        uint64_t size = (uint64_t)1 << (bits + 1);
        uint64_t start = (va & ~(size - 1)) + offset;
        if (start < lo || start + size > hi || start + size < start) {
            break;
        }
        bits++;
    }
    return (uint8_t)bits;
}

int vs_linux_translate_in(const vs_linux *be, const vs_linux_maps *maps, vs_cap root, vs_addr vaddr,
                          vs_translation *out)
{
    const lx_cap *r = lx_get(be, root, LX_ROOT);
    if (r == NULL || vaddr < r->base || vaddr >= r->end) {
        return EINVAL;
    }
    memset(out, 0, sizeof *out);
    uint64_t host = vaddr + (uint64_t)r->offset;
    const vs_linux_vma *v = vs_linux_maps_find(maps, host);
    if (v == NULL || v->placeholder) {
        out->size_bits = unmapped_bits(maps, host, (uint64_t)r->offset);
        return 0;
    }
    if (!v->frames) { /* something else is mapped here: no frame of ours */
        out->mapped = 1;
        out->paddr = VS_LINUX_FOREIGN_PADDR;
        out->rights = v->rights;
        out->size_bits = 12;
        return 0;
    }
    out->mapped = 1;
    out->paddr = v->offset + (host - v->start);
    out->rights = v->rights;
    out->size_bits = page_bits(be, v, host, out->paddr);
    return 0;
}

int vs_linux_window_mappings(const vs_linux *be, const vs_linux_maps *maps, vs_cap root, vs_linux_window_fn fn,
                             void *ctx)
{
    const lx_cap *r = lx_get(be, root, LX_ROOT);
    if (r == NULL) {
        return EINVAL;
    }
    uint64_t hbase = r->base + (uint64_t)r->offset;
    uint64_t hend = r->end + (uint64_t)r->offset;
    for (size_t i = 0; i < maps->count; i++) {
        const vs_linux_vma *v = &maps->vma[i];
        if (v->end <= hbase || v->start >= hend || v->placeholder) {
            continue;
        }
        uint64_t s = v->start > hbase ? v->start : hbase;
        uint64_t e = v->end < hend ? v->end : hend;
        int rc = fn(ctx, v, s - (uint64_t)r->offset, e - (uint64_t)r->offset);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
