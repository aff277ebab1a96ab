/* Results: a fixed table of records, printed as text and written as JSON.
 * The JSON shape is a contract (docs/bench.md): an array of objects with
 * exactly the keys "workload", "size", "unit", "value" and, where the run
 * measured one, "reference". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

enum { MAX_RECORDS = 96 };

static bench_record records[MAX_RECORDS];
static size_t num_records;

bench_record *bench_add(const char *workload, uint64_t size, const char *unit, double value)
{
    if (num_records == MAX_RECORDS) {
        fprintf(stderr, "vspace-bench: more than %d records\n", MAX_RECORDS);
        return &records[MAX_RECORDS - 1];
    }
    bench_record *rec = &records[num_records++];
    memset(rec, 0, sizeof *rec);
    rec->workload = workload;
    rec->size = size;
    rec->unit = unit;
    rec->value = value;
    return rec;
}

void bench_target_at_most(bench_record *rec, const char *text, double limit)
{
    rec->target = text;
    rec->verdict = rec->value <= limit ? BENCH_PASS : BENCH_MISS;
}

const bench_record *bench_find(const char *workload, uint64_t size)
{
    for (size_t i = 0; i < num_records; i++) {
        if (records[i].size == size && strcmp(records[i].workload, workload) == 0) {
            return &records[i];
        }
    }
    return NULL;
}

/* ---- text ---- */

static const char *verdict_text(bench_verdict v)
{
    switch (v) {
    case BENCH_PASS:
        return "PASS";
    case BENCH_MISS:
        return "MISS";
    default:
        return "";
    }
}

static void print_rule(void)
{
    puts("-------------------- -------- ------------ ----------- ------------ ------- ------------ ----");
}

static void print_record(const bench_record *r)
{
    char ref[32] = "-";
    char ratio[32] = "-";
    if (r->has_reference) {
        snprintf(ref, sizeof ref, "%.3f", r->reference);
        if (r->reference > 0.0) {
            snprintf(ratio, sizeof ratio, "%.2fx", r->value / r->reference);
        }
    }
    printf("%-20s %8llu %12.3f %-11s %12s %7s %-12s %s\n", r->workload, (unsigned long long)r->size, r->value, r->unit,
           ref, ratio, r->target != NULL ? r->target : "", verdict_text(r->verdict));
}

void bench_print_table(void)
{
    printf("%-20s %8s %12s %-11s %12s %7s %-12s %s\n", "workload", "size", "value", "unit", "reference", "ratio",
           "target", "");
    print_rule();
    for (size_t i = 0; i < num_records; i++) {
        if (i > 0 && strncmp(records[i].workload, records[i - 1].workload, 2) != 0) {
            print_rule();
        }
        print_record(&records[i]);
    }
    print_rule();
    for (size_t i = 0; i < num_records; i++) {
        if (records[i].note != NULL) {
            printf("  %s %llu: %s\n", records[i].workload, (unsigned long long)records[i].size, records[i].note);
        }
    }
}

/* ---- JSON ---- */

/* JSON has no NaN or infinity; neither can come out of a finished run, but
 * the file must parse whatever happened. */
static double json_number(double x)
{
    return isfinite(x) ? x : 0.0;
}

/* Workload names and units are fixed ASCII without quotes or backslashes,
 * so they are written verbatim. */
static void write_record(FILE *f, const bench_record *r, int last)
{
    fprintf(f, "  {\"workload\": \"%s\", \"size\": %llu, \"unit\": \"%s\", \"value\": %.6g", r->workload,
            (unsigned long long)r->size, r->unit, json_number(r->value));
    if (r->has_reference) {
        fprintf(f, ", \"reference\": %.6g", json_number(r->reference));
    }
    fprintf(f, "}%s\n", last ? "" : ",");
}

int bench_write_json(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    fputs("[\n", f);
    for (size_t i = 0; i < num_records; i++) {
        write_record(f, &records[i], i + 1 == num_records);
    }
    fputs("]\n", f);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}
