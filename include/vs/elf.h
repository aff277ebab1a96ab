/* elf/: a strict ELF32/ELF64 parser and a loader that gives every PT_LOAD
 * segment its own named reservation in a vspace and keeps it.
 *
 * Parse: vs_elf_parse validates an image in a buffer the caller keeps alive
 * (nothing is copied; the image description points into it) and never reads
 * outside [data, data + size), whatever the bytes. Each validation rule has
 * its own vs_elf_error; vs_elf_diag names the field and its value.
 *
 * Plan: vs_elf_plan says what the loader would make of an image (base,
 * reservations with names, ranges and rights, bytes per page) without
 * touching any vspace; `vspace inspect` prints it.
 *
 * Load: vs_elf_load maps fresh zeroed frames into a child vspace, copies
 * exactly p_filesz bytes of every PT_LOAD through a vs_frame_access (the
 * loader's own temporary mappings of the child's frames) and leaves one
 * reservation per region of the plan, owned by the caller. All or nothing:
 * on any error the child vspace, the loader's vspace and every allocator
 * are exactly as before the call.
 *
 * The rules (bytes, shared pages, names, ET_DYN base, every error code) are
 * in docs/elf.md. The layer is freestanding like the core: no libc beyond
 * memcpy/memset/memcmp, memory only from the caller's allocator.
 */
#ifndef VS_ELF_H
#define VS_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <vs/alloc.h>
#include <vs/arch.h>
#include <vs/frame_access.h>
#include <vs/kernel.h>
#include <vs/result.h>
#include <vs/space.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ELF constants the API exposes (values from the ELF gABI) ---- */

enum {
    VS_ET_EXEC = 2,
    VS_ET_DYN = 3,
    VS_EM_386 = 3,
    VS_EM_ARM = 40,
    VS_EM_X86_64 = 62,
    VS_EM_AARCH64 = 183,
    VS_EM_RISCV = 243,
    VS_PT_NULL = 0,
    VS_PT_LOAD = 1,
    VS_PT_DYNAMIC = 2,
    VS_PT_INTERP = 3,
    VS_PT_NOTE = 4,
    VS_PT_PHDR = 6,
    VS_PT_TLS = 7,
    VS_PT_SHLIB = 5,
    VS_PT_GNU_EH_FRAME = 0x6474e550,
    VS_PT_GNU_STACK = 0x6474e551,
    VS_PT_GNU_RELRO = 0x6474e552,
    VS_PT_GNU_PROPERTY = 0x6474e553,
    VS_PT_ARM_EXIDX = 0x70000001,          /* EM_ARM only: the processor-specific range is per machine */
    VS_PT_AARCH64_MEMTAG_MTE = 0x70000002, /* EM_AARCH64 only */
    VS_PT_RISCV_ATTRIBUTES = 0x70000003,   /* EM_RISCV only */
    VS_PF_X = 1,
    VS_PF_W = 2,
    VS_PF_R = 4
};

/* ---- errors ---- */

/* One code per validation rule (parser), plus the loader's own. Every call
 * that returns one other than VS_ELF_OK fills the vs_elf_diag it was given
 * (if non-NULL). vs_elf_error_name / vs_elf_strerror name each. */
