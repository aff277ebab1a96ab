/* vs_elf_plan_load: the regions (reservations) the loader makes for an
 * image at a base, computed without any vspace. */
#include "internal.h"

uint8_t elf_rights(uint32_t p_flags)
{
    return (uint8_t)(((p_flags & VS_PF_R) ? VS_RIGHT_READ : 0) | ((p_flags & VS_PF_W) ? VS_RIGHT_WRITE : 0) |
                     ((p_flags & VS_PF_X) ? VS_RIGHT_EXEC : 0));
}

const char *elf_segment_name(const vs_elf_phdr *ph)
{
    unsigned f = ph->flags & (VS_PF_R | VS_PF_W | VS_PF_X);
    if ((f & (VS_PF_W | VS_PF_X)) == (VS_PF_W | VS_PF_X)) {
        return "rwx";
    }
    if (f & VS_PF_X) {
        return ".text";
    }
    if (f & VS_PF_W) {
        return ph->filesz == 0 ? ".bss" : ".data";
    }
    if (f & VS_PF_R) {
        return ".rodata";
    }
    return "---";
}

typedef struct seg {
    int phdr;
    vs_elf_phdr ph;
    uint64_t lo, hi; /* page range, relocated */
} seg;

static vs_elf_error too_many(vs_elf_diag *d, uint64_t n)
{
    return elf_fail(d, VS_ELF_ERR_TOO_MANY_REGIONS, -1, "regions", n, "more than the loader makes:", 1,
                    VS_ELF_MAX_REGIONS);
}

/* The PT_LOADs with p_memsz > 0, sorted by p_vaddr, relocated. */
static vs_elf_error collect(const vs_elf_image *img, uint64_t base, seg *s, unsigned *n, vs_elf_diag *d)
{
    unsigned k = 0;
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, i, &ph);
        if (ph.type != VS_PT_LOAD || ph.memsz == 0) {
            continue;
        }
        if (k == VS_ELF_MAX_REGIONS) {
            return too_many(d, img->num_load);
        }
        seg x = {(int)i, ph, (ph.vaddr + base) & ~(uint64_t)ELF_PAGE_MASK,
                 (ph.vaddr + base + ph.memsz + ELF_PAGE_MASK) & ~(uint64_t)ELF_PAGE_MASK};
        unsigned j = k++;
        while (j > 0 && s[j - 1].ph.vaddr > ph.vaddr) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = x;
    }
    *n = k;
    return VS_ELF_OK;
}

static void region_name(char *out, const seg *a, const seg *b)
{
    elf_msg m = {out, VS_NAME_MAX, 0};
    out[0] = '\0';
    elf_msg_str(&m, elf_segment_name(&a->ph));
    if (a != b) {
        elf_msg_str(&m, "|");
        elf_msg_str(&m, elf_segment_name(&b->ph));
    }
}

static uint64_t overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    uint64_t lo = a0 > b0 ? a0 : b0;
    uint64_t hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* Splits the segments' page ranges into regions: maximal page runs covered
 * by the same set of segments. Segments are sorted and their byte ranges
 * disjoint, so the set covering a page is a run first..last of them. */
static vs_elf_error split(const seg *s, unsigned n, vs_elf_plan *p, vs_elf_diag *d)
{
    uint64_t pts[2 * VS_ELF_MAX_REGIONS];
    unsigned np = 0;
    for (unsigned i = 0; i < n; i++) {
        pts[np++] = s[i].lo;
        pts[np++] = s[i].hi;
    }
    for (unsigned i = 1; i < np; i++) { /* insertion sort */
        uint64_t v = pts[i];
        unsigned j = i;
        for (; j > 0 && pts[j - 1] > v; j--) {
            pts[j] = pts[j - 1];
        }
        pts[j] = v;
    }
    p->num_regions = 0;
    for (unsigned i = 0; i + 1 < np; i++) {
        uint64_t lo = pts[i], hi = pts[i + 1];
        if (lo == hi) {
            continue;
        }
        int first = -1, last = -1;
        for (unsigned k = 0; k < n; k++) {
            if (s[k].lo <= lo && s[k].hi >= hi) {
                if (first < 0) {
                    first = (int)k;
                }
                last = (int)k;
            }
        }
        if (first < 0) {
            continue; /* a gap between segments */
        }
        vs_elf_region *prev = p->num_regions > 0 ? &p->regions[p->num_regions - 1] : NULL;
        if (prev != NULL && prev->end == lo && prev->first_phdr == s[first].phdr && prev->last_phdr == s[last].phdr) {
            prev->end = hi;
            continue;
        }
        if (p->num_regions == VS_ELF_MAX_REGIONS) {
            return too_many(d, VS_ELF_MAX_REGIONS + 1);
        }
        vs_elf_region *r = &p->regions[p->num_regions++];
        memset(r, 0, sizeof(*r));
        r->start = lo;
        r->end = hi;
        r->first_phdr = s[first].phdr;
        r->last_phdr = s[last].phdr;
        for (int k = first; k <= last; k++) {
            r->rights |= elf_rights(s[k].ph.flags);
        }
        region_name(r->name, &s[first], &s[last]);
    }
    return VS_ELF_OK;
}

