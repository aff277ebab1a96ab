/* `vspace spawn`: boot a simulated seL4 machine, spawn ELF as a child of
 * the root task, print the walk and run the three-way audit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vs/elf.h>
#include <vs/process.h>
#include <vs/report.h>
#include <vs/startstack.h>
#include <vs/walk.h>

#include "cli.h"
#include "machine.h"
#include "sha256.h"

enum { MAX_STACK_WORDS = 1u << 16 };

/* The simulated machine's memory: by default, and what the simulator can
 * boot (sel4sim_boot). */
#define SIM_MEM_DEFAULT ((uint64_t)256 << 20)
#define SIM_MEM_MIN ((uint64_t)1 << 20)
#define SIM_MEM_MAX ((uint64_t)16 << 30)

static void spawn_help(void)
{
    printf("Usage: vspace spawn [OPTION]... ELF [ARG]...\n\n"
           "Boots a simulated seL4 machine of ELF's architecture, spawns ELF as a child of\n"
           "the root task with ARGs and the environment given, as a root task on seL4 would\n"
           "(vspace's loader, stack with guard page, IPC buffer, start-up stack), then prints\n"
           "the walk of the child's address space -- reservations, mapped runs, paging\n"
           "structures -- and the three-way audit: reservations vs shadow tables (I1),\n"
           "shadow tables vs the kernel's page tables read through the MMU walk (I2),\n"
           "caps and accounting (I3).\n\n"
           "  --arch A                 boot architecture A (ia32, x86_64, aarch32, aarch64,\n"
           "                           riscv32, riscv64); default: the ELF header's\n"
           "  --env K=V                add K=V to the child's environment (repeatable)\n"
           "  --json                   one JSON document instead of text (docs/vspace.schema.json)\n"
           "  --pages                  every mapped page: vaddr, size, rights, frame physical\n"
           "                           address, SHA-256 of its contents read through the MMU\n"
           "  --maps                   a /proc/PID/maps-style listing\n"
           "  --svg FILE               draw the address space into FILE (SVG)\n"
           "  --free-elf-reservations  load like libsel4utils does: drop the ELF segments'\n"
           "                           reservations after loading (the audit must fail)\n"
           "  --large-pages            map the image's fresh frames as the architecture's\n"
           "                           large pages wherever they fit, aligned (e.g. 2 MiB)\n"
           "  --sim-mem SIZE           the simulated machine's memory, in bytes or with a\n"
           "                           suffix K, M or G (1M to 16G; a 32-bit machine's must\n"
           "                           end below 4 GiB); default 256M\n"
           "  --help                   this text\n\n"
           "Options with a value also take it as --arch=A. Exit status: 0 audit clean,\n"
           "1 the audit found discrepancies, 2 bad input or usage, or a report that could\n"
           "not be written (the file, the field and the reason on stderr).\n");
}

typedef struct spawn_args {
    const vs_arch *arch;
    int json, pages, maps, legacy, large_pages;
    const char *svg;
    uint64_t sim_mem;
    const char **env;
    size_t envc;
    const char *path;
    const char **argv; /* the child's: path then ARGs */
    size_t argc;
} spawn_args;

/* SIZE of --sim-mem: decimal bytes, or with a suffix K, M or G (powers
 * of 1024), within what the simulator boots. 0 after a usage message. */
static uint64_t parse_sim_mem(const char *s)
{
    uint64_t n = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n <= SIM_MEM_MAX ? n * 10 + (uint64_t)(*p - '0') : n; /* saturates above the most */
    }
    unsigned shift = 0;
    if (p != s && p[0] != '\0' && p[1] == '\0') {
        const char *suffixes = "KkMmGg";
        const char *at = strchr(suffixes, p[0]);
        shift = at != NULL ? 10 * (unsigned)(1 + (at - suffixes) / 2) : 0;
        p += shift != 0;
    }
    if (p == s || *p != '\0') {
        cli_usage("spawn", "--sim-mem: '%s' is not a size (bytes, or a number with K, M or G)", s);
        return 0;
    }
    if (n > SIM_MEM_MAX || (n << shift) < SIM_MEM_MIN || (n << shift) > SIM_MEM_MAX) {
        cli_usage("spawn", "--sim-mem: %s is out of range: the simulated machine takes 1M to 16G", s);
        return 0;
    }
    return n << shift;
}

