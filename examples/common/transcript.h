/* The example root tasks' transcript: numbered steps, one line each, ending
 * in "ok" or "FAIL", so the same source's run on seL4 and on the simulator
 * can be compared line for line. */
#ifndef EXAMPLES_TRANSCRIPT_H
#define EXAMPLES_TRANSCRIPT_H

#include <vs/result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prints "NN what : ok" (or FAIL when !ok), counts it; returns ok. */
int example_step(int ok, const char *what);

/* A step that holds when r == want: "NN what -> VS_... : ok". */
int example_step_res(vs_result r, vs_result want, const char *what);

/* Steps printed so far, and how many failed. */
int example_steps(void);
int example_failures(void);

#ifdef __cplusplus
}
#endif

#endif
