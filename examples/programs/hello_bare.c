/* The example program for architectures without a C library on this
 * machine (riscv32: clang and lld, no libc): the same kinds of segments,
 * an entry point that never returns. */
static volatile char scratch[64 * 1024]; /* volatile: kept, as .bss */
static volatile int counter = 42;
static const char banner[] = "hello from a vspace child";

void _start(void);

void _start(void)
{
    for (unsigned i = 0; i < sizeof scratch; i++) {
        scratch[i] = (char)(banner[i % (sizeof banner - 1)] + counter);
    }
    for (;;) {
    }
}
