/* Shared pieces of the `vspace` command: the command table, exit statuses,
 * usage errors and reading the ELF file. Each subcommand lives in its own
 * cmd_NAME.c and exports one vs_cli_command; main.c lists them. A command
 * added later (cmd_exec.c, issue 12) needs one line there, guarded by
 * VSPACE_CLI_HAVE_EXEC, which tools/vspace/CMakeLists.txt defines when
 * the file exists. */
#ifndef VSPACE_TOOLS_CLI_H
#define VSPACE_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <vs/arch.h>

enum {
    CLI_OK = 0,          /* audit clean */
    CLI_DISCREPANCY = 1, /* the audit found discrepancies */
    CLI_BAD_INPUT = 2    /* bad input or usage */
};

typedef struct vs_cli_command {
    const char *name;
    const char *summary;               /* one line for `vspace --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
    void (*help)(void);                /* prints the command's --help to stdout */
} vs_cli_command;

extern const vs_cli_command vs_cli_spawn;
extern const vs_cli_command vs_cli_inspect;
#ifdef VSPACE_CLI_HAVE_EXEC
extern const vs_cli_command vs_cli_exec;
#endif

/* Prints "vspace CMD: message" and "Try 'vspace CMD --help'." to stderr;
 * returns CLI_BAD_INPUT. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "vspace CMD: FILE: message" to stderr; returns CLI_BAD_INPUT. */
int cli_file_error(const char *cmd, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens path (symbolic links followed) for reading if it is a regular
 * file, without blocking on a FIFO and before reading a byte; returns the
 * descriptor and its stat in *st, or -1 after a message naming the file
 * and why ("not a regular file (a FIFO)", "cannot open: ..."). Every
 * command that reads an ELF checks it here: an image is a regular file,
 * and anything else could block (a FIFO) or never end (/dev/zero). */
struct stat;
int cli_open_regular(const char *cmd, const char *path, struct stat *st);

/* Reads a whole regular file (cli_open_regular; under 2 GiB) into a
 * malloc'd buffer; on error prints a message naming the file and the
 * reason and returns NULL. */
void *cli_read_file(const char *cmd, const char *path, size_t *size);

/* The architecture named by s, or NULL after a usage message listing the
 * six names. */
const vs_arch *cli_arch(const char *cmd, const char *s);

/* Prints the ELF layer's diagnostic (field, message, code name) for path; returns
 * CLI_BAD_INPUT. */
struct vs_elf_diag;
int cli_elf_error(const char *cmd, const char *path, int code, const struct vs_elf_diag *d);

/* Is arg exactly one of the help flags? */
int cli_is_help(const char *arg);

/* Is argv[*i] the option `name` (say "--arch"), which takes a value, given
 * as "--arch V" or "--arch=V"? 0: it is not; 1: it is, *value is V and *i
 * indexes the last argument it used; -1: it is but V is missing (after a
 * usage message naming the option). */
int cli_option_value(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);

/* Reports a failed write to standard output ("vspace CMD: standard output:
 * write error: ...") and returns CLI_BAD_INPUT; returns status if every
 * byte written to stdout got out. */
int cli_finish_output(const char *cmd, int status);

#endif
