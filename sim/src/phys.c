/* Simulated physical memory: RAM from sim.ram_base, held as 4 KiB host
 * pages allocated on first write, so a machine with gigabytes of RAM costs
 * only what is touched. Entries of paging structures are little-endian, as
 * on every architecture modelled. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { PAGE = 4096, POOL_MAX = 8192 };

/* Host pages released by sim_phys_zero, kept for reuse (up to 32 MiB), so a
 * workload that retypes and frees the same memory over and over does not
 * hand pages back and forth to the host allocator (and the host kernel). */
static uint8_t *pool[POOL_MAX];
static size_t pool_n;

static uint8_t *page_get(void)
{
    if (pool_n > 0) {
        uint8_t *p = pool[--pool_n];
        memset(p, 0, PAGE);
        return p;
    }
    return calloc(1, PAGE);
}

static void page_put(uint8_t *p)
{
    if (p != NULL && pool_n < POOL_MAX) {
        pool[pool_n++] = p;
    } else {
        free(p);
    }
}

bool sim_phys_init(seL4_Word base, uint64_t bytes)
{
    sim.ram_base = base;
    sim.ram_bytes = bytes;
    sim.npages = (size_t)(bytes / PAGE);
    sim.pages = calloc(sim.npages, sizeof(*sim.pages));
    return sim.pages != NULL;
}

void sim_phys_fini(void)
{
    for (size_t i = 0; sim.pages != NULL && i < sim.npages; i++) {
        free(sim.pages[i]);
    }
    free(sim.pages);
    sim.pages = NULL;
    sim.npages = 0;
    while (pool_n > 0) {
        free(pool[--pool_n]);
    }
}

bool sim_phys_contains(seL4_Word paddr, uint64_t len)
{
    if (paddr < sim.ram_base) {
        return false;
    }
    uint64_t off = paddr - sim.ram_base;
    return off <= sim.ram_bytes && len <= sim.ram_bytes - off;
}

/* The host page holding paddr; allocated (zeroed) if `create`, else NULL
 * for a page never written. */
static uint8_t *phys_page(seL4_Word paddr, bool create)
{
    size_t i = (size_t)((paddr - sim.ram_base) / PAGE);
    if (sim.pages[i] == NULL && create) {
        sim.pages[i] = page_get();
    }
    return sim.pages[i];
}

/* Copy between RAM and buf a page-bounded piece at a time. to_ram selects
 * the direction. Returns false if the host ran out of memory. */
static bool phys_copy(seL4_Word paddr, void *buf, size_t len, bool to_ram)
{
    uint8_t *b = buf;
    while (len > 0) {
        size_t in_page = PAGE - (size_t)((paddr - sim.ram_base) % PAGE);
        size_t n = len < in_page ? len : in_page;
        uint8_t *page = phys_page(paddr, to_ram);
        size_t off = (size_t)((paddr - sim.ram_base) % PAGE);
        if (to_ram && page == NULL) {
            return false;
        }
        if (to_ram) {
            memcpy(page + off, b, n);
        } else if (page != NULL) {
            memcpy(b, page + off, n);
        } else {
            memset(b, 0, n);
        }
        paddr += n;
        b += n;
        len -= n;
    }
    return true;
}

int sel4sim_phys_read(seL4_Word paddr, void *buf, size_t len)
{
    if (!sim.booted || !sim_phys_contains(paddr, len)) {
        return -1;
    }
    phys_copy(paddr, buf, len, false);
    return 0;
}

int sel4sim_phys_write(seL4_Word paddr, const void *buf, size_t len)
{
    if (!sim.booted || !sim_phys_contains(paddr, len)) {
        return -1;
    }
    return phys_copy(paddr, (void *)(uintptr_t)buf, len, true) ? 0 : -1;
}

/* Zero [paddr, paddr + len): whole pages are released back to the host. */
void sim_phys_zero(seL4_Word paddr, uint64_t len)
{
    while (len > 0) {
        size_t off = (size_t)((paddr - sim.ram_base) % PAGE);
        uint64_t n = len < (uint64_t)(PAGE - off) ? len : (uint64_t)(PAGE - off);
        size_t i = (size_t)((paddr - sim.ram_base) / PAGE);
        if (n == PAGE) {
            page_put(sim.pages[i]);
            sim.pages[i] = NULL;
        } else if (sim.pages[i] != NULL) {
            memset(sim.pages[i] + off, 0, (size_t)n);
        }
        paddr += n;
        len -= n;
    }
}

uint64_t sim_entry_read(seL4_Word paddr, unsigned bytes)
{
    uint8_t b[8] = {0};
    uint64_t v = 0;
    phys_copy(paddr, b, bytes, false);
    for (unsigned i = bytes; i-- > 0;) {
        v = v << 8 | b[i];
    }
    return v;
}

/* A failed host allocation here would lose a kernel write; abort rather
 * than let the model silently diverge from what it reports. */
void sim_entry_write(seL4_Word paddr, unsigned bytes, uint64_t value)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++) {
        b[i] = (uint8_t)(value >> (8 * i));
    }
    if (!phys_copy(paddr, b, bytes, true)) {
        abort();
    }
}
