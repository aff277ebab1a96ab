/* The example program `make run` spawns: a static program with code,
 * read-only data, initialised data and a zeroed buffer, so that every kind
 * of segment shows up in the walk. On a real system it prints its
 * arguments and environment. */
#include <stdio.h>
#include <string.h>

static char scratch[64 * 1024];                           /* .bss: 16 zero pages */
static int counter = 42;                                  /* .data */
static const char banner[] = "hello from a vspace child"; /* .rodata */

int main(int argc, char **argv, char **envp)
{
    printf("%s (%d)\n", banner, counter);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d] = %s\n", i, argv[i]);
    }
    for (char **e = envp; *e != NULL; e++) {
        printf("env: %s\n", *e);
    }
    memset(scratch, counter, sizeof scratch);
    return scratch[sizeof scratch - 1] == 42 ? 0 : 1;
}
