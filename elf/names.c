/* Names and descriptions of the elf/ layer's error codes, warnings and
 * program header types. */
#include "internal.h"

static const struct {
    const char *name;
    const char *text;
} errors[VS_ELF_ERROR_COUNT] = {
    [VS_ELF_OK] = {"VS_ELF_OK", "success"},
    [VS_ELF_ERR_EMPTY] = {"VS_ELF_ERR_EMPTY", "the file is empty"},
    [VS_ELF_ERR_TRUNCATED] = {"VS_ELF_ERR_TRUNCATED", "the file is shorter than its ELF header"},
    [VS_ELF_ERR_MAGIC] = {"VS_ELF_ERR_MAGIC", "not an ELF file (bad magic)"},
    [VS_ELF_ERR_CLASS] = {"VS_ELF_ERR_CLASS", "ELF class is neither ELF32 nor ELF64"},
    [VS_ELF_ERR_DATA] = {"VS_ELF_ERR_DATA", "not a little-endian ELF file"},
    [VS_ELF_ERR_VERSION] = {"VS_ELF_ERR_VERSION", "ELF version is not EV_CURRENT"},
    [VS_ELF_ERR_TYPE] = {"VS_ELF_ERR_TYPE", "ELF type is neither ET_EXEC nor ET_DYN"},
    [VS_ELF_ERR_MACHINE] = {"VS_ELF_ERR_MACHINE", "machine is not one of the six architectures"},
    [VS_ELF_ERR_ARCH_MISMATCH] = {"VS_ELF_ERR_ARCH_MISMATCH", "image is for another architecture than requested"},
    [VS_ELF_ERR_PHENTSIZE] = {"VS_ELF_ERR_PHENTSIZE", "wrong program header entry size"},
    [VS_ELF_ERR_NO_PHDRS] = {"VS_ELF_ERR_NO_PHDRS", "no program headers"},
    [VS_ELF_ERR_TOO_MANY_PHDRS] = {"VS_ELF_ERR_TOO_MANY_PHDRS", "too many program headers"},
    [VS_ELF_ERR_PHDRS_OUTSIDE] = {"VS_ELF_ERR_PHDRS_OUTSIDE", "program header table lies outside the file"},
    [VS_ELF_ERR_NO_LOAD] = {"VS_ELF_ERR_NO_LOAD", "no loadable segment"},
    [VS_ELF_ERR_FILESZ_GT_MEMSZ] = {"VS_ELF_ERR_FILESZ_GT_MEMSZ", "segment's p_filesz exceeds its p_memsz"},
    [VS_ELF_ERR_SEGMENT_OUTSIDE] = {"VS_ELF_ERR_SEGMENT_OUTSIDE", "segment's file bytes run past the end of the file"},
    [VS_ELF_ERR_ADDR_OVERFLOW] = {"VS_ELF_ERR_ADDR_OVERFLOW", "segment's address range overflows the address width"},
    [VS_ELF_ERR_OFFSET_MISMATCH] = {"VS_ELF_ERR_OFFSET_MISMATCH",
                                    "segment's p_vaddr and p_offset differ modulo the page size"},
    [VS_ELF_ERR_ALIGN] = {"VS_ELF_ERR_ALIGN", "segment's p_align is not a power of two"},
    [VS_ELF_ERR_SEGMENT_OVERLAP] = {"VS_ELF_ERR_SEGMENT_OVERLAP", "two loadable segments overlap"},
    [VS_ELF_ERR_USER_RANGE] = {"VS_ELF_ERR_USER_RANGE", "segment lies outside the architecture's user range"},
    [VS_ELF_ERR_ENTRY] = {"VS_ELF_ERR_ENTRY", "entry point is in no loadable segment"},
    [VS_ELF_ERR_INTERP] = {"VS_ELF_ERR_INTERP", "PT_INTERP is not one NUL-terminated string inside the file"},
    [VS_ELF_ERR_NO_SECTION] = {"VS_ELF_ERR_NO_SECTION", "no section of that name"},
    [VS_ELF_ERR_BAD_SECTIONS] = {"VS_ELF_ERR_BAD_SECTIONS", "section header table is malformed"},
    [VS_ELF_ERR_INVALID_ARG] = {"VS_ELF_ERR_INVALID_ARG", "invalid argument"},
    [VS_ELF_ERR_NEEDS_INTERP] = {"VS_ELF_ERR_NEEDS_INTERP", "image needs a dynamic linker (PT_INTERP)"},
    [VS_ELF_ERR_BASE] = {"VS_ELF_ERR_BASE", "load base is not usable for this image"},
    [VS_ELF_ERR_TOO_MANY_REGIONS] = {"VS_ELF_ERR_TOO_MANY_REGIONS",
                                     "image needs more reservations than the loader makes"},
    [VS_ELF_ERR_SPACE] = {"VS_ELF_ERR_SPACE", "a vspace operation failed"},
    [VS_ELF_ERR_FRAME_ACCESS] = {"VS_ELF_ERR_FRAME_ACCESS", "mapping the child's frames into the loader failed"},
};

