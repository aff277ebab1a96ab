/* `vspace inspect [--json] [--arch A] ELF`: what the loader would make of
 * an image (segments, reservations, pages, warnings) without loading it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vs/elf.h>
#include <vs/report.h>

#include "cli.h"

static void inspect_help(void)
{
    printf("Usage: vspace inspect [--json] [--arch A] ELF\n\n"
           "Parses ELF as the loader does and prints what loading it would make,\n"
           "without loading it: the header, every program header, the reservations\n"
           "(one per region of pages, named after what they hold, with their rights),\n"
           "the pages mapped, the entry point and AT_PHDR, and every warning.\n\n"
           "  --json     one JSON document instead of text\n"
           "  --arch A   require architecture A (ia32, x86_64, aarch32, aarch64, riscv32, riscv64)\n"
           "  --help     this text\n\n"
           "Exit status: 0 the image would load; 2 it would not (malformed, unsupported\n"
           "architecture, dynamically linked, ...), with the file, the field and the reason\n"
           "on stderr, or a usage error.\n");
}

/* The type's name, or for a type the elf layer does not name, its value
 * in hex in `buf` (text) / "OTHER" (JSON, which carries the value apart). */
static const char *phdr_type_text(const vs_elf_image *img, uint32_t type, char buf[11])
{
    const char *name = vs_elf_segment_type_name(type, img->machine);
    if (name == NULL) {
        snprintf(buf, 11, "0x%08x", (unsigned)type);
        name = buf;
    }
    return name;
}

static void flags_str(uint32_t f, char out[4])
{
    out[0] = (f & VS_PF_R) ? 'R' : '-';
    out[1] = (f & VS_PF_W) ? 'W' : '-';
    out[2] = (f & VS_PF_X) ? 'X' : '-';
    out[3] = '\0';
}

static void print_text(const char *path, const vs_elf_image *img, const vs_elf_plan *plan)
{
    printf("%s: ELF%u %s, %s, entry 0x%llx, %u program headers\n", path, img->elf_class == 1 ? 32 : 64,
           img->type == VS_ET_EXEC ? "executable (ET_EXEC)" : "position-independent (ET_DYN)", img->arch->name,
           (unsigned long long)img->entry, img->phnum);
    printf("\nProgram headers:\n  %3s  %-18s  %-10s  %-18s  %-10s  %-10s  %-3s  %s\n", "idx", "type", "offset", "vaddr",
           "filesz", "memsz", "flg", "align");
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        char fl[4], type[11];
        vs_elf_get_phdr(img, i, &ph);
        flags_str(ph.flags, fl);
        printf("  %3u  %-18s  0x%08llx  0x%016llx  0x%08llx  0x%08llx  %-3s  0x%llx\n", i,
               phdr_type_text(img, ph.type, type), (unsigned long long)ph.offset, (unsigned long long)ph.vaddr,
               (unsigned long long)ph.filesz, (unsigned long long)ph.memsz, fl, (unsigned long long)ph.align);
    }
    printf("\nReservations the loader would make (base 0x%llx):\n  %-18s  %-18s  %6s  %-6s  %10s  %s\n",
           (unsigned long long)plan->base, "start", "end", "pages", "rights", "file bytes", "name");
    for (size_t i = 0; i < plan->num_regions; i++) {
        const vs_elf_region *r = &plan->regions[i];
        char rights[4];
        printf("  0x%016llx  0x%016llx  %6llu  %-6s  %10llu  %s\n", (unsigned long long)r->start,
               (unsigned long long)r->end, (unsigned long long)((r->end - r->start) >> 12),
               vs_rights_str(r->rights, rights), (unsigned long long)r->file_bytes, r->name);
    }
    printf("\nPages mapped: %llu (%llu KiB); entry 0x%llx; AT_PHDR 0x%llx, AT_PHENT %u, AT_PHNUM %u\n",
           (unsigned long long)plan->pages, (unsigned long long)plan->pages * 4, (unsigned long long)plan->entry,
           (unsigned long long)plan->phdr, plan->phent, plan->phnum);
    if (img->interp != NULL) {
        printf("Interpreter: %s (dynamically linked)\n", img->interp);
    }
    printf("Stack: %s\n", img->stack_exec ? "executable (PT_GNU_STACK asks for it, or is absent)" : "not executable");
    printf("Warnings: %u\n", img->num_warnings);
    for (unsigned i = 0; i < img->num_warnings && i < VS_ELF_MAX_WARNINGS; i++) {
        const vs_elf_warning *w = &img->warnings[i];
        printf("  %s (phdr %d, 0x%llx)\n", vs_elf_warning_name(w->kind), w->index, (unsigned long long)w->value);
    }
}

