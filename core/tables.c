/* Creating paging structures on demand, as a root task on seL4 must: the
 * kernel refuses a mapping whose intermediate table is absent and says which
 * level is missing; we allocate that table, map it and try again. */
#include "internal.h"

#include "libc.h"

static vs_result map_table(struct vs_space *vs, vs_cap table, unsigned level, vs_addr vaddr);

/* ---- the index (tables.h: table_index) ---- */

enum { MIN_BUCKETS = 8, MIN_BUCKET_BITS = 3 };

/* A table's vaddr is aligned to the span of a parent entry (2^20 at
 * least), so the level fits below it; the fold brings the product's well
 * mixed high half down to the low bits linear hashing uses. */
static uint64_t index_hash(unsigned level, vs_addr vaddr)
{
    uint64_t h = ((uint64_t)vaddr | level) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 32);
}

static unsigned high_bit(size_t v)
{
    return (unsigned)(sizeof(unsigned long long) * 8 - 1) - (unsigned)__builtin_clzll(v);
}

static unsigned segment_of(size_t bucket)
{
    return bucket < MIN_BUCKETS ? 0 : high_bit(bucket) - MIN_BUCKET_BITS + 1;
}

static size_t segment_first(unsigned segment)
{
    return segment == 0 ? 0 : (size_t)MIN_BUCKETS << (segment - 1);
}

static size_t segment_length(unsigned segment)
{
    return segment == 0 ? MIN_BUCKETS : (size_t)MIN_BUCKETS << (segment - 1);
}

/* One bucket per table keeps chains short on average; none while there is
 * no table, so an empty vspace holds no index. */
static size_t buckets_for(size_t tables)
{
    if (tables == 0) {
        return 0;
    }
    return tables < MIN_BUCKETS ? MIN_BUCKETS : tables;
}

static unsigned segments_for(size_t buckets)
{
    return buckets == 0 ? 0 : segment_of(buckets - 1) + 1;
}

static table_rec **bucket_at(const table_index *ix, size_t bucket)
{
    unsigned s = segment_of(bucket);
    return &ix->segments[s][bucket - segment_first(s)];
}

/* Buckets below `buckets - low` have been split into [low, buckets): the
 * hash's next bit decides between the two. */
static table_rec **bucket_of(const table_index *ix, uint64_t hash)
{
    size_t b = (size_t)hash & (2 * ix->low - 1);
    return bucket_at(ix, b < ix->buckets ? b : b - ix->low);
}

table_rec *tables_find(const table_list *list, unsigned level, vs_addr vaddr)
{
    if (list->index.buckets == 0) {
        return NULL;
    }
    table_rec *rec = *bucket_of(&list->index, index_hash(level, vaddr));
    while (rec != NULL && (rec->vaddr != vaddr || rec->level != level)) {
        rec = rec->index_next;
    }
    return rec;
}

/* Memory for the bucket of one more table than the list holds and the
 * index has promised, taken before the kernel is called so that no
 * kernel call needs undoing when it is lacking. */
static vs_result index_reserve(table_list *list, counted_alloc *a)
{
    table_index *ix = &list->index;
    unsigned s = segments_for(buckets_for(list->count + ix->reserved + 1)) - 1;
    if (s >= TABLE_INDEX_SEGMENTS) {
        return VS_ERR_NO_MEMORY;
    }
    if (ix->segments[s] == NULL) {
        /* Buckets are initialized as they come into use (index_split). */
        ix->segments[s] = counted_alloc_get(a, segment_length(s) * sizeof(table_rec *));
        if (ix->segments[s] == NULL) {
            return VS_ERR_NO_MEMORY;
        }
    }
    ix->reserved++;
    return VS_OK;
}

/* Frees the segments neither the tables nor the promises use. */
static void index_trim(table_list *list, counted_alloc *a)
{
    table_index *ix = &list->index;
    for (unsigned s = segments_for(buckets_for(list->count + ix->reserved));
         s < TABLE_INDEX_SEGMENTS && ix->segments[s] != NULL; s++) {
        counted_alloc_put(a, ix->segments[s], segment_length(s) * sizeof(table_rec *));
        ix->segments[s] = NULL;
    }
}

