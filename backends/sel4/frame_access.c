/* vs_frame_access over temporary runs in the root task's vspace: what a
 * loader in an seL4 root task uses to write into a child's frames. */
#include <vs/sel4_backend.h>
#include <vs/undo.h>

struct vs_sel4_frame_access {
    vs_sel4_backend *be;
    vs_space *root_vs;
    vs_allocator mem;
    const vs_sel4_window_ops *win; /* NULL: identity */
    void *win_ctx;
    size_t max_run;
    unsigned holds;     /* hold calls not yet released */
    uint64_t held_mark; /* vs_table_mark of root_vs at the first hold */
    int kernel_error;   /* the seL4_Error that failed the last map, else 0 */
};

/* One open window: the run, then its n copy slots. */
typedef struct window_state {
    vs_sel4_temp_run run;
    int open; /* the host view is open */
    size_t bytes;
    vs_cap copies[];
} window_state;

static size_t state_bytes(size_t n)
{
    return sizeof(window_state) + n * sizeof(vs_cap);
}

/* A window over frames[0..n): a temporary run of copies of them, or of
 * the frames themselves when they are mapped nowhere (`own`). */
static int map_window(vs_sel4_frame_access *fa, const vs_cap *frames, size_t n, unsigned size_bits, int own,
                      vs_frame_window *out)
{
    fa->kernel_error = 0;
    if (frames == NULL || out == NULL || n == 0 || (fa->max_run != 0 && n > fa->max_run) ||
        n > (SIZE_MAX - sizeof(window_state)) / sizeof(vs_cap)) {
        return VS_ERR_INVALID_ARG;
    }
    if (fa->win != NULL && fa->win->span != NULL) {
        size_t shown = fa->win->span(fa->win_ctx, frames, n, size_bits);
        n = shown >= 1 && shown < n ? shown : n;
    }
    size_t bytes = state_bytes(own ? 0 : n);
    window_state *st = fa->mem.alloc(fa->mem.ctx, bytes);
    if (st == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    st->bytes = bytes;
    st->open = 0;
    int kernel_error = 0;
    vs_result r =
        own ? vs_sel4_temp_map_unmapped(fa->be, fa->root_vs, frames, n, size_bits, &st->run, &kernel_error)
            : vs_sel4_temp_map_run(fa->be, fa->root_vs, frames, n, size_bits, st->copies, &st->run, &kernel_error);
    if (r != VS_OK) {
        fa->kernel_error = r == VS_ERR_KERNEL ? kernel_error : 0;
        fa->mem.free(fa->mem.ctx, st, bytes);
        return (int)r;
    }
    if (fa->holds > 0) {
        /* The run's paging structures stay for the next windows: its
         * unmap rolls back none, release rolls back all of them. */
        st->run.table_mark = vs_table_mark(fa->root_vs);
    }
    uint8_t *host = (uint8_t *)(uintptr_t)st->run.vaddr;
    if (fa->win != NULL && fa->win->open(fa->win_ctx, st->run.vaddr, st->run.size, &host) != 0) {
        /* Undo the run; each undo step changes nothing when it fails, so retry. */
        for (int t = 0; t < 4 && vs_sel4_temp_unmap_run(fa->be, fa->root_vs, &st->run) != VS_OK; t++) {
        }
        fa->mem.free(fa->mem.ctx, st, bytes);
        return -1;
    }
    st->open = 1;
    *out = (vs_frame_window){.host = host, .size = st->run.size, .state = st};
    return 0;
}

static int fa_map(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits, vs_frame_window *out)
{
    return map_window(ctx, frames, n, size_bits, 0, out);
}

/* Frames mapped nowhere need no copies: a cap copy and its deletion per
 * page are half the kernel calls of a window. */
static int fa_map_unmapped(void *ctx, const vs_cap *frames, size_t n, unsigned size_bits, vs_frame_window *out)
{
    return map_window(ctx, frames, n, size_bits, 1, out);
}

static int fa_unmap(void *ctx, vs_frame_window *w)
{
    vs_sel4_frame_access *fa = ctx;
    if (w == NULL || w->state == NULL) {
        return VS_ERR_INVALID_ARG;
    }
    window_state *st = w->state;
    if (st->open && fa->win != NULL && fa->win->close(fa->win_ctx, st->run.vaddr, st->run.size, w->host) != 0) {
        return -1;
    }
    st->open = 0;
    vs_result r = vs_sel4_temp_unmap_run(fa->be, fa->root_vs, &st->run);
    if (r != VS_OK) {
        return (int)r;
    }
    fa->mem.free(fa->mem.ctx, st, st->bytes);
    *w = (vs_frame_window){0};
    return 0;
}

/* Each window would otherwise create and delete the page table its run
 * needs (a retype, two 4 KiB zeroings, a map and an unmap of the table):
 * a load's windows mostly reuse one range of the root task's vspace. */
static int fa_hold(void *ctx)
{
    vs_sel4_frame_access *fa = ctx;
    if (fa->holds + 1u == 0) {
        return VS_ERR_INVALID_ARG;
    }
    if (fa->holds++ == 0) {
        fa->held_mark = vs_table_mark(fa->root_vs);
    }
    return 0;
}

static int fa_release(void *ctx)
{
    vs_sel4_frame_access *fa = ctx;
    if (fa->holds == 0) {
        return VS_ERR_INVALID_ARG;
    }
    if (--fa->holds > 0) {
        return 0;
    }
    return (int)vs_table_rollback(fa->root_vs, fa->held_mark);
}

static int fa_kernel_error(void *ctx)
{
    const vs_sel4_frame_access *fa = ctx;
    return fa->kernel_error;
}

static const vs_frame_access_ops sel4_frame_access_ops = {.map = fa_map,
                                                          .unmap = fa_unmap,
                                                          .map_unmapped = fa_map_unmapped,
                                                          .hold = fa_hold,
                                                          .release = fa_release,
                                                          .kernel_error = fa_kernel_error};

vs_result vs_sel4_frame_access_create(vs_sel4_backend *be, vs_space *root_vs, vs_allocator mem,
                                      const vs_sel4_window_ops *win, void *win_ctx, size_t max_run,
                                      vs_sel4_frame_access **out)
{
    if (be == NULL || root_vs == NULL || mem.alloc == NULL || mem.free == NULL || out == NULL ||
        (win != NULL && (win->open == NULL || win->close == NULL))) {
        return VS_ERR_INVALID_ARG;
    }
    vs_sel4_frame_access *fa = mem.alloc(mem.ctx, sizeof(*fa));
    if (fa == NULL) {
        return VS_ERR_NO_MEMORY;
    }
    *fa = (vs_sel4_frame_access){be, root_vs, mem, win, win_ctx, max_run, 0, 0, 0};
    *out = fa;
    return VS_OK;
}

void vs_sel4_frame_access_destroy(vs_sel4_frame_access *fa)
{
    if (fa != NULL) {
        fa->mem.free(fa->mem.ctx, fa, sizeof(*fa));
    }
}

vs_frame_access vs_sel4_frame_access_get(vs_sel4_frame_access *fa)
{
    return (vs_frame_access){&sel4_frame_access_ops, fa, fa != NULL ? fa->max_run : 0};
}