static void print_json(const char *path, const vs_elf_image *img, const vs_elf_plan *plan)
{
    printf("{\"tool\": \"vspace\", \"command\": \"inspect\", \"file\": ");
    vs_json_string(stdout, path);
    printf(", \"arch\": \"%s\", \"class\": %u, \"type\": %u, \"entry\": \"0x%llx\", \"base\": \"0x%llx\",\n",
           img->arch->name, img->elf_class == 1 ? 32 : 64, img->type, (unsigned long long)plan->entry,
           (unsigned long long)plan->base);
    printf("\"segments\": [");
    for (unsigned i = 0; i < img->phnum; i++) {
        vs_elf_phdr ph;
        char fl[4];
        vs_elf_get_phdr(img, i, &ph);
        flags_str(ph.flags, fl);
        const char *name = vs_elf_segment_type_name(ph.type, img->machine);
        printf("%s\n  {\"index\": %u, \"type\": \"%s\", \"p_type\": \"0x%x\", \"offset\": \"0x%llx\", \"vaddr\": "
               "\"0x%llx\", \"filesz\": "
               "\"0x%llx\", \"memsz\": \"0x%llx\", \"flags\": \"%s\", \"align\": \"0x%llx\"}",
               i ? "," : "", i, name != NULL ? name : "OTHER", (unsigned)ph.type, (unsigned long long)ph.offset,
               (unsigned long long)ph.vaddr, (unsigned long long)ph.filesz, (unsigned long long)ph.memsz, fl,
               (unsigned long long)ph.align);
    }
    printf("\n],\n\"reservations\": [");
    for (size_t i = 0; i < plan->num_regions; i++) {
        const vs_elf_region *r = &plan->regions[i];
        char rights[4];
        printf("%s\n  {\"name\": ", i ? "," : "");
        vs_json_string(stdout, r->name);
        printf(", \"start\": \"0x%llx\", \"end\": \"0x%llx\", \"pages\": %llu, \"rights\": \"%s\", \"file_bytes\": "
               "%llu}",
               (unsigned long long)r->start, (unsigned long long)r->end,
               (unsigned long long)((r->end - r->start) >> 12), vs_rights_str(r->rights, rights),
               (unsigned long long)r->file_bytes);
    }
    printf("\n],\n\"pages\": %llu, \"phdr\": \"0x%llx\", \"phent\": %u, \"phnum\": %u, \"interp\": ",
           (unsigned long long)plan->pages, (unsigned long long)plan->phdr, plan->phent, plan->phnum);
    if (img->interp != NULL) {
        vs_json_string(stdout, img->interp);
    } else {
        printf("null");
    }
    printf(", \"stack_exec\": %s, \"warnings\": [", img->stack_exec ? "true" : "false");
    for (unsigned i = 0; i < img->num_warnings && i < VS_ELF_MAX_WARNINGS; i++) {
        const vs_elf_warning *w = &img->warnings[i];
        printf("%s{\"kind\": \"%s\", \"index\": %d, \"value\": \"0x%llx\"}", i ? ", " : "",
               vs_elf_warning_name(w->kind), w->index, (unsigned long long)w->value);
    }
    printf("]}\n");
}

static int inspect_run(int argc, char **argv)
{
    int json = 0;
    const vs_arch *arch = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (cli_is_help(argv[i])) {
            inspect_help();
            return CLI_OK;
        }
        const char *v = NULL;
        int k = 0;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if ((k = cli_option_value("inspect", argc, argv, &i, "--arch", &v)) != 0) {
            if (k < 0 || (arch = cli_arch("inspect", v)) == NULL) {
                return CLI_BAD_INPUT;
            }
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            return cli_usage("inspect", "unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        return cli_usage("inspect", "no ELF file given");
    }
    if (i + 1 < argc) {
        return cli_usage("inspect", "one ELF file only (got '%s' after '%s')", argv[i + 1], argv[i]);
    }
    const char *path = argv[i];
    size_t size = 0;
    void *data = cli_read_file("inspect", path, &size);
    if (data == NULL) {
        return CLI_BAD_INPUT;
    }
    vs_elf_parse_opts popts = {arch};
    vs_elf_image img;
    vs_elf_diag d;
    vs_elf_error e = vs_elf_parse(data, size, &popts, &img, &d);
    int status = CLI_OK;
    if (e != VS_ELF_OK) {
        status = cli_elf_error("inspect", path, e, &d);
    } else {
        vs_elf_load_opts lopts = {VS_ELF_LOAD_ALLOW_INTERP, 0};
        vs_elf_plan *plan = malloc(sizeof *plan);
        e = plan != NULL ? vs_elf_plan_load(&img, &lopts, plan, &d) : VS_ELF_ERR_INVALID_ARG;
        if (plan == NULL) {
            status = cli_file_error("inspect", path, "out of memory");
        } else if (e != VS_ELF_OK) {
            status = cli_elf_error("inspect", path, e, &d);
        } else {
            if (json) {
                print_json(path, &img, plan);
            } else {
                print_text(path, &img, plan);
            }
            if (img.interp != NULL) {
                status =
                    cli_file_error("inspect", path,
                                   "PT_INTERP: dynamically linked (needs %s), which vspace does not load", img.interp);
            }
        }
        free(plan);
    }
    free(data);
    return status;
}

const vs_cli_command vs_cli_inspect = {"inspect", "what the loader would make of an ELF image, without loading it",
                                       inspect_run, inspect_help};
