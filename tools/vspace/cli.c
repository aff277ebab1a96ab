/* Shared pieces of the `vspace` command (cli.h). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vs/elf.h>

/* cli_read_file reads files smaller than this. */
#define CLI_MAX_FILE ((size_t)1 << 31)
/* Its first buffer holds at least this much: a regular file under /proc
 * says its size is 0. */
#define CLI_MIN_BUFFER ((size_t)64 << 10)

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vspace %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'vspace %s --help'.\n", cmd);
    va_end(ap);
    return CLI_BAD_INPUT;
}

int cli_file_error(const char *cmd, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vspace %s: %s: ", cmd, file);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return CLI_BAD_INPUT;
}

/* What a path that is no regular file names, for the message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a file";
}

int cli_open_regular(const char *cmd, const char *path, struct stat *st)
{
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer, forever; it changes nothing for the regular file read after
     * the check. The check is on the opened file (fstat), so the file read
     * is the one checked, and it comes before a byte is read: a device such
     * as /dev/zero has no end to read to. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        cli_file_error(cmd, path, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0) {
        cli_file_error(cmd, path, "cannot open: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        cli_file_error(cmd, path, "not a regular file (%s)", file_kind(st->st_mode));
        close(fd);
        return -1;
    }
    return fd;
}

void *cli_read_file(const char *cmd, const char *path, size_t *size)
{
    struct stat st;
    int fd = cli_open_regular(cmd, path, &st);
    if (fd < 0) {
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        cli_file_error(cmd, path, "cannot open: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size >= CLI_MAX_FILE) {
        fclose(f);
        cli_file_error(cmd, path, "too large: vspace reads images smaller than %zu GiB", CLI_MAX_FILE >> 30);
        return NULL;
    }
    /* One read for a file that keeps the size fstat gave: the byte more
     * shows its end. One that grows meanwhile is read on by doubling. */
    size_t cap = (size_t)st.st_size + 1 > CLI_MIN_BUFFER ? (size_t)st.st_size + 1 : CLI_MIN_BUFFER;
    size_t n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            cli_file_error(cmd, path, "out of memory reading it");
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            cli_file_error(cmd, path, "cannot read: %s", strerror(errno));
            free(buf);
            buf = NULL;
            break;
        }
        if (n >= CLI_MAX_FILE) {
            cli_file_error(cmd, path, "too large: vspace reads images smaller than %zu GiB", CLI_MAX_FILE >> 30);
            free(buf);
            buf = NULL;
            break;
        }
        if (n < cap) {
            break;
        }
        /* A byte past the limit is enough to tell the file is too large. */
        cap = cap * 2 < CLI_MAX_FILE + 1 ? cap * 2 : CLI_MAX_FILE + 1;
        unsigned char *bigger = realloc(buf, cap);
        if (bigger == NULL) {
            free(buf);
        }
        buf = bigger;
    }
    fclose(f);
    *size = n;
    return buf;
}

const vs_arch *cli_arch(const char *cmd, const char *s)
{
    const vs_arch *arch = vs_arch_by_name(s);
    if (arch == NULL) {
        cli_usage(cmd, "--arch: unknown architecture '%s' (ia32, x86_64, aarch32, aarch64, riscv32, riscv64)", s);
    }
    return arch;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_option_value(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '=')) {
        return 0;
    }
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_usage(cmd, "%s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_finish_output(const char *cmd, int status)
{
    int flush_failed = fflush(stdout) != 0;
    int err = errno;
    if (!flush_failed && !ferror(stdout)) {
        return status;
    }
    fprintf(stderr, "vspace %s: standard output: write error%s%s\n", cmd, flush_failed ? ": " : "",
            flush_failed ? strerror(err) : "");
    return CLI_BAD_INPUT;
}

int cli_elf_error(const char *cmd, const char *path, int code, const struct vs_elf_diag *d)
{
    vs_elf_error e = (vs_elf_error)code;
    const char *field = d->field != NULL ? d->field : "";
    const char *msg = d->message[0] ? d->message : vs_elf_strerror(e);
    /* The message names the field itself when it starts with it. */
    int named = field[0] == '\0' || strstr(msg, field) != NULL;
    return cli_file_error(cmd, path, "%s%s%s (%s)", named ? "" : field, named ? "" : ": ", msg, vs_elf_error_name(e));
}
