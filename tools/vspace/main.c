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

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return CLI_BAD_INPUT;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            for (size_t i = 0; i < NUM_COMMANDS; i++) {
                if (strcmp(argv[2], commands[i]->name) == 0) {
                    commands[i]->help();
                    return CLI_OK;
                }
            }
        }
        help(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < NUM_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i]->name) == 0) {
            return commands[i]->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "vspace: unknown command '%s'\n", argv[1]);
    help(stderr);
    return CLI_BAD_INPUT;
}
