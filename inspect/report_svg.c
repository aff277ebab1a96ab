#define _POSIX_C_SOURCE 200809L /* open_memstream */
/* The SVG picture of an address space (report.h). One row per reservation
 * (and per run of pages outside every reservation), in address order; the
 * bar of a row is the reservation's own range, drawn linearly, so its
 * mapped runs show where they are inside it; the space between two rows is
 * folded into a thin row that states its size. */
#include <stdlib.h>
#include <string.h>

#include <vs/report.h>

#include "collect.h"

enum { WIDTH = 1240, BAR_X = 600, BAR_W = 620, ROW_H = 32, GAP_H = 18, TOP = 44 };

typedef struct svg {
    FILE *f;
    int y;
    int word_hex; /* hex digits of an address */
} svg;

static const char *colour_of(uint8_t rights, int orphan)
{
    if (orphan) {
        return "#d62728";
    }
    switch (rights & VS_RIGHTS_ALL) {
    case VS_RIGHT_READ | VS_RIGHT_EXEC:
        return "#1f77b4";
    case VS_RIGHT_READ | VS_RIGHT_WRITE:
        return "#2ca02c";
    case VS_RIGHT_READ:
        return "#ff7f0e";
    case VS_RIGHTS_ALL:
        return "#9467bd";
    default:
        return "#8c564b";
    }
}

