/* vs_elf_parse: validation of an ELF image in a caller's buffer, one rule
 * at a time, in the order of vs_elf_error. Every read is checked against
 * the buffer's size first. */
#include "internal.h"

enum {
    EI_NIDENT = 16,
    EI_CLASS = 4,
    EI_DATA = 5,
    EI_VERSION = 6,
    EI_OSABI = 7,
    EI_ABIVERSION = 8,
    EHDR32 = 52,
    EHDR64 = 64,
    PHDR32 = 32,
    PHDR64 = 56,
    PN_XNUM = 0xffff,
    PHDR_TABLE_MAX = 64 * 1024,
    MAX_PHDRS = PHDR_TABLE_MAX / PHDR32
};

void elf_decode_phdr(const uint8_t *p, int elf64, vs_elf_phdr *out)
{
    if (elf64) {
        out->type = elf_rd32(p);
        out->flags = elf_rd32(p + 4);
        out->offset = elf_rd64(p + 8);
        out->vaddr = elf_rd64(p + 16);
        out->paddr = elf_rd64(p + 24);
        out->filesz = elf_rd64(p + 32);
        out->memsz = elf_rd64(p + 40);
        out->align = elf_rd64(p + 48);
    } else {
        out->type = elf_rd32(p);
        out->offset = elf_rd32(p + 4);
        out->vaddr = elf_rd32(p + 8);
        out->paddr = elf_rd32(p + 12);
        out->filesz = elf_rd32(p + 16);
        out->memsz = elf_rd32(p + 20);
        out->flags = elf_rd32(p + 24);
        out->align = elf_rd32(p + 28);
    }
}

int vs_elf_get_phdr(const vs_elf_image *img, unsigned i, vs_elf_phdr *out)
{
    if (out == NULL) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    if (img == NULL || img->data == NULL || i >= img->phnum) {
        return -1;
    }
    /* The parse proved the whole table lies inside the buffer. */
    elf_decode_phdr(img->data + img->phoff + (uint64_t)i * img->phentsize, img->elf_class == 2, out);
    return 0;
}

static void warn(vs_elf_image *img, vs_elf_warning_kind kind, int index, uint64_t value)
{
    if (img->num_warnings < VS_ELF_MAX_WARNINGS) {
        img->warnings[img->num_warnings] = (vs_elf_warning){kind, index, value};
    }
    img->num_warnings++;
}

static int machine_arch(uint16_t machine, int elf64, vs_arch_id *out)
{
    switch (machine) {
    case VS_EM_386:
        *out = VS_ARCH_IA32;
        return !elf64;
    case VS_EM_X86_64:
        *out = VS_ARCH_X86_64;
        return elf64;
    case VS_EM_ARM:
        *out = VS_ARCH_AARCH32;
        return !elf64;
    case VS_EM_AARCH64:
        *out = VS_ARCH_AARCH64;
        return elf64;
    case VS_EM_RISCV:
        *out = elf64 ? VS_ARCH_RISCV64 : VS_ARCH_RISCV32;
        return 1;
    default:
        return 0;
    }
}

static vs_elf_error arch_mismatch(vs_elf_diag *d, const vs_arch *got, const vs_arch *want)
{
    elf_fail(d, VS_ELF_ERR_ARCH_MISMATCH, -1, "e_machine", got->id, "image is for", 0, 0);
    if (d != NULL) {
        d->limit = want->id;
        elf_msg m = {d->message, sizeof(d->message), 0};
        elf_msg_str(&m, "image is for ");
        elf_msg_str(&m, got->name);
        elf_msg_str(&m, ", requested ");
        elf_msg_str(&m, want->name);
    }
    return VS_ELF_ERR_ARCH_MISMATCH;
}

