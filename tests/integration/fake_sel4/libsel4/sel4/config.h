/* Stand-in for libsel4's <sel4/config.h>: it needs <autoconf.h>. */
#ifndef STANDIN_SEL4_CONFIG_H
#define STANDIN_SEL4_CONFIG_H
#include <autoconf.h>
#endif