/* A promise index_reserve made that no table will take. */
static void index_unreserve(table_list *list, counted_alloc *a)
{
    list->index.reserved--;
    index_trim(list, a);
}

/* Adds bucket `buckets`, taking from the bucket it splits off the tables
 * whose hash now leads to it. */
static void index_split(table_index *ix)
{
    size_t fresh = ix->buckets;
    size_t low = ix->low;
    table_rec **from = bucket_at(ix, fresh - low);
    table_rec **to = bucket_at(ix, fresh);
    *to = NULL;
    ix->buckets++;
    ix->low = ix->buckets == 2 * low ? 2 * low : low;
    for (table_rec **link = from; *link != NULL;) {
        table_rec *rec = *link;
        if (((size_t)index_hash(rec->level, rec->vaddr) & (2 * low - 1)) == fresh) {
            *link = rec->index_next;
            rec->index_next = *to;
            *to = rec;
        } else {
            link = &rec->index_next;
        }
    }
}

/* Undoes the last split: the last bucket's tables go back to its origin. */
static void index_merge(table_index *ix)
{
    size_t last = --ix->buckets;
    ix->low = last < ix->low ? ix->low / 2 : ix->low;
    table_rec **from = bucket_at(ix, last);
    table_rec **to = bucket_at(ix, last - ix->low);
    while (*from != NULL) {
        table_rec *rec = *from;
        *from = rec->index_next;
        rec->index_next = *to;
        *to = rec;
    }
}

/* Enters a table whose bucket index_reserve promised, in the list too. */
static void link_table(table_list *list, table_rec *rec)
{
    table_index *ix = &list->index;
    ix->reserved--;
    if (ix->buckets == 0) {
        memset(ix->segments[0], 0, MIN_BUCKETS * sizeof(table_rec *));
        ix->buckets = MIN_BUCKETS;
        ix->low = MIN_BUCKETS;
    } else if (ix->buckets < buckets_for(list->count + 1)) {
        index_split(ix);
    }
    table_rec **head = bucket_of(ix, index_hash(rec->level, rec->vaddr));
    rec->index_next = *head;
    *head = rec;
    rec->seq = list->next_seq++;
    rec->next = list->head;
    list->head = rec;
    list->count++;
}

/* Takes the table *link names out of the list and the index, whose
 * buckets and memory shrink to what the remaining count calls for. */
static table_rec *unlink_table(table_list *list, counted_alloc *a, table_rec **link)
{
    table_rec *rec = *link;
    *link = rec->next;
    table_index *ix = &list->index;
    table_rec **chain = bucket_of(ix, index_hash(rec->level, rec->vaddr));
    while (*chain != NULL && *chain != rec) {
        chain = &(*chain)->index_next;
    }
    if (*chain != NULL) { /* else the index lost it: vs_check reports that */
        *chain = rec->index_next;
    }
    list->count--;
    if (list->count == 0) {
        ix->buckets = 0; /* every chain is empty */
        ix->low = 0;
    }
    while (ix->buckets > buckets_for(list->count)) {
        index_merge(ix);
    }
    index_trim(list, a);
    return rec;
}

size_t tables_index_bytes(const table_list *list)
{
    unsigned segments = segments_for(buckets_for(list->count));
    return segments == 0 ? 0 : ((size_t)MIN_BUCKETS << (segments - 1)) * sizeof(table_rec *);
}