/* The file header: identification, type, machine, program header table. */
static vs_elf_error parse_header(const uint8_t *p, size_t size, const vs_elf_parse_opts *opts, vs_elf_image *img,
                                 vs_elf_diag *d)
{
    static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
    if (size < 4) {
        return elf_fail(d, VS_ELF_ERR_TRUNCATED, -1, "file size", size, "shorter than the ELF magic", 1, 4);
    }
    if (memcmp(p, magic, 4) != 0) {
        return elf_fail(d, VS_ELF_ERR_MAGIC, -1, "e_ident[0..4)", elf_rd32(p),
                        "is not the ELF magic 7f 45 4c 46, as a little-endian word", 1, elf_rd32(magic));
    }
    if (size < EI_NIDENT) {
        return elf_fail(d, VS_ELF_ERR_TRUNCATED, -1, "file size", size, "shorter than e_ident", 1, EI_NIDENT);
    }
    if (p[EI_CLASS] != 1 && p[EI_CLASS] != 2) {
        return elf_fail(d, VS_ELF_ERR_CLASS, -1, "e_ident[EI_CLASS]", p[EI_CLASS],
                        "is neither ELFCLASS32 (1) nor ELFCLASS64 (2)", 0, 0);
    }
    int elf64 = p[EI_CLASS] == 2;
    size_t ehdr = elf64 ? EHDR64 : EHDR32;
    if (size < ehdr) {
        return elf_fail(d, VS_ELF_ERR_TRUNCATED, -1, "file size", size, "shorter than the ELF header of its class", 1,
                        ehdr);
    }
    if (p[EI_DATA] != 1) {
        return elf_fail(d, VS_ELF_ERR_DATA, -1, "e_ident[EI_DATA]", p[EI_DATA],
                        p[EI_DATA] == 2 ? "is ELFDATA2MSB (big-endian); only little-endian is supported"
                                        : "is not ELFDATA2LSB (1)",
                        0, 0);
    }
    if (p[EI_VERSION] != 1) {
        return elf_fail(d, VS_ELF_ERR_VERSION, -1, "e_ident[EI_VERSION]", p[EI_VERSION], "is not EV_CURRENT", 1, 1);
    }
    img->elf_class = p[EI_CLASS];
    img->osabi = p[EI_OSABI];
    img->abiversion = p[EI_ABIVERSION];
    img->type = elf_rd16(p + 16);
    img->machine = elf_rd16(p + 18);
    img->version = elf_rd32(p + 20);
    if (elf64) {
        img->entry = elf_rd64(p + 24);
        img->phoff = elf_rd64(p + 32);
        img->shoff = elf_rd64(p + 40);
        img->flags = elf_rd32(p + 48);
        img->ehsize = elf_rd16(p + 52);
        img->phentsize = elf_rd16(p + 54);
        img->phnum = elf_rd16(p + 56);
        img->shentsize = elf_rd16(p + 58);
        img->shnum = elf_rd16(p + 60);
        img->shstrndx = elf_rd16(p + 62);
    } else {
        img->entry = elf_rd32(p + 24);
        img->phoff = elf_rd32(p + 28);
        img->shoff = elf_rd32(p + 32);
        img->flags = elf_rd32(p + 36);
        img->ehsize = elf_rd16(p + 40);
        img->phentsize = elf_rd16(p + 42);
        img->phnum = elf_rd16(p + 44);
        img->shentsize = elf_rd16(p + 46);
        img->shnum = elf_rd16(p + 48);
        img->shstrndx = elf_rd16(p + 50);
    }
    if (img->version != 1) {
        return elf_fail(d, VS_ELF_ERR_VERSION, -1, "e_version", img->version, "is not EV_CURRENT", 1, 1);
    }
    if (img->type != VS_ET_EXEC && img->type != VS_ET_DYN) {
        return elf_fail(d, VS_ELF_ERR_TYPE, -1, "e_type", img->type,
                        img->type == 1   ? "is ET_REL (a relocatable object), not ET_EXEC (2) or ET_DYN (3)"
                        : img->type == 4 ? "is ET_CORE (a core dump), not ET_EXEC (2) or ET_DYN (3)"
                                         : "is not ET_EXEC (2) or ET_DYN (3)",
                        0, 0);
    }
    vs_arch_id id;
    if (!machine_arch(img->machine, elf64, &id)) {
        return elf_fail(d, VS_ELF_ERR_MACHINE, -1, "e_machine", img->machine,
                        elf64 ? "is not EM_X86_64 (62), EM_AARCH64 (183) or EM_RISCV (243) in an ELF64 file"
                              : "is not EM_386 (3), EM_ARM (40) or EM_RISCV (243) in an ELF32 file",
                        0, 0);
    }
    img->arch = vs_arch_get(id);
    if (opts != NULL && opts->arch != NULL && opts->arch->id != id) {
        return arch_mismatch(d, img->arch, opts->arch);
    }
    size_t phent = elf64 ? PHDR64 : PHDR32;
    if (img->phentsize != phent) {
        return elf_fail(d, VS_ELF_ERR_PHENTSIZE, -1, "e_phentsize", img->phentsize,
                        "is not the size of a program header", 1, phent);
    }
    if (img->phnum == 0) {
        return elf_fail(d, VS_ELF_ERR_NO_PHDRS, -1, "e_phnum", 0, "the image has no program headers", 0, 0);
    }
    if (img->phnum == PN_XNUM) {
        return elf_fail(d, VS_ELF_ERR_TOO_MANY_PHDRS, -1, "e_phnum", img->phnum,
                        "is PN_XNUM (count in a section header)", 0, 0);
    }
    uint64_t table = (uint64_t)img->phnum * phent;
    if (table > PHDR_TABLE_MAX) {
        return elf_fail(d, VS_ELF_ERR_TOO_MANY_PHDRS, -1, "e_phnum", img->phnum,
                        "program header table larger than 64 KiB; most entries allowed", 1, PHDR_TABLE_MAX / phent);
    }
    if (img->phoff > size || table > size - img->phoff) {
        return elf_fail(d, VS_ELF_ERR_PHDRS_OUTSIDE, -1, "e_phoff", img->phoff,
                        "program header table runs past the end of the file; file size", 1, size);
    }
    return VS_ELF_OK;
}

