/* libFuzzer target: the parser, section lookup and the plan on any bytes.
 * The parser must never read outside the buffer (ASan watches) and must
 * agree with itself: a parsed image's program headers lie in the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vs/elf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly `size` bytes, so reading one past it is caught. */
    uint8_t *buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    vs_elf_image img;
    vs_elf_diag d;
    vs_elf_error e = vs_elf_parse(buf, size, NULL, &img, &d);
    if (e != VS_ELF_OK) {
        if (d.code != e || d.message[0] == '\0' || e >= VS_ELF_ERROR_COUNT) {
            abort();
        }
    } else {
        if (img.phoff + (uint64_t)img.phnum * img.phentsize > size || img.num_load == 0) {
            abort();
        }
        vs_elf_section s;
        (void)vs_elf_find_section(&img, "__vsyscall", &s, &d);
        (void)vs_elf_find_section(&img, ".text", &s, &d);
        vs_elf_plan plan;
        vs_elf_load_opts o = {VS_ELF_LOAD_ALLOW_INTERP, 0};
        if (vs_elf_plan_load(&img, &o, &plan, &d) == VS_ELF_OK) {
            for (size_t i = 0; i < plan.num_regions; i++) {
                const vs_elf_region *r = &plan.regions[i];
                if (r->start >= r->end || (r->start & 4095) != 0 || (r->end & 4095) != 0 ||
                    (i > 0 && plan.regions[i - 1].end > r->start)) {
                    abort();
                }
            }
        }
    }
    free(buf);
    return 0;
}
