/* Creating paging structures on demand, as a root task on seL4 must: the
 * kernel refuses a mapping whose intermediate table is absent and says which
 * level is missing; we allocate that table, map it and try again. */
#include "internal.h"

typedef struct map_request {
    int is_table;
    vs_cap cap;
    unsigned size; /* page-size index, or table level */
    vs_addr vaddr;
    unsigned rights;
    vs_cache cache;
} map_request;

static vs_result map_with_tables(struct vspace *vs, const map_request *req);

static vs_kstatus map_once(struct vspace *vs, const map_request *req)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    if (req->is_table) {
        return ops->map_table(vs->kernel.ctx, vs->root, req->cap, req->size, req->vaddr);
    }
    return ops->map_frame(vs->kernel.ctx, vs->root, req->cap, req->vaddr, req->size, req->rights, req->cache);
}

/* The level of the table that would hold the request's own entry. */
static unsigned request_level(const struct vspace *vs, const map_request *req)
{
    return req->is_table ? req->size - 1 : vs->arch->page_sizes[req->size].level;
}

static void free_table(struct vspace *vs, table_rec *rec, int mapped)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    if (mapped && ops->unmap_table(vs->kernel.ctx, rec->obj.cap, rec->level) != 0) {
        vs->release_failures++;
    }
    if (ops->free_object(vs->kernel.ctx, VS_OBJ_PAGING_TABLE, rec->level, &rec->obj) != 0) {
        vs->release_failures++;
    }
    counted_alloc_put(&vs->alloc, rec, sizeof *rec);
}

static vs_result add_table(struct vspace *vs, unsigned level, vs_addr vaddr)
{
    table_rec *rec = counted_alloc_get(&vs->alloc, sizeof *rec);
    if (rec == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    rec->level = level;
    rec->vaddr = vaddr & ~(((vs_addr)1 << vs->arch->levels[level - 1].shift) - 1);
    int error = vs->kernel.ops->alloc_object(vs->kernel.ctx, VS_OBJ_PAGING_TABLE, level, &rec->obj);
    if (error != 0) {
        counted_alloc_put(&vs->alloc, rec, sizeof *rec);
        return vs_kernel_failed(vs, error);
    }
    map_request req = {1, rec->obj.cap, level, rec->vaddr, 0, VS_CACHE_DEFAULT};
    vs_result r = map_with_tables(vs, &req);
    if (r != VS_OK) {
        free_table(vs, rec, 0);
        return r;
    }
    rec->next = vs->tables.head;
    vs->tables.head = rec;
    vs->tables.count++;
    return VS_OK;
}

/* Each retry fills a level strictly above the request's own, so at most
 * num_levels attempts can be needed; more means the kernel misbehaves. */
static vs_result map_with_tables(struct vspace *vs, const map_request *req)
{
    const table_rec *mark = vs->tables.head;
    for (unsigned attempt = 0; attempt <= vs->arch->num_levels; attempt++) {
        vs_kstatus st = map_once(vs, req);
        if (st.error == 0) {
            return VS_OK;
        }
        if (st.missing_level < 1 || (unsigned)st.missing_level > request_level(vs, req)) {
            tables_rollback(vs, mark);
            return vs_kernel_failed(vs, st.error);
        }
        vs_result r = add_table(vs, (unsigned)st.missing_level, req->vaddr);
        if (r != VS_OK) {
            tables_rollback(vs, mark);
            return r;
        }
    }
    tables_rollback(vs, mark);
    return vs_kernel_failed(vs, -1);
}

vs_result tables_map_frame(struct vspace *vs, vs_cap frame, vs_addr vaddr, unsigned size_index, unsigned rights,
                           vs_cache cache)
{
    map_request req = {0, frame, size_index, vaddr, rights, cache};
    return map_with_tables(vs, &req);
}

void tables_rollback(struct vspace *vs, const table_rec *mark)
{
    while (vs->tables.head != mark) {
        table_rec *rec = vs->tables.head;
        vs->tables.head = rec->next;
        vs->tables.count--;
        free_table(vs, rec, 1);
    }
}

size_t tables_destroy(struct vspace *vs)
{
    size_t before = vs->release_failures;
    tables_rollback(vs, NULL);
    return vs->release_failures - before;
}
