/* JSON members of a vspace report (report.h; schema docs/vspace.schema.json). */
#include <vs/report.h>

#include "collect.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none. */
static size_t utf8_sequence(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        lo = p[0] == 0xe0 ? 0xa0 : lo;
        hi = p[0] == 0xed ? 0x9f : hi;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        lo = p[0] == 0xf0 ? 0x90 : lo;
        hi = p[0] == 0xf4 ? 0x8f : hi;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) { /* the NUL that ends s stops here too */
            return 0;
        }
    }
    return len;
}

void vs_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p >= 0x80 ? utf8_sequence(p) : 0;
        if (len != 0) {
            fwrite(p, 1, len, f);
            p += len;
            continue;
        }
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20 || *p >= 0x7f) {
            /* A byte that is not part of well-formed UTF-8 cannot appear
             * in JSON text as itself: it becomes the code point of the
             * same number, so \u0080-\u00ff always stand for such bytes. */
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
        p++;
    }
    fputc('"', f);
}

static void hex(FILE *f, const char *key, uint64_t v)
{
    fprintf(f, "\"%s\": \"0x%llx\"", key, (unsigned long long)v);
}

static void json_reservations(FILE *f, const ins_space *s)
{
    fprintf(f, ",\n\"reservations\": [");
    for (size_t i = 0; i < s->nres; i++) {
        const vs_reservation_info *r = &s->res[i].info;
        char rights[4];
        fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
        vs_json_string(f, r->name);
        fprintf(f, ", ");
        hex(f, "start", r->start);
        fprintf(f, ", ");
        hex(f, "end", r->end);
        fprintf(f, ", \"pages\": %llu, \"mapped_pages\": %llu, \"rights\": \"%s\", \"cache\": %d}",
                (unsigned long long)((r->end - r->start) >> 12), (unsigned long long)r->mapped_pages,
                vs_rights_str(r->rights, rights), (int)r->cache);
    }
    fprintf(f, "\n]");
}

static void json_runs(FILE *f, const ins_space *s)
{
    fprintf(f, ",\n\"mapped\": [");
    for (size_t i = 0; i < s->nruns; i++) {
        const vs_mapped_run *r = &s->runs[i];
        const ins_res *res = ins_res_of(s, r);
        char rights[4];
        fprintf(f, "%s\n  {", i ? "," : "");
        hex(f, "start", r->start);
        fprintf(f, ", ");
        hex(f, "end", r->end);
        fprintf(f, ", \"pages\": %llu, \"page_bits\": %u, \"rights\": \"%s\", \"reservation\": ",
                (unsigned long long)r->pages, r->size_bits, vs_rights_str(r->rights, rights));
        if (res != NULL) {
            vs_json_string(f, res->info.name);
        } else {
            fprintf(f, "null");
        }
        fprintf(f, "}");
    }
    fprintf(f, "\n]");
}

static void json_tables(FILE *f, const ins_space *s)
{
    fprintf(f, ",\n\"tables\": [");
    for (size_t i = 0; i < s->ntables; i++) {
        const vs_table_occupancy *t = &s->tables[i];
        fprintf(f, "%s\n  {\"level\": %u, \"name\": ", i ? "," : "", t->level);
        vs_json_string(f, t->name);
        fprintf(f, ", ");
        hex(f, "vaddr", t->vaddr);
        fprintf(f, ", ");
        hex(f, "span", t->span);
        fprintf(f, ", \"entries\": %u, \"empty\": %u, \"reserved\": %u, \"mapped\": %u}", t->entries, t->empty,
                t->reserved, t->mapped);
    }
    fprintf(f, "\n]");
}

static void json_checks(FILE *f, const char *key, unsigned checks)
{
    static const char *const names[] = {"bookkeeping", "frame-address", "translate", "unknown-mappings"};
    fprintf(f, "\"%s\": [", key);
    int first = 1;
    for (unsigned i = 0; i < 4; i++) {
        if (checks & (1u << i)) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", names[i]);
            first = 0;
        }
    }
    fprintf(f, "]");
}

static void json_audit(FILE *f, const vs_audit_result *a)
{
    const vs_audit_summary *s = &a->summary;
    fprintf(f, ",\n\"audit\": {\"clean\": %s, \"result\": \"%s\", ", a->result == VS_OK ? "true" : "false",
            vs_result_name(a->result));
    json_checks(f, "checks_run", s->checks_run);
    fprintf(f, ", ");
    json_checks(f, "checks_skipped", s->checks_skipped);
    fprintf(f, ", \"skipped_why\": ");
    if (s->skipped_why != NULL) {
        vs_json_string(f, s->skipped_why);
    } else {
        fprintf(f, "null");
    }
    fprintf(f,
            ",\n  \"counts\": {\"reservations\": %zu, \"reserved_pages\": %llu, \"mapped_pages\": %llu, "
            "\"mapped_in_reservations\": %llu, \"mapped_outside\": %llu, \"kernel_pages\": ",
            s->reservations, (unsigned long long)s->reserved_pages, (unsigned long long)s->mapped_pages,
            (unsigned long long)s->mapped_in_reservations, (unsigned long long)s->mapped_outside);
    if (s->checks_run & VS_AUDIT_CHECK_UNKNOWN) {
        fprintf(f, "%llu", (unsigned long long)s->kernel_pages);
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ", \"discrepancies\": %zu, \"I1\": %zu, \"I2\": %zu, \"I3\": %zu},\n  \"discrepancies\": [",
            s->discrepancies, s->per_invariant[1], s->per_invariant[2], s->per_invariant[3]);
    for (size_t i = 0; i < a->count; i++) {
        const vs_discrepancy *d = &a->items[i];
        fprintf(f, "%s\n    {\"invariant\": %u, \"kind\": \"%s\", \"violation\": ", i ? "," : "", d->invariant,
                vs_audit_kind_name(d->kind));
        if (d->kind == VS_AUDIT_BOOKKEEPING) {
            vs_json_string(f, vs_violation_kind_name((vs_violation_kind)d->violation));
        } else {
            fprintf(f, "null");
        }
        fprintf(f, ", ");
        hex(f, "vaddr", d->vaddr);
        fprintf(f, ", ");
        hex(f, "expected", d->expected);
        fprintf(f, ", ");
        hex(f, "found", d->found);
        fprintf(f, ", \"what\": ");
        vs_json_string(f, d->what);
        fprintf(f, "}");
    }
    fprintf(f, "%s]}", a->count ? "\n  " : "");
}

int vs_report_json_members(FILE *f, const vs_space *vs, const vs_audit_result *audit)
{
    ins_space s;
    if (ins_collect(vs, &s, 1) != 0) {
        return -1;
    }
    json_reservations(f, &s);
    json_runs(f, &s);
    json_tables(f, &s);
    ins_free(&s);
    if (audit != NULL) {
        json_audit(f, audit);
    }
    return 0;
}
