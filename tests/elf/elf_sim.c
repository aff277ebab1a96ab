/* See elf_sim.h. */
#include "elf_sim.h"

#include <stdio.h>
#include <stdlib.h>

static const vs_sel4_window_ops sim_window = {sel4sim_vs_window_open, sel4sim_vs_window_close, sel4sim_vs_window_span};

static void child_up(elf_sim *s)
{
    int err = be_child_create(&s->fx, &s->child, 0, 0);
    if (err != 0) {
        fprintf(stderr, "FATAL: child vspace creation failed (%d)\n", err);
        exit(2);
    }
}

void elf_sim_up(elf_sim *s, vs_arch_id arch, uint64_t mem_bytes)
{
    be_fx_init(&s->fx, arch, mem_bytes);
    child_up(s);
    vs_result r =
        vs_sel4_frame_access_create(s->fx.be, s->fx.root_vs, talloc_allocator(&s->fx.ta), &sim_window, NULL, 0, &s->fa);
    if (r != VS_OK) {
        fprintf(stderr, "FATAL: frame access creation failed (%s)\n", vs_result_name(r));
        exit(2);
    }
    s->up = 1;
}

void elf_sim_new_child(elf_sim *s)
{
    be_child_destroy(&s->fx, &s->child, 0);
    child_up(s);
}

void elf_sim_down(elf_sim *s)
{
    if (!s->up) {
        return;
    }
    vs_sel4_frame_access_destroy(s->fa);
    be_child_destroy(&s->fx, &s->child, 0);
    be_fx_fini(&s->fx);
    s->up = 0;
}

vs_frame_access elf_sim_access(elf_sim *s)
{
    return vs_sel4_frame_access_get(s->fa);
}

void *elf_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        unsigned char *nb = realloc(buf, cap * 2);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}
