/* vs_audit with every discrepancy kept in a host array (report.h). */
#include <stdlib.h>
#include <string.h>

#include <vs/report.h>

static void keep(void *ctx, const vs_discrepancy *d)
{
    vs_audit_result *r = ctx;
    if (r->truncated) {
        return;
    }
    if (r->count == r->capacity) {
        size_t cap = r->capacity ? 2 * r->capacity : 64;
        vs_discrepancy *p = realloc(r->items, cap * sizeof *p);
        if (p == NULL) {
            r->truncated = 1;
            return;
        }
        r->items = p;
        r->capacity = cap;
    }
    r->items[r->count++] = *d;
}

vs_result vs_audit_collect(const vs_space *vs, vs_audit_result *out)
{
    memset(out, 0, sizeof *out);
    out->result = vs_audit(vs, keep, out, &out->summary);
    return out->result;
}

void vs_audit_result_free(vs_audit_result *r)
{
    free(r->items);
    memset(r, 0, sizeof *r);
}