static void text(svg *s, int x, int y, const char *style, const char *str)
{
    fprintf(s->f, "<text x=\"%d\" y=\"%d\" %s>", x, y, style);
    for (const char *p = str; *p; p++) {
        switch (*p) {
        case '<':
            fputs("&lt;", s->f);
            break;
        case '>':
            fputs("&gt;", s->f);
            break;
        case '&':
            fputs("&amp;", s->f);
            break;
        case '"':
            fputs("&quot;", s->f);
            break;
        default:
            fputc((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f ? *p : '?', s->f);
        }
    }
    fputs("</text>\n", s->f);
}

static void gap_row(svg *s, vs_addr from, vs_addr to, const char *what)
{
    if (to <= from) {
        return;
    }
    char size[32];
    char line[128];
    snprintf(line, sizeof line, "... %s %s (0x%llx-0x%llx) folded ...", ins_size_str(to - from, size, sizeof size),
             what, (unsigned long long)from, (unsigned long long)to);
    fprintf(s->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbbbbb\" stroke-dasharray=\"4 3\"/>\n",
            BAR_X, s->y + GAP_H / 2, BAR_X + BAR_W, s->y + GAP_H / 2);
    text(s, BAR_X + 8, s->y + GAP_H / 2 + 4, "class=\"gap\"", line);
    s->y += GAP_H;
}

/* x of address a inside [start, end) drawn over the bar. */
static double x_of(vs_addr a, vs_addr start, vs_addr end)
{
    return BAR_X + (double)(a - start) / (double)(end - start) * BAR_W;
}

static void run_rect(svg *s, const vs_mapped_run *r, vs_addr start, vs_addr end, int orphan)
{
    double x0 = x_of(r->start, start, end);
    double x1 = x_of(r->end, start, end);
    double w = x1 - x0 < 1.0 ? 1.0 : x1 - x0;
    fprintf(s->f,
            "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\"><title>0x%llx-0x%llx %llu "
            "pages</title></rect>\n",
            x0, s->y + 4, w, ROW_H - 10, colour_of(r->rights, orphan), (unsigned long long)r->start,
            (unsigned long long)r->end, (unsigned long long)((r->end - r->start) >> 12));
}

static void labels(svg *s, const char *name, vs_addr start, vs_addr end, const char *detail)
{
    char line[160];
    text(s, 10, s->y + 13, "class=\"name\"", name);
    snprintf(line, sizeof line, "0x%0*llx-0x%0*llx %s", s->word_hex, (unsigned long long)start, s->word_hex,
             (unsigned long long)end, detail);
    text(s, 10, s->y + 25, "class=\"detail\"", line);
}

static void reservation_row(svg *s, const ins_space *sp, size_t ri, size_t *run)
{
    const vs_reservation_info *r = &sp->res[ri].info;
    char rights[4];
    char size[32];
    char detail[96];
    uint64_t pages = (r->end - r->start) >> 12;
    snprintf(detail, sizeof detail, "%s, %llu pages, %llu mapped", vs_rights_str(r->rights, rights),
             (unsigned long long)pages, (unsigned long long)r->mapped_pages);
    labels(s, r->name[0] ? r->name : "(unnamed)", r->start, r->end, detail);
    (void)size;
    /* A reservation with no rights can never hold a mapping (the kernel's
     * top of the address space): grey, like the kernel window. */
    fprintf(s->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#555555\"/>\n", BAR_X,
            s->y + 4, BAR_W, ROW_H - 10, r->rights == 0 ? "#999999" : "#f4f4f4");
    int first_mapped = 0;
    for (; *run < sp->nruns && sp->runs[*run].start < r->end; (*run)++) {
        const vs_mapped_run *m = &sp->runs[*run];
        if (m->res == NULL) {
            break; /* an orphan run: its own row */
        }
        first_mapped |= m->start == r->start;
        run_rect(s, m, r->start, r->end, 0);
    }
    if (!first_mapped && strstr(r->name, "stack") != NULL && pages > 1) {
        double w = x_of(r->start + 4096, r->start, r->end) - BAR_X;
        w = w < 4 ? 4 : w;
        fprintf(
            s->f,
            "<rect x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"url(#guard)\" stroke=\"#000000\"><title>guard "
            "page 0x%llx</title></rect>\n",
            BAR_X, s->y + 4, w, ROW_H - 10, (unsigned long long)r->start);
        text(s, BAR_X + (int)w + 3, s->y + 17, "class=\"detail\"", "guard");
    }
    s->y += ROW_H;
}

static void orphan_row(svg *s, const vs_mapped_run *m)
{
    char size[32];
    char detail[96];
    snprintf(detail, sizeof detail, "%llu pages of %s MAPPED IN NO RESERVATION", (unsigned long long)m->pages,
             ins_size_str((uint64_t)1 << m->size_bits, size, sizeof size));
    labels(s, "(no reservation)", m->start, m->end, detail);
    run_rect(s, m, m->start, m->end, 1);
    s->y += ROW_H;
}

static void kernel_row(svg *s, vs_addr start, vs_addr end)
{
    labels(s, "kernel window", start, end, "the kernel's; never user-mapped");
    fprintf(s->f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#999999\"/>\n", BAR_X, s->y + 4, BAR_W,
            ROW_H - 10);
    s->y += ROW_H;
}

static void legend(svg *s)
{
    static const struct {
        uint8_t rights;
        int orphan;
        const char *label;
    } items[] = {{VS_RIGHT_READ | VS_RIGHT_EXEC, 0, "mapped r-x"},
                 {VS_RIGHT_READ | VS_RIGHT_WRITE, 0, "mapped rw-"},
                 {VS_RIGHT_READ, 0, "mapped r--"},
                 {VS_RIGHTS_ALL, 0, "mapped rwx"},
                 {0, 1, "mapped, no reservation"}};
    int x = 10;
    s->y += 10;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        fprintf(s->f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", x, s->y,
                colour_of(items[i].rights, items[i].orphan));
        text(s, x + 18, s->y + 12, "class=\"detail\"", items[i].label);
        x += 200;
    }
    fprintf(s->f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"#f4f4f4\" stroke=\"#555555\"/>\n", x,
            s->y);
    text(s, x + 18, s->y + 12, "class=\"detail\"", "reserved, unmapped");
    s->y += 24;
}

int vs_report_svg(FILE *f, const vs_space *vs, const vs_svg_opts *opts)
{
    ins_space sp;
    if (ins_collect(vs, &sp, 0) != 0) {
        return -1;
    }
    /* The picture is written to a temporary stream first: its height is
     * known only at the end. */
    char *body = NULL;
    size_t body_len = 0;
    FILE *mem = open_memstream(&body, &body_len);
    if (mem == NULL) {
        ins_free(&sp);
        return -1;
    }
    svg s = {mem, TOP, vs_get_arch(vs)->word_bits / 4};
    vs_addr base;
    vs_addr end;
    vs_get_range(vs, &base, &end);
    vs_addr at = 0;
    size_t run = 0;
    size_t ri = 0;
    for (;;) {
        while (run < sp.nruns && sp.runs[run].res != NULL &&
               (ri >= sp.nres || sp.runs[run].start < sp.res[ri].info.start)) {
            run++; /* a run inside a reservation already drawn */
        }
        int take_orphan = run < sp.nruns && (ri >= sp.nres || sp.runs[run].start < sp.res[ri].info.start);
        if (take_orphan) {
            gap_row(&s, at, sp.runs[run].start, "unreserved");
            orphan_row(&s, &sp.runs[run]);
            at = sp.runs[run].end;
            run++;
        } else if (ri < sp.nres) {
            gap_row(&s, at, sp.res[ri].info.start, "unreserved");
            reservation_row(&s, &sp, ri, &run);
            at = sp.res[ri].info.end;
            ri++;
        } else {
            break;
        }
    }
    if (opts != NULL && opts->kernel_end > opts->kernel_start) {
        gap_row(&s, at, opts->kernel_start, "unreserved");
        kernel_row(&s, opts->kernel_start, opts->kernel_end);
    } else {
        gap_row(&s, at, end, "unreserved");
    }
    legend(&s);
    fclose(mem);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"monospace\">\n",
            WIDTH, s.y + 10, WIDTH, s.y + 10);
    fprintf(f, "<defs><pattern id=\"guard\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
               "<path d=\"M0,6 L6,0\" stroke=\"#000000\" stroke-width=\"1\"/></pattern>\n"
               "<style>.name{font-size:13px;font-weight:bold} .detail{font-size:11px} "
               ".gap{font-size:10px;fill:#777777} .title{font-size:16px;font-weight:bold}</style></defs>\n");
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", WIDTH, s.y + 10);
    svg head = {f, 0, s.word_hex};
    char title[200];
    snprintf(title, sizeof title, "%s (%s): %zu reservations; the space between rows is folded",
             opts != NULL && opts->title != NULL ? opts->title : "address space", vs_get_arch(vs)->name, sp.nres);
    text(&head, 10, 24, "class=\"title\"", title);
    fwrite(body, 1, body_len, f);
    fprintf(f, "</svg>\n");
    free(body);
    ins_free(&sp);
    return 0;
}
