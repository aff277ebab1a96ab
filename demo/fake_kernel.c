/* The demo's recording kernel. See fake_kernel.h. */
#include "fake_kernel.h"

#include <stdio.h>
#include <string.h>

static const char *error_name(int error)
{
    switch (error) {
    case 0:
        return "ok";
    case FK_INVALID_ARGUMENT:
        return "seL4_InvalidArgument";
    case FK_INVALID_CAPABILITY:
        return "seL4_InvalidCapability";
    case FK_ALIGNMENT_ERROR:
        return "seL4_AlignmentError";
    case FK_FAILED_LOOKUP:
        return "seL4_FailedLookup";
    case FK_DELETE_FIRST:
        return "seL4_DeleteFirst";
    case FK_NOT_ENOUGH_MEMORY:
        return "seL4_NotEnoughMemory";
    default:
        return "error";
    }
}

static void rights_text(unsigned rights, char out[4])
{
    out[0] = (rights & VS_RIGHT_READ) ? 'r' : '-';
    out[1] = (rights & VS_RIGHT_WRITE) ? 'w' : '-';
    out[2] = (rights & VS_RIGHT_EXEC) ? 'x' : '-';
    out[3] = '\0';
}

/* Prints one received call and its outcome; returns error. */
static int say(fake_kernel *fk, int error, const char *call)
{
    fk->calls++;
    if (!fk->quiet) {
        printf("    kernel: %-58s -> %s\n", call, error_name(error));
    }
    return error;
}

/* Reports a paging structure missing at `level`, as seL4_FailedLookup. */
static vs_kstatus say_missing(fake_kernel *fk, const char *call, int level)
{
    fk->calls++;
    if (!fk->quiet) {
        printf("    kernel: %-58s -> seL4_FailedLookup (no %s)\n", call, fk->arch->levels[level].name);
    }
    vs_kstatus st = {FK_FAILED_LOOKUP, level};
    return st;
}

static fk_slot *slot_of(fake_kernel *fk, vs_cap cap)
{
    if (cap < FK_FIRST_CAP || cap - FK_FIRST_CAP >= fk->used) {
        return NULL;
    }
    fk_slot *s = &fk->slots[cap - FK_FIRST_CAP];
    return s->live ? s : NULL;
}

const fk_slot *fk_slot_of(const fake_kernel *fk, vs_cap cap)
{
    return slot_of((fake_kernel *)fk, cap);
}

static vs_cap cap_of(const fake_kernel *fk, const fk_slot *s)
{
    return FK_FIRST_CAP + (vs_cap)(s - fk->slots);
}

static fk_slot *new_slot(fake_kernel *fk)
{
    if (fk->used == FK_MAX_SLOTS) {
        return NULL;
    }
    fk_slot *s = &fk->slots[fk->used++];
    memset(s, 0, sizeof *s);
    s->live = 1;
    return s;
}

static uint64_t page_bytes(const fake_kernel *fk, unsigned size_index)
{
    return (uint64_t)1 << fk->arch->page_sizes[size_index].bits;
}

/* Bytes translated by a paging structure of `level` (>= 1): the span of one
 * entry of the level above it. */
static uint64_t table_span(const fake_kernel *fk, unsigned level)
{
    return (uint64_t)1 << fk->arch->levels[level - 1].shift;
}

static const fk_slot *table_at(const fake_kernel *fk, vs_cap root, unsigned level, vs_addr vaddr)
{
    vs_addr start = vaddr & ~(table_span(fk, level) - 1);
    for (size_t i = 0; i < fk->used; i++) {
        const fk_slot *s = &fk->slots[i];
        if (s->live && s->mapped && s->kind == VS_OBJ_PAGING_TABLE && s->root == root && s->size == level &&
            s->vaddr == start) {
            return s;
        }
    }
    return NULL;
}

/* The first of levels 1..upto with no paging structure over vaddr, or 0. */
static int first_missing(const fake_kernel *fk, vs_cap root, unsigned upto, vs_addr vaddr)
{
    for (unsigned level = 1; level <= upto; level++) {
        if (table_at(fk, root, level, vaddr) == NULL) {
            return (int)level;
        }
    }
    return 0;
}

/* ---- objects ---- */