const char *vs_elf_error_name(vs_elf_error e)
{
    return (unsigned)e < VS_ELF_ERROR_COUNT && errors[e].name != NULL ? errors[e].name : "?";
}

const char *vs_elf_strerror(vs_elf_error e)
{
    return (unsigned)e < VS_ELF_ERROR_COUNT && errors[e].text != NULL ? errors[e].text : "unknown ELF error";
}

static const char *const warnings[VS_ELF_WARNING_KIND_COUNT] = {
    [VS_ELF_W_UNSORTED_LOAD] = "unsorted-load",
    [VS_ELF_W_ENTRY_NOT_EXEC] = "entry-not-exec",
    [VS_ELF_W_WRITE_EXEC] = "write-exec",
    [VS_ELF_W_SHARED_PAGE] = "shared-page",
    [VS_ELF_W_SMALL_ALIGN] = "small-align",
    [VS_ELF_W_INTERP] = "interp",
    [VS_ELF_W_PHDR_NOT_LOADED] = "phdr-not-loaded",
    [VS_ELF_W_EXEC_STACK] = "exec-stack",
    [VS_ELF_W_NO_RIGHTS] = "no-rights",
};

const char *vs_elf_warning_name(vs_elf_warning_kind k)
{
    return (unsigned)k < VS_ELF_WARNING_KIND_COUNT && warnings[k] != NULL ? warnings[k] : "?";
}

const char *vs_elf_segment_type_name(uint32_t type, uint16_t machine)
{
    static const struct {
        uint32_t type;
        uint16_t machine; /* 0: any machine */
        const char *name;
    } types[] = {
        {VS_PT_NULL, 0, "NULL"},
        {VS_PT_LOAD, 0, "LOAD"},
        {VS_PT_DYNAMIC, 0, "DYNAMIC"},
        {VS_PT_INTERP, 0, "INTERP"},
        {VS_PT_NOTE, 0, "NOTE"},
        {VS_PT_SHLIB, 0, "SHLIB"},
        {VS_PT_PHDR, 0, "PHDR"},
        {VS_PT_TLS, 0, "TLS"},
        {VS_PT_GNU_EH_FRAME, 0, "GNU_EH_FRAME"},
        {VS_PT_GNU_STACK, 0, "GNU_STACK"},
        {VS_PT_GNU_RELRO, 0, "GNU_RELRO"},
        {VS_PT_GNU_PROPERTY, 0, "GNU_PROPERTY"},
        {VS_PT_ARM_EXIDX, VS_EM_ARM, "ARM_EXIDX"},
        {VS_PT_AARCH64_MEMTAG_MTE, VS_EM_AARCH64, "AARCH64_MEMTAG_MTE"},
        {VS_PT_RISCV_ATTRIBUTES, VS_EM_RISCV, "RISCV_ATTRIBUTES"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (types[i].type == type && (types[i].machine == 0 || types[i].machine == machine)) {
            return types[i].name;
        }
    }
    return NULL;
}