typedef enum vs_elf_error {
    VS_ELF_OK = 0,
    /* -- the file -- */
    VS_ELF_ERR_EMPTY,         /* size is 0 (or data NULL) */
    VS_ELF_ERR_TRUNCATED,     /* shorter than the ELF header of its class (52 / 64 bytes) */
    VS_ELF_ERR_MAGIC,         /* e_ident[0..4) is not 0x7f 'E' 'L' 'F' */
    VS_ELF_ERR_CLASS,         /* e_ident[EI_CLASS] is neither ELFCLASS32 (1) nor ELFCLASS64 (2) */
    VS_ELF_ERR_DATA,          /* e_ident[EI_DATA] is not ELFDATA2LSB (1): big-endian (2) or invalid */
    VS_ELF_ERR_VERSION,       /* e_ident[EI_VERSION] or e_version is not EV_CURRENT (1) */
    VS_ELF_ERR_TYPE,          /* e_type is not ET_EXEC (2) or ET_DYN (3) */
    VS_ELF_ERR_MACHINE,       /* e_machine is not one of ours, or EM_RISCV/EM_AARCH64/... with a class it
                                 does not come in (EM_X86_64 in ELF32, EM_386/EM_ARM in ELF64, EM_AARCH64 in ELF32) */
    VS_ELF_ERR_ARCH_MISMATCH, /* the image's architecture is not the one requested (diag names both) */
    /* -- the program header table -- */
    VS_ELF_ERR_PHENTSIZE,      /* e_phentsize is not sizeof(ElfN_Phdr) (32 / 56) */
    VS_ELF_ERR_NO_PHDRS,       /* e_phnum is 0 */
    VS_ELF_ERR_TOO_MANY_PHDRS, /* e_phnum is PN_XNUM (0xffff) or the table is over 64 KiB */
    VS_ELF_ERR_PHDRS_OUTSIDE,  /* [e_phoff, e_phoff + e_phnum * e_phentsize) is not inside the file */
    VS_ELF_ERR_NO_LOAD,        /* no PT_LOAD with p_memsz > 0 */
    /* -- one segment (diag.index is its program header index) -- */
    VS_ELF_ERR_FILESZ_GT_MEMSZ, /* PT_LOAD p_filesz > p_memsz */
    VS_ELF_ERR_SEGMENT_OUTSIDE, /* p_offset + p_filesz past the end of the file (any segment type with file bytes) */
    VS_ELF_ERR_ADDR_OVERFLOW,   /* p_vaddr + p_memsz (rounded up to a page; plus the base for ET_DYN)
                                   overflows the class's address width (32 or 64 bits) */
    VS_ELF_ERR_OFFSET_MISMATCH, /* PT_LOAD p_vaddr % page != p_offset % page (page: the arch's base page) */
    VS_ELF_ERR_ALIGN,           /* p_align is neither 0 nor a power of two (PT_LOAD, PT_TLS) */
    VS_ELF_ERR_SEGMENT_OVERLAP, /* two PT_LOAD byte ranges [p_vaddr, p_vaddr + p_memsz) overlap
                                   (sharing a page is fine); diag.index and diag.other name both */
    VS_ELF_ERR_USER_RANGE,      /* a PT_LOAD lies (partly) outside the arch's user range
                                   [user_base, user_end) (for ET_DYN: at the base of the plan) */
    VS_ELF_ERR_ENTRY,           /* e_entry is in no PT_LOAD's [p_vaddr, p_vaddr + p_memsz)
                                   (EM_ARM: with bit 0, the Thumb bit, cleared) */
    VS_ELF_ERR_INTERP,          /* PT_INTERP is empty, runs past the file, or is not exactly one
                                   NUL-terminated string (NUL last, no NUL before) */
    /* -- section lookup (sections are optional: never checked by the parse) -- */
    VS_ELF_ERR_NO_SECTION,   /* no section of that name */
    VS_ELF_ERR_BAD_SECTIONS, /* the section header table or its string table is malformed
                                (outside the file, wrong e_shentsize, bad e_shstrndx, name not terminated) */
    /* -- the loader -- */
    VS_ELF_ERR_INVALID_ARG,      /* NULL argument, image not from vs_elf_parse, region array too small,
                                    unknown flag */
    VS_ELF_ERR_NEEDS_INTERP,     /* the image has a PT_INTERP (needs a dynamic linker) and
                                    VS_ELF_LOAD_ALLOW_INTERP was not given */
    VS_ELF_ERR_BASE,             /* ET_DYN base given is not a multiple of the largest p_align (at least
                                    the base page) or is 0; or a base was given for ET_EXEC */
    VS_ELF_ERR_TOO_MANY_REGIONS, /* the plan has more regions than VS_ELF_MAX_REGIONS */
    VS_ELF_ERR_SPACE,            /* a vspace call failed: diag.space_result (e.g. VS_ERR_OVERLAP with an
                                    existing reservation, VS_ERR_NO_MEMORY, VS_ERR_KERNEL with
                                    diag.kernel_error), diag.vaddr where */
    VS_ELF_ERR_FRAME_ACCESS,     /* the frame access map/unmap failed: diag.kernel_error is its code */
    VS_ELF_ERROR_COUNT
} vs_elf_error;

