#include "counted.h"

void *counted_alloc_get(counted_alloc *a, size_t size)
{
    void *p = a->base.alloc(a->base.ctx, size);
    if (p != NULL) {
        a->bytes += size;
    }
    return p;
}

void counted_alloc_put(counted_alloc *a, void *ptr, size_t size)
{
    if (ptr != NULL) {
        a->bytes -= size;
        a->base.free(a->base.ctx, ptr, size);
    }
}