static vs_elf_error choose_base(const vs_elf_image *img, const vs_elf_load_opts *opts, uint64_t *base, vs_elf_diag *d)
{
    unsigned flags = opts != NULL ? opts->flags : 0;
    if (img->type == VS_ET_EXEC) {
        if ((flags & VS_ELF_LOAD_BASE_GIVEN) && opts->base != 0) {
            return elf_fail(d, VS_ELF_ERR_BASE, -1, "base", opts->base, "given for an ET_EXEC image, which loads at 0",
                            0, 0);
        }
        *base = 0;
        return VS_ELF_OK;
    }
    uint64_t align = img->max_align;
    if (flags & VS_ELF_LOAD_BASE_GIVEN) {
        if (opts->base == 0 || (opts->base & (align - 1)) != 0) {
            return elf_fail(d, VS_ELF_ERR_BASE, -1, "base", opts->base,
                            "is 0 or not a multiple of the image's largest p_align", 1, align);
        }
        *base = opts->base;
        return VS_ELF_OK;
    }
    uint64_t floor = img->arch->user_base > ELF_PAGE ? img->arch->user_base : ELF_PAGE;
    *base = (floor + align - 1) & ~(align - 1);
    if (*base < floor) {
        return elf_fail(d, VS_ELF_ERR_BASE, -1, "p_align", align, "leaves no base in the address width", 0, 0);
    }
    return VS_ELF_OK;
}

vs_elf_error vs_elf_plan_load(const vs_elf_image *img, const vs_elf_load_opts *opts, vs_elf_plan *out, vs_elf_diag *d)
{
    if (img == NULL || img->data == NULL || img->arch == NULL || out == NULL) {
        return elf_fail(d, VS_ELF_ERR_INVALID_ARG, -1, "argument", 0, "is NULL or not a parsed image", 0, 0);
    }
    unsigned flags = opts != NULL ? opts->flags : 0;
    if (flags & ~(unsigned)(VS_ELF_LOAD_BASE_GIVEN | VS_ELF_LOAD_ALLOW_INTERP | VS_ELF_LOAD_FREE_RESERVATIONS |
                            VS_ELF_LOAD_LARGE_PAGES | VS_ELF_LOAD_FILE_SLACK)) {
        return elf_fail(d, VS_ELF_ERR_INVALID_ARG, -1, "flags", flags, "has unknown bits", 0, 0);
    }
    if (img->interp != NULL && !(flags & VS_ELF_LOAD_ALLOW_INTERP)) {
        elf_fail(d, VS_ELF_ERR_NEEDS_INTERP, img->interp_index, "PT_INTERP", 0, "the image needs a dynamic linker", 0,
                 0);
        if (d != NULL) {
            elf_msg m = {d->message, sizeof(d->message), 0};
            elf_msg_str(&m, "image needs the dynamic linker ");
            elf_msg_str(&m, img->interp);
            elf_msg_str(&m, " (PT_INTERP); only static images are loaded");
        }
        return VS_ELF_ERR_NEEDS_INTERP;
    }
    uint64_t base = 0;
    vs_elf_error e = choose_base(img, opts, &base, d);
    if (e != VS_ELF_OK) {
        return e;
    }
    const vs_arch *a = img->arch;
    uint64_t width_max = img->elf_class == 2 ? UINT64_MAX : UINT32_MAX;
    uint64_t top = (img->load_max + ELF_PAGE_MASK) & ~(uint64_t)ELF_PAGE_MASK;
    if (base > width_max || top > width_max - base) {
        return elf_fail(d, VS_ELF_ERR_ADDR_OVERFLOW, -1, "base", base,
                        "plus the image's end overflows the address width; end", 1, top);
    }
    uint64_t lo = (img->load_min + base) & ~(uint64_t)ELF_PAGE_MASK;
    if (lo < a->user_base || top + base > a->user_end) {
        return elf_fail(d, VS_ELF_ERR_USER_RANGE, -1, "base", base,
                        "puts the image outside the user range; image end at that base", 1, top + base);
    }
    memset(out, 0, sizeof(*out));
    seg s[VS_ELF_MAX_REGIONS];
    unsigned n = 0;
    e = collect(img, base, s, &n, d);
    if (e == VS_ELF_OK) {
        e = split(s, n, out, d);
    }
    if (e != VS_ELF_OK) {
        return e;
    }
    for (size_t i = 0; i < out->num_regions; i++) {
        vs_elf_region *r = &out->regions[i];
        for (unsigned k = 0; k < n; k++) {
            r->file_bytes += overlap(r->start, r->end, s[k].ph.vaddr + base, s[k].ph.vaddr + base + s[k].ph.filesz);
        }
        out->pages += (r->end - r->start) / ELF_PAGE;
    }
    out->base = base;
    out->entry = img->entry + base;
    out->phdr = img->phdr_in_memory ? img->phdr_vaddr + base : 0;
    out->phent = img->phentsize;
    out->phnum = img->phnum;
    out->lo = out->regions[0].start;
    out->hi = out->regions[out->num_regions - 1].end;
    return VS_ELF_OK;
}
