/* Creating paging structures on demand, as a root task on seL4 must: the
 * kernel refuses a mapping whose intermediate table is absent and says which
 * level is missing; we allocate that table, map it and try again. */
#include "internal.h"

static vs_result map_table(struct vs_space *vs, vs_cap table, unsigned level, vs_addr vaddr);

static void free_table(struct vs_space *vs, table_rec *rec, int mapped)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    if (mapped) {
        vs_release_failed(vs, ops->unmap_table(vs->kernel.ctx, rec->obj.cap, rec->level));
    }
    vs_release_failed(vs, ops->free_object(vs->kernel.ctx, VS_OBJ_PAGING_TABLE, rec->level, &rec->obj));
    counted_alloc_put(&vs->alloc, rec, sizeof *rec);
}

static vs_result add_table(struct vs_space *vs, unsigned level, vs_addr vaddr)
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
        return vs_kernel_failed(vs, error, "alloc_object", vaddr);
    }
    vs_result r = map_table(vs, rec->obj.cap, level, rec->vaddr);
    if (r != VS_OK) {
        free_table(vs, rec, 0);
        return r;
    }
    rec->seq = vs->tables.next_seq++;
    rec->next = vs->tables.head;
    vs->tables.head = rec;
    vs->tables.count++;
    return VS_OK;
}

/* A missing level is believable only if it lies above the entry being
 * written; each retry fills one, so more than num_levels retries without
 * progress means the kernel misbehaves. */
static int missing_ok(const struct vs_space *vs, vs_kstatus st, unsigned entry_level, unsigned *retries)
{
    return st.missing_level >= 1 && (unsigned)st.missing_level <= entry_level && ++*retries <= vs->arch->num_levels;
}

static vs_result map_table(struct vs_space *vs, vs_cap table, unsigned level, vs_addr vaddr)
{
    uint64_t mark = tables_mark(&vs->tables);
    unsigned retries = 0;
    for (;;) {
        vs_kstatus st = vs->kernel.ops->map_table(vs->kernel.ctx, vs->root, table, level, vaddr);
        if (st.error == 0) {
            return VS_OK;
        }
        vs_result r = missing_ok(vs, st, level - 1, &retries) ? add_table(vs, (unsigned)st.missing_level, vaddr)
                                                              : vs_kernel_failed(vs, st.error, "map_table", vaddr);
        if (r != VS_OK) {
            tables_rollback(vs, mark);
            return r;
        }
    }
}

vs_result tables_map_failed(struct vs_space *vs, const frame_batch *batch, vs_kstatus st, unsigned done)
{
    uint64_t mark = tables_mark(&vs->tables);
    unsigned bits = vs->arch->page_sizes[batch->size_index].bits;
    unsigned entry_level = vs->arch->page_sizes[batch->size_index].level;
    frame_batch rest = *batch;
    unsigned retries = 0;
    for (unsigned n = done;;) {
        rest.caps += n;
        rest.count -= n;
        rest.vaddr += (vs_addr)n << bits;
        retries = n > 0 ? 0 : retries;
        vs_result r = missing_ok(vs, st, entry_level, &retries)
                          ? add_table(vs, (unsigned)st.missing_level, rest.vaddr)
                          : vs_kernel_failed(vs, st.error, "map_frame", rest.vaddr);
        if (r != VS_OK) {
            vs->release_failures +=
                kcall_unmap_all(vs, batch->caps, batch->count - rest.count, batch->size_index, NULL);
            tables_rollback(vs, mark);
            return r;
        }
        st = kcall_map_frames(vs, &rest, &n);
        if (st.error == 0) {
            return VS_OK;
        }
    }
}

vs_result tables_map_frames(struct vs_space *vs, const frame_batch *batch)
{
    unsigned done = 0;
    vs_kstatus st = kcall_map_frames(vs, batch, &done);
    return st.error == 0 ? VS_OK : tables_map_failed(vs, batch, st, done);
}

void tables_rollback(struct vs_space *vs, uint64_t mark)
{
    while (vs->tables.head != NULL && vs->tables.head->seq >= mark) {
        table_rec *rec = vs->tables.head;
        vs->tables.head = rec->next;
        vs->tables.count--;
        free_table(vs, rec, 1);
    }
}

/* The list is newest first, so a table's children, created after it, are
 * met and freed before it. */
size_t tables_clear_span(struct vs_space *vs, vs_addr vaddr, uint64_t size, unsigned entry_level)
{
    size_t removed = 0;
    for (table_rec **link = &vs->tables.head; *link != NULL;) {
        table_rec *rec = *link;
        if (rec->level > entry_level && rec->vaddr >= vaddr && rec->vaddr - vaddr < size) {
            *link = rec->next;
            vs->tables.count--;
            free_table(vs, rec, 1);
            removed++;
        } else {
            link = &rec->next;
        }
    }
    return removed;
}

void tables_destroy(struct vs_space *vs)
{
    tables_rollback(vs, 0);
}