/* The enumerator's name ("VS_ELF_ERR_PHENTSIZE"); never NULL ("?" for
 * values outside the enum). */
const char *vs_elf_error_name(vs_elf_error e);

/* A static one-line description of the rule; never NULL. */
const char *vs_elf_strerror(vs_elf_error e);

enum { VS_ELF_MESSAGE_MAX = 200 };

/* Why a call failed. message is a full sentence naming the field, its
 * value and what it was checked against, e.g. "phdr[3].p_filesz 0x2000 >
 * p_memsz 0x1000". */
typedef struct vs_elf_diag {
    vs_elf_error code;
    const char *field;      /* "e_phentsize", "p_filesz", ...; "" if none */
    int index;              /* program header index the error is about, or -1 */
    int other;              /* second program header (SEGMENT_OVERLAP), or -1 */
    uint64_t value;         /* the offending value */
    uint64_t limit;         /* what it was checked against (file size, expected size, ...), or 0 */
    vs_addr vaddr;          /* SPACE: the address the vspace call was about */
    vs_result space_result; /* SPACE: the vspace's result code; else VS_OK */
    int kernel_error;       /* SPACE with VS_ERR_KERNEL: the kernel's code; FRAME_ACCESS: its code */
    char message[VS_ELF_MESSAGE_MAX];
} vs_elf_diag;

/* ---- warnings: reported, never refused ---- */

typedef enum vs_elf_warning_kind {
    VS_ELF_W_UNSORTED_LOAD,   /* PT_LOADs not in ascending p_vaddr order (index: the first out of order) */
    VS_ELF_W_ENTRY_NOT_EXEC,  /* e_entry lies in a PT_LOAD without PF_X */
    VS_ELF_W_WRITE_EXEC,      /* a PT_LOAD is both writable and executable */
    VS_ELF_W_SHARED_PAGE,     /* two PT_LOADs share a page (index, value = the page's p_vaddr) */
    VS_ELF_W_SMALL_ALIGN,     /* a PT_LOAD's p_align is below the base page */
    VS_ELF_W_INTERP,          /* the image has a PT_INTERP (needs a dynamic linker) */
    VS_ELF_W_PHDR_NOT_LOADED, /* PT_PHDR present but not inside a PT_LOAD's file bytes */
    VS_ELF_W_EXEC_STACK,      /* PT_GNU_STACK asks for an executable stack, or is absent */
    VS_ELF_W_NO_RIGHTS,       /* a PT_LOAD has none of PF_R/PF_W/PF_X */
    VS_ELF_WARNING_KIND_COUNT
} vs_elf_warning_kind;

typedef struct vs_elf_warning {
    vs_elf_warning_kind kind;
    int index;      /* program header index, or -1 */
    uint64_t value; /* the value concerned (p_vaddr, e_entry, ...) */
} vs_elf_warning;

/* "unsorted-load", "entry-not-exec", ...; "?" for unknown values. */
const char *vs_elf_warning_name(vs_elf_warning_kind k);

/* The name of a program header type as the gABI, the GNU extensions and
 * the psABI of `machine` (an e_machine value) spell it without "PT_":
 * "LOAD", "GNU_RELRO", "ARM_EXIDX" (EM_ARM only), ...; NULL for a type it
 * does not know (PT_LOOS..PT_HIPROC values of other vendors, or a
 * processor-specific value under another machine), which callers show as
 * a number. */