static int k_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    fake_kernel *fk = ctx;
    char call[96];
    fk_slot *s = new_slot(fk);
    const char *what = kind == VS_OBJ_FRAME ? fk->arch->page_sizes[size].name : fk->arch->levels[size].name;
    snprintf(call, sizeof call, "alloc_object(%s %s)", kind == VS_OBJ_FRAME ? "frame" : "table", what);
    if (s == NULL) {
        return say(fk, FK_NOT_ENOUGH_MEMORY, call);
    }
    s->kind = kind;
    s->size = size;
    if (kind == VS_OBJ_FRAME) {
        s->paddr = fk->next_paddr;
        fk->next_paddr += page_bytes(fk, size);
    }
    out->cap = cap_of(fk, s);
    out->cookie = 0;
    snprintf(call + strlen(call), sizeof call - strlen(call), " = cap 0x%llx", (unsigned long long)out->cap);
    return say(fk, 0, call);
}

static int k_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    fake_kernel *fk = ctx;
    char call[96];
    snprintf(call, sizeof call, "free_object(cap 0x%llx)", (unsigned long long)obj->cap);
    fk_slot *s = slot_of(fk, obj->cap);
    if (s == NULL || s->is_copy || s->kind != kind || s->size != size) {
        return say(fk, FK_INVALID_CAPABILITY, call);
    }
    s->live = 0; /* deleting the last cap also removes any mapping */
    s->mapped = 0;
    return say(fk, 0, call);
}

static int k_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    fake_kernel *fk = ctx;
    char call[96];
    snprintf(call, sizeof call, "copy_cap(cap 0x%llx)", (unsigned long long)src);
    fk_slot *from = slot_of(fk, src);
    if (from == NULL || from->kind != VS_OBJ_FRAME) {
        return say(fk, FK_INVALID_CAPABILITY, call);
    }
    fk_slot *s = new_slot(fk);
    if (s == NULL) {
        return say(fk, FK_NOT_ENOUGH_MEMORY, call);
    }
    s->is_copy = 1;
    s->kind = VS_OBJ_FRAME;
    s->size = from->size;
    s->paddr = from->paddr;
    *out = cap_of(fk, s);
    snprintf(call + strlen(call), sizeof call - strlen(call), " = cap 0x%llx", (unsigned long long)*out);
    return say(fk, 0, call);
}

static int k_delete_cap(void *ctx, vs_cap cap)
{
    fake_kernel *fk = ctx;
    char call[96];
    snprintf(call, sizeof call, "delete_cap(cap 0x%llx)", (unsigned long long)cap);
    fk_slot *s = slot_of(fk, cap);
    if (s == NULL) {
        return say(fk, FK_INVALID_CAPABILITY, call);
    }
    s->live = 0;
    s->mapped = 0;
    return say(fk, 0, call);
}

/* ---- mappings ---- */

/* seL4 on x86 replaces an existing frame mapping without a word; count it
 * so the demo can show the vspace never asked for that. */
static void replace_overlapping(fake_kernel *fk, vs_cap root, vs_addr vaddr, uint64_t bytes)
{
    for (size_t i = 0; i < fk->used; i++) {
        fk_slot *s = &fk->slots[i];
        if (s->live && s->mapped && s->kind == VS_OBJ_FRAME && s->root == root && s->vaddr < vaddr + bytes &&
            vaddr < s->vaddr + page_bytes(fk, s->size)) {
            s->mapped = 0;
            fk->overmaps++;
            printf("    kernel: WARNING: mapping at 0x%llx silently replaced\n", (unsigned long long)s->vaddr);
        }
    }
}

static vs_kstatus status(int error, int missing_level)
{
    vs_kstatus st = {error, missing_level};
    return st;
}

static vs_kstatus k_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned page_size, unsigned rights,
                              vs_cache cache)
{
    fake_kernel *fk = ctx;
    char call[96], r[4];
    rights_text(rights, r);
    snprintf(call, sizeof call, "map_frame(root 0x%llx, cap 0x%llx, 0x%08llx, %s, %s)", (unsigned long long)root,
             (unsigned long long)frame, (unsigned long long)vaddr, fk->arch->page_sizes[page_size].name, r);
    fk_slot *s = slot_of(fk, frame);
    if (s == NULL || s->kind != VS_OBJ_FRAME || s->size != page_size || (unsigned)cache >= VS_CACHE_COUNT) {
        return status(say(fk, FK_INVALID_CAPABILITY, call), -1);
    }
    if ((vaddr & (page_bytes(fk, page_size) - 1)) != 0 || vaddr >= fk->arch->user_top) {
        return status(say(fk, FK_ALIGNMENT_ERROR, call), -1);
    }
    if (s->mapped && (s->root != root || s->vaddr != vaddr)) {
        return status(say(fk, FK_INVALID_CAPABILITY, call), -1); /* one mapping per frame cap */
    }
    int missing = first_missing(fk, root, fk->arch->page_sizes[page_size].level, vaddr);
    if (missing > 0) {
        return say_missing(fk, call, missing);
    }
    if (!s->mapped) {
        replace_overlapping(fk, root, vaddr, page_bytes(fk, page_size));
    }
    s->mapped = 1;
    s->root = root;
    s->vaddr = vaddr;
    s->rights = (uint8_t)rights;
    return status(say(fk, 0, call), -1);
}

