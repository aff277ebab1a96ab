/* Error messages without libc: a bounded appender and elf_fail. */
#include "internal.h"

void elf_msg_str(elf_msg *m, const char *s)
{
    while (*s != '\0' && m->len + 1 < m->cap) {
        m->buf[m->len++] = *s++;
    }
    m->buf[m->len] = '\0';
}

void elf_msg_hex(elf_msg *m, uint64_t v)
{
    char tmp[19] = "0x";
    char digits[16];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    for (int i = 0; i < n; i++) {
        tmp[2 + i] = digits[n - 1 - i];
    }
    tmp[2 + n] = '\0';
    elf_msg_str(m, tmp);
}

void elf_msg_dec(elf_msg *m, uint64_t v)
{
    char digits[21];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    char tmp[21];
    for (int i = 0; i < n; i++) {
        tmp[i] = digits[n - 1 - i];
    }
    tmp[n] = '\0';
    elf_msg_str(m, tmp);
}

vs_elf_error elf_fail(vs_elf_diag *d, vs_elf_error code, int index, const char *field, uint64_t value, const char *what,
                      int has_limit, uint64_t limit)
{
    if (d == NULL) {
        return code;
    }
    memset(d, 0, sizeof(*d));
    d->code = code;
    d->field = field;
    d->index = index;
    d->other = -1;
    d->value = value;
    d->limit = has_limit ? limit : 0;
    d->space_result = VS_OK;
    elf_msg m = {d->message, sizeof(d->message), 0};
    d->message[0] = '\0';
    if (index >= 0) {
        elf_msg_str(&m, "phdr[");
        elf_msg_dec(&m, (uint64_t)index);
        elf_msg_str(&m, "].");
    }
    elf_msg_str(&m, field);
    elf_msg_str(&m, " = ");
    elf_msg_hex(&m, value);
    elf_msg_str(&m, ": ");
    elf_msg_str(&m, what);
    if (has_limit) {
        elf_msg_str(&m, " ");
        elf_msg_hex(&m, limit);
    }
    return code;
}
