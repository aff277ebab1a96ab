/* vs_kernel_ops over libsel4. Everything architecture-specific comes from
 * the be_arch descriptor; this file only translates vspace's vocabulary
 * (page-size index, level, VS_RIGHT_*, vs_cache) into the descriptor's. */
#include <vs/sel4_backend.h>

#include <sel4/sel4_arch/mapping.h> /* not part of <sel4/sel4.h> */

#include "be_arch.h"

struct vs_sel4_backend {
    const vs_arch *arch;
    const be_arch *ba;
    vs_sel4_alloc *alloc;
    vs_allocator mem;
    vs_sel4_translate_fn translate;
    void *translate_ctx;
};

/* seL4_CapRights_t for a mapping. Execute permission is not a cap right on
 * seL4; it travels as a VM attribute (see frame_attr). seL4 cannot give
 * user mode a write-only or execute-only page (write without read becomes
 * a kernel-only mapping), and neither can x86 or Arm hardware, so write and
 * execute imply read here. */
static seL4_CapRights_t cap_rights(unsigned rights)
{
    if (rights & VS_RIGHT_WRITE) {
        return seL4_ReadWrite;
    }
    return (rights & (VS_RIGHT_READ | VS_RIGHT_EXEC)) ? seL4_CanRead : seL4_NoRights;
}

/* What to retype for an object of kind/size: libsel4 type and log2 bytes. */
typedef struct obj_spec {
    int ok;
    seL4_Word type;
    unsigned bits;
} obj_spec;

static obj_spec object_spec(const vs_sel4_backend *be, vs_object_kind kind, unsigned size)
{
    if (kind == VS_OBJ_FRAME && size < be->arch->num_page_sizes) {
        return (obj_spec){1, be->ba->frame_type[size], be->arch->page_sizes[size].bits};
    }
    if (kind == VS_OBJ_PAGING_TABLE && size < be->arch->num_levels) {
        return (obj_spec){1, be->ba->table_type[size], be->ba->table_bits[size]};
    }
    return (obj_spec){0, 0, 0};
}

/* MR1 of a seL4_FailedLookup reply: the lookup failure's type. */
enum { LOOKUP_FAILURE_TYPE_MR = 1 };

/* seL4 reports a missing paging structure as seL4_FailedLookup with a
 * "missing capability" lookup failure and the number of address bits it
 * had left to resolve; turn that into the arch level of the structure to
 * create. A failed lookup of a cap argument is a plain error. */
static vs_kstatus kstatus(const vs_sel4_backend *be, seL4_Error err)
{
    vs_kstatus st = {(int)err, -1};
    if (err != seL4_FailedLookup || seL4_GetMR(LOOKUP_FAILURE_TYPE_MR) != seL4_MissingCapability) {
        return st;
    }
    int holder = vs_arch_level_by_shift(be->arch, (unsigned)seL4_MappingFailedLookupLevel());
    int missing = holder < 0 ? -1 : holder + be->ba->missing_level_delta;
    if (missing >= 1 && missing < be->arch->num_levels) {
        st.missing_level = missing;
    }
    return st;
}

/* ---- the root paging structure ---- */

int vs_sel4_create_root(vs_sel4_backend *be, vs_object *out)
{
    seL4_CPtr cap;
    uintptr_t cookie;
    seL4_Error err = vs_sel4_alloc_object(be->alloc, be->ba->table_type[0], 0, be->ba->table_bits[0], &cap, &cookie);
    if (err != seL4_NoError) {
        return (int)err;
    }
    err = be->ba->asid_assign(seL4_CapInitThreadASIDPool, cap);
    if (err != seL4_NoError) {
        /* Deleting the fresh object undoes the retype; the assign did nothing. */
        (void)vs_sel4_alloc_free_object(be->alloc, cap, cookie);
        return (int)err;
    }
    *out = (vs_object){cap, cookie};
    return seL4_NoError;
}

int vs_sel4_free_root(vs_sel4_backend *be, const vs_object *root)
{
    return (int)vs_sel4_alloc_free_object(be->alloc, (seL4_CPtr)root->cap, root->cookie);
}

/* ---- the operations table ---- */