const char *tables_index_disagreement(const table_list *list, vs_addr *where)
{
    const table_index *ix = &list->index;
    size_t buckets = buckets_for(list->count);
    *where = 0;
    if (ix->buckets != buckets || ix->low != (buckets == 0 ? 0 : (size_t)1 << high_bit(buckets)) || ix->reserved != 0) {
        return "table index's bucket count differs from what its table count calls for";
    }
    for (unsigned s = 0; s < TABLE_INDEX_SEGMENTS; s++) {
        if ((ix->segments[s] != NULL) != (s < segments_for(buckets))) {
            return "table index holds a bucket segment its bucket count does not use, or lacks one";
        }
    }
    /* Counted first, at most one past the tables, so that the lookups
     * below meet no cycle. */
    size_t entries = 0;
    for (size_t b = 0; b < buckets; b++) {
        for (const table_rec *rec = *bucket_at(ix, b); rec != NULL && entries <= list->count; rec = rec->index_next) {
            entries++;
        }
    }
    if (entries > list->count) {
        return "table index holds more entries than there are tables";
    }
    /* No more entries than tables, and each table found as itself: the
     * index holds the tables and nothing else. */
    for (const table_rec *rec = list->head; rec != NULL; rec = rec->next) {
        if (tables_find(list, rec->level, rec->vaddr) != rec) {
            *where = rec->vaddr;
            return "table is not found through the table index";
        }
    }
    return NULL;
}

/* ---- creating and removing tables ---- */

static void free_table(struct vs_space *vs, table_rec *rec, int mapped)
{
    const vs_kernel_ops *ops = vs->kernel.ops;
    if (mapped) {
        vs_release_failed(vs, ops->unmap_table(vs->kernel.ctx, rec->obj.cap, rec->level));
    }
    vs_release_failed(vs, ops->free_object(vs->kernel.ctx, VS_OBJ_PAGING_TABLE, rec->level, &rec->obj));
    counted_alloc_put(&vs->alloc, rec, sizeof *rec);
}

/* The count of the tables out of the kernel in `place` (not
 * TABLE_IN_KERNEL). */
static size_t *out_count(table_list *list, unsigned place)
{
    return place == TABLE_DETACHED ? &list->detached : &list->kept;
}

/* Takes the table *link names out of the list and frees it, unmapping it
 * only if it is in the kernel, and counts it out of its place. */
static void drop_table(struct vs_space *vs, table_rec **link)
{
    table_list *list = &vs->tables;
    unsigned place = (*link)->place;
    if (place != TABLE_IN_KERNEL) {
        --*out_count(list, place);
    }
    free_table(vs, unlink_table(list, &vs->alloc, link), place == TABLE_IN_KERNEL);
}

static vs_result add_table(struct vs_space *vs, unsigned level, vs_addr vaddr)
{
    vs_addr base = vaddr & ~(((vs_addr)1 << vs->arch->levels[level - 1].shift) - 1);
    /* A kept table is out of the kernel, so the kernel asks for one where
     * it lies; a second record there would make its map-back fail. */
    const table_rec *kept = vs->tables.kept != 0 ? tables_find(&vs->tables, level, base) : NULL;
    if (kept != NULL && kept->place == TABLE_KEPT) {
        return vs_fail(vs, VS_ERR_INVALID_ARG,
                       "a paging structure kept by vs_table_keep covers this address: end the keep or roll back "
                       "before mapping smaller pages here",
                       base);
    }
    table_rec *rec = counted_alloc_get(&vs->alloc, sizeof *rec);
    if (rec == NULL || index_reserve(&vs->tables, &vs->alloc) != VS_OK) {
        counted_alloc_put(&vs->alloc, rec, sizeof *rec);
        return VS_ERR_NO_MEMORY;
    }
    rec->level = level;
    rec->place = TABLE_IN_KERNEL;
    rec->vaddr = base;
    int error = vs->kernel.ops->alloc_object(vs->kernel.ctx, VS_OBJ_PAGING_TABLE, level, &rec->obj);
    if (error != 0) {
        counted_alloc_put(&vs->alloc, rec, sizeof *rec);
        index_unreserve(&vs->tables, &vs->alloc);
        return vs_kernel_failed(vs, error, "alloc_object", vaddr);
    }
    vs_result r = map_table(vs, rec->obj.cap, level, rec->vaddr);
    if (r != VS_OK) {
        free_table(vs, rec, 0);
        index_unreserve(&vs->tables, &vs->alloc);
        return r;
    }
    link_table(&vs->tables, rec);
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
        drop_table(vs, &vs->tables.head);
    }
}

