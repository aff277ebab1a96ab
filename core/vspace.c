/* Creating, inspecting and destroying a vspace. */
#include "internal.h"

#include "libc.h"

/* The operations a kernel interface must provide; translate and the batch
 * forms are optional (see vs_kernel_ops). */
static int kernel_ops_complete(const vs_kernel_ops *k)
{
    return k->alloc_object != NULL && k->free_object != NULL && k->map_frame != NULL && k->map_table != NULL &&
           k->unmap_frame != NULL && k->unmap_table != NULL && k->copy_cap != NULL && k->delete_cap != NULL &&
           k->frame_paddr != NULL;
}

vs_result vs_config_check(const vs_config *c, const char **reason)
{
    const char *why = NULL;
    if (c == NULL) {
        why = "config is NULL";
    } else if (c->arch == NULL) {
        why = "config.arch is NULL";
    } else if (c->arch->num_page_sizes == 0 || c->arch->page_sizes[0].bits != SHADOW_PAGE_BITS) {
        why = "config.arch's first page size is not the 4 KiB base page the shadow is built on";
    } else if (c->allocator.alloc == NULL || c->allocator.free == NULL) {
        why = "config.allocator lacks alloc or free";
    } else if (c->kernel.ops == NULL) {
        why = "config.kernel.ops is NULL";
    } else if (!kernel_ops_complete(c->kernel.ops)) {
        why = "config.kernel.ops lacks a required operation (all but translate and the batch forms)";
    } else if (c->root == 0) {
        why = "config.root is the null cap (0)";
    } else if (c->range_base != 0 || c->range_end != 0) {
        uint64_t page = (uint64_t)1 << SHADOW_PAGE_BITS;
        if (!is_aligned(c->range_base, page) || !is_aligned(c->range_end, page)) {
            why = "config range is not page aligned";
        } else if (c->range_base >= c->range_end) {
            why = "config range is empty or inverted (range_end <= range_base)";
        } else if (c->range_end > c->arch->va_end) {
            why = "config.range_end is beyond the architecture's va_end (the end of the user half)";
        }
    }
    if (reason != NULL) {
        *reason = why != NULL ? why : "config is valid";
    }
    return why != NULL ? VS_ERR_INVALID_ARG : VS_OK;
}