static int parse_args(int argc, char **argv, spawn_args *a)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *o = argv[i];
        const char *v = NULL;
        int k = 0;
        if (cli_is_help(o)) {
            spawn_help();
            return -1;
        }
        if (strcmp(o, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(o, "--pages") == 0) {
            a->pages = 1;
        } else if (strcmp(o, "--maps") == 0) {
            a->maps = 1;
        } else if (strcmp(o, "--free-elf-reservations") == 0) {
            a->legacy = 1;
        } else if (strcmp(o, "--large-pages") == 0) {
            a->large_pages = 1;
        } else if ((k = cli_option_value("spawn", argc, argv, &i, "--arch", &v)) != 0) {
            if (k < 0 || (a->arch = cli_arch("spawn", v)) == NULL) {
                return CLI_BAD_INPUT;
            }
        } else if ((k = cli_option_value("spawn", argc, argv, &i, "--svg", &v)) != 0) {
            if (k < 0) {
                return CLI_BAD_INPUT;
            }
            if (v[0] == '\0') {
                return cli_usage("spawn", "--svg needs a file name");
            }
            a->svg = v;
        } else if ((k = cli_option_value("spawn", argc, argv, &i, "--sim-mem", &v)) != 0) {
            if (k < 0 || (a->sim_mem = parse_sim_mem(v)) == 0) {
                return CLI_BAD_INPUT;
            }
        } else if ((k = cli_option_value("spawn", argc, argv, &i, "--env", &v)) != 0) {
            if (k < 0) {
                return CLI_BAD_INPUT;
            }
            if (strchr(v, '=') == NULL || v[0] == '=') {
                return cli_usage("spawn", "--env: '%s' is not K=V", v);
            }
            a->env[a->envc++] = v;
        } else if (strcmp(o, "--") == 0) {
            i++;
            break;
        } else {
            return cli_usage("spawn", "unknown option '%s'", o);
        }
    }
    if (i >= argc) {
        return cli_usage("spawn", "no ELF file given");
    }
    a->path = argv[i];
    a->argv = (const char **)&argv[i];
    a->argc = (size_t)(argc - i);
    return 0;
}

/* ---- reading the child's memory ---- */

typedef struct child_mem {
    vs_cap root;
} child_mem;

static vs_result read_child(void *ctx, uint64_t addr, void *dst, size_t len)
{
    const child_mem *c = ctx;
    return machine_virt_read(c->root, addr, dst, len) == 0 ? VS_OK : VS_ERR_NOT_MAPPED;
}

/* Prints a JSON list (json) or an indented text list of the strings the
 * n pointers of the vector at vec point to, each read into buf (cap bytes:
 * room for the longest string the stack can hold, so none is cut). */
static void print_strings(const vs_startstack_view *v, child_mem *c, uint64_t vec, uint64_t n, int json,
                          const char *label, char *buf, size_t cap)
{
    if (json) {
        printf("\"%s\": [", label);
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ptr = 0;
        size_t len = 0;
        char unreadable[48];
        const char *s = buf;
        int have_ptr = vs_startstack_word(v, read_child, c, vec, i, &ptr) == VS_OK;
        if (have_ptr && buf == NULL) {
            s = "<not read: out of memory>"; /* the child's memory may be fine: say which side failed */
        } else if (!have_ptr || vs_startstack_string(read_child, c, ptr, buf, cap, &len) != VS_OK) {
            snprintf(unreadable, sizeof unreadable, "<unreadable at 0x%llx>", (unsigned long long)ptr);
            s = unreadable;
        }
        if (json) {
            printf("%s", i ? ", " : "");
            vs_json_string(stdout, s);
        } else {
            printf("    %s[%llu] = \"%s\" (at 0x%llx)\n", label, (unsigned long long)i, s, (unsigned long long)ptr);
        }
    }
    if (json) {
        printf("]");
    }
}

