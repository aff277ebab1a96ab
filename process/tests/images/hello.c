/* A static test program without libc for every architecture: the process
 * tests spawn it on the simulator (it never runs). It has the parts spawn
 * cares about: text, read-only data, data, bss, and a "__vsyscall" section
 * holding a pointer to a function, the way images linked against seL4's
 * libraries carry their vsyscall handler (AT_SYSINFO). */
static long vsyscall_handler(long n)
{
    return n + 1;
}
__attribute__((section("__vsyscall"), used)) long (*const vsyscall_ptr)(long) = vsyscall_handler;

const char greeting[] = "hello from a spawned process";
int counter = 42;
char scratch[20000];

void _start(void);
void _start(void)
{
    for (;;) {
        counter++;
        scratch[counter & 1023] = greeting[counter & 7];
    }
}
