/* Simulated physical memory: RAM from sim.ram_base is one contiguous host
 * mapping reserved without backing (MAP_NORESERVE), so the host gives a
 * page memory only when it is first written and a machine with gigabytes of
 * RAM costs what is touched, while a physically contiguous range of RAM is
 * one host byte range (sel4sim_user_window_open hands such ranges out). A
 * bitmap records the pages ever written: zeroing skips the others, and
 * reads of them answer zero without the host mapping anything. Entries of
 * paging structures are little-endian, as on every architecture modelled. */
#define _DEFAULT_SOURCE /* MAP_NORESERVE, madvise */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

enum {
    PAGE_BITS = SIM_PAGE_BITS,
    PAGE = 1 << PAGE_BITS,
    /* Zeroed pages stay with the machine (zeroed in place, reused without a
     * host page fault) while it holds at most this many written pages
     * (32 MiB); above it zeroing hands them back to the host. */
    RESIDENT_KEEP = 8192
};

bool sim_phys_init(seL4_Word base, uint64_t bytes)
{
    sim_walk_forget();
    sim.ram_base = base;
    sim.ram_bytes = bytes;
    sim.npages = (size_t)(bytes / PAGE);
    sim.resident = 0;
    sim.touched = calloc((sim.npages + 63) / 64, sizeof(*sim.touched));
    void *ram = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    sim.ram = ram != MAP_FAILED ? ram : NULL;
    return sim.touched != NULL && sim.ram != NULL;
}

/* Runs after a failed sim_phys_init too. */
void sim_phys_fini(void)
{
    sim_walk_forget();
    if (sim.ram != NULL) {
        munmap(sim.ram, (size_t)sim.ram_bytes);
    }
    free(sim.touched);
    sim.ram = NULL;
    sim.touched = NULL;
    sim.npages = 0;
    sim.resident = 0;
}

bool sim_phys_contains(seL4_Word paddr, uint64_t len)
{
    if (paddr < sim.ram_base) {
        return false;
    }
    uint64_t off = paddr - sim.ram_base;
    return off <= sim.ram_bytes && len <= sim.ram_bytes - off;
}

void sim_mark_touched_range(seL4_Word paddr, uint64_t len)
{
    if (len == 0) {
        return;
    }
    for (size_t p = sim_page_of(paddr), last = sim_page_of(paddr + len - 1); p <= last; p++) {
        uint64_t bit = (uint64_t)1 << (p % 64);
        if (!(sim.touched[p / 64] & bit)) {
            sim.touched[p / 64] |= bit;
            sim.resident++;
        }
    }
}

/* mark_touched_range, with the usual case inline: an entry write to a
 * page of a table that already holds entries. */
static inline void mark_touched(seL4_Word paddr, uint64_t len)
{
    if (len != 0 && sim_page_of(paddr) == sim_page_of(paddr + len - 1) && sim_touched(sim_page_of(paddr))) {
        return;
    }
    sim_mark_touched_range(paddr, len);
}

/* Every write to RAM except a last-level entry's may change a paging
 * structure the kernel's walks pass through: they forget their path. */
uint8_t *sim_phys_host(seL4_Word paddr, uint64_t len, bool write)
{
    if (write) {
        mark_touched(paddr, len);
        sim_walk_forget();
    }
    return sim.ram + (paddr - sim.ram_base);
}

bool sim_phys_is_host(const void *p)
{
    uintptr_t a = (uintptr_t)p, ram = (uintptr_t)sim.ram;
    return sim.ram != NULL && a >= ram && a - ram < sim.ram_bytes;
}

int sel4sim_phys_read(seL4_Word paddr, void *buf, size_t len)
{
    if (!sim.booted || !sim_phys_contains(paddr, len)) {
        return -1;
    }
    uint8_t *b = buf;
    while (len > 0) {
        size_t off = (size_t)((paddr - sim.ram_base) % PAGE);
        size_t n = len < PAGE - off ? len : PAGE - off;
        if (sim_touched(sim_page_of(paddr))) {
            memcpy(b, sim_phys_host(paddr, n, false), n);
        } else {
            memset(b, 0, n);
        }
        paddr += n;
        b += n;
        len -= n;
    }
    return 0;
}

int sel4sim_phys_write(seL4_Word paddr, const void *buf, size_t len)
{
    if (!sim.booted || !sim_phys_contains(paddr, len)) {
        return -1;
    }
    if (len > 0) {
        memcpy(sim_phys_host(paddr, len, true), buf, len);
    }
    return 0;
}

/* Zeroes the written pages of a whole-page range [first, first + count):
 * in place while the machine holds few written pages, else handed back to
 * the host (they read as zero afterwards, at no cost). */
static void zero_pages(size_t first, size_t count)
{
    for (size_t p = first; p < first + count;) {
        if (!sim_touched(p)) {
            p++;
            continue;
        }
        size_t end = p;
        while (end < first + count && sim_touched(end)) {
            end++;
        }
        uint8_t *host = sim.ram + ((uint64_t)p << PAGE_BITS);
        size_t bytes = (end - p) << PAGE_BITS;
        if (sim.resident <= RESIDENT_KEEP || madvise(host, bytes, MADV_DONTNEED) != 0) {
            memset(host, 0, bytes);
        } else {
            for (size_t q = p; q < end; q++) {
                sim.touched[q / 64] &= ~((uint64_t)1 << (q % 64));
            }
            sim.resident -= end - p;
        }
        p = end;
    }
}

/* Zero [paddr, paddr + len). */
void sim_phys_zero(seL4_Word paddr, uint64_t len)
{
    sim_walk_forget();
    while (len > 0) {
        size_t off = (size_t)((paddr - sim.ram_base) % PAGE);
        if (off == 0 && len >= PAGE) {
            uint64_t whole = len & ~(uint64_t)(PAGE - 1);
            zero_pages(sim_page_of(paddr), (size_t)(whole >> PAGE_BITS));
            paddr += whole;
            len -= whole;
            continue;
        }
        uint64_t n = len < (uint64_t)(PAGE - off) ? len : (uint64_t)(PAGE - off);
        if (sim_touched(sim_page_of(paddr))) {
            memset(sim_phys_host(paddr, n, false), 0, (size_t)n);
        }
        paddr += n;
        len -= n;
    }
}

void sim_entry_write(seL4_Word paddr, unsigned bytes, uint64_t value)
{
    sim_entry_store(sim_phys_host(paddr, bytes, true), bytes, value);
}
