/* A static program linked with the C library (TLS, init arrays, IRELATIVE
 * relocations, several segments): what a real static executable looks
 * like, for the loader tests. It is loaded and read back, never run. */
#include <stdio.h>
#include <stdlib.h>

static _Thread_local int tls_counter = 42;
static char buffer[65536];

int main(int argc, char **argv)
{
    snprintf(buffer, sizeof buffer, "%s has %d args and tls %d", argv[0], argc, tls_counter++);
    puts(buffer);
    return EXIT_SUCCESS;
}