const char *vs_elf_segment_type_name(uint32_t type, uint16_t machine);

enum { VS_ELF_MAX_WARNINGS = 16 }; /* further warnings are counted, not stored */

/* ---- the image ---- */

/* One program header, widened to 64 bits whatever the class. */
typedef struct vs_elf_phdr {
    uint32_t type;
    uint32_t flags; /* VS_PF_* */
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} vs_elf_phdr;

/* What vs_elf_parse found. Points into the caller's buffer (data), which
 * must stay alive and unchanged while the image is used. Treat as
 * read-only; only vs_elf_parse makes a valid one. */
typedef struct vs_elf_image {
    const uint8_t *data;
    size_t size;
    const vs_arch *arch; /* from e_machine and the class */
    /* The header, as in the file (widened). */
    uint8_t elf_class; /* 1: ELF32, 2: ELF64 */
    uint8_t osabi, abiversion;
    uint16_t type, machine;
    uint32_t version, flags;
    uint64_t entry, phoff, shoff;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
    /* Derived. Addresses are the file's (not relocated by an ET_DYN base). */
    unsigned num_load;           /* PT_LOADs with p_memsz > 0 */
    uint64_t load_min, load_max; /* lowest p_vaddr, highest p_vaddr + p_memsz of those */
    uint64_t max_align;          /* largest PT_LOAD p_align, at least the base page */
    int interp_index;            /* PT_INTERP's program header index, or -1 */
    const char *interp;          /* its path, NUL-terminated, inside data; NULL if none */
    int tls_index;               /* PT_TLS's index, or -1 */
    int gnu_stack_index;         /* PT_GNU_STACK's index, or -1 */
    int stack_exec;              /* 1 if the stack must be executable: PT_GNU_STACK with PF_X, or none */
    int phdr_index;              /* PT_PHDR's index, or -1 */
    int phdr_in_memory;          /* the program header table lies in a PT_LOAD's file bytes */
    uint64_t phdr_vaddr;         /* then: its p_vaddr (PT_PHDR's, else computed from e_phoff) */
    unsigned num_warnings;       /* all found; the first VS_ELF_MAX_WARNINGS are stored */
    vs_elf_warning warnings[VS_ELF_MAX_WARNINGS];
} vs_elf_image;

/* What vs_elf_parse checks beyond the file itself. NULL means defaults. */
typedef struct vs_elf_parse_opts {
    const vs_arch *arch; /* required architecture, or NULL for whatever the image is */
} vs_elf_parse_opts;

/* Validates the image in [data, data + size) against every rule of
 * vs_elf_error's parser group (the header's rules in the order listed, then
 * each program header's, then those across segments: NO_LOAD, overlap, user
 * range, entry; a file breaking several gets the first, docs/elf.md) and
 * fills *out. Reads nothing
 * outside the buffer, allocates nothing. Errors: EMPTY .. INTERP (parser
 * group), INVALID_ARG for out NULL. On error *out is unspecified. */
vs_elf_error vs_elf_parse(const void *data, size_t size, const vs_elf_parse_opts *opts, vs_elf_image *out,
                          vs_elf_diag *diag);

/* Program header i (0 <= i < img->phnum), decoded from the file. Returns 0,
 * or -1 if i is out of range (then *out is zeroed). */
int vs_elf_get_phdr(const vs_elf_image *img, unsigned i, vs_elf_phdr *out);

/* A section found by name. */
typedef struct vs_elf_section {
    unsigned index;
    uint32_t type;
    uint64_t flags, addr, offset, size, align;
} vs_elf_section;

/* Looks up the section called `name` (e.g. "__vsyscall") through the
 * section header table and its string table, checking every offset it
 * reads. Errors: NO_SECTION, BAD_SECTIONS (table absent counts as
 * NO_SECTION), INVALID_ARG. */