static int pow2_or_zero(uint64_t v)
{
    return (v & (v - 1)) == 0;
}

/* Checks of one program header on its own. */
static vs_elf_error check_phdr(const vs_elf_image *img, int i, const vs_elf_phdr *ph, vs_elf_diag *d)
{
    uint64_t width_max = img->elf_class == 2 ? UINT64_MAX : UINT32_MAX;
    if (ph->type == VS_PT_INTERP) {
        if (ph->filesz == 0) {
            return elf_fail(d, VS_ELF_ERR_INTERP, i, "p_filesz", 0, "PT_INTERP is empty", 0, 0);
        }
        if (ph->offset > img->size || ph->filesz > img->size - ph->offset) {
            return elf_fail(d, VS_ELF_ERR_INTERP, i, "p_offset", ph->offset,
                            "PT_INTERP runs past the end of the file; file size", 1, img->size);
        }
        const uint8_t *s = img->data + ph->offset;
        if (s[ph->filesz - 1] != 0) {
            return elf_fail(d, VS_ELF_ERR_INTERP, i, "p_filesz", ph->filesz, "PT_INTERP does not end with a NUL byte",
                            0, 0);
        }
        const uint8_t *nul = elf_find_nul(s, (size_t)ph->filesz);
        if (nul != s + ph->filesz - 1) {
            return elf_fail(d, VS_ELF_ERR_INTERP, i, "p_filesz", ph->filesz,
                            "PT_INTERP holds more than one string; first NUL at offset", 1, (uint64_t)(nul - s));
        }
        return VS_ELF_OK;
    }
    if (ph->type == VS_PT_TLS && !pow2_or_zero(ph->align)) {
        return elf_fail(d, VS_ELF_ERR_ALIGN, i, "p_align", ph->align, "PT_TLS alignment is not a power of two", 0, 0);
    }
    if (ph->type != VS_PT_LOAD) {
        return VS_ELF_OK;
    }
    if (ph->filesz > ph->memsz) {
        return elf_fail(d, VS_ELF_ERR_FILESZ_GT_MEMSZ, i, "p_filesz", ph->filesz, "exceeds p_memsz", 1, ph->memsz);
    }
    if (ph->offset > img->size || ph->filesz > img->size - ph->offset) {
        return elf_fail(d, VS_ELF_ERR_SEGMENT_OUTSIDE, i, "p_offset", ph->offset,
                        "segment's file bytes run past the end of the file; file size", 1, img->size);
    }
    /* The last byte's page must end inside the address width. */
    if (ph->vaddr > width_max || ph->memsz > width_max - ph->vaddr ||
        ph->vaddr + ph->memsz > width_max - ELF_PAGE_MASK) {
        return elf_fail(d, VS_ELF_ERR_ADDR_OVERFLOW, i, "p_memsz", ph->memsz,
                        "p_vaddr + p_memsz overflows the address width; p_vaddr", 1, ph->vaddr);
    }
    if ((ph->vaddr & ELF_PAGE_MASK) != (ph->offset & ELF_PAGE_MASK)) {
        return elf_fail(d, VS_ELF_ERR_OFFSET_MISMATCH, i, "p_vaddr", ph->vaddr,
                        "differs from p_offset modulo the page size (4 KiB); p_offset", 1, ph->offset);
    }
    if (!pow2_or_zero(ph->align)) {
        return elf_fail(d, VS_ELF_ERR_ALIGN, i, "p_align", ph->align, "is not a power of two", 0, 0);
    }
    return VS_ELF_OK;
}

/* Sorts PT_LOAD indices by p_vaddr (insertion sort: the table is small,
 * and already sorted in every file a linker writes). */
