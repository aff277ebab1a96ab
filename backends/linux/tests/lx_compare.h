/* Test-level comparison of a vspace's shadow with the kernel's truth in
 * /proc/self/maps, both ways (I2). */
#ifndef LINUXBE_LX_COMPARE_H
#define LINUXBE_LX_COMPARE_H

#include <stddef.h>

#include <vs/linux_backend.h>
#include <vs/space.h>

/* 0 if every MAPPED shadow page is mapped by the kernel at the right frame
 * offset, page size and rights, every page of a reservation that is not
 * MAPPED is not mapped, and nothing but frames the shadow knows (and the
 * placeholder) lies in the root's window; else 1 with the first difference
 * in msg. Reads /proc/self/maps once. */
int lx_compare(vs_linux *be, const vs_space *vs, vs_cap root, char *msg, size_t len);

#endif