vs_elf_error vs_elf_find_section(const vs_elf_image *img, const char *name, vs_elf_section *out, vs_elf_diag *diag);

/* ---- the plan: what the loader would do ---- */

enum {
    VS_ELF_LOAD_BASE_GIVEN = 1u << 0,        /* ET_DYN: load at opts.base (else the loader picks) */
    VS_ELF_LOAD_ALLOW_INTERP = 1u << 1,      /* load an image with PT_INTERP anyway (its
                                                interpreter is not loaded) */
    VS_ELF_LOAD_FREE_RESERVATIONS = 1u << 2, /* the legacy libsel4utils behaviour: drop the
                                               reservations after loading, pages stay mapped.
                                               Breaks invariant I1 on purpose, only so the audit
                                               can be shown to catch it */
    VS_ELF_LOAD_LARGE_PAGES = 1u << 3,       /* fresh frames as the largest pages of the architecture
                                                that fit: naturally aligned and inside a region
                                                (a segment aligned and sized for them, e.g. linked
                                                with -z max-page-size=2M, or a large .bss). Pages
                                                whose file bytes are copied after mapping (a frame
                                                access without map_unmapped) and the file's own
                                                pages (file_frames) stay base pages */
    VS_ELF_LOAD_FILE_SLACK = 1u << 4         /* a segment's first and last page show what Linux's
                                                exec shows there, as the System V ABI allows: the
                                                file's bytes before the segment, and after it
                                                unless the segment has .bss (p_memsz > p_filesz:
                                                then the rest of that page is zero). Only where
                                                the segment is alone in that page (else zero as
                                                without the flag). One exception: for a read-only
                                                segment with .bss, Linux leaves the file's bytes
                                                after p_filesz (its zeroing fails there); the
                                                loader keeps them zero, as the ELF specification
                                                requires. The file's own pages
                                                (file_frames) then serve the pages where a
                                                neighbouring segment's bytes share the file page
                                                (e.g. the last page of .rodata, the first of .data
                                                in a gcc-linked program) */
};

enum { VS_ELF_MAX_REGIONS = 64 }; /* more regions than this: VS_ELF_ERR_TOO_MANY_REGIONS */

typedef struct vs_elf_load_opts {
    unsigned flags; /* VS_ELF_LOAD_* */
    vs_addr base;   /* with VS_ELF_LOAD_BASE_GIVEN */
} vs_elf_load_opts;

/* One reservation the loader makes. Regions are the page ranges of the
 * PT_LOADs, split where pages are shared: a page touched by segments
 * first_seg..last_seg (indices into the PT_LOADs sorted by p_vaddr, not
 * program header indices) belongs to a region of its own when that set
 * differs from its neighbours'. */
typedef struct vs_elf_region {
    vs_addr start, end;        /* page-aligned, relocated; end exclusive */
    uint8_t rights;            /* VS_RIGHT_*: union of the segments' p_flags */
    char name[VS_NAME_MAX];    /* ".text", ".rodata", ".data", ".bss", "rwx", or "a|b" for shared pages */
    int first_phdr, last_phdr; /* program header indices of the first and last segment touching it */
    uint64_t file_bytes;       /* bytes the loader copies from the file into the region */
} vs_elf_region;

typedef struct vs_elf_plan {
    vs_addr base;          /* added to every p_vaddr: 0 for ET_EXEC */
    vs_addr entry;         /* e_entry + base */
    vs_addr phdr;          /* program headers in the child (AT_PHDR), or 0 if not loaded */
    uint16_t phent, phnum; /* AT_PHENT, AT_PHNUM */
    vs_addr lo, hi;        /* page-aligned extent of all regions (hi: where a heap could start) */
    uint64_t pages;        /* base pages mapped in total */
    size_t num_regions;
    vs_elf_region regions[VS_ELF_MAX_REGIONS];
} vs_elf_plan;

