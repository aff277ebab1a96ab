/* The example root tasks' transcript (transcript.h). */
#include "transcript.h"

#include <stdio.h>

static int steps, failures;

int example_step(int ok, const char *what)
{
    steps++;
    if (!ok) {
        failures++;
    }
    printf("%02d %s : %s\n", steps, what, ok ? "ok" : "FAIL");
    return ok;
}

int example_step_res(vs_result r, vs_result want, const char *what)
{
    char line[200];
    snprintf(line, sizeof(line), "%s -> %s", what, vs_result_name(r));
    return example_step(r == want, line);
}

int example_steps(void)
{
    return steps;
}

int example_failures(void)
{
    return failures;
}
