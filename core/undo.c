/* Undo of paging structures across calls, and the legacy reservation drop
 * (<vs/undo.h>). */
#include <vs/undo.h>

#include "internal.h"
#include "restree.h"
#include "shadow.h"
#include "tables.h"

uint64_t vs_table_mark(const vs_space *vs)
{
    return vs != NULL ? tables_mark(&vs->tables) : 0;
}

typedef struct span {
    const shadow *shadow;
    uint64_t first, end; /* pages */
    uint64_t found;      /* first mapped page + 1, or 0 */
} span;

static int leaf_maps_in_span(void *ctx, uint64_t key, const shadow_leaf *leaf)
{
    span *s = ctx;
    unsigned shift = shadow_key_shift(s->shadow, key);
    uint64_t p0 = shadow_key_page(s->shadow, key);
    if (p0 + ((uint64_t)SHADOW_LEAF_PAGES << shift) <= s->first || p0 >= s->end) {
        return 0;
    }
    for (unsigned i = 0; i < SHADOW_LEAF_PAGES; i++) {
        uint64_t page = p0 + ((uint64_t)i << shift);
        uint64_t end = page + ((uint64_t)1 << shift);
        if (end > s->first && page < s->end && (leaf->meta[i] & META_STATE_MASK) == VS_PAGE_MAPPED) {
            s->found = (page > s->first ? page : s->first) + 1;
            return 1;
        }
    }
    return 0;
}

/* The first page mapped inside the span of rec (a table), + 1; 0 if none. */
static uint64_t first_mapped_under(const vs_space *vs, const table_rec *rec)
{
    unsigned shift = vs->arch->levels[rec->level - 1].shift;
    span s = {&vs->shadow, page_of(rec->vaddr), page_of(rec->vaddr) + ((uint64_t)1 << (shift - SHADOW_PAGE_BITS)), 0};
    shadow_for_each_leaf(&vs->shadow, leaf_maps_in_span, &s);
    return s.found;
}

static vs_result rollback(vs_space *vs, uint64_t mark)
{
    if (mark > tables_mark(&vs->tables)) {
        return vs_fail(vs, VS_ERR_INVALID_ARG, "table mark is newer than every table", 0);
    }
    /* The tables to remove, then the kept ones to map back (any age): a
     * page mapped where one of those lies would make its map-back fail
     * after the rollback had reported success. */
    for (const table_rec *rec = vs->tables.head; rec != NULL; rec = rec->next) {
        int removed = rec->seq >= mark;
        if (!removed && vs->tables.kept == 0) {
            break; /* newest first: no older table is to remove, none is kept */
        }
        uint64_t found = removed || rec->place == TABLE_KEPT ? first_mapped_under(vs, rec) : 0;
        if (found != 0) {
            return vs_fail(vs, VS_ERR_HAS_MAPPINGS,
                           removed ? "a paging structure to remove still maps a page"
                                   : "a page is mapped where a kept paging structure is to go back",
                           (found - 1) << SHADOW_PAGE_BITS);
        }
    }
    tables_rollback(vs, mark);
    return VS_OK;
}

uint64_t vs_table_keep(vs_space *vs)
{
    if (vs == NULL) {
        return 0;
    }
    vs->tables.keeping = 1;
    return vs_table_mark(vs);
}

void vs_table_keep_end(vs_space *vs)
{
    if (vs != NULL) {
        tables_free_kept(vs);
        vs->tables.keeping = 0;
    }
}

vs_result vs_table_rollback(vs_space *vs, uint64_t mark)
{
    if (vs == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_begin(vs);
    vs_result r = rollback(vs, mark);
    if (r == VS_OK) {
        /* Kept tables older than the mark go back where they were; newer
         * ones were freed with the rest. */
        tables_reattach_kept(vs);
        vs->tables.keeping = 0;
    }
    return vs_end(vs, r, 0);
}

vs_result vs_legacy_drop_reservation(vs_space *vs, vs_reservation *res)
{
    if (vs == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    vs_begin(vs);
    res_node *node = handles_resolve(&vs->handles, res);
    if (node == NULL) {
        return vs_end(vs, vs_fail(vs, VS_ERR_INVALID_ARG, "reservation handle is NULL, freed, or of another vspace", 0),
                      0);
    }
    restree_remove(&vs->tree, node, restree_leaf_of(&vs->tree, node));
    vs->reserved_pages -= page_of(node->end - node->start);
    handles_drop(&vs->handles, node); /* kept for vs_destroy, which tears its pages down */
    return vs_end(vs, VS_OK, 0);
}
