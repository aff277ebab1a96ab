/* Test driver for the elf/ layer, read by the Python checkers:
 *   elf_tool parse FILE...        one line per file: the parse, field by field
 *   elf_tool load [--large-pages] DIR FILE...
 *                                 loads each file on the simulated machine of
 *                                 its architecture (with VS_ELF_LOAD_LARGE_PAGES)
 *                                 and dumps every mapped base page of the child,
 *                                 read back through the MMU walk: DIR/N.txt
 *                                 (layout, page sizes) and DIR/N.bin (bytes)
 *   elf_tool refuse CODE FILE     parse + load must fail with CODE (a
 *                                 vs_elf_error name) and change no vspace
 * Exit status: 0 if every check held, 1 otherwise, 2 on usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vs/walk.h>

#include "elf_sim.h"

enum { SIM_MEM = 512u << 20 };

static int parse_cmd(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        size_t size = 0;
        void *data = elf_read_file(argv[i], &size);
        if (data == NULL) {
            printf("%s\tIOERR\n", argv[i]);
            continue;
        }
        vs_elf_image img;
        vs_elf_diag d;
        vs_elf_error e = vs_elf_parse(data, size, NULL, &img, &d);
        if (e != VS_ELF_OK) {
            printf("%s\tERR\t%s\t%s\n", argv[i], vs_elf_error_name(e), d.message);
            free(data);
            continue;
        }
        printf("%s\tOK\tarch=%s class=%u type=%u machine=%u version=%u entry=%#llx phoff=%llu shoff=%llu flags=%#x "
               "ehsize=%u phentsize=%u phnum=%u shentsize=%u shnum=%u shstrndx=%u interp=%s stack_exec=%d",
               argv[i], img.arch->name, img.elf_class, img.type, img.machine, img.version,
               (unsigned long long)img.entry, (unsigned long long)img.phoff, (unsigned long long)img.shoff, img.flags,
               img.ehsize, img.phentsize, img.phnum, img.shentsize, img.shnum, img.shstrndx,
               img.interp != NULL ? img.interp : "-", img.stack_exec);
        for (unsigned k = 0; k < img.phnum; k++) {
            vs_elf_phdr ph;
            vs_elf_get_phdr(&img, k, &ph);
            printf(" ph=%#x,%#llx,%#llx,%#llx,%#llx,%#llx,%#x,%#llx", ph.type, (unsigned long long)ph.offset,
                   (unsigned long long)ph.vaddr, (unsigned long long)ph.paddr, (unsigned long long)ph.filesz,
                   (unsigned long long)ph.memsz, ph.flags, (unsigned long long)ph.align);
        }
        printf("\n");
        free(data);
    }
    return 0;
}

typedef struct dump_ctx {
    FILE *txt, *bin;
    vs_cap root;
    int bad;
} dump_ctx;

/* Every base page of the mapping, read through the MMU: its address, the
 * reservation's rights, the MMU's rights, the page size the shadow and
 * the MMU each say maps it, then its bytes in the .bin file. */
static int dump_page(void *ctx, const vs_mapping *m)
{
    dump_ctx *c = ctx;
    for (vs_addr va = m->vaddr; va - m->vaddr < ((vs_addr)1 << m->size_bits); va += 4096) {
        sel4sim_translation t;
        unsigned char page[4096];
        if (sel4sim_translate((seL4_CPtr)c->root, (seL4_Word)va, &t) != seL4_NoError || !t.found ||
            sel4sim_vs_read(c->root, va, page, sizeof page) != 0) {
            fprintf(stderr, "page %#llx: not readable through the MMU\n", (unsigned long long)va);
            c->bad = 1;
            memset(page, 0xee, sizeof page);
            t.read = t.write = t.exec = 0;
            t.size_bits = 0;
        }
        fprintf(c->txt, "page %#llx %u %d%d%d %u %u\n", (unsigned long long)va, m->rights, t.read, t.write, t.exec,
                m->size_bits, t.size_bits);
        fwrite(page, 1, sizeof page, c->bin);
    }
    return 0;
}

typedef struct res_dump {
    FILE *txt;
    const vs_space *vs;
} res_dump;

static int dump_res(void *ctx, const vs_reservation *res)
{
    const res_dump *d = ctx;
    vs_reservation_info info;
    vs_reservation_get_info(d->vs, res, &info);
    fprintf(d->txt, "res %#llx %#llx %u %s\n", (unsigned long long)info.start, (unsigned long long)info.end,
            info.rights, info.name);
    return 0;
}

static int dump(elf_sim *s, const vs_elf_loaded *ld, const char *dir, int n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%d.txt", dir, n);
    dump_ctx c = {fopen(path, "w"), NULL, s->child.root.cap, 0};
    snprintf(path, sizeof path, "%s/%d.bin", dir, n);
    c.bin = fopen(path, "wb");
    if (c.txt == NULL || c.bin == NULL) {
        perror(path);
        exit(2);
    }
    fprintf(c.txt, "base %#llx\nentry %#llx\nphdr %#llx\n", (unsigned long long)ld->plan.base,
            (unsigned long long)ld->plan.entry, (unsigned long long)ld->plan.phdr);
    res_dump rd = {c.txt, s->child.vs};
    vs_for_each_reservation(s->child.vs, dump_res, &rd);
    vs_walk_pages(s->child.vs, dump_page, &c);
    fclose(c.txt);
    fclose(c.bin);
    return c.bad;
}

