/* Reports on a vspace for people and programs: a text report, a listing in
 * the style of Linux's /proc/PID/maps, JSON members (schema:
 * docs/vspace.schema.json) and an SVG picture. Host code (stdio, malloc);
 * the audit itself (<vs/audit.h>) is freestanding. */
#ifndef VS_REPORT_H
#define VS_REPORT_H

#include <stdio.h>

#include <vs/audit.h>
#include <vs/space.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An audit run with every discrepancy kept. */
typedef struct vs_audit_result {
    vs_result result; /* vs_audit's: VS_OK, VS_ERR_INCONSISTENT, NO_MEMORY, ... */
    vs_audit_summary summary;
    vs_discrepancy *items; /* malloc'd; count entries */
    size_t count;
    size_t capacity;
    int truncated; /* host memory ran out: some discrepancies were not kept */
} vs_audit_result;

/* Runs vs_audit and keeps what it reports. Returns out->result. */
vs_result vs_audit_collect(const vs_space *vs, vs_audit_result *out);
void vs_audit_result_free(vs_audit_result *r);

/* "r-x" for VS_RIGHT_* bits: 3 characters and a NUL in buf[4]. */
const char *vs_rights_str(uint8_t rights, char buf[4]);

/* The text report: reservations (name, range, pages, mapped pages,
 * rights), mapped runs, per-table occupancy, then the audit's verdict with
 * its counts and every discrepancy (consecutive pages with the same
 * finding folded into one line). Returns 0, or -1 if the walks ran out of
 * memory. */
int vs_report_text(FILE *f, const vs_space *vs, const vs_audit_result *audit);

/* The audit part of the text report alone. */
void vs_report_audit(FILE *f, const vs_audit_result *audit);

/* One line per reservation and per run of mapped pages outside every
 * reservation, as /proc/PID/maps prints a mapping: "start-end perms offset
 * dev inode name"; perms from the reservation's rights with 'p'; offset,
 * device and inode 0; name the reservation's ("[no reservation]" for the
 * orphan runs). Returns 0 or -1 (out of memory). */
int vs_report_maps(FILE *f, const vs_space *vs);

/* JSON members for one object (the caller writes the braces and its own
 * members): "reservations", "mapped", "tables" and "audit", each preceded
 * by a comma. Addresses as "0x..." strings. Returns 0 or -1. */
int vs_report_json_members(FILE *f, const vs_space *vs, const vs_audit_result *audit);

/* Writes s as a JSON string literal: well-formed UTF-8 as itself, '"' and
 * '\\' escaped, control bytes and DEL as \u00XX, and each byte that is not
 * part of well-formed UTF-8 as \u0080-\u00ff (the code point of the same
 * number), so the output is valid JSON for any bytes and those escapes
 * always name raw bytes. */
void vs_json_string(FILE *f, const char *s);

/* Extra things to draw that the vspace does not know. */
typedef struct vs_svg_opts {
    const char *title;    /* drawn at the top; may be NULL */
    vs_addr kernel_start; /* the kernel window [kernel_start, kernel_end), or both 0 */
    vs_addr kernel_end;
} vs_svg_opts;

/* An SVG picture of the address space, one row per reservation in address
 * order (its pages as a bar: mapped runs filled in the colour of their
 * rights, reserved pages unfilled, an unmapped first page marked as a
 * guard), runs outside every reservation in red, and the gaps between them
 * folded into a thin row that says how large they are, so a 4 GiB and a
 * 256 TiB space both fit. Returns 0 or -1. */
int vs_report_svg(FILE *f, const vs_space *vs, const vs_svg_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
