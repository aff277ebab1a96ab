/* Stand-in for libsel4vspace <vspace/mapping.h> (its path only). */
#ifndef STANDIN_LIBSEL4VSPACE_MAPPING_H
#define STANDIN_LIBSEL4VSPACE_MAPPING_H
#include <vspace/vspace.h>
#endif
