/* Stand-in for seL4_libs' libsel4vspace public header <vspace/vspace.h>
 * (written here, not copied): what matters is its path, its struct tag
 * `vspace` and its typedef `vspace_t`, which a root task linking
 * sel4platsupport/sel4utils gets on its include path. */
#ifndef STANDIN_LIBSEL4VSPACE_VSPACE_H
#define STANDIN_LIBSEL4VSPACE_VSPACE_H

typedef struct vspace vspace_t;

struct vspace {
    void *data;
    void *(*new_pages)(vspace_t *vspace, int rights, unsigned long num_pages, unsigned long size_bits);
};

void *vspace_new_pages(vspace_t *vspace, int rights, unsigned long num_pages, unsigned long size_bits);

#endif