static int load_cmd(const char *dir, int argc, char **argv, const vs_elf_load_opts *opts)
{
    elf_sim s = {0};
    int arch = -1, bad = 0;
    for (int i = 0; i < argc; i++) {
        size_t size = 0;
        void *data = elf_read_file(argv[i], &size);
        vs_elf_image img;
        vs_elf_diag d;
        vs_elf_error e = data != NULL ? vs_elf_parse(data, size, NULL, &img, &d) : VS_ELF_ERR_EMPTY;
        if (e != VS_ELF_OK) {
            printf("%s\tERR\t%s\t%s\n", argv[i], vs_elf_error_name(e), data != NULL ? d.message : "unreadable");
            free(data);
            bad = 1;
            continue;
        }
        if ((int)img.arch->id != arch) {
            elf_sim_down(&s);
            elf_sim_up(&s, img.arch->id, SIM_MEM);
            arch = (int)img.arch->id;
        }
        vs_frame_access fa = elf_sim_access(&s);
        vs_elf_loaded ld;
        e = vs_elf_load(s.child.vs, &img, opts, &fa, &ld, &d);
        if (e != VS_ELF_OK) {
            printf("%s\tERR\t%s\t%s\n", argv[i], vs_elf_error_name(e), d.message);
            bad = 1;
        } else {
            size_t violations = 0;
            if (vs_check(s.child.vs, NULL, NULL, &violations) != VS_OK) {
                fprintf(stderr, "%s: vs_check found %zu violations after the load\n", argv[i], violations);
                bad = 1;
            }
            /* The loader's temporary runs are gone: only the boot layout is reserved. */
            vs_stats st;
            vs_get_stats(s.fx.root_vs, &st);
            if (st.mapped_pages != 0) {
                fprintf(stderr, "%s: %llu pages still mapped in the root task\n", argv[i],
                        (unsigned long long)st.mapped_pages);
                bad = 1;
            }
            bad |= dump(&s, &ld, dir, i);
            printf("%s\tOK\t%d\t%s\n", argv[i], i, img.arch->name);
        }
        elf_sim_new_child(&s);
        free(data);
    }
    elf_sim_down(&s);
    return bad || test_failures != 0;
}

/* Everything a failed call must leave as it was. */
typedef struct snap {
    be_acct acct;
    size_t live_bytes;
    vs_stats child, root;
} snap;

static void take(elf_sim *s, snap *p)
{
    memset(p, 0, sizeof *p);
    be_acct_take(s->fx.bi, &p->acct);
    p->live_bytes = s->fx.ta.live_bytes;
    vs_get_stats(s->child.vs, &p->child);
    vs_get_stats(s->fx.root_vs, &p->root);
}

static int refuse_cmd(const char *want, const char *path)
{
    size_t size = 0;
    void *data = elf_read_file(path, &size);
    if (data == NULL && strcmp(want, "VS_ELF_ERR_EMPTY") != 0) {
        perror(path);
        return 2;
    }
    elf_sim s = {0};
    elf_sim_up(&s, VS_ARCH_X86_64, 64u << 20);
    snap before, after;
    take(&s, &before);
    vs_elf_image img;
    vs_elf_diag d;
    vs_elf_error e = vs_elf_parse(data, size, NULL, &img, &d);
    if (e == VS_ELF_OK) {
        vs_frame_access fa = elf_sim_access(&s);
        vs_elf_loaded ld;
        e = vs_elf_load(s.child.vs, &img, NULL, &fa, &ld, &d);
    }
    take(&s, &after);
    int bad = 0;
    if (strcmp(vs_elf_error_name(e), want) != 0) {
        fprintf(stderr, "%s: got %s (%s), want %s\n", path, vs_elf_error_name(e), d.message, want);
        bad = 1;
    } else if (d.code != e || d.message[0] == '\0') {
        fprintf(stderr, "%s: diag not filled\n", path);
        bad = 1;
    }
    if (be_acct_compare(&before.acct, &after.acct, path) || before.live_bytes != after.live_bytes ||
        memcmp(&before.child, &after.child, sizeof before.child) != 0 ||
        memcmp(&before.root, &after.root, sizeof before.root) != 0) {
        fprintf(stderr, "%s: a vspace or the accounting changed\n", path);
        bad = 1;
    }
    printf("%s\t%s\t%s\n", path, vs_elf_error_name(e), d.message);
    elf_sim_down(&s);
    free(data);
    return bad || test_failures != 0;
}

int main(int argc, char **argv)
{
    test_context = "elf_tool";
    if (argc >= 2 && strcmp(argv[1], "parse") == 0) {
        return parse_cmd(argc - 2, argv + 2);
    }
    if (argc >= 4 && strcmp(argv[1], "load") == 0 && strcmp(argv[2], "--large-pages") == 0) {
        vs_elf_load_opts large = {VS_ELF_LOAD_LARGE_PAGES, 0};
        return load_cmd(argv[3], argc - 4, argv + 4, &large);
    }
    if (argc >= 3 && strcmp(argv[1], "load") == 0) {
        return load_cmd(argv[2], argc - 3, argv + 3, NULL);
    }
    if (argc == 4 && strcmp(argv[1], "refuse") == 0) {
        return refuse_cmd(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: elf_tool parse FILE... | load [--large-pages] DIR FILE... | refuse CODE FILE\n");
    return 2;
}
