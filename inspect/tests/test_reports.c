/* Writes every report of a process-like child vspace on the simulated seL4
 * to files for check_reports.py (JSON against the schema, SVG parsed and
 * rendered): `test_reports ARCH clean|orphans OUTDIR`. With `orphans`, the
 * ".data" reservation is dropped from the tree with its pages mapped (the
 * seed's bug), so the reports must show pages outside every reservation.
 * Checks here: the maps listing's format and line count. */
#include <stdio.h>
#include <string.h>

#include <vs/report.h>

#include "be_fixture.h"
#include "internal.h"

static vs_reservation *reserve_at(vs_space *vs, vs_addr va, uint64_t pages, const char *name, uint8_t rights)
{
    vs_attrs a = {name, rights, VS_CACHE_DEFAULT};
    vs_reservation *r = NULL;
    CHECK_RES(vs_reserve_at(vs, va, pages * PAGE_SIZE, &a, &r), VS_OK);
    return r;
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
    }
    return f;
}

static size_t check_maps(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t lines = 0;
    char line[256];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        unsigned long long start = 0;
        unsigned long long end = 0;
        char perms[8];
        char off[16];
        char dev[16];
        int inode = -1;
        char name[64];
        int n = sscanf(line, "%llx-%llx %7s %15s %15s %d %63s", &start, &end, perms, off, dev, &inode, name);
        CHECK(n == 7 && start < end && strlen(perms) == 4 && perms[3] == 'p' && strcmp(dev, "00:00") == 0);
        lines++;
    }
    if (f != NULL) {
        fclose(f);
    }
    return lines;
}

int main(int argc, char **argv)
{
    if (argc != 4 || vs_arch_by_name(argv[1]) == NULL) {
        fprintf(stderr, "usage: %s ARCH clean|orphans OUTDIR\n", argv[0]);
        return 2;
    }
    const vs_arch *arch = vs_arch_by_name(argv[1]);
    int orphans = strcmp(argv[2], "orphans") == 0;
    static char ctx[64];
    snprintf(ctx, sizeof ctx, "reports/%s/%s", arch->name, argv[2]);
    test_context = ctx;
    be_fx fx;
    be_fx_init(&fx, arch->id, 256ull << 20);
    be_child c;
    CHECK(be_child_create(&fx, &c, 0, 0) == 0);
    vs_space *vs = c.vs;
    reserve_at(vs, 0x400000, 12, ".text", VS_RIGHT_READ | VS_RIGHT_EXEC);
    reserve_at(vs, 0x40c000, 3, ".rodata", VS_RIGHT_READ);
    vs_reservation *data = reserve_at(vs, 0x410000, 6, ".data", VS_RIGHT_READ | VS_RIGHT_WRITE);
    CHECK_RES(vs_map_new(vs, 0x400000, 12, 12), VS_OK);
    CHECK_RES(vs_map_new(vs, 0x40c000, 3, 12), VS_OK);
    CHECK_RES(vs_map_new(vs, 0x410000, 6, 12), VS_OK);
    vs_addr top = (arch->user_end - (1u << 20)) & ~(vs_addr)((1u << 20) - 1);
    reserve_at(vs, top - 17 * PAGE_SIZE, 17, "stack", VS_RIGHT_READ | VS_RIGHT_WRITE);
    CHECK_RES(vs_map_new(vs, top - 16 * PAGE_SIZE, 16, 12), VS_OK);
    reserve_at(vs, top + PAGE_SIZE, 1, "ipc-buffer", VS_RIGHT_READ | VS_RIGHT_WRITE);
    CHECK_RES(vs_map_new(vs, top + PAGE_SIZE, 1, 12), VS_OK);
    if (orphans) {
        res_node *orphaned = handles_resolve(&vs->handles, data);
        restree_remove(&vs->tree, orphaned, restree_leaf_of(&vs->tree, orphaned));
    }

    vs_audit_result audit;
    vs_result r = vs_audit_collect(vs, &audit);
    CHECK_RES(r, orphans ? VS_ERR_INCONSISTENT : VS_OK);
    CHECK_EQ_U(audit.summary.mapped_outside, orphans ? 6 : 0);
    const char *dir = argv[3];
    FILE *f = open_out(dir, "report.txt");
    CHECK(f != NULL && vs_report_text(f, vs, &audit) == 0);
    fclose(f);
    f = open_out(dir, "maps.txt");
    CHECK(f != NULL && vs_report_maps(f, vs) == 0);
    fclose(f);
    char path[512];
    snprintf(path, sizeof path, "%s/maps.txt", dir);
    CHECK_EQ_U(check_maps(path), 5);
    f = open_out(dir, "report.json");
    fprintf(f, "{\"tool\": \"vspace\", \"command\": \"report\", \"arch\": \"%s\"", arch->name);
    CHECK(vs_report_json_members(f, vs, &audit) == 0);
    fprintf(f, "\n}\n");
    fclose(f);
    f = open_out(dir, "picture.svg");
    vs_svg_opts opts = {"test child", arch->user_top, arch->word_bits == 32 ? 1ull << 32 : 1ull << 48};
    CHECK(f != NULL && vs_report_svg(f, vs, &opts) == 0);
    fclose(f);
    vs_audit_result_free(&audit);

    if (orphans) {
        CHECK_RES(restree_prepare(&vs->tree, handles_resolve(&vs->handles, data)->start, NULL), VS_OK);
        restree_insert(&vs->tree, handles_resolve(&vs->handles, data));
    }
    be_child_destroy(&fx, &c, 0);
    be_fx_fini(&fx);
    return test_summary("inspect_reports");
}
