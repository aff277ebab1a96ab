/* `vspace exec [--audit] [--env K=V]... [-i] ELF [ARG...]`: becomes a
 * static x86_64 program that vspace loaded itself (exec.h). */
#define _GNU_SOURCE
#include <unistd.h> /* environ */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"

static void exec_help(void)
{
    printf("Usage: vspace exec [--audit] [--env K=V]... [-i] ELF [ARG...]\n\n"
           "Runs the static x86_64 program ELF (an executable or a static-PIE) with the given\n"
           "arguments, on Linux, as if the kernel had exec'ed it -- except that vspace built its\n"
           "address space: vspace loads ELF into its own process with vspace's ELF loader (its\n"
           "read-only pages mapped from the file, the rest in frames of a memfd: the Linux\n"
           "backend), writes the System V start-up stack with vspace's builder and jumps to the\n"
           "entry point, so the program keeps vspace's process id, descriptors and signal mask.\n\n"
           "  --audit        before the jump, run the three-way audit (reservations, shadow\n"
           "                 tables, the kernel's /proc/PID/maps) and print it on stdout;\n"
           "                 discrepancies: exit 1 without running the program\n"
           "  --env K=V      set K in the program's environment (repeatable)\n"
           "  -i, --ignore-environment\n"
           "                 start from an empty environment\n"
           "  --help         this text\n\n"
           "Exit status: the program's own (killed by a signal: the shell sees that signal, as the\n"
           "program is the process); 2 if ELF cannot be run (not a regular file the caller may\n"
           "execute, as the kernel's exec requires; not x86_64, dynamically linked, segments\n"
           "clashing with vspace's own mappings, malformed) or for bad usage; 1 if --audit found\n"
           "discrepancies.\n");
}

/* The environment: the caller's (or none), then each --env in order,
 * replacing a variable of the same name. */
static char **make_env(int clear, char **sets, size_t nsets, size_t *count)
{
    size_t n = 0;
    while (!clear && environ[n] != NULL) {
        n++;
    }
    char **env = calloc(n + nsets + 1, sizeof *env);
    if (env == NULL) {
        return NULL;
    }
    memcpy(env, environ, clear ? 0 : n * sizeof *env);
    for (size_t i = 0; i < nsets; i++) {
        size_t klen = (size_t)(strchr(sets[i], '=') - sets[i]) + 1;
        size_t j = 0;
        while (j < n && strncmp(env[j], sets[i], klen) != 0) {
            j++;
        }
        env[j] = sets[i];
        n += j == n;
    }
    *count = n;
    return env;
}

/* Maps the whole file read-only (the parser reads the page cache; nothing
 * is read into the heap) and keeps it open in *fd_out (the loader maps the
 * read-only pages from it); on error says why and returns NULL. */
static void *map_file(const char *path, size_t *size, int *fd_out)
{
    /* The kernel's exec runs a regular file the caller may execute (for
     * root: one with an execute bit), else EACCES, before it reads a byte;
     * access() with the effective ids asks the kernel the same question
     * (noexec mounts too). Then vspace must read it, as the kernel need not. */
    struct stat st;
    if (stat(path, &st) != 0) {
        cli_file_error("exec", path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        cli_file_error("exec", path, "not executable: not a regular file (%s)", strerror(EACCES));
        return NULL;
    }
    if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) {
        cli_file_error("exec", path, "not executable (%s)", strerror(errno));
        return NULL;
    }
    int fd = cli_open_regular("exec", path, &st); /* the file read is the one checked */
    if (fd < 0) {
        return NULL;
    }
    if (st.st_size == 0) {
        close(fd);
        cli_file_error("exec", path, "empty file");
        return NULL;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        cli_file_error("exec", path, "cannot map: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    /* Only the pages the loader reads get page-table entries: without
     * this, each fault maps the 64 KiB around it, and the munmap before
     * the jump pays for every one of them. */
    (void)madvise(p, (size_t)st.st_size, MADV_RANDOM);
    *size = (size_t)st.st_size;
    *fd_out = fd;
    return p;
}

/* Loads path with args into this process and becomes it: returns only if
 * it cannot (2, or 1 for --audit discrepancies), after saying why. */
static int launch(const char *path, char **args, size_t nargs, int audit_flag, int clear, char **sets, size_t nsets)
{
#if !defined(__x86_64__) || !defined(__linux__)
    (void)args, (void)nargs, (void)audit_flag, (void)clear, (void)sets, (void)nsets;
    return cli_file_error("exec", path, "vspace exec runs programs on x86_64 Linux only");
#else
    size_t size = 0;
    int file_fd = -1;
    void *data = map_file(path, &size, &file_fd);
    if (data == NULL) {
        return CLI_BAD_INPUT;
    }
    vs_elf_image img;
    vs_elf_diag diag;
    vs_elf_parse_opts po = {vs_arch_get(VS_ARCH_X86_64)};
    vs_elf_error ee = vs_elf_parse(data, size, &po, &img, &diag);
    exec_request rq = {path, &img, {0}, args, nargs, NULL, 0, file_fd, audit_flag};
    char msg[512];
    int rc = CLI_BAD_INPUT;
    if (ee != VS_ELF_OK) {
        cli_elf_error("exec", path, ee, &diag);
    } else if (img.interp != NULL) {
        cli_file_error("exec", path,
                       "dynamically linked (PT_INTERP names %s): vspace exec runs static executables and static-PIE "
                       "only",
                       img.interp);
    } else if (exec_plan_layout(&img, &rq.layout, msg, sizeof msg) != 0) {
        cli_file_error("exec", path, "%s", msg);
    } else if ((rq.envp = make_env(clear, sets, nsets, &rq.envc)) == NULL) {
        cli_file_error("exec", path, "cannot start: %s", strerror(errno));
    } else {
        rc = exec_image_run(&rq); /* on success the program runs in this process, as after execve */
    }
    free((void *)rq.envp);
    munmap(data, size);
    close(file_fd);
    return rc;
#endif
}

static int run(int argc, char **argv)
{
    int audit_flag = 0;
    int clear = 0;
    char **sets = calloc((size_t)argc, sizeof *sets);
    size_t nsets = 0;
    int i = 1;
    int rc = -1;
    for (; rc < 0 && i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            exec_help();
            rc = CLI_OK;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--audit") == 0) {
            audit_flag = 1;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--ignore-environment") == 0) {
            clear = 1;
        } else if (strcmp(a, "--env") == 0 || strncmp(a, "--env=", 6) == 0) {
            const char *kv = a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : NULL;
            if (kv == NULL || kv[0] == '\0') {
                rc = cli_usage("exec", "--env needs K=V");
            } else if (strchr(kv, '=') == NULL || kv[0] == '=') {
                rc = cli_usage("exec", "--env wants K=V, got '%s'", kv);
            } else if (sets != NULL) {
                sets[nsets++] = (char *)kv;
            }
        } else {
            rc = cli_usage("exec", "unknown option '%s'", a);
        }
    }
    if (rc < 0 && sets == NULL) {
        rc = cli_usage("exec", "out of memory");
    } else if (rc < 0 && i >= argc) {
        rc = cli_usage("exec", "missing ELF");
    } else if (rc < 0) {
        rc = launch(argv[i], argv + i, (size_t)(argc - i), audit_flag, clear, sets, nsets);
    }
    free(sets);
    return rc;
}

const vs_cli_command vs_cli_exec = {"exec", "run a static x86_64 program loaded by vspace, on Linux", run, exec_help};