/* Computes what vs_elf_load would make of img, without any vspace: the
 * base (ET_DYN without VS_ELF_LOAD_BASE_GIVEN: the lowest multiple of
 * img->max_align that is >= img->arch->user_base and >= one base page --
 * the load itself picks the lowest free such base in the child), regions,
 * entry and AT_PHDR. Only opts->flags and opts->base are read; opts may be
 * NULL. Errors: INVALID_ARG, NEEDS_INTERP, BASE, ADDR_OVERFLOW and
 * USER_RANGE (at the base), TOO_MANY_REGIONS. */
vs_elf_error vs_elf_plan_load(const vs_elf_image *img, const vs_elf_load_opts *opts, vs_elf_plan *out,
                              vs_elf_diag *diag);

/* ---- the load ---- */

/* What vs_elf_load did. */
typedef struct vs_elf_loaded {
    vs_elf_plan plan;                                 /* the regions as made (base chosen) */
    vs_reservation *reservations[VS_ELF_MAX_REGIONS]; /* plan.regions[i]'s reservation in the
                                                         child (NULL with FREE_RESERVATIONS) */
    /* From the image, for the process layer. */
    int has_tls;
    vs_addr tls_vaddr; /* relocated p_vaddr of PT_TLS (its initialisation image) */
    uint64_t tls_filesz, tls_memsz, tls_align;
    int stack_exec;
} vs_elf_loaded;

/* Loads img into child. Per region of the plan: vs_reserve_at with the
 * region's name and rights (the reservation is the caller's and stays after
 * the call; vs_destroy(VS_DESTROY_FREE_CALLER_FRAMES) or
 * vs_free(VS_FREE_UNMAP | VS_FREE_FRAMES) removes it with its frames),
 * fresh zeroed frames (vs_map_new: base pages, or with
 * VS_ELF_LOAD_LARGE_PAGES the largest aligned pages that fit), and exactly
 * p_filesz bytes of every PT_LOAD copied to p_vaddr + base through fa (runs
 * of frames mapped at once in the loader's space; no window is left when
 * the call returns), with VS_ELF_LOAD_FILE_SLACK also the file's bytes
 * around them that flag names. Where fa offers map_unmapped the pages receiving file
 * bytes are filled before the child maps them (vs_map_new_filled), else
 * after; where it offers hold/release the call holds before its first
 * window and releases before it returns, on every path (a failed release
 * fails an otherwise good load with FRAME_ACCESS). Every other byte of a
 * loaded page stays zero (the slack FILE_SLACK shows aside). If fa offers
 * file_frames, a page of one segment whose file page holds exactly those
 * bytes (page-aligned file offset, every byte of the file page outside the
 * segment's file bytes zero or past the end of the file, or with
 * VS_ELF_LOAD_FILE_SLACK shown anyway) is instead a frame
 * that is the file's own page (vs_map: the caller's frame); nothing is
 * copied there. child's architecture must be img->arch.
 * Errors: INVALID_ARG, ARCH_MISMATCH, NEEDS_INTERP, BASE, ADDR_OVERFLOW,
 * USER_RANGE, TOO_MANY_REGIONS, SPACE (with diag.space_result; e.g.
 * VS_ERR_OVERLAP if a region meets an existing reservation, VS_ERR_NO_SPACE
 * if no base is free), FRAME_ACCESS. The loader allocates nothing itself
 * (its scratch is on the stack: at most 4 KiB, and 8.5 KiB in the frame
 * that maps the file's own pages where fa offers file_frames, which only a
 * hosted frame access does); bookkeeping comes from the
 * vspaces' allocators and fa. On error the child vspace, the loader's vspace
 * (behind fa) and the frame and cap allocators are exactly as before the
 * call; opts may be NULL (defaults). */
vs_elf_error vs_elf_load(vs_space *child, const vs_elf_image *img, const vs_elf_load_opts *opts,
                         const vs_frame_access *fa, vs_elf_loaded *out, vs_elf_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
