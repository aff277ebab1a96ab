/* The human text report (report.h). */
#include <stdlib.h>
#include <string.h>

#include <vs/report.h>

#include "collect.h"

#define ADDR "0x%0*llx"

const char *vs_rights_str(uint8_t rights, char buf[4])
{
    buf[0] = (rights & VS_RIGHT_READ) ? 'r' : '-';
    buf[1] = (rights & VS_RIGHT_WRITE) ? 'w' : '-';
    buf[2] = (rights & VS_RIGHT_EXEC) ? 'x' : '-';
    buf[3] = '\0';
    return buf;
}

static int addr_width(const vs_space *vs)
{
    return vs_get_arch(vs)->word_bits / 4;
}

static void report_reservations(FILE *f, const vs_space *vs, const ins_space *s)
{
    int w = addr_width(vs);
    uint64_t pages = 0;
    uint64_t mapped = 0;
    for (size_t i = 0; i < s->nres; i++) {
        pages += (s->res[i].info.end - s->res[i].info.start) >> 12;
        mapped += s->res[i].info.mapped_pages;
    }
    fprintf(f, "Reservations: %zu, %llu pages reserved, %llu of them mapped\n", s->nres, (unsigned long long)pages,
            (unsigned long long)mapped);
    fprintf(f, "  %-*s  %-*s  %8s  %8s  %-6s  %s\n", w + 2, "start", w + 2, "end", "pages", "mapped", "rights", "name");
    for (size_t i = 0; i < s->nres; i++) {
        const vs_reservation_info *r = &s->res[i].info;
        char rights[4];
        fprintf(f, "  " ADDR "  " ADDR "  %8llu  %8llu  %-6s  %s\n", w, (unsigned long long)r->start, w,
                (unsigned long long)r->end, (unsigned long long)((r->end - r->start) >> 12),
                (unsigned long long)r->mapped_pages, vs_rights_str(r->rights, rights), r->name);
    }
}

static void report_runs(FILE *f, const vs_space *vs, const ins_space *s)
{
    int w = addr_width(vs);
    fprintf(f, "Mapped runs: %zu (contiguous pages of one size in one reservation)\n", s->nruns);
    fprintf(f, "  %-*s  %-*s  %8s  %-8s  %-6s  %s\n", w + 2, "start", w + 2, "end", "pages", "page", "rights",
            "reservation");
    for (size_t i = 0; i < s->nruns; i++) {
        const vs_mapped_run *r = &s->runs[i];
        const ins_res *res = ins_res_of(s, r);
        char rights[4];
        char size[24];
        fprintf(f, "  " ADDR "  " ADDR "  %8llu  %-8s  %-6s  %s\n", w, (unsigned long long)r->start, w,
                (unsigned long long)r->end, (unsigned long long)r->pages,
                ins_size_str((uint64_t)1 << r->size_bits, size, sizeof size),
                res != NULL ? vs_rights_str(r->rights, rights) : "???",
                res != NULL ? res->info.name : "(NO RESERVATION)");
    }
}

static void report_tables(FILE *f, const vs_space *vs, const ins_space *s)
{
    int w = addr_width(vs);
    fprintf(f, "Paging structures (%s): %zu; entries EMPTY / RESERVED / MAPPED\n", vs_get_arch(vs)->name, s->ntables);
    fprintf(f, "  %5s  %-6s  %-*s  %-10s  %7s  %7s  %8s  %7s\n", "level", "table", w + 2, "translates", "span",
            "entries", "empty", "reserved", "mapped");
    for (size_t i = 0; i < s->ntables; i++) {
        const vs_table_occupancy *t = &s->tables[i];
        char span[24];
        fprintf(f, "  %5u  %-6s  " ADDR "  %-10s  %7u  %7u  %8u  %7u\n", t->level, t->name, w,
                (unsigned long long)t->vaddr, ins_size_str(t->span, span, sizeof span), t->entries, t->empty,
                t->reserved, t->mapped);
    }
}

static const char *check_names(unsigned checks, char *buf, size_t cap)
{
    static const char *const names[] = {"bookkeeping (I1, I3)", "frame addresses (I2)",
                                        "each mapping vs kernel translation (I2)",
                                        "kernel mappings unknown to the shadow (I2)"};
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (checks & (1u << i)) {
            int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", names[i]);
            used += n > 0 && (size_t)n < cap - used ? (size_t)n : 0;
        }
    }
    return used ? buf : "none";
}

static const char *finding_name(const vs_discrepancy *d)
{
    return d->kind == VS_AUDIT_BOOKKEEPING ? vs_violation_kind_name((vs_violation_kind)d->violation)
                                           : vs_audit_kind_name(d->kind);
}