static int op_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    vs_sel4_backend *be = ctx;
    obj_spec spec = object_spec(be, kind, size);
    if (!spec.ok) {
        return seL4_InvalidArgument;
    }
    if (kind == VS_OBJ_PAGING_TABLE && size == 0) {
        return vs_sel4_create_root(be, out);
    }
    seL4_CPtr cap;
    uintptr_t cookie;
    seL4_Error err = vs_sel4_alloc_object(be->alloc, spec.type, 0, spec.bits, &cap, &cookie);
    if (err == seL4_NoError) {
        *out = (vs_object){cap, cookie};
    }
    return (int)err;
}

static int op_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    vs_sel4_backend *be = ctx;
    (void)kind;
    (void)size;
    return (int)vs_sel4_alloc_free_object(be->alloc, (seL4_CPtr)obj->cap, obj->cookie);
}

/* VM attributes for a frame; *ok clear if the arch cannot express cache. */
static seL4_Word frame_attr(const be_arch *ba, unsigned rights, vs_cache cache, int *ok)
{
    *ok = (unsigned)cache < VS_CACHE_COUNT && ba->cache_ok[cache];
    if (!*ok) {
        return 0;
    }
    return ba->cache_attr[cache] | ((rights & VS_RIGHT_EXEC) ? 0 : ba->execute_never);
}

/* A frame our allocator made has a known size; mapping it as another page
 * size would make the MMU map more (or less) than the core records, and
 * the kernel cannot tell (a frame cap's size is not checked against the
 * mapping's). Caps from elsewhere are passed through unchecked. */
static int frame_size_wrong(const vs_sel4_backend *be, vs_cap frame, unsigned page_size)
{
    int bits = vs_sel4_alloc_object_bits(be->alloc, (seL4_CPtr)frame);
    return bits >= 0 && (unsigned)bits != be->arch->page_sizes[page_size].bits;
}

/* seL4 has no batch call: one Page_Map per frame, but the attributes,
 * the rights and the checks that do not depend on the frame are worked
 * out once per batch instead of once per page (a loader maps hundreds of
 * pages per window, and this glue was a tenth of what a page cost). */
static vs_kstatus op_map_frames(void *ctx, vs_cap root, const vs_cap *frames, unsigned n, vs_addr vaddr,
                                unsigned page_size, unsigned rights, vs_cache cache, unsigned *done)
{
    vs_sel4_backend *be = ctx;
    int ok;
    seL4_Word attr = frame_attr(be->ba, rights, cache, &ok);
    *done = 0;
    if (!ok || page_size >= be->arch->num_page_sizes) {
        return kstatus(be, seL4_InvalidArgument);
    }
    seL4_CapRights_t cap_r = cap_rights(rights);
    unsigned bits = be->arch->page_sizes[page_size].bits;
    be_map_page_fn map_page = be->ba->map_page;
    for (unsigned i = 0; i < n; i++) {
        if (frame_size_wrong(be, frames[i], page_size)) {
            return kstatus(be, seL4_InvalidArgument);
        }
        seL4_Error err =
            map_page((seL4_CPtr)frames[i], (seL4_CPtr)root, (seL4_Word)(vaddr + ((vs_addr)i << bits)), cap_r, attr);
        if (err != seL4_NoError) {
            return kstatus(be, err);
        }
        *done = i + 1;
    }
    return (vs_kstatus){0, -1};
}

static vs_kstatus op_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned page_size, unsigned rights,
                               vs_cache cache)
{
    unsigned done;
    return op_map_frames(ctx, root, &frame, 1, vaddr, page_size, rights, cache, &done);
}

static vs_kstatus op_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    vs_sel4_backend *be = ctx;
    if (level < 1 || level >= be->arch->num_levels) {
        return kstatus(be, seL4_InvalidArgument);
    }
    seL4_Error err = be->ba->map_table[level]((seL4_CPtr)table, (seL4_CPtr)root, (seL4_Word)vaddr, be->ba->table_attr);
    return kstatus(be, err);
}