vs_result vs_create(const vs_config *config, vs_space **out)
{
    if (out == NULL || vs_config_check(config, NULL) != VS_OK) {
        return VS_ERR_INVALID_ARG;
    }
    counted_alloc alloc = {config->allocator, 0};
    vs_space *vs = counted_alloc_get(&alloc, sizeof *vs);
    if (vs == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    memset(vs, 0, sizeof *vs);
    vs->error = (vs_error_info){VS_OK, "no call has failed", 0, 0, NULL};
    vs->arch = config->arch;
    vs->alloc = alloc;
    if (restree_init(&vs->tree, &vs->alloc, handles_leaf_link, &vs->handles) != VS_OK) {
        counted_alloc_put(&alloc, vs, sizeof *vs);
        return VS_ERR_NO_MEMORY;
    }
    vs->kernel = config->kernel;
    vs->root = config->root;
    int whole = config->range_base == 0 && config->range_end == 0;
    vs->base = whole ? config->arch->user_base : config->range_base;
    vs->end = whole ? config->arch->user_end : config->range_end;
    handles_init(&vs->handles, (uintptr_t)(((uint64_t)(uintptr_t)vs >> 4) * 0x9e3779b97f4a7c15ull));
    vs->shadow.num_sizes = config->arch->num_page_sizes;
    for (unsigned i = 0; i < config->arch->num_page_sizes; i++) {
        vs->size_shift[i] = (uint8_t)(config->arch->page_sizes[i].bits - SHADOW_PAGE_BITS);
        vs->shadow.shift[i] = vs->size_shift[i];
    }
    *out = vs;
    return VS_OK;
}

const vs_arch *vs_get_arch(const vs_space *vs)
{
    return vs != NULL ? vs->arch : NULL;
}

vs_kernel vs_get_kernel(const vs_space *vs)
{
    return vs->kernel;
}

vs_cap vs_get_root(const vs_space *vs)
{
    return vs->root;
}

void vs_get_range(const vs_space *vs, vs_addr *base, vs_addr *end)
{
    *base = vs->base;
    *end = vs->end;
}

int vs_last_kernel_error(const vs_space *vs)
{
    return vs != NULL ? vs->last_kernel_error : 0;
}

void vs_release_failed(vs_space *vs, int error)
{
    if (error != 0) {
        vs->release_failures++;
        vs->last_kernel_error = error;
    }
}

const vs_error_info *vs_last_error(const vs_space *vs)
{
    static const vs_error_info no_vspace = {VS_ERR_INVALID_ARG, "vs is NULL", 0, 0, NULL};
    return vs != NULL ? &vs->error : &no_vspace;
}

vs_result vs_fail(vs_space *vs, vs_result r, const char *reason, vs_addr vaddr)
{
    if (vs != NULL) {
        vs->error = (vs_error_info){r, reason, vaddr, 0, NULL};
        vs->error_call = vs->calls;
    }
    return r;
}

vs_result vs_kernel_failed(vs_space *vs, int error, const char *call, vs_addr vaddr)
{
    vs->last_kernel_error = error;
    vs_fail(vs, VS_ERR_KERNEL, "the kernel refused an operation", vaddr);
    vs->error.kernel_error = error;
    vs->error.kernel_call = call;
    return VS_ERR_KERNEL;
}

vs_result vs_end_failed(vs_space *vs, vs_result r, vs_addr vaddr)
{
    if (vs != NULL && vs->error_call != vs->calls) {
        vs_fail(vs, r, vs_strerror(r), vaddr);
    }
    return r;
}

vs_result vs_get_stats(const vs_space *vs, vs_stats *out)
{
    if (out == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    if (vs == NULL) {
        memset(out, 0, sizeof *out);
        return VS_ERR_INVALID_ARG;
    }
    out->reservations = vs->tree.count;
    out->reserved_pages = vs->reserved_pages;
    out->mapped_pages = vs->mapped_pages;
    out->paging_tables = vs->tables.count;
    out->bookkeeping_bytes = vs->alloc.bytes;
    out->release_failures = vs->release_failures;
    return VS_OK;
}

typedef struct destroy_ctx {
    vs_space *vs;
    unsigned flags;
} destroy_ctx;

/* Teardown visits each reservation's mapped pages in runs: one (batch)
 * kernel unmap per run, going on past refusals, then the frames and copies
 * are released. Nodes are freed only after the walk, since it reads the
 * tree. */
static int destroy_mappings(void *ctx, const res_node *res)
{
    const destroy_ctx *d = ctx;
    vs_space *vs = d->vs;
    if (res->mapped_pages == 0) {
        return 0;
    }
    shadow_cursor c;
    page_run run;
    vs_cursor(vs, &c, res->start, res->end - res->start);
    while (vs_gather(&c, &run)) {
        int error = 0;
        for (size_t n = kcall_unmap_all(vs, run.caps, run.count, run.size_index, &error); n > 0; n--) {
            vs_release_failed(vs, error);
        }
        for (unsigned i = 0; i < run.count; i++) {
            shadow_entry e = {VS_PAGE_MAPPED, run.size_index, run.owner_buf[i], run.caps[i], run.cookies[i]};
            vs_release_frame(vs, &e, (d->flags & VS_DESTROY_FREE_CALLER_FRAMES) != 0);
        }
    }
    return 0;
}

/* Records belong to the handle table, which frees them in chunks. */
static void keep_node(void *ctx, res_node *n)
{
    (void)ctx, (void)n;
}

vs_result vs_destroy(vs_space *vs, unsigned flags, int *last_kernel_error)
{
    if (vs == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    size_t failures_before = vs->release_failures;
    destroy_ctx ctx = {vs, flags};
    restree_for_each(&vs->tree, destroy_mappings, &ctx);
    /* vs_legacy_drop_reservation's records: out of the tree (the audit sees
     * their pages as orphans), torn down here. */
    handles_for_each_dropped(&vs->handles, destroy_mappings, &ctx);
    tables_destroy(vs);
    shadow_destroy(&vs->shadow, &vs->alloc);
    restree_destroy(&vs->tree, keep_node, NULL);
    handles_destroy(&vs->handles, &vs->alloc);
    int failed = vs->release_failures != failures_before;
    if (last_kernel_error != NULL) {
        *last_kernel_error = failed ? vs->last_kernel_error : 0;
    }
    counted_alloc alloc = vs->alloc;
    counted_alloc_put(&alloc, vs, sizeof *vs);
    return failed ? VS_ERR_KERNEL : VS_OK;
}