static void sort_loads(const vs_elf_image *img, uint16_t *idx, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint16_t v = idx[i];
        vs_elf_phdr a;
        vs_elf_get_phdr(img, v, &a);
        unsigned j = i;
        while (j > 0) {
            vs_elf_phdr b;
            vs_elf_get_phdr(img, idx[j - 1], &b);
            if (b.vaddr <= a.vaddr) {
                break;
            }
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

/* Checks across the PT_LOADs: overlap, user range, shared pages. */
static vs_elf_error check_loads(vs_elf_image *img, vs_elf_diag *d)
{
    uint16_t idx[MAX_PHDRS];
    unsigned n = 0;
    int unsorted = -1;
    uint64_t prev = 0;
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, i, &ph);
        if (ph.type != VS_PT_LOAD || ph.memsz == 0) {
            continue;
        }
        if (n > 0 && ph.vaddr < prev && unsorted < 0) {
            unsorted = (int)i;
            warn(img, VS_ELF_W_UNSORTED_LOAD, (int)i, ph.vaddr);
        }
        prev = ph.vaddr;
        idx[n++] = (uint16_t)i;
        if (ph.align < ELF_PAGE) {
            warn(img, VS_ELF_W_SMALL_ALIGN, (int)i, ph.align);
        }
        if ((ph.flags & (VS_PF_W | VS_PF_X)) == (VS_PF_W | VS_PF_X)) {
            warn(img, VS_ELF_W_WRITE_EXEC, (int)i, ph.vaddr);
        }
        if ((ph.flags & (VS_PF_R | VS_PF_W | VS_PF_X)) == 0) {
            warn(img, VS_ELF_W_NO_RIGHTS, (int)i, ph.vaddr);
        }
    }
    if (n == 0) {
        return elf_fail(d, VS_ELF_ERR_NO_LOAD, -1, "e_phnum", img->phnum, "no PT_LOAD with p_memsz > 0 among them", 0,
                        0);
    }
    img->num_load = n;
    sort_loads(img, idx, n);
    uint64_t max_align = ELF_PAGE;
    vs_elf_phdr last = {0};
    for (unsigned k = 0; k < n; k++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, idx[k], &ph);
        if (k > 0) {
            if (ph.vaddr < last.vaddr + last.memsz) {
                elf_fail(d, VS_ELF_ERR_SEGMENT_OVERLAP, idx[k], "p_vaddr", ph.vaddr,
                         "overlaps another PT_LOAD, which ends at", 1, last.vaddr + last.memsz);
                if (d != NULL) {
                    d->other = idx[k - 1];
                }
                return VS_ELF_ERR_SEGMENT_OVERLAP;
            }
            if (((last.vaddr + last.memsz - 1) & ~(uint64_t)ELF_PAGE_MASK) == (ph.vaddr & ~(uint64_t)ELF_PAGE_MASK)) {
                warn(img, VS_ELF_W_SHARED_PAGE, idx[k], ph.vaddr & ~(uint64_t)ELF_PAGE_MASK);
            }
        }
        if (ph.align > max_align) {
            max_align = ph.align;
        }
        last = ph;
    }
    vs_elf_phdr first;
    vs_elf_get_phdr(img, idx[0], &first);
    img->load_min = first.vaddr;
    img->load_max = 0;
    for (unsigned k = 0; k < n; k++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, idx[k], &ph);
        if (ph.vaddr + ph.memsz > img->load_max) {
            img->load_max = ph.vaddr + ph.memsz;
        }
    }
    img->max_align = max_align;
    const vs_arch *a = img->arch;
    uint64_t lo = img->load_min & ~(uint64_t)ELF_PAGE_MASK;
    uint64_t hi = (img->load_max + ELF_PAGE_MASK) & ~(uint64_t)ELF_PAGE_MASK;
    if (img->type == VS_ET_EXEC) {
        for (unsigned k = 0; k < n; k++) {
            vs_elf_phdr ph;
            vs_elf_get_phdr(img, idx[k], &ph);
            uint64_t plo = ph.vaddr & ~(uint64_t)ELF_PAGE_MASK;
            uint64_t phi = (ph.vaddr + ph.memsz + ELF_PAGE_MASK) & ~(uint64_t)ELF_PAGE_MASK;
            if (plo < a->user_base || phi > a->user_end || phi == 0) {
                return elf_fail(d, VS_ELF_ERR_USER_RANGE, idx[k], "p_vaddr", ph.vaddr,
                                plo < a->user_base ? "is below the user range, which starts at"
                                                   : "segment ends past the user range, which ends at",
                                1, plo < a->user_base ? a->user_base : a->user_end);
            }
        }
    } else if (hi - lo > a->user_end - a->user_base) {
        return elf_fail(d, VS_ELF_ERR_USER_RANGE, -1, "PT_LOAD span", hi - lo,
                        "is larger than the user range, whose size is", 1, a->user_end - a->user_base);
    }
    return VS_ELF_OK;
}

