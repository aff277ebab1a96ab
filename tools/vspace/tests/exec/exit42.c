/* A freestanding static program that exits with status 42; the tests link
 * it at chosen addresses (some that clash with vspace's own mappings). The
 * variable gives it a data segment, which one test places apart from the
 * text. */
void _start(void);

int exit42_data = 42;

void _start(void)
{
    __asm__ volatile("mov $60, %eax\n\tmov $42, %edi\n\tsyscall");
    for (;;) {
    }
}
