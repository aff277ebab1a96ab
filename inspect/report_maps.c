/* The /proc/PID/maps-style listing (report.h). */
#include <vs/report.h>

#include "collect.h"

static void line(FILE *f, int w, vs_addr start, vs_addr end, uint8_t rights, const char *name)
{
    char perms[4];
    fprintf(f, "%0*llx-%0*llx %sp 00000000 00:00 0%*s%s\n", w, (unsigned long long)start, w, (unsigned long long)end,
            vs_rights_str(rights, perms), 10, "", name);
}

int vs_report_maps(FILE *f, const vs_space *vs)
{
    ins_space s;
    if (ins_collect(vs, &s, 0) != 0) {
        return -1;
    }
    int w = vs_get_arch(vs)->word_bits / 4;
    size_t r = 0;
    for (size_t i = 0; i <= s.nruns; i++) {
        vs_addr next = i < s.nruns ? s.runs[i].start : ~(vs_addr)0;
        for (; r < s.nres && s.res[r].info.start <= next; r++) {
            const vs_reservation_info *info = &s.res[r].info;
            line(f, w, info->start, info->end, info->rights, info->name[0] ? info->name : "[anonymous]");
        }
        if (i < s.nruns && s.runs[i].res == NULL) {
            line(f, w, s.runs[i].start, s.runs[i].end, 0, "[no reservation]");
        }
    }
    ins_free(&s);
    return 0;
}
