/* `vspace exec [--audit] [--env K=V]... [-i] ELF [ARG...]`: runs a static
 * x86_64 program that vspace loaded itself (exec.h), and exits as the
 * program did. */
#define _GNU_SOURCE
#include <unistd.h> /* environ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"

static void exec_help(void)
{
    printf("Usage: vspace exec [--audit] [--env K=V]... [-i] ELF [ARG...]\n\n"
           "Runs the static x86_64 program ELF (an executable or a static-PIE) with the given\n"
           "arguments, on Linux, as if the kernel had exec'ed it -- except that vspace built its\n"
           "address space: a forked child loads ELF with vspace's ELF loader into frames of a\n"
           "memfd (the Linux backend), writes the System V start-up stack with vspace's builder\n"
           "and jumps to the entry point. stdin, stdout and stderr pass through.\n\n"
           "  --audit        before the jump, run the three-way audit (reservations, shadow\n"
           "                 tables, the kernel's /proc/PID/maps) and print it on stdout;\n"
           "                 discrepancies: exit 1 without running the program\n"
           "  --env K=V      set K in the program's environment (repeatable)\n"
           "  -i, --ignore-environment  start from an empty environment\n\n"
           "Exit status: the program's own; if a signal killed it, vspace kills itself with the\n"
           "same signal (a shell shows 128+N); 2 if ELF cannot be run (not x86_64, dynamically\n"
           "linked, segments clashing with vspace's own mappings, malformed) or for bad usage;\n"
           "1 if --audit found discrepancies.\n");
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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        cli_file_error("exec", path, "cannot open: %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        cli_file_error("exec", path, "%s", S_ISREG(st.st_mode) ? "empty file" : "not a regular file");
        return NULL;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        cli_file_error("exec", path, "cannot map: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    *size = (size_t)st.st_size;
    *fd_out = fd;
    return p;
}

/* Waits for the child; returns what vspace exits with. */
static int mirror(pid_t pid, int ran)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            perror("vspace exec: waitpid");
            return CLI_BAD_INPUT;
        }
    }
    if (WIFEXITED(st)) {
        return WEXITSTATUS(st);
    }
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL;
    if (!ran) {
        fprintf(stderr, "vspace exec: the loader died of signal %d (%s)\n", sig, strsignal(sig));
        return CLI_BAD_INPUT;
    }
    /* Die the same way, so the caller's shell sees what it would have seen;
     * without a core file of vspace itself. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    fflush(NULL);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig; /* a signal that does not kill (none of those end a process) */
}

/* Loads and runs path with args in a child, mirroring how it ends. */
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
    exec_request rq = {path, &img, {0}, args, nargs, NULL, 0, file_fd, audit_flag, -1};
    char msg[512];
    int rc = CLI_BAD_INPUT;
    int fds[2] = {-1, -1};
    if (ee != VS_ELF_OK) {
        cli_elf_error("exec", path, ee, &diag);
    } else if (img.interp != NULL) {
        cli_file_error("exec", path,
                       "dynamically linked (PT_INTERP names %s): vspace exec runs static executables and static-PIE "
                       "only",
                       img.interp);
    } else if (exec_plan_layout(&img, &rq.layout, msg, sizeof msg) != 0) {
        cli_file_error("exec", path, "%s", msg);
    } else if ((rq.envp = make_env(clear, sets, nsets, &rq.envc)) == NULL || pipe2(fds, O_CLOEXEC) != 0) {
        cli_file_error("exec", path, "cannot start: %s", strerror(errno));
    } else {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            rq.status_fd = fds[1];
            _exit(exec_image_run(&rq));
        }
        close(fds[1]);
        if (pid < 0) {
            cli_file_error("exec", path, "fork: %s", strerror(errno));
        } else {
            /* Keyboard signals reach the program (same process group);
             * vspace waits for it and then mirrors how it ended. */
            signal(SIGINT, SIG_IGN);
            signal(SIGQUIT, SIG_IGN);
            char go = 0;
            ssize_t got;
            do {
                got = read(fds[0], &go, 1);
            } while (got < 0 && errno == EINTR);
            rc = mirror(pid, got == 1 && go == 'G');
        }
        close(fds[0]);
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
            if (kv == NULL || strchr(kv, '=') == NULL || kv[0] == '=') {
                rc = cli_usage("exec", "--env wants K=V, got '%s'", kv != NULL ? kv : "");
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