static int op_unmap_frames(void *ctx, const vs_cap *frames, unsigned n, unsigned page_size, unsigned *done)
{
    vs_sel4_backend *be = ctx;
    *done = 0;
    if (page_size >= be->arch->num_page_sizes) {
        return seL4_InvalidArgument;
    }
    be_unmap_fn unmap_page = be->ba->unmap_page;
    for (unsigned i = 0; i < n; i++) {
        seL4_Error err = unmap_page((seL4_CPtr)frames[i]);
        if (err != seL4_NoError) {
            return (int)err;
        }
        *done = i + 1;
    }
    return seL4_NoError;
}

static int op_unmap_frame(void *ctx, vs_cap frame, unsigned page_size)
{
    unsigned done;
    return op_unmap_frames(ctx, &frame, 1, page_size, &done);
}

static int op_unmap_table(void *ctx, vs_cap table, unsigned level)
{
    vs_sel4_backend *be = ctx;
    if (level < 1 || level >= be->arch->num_levels) {
        return seL4_InvalidArgument;
    }
    return (int)be->ba->unmap_table[level]((seL4_CPtr)table);
}

/* A copy gets all rights: the mapping's rights are given to Page_Map, which
 * masks them with the cap's, so a narrower copy would only lose rights. */
static int op_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    vs_sel4_backend *be = ctx;
    seL4_CPtr slot;
    seL4_Error err = vs_sel4_alloc_copy(be->alloc, (seL4_CPtr)src, seL4_AllRights, &slot);
    if (err == seL4_NoError) {
        *out = slot;
    }
    return (int)err;
}

static int op_delete_cap(void *ctx, vs_cap cap)
{
    vs_sel4_backend *be = ctx;
    return (int)vs_sel4_alloc_delete_copy(be->alloc, (seL4_CPtr)cap);
}

static int op_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    vs_sel4_backend *be = ctx;
    seL4_Word pa = 0;
    seL4_Error err = be->ba->page_paddr((seL4_CPtr)frame, &pa);
    if (err == seL4_NoError) {
        *paddr = pa;
    }
    return (int)err;
}

static int op_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    vs_sel4_backend *be = ctx;
    if (be->translate == NULL) {
        return seL4_IllegalOperation;
    }
    return be->translate(be->translate_ctx, root, vaddr, out);
}

static const vs_kernel_ops sel4_ops = {
    .alloc_object = op_alloc_object,
    .free_object = op_free_object,
    .map_frame = op_map_frame,
    .map_table = op_map_table,
    .unmap_frame = op_unmap_frame,
    .unmap_table = op_unmap_table,
    .copy_cap = op_copy_cap,
    .delete_cap = op_delete_cap,
    .frame_paddr = op_frame_paddr,
    .translate = op_translate,
    .map_frames = op_map_frames,
    .unmap_frames = op_unmap_frames,
};

/* ---- lifetime ---- */

vs_result vs_sel4_backend_create(const vs_arch *arch, vs_sel4_alloc *alloc, vs_allocator mem, vs_sel4_backend **out)
{
    if (arch == NULL || alloc == NULL || out == NULL || mem.alloc == NULL || mem.free == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    const be_arch *ba = be_arch_get(arch->id);
    if (ba == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_sel4_backend *be = mem.alloc(mem.ctx, sizeof *be);
    if (be == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    *be = (vs_sel4_backend){arch, ba, alloc, mem, NULL, NULL};
    *out = be;
    return VS_OK;
}

void vs_sel4_backend_destroy(vs_sel4_backend *be)
{
    if (be != NULL) {
        be->mem.free(be->mem.ctx, be, sizeof *be);
    }
}

vs_kernel vs_sel4_backend_kernel(vs_sel4_backend *be)
{
    return (vs_kernel){&sel4_ops, be};
}

const vs_arch *vs_sel4_backend_arch(const vs_sel4_backend *be)
{
    return be->arch;
}

vs_sel4_alloc *vs_sel4_backend_alloc(const vs_sel4_backend *be)
{
    return be->alloc;
}

void vs_sel4_backend_set_translate(vs_sel4_backend *be, vs_sel4_translate_fn fn, void *ctx)
{
    be->translate = fn;
    be->translate_ctx = fn != NULL ? ctx : NULL;
}