static void print_stack(const vs_process_info *info, vs_cap root, int json)
{
    child_mem c = {root};
    vs_startstack_view v;
    vs_result r = vs_startstack_decode(info->arch, info->sp, read_child, &c, MAX_STACK_WORDS, &v);
    if (r != VS_OK) {
        if (json) {
            printf(",\n\"stack\": {\"sp\": \"0x%llx\", \"argc\": 0, \"argv\": [], \"envp\": [], \"auxv\": []}",
                   (unsigned long long)info->sp);
        } else {
            printf("  start-up stack at 0x%llx could not be decoded: %s\n", (unsigned long long)info->sp,
                   v.error != NULL ? v.error : vs_result_name(r));
        }
        return;
    }
    if (json) {
        printf(",\n\"stack\": {\"sp\": \"0x%llx\", \"argc\": %llu, ", (unsigned long long)v.sp,
               (unsigned long long)v.argc);
    } else {
        printf("Start-up stack (read back through the MMU walk), sp 0x%llx:\n    argc = %llu\n",
               (unsigned long long)v.sp, (unsigned long long)v.argc);
    }
    /* The strings were written inside the stack, so none is longer than
     * the stack (its terminating NUL included). */
    size_t cap = (size_t)(info->stack_top - info->stack_base);
    char *buf = malloc(cap);
    print_strings(&v, &c, v.argv, v.argc, json, "argv", buf, cap);
    if (json) {
        printf(", ");
    }
    print_strings(&v, &c, v.envp, v.envc, json, "envp", buf, cap);
    free(buf);
    if (json) {
        printf(", \"auxv\": [");
    }
    for (uint64_t i = 0; i < v.auxc; i++) {
        uint64_t type = 0;
        uint64_t value = 0;
        vs_startstack_word(&v, read_child, &c, v.auxv, 2 * i, &type);
        vs_startstack_word(&v, read_child, &c, v.auxv, 2 * i + 1, &value);
        const char *name = vs_auxv_name(type);
        if (json) {
            printf("%s\n  {\"type\": %llu, \"name\": ", i ? "," : "", (unsigned long long)type);
            if (name != NULL) {
                vs_json_string(stdout, name);
            } else {
                printf("null");
            }
            printf(", \"value\": \"0x%llx\"}", (unsigned long long)value);
        } else {
            printf("    auxv %-24s 0x%llx\n", name != NULL ? name : "(unknown)", (unsigned long long)value);
        }
    }
    if (json) {
        printf("]}");
    }
}

/* ---- --pages ---- */

typedef struct pages_ctx {
    const vs_space *vs;
    vs_kernel k;
    vs_cap root;
    int json;
    size_t n;
    uint8_t *buf;
    size_t buf_size;
} pages_ctx;

static int print_page(void *ctx, const vs_mapping *m)
{
    pages_ctx *p = ctx;
    size_t size = (size_t)1 << m->size_bits;
    char digest[65] = "";
    vs_translation t;
    int have = p->k.ops->translate(p->k.ctx, p->root, m->vaddr, &t) == 0 && t.mapped;
    if (have && size > p->buf_size) {
        uint8_t *nb = realloc(p->buf, size);
        have = nb != NULL;
        if (nb != NULL) {
            p->buf = nb;
            p->buf_size = size;
        }
    }
    /* The kernel's page, whatever size the shadow believes it is. */
    size_t read = have && t.size_bits >= m->size_bits ? size : 0;
    if (read && machine_phys_read(t.paddr, p->buf, read) == 0) {
        sha256_hex(p->buf, read, digest);
    } else {
        have = 0;
    }
    char rights[4];
    vs_reservation_info info;
    if (m->res != NULL) {
        vs_reservation_get_info(p->vs, m->res, &info);
    }
    if (p->json) {
        printf("%s\n  {\"vaddr\": \"0x%llx\", \"size\": %zu, \"rights\": \"%s\", \"paddr\": ", p->n ? "," : "",
               (unsigned long long)m->vaddr, size, vs_rights_str(m->rights, rights));
        if (have) {
            printf("\"0x%llx\", \"sha256\": \"%s\"", (unsigned long long)t.paddr, digest);
        } else {
            printf("null, \"sha256\": null");
        }
        printf(", \"reservation\": ");
        if (m->res != NULL) {
            vs_json_string(stdout, info.name);
        } else {
            printf("null");
        }
        printf("}");
    } else {
        char paddr[24] = "(not in the kernel)";
        if (have) {
            snprintf(paddr, sizeof paddr, "0x%llx", (unsigned long long)t.paddr);
        }
        printf("  0x%0*llx  %8zu  %-3s  %-18s  %-64s  %s\n", vs_get_arch(p->vs)->word_bits / 4,
               (unsigned long long)m->vaddr, size, vs_rights_str(m->rights, rights), paddr, have ? digest : "-",
               m->res != NULL ? info.name : "(NO RESERVATION)");
    }
    p->n++;
    return 0;
}

