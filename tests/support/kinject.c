#include "kinject.h"

#include <stddef.h>

#define REAL(k) ((k)->real.ops)

/* True if this call is the one to fail. */
static int now(kinject *k)
{
    if (k->fail_in == 0 || --k->fail_in != 0) {
        return 0;
    }
    k->fired = 1;
    return 1;
}

static int ki_alloc_object(void *ctx, vs_object_kind kind, unsigned size, vs_object *out)
{
    kinject *k = ctx;
    return now(k) ? k->error : REAL(k)->alloc_object(k->real.ctx, kind, size, out);
}

enum { PEND_NONE, PEND_FREE, PEND_DELETE, PEND_UNMAP_FRAME, PEND_UNMAP_TABLE };

/* Fails this release call if it is the one, remembering it for reclaim. */
static int refuse(kinject *k, int which, vs_object_kind kind, unsigned size, vs_object obj)
{
    if (!now(k)) {
        return 0;
    }
    k->pending = which;
    k->pending_kind = kind;
    k->pending_size = size;
    k->pending_obj = obj;
    return 1;
}

static int ki_free_object(void *ctx, vs_object_kind kind, unsigned size, const vs_object *obj)
{
    kinject *k = ctx;
    return refuse(k, PEND_FREE, kind, size, *obj) ? k->error : REAL(k)->free_object(k->real.ctx, kind, size, obj);
}

static vs_kstatus ki_map_frame(void *ctx, vs_cap root, vs_cap frame, vs_addr vaddr, unsigned page_size, unsigned rights,
                               vs_cache cache)
{
    kinject *k = ctx;
    if (now(k)) {
        return (vs_kstatus){k->error, -1};
    }
    vs_kstatus st = REAL(k)->map_frame(k->real.ctx, root, frame, vaddr, page_size, rights, cache);
    if (st.error == 0 && k->on_map != NULL) {
        k->on_map(k->on_map_ctx, root, vaddr);
    }
    return st;
}

static vs_kstatus ki_map_table(void *ctx, vs_cap root, vs_cap table, unsigned level, vs_addr vaddr)
{
    kinject *k = ctx;
    return now(k) ? (vs_kstatus){k->error, -1} : REAL(k)->map_table(k->real.ctx, root, table, level, vaddr);
}

static int ki_unmap_frame(void *ctx, vs_cap frame, unsigned page_size)
{
    kinject *k = ctx;
    return refuse(k, PEND_UNMAP_FRAME, VS_OBJ_FRAME, page_size, (vs_object){frame, 0})
               ? k->error
               : REAL(k)->unmap_frame(k->real.ctx, frame, page_size);
}

static int ki_unmap_table(void *ctx, vs_cap table, unsigned level)
{
    kinject *k = ctx;
    return refuse(k, PEND_UNMAP_TABLE, VS_OBJ_PAGING_TABLE, level, (vs_object){table, 0})
               ? k->error
               : REAL(k)->unmap_table(k->real.ctx, table, level);
}

static int ki_copy_cap(void *ctx, vs_cap src, vs_cap *out)
{
    kinject *k = ctx;
    return now(k) ? k->error : REAL(k)->copy_cap(k->real.ctx, src, out);
}

static int ki_delete_cap(void *ctx, vs_cap cap)
{
    kinject *k = ctx;
    return refuse(k, PEND_DELETE, VS_OBJ_FRAME, 0, (vs_object){cap, 0}) ? k->error
                                                                        : REAL(k)->delete_cap(k->real.ctx, cap);
}

static int ki_frame_paddr(void *ctx, vs_cap frame, vs_addr *paddr)
{
    kinject *k = ctx;
    return now(k) ? k->error : REAL(k)->frame_paddr(k->real.ctx, frame, paddr);
}

static int ki_translate(void *ctx, vs_cap root, vs_addr vaddr, vs_translation *out)
{
    kinject *k = ctx;
    return now(k) ? k->error : REAL(k)->translate(k->real.ctx, root, vaddr, out);
}

static vs_kstatus ki_map_frames(void *ctx, vs_cap root, const vs_cap *frames, unsigned n, vs_addr vaddr,
                                unsigned page_size, unsigned rights, vs_cache cache, unsigned *done)
{
    kinject *k = ctx;
    if (now(k)) {
        *done = 0;
        return (vs_kstatus){k->error, -1};
    }
    vs_kstatus st = REAL(k)->map_frames(k->real.ctx, root, frames, n, vaddr, page_size, rights, cache, done);
    if (*done > 0 && k->on_map != NULL) {
        k->on_map(k->on_map_ctx, root, vaddr);
    }
    return st;
}

static int ki_unmap_frames(void *ctx, const vs_cap *frames, unsigned n, unsigned page_size, unsigned *done)
{
    kinject *k = ctx;
    if (n > 0 && refuse(k, PEND_UNMAP_FRAME, VS_OBJ_FRAME, page_size, (vs_object){frames[0], 0})) {
        *done = 0; /* frames[0] refused, the rest untouched */
        return k->error;
    }
    return REAL(k)->unmap_frames(k->real.ctx, frames, n, page_size, done);
}

static uint8_t ki_granted_rights(void *ctx, unsigned rights)
{
    kinject *k = ctx;
    return REAL(k)->granted_rights(k->real.ctx, rights);
}

vs_kernel kinject_kernel(kinject *k)
{
    const vs_kernel_ops *r = k->real.ops;
    int batch = r->map_frames != NULL && r->unmap_frames != NULL;
    k->ops = (vs_kernel_ops){
        .alloc_object = ki_alloc_object,
        .free_object = ki_free_object,
        .map_frame = ki_map_frame,
        .map_table = ki_map_table,
        .unmap_frame = ki_unmap_frame,
        .unmap_table = ki_unmap_table,
        .copy_cap = ki_copy_cap,
        .delete_cap = ki_delete_cap,
        .frame_paddr = ki_frame_paddr,
        .translate = ki_translate,
        .map_frames = batch ? ki_map_frames : NULL,
        .unmap_frames = batch ? ki_unmap_frames : NULL,
        .granted_rights = r->granted_rights != NULL ? ki_granted_rights : NULL,
    };
    return (vs_kernel){&k->ops, k};
}

void kinject_arm(kinject *k, uint64_t n)
{
    k->fail_in = n;
    k->fired = 0;
    if (n != 0) {
        k->pending = PEND_NONE;
    }
}

int kinject_reclaim(kinject *k)
{
    const vs_kernel_ops *r = REAL(k);
    void *c = k->real.ctx;
    int which = k->pending;
    k->pending = PEND_NONE;
    switch (which) {
    case PEND_FREE:
        return r->free_object(c, k->pending_kind, k->pending_size, &k->pending_obj) == 0;
    case PEND_DELETE:
        return r->delete_cap(c, k->pending_obj.cap) == 0;
    case PEND_UNMAP_FRAME:
        return r->unmap_frame(c, k->pending_obj.cap, k->pending_size) == 0;
    case PEND_UNMAP_TABLE:
        return r->unmap_table(c, k->pending_obj.cap, k->pending_size) == 0;
    default:
        return 0;
    }
}
