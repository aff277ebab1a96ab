/* `vspace`: see what a process's address space is made of, and prove the
 * three views of it agree. Dispatches to the subcommands (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const vs_cli_command *const commands[] = {
    &vs_cli_spawn,
    &vs_cli_inspect,
#ifdef VSPACE_CLI_HAVE_EXEC
    &vs_cli_exec,
#endif
};

enum { NUM_COMMANDS = sizeof commands / sizeof commands[0] };

static void help(FILE *f)
{
    fprintf(f, "Usage: vspace COMMAND [OPTION]... [ARG]...\n\n"
               "Builds the address space of a process the way a root task on seL4 does,\n"
               "shows where every page is, and audits that the reservations, the shadow\n"
               "page tables and the kernel's page tables agree.\n\nCommands:\n");
    for (size_t i = 0; i < NUM_COMMANDS; i++) {
        fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
    }
    fprintf(f, "\n'vspace COMMAND --help' describes a command.\n"
               "Exit status: 0 audit clean, 1 the audit found discrepancies, 2 bad input or usage.\n");
}

static const vs_cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NUM_COMMANDS; i++) {
        if (strcmp(name, commands[i]->name) == 0) {
            return commands[i];
        }
    }
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "vspace: unknown command '%s'\n", name);
    help(stderr);
    return CLI_BAD_INPUT;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return CLI_BAD_INPUT;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            const vs_cli_command *c = find_command(argv[2]);
            if (c == NULL) {
                return unknown_command(argv[2]);
            }
            c->help();
        } else {
            help(stdout);
        }
        return cli_finish_output("help", CLI_OK);
    }
    const vs_cli_command *c = find_command(argv[1]);
    if (c == NULL) {
        return unknown_command(argv[1]);
    }
    /* A report that did not get out is no audit: exit 2, not 0 or 1. */
    return cli_finish_output(c->name, c->run(argc - 1, argv + 1));
}
