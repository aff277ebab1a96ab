/* The few system calls a root task's printf and exit need, for a root task
 * built with musllibc and sel4runtime only (no seL4_libs): musllibc sends
 * every system call through its __sysinfo pointer, which a constructor
 * here points at this file's handler (sel4runtime runs constructors but
 * does not run musllibc's own start-up, which would set it).
 * Output goes to the kernel's debug console (seL4_DebugPutChar, present in
 * kernels built with KernelPrinting); exit suspends the initial thread.
 * Built into both root tasks of this project, on seL4 only. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <sel4/sel4.h>
#include <sel4runtime.h>

long sel4_vsyscall(long sysnum, ...);

static long put_bytes(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seL4_DebugPutChar(p[i]);
    }
    return (long)n;
}

long sel4_vsyscall(long sysnum, ...)
{
    va_list ap;
    va_start(ap, sysnum);
    long a0 = va_arg(ap, long);
    long a1 = va_arg(ap, long);
    long a2 = va_arg(ap, long);
    va_end(ap);
    switch (sysnum) {
#ifdef SYS_write
    case SYS_write:
        return (a0 == 1 || a0 == 2) ? put_bytes((const char *)a1, (size_t)a2) : -EBADF;
#endif
    case SYS_writev: {
        if (a0 != 1 && a0 != 2) {
            return -EBADF;
        }
        const struct iovec *iov = (const struct iovec *)a1;
        long total = 0;
        for (long i = 0; i < a2; i++) {
            total += put_bytes(iov[i].iov_base, iov[i].iov_len);
        }
        return total;
    }
    case SYS_ioctl:
        /* "Is stdout a terminal?": yes, so musllibc buffers it by line and
         * the kernel's own debug lines fall between whole lines. */
        return 0;
    case SYS_exit:
#ifdef SYS_exit_group
    case SYS_exit_group:
#endif
        for (;;) {
            seL4_TCB_Suspend(seL4_CapInitThreadTCB);
        }
    default:
        return -ENOSYS;
    }
}

extern void *__sysinfo;

/* What returning from main ends in: sel4runtime calls its exit callback,
 * which nobody else sets in a root task. */
static void suspend_self(int code)
{
    (void)code;
    for (;;) {
        seL4_TCB_Suspend(seL4_CapInitThreadTCB);
    }
}

static void __attribute__((constructor)) install_vsyscall(void)
{
    __sysinfo = (void *)sel4_vsyscall;
    sel4runtime_set_exit(suspend_self);
}
