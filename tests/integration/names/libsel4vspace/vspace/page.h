/* Stand-in for libsel4vspace <vspace/page.h> (its path only). */
#ifndef STANDIN_LIBSEL4VSPACE_PAGE_H
#define STANDIN_LIBSEL4VSPACE_PAGE_H
#include <vspace/vspace.h>
#endif
