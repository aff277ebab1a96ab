/* Host launcher for the spawning root task: boots the simulated seL4 for
 * the architecture main.c was compiled for, reads the child ELF named on
 * the command line (make test: a test image of the process layer; make
 * sel4-qemu: the very child built for seL4), and runs spawnroot_main() as
 * the initial thread would. The simulator executes no user code, so the
 * child's part of the transcript is one line saying so. No translate hook
 * is installed: the audit runs with what real seL4 offers. Only this file
 * knows about the simulator. */
#include <stdio.h>
#include <stdlib.h>

#include <sel4sim/sim.h>
#include <sel4sim/vs_host.h>

#include <vs/sel4_backend.h>

#include "../common/example_arch.h"

#define ROOTTASK_RAM (128ull << 20)

const vs_sel4_window_ops *spawnroot_window(void);
const void *spawnroot_child_image(size_t *size);
int spawnroot_run_child(vs_cap fault_ep);
int spawnroot_main(void);

static unsigned char *child_elf;
static size_t child_size;

static const vs_sel4_window_ops sim_window = {sel4sim_vs_window_open, sel4sim_vs_window_close, sel4sim_vs_window_span};

const vs_sel4_window_ops *spawnroot_window(void)
{
    return &sim_window;
}

const void *spawnroot_child_image(size_t *size)
{
    *size = child_size;
    return child_elf;
}

int spawnroot_run_child(vs_cap fault_ep)
{
    (void)fault_ep;
    printf("child| the simulator runs no user code: on seL4 the child's output and its end are here\n");
    return 0;
}

static int read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    long n = ftell(f);
    rewind(f);
    child_elf = n > 0 ? malloc((size_t)n) : NULL;
    int ok = child_elf != NULL && fread(child_elf, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    child_size = ok ? (size_t)n : 0;
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2 || read_file(argv[1]) != 0) {
        fprintf(stderr, "usage: %s CHILD_ELF (a static ELF for this architecture)%s%s\n", argv[0],
                argc == 2 ? ": cannot read " : "", argc == 2 ? argv[1] : "");
        return 2;
    }
    if (sel4sim_boot(EXAMPLE_ARCH_ID, ROOTTASK_RAM) == NULL) {
        fprintf(stderr, "host_launcher: cannot boot the simulator\n");
        return 2;
    }
    int rc = spawnroot_main();
    sel4sim_shutdown();
    free(child_elf);
    return rc;
}