static void print_pages(const vs_space *vs, int json)
{
    pages_ctx p = {vs, vs_get_kernel(vs), vs_get_root(vs), json, 0, NULL, 0};
    if (json) {
        printf(",\n\"pages\": [");
    } else {
        printf("\nMapped pages (contents read through the MMU walk):\n  %-*s  %8s  %-3s  %-18s  %-64s  %s\n",
               vs_get_arch(vs)->word_bits / 4 + 2, "vaddr", "size", "rwx", "paddr", "sha256", "reservation");
    }
    vs_walk_pages(vs, print_page, &p);
    if (json) {
        printf("\n]");
    }
    free(p.buf);
}

/* ---- the run ---- */

/* The registers as the TCB holds them; the process's own record if the
 * kernel cannot be asked. */
static machine_regs registers(const vs_process_info *info)
{
    machine_regs r;
    if (machine_read_registers(info->arch, info->tcb, &r) != 0) {
        r = (machine_regs){info->entry, info->sp, info->atexit_reg};
    }
    return r;
}

static void print_header(const spawn_args *a, const vs_process_info *info, const machine *m)
{
    const vs_startstack_abi_info *abi = vs_startstack_abi(info->arch);
    machine_regs regs = registers(info);
    printf("Spawned %s on a simulated seL4 (%s) as a child of the root task%s.\n", a->path, m->arch->name,
           a->legacy ? ", loading it like libsel4utils (ELF reservations dropped after loading)" : "");
    printf("  entry 0x%llx; registers in the TCB: pc 0x%llx, %s 0x%llx, %s 0x%llx\n", (unsigned long long)info->entry,
           (unsigned long long)regs.pc, abi->sp_reg, (unsigned long long)regs.sp, abi->atexit_reg,
           (unsigned long long)regs.atexit);
    printf("  stack 0x%llx-0x%llx with guard page 0x%llx-0x%llx%s\n", (unsigned long long)info->stack_base,
           (unsigned long long)info->stack_top, (unsigned long long)info->guard_base,
           (unsigned long long)info->stack_base, info->stack_exec ? " (executable)" : "");
    printf("  IPC buffer 0x%llx; AT_PHDR 0x%llx (%u entries of %u bytes); thread %s\n\n",
           (unsigned long long)info->ipc_buffer, (unsigned long long)info->phdr, info->phnum, info->phent,
           info->resumed ? "resumed" : "left suspended");
}

static void print_json_head(const spawn_args *a, const vs_process_info *info, const machine *m)
{
    const vs_startstack_abi_info *abi = vs_startstack_abi(info->arch);
    machine_regs regs = registers(info);
    printf("{\"tool\": \"vspace\", \"command\": \"spawn\", \"file\": ");
    vs_json_string(stdout, a->path);
    printf(", \"arch\": \"%s\", \"legacy_free_elf_reservations\": %s,\n\"entry\": \"0x%llx\", ", m->arch->name,
           a->legacy ? "true" : "false", (unsigned long long)info->entry);
    printf("\"registers\": {\"pc\": \"0x%llx\", \"sp\": \"0x%llx\"", (unsigned long long)regs.pc,
           (unsigned long long)regs.sp);
    if (strcmp(abi->atexit_reg, "pc") != 0 && strcmp(abi->atexit_reg, "sp") != 0) {
        printf(", \"%s\": \"0x%llx\"", abi->atexit_reg, (unsigned long long)regs.atexit);
    }
    printf("}");
}

/* Runs of pages outside every reservation, the seed's question. */
static int print_orphan(void *ctx, const vs_mapped_run *r)
{
    if (r->res == NULL) {
        printf("  0x%llx-0x%llx: %llu pages mapped in no reservation\n", (unsigned long long)r->start,
               (unsigned long long)r->end, (unsigned long long)((r->end - r->start) >> 12));
        (*(size_t *)ctx)++;
    }
    return 0;
}

static vs_addr kernel_window_end(const vs_arch *arch)
{
    unsigned bits = arch->levels[0].shift + arch->levels[0].index_bits;
    return bits >= 64 ? ~(vs_addr)0 : (vs_addr)1 << bits;
}

