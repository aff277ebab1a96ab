/* `vspace exec`: become a static x86_64 program that vspace itself loaded,
 * on the Linux backend (docs/linux-backend.md, "vspace exec").
 * cmd_exec.c is the command (options, parse, layout); exec_image.c builds
 * the program in this process (window, load, stack, audit, jump). */
#ifndef VSPACE_TOOLS_EXEC_H
#define VSPACE_TOOLS_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <vs/elf.h>

/* Where the program's image goes: the managed range [lo, hi) (the window
 * the Linux backend holds with its placeholder), the base of an ET_DYN
 * image, and the start-up stack at the top of the range. */
typedef struct exec_layout {
    vs_addr lo, hi;
    vs_addr base;        /* ET_DYN load base; 0 for ET_EXEC */
    vs_addr stack_top;   /* exclusive */
    uint64_t stack_size; /* mapped bytes below stack_top; a guard page lies below them */
} exec_layout;

enum {
    EXEC_STACK_SIZE = 8u << 20,  /* Linux's default RLIMIT_STACK */
    EXEC_DYN_BASE = 0x40000000u, /* where a static-PIE image goes (1 GiB) */
};

/* Chooses the layout for img: the image where it is linked (ET_EXEC) or
 * at EXEC_DYN_BASE (ET_DYN), then a gap of at least 2 MiB, the guard page
 * and the stack right above; the managed range spans them, from the image's
 * 2 MiB boundary to the stack's top. Returns 0, or 2 after writing into msg
 * why the image cannot go there: below vm.mmap_min_addr (page 0 at least,
 * as the kernel's exec refuses it too when the sysctl is 0). A
 * range meeting one of this process's own mappings is found when the
 * window is placed (exec_image_run names the mapping). */
int exec_plan_layout(const vs_elf_image *img, exec_layout *out, char *msg, size_t len);

typedef struct exec_request {
    const char *path; /* the file as given: AT_EXECFN, and the comm name */
    const vs_elf_image *img;
    exec_layout layout;
    char *const *argv; /* argc strings */
    size_t argc;
    char *const *envp; /* envc strings */
    size_t envc;
    int file_fd; /* the file img was parsed from (a mapping of it): its read-only pages
                    are mapped from it, not copied */
    int audit;   /* run and print the three-way audit before the jump */
} exec_request;

/* In this process: creates the Linux backend and the vspace, loads the
 * image with the ELF loader, maps the stack and writes the start-up stack
 * with the process layer's builder, optionally audits, and becomes the
 * program (jumps to its entry point; the file's mapping img->data and
 * file_fd go with vspace's image). Returns only on failure, after printing
 * why to stderr and removing everything it made (the caller still owns
 * img->data and file_fd): 2 (could not load: also a range that meets one of
 * this process's mappings, named with its range and path), 1 (the audit
 * found discrepancies). */
int exec_image_run(const exec_request *rq);

#endif
