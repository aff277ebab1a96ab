/* vs_elf_load: reservations, fresh frames and the copy of file bytes
 * through the loader's temporary mappings; undone entirely on error. */
#include "internal.h"

vs_elf_error vs_elf_load(vs_space *child, const vs_elf_image *img, const vs_elf_load_opts *opts,
                         const vs_frame_access *fa, vs_elf_loaded *out, vs_elf_diag *diag)
{
    (void)child;
    (void)img;
    (void)opts;
    (void)fa;
    (void)out;
    return elf_fail(diag, VS_ELF_ERR_INVALID_ARG, -1, "vs_elf_load", 0, "not implemented yet", 0, 0);
}