static int report(const spawn_args *a, const machine *m, vs_process *p, FILE *svg)
{
    vs_space *vs = vs_process_space(p);
    vs_process_info info;
    vs_process_get_info(p, &info);
    vs_audit_result audit;
    vs_audit_collect(vs, &audit);
    int status = audit.result == VS_OK ? CLI_OK : CLI_DISCREPANCY;
    if (a->json) {
        print_json_head(a, &info, m);
        print_stack(&info, vs_get_root(vs), 1);
        vs_report_json_members(stdout, vs, &audit);
        if (a->pages) {
            print_pages(vs, 1);
        }
        printf("\n}\n");
    } else {
        print_header(a, &info, m);
        print_stack(&info, vs_get_root(vs), 0);
        printf("\n");
        vs_report_text(stdout, vs, &audit);
        if (audit.summary.mapped_outside > 0) {
            size_t n = 0;
            printf("\nPages outside every reservation (mapped, but no reservation says so):\n");
            vs_walk_runs(vs, print_orphan, &n);
        }
        if (a->maps) {
            printf("\nMaps (like /proc/PID/maps):\n");
            vs_report_maps(stdout, vs);
        }
        if (a->pages) {
            print_pages(vs, 0);
        }
    }
    if (svg != NULL) {
        /* The kernel window, unless a reservation already holds it. */
        vs_addr base;
        vs_addr end;
        vs_get_range(vs, &base, &end);
        vs_svg_opts o = {a->path, 0, 0};
        if (end <= m->arch->user_top) {
            o.kernel_start = m->arch->user_top;
            o.kernel_end = kernel_window_end(m->arch);
        }
        vs_report_svg(svg, vs, &o);
    }
    vs_audit_result_free(&audit);
    return status;
}

/* n with its thousands grouped: 409,200. */
static const char *grouped(uint64_t n, char buf[32])
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[o++] = ',';
        }
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* A size for people: 256 MiB, 1.5 GiB, 4 KiB. */
static const char *mem_size(uint64_t n, char buf[32])
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB"};
    unsigned u = 0;
    while (u + 1 < sizeof units / sizeof units[0] && n >= ((uint64_t)1 << (10 * (u + 1)))) {
        u++;
    }
    uint64_t whole = n >> (10 * u);
    uint64_t tenths = u > 0 ? ((n & (((uint64_t)1 << (10 * u)) - 1)) * 10) >> (10 * u) : 0;
    if (tenths != 0) {
        snprintf(buf, 32, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenths, units[u]);
    } else {
        snprintf(buf, 32, "%llu %s", (unsigned long long)whole, units[u]);
    }
    return buf;
}

/* The loader's message, with the seL4 error it quotes ("kernel error 10")
 * named: "kernel error 10 (seL4_NotEnoughMemory)". */
static void name_kernel_error(const char *msg, int kernel_error, char *out, size_t size)
{
    char quoted[48];
    snprintf(quoted, sizeof quoted, "kernel error %d", kernel_error);
    const char *at = kernel_error != 0 ? strstr(msg, quoted) : NULL;
    if (at == NULL) {
        snprintf(out, size, "%s", msg);
        return;
    }
    size_t head = (size_t)(at - msg) + strlen(quoted);
    snprintf(out, size, "%.*s (%s)%s", (int)head, msg, machine_error_name(kernel_error), msg + head);
}

/* What a failed spawn's advice rests on. */
typedef struct spawn_limits {
    uint64_t sim_mem;  /* the simulated machine's memory */
    size_t free_slots; /* the root task's empty CNode slots before the spawn */
    uint64_t pages;    /* base pages ELF's segments span */
    int large_pages;   /* --large-pages */
} spawn_limits;

/* Base pages the PT_LOADs span: the frames they take without --large-pages. */
static uint64_t image_pages(const vs_elf_image *img)
{
    const unsigned bits = img->arch->page_sizes[0].bits;
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    uint64_t n = 0;
    vs_elf_phdr ph;
    for (unsigned i = 0; vs_elf_get_phdr(img, i, &ph) == 0; i++) {
        if (ph.type == 1 /* PT_LOAD */ && ph.memsz > 0 && ph.vaddr + ph.memsz > ph.vaddr) {
            n += (((ph.vaddr + ph.memsz + mask) & ~mask) - (ph.vaddr & ~mask)) >> bits;
        }
    }
    return n;
}

/* seL4_NotEnoughMemory: the root task's allocator found no untyped memory
 * left, or no empty slot in its CNode for the next object (one per frame,
 * a few thousand: fixed by the simulator). Says which, and what helps. */
