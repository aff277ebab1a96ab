/* A freestanding static program that exits with status 42; the tests link
 * it at chosen addresses (one that clashes with vspace's own mappings). */
void _start(void);

void _start(void)
{
    __asm__ volatile("mov $60, %eax\n\tmov $42, %edi\n\tsyscall");
    for (;;) {
    }
}
