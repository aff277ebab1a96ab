/* The only libc the core and arch layers use. They build freestanding, so
 * these are declared here rather than taken from <string.h>. */
#ifndef VSPACE_CORE_LIBC_H
#define VSPACE_CORE_LIBC_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
