/* A freestanding static program for the loader tests on every
 * architecture: initialised data, read-only data, a large .bss and an
 * aligned array, so the image has .text, .rodata, .data and .bss pages.
 * It is loaded and read back, never run. */
#include <stddef.h>
#include <stdint.h>

const char greeting[] = "vspace elf test image: read-only data";
static const uint32_t table[1024] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89}; /* 4 KiB of .rodata */
uint32_t counters[8] = {0xdeadbeef, 0xcafef00d, 7, 6, 5, 4, 3, 2};       /* .data */
static uint8_t scratch[3 * 4096 + 123];                                  /* .bss over several pages */
_Alignas(64) uint64_t aligned_words[16] = {0x0123456789abcdefull};

uint32_t sum_table(size_t n);
void _start(void);

uint32_t sum_table(size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n && i < 1024; i++) {
        s += table[i] + counters[i & 7];
        scratch[i % sizeof scratch] = (uint8_t)s;
    }
    return s + (uint32_t)greeting[n % sizeof greeting] + (uint32_t)aligned_words[n & 15];
}

void _start(void)
{
    volatile uint32_t r = sum_table(100);
    (void)r;
    for (;;) {
    }
}