static void out_of_memory_advice(const machine *m, const spawn_limits *l)
{
    char a[32];
    char b[32];
    if (!l->large_pages && l->pages >= l->free_slots) {
        fprintf(stderr,
                "vspace spawn: the root task's CNode ran out of slots: every frame takes one, %s were free, and the "
                "segments alone span %s pages; --large-pages maps them with fewer frames (--sim-mem does not add "
                "slots)\n",
                grouped(l->free_slots, a), grouped(l->pages, b));
        return;
    }
    /* The most the simulator boots: 16 GiB; 4 GiB of address space for a 32-bit machine. */
    uint64_t most = m->arch->word_bits == 32 ? (uint64_t)2 << 30 : SIM_MEM_MAX;
    uint64_t more = l->sim_mem * 4 < most ? l->sim_mem * 4 : most;
    if (more > l->sim_mem) {
        int giga = (more & (((uint64_t)1 << 30) - 1)) == 0;
        fprintf(stderr,
                "vspace spawn: the simulated %s machine's %s of memory ran out: give it more with --sim-mem "
                "(e.g. --sim-mem %llu%s)\n",
                m->arch->name, mem_size(l->sim_mem, a), (unsigned long long)(more >> (giga ? 30 : 20)),
                giga ? "G" : "M");
    } else {
        fprintf(stderr, "vspace spawn: the simulated %s machine's %s of memory ran out\n", m->arch->name,
                mem_size(l->sim_mem, a));
    }
}

static int spawn_failed(const char *path, const vs_spawn_error *e, const machine *m, const spawn_limits *l)
{
    char a[32];
    char b[32];
    if (e->stage == VS_SPAWN_STAGE_ELF) {
        char msg[sizeof e->elf_message + 64];
        name_kernel_error(e->elf_message[0] ? e->elf_message : e->reason, e->kernel_error, msg, sizeof msg);
        cli_file_error("spawn", path, "%s (%s)", msg, vs_elf_error_name((vs_elf_error)e->elf_error));
    } else {
        char what[160] = "";
        if (e->limit != 0) {
            snprintf(what, sizeof what, ": needs %s bytes, has room for %s", grouped(e->value, a),
                     grouped(e->limit, b));
        } else if (e->value != 0) {
            snprintf(what, sizeof what, " %llu", (unsigned long long)e->value);
        }
        char at[40] = "";
        if (e->vaddr != 0) {
            snprintf(at, sizeof at, " at 0x%llx", (unsigned long long)e->vaddr);
        }
        char kernel[80] = "";
        if (e->kernel_error != 0) {
            snprintf(kernel, sizeof kernel, ", kernel error %d (%s)", e->kernel_error,
                     machine_error_name(e->kernel_error));
        }
        cli_file_error("spawn", path, "spawn failed in stage %s: %s%s%s (%s%s)", vs_spawn_stage_name(e->stage),
                       e->reason != NULL ? e->reason : "?", what, at, vs_result_name(e->result), kernel);
        if (e->stage == VS_SPAWN_STAGE_STACK && e->result == VS_ERR_NO_SPACE && e->limit != 0) {
            fprintf(stderr, "vspace spawn: the child's stack is %s: pass fewer or shorter arguments or --env values\n",
                    mem_size(e->limit, a));
        }
    }
    if (machine_out_of_memory(e->kernel_error)) {
        out_of_memory_advice(m, l);
    }
    return CLI_BAD_INPUT;
}

/* --svg FILE: opened before the spawn, so that a FILE that cannot be
 * written is refused before anything boots, but emptied only when there is
 * a picture to put in it: a spawn that fails leaves FILE as it was (or, if
 * there was none, none). Opened in place, not replaced by a new file, so
 * FILE keeps its mode, owner and links, and a device (/dev/stdout) works. */
typedef struct svg_file {
    FILE *f;
    int created; /* FILE did not exist: a failed spawn removes it */
} svg_file;

/* 0, or -1 with errno set and nothing left open or made. */
static int svg_open(const char *path, svg_file *o)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    o->created = fd < 0 && errno == ENOENT;
    if (o->created) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    o->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (o->f == NULL) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            if (o->created) {
                unlink(path);
            }
        }
        errno = e;
        return -1;
    }
    return 0;
}

/* The spawn succeeded: drop FILE's old contents (a regular file's; a
 * device has none to drop). 0, or -1 with errno set. */
static int svg_begin(const svg_file *o)
{
    struct stat st;
    if (fstat(fileno(o->f), &st) != 0) {
        return -1;
    }
    return S_ISREG(st.st_mode) ? ftruncate(fileno(o->f), 0) : 0;
}