/* Whether the vspace created a table at `level` in any of the `entries`
 * parent entries of 2^shift bytes from vaddr. A table deeper still hangs
 * from one of these, so none here means none at all below. */
static int has_table_in(const table_list *list, unsigned level, vs_addr vaddr, uint64_t entries, unsigned shift)
{
    for (uint64_t i = 0; i < entries; i++) {
        if (tables_find(list, level, vaddr + (i << shift)) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* Detaching (rare: a large page where smaller ones were) walks the list,
 * which is newest first, so a table's children, created after it, are met
 * and unmapped before it. So does a list shorter than the probes. */
vs_result tables_detach_span(struct vs_space *vs, vs_addr vaddr, uint64_t size, unsigned entry_level)
{
    table_list *list = &vs->tables;
    unsigned shift = vs->arch->levels[entry_level].shift;
    uint64_t entries = size >> shift;
    if (list->count == 0 || (entries <= list->count && !has_table_in(list, entry_level + 1, vaddr, entries, shift))) {
        return VS_OK;
    }
    for (table_rec *rec = list->head; rec != NULL; rec = rec->next) {
        if (rec->place == TABLE_IN_KERNEL && rec->level > entry_level && rec->vaddr >= vaddr &&
            rec->vaddr - vaddr < size) {
            int error = vs->kernel.ops->unmap_table(vs->kernel.ctx, rec->obj.cap, rec->level);
            if (error != 0) {
                return vs_kernel_failed(vs, error, "unmap_table", rec->vaddr);
            }
            rec->place = TABLE_DETACHED;
            list->detached++;
        }
    }
    return VS_OK;
}

/* Maps the tables in `state` back, a level at a time from the root down,
 * since a table can only hang from one already in place. */
static void reattach_tables(struct vs_space *vs, unsigned state)
{
    table_list *list = &vs->tables;
    size_t *count = out_count(list, state);
    for (unsigned level = 1; level < vs->arch->num_levels && *count != 0; level++) {
        for (table_rec **link = &list->head; *link != NULL;) {
            table_rec *rec = *link;
            if (rec->place != state || rec->level != level) {
                link = &rec->next;
                continue;
            }
            vs_kstatus st = vs->kernel.ops->map_table(vs->kernel.ctx, vs->root, rec->obj.cap, level, rec->vaddr);
            if (st.error != 0) {
                vs_release_failed(vs, st.error);
                drop_table(vs, link);
                continue;
            }
            rec->place = TABLE_IN_KERNEL;
            (*count)--;
            link = &rec->next;
        }
    }
}

/* Frees the tables in `state`, or with keep moves them to TABLE_KEPT. */
static void settle_state(struct vs_space *vs, unsigned state, int keep)
{
    table_list *list = &vs->tables;
    size_t *count = out_count(list, state);
    for (table_rec **link = &list->head; *link != NULL && *count != 0;) {
        if ((*link)->place != state) {
            link = &(*link)->next;
        } else if (keep) {
            (*link)->place = TABLE_KEPT;
            --*count;
            list->kept++;
            link = &(*link)->next;
        } else {
            drop_table(vs, link);
        }
    }
}

void tables_settle_detached(struct vs_space *vs, int committed)
{
    if (!committed) {
        reattach_tables(vs, TABLE_DETACHED);
    } else {
        settle_state(vs, TABLE_DETACHED, vs->tables.keeping);
    }
}

void tables_reattach_kept(struct vs_space *vs)
{
    reattach_tables(vs, TABLE_KEPT);
}

void tables_free_kept(struct vs_space *vs)
{
    settle_state(vs, TABLE_KEPT, 0);
}

void tables_destroy(struct vs_space *vs)
{
    tables_rollback(vs, 0);
}
