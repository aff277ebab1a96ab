/* A simulated seL4 machine ready to load ELF images: the seL4 backend's
 * fixture (root task vspace, allocator), one child vspace and the frame
 * access the loader writes through (temporary runs in the root task's
 * vspace, read back and written through its page tables). */
#ifndef TESTS_ELF_ELF_SIM_H
#define TESTS_ELF_ELF_SIM_H

#include <vs/elf.h>

#include "be_fixture.h"

typedef struct elf_sim {
    be_fx fx;
    be_child child;
    vs_sel4_frame_access *fa;
    int up;
} elf_sim;

/* Boots arch with mem_bytes of RAM, makes the child vspace (default range)
 * and the frame access; exits (status 2) if any step fails. */
void elf_sim_up(elf_sim *s, vs_arch_id arch, uint64_t mem_bytes);

/* Destroys the child (with its frames) and makes a fresh one. */
void elf_sim_new_child(elf_sim *s);

/* Tears everything down, checking that all accounting came back. */
void elf_sim_down(elf_sim *s);

/* The frame access to hand to vs_elf_load. */
vs_frame_access elf_sim_access(elf_sim *s);

/* Reads a whole file into a malloc'd buffer; NULL on error (errno set). */
void *elf_read_file(const char *path, size_t *size);

#endif