/* Do the two paths name one file (so that writing the first would
 * destroy the second)? */
static int same_file(const char *a, const char *b)
{
    struct stat sa;
    struct stat sb;
    return a != NULL && b != NULL && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int spawn_run(int argc, char **argv)
{
    spawn_args a;
    memset(&a, 0, sizeof a);
    a.env = calloc((size_t)argc + 1, sizeof *a.env);
    if (a.env == NULL) {
        return CLI_BAD_INPUT;
    }
    int status = parse_args(argc, argv, &a);
    if (status != 0) {
        free(a.env);
        return status < 0 ? CLI_OK : status;
    }
    size_t size = 0;
    void *data = cli_read_file("spawn", a.path, &size);
    if (data == NULL) {
        free(a.env);
        return CLI_BAD_INPUT;
    }
    /* Refuse what cannot be spawned before booting anything. */
    vs_elf_parse_opts popts = {a.arch};
    vs_elf_image img;
    vs_elf_diag d;
    vs_elf_error e = vs_elf_parse(data, size, &popts, &img, &d);
    svg_file svg = {NULL, 0};
    if (e != VS_ELF_OK) {
        status = cli_elf_error("spawn", a.path, e, &d);
    } else if (img.interp != NULL) {
        status = cli_file_error("spawn", a.path,
                                "PT_INTERP: dynamically linked (needs %s); vspace spawns static images only "
                                "(VS_ELF_ERR_NEEDS_INTERP)",
                                img.interp);
    } else if (a.svg != NULL && same_file(a.svg, a.path)) {
        status = cli_file_error("spawn", a.svg, "--svg: is the ELF file itself; not overwriting it");
    } else if (a.svg != NULL && svg_open(a.svg, &svg) != 0) {
        status = cli_file_error("spawn", a.svg, "--svg: cannot write it: %s", strerror(errno));
    }
    if (status != 0) {
        free(data);
        free(a.env);
        return status;
    }
    machine m;
    uint64_t sim_mem = a.sim_mem != 0 ? a.sim_mem : SIM_MEM_DEFAULT;
    if (machine_up(&m, img.arch, sim_mem) != 0) {
        status = CLI_BAD_INPUT;
    } else {
        vs_spawn_env env = {m.be, m.root_vs, machine_mem(), &m.access};
        vs_spawn_opts opts;
        memset(&opts, 0, sizeof opts);
        opts.argv = a.argv;
        opts.argc = a.argc;
        opts.envp = a.env;
        opts.envc = a.envc;
        opts.flags = (a.legacy ? VS_SPAWN_FREE_ELF_RESERVATIONS : 0) | (a.large_pages ? VS_SPAWN_LARGE_PAGES : 0);
        opts.random_seed = 1;
        vs_process *p = NULL;
        vs_spawn_error err;
        memset(&err, 0, sizeof err);
        vs_sel4_alloc_stats stats;
        vs_sel4_alloc_get_stats(m.alloc, &stats);
        spawn_limits limits = {sim_mem, stats.free_slots, image_pages(&img), a.large_pages};
        vs_result r = vs_process_spawn(&env, img.arch->id, data, size, &opts, &p, &err);
        if (r != VS_OK) {
            status = spawn_failed(a.path, &err, &m, &limits);
        } else if (svg.f != NULL && svg_begin(&svg) != 0) {
            status = cli_file_error("spawn", a.svg, "--svg: write error: %s", strerror(errno));
        } else {
            status = report(&a, &m, p, svg.f);
        }
        vs_process_destroy(p, NULL);
        machine_down(&m);
    }
    if (svg.f != NULL) {
        int write_failed = ferror(svg.f);
        int close_failed = fclose(svg.f) != 0;
        if ((write_failed || close_failed) && status != CLI_BAD_INPUT) {
            status = cli_file_error("spawn", a.svg, "--svg: write error%s%s", close_failed ? ": " : "",
                                    close_failed ? strerror(errno) : "");
        }
        if (status == CLI_BAD_INPUT && svg.created) {
            unlink(a.svg); /* no picture: no file, as before the run */
        }
    }
    free(data);
    free(a.env);
    return status;
}

const vs_cli_command vs_cli_spawn = {
    "spawn", "spawn an ELF on a simulated seL4, print the walk of its address space and audit it", spawn_run,
    spawn_help};
