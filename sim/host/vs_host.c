/* Host-side glue between the simulator and vspace (sel4sim/vs_host.h). */
#include <sel4sim/vs_host.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sel4/sel4.h>
#include <sel4sim/sim.h>

static uint8_t user_rights(const sel4sim_translation *t)
{
    if (!t->user) {
        return 0;
    }
    return (uint8_t)((t->read ? VS_RIGHT_READ : 0) | (t->write ? VS_RIGHT_WRITE : 0) | (t->exec ? VS_RIGHT_EXEC : 0));
}

int sel4sim_vs_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    (void)ctx;
    sel4sim_translation t;
    seL4_Error err = sel4sim_translate((seL4_CPtr)root, (seL4_Word)vaddr, &t);
    if (err != seL4_NoError) {
        return (int)err;
    }
    memset(out, 0, sizeof *out);
    out->size_bits = (uint8_t)t.size_bits; /* unmapped: the span the walk found unmapped */
    if (t.found) {
        out->mapped = 1;
        out->paddr = t.paddr;
        out->size_bits = (uint8_t)t.size_bits;
        out->rights = user_rights(&t);
    }
    return 0;
}

/* One page-bounded chunk at a time: consecutive virtual pages need not be
 * consecutive in physical memory. */
static int vcopy(vs_cap root, vs_addr vaddr, unsigned char *buf, size_t len, int write)
{
    while (len > 0) {
        sel4sim_translation t;
        if (sel4sim_translate((seL4_CPtr)root, (seL4_Word)vaddr, &t) != seL4_NoError || !t.found || !t.user ||
            (write && !t.write)) {
            return -1;
        }
        size_t chunk = 4096 - (size_t)(vaddr & 4095);
        chunk = chunk < len ? chunk : len;
        int r = write ? sel4sim_phys_write(t.paddr, buf, chunk) : sel4sim_phys_read(t.paddr, buf, chunk);
        if (r != 0) {
            return -1;
        }
        buf += chunk;
        vaddr += chunk;
        len -= chunk;
    }
    return 0;
}

int sel4sim_vs_write(vs_cap root, vs_addr vaddr, const void *buf, size_t len)
{
    return vcopy(root, vaddr, (unsigned char *)(uintptr_t)buf, len, 1);
}

int sel4sim_vs_read(vs_cap root, vs_addr vaddr, void *buf, size_t len)
{
    return vcopy(root, vaddr, buf, len, 0);
}

/* The root task's view of its own vspace for a loader on the host. Where
 * its page tables map the range writable onto physically contiguous RAM
 * (sel4sim_vs_window_span keeps the frame access's runs so), the window is
 * that RAM: the loader's stores are the root task's stores through the
 * mapping, and nothing is copied. Elsewhere it is a host buffer filled
 * from, and written back to, the root task's pages through the MMU walk of
 * seL4_CapInitThreadVSpace. */
int sel4sim_vs_window_open(void *ctx, vs_addr vaddr, uint64_t size, uint8_t **host)
{
    (void)ctx;
    if (size == 0 || size > SIZE_MAX) {
        return -1;
    }
    uint8_t *ram = sel4sim_user_window(seL4_CapInitThreadVSpace, (seL4_Word)vaddr, (size_t)size, 1);
    if (ram != NULL) {
        *host = ram;
        return 0;
    }
    uint8_t *buf = malloc((size_t)size);
    if (buf == NULL) {
        return -1;
    }
    if (sel4sim_vs_read(seL4_CapInitThreadVSpace, vaddr, buf, (size_t)size) != 0) {
        free(buf);
        return -1;
    }
    *host = buf;
    return 0;
}

int sel4sim_vs_window_close(void *ctx, vs_addr vaddr, uint64_t size, uint8_t *host)
{
    (void)ctx;
    if (sel4sim_is_ram(host)) {
        return 0; /* the stores went to the frames already */
    }
    if (sel4sim_vs_write(seL4_CapInitThreadVSpace, vaddr, host, (size_t)size) != 0) {
        return -1;
    }
    free(host);
    return 0;
}

size_t sel4sim_vs_window_span(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits)
{
    (void)ctx;
    size_t run = sel4sim_contiguous_objects(frames, n, size_bits);
    return run > 0 ? run : n != 0;
}