/* Findings grouped by invariant and kind, then in address order. */
static int finding_cmp(const void *pa, const void *pb)
{
    const vs_discrepancy *a = pa;
    const vs_discrepancy *b = pb;
    if (a->invariant != b->invariant) {
        return a->invariant < b->invariant ? -1 : 1;
    }
    if (a->kind != b->kind) {
        return a->kind < b->kind ? -1 : 1;
    }
    if (a->violation != b->violation) {
        return a->violation < b->violation ? -1 : 1;
    }
    return a->vaddr < b->vaddr ? -1 : a->vaddr > b->vaddr;
}

/* Discrepancies on consecutive pages with the same finding are one line. */
static size_t fold(const vs_discrepancy *items, size_t count, size_t i)
{
    const vs_discrepancy *d = &items[i];
    size_t j = i + 1;
    while (j < count && items[j].kind == d->kind && items[j].violation == d->violation &&
           items[j].vaddr == items[j - 1].vaddr + 4096 && items[j].what == d->what &&
           (d->kind == VS_AUDIT_BOOKKEEPING || items[j].expected == d->expected)) {
        j++;
    }
    return j;
}

void vs_report_audit(FILE *f, const vs_audit_result *a)
{
    const vs_audit_summary *s = &a->summary;
    char buf[256];
    if (a->result == VS_OK) {
        fprintf(f, "Audit: CLEAN -- reservations, shadow tables and kernel page tables agree\n");
    } else if (a->result == VS_ERR_INCONSISTENT) {
        fprintf(f, "Audit: %zu DISCREPANCIES (I1: %zu, I2: %zu, I3: %zu)\n", s->discrepancies, s->per_invariant[1],
                s->per_invariant[2], s->per_invariant[3]);
    } else {
        fprintf(f, "Audit: could not run: %s\n", vs_strerror(a->result));
    }
    fprintf(f, "  pages reserved (through the reservations):   %llu in %zu reservations\n",
            (unsigned long long)s->reserved_pages, s->reservations);
    fprintf(f, "  pages mapped   (through the shadow tables):  %llu, %llu of them outside every reservation\n",
            (unsigned long long)s->mapped_pages, (unsigned long long)s->mapped_outside);
    fprintf(f, "  pages mapped   (reservations' own counts):   %llu\n", (unsigned long long)s->mapped_in_reservations);
    if (s->checks_run & VS_AUDIT_CHECK_UNKNOWN) {
        fprintf(f, "  pages mapped   (kernel page tables, MMU walk): %llu (%llu translations)\n",
                (unsigned long long)s->kernel_pages, (unsigned long long)s->kernel_probes);
    }
    fprintf(f, "  checks run: %s\n", check_names(s->checks_run, buf, sizeof buf));
    if (s->checks_skipped) {
        fprintf(f, "  checks NOT run: %s: %s\n", check_names(s->checks_skipped, buf, sizeof buf), s->skipped_why);
    }
    vs_discrepancy *items = a->count ? malloc(a->count * sizeof *items) : NULL;
    if (items != NULL) {
        memcpy(items, a->items, a->count * sizeof *items);
        qsort(items, a->count, sizeof *items, finding_cmp);
    }
    const vs_discrepancy *list = items != NULL ? items : a->items;
    for (size_t i = 0; i < a->count;) {
        size_t j = fold(list, a->count, i);
        const vs_discrepancy *d = &list[i];
        if (j - i > 1) {
            fprintf(f, "  I%u %s at 0x%llx-0x%llx (%zu pages): %s\n", d->invariant, finding_name(d),
                    (unsigned long long)d->vaddr, (unsigned long long)list[j - 1].vaddr + 4096, j - i, d->what);
        } else if (d->kind == VS_AUDIT_BOOKKEEPING &&
                   (d->violation == VS_V_PAGE_COUNT || d->violation == VS_V_MAPPED_COUNT ||
                    d->violation == VS_V_ACCOUNTING)) {
            fprintf(f, "  I%u %s at 0x%llx: %s (expected %llu, found %llu)\n", d->invariant, finding_name(d),
                    (unsigned long long)d->vaddr, d->what, (unsigned long long)d->expected,
                    (unsigned long long)d->found);
        } else {
            fprintf(f, "  I%u %s at 0x%llx: %s (expected 0x%llx, found 0x%llx)\n", d->invariant, finding_name(d),
                    (unsigned long long)d->vaddr, d->what, (unsigned long long)d->expected,
                    (unsigned long long)d->found);
        }
        i = j;
    }
    free(items);
    if (a->truncated) {
        fprintf(f, "  (more discrepancies were found than memory allowed to keep)\n");
    }
}

int vs_report_text(FILE *f, const vs_space *vs, const vs_audit_result *audit)
{
    ins_space s;
    if (ins_collect(vs, &s, 1) != 0) {
        return -1;
    }
    report_reservations(f, vs, &s);
    fprintf(f, "\n");
    report_runs(f, vs, &s);
    fprintf(f, "\n");
    report_tables(f, vs, &s);
    ins_free(&s);
    if (audit != NULL) {
        fprintf(f, "\n");
        vs_report_audit(f, audit);
    }
    return 0;
}
