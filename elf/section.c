/* vs_elf_find_section: section lookup by name, every offset checked. */
#include "internal.h"

static vs_elf_error bad(vs_elf_diag *d, const char *field, uint64_t value, const char *what, int has_limit,
                        uint64_t limit)
{
    return elf_fail(d, VS_ELF_ERR_BAD_SECTIONS, -1, field, value, what, has_limit, limit);
}

static void decode_shdr(const uint8_t *p, int elf64, uint32_t *name, vs_elf_section *s)
{
    *name = elf_rd32(p);
    s->type = elf_rd32(p + 4);
    if (elf64) {
        s->flags = elf_rd64(p + 8);
        s->addr = elf_rd64(p + 16);
        s->offset = elf_rd64(p + 24);
        s->size = elf_rd64(p + 32);
        s->align = elf_rd64(p + 48);
    } else {
        s->flags = elf_rd32(p + 8);
        s->addr = elf_rd32(p + 12);
        s->offset = elf_rd32(p + 16);
        s->size = elf_rd32(p + 20);
        s->align = elf_rd32(p + 32);
    }
}

vs_elf_error vs_elf_find_section(const vs_elf_image *img, const char *name, vs_elf_section *out, vs_elf_diag *d)
{
    if (img == NULL || img->data == NULL || name == NULL || out == NULL) {
        return elf_fail(d, VS_ELF_ERR_INVALID_ARG, -1, "argument", 0, "is NULL", 0, 0);
    }
    if (img->shoff == 0 || img->shnum == 0) {
        return elf_fail(d, VS_ELF_ERR_NO_SECTION, -1, "e_shnum", img->shnum, "the image has no section headers", 0, 0);
    }
    int elf64 = img->elf_class == 2;
    size_t shent = elf64 ? 64 : 40;
    if (img->shentsize != shent) {
        return bad(d, "e_shentsize", img->shentsize, "is not the size of a section header", 1, shent);
    }
    uint64_t table = (uint64_t)img->shnum * shent;
    if (img->shoff > img->size || table > img->size - img->shoff) {
        return bad(d, "e_shoff", img->shoff, "section header table runs past the end of the file; file size", 1,
                   img->size);
    }
    if (img->shstrndx >= img->shnum) {
        return bad(d, "e_shstrndx", img->shstrndx, "is not below e_shnum", 1, img->shnum);
    }
    const uint8_t *tab = img->data + img->shoff;
    uint32_t unused;
    vs_elf_section strtab;
    decode_shdr(tab + (size_t)img->shstrndx * shent, elf64, &unused, &strtab);
    if (strtab.offset > img->size || strtab.size > img->size - strtab.offset) {
        return bad(d, "sh_offset", strtab.offset, "section name table runs past the end of the file; file size", 1,
                   img->size);
    }
    const char *names = (const char *)img->data + strtab.offset;
    size_t want = (size_t)(elf_find_nul((const uint8_t *)name, SIZE_MAX) - (const uint8_t *)name);
    for (unsigned i = 0; i < img->shnum; i++) {
        uint32_t off;
        vs_elf_section s;
        decode_shdr(tab + (size_t)i * shent, elf64, &off, &s);
        if (off >= strtab.size) {
            continue; /* a name outside the table matches nothing */
        }
        size_t room = (size_t)(strtab.size - off);
        const char *n = names + off;
        const char *nul = (const char *)elf_find_nul((const uint8_t *)n, room);
        if (nul == NULL) {
            return bad(d, "sh_name", off, "section name is not NUL-terminated inside the name table of size", 1,
                       strtab.size);
        }
        if ((size_t)(nul - n) == want && memcmp(n, name, want) == 0) {
            s.index = i;
            *out = s;
            return VS_ELF_OK;
        }
    }
    return elf_fail(d, VS_ELF_ERR_NO_SECTION, -1, "e_shnum", img->shnum, "no section of the name asked for among them",
                    0, 0);
}