/* The entry point, PT_PHDR, PT_TLS, PT_GNU_STACK, PT_INTERP. */
static vs_elf_error check_special(vs_elf_image *img, vs_elf_diag *d)
{
    uint64_t entry = img->entry;
    if (img->machine == VS_EM_ARM) {
        entry &= ~(uint64_t)1;
    }
    int entry_seg = -1;
    uint64_t table = (uint64_t)img->phnum * img->phentsize;
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, i, &ph);
        switch (ph.type) {
        case VS_PT_LOAD:
            if (entry_seg < 0 && entry >= ph.vaddr && entry - ph.vaddr < ph.memsz) {
                entry_seg = (int)i;
                if ((ph.flags & VS_PF_X) == 0) {
                    warn(img, VS_ELF_W_ENTRY_NOT_EXEC, (int)i, img->entry);
                }
            }
            if (!img->phdr_in_memory && img->phoff >= ph.offset && img->phoff - ph.offset <= ph.filesz &&
                table <= ph.filesz - (img->phoff - ph.offset)) {
                img->phdr_in_memory = 1;
                img->phdr_vaddr = ph.vaddr + (img->phoff - ph.offset);
            }
            break;
        case VS_PT_INTERP:
            if (img->interp_index < 0) {
                img->interp_index = (int)i;
                img->interp = (const char *)(img->data + ph.offset);
                warn(img, VS_ELF_W_INTERP, (int)i, ph.offset);
            }
            break;
        case VS_PT_TLS:
            if (img->tls_index < 0) {
                img->tls_index = (int)i;
            }
            break;
        case VS_PT_GNU_STACK:
            if (img->gnu_stack_index < 0) {
                img->gnu_stack_index = (int)i;
                img->stack_exec = (ph.flags & VS_PF_X) != 0;
            }
            break;
        case VS_PT_PHDR:
            if (img->phdr_index < 0) {
                img->phdr_index = (int)i;
            }
            break;
        default:
            break;
        }
    }
    if (entry_seg < 0) {
        return elf_fail(d, VS_ELF_ERR_ENTRY, -1, "e_entry", img->entry, "lies in no PT_LOAD segment", 0, 0);
    }
    if (img->gnu_stack_index < 0 || img->stack_exec) {
        warn(img, VS_ELF_W_EXEC_STACK, img->gnu_stack_index, 0);
    }
    if (img->phdr_index >= 0) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(img, (unsigned)img->phdr_index, &ph);
        if (img->phdr_in_memory) {
            img->phdr_vaddr = ph.vaddr;
        } else {
            warn(img, VS_ELF_W_PHDR_NOT_LOADED, img->phdr_index, ph.vaddr);
        }
    }
    return VS_ELF_OK;
}

vs_elf_error vs_elf_parse(const void *data, size_t size, const vs_elf_parse_opts *opts, vs_elf_image *out,
                          vs_elf_diag *diag)
{
    if (out == NULL) {
        return elf_fail(diag, VS_ELF_ERR_INVALID_ARG, -1, "out", 0, "is NULL", 0, 0);
    }
    memset(out, 0, sizeof(*out));
    out->interp_index = out->tls_index = out->gnu_stack_index = out->phdr_index = -1;
    out->stack_exec = 1;
    if (data == NULL || size == 0) {
        return elf_fail(diag, VS_ELF_ERR_EMPTY, -1, "file size", 0, "the file is empty", 0, 0);
    }
    out->data = data;
    out->size = size;
    vs_elf_error e = parse_header(data, size, opts, out, diag);
    for (unsigned i = 0; e == VS_ELF_OK && i < out->phnum; i++) {
        vs_elf_phdr ph;
        vs_elf_get_phdr(out, i, &ph);
        e = check_phdr(out, (int)i, &ph, diag);
    }
    if (e == VS_ELF_OK) {
        e = check_loads(out, diag);
    }
    if (e == VS_ELF_OK) {
        e = check_special(out, diag);
    }
    if (e == VS_ELF_OK && diag != NULL) {
        memset(diag, 0, sizeof(*diag));
        diag->index = diag->other = -1;
        diag->field = "";
    }
    return e;
}