static vs_kstatus k_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    fake_kernel *fk = ctx;
    char call[96];
    snprintf(call, sizeof call, "map_table(root 0x%llx, cap 0x%llx, %s, 0x%08llx)", (unsigned long long)root,
             (unsigned long long)table, level < fk->arch->num_levels ? fk->arch->levels[level].name : "?",
             (unsigned long long)vaddr);
    fk_slot *s = slot_of(fk, table);
    if (s == NULL || s->kind != VS_OBJ_PAGING_TABLE || s->size != level || s->mapped || level == 0) {
        return status(say(fk, FK_INVALID_CAPABILITY, call), -1);
    }
    int missing = first_missing(fk, root, level - 1, vaddr);
    if (missing > 0) {
        return say_missing(fk, call, missing);
    }
    if (table_at(fk, root, level, vaddr) != NULL) {
        return status(say(fk, FK_DELETE_FIRST, call), -1);
    }
    s->mapped = 1;
    s->root = root;
    s->vaddr = vaddr & ~(table_span(fk, level) - 1);
    return status(say(fk, 0, call), -1);
}

static int unmap_any(fake_kernel *fk, const char *name, vs_cap cap, vs_object_kind kind)
{
    char call[96];
    snprintf(call, sizeof call, "%s(cap 0x%llx)", name, (unsigned long long)cap);
    fk_slot *s = slot_of(fk, cap);
    if (s == NULL || s->kind != kind) {
        return say(fk, FK_INVALID_CAPABILITY, call);
    }
    s->mapped = 0; /* unmapping an unmapped object is not an error in seL4 */
    return say(fk, 0, call);
}

static int k_unmap_frame(void *ctx, vs_cap frame, unsigned page_size)
{
    (void)page_size;
    return unmap_any(ctx, "unmap_frame", frame, VS_OBJ_FRAME);
}

static int k_unmap_table(void *ctx, vs_cap table, unsigned level)
{
    (void)level;
    return unmap_any(ctx, "unmap_table", table, VS_OBJ_PAGING_TABLE);
}

/* ---- queries (not printed: they change nothing) ---- */

static int k_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    fake_kernel *fk = ctx;
    const fk_slot *s = slot_of(fk, frame);
    if (s == NULL || s->kind != VS_OBJ_FRAME) {
        return FK_INVALID_CAPABILITY;
    }
    *paddr = s->paddr;
    return 0;
}

static int k_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    fake_kernel *fk = ctx;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < fk->used; i++) {
        const fk_slot *s = &fk->slots[i];
        uint64_t bytes = s->kind == VS_OBJ_FRAME ? page_bytes(fk, s->size) : 0;
        if (s->live && s->mapped && bytes > 0 && s->root == root && s->vaddr <= vaddr && vaddr - s->vaddr < bytes) {
            out->mapped = 1;
            out->paddr = s->paddr + (vaddr - s->vaddr);
            out->size_bits = fk->arch->page_sizes[s->size].bits;
            out->rights = s->rights;
        }
    }
    return 0;
}

static const vs_kernel_ops fk_ops = {
    .alloc_object = k_alloc_object,
    .free_object = k_free_object,
    .map_frame = k_map_frame,
    .map_table = k_map_table,
    .unmap_frame = k_unmap_frame,
    .unmap_table = k_unmap_table,
    .copy_cap = k_copy_cap,
    .delete_cap = k_delete_cap,
    .frame_paddr = k_frame_paddr,
    .translate = k_translate,
};

void fk_init(fake_kernel *fk, const vs_arch *arch)
{
    memset(fk, 0, sizeof *fk);
    fk->arch = arch;
    fk->next_paddr = 0x00100000u;
}

vs_kernel fk_kernel(fake_kernel *fk)
{
    vs_kernel k = {&fk_ops, fk};
    return k;
}

fk_census fk_count(const fake_kernel *fk)
{
    fk_census c = {0, 0, 0, 0};
    for (size_t i = 0; i < fk->used; i++) {
        const fk_slot *s = &fk->slots[i];
        if (!s->live) {
            continue;
        }
        if (s->is_copy) {
            c.copies++;
        } else if (s->kind == VS_OBJ_FRAME) {
            c.frames++;
        } else {
            c.tables++;
        }
        if (s->mapped && s->kind == VS_OBJ_FRAME) {
            c.mapped++;
        }
    }
    return c;
}
